"""The header and the final table, the JSON file and the plot."""

from __future__ import annotations

import importlib
import json
import math
import os
from pathlib import Path
from typing import Any

from udp_loadtest._config import LoadTestConfig
from udp_loadtest._errors import LoadTestError
from udp_loadtest._result import LoadTestResult

__all__ = ["check_output", "format_header", "format_table", "load_plotting", "output_path", "write_json", "write_plot"]


def _n(value: int) -> str:
    return f"{value:,}"


def format_header(config: LoadTestConfig, address: str, workers: int, parts: int = 1) -> str:
    """The configuration line, printed before the run starts and again above the table."""
    per_client = config.rate / config.clients
    tags = "".join(f", {k} {v}" for k, v in (("run", config.run_id), ("label", config.label)) if v)
    merged = f" (merged from {parts} runs)" if parts > 1 else ""
    return (
        f"udp-loadtest {address}{merged}: {config.clients} clients x {per_client:g} Hz = {config.rate:g} datagrams/s, "
        f"{workers} worker{'s' if workers != 1 else ''}, {config.duration:g} s "
        f"(+{config.warmup:g} s warm-up), {config.payload_size}-byte payload, reply timeout {config.reply_timeout:g} s"
        f"{tags}"
    )


def format_table(result: LoadTestResult) -> str:
    """Return the human-readable summary printed at the end of a run."""
    cfg = result.config
    c = result.counts
    lat = result.latency_ms()
    lines = [
        format_header(cfg, result.address, result.workers, result.parts),
        "",
        f"  {'sent':<12}{_n(result.sent):>14}   {result.send_rate:>12,.1f}/s   (offered {cfg.rate:,.1f}/s)",
        f"  {'received':<12}{_n(result.received):>14}   {result.reply_rate:>12,.1f}/s",
        f"  {'lost':<12}{_n(result.lost):>14}   {result.loss_pct:>12.3f} %   "
        f"(of which late replies {_n(c.late_replies)}, dropped by this client's sockets {_n(c.socket_drops)})",
        f"  {'duplicated':<12}{_n(c.duplicated):>14}",
        f"  {'reordered':<12}{_n(c.reordered):>14}",
        (f"  {'errors':<12}{_n(result.errors):>14}   " + _errors(result)).rstrip(),
    ]
    if c.warmup_errors:
        warm = ", ".join(f"{k} {v:,}" for k, v in sorted(c.warmup_errors.items()))
        lines.append(f"  {'':<12}{'':>14}   (during the warm-up, not counted: {warm})")
    lines.append("")
    if result.received:
        lines.append(
            "  round trip (ms)  "
            + "  ".join(f"{k} {lat[k]:.3f}" for k in ("p50", "p90", "p99", "p99.9", "max"))
            + f"  (min {lat['min']:.3f}, mean {lat['mean']:.3f})"
        )
    else:
        lines.append("  round trip       no replies")
    lag_ms = c.max_lag_ns / 1e6
    if result.behind_schedule:
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
    rows = result.target_rows()
    if len(rows) > 1:
        width = max(len("total"), *(len(r.address) for r in rows))
        lines += [
            "",
            f"  {'target':<{width}}  {'clients':>7}  {'sent':>12}  {'received':>12}  {'loss %':>8}"
            f"  {'p50 ms':>8}  {'p99 ms':>8}",
        ]
        for r in rows:
            lines.append(_row(r.address, width, r.clients, r.sent, r.received, r.loss_pct, r.latency))
        lines.append(_row("total", width, cfg.clients, result.sent, result.received, result.loss_pct, c.latency))
    return "\n".join(lines)


def _row(name: str, width: int, clients: int, sent: int, received: int, loss: float, hist: Any) -> str:
    p50 = f"{hist.percentile(50) / 1e6:8.3f}" if received else f"{'-':>8}"
    p99 = f"{hist.percentile(99) / 1e6:8.3f}" if received else f"{'-':>8}"
    return f"  {name:<{width}}  {clients:>7}  {sent:>12,}  {received:>12,}  {loss:>8.3f}  {p50}  {p99}"


def _errors(result: LoadTestResult) -> str:
    parts = [f"{k} {v:,}" for k, v in sorted(result.counts.errors.items())]
    if result.counts.unexpected:
        parts.append(f"unexpected replies {result.counts.unexpected:,}")
    return ", ".join(parts)


def output_path(path: str, suffix: str) -> str:
    """``path`` with ``suffix`` (".json", ".png") added when it does not end with it; ``-`` stays."""
    if path == "-" or path.lower().endswith(suffix) or Path(path).is_dir():
        return path  # a directory stays as it is, for check_output to refuse
    return path + suffix


def check_output(path: str, flag: str) -> None:
    """Raise :class:`LoadTestError` if ``path`` cannot be written, before any load is sent."""
    if path == "-":
        return
    target = Path(path)
    parent = target.parent if str(target.parent) else Path(".")
    if target.is_dir():
        raise LoadTestError(f"{flag} {path}: that is a directory; give a file name")
    if not parent.is_dir():
        raise LoadTestError(f"{flag} {path}: the directory {parent} does not exist")
    if not os.access(parent, os.W_OK) or (target.exists() and not os.access(target, os.W_OK)):
        raise LoadTestError(f"{flag} {path}: not allowed to write there")


def write_json(result: LoadTestResult, path: str) -> None:
    """Write :meth:`LoadTestResult.to_dict` to ``path``."""
    Path(path).write_text(json.dumps(result.to_dict(), indent=1) + "\n")


