"""The final table, the JSON file and the optional plot."""

from __future__ import annotations

import importlib
import json
from pathlib import Path
from typing import Any

from udp_loadtest._runner import LoadTestResult
from udp_loadtest._worker import LoadTestError

__all__ = ["format_table", "write_json", "write_plot"]


def _n(value: int) -> str:
    return f"{value:,}"


def format_table(result: LoadTestResult) -> str:
    """Return the human-readable summary printed at the end of a run."""
    cfg = result.config
    c = result.counts
    lat = result.latency_ms()
    per_client = cfg.rate / cfg.clients
    lines = [
        f"udp-loadtest {result.address}: {cfg.clients} clients x {per_client:g} Hz = {cfg.rate:g} datagrams/s, "
        f"{result.workers} worker{'s' if result.workers != 1 else ''}, {cfg.duration:g} s "
        f"(+{cfg.warmup:g} s warm-up), {cfg.payload_size}-byte payload, reply timeout {cfg.reply_timeout:g} s",
        "",
        f"  {'sent':<12}{_n(result.sent):>14}   {result.send_rate:>12,.1f}/s   (offered {cfg.rate:,.1f}/s)",
        f"  {'received':<12}{_n(result.received):>14}   {result.reply_rate:>12,.1f}/s",
        f"  {'lost':<12}{_n(result.lost):>14}   {result.loss_pct:>12.3f} %   "
        f"(of which late replies {_n(c.late_replies)}, dropped by this client's sockets {_n(c.socket_drops)})",
        f"  {'duplicated':<12}{_n(c.duplicated):>14}",
        f"  {'reordered':<12}{_n(c.reordered):>14}",
        (f"  {'errors':<12}{_n(result.errors):>14}   " + _errors(result)).rstrip(),
        "",
    ]
    if result.received:
        lines.append(
            "  round trip (ms)  "
            + "  ".join(f"{k} {lat[k]:.3f}" for k in ("p50", "p90", "p99", "p99.9", "max"))
            + f"  (min {lat['min']:.3f}, mean {lat['mean']:.3f})"
        )
    else:
        lines.append("  round trip       no replies")
    lag_ms = c.max_lag_ns / 1e6
    if c.late_sends * 100 > max(1, result.sent + c.warmup_sent):
        late = (
            f"BEHIND SCHEDULE: {_n(c.late_sends)} datagrams left more than 1 ms late, up to {lag_ms:.1f} ms;"
            " the latencies include that delay (add workers or lower the rate to measure the server alone)"
        )
    elif c.late_sends:
        late = f"{_n(c.late_sends)} datagrams left more than 1 ms late (max lag {lag_ms:.3f} ms)"
    else:
        late = f"kept the schedule (no datagram left more than 1 ms late; max lag {lag_ms:.3f} ms)"
    lines.append(f"  schedule         {late}")
    if cfg.join:
        msgs = f"; {'; '.join(c.join_errors[:3])}" if c.join_errors else ""
        lines.append(
            f"  players          joined {c.joined}, refused {c.join_refused}, no answer {c.join_unanswered},"
            f" left {c.left}{msgs}"
        )
    return "\n".join(lines)


def _errors(result: LoadTestResult) -> str:
    parts = [f"{k} {v:,}" for k, v in sorted(result.counts.errors.items())]
    if result.counts.unexpected:
        parts.append(f"unexpected replies {result.counts.unexpected:,}")
    return ", ".join(parts)


def write_json(result: LoadTestResult, path: str) -> None:
    """Write :meth:`LoadTestResult.to_dict` to ``path``."""
    Path(path).write_text(json.dumps(result.to_dict(), indent=2) + "\n")


def write_plot(result: LoadTestResult, path: str) -> None:
    """Draw latency over time and the latency histogram into a PNG at ``path``.

    Raises:
        LoadTestError: matplotlib is not installed (it is the optional extra ``plot``).
    """
    try:
        # Imported by name: an optional extra, absent from the type checker's view when not installed.
        matplotlib: Any = importlib.import_module("matplotlib")
        matplotlib.use("Agg")
        plt: Any = importlib.import_module("matplotlib.pyplot")
    except ImportError:
        raise LoadTestError("--plot needs matplotlib, which is not installed: pip install 'aioagones[plot]'") from None
    rows = result.timeline()
    fig, (ax1, ax2) = plt.subplots(2, 1, figsize=(9, 7))
    ax1.plot([r[0] for r in rows], [r[2] for r in rows], label="mean")
    ax1.plot([r[0] for r in rows], [r[3] for r in rows], label="max")
    ax1.set_xlabel("scheduled send time (s)")
    ax1.set_ylabel("round trip (ms)")
    ax1.set_title(f"udp-loadtest {result.address}, {result.config.rate:g} datagrams/s")
    ax1.legend()
    hist = result.counts.latency
    xs, ys = [], []
    for i, n in hist.buckets():
        low, high = hist.bounds(i)
        xs.append((low + high) / 2e6)
        ys.append(n)
    ax2.bar(xs, ys, width=[x * 0.01 for x in xs] if xs else 0.01)
    ax2.set_xscale("log")
    ax2.set_xlabel("round trip (ms)")
    ax2.set_ylabel("replies")
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
