"""The header and the final table, the JSON file and the plot."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from udp_loadtest._config import LoadTestConfig
from udp_loadtest._errors import LoadTestError
from udp_loadtest._result import LoadTestResult

__all__ = ["check_output", "format_header", "format_table", "output_path", "write_json"]


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