def load_plotting() -> Any:
    """Return ``matplotlib.pyplot`` (on the Agg backend).

    Raises:
        LoadTestError: matplotlib is not installed (it is the optional extra ``plot``).
    """
    try:
        # Imported by name: an optional extra, absent from the type checker's view when not installed.
        matplotlib: Any = importlib.import_module("matplotlib")
        matplotlib.use("Agg")
        return importlib.import_module("matplotlib.pyplot")
    except ImportError:
        raise LoadTestError("--plot needs matplotlib, which is not installed: pip install 'aioagones[plot]'") from None


def _plain_log_ticks(axis: Any) -> None:
    """Label a log axis in plain milliseconds (0.2, 1, 5), not as powers of ten (2x10^-1)."""
    ticker = importlib.import_module("matplotlib.ticker")

    def major(value: float, _: object) -> str:
        return f"{value:g}"

    def minor(value: float, _: object) -> str:
        # Only the 2s and 5s of each decade: every minor tick labelled would overlap.
        mantissa = round(value / 10 ** math.floor(math.log10(value))) if value > 0 else 0
        return f"{value:g}" if mantissa in (2, 5) else ""

    axis.set_major_formatter(ticker.FuncFormatter(major))
    axis.set_minor_formatter(ticker.FuncFormatter(minor))


def write_plot(result: LoadTestResult, path: str) -> None:
    """Draw the run into a PNG at ``path``: latency, loss and rates over time, and the latency histogram.

    Raises:
        LoadTestError: matplotlib is not installed (it is the optional extra ``plot``).
    """
    plt = load_plotting()
    cfg = result.config
    rows = result.timeline()
    ts = [r["t_s"] for r in rows]
    nan = float("nan")  # breaks a line where a window has nothing to show (a gap between merged runs)
    fig, axes = plt.subplots(2, 2, figsize=(13, 8))
    (lat_ax, hist_ax), (loss_ax, rate_ax) = axes
    for key, label, width in (("p50_ms", "p50", 1.2), ("p99_ms", "p99", 1.2), ("max_ms", "max", 0.8)):
        lat_ax.plot(ts, [r[key] if r["replies"] else nan for r in rows], label=label, lw=width)
    lat_ax.set_yscale("log")
    _plain_log_ticks(lat_ax.yaxis)
    lat_ax.set_ylabel("round trip (ms), per 100 ms")
    lat_ax.set_xlabel("scheduled send time (s from the end of the warm-up)")
    lat_ax.grid(True, which="both", alpha=0.3)
    lat_ax.legend(loc="upper right")
    loss_ax.plot(ts, [r["loss_pct"] if r["sent"] else nan for r in rows], color="tab:red", lw=1.2)
    loss_ax.set_ylabel("loss per 100 ms (%)")
    loss_ax.set_xlabel("scheduled send time (s)")
    loss_ax.set_ylim(bottom=0)
    loss_ax.grid(True, alpha=0.3)
    interval = result.interval_ns / 1e9
    rate_ax.axhline(cfg.rate, color="tab:gray", lw=0.8, ls=":", label=f"offered {cfg.rate:,.0f}/s")
    rate_ax.plot(ts, [r["sent"] / interval for r in rows], label="sent", lw=1.2)
    rate_ax.plot(ts, [r["replies"] / interval for r in rows], label="received", lw=1.2, ls="--")
    rate_ax.set_ylabel("datagrams/s")
    rate_ax.set_xlabel("scheduled send time (s)")
    peak = max([cfg.rate] + [r["sent"] / interval for r in rows])
    rate_ax.set_ylim(0, peak * 1.15)
    rate_ax.grid(True, alpha=0.3)
    rate_ax.legend(loc="lower right")
    hist = result.counts.latency
    xs, ys, widths = [], [], []
    for i, n in hist.buckets():
        low, high = hist.bounds(i)
        xs.append(low / 1e6)
        widths.append((high - low) / 1e6)
        ys.append(n)
    if xs:
        hist_ax.bar(xs, ys, width=widths, align="edge", color="tab:gray")
        hist_ax.set_xscale("log")
        hist_ax.set_yscale("log")
        _plain_log_ticks(hist_ax.xaxis)
        for label, pct, color in (("p50", 50, "tab:blue"), ("p99", 99, "tab:orange"), ("p99.9", 99.9, "tab:red")):
            value = hist.percentile(pct) / 1e6
            hist_ax.axvline(value, color=color, ls="--", lw=1, label=f"{label} {value:.3f} ms")
        hist_ax.legend(loc="upper right")
    else:
        hist_ax.text(0.5, 0.5, "no replies", ha="center", va="center", transform=hist_ax.transAxes)
    hist_ax.set_xlabel("round trip (ms)")
    hist_ax.set_ylabel("replies per bucket")
    hist_ax.grid(True, which="both", alpha=0.3)
    targets = len(result.addresses) or 1
    title = (
        f"udp-loadtest: {targets} target{'s' if targets != 1 else ''}, {cfg.rate:,.0f} datagrams/s offered, "
        f"{cfg.duration:g} s, loss {result.loss_pct:.3f} %"
        + (f", merged from {result.parts} runs" if result.parts > 1 else "")
    )
    subtitle = (
        f"{cfg.clients} clients, p50 {hist.percentile(50) / 1e6:.3f} ms, p99 {hist.percentile(99) / 1e6:.3f} ms, "
        f"max {hist.max / 1e6:.3f} ms"
    )
    if result.behind_schedule:
        subtitle += "  |  BEHIND SCHEDULE: the latencies include the tool's own delay"
    fig.suptitle(title + "\n" + subtitle, color="black")
    if result.behind_schedule:
        fig.texts[-1].set_color("tab:red")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
