"""The plot of a run (``--plot``): latency, loss and rates over time, the latency histogram, and per target.

Percentiles need samples: at 600 datagrams/s a 100 ms window holds ~60 replies, and the p99 of fewer
than 100 values is their maximum. So the windows of the latency panel are as wide as it takes to hold
about :data:`REPLIES_PER_WINDOW` replies (whole multiples of the 100 ms windows of the result), and the
p99 line is drawn only in windows that hold at least 100 replies, where it can differ from the max.
"""

from __future__ import annotations

import importlib
import math
from typing import Any

from udp_loadtest._errors import LoadTestError
from udp_loadtest._histogram import Histogram
from udp_loadtest._result import LoadTestResult, TargetRow

__all__ = ["REPLIES_PER_WINDOW", "draw", "latency_windows", "load_plotting", "write_plot"]

#: The replies a plotted latency window should hold (its width grows until the median window does).
REPLIES_PER_WINDOW = 200
#: A window's p99 is drawn only when it holds this many replies; below, it would be the window's max.
P99_MIN_REPLIES = 100
#: Beyond this many targets the per-target panels are not labelled one by one.
LABELLED_TARGETS = 24


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


def latency_windows(result: LoadTestResult) -> tuple[int, list[dict[str, float]]]:
    """The latency panel's windows: how many 100 ms windows each one spans, and per window its figures.

    Each row has ``t_s`` (start, from the end of the warm-up), ``replies``, and ``p50_ms``, ``p99_ms``,
    ``max_ms`` (NaN where the window has no replies; ``p99_ms`` also where it has fewer than
    :data:`P99_MIN_REPLIES`).
    """
    c = result.counts
    count = len(c.window_count)
    busy = sorted(n for n in c.window_count if n)
    per_window = busy[len(busy) // 2] if busy else 0  # the median (statistics would cost every worker its import)
    group = max(1, math.ceil(REPLIES_PER_WINDOW / per_window)) if per_window else 1
    group = min(group, max(1, count // 10))  # keep at least ten points where the run allows
    nan = float("nan")
    rows = []
    for start in range(0, count, group):
        hist = Histogram(c.latency.precision)
        for w in range(start, min(start + group, count)):
            hist.merge(c.window_histogram(w))
        replies = hist.count
        rows.append(
            {
                "t_s": start * result.interval_ns / 1e9,
                "replies": replies,
                "p50_ms": hist.percentile(50) / 1e6 if replies else nan,
                "p99_ms": hist.percentile(99) / 1e6 if replies >= P99_MIN_REPLIES else nan,
                "max_ms": hist.max / 1e6 if replies else nan,
            }
        )
    return group, rows


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


def _no_replies(ax: Any, what: str) -> None:
    """An empty panel that says so, without axes that would suggest a scale."""
    ax.text(0.5, 0.5, f"no replies\n({what})", ha="center", va="center", fontsize=14, transform=ax.transAxes)
    ax.set_xticks([])
    ax.set_yticks([])


def _latency_panel(ax: Any, result: LoadTestResult) -> None:
    group, rows = latency_windows(result)
    if not result.received:
        _no_replies(ax, "round trip over time")
        return
    ts = [r["t_s"] for r in rows]
    width_ms = group * result.interval_ns / 1e6
    ax.plot(ts, [r["p50_ms"] for r in rows], label="p50", lw=1.2)
    if any(not math.isnan(r["p99_ms"]) for r in rows):
        ax.plot(ts, [r["p99_ms"] for r in rows], label=f"p99 (windows of {P99_MIN_REPLIES}+ replies)", lw=1.2)
    ax.plot(ts, [r["max_ms"] for r in rows], label="max", lw=0.8)
    ax.set_yscale("log")
    _plain_log_ticks(ax.yaxis)
    ax.set_ylabel(f"round trip (ms), per {width_ms:g} ms")
    ax.set_xlabel("scheduled send time (s from the end of the warm-up)")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(loc="upper right")


def _histogram_panel(ax: Any, hist: Histogram) -> None:
    if not hist.count:
        _no_replies(ax, "latency histogram")
        return
    xs, ys, widths = [], [], []
    for i, n in hist.buckets():
        low, high = hist.bounds(i)
        xs.append(low / 1e6)
        widths.append((high - low) / 1e6)
        ys.append(n)
    ax.bar(xs, ys, width=widths, align="edge", color="tab:gray")
    ax.set_xscale("log")
    ax.set_yscale("log")
    _plain_log_ticks(ax.xaxis)
    for label, pct, color in (("p50", 50, "tab:blue"), ("p99", 99, "tab:orange"), ("p99.9", 99.9, "tab:red")):
        value = hist.percentile(pct) / 1e6
        ax.axvline(value, color=color, ls="--", lw=1, label=f"{label} {value:.3f} ms")
    ax.legend(loc="upper right")
    ax.set_xlabel("round trip (ms)")
    ax.set_ylabel("replies per bucket")
    ax.grid(True, which="both", alpha=0.3)


def _target_panels(lat_ax: Any, loss_ax: Any, rows: list[TargetRow]) -> None:
    """One point per target: its p50 and p99, and its loss."""
    xs = list(range(len(rows)))
    answered = [r for r in rows if r.received]
    if answered:
        lat_ax.plot(
            xs, [r.latency.percentile(50) / 1e6 if r.received else float("nan") for r in rows], "o", label="p50"
        )
        lat_ax.plot(
            xs, [r.latency.percentile(99) / 1e6 if r.received else float("nan") for r in rows], "^", label="p99"
        )
        lat_ax.set_yscale("log")
        _plain_log_ticks(lat_ax.yaxis)
        lat_ax.legend(loc="upper right")
        lat_ax.grid(True, which="both", alpha=0.3)
    else:
        _no_replies(lat_ax, "per target")
    lat_ax.set_ylabel("round trip per target (ms)")
    loss_ax.bar(xs, [r.loss_pct for r in rows], color="tab:red")
    loss_ax.set_ylabel("loss per target (%)")
    loss_ax.set_ylim(0, max([1.0] + [r.loss_pct * 1.15 for r in rows]))
    loss_ax.grid(True, axis="y", alpha=0.3)
    for ax in (lat_ax, loss_ax):
        if len(rows) <= LABELLED_TARGETS:
            ax.set_xticks(xs, [r.address for r in rows], rotation=30, ha="right", fontsize=8)
        else:
            ax.set_xlabel(f"target (1-{len(rows)}, in the order of the table)")


def write_plot(result: LoadTestResult, path: str) -> None:
    """Draw the run (:func:`draw`) into a PNG at ``path``.

    Raises:
        LoadTestError: matplotlib is not installed (it is the optional extra ``plot``).
    """
    plt = load_plotting()
    fig = draw(result)
    fig.savefig(path, dpi=100)
    plt.close(fig)


def draw(result: LoadTestResult) -> Any:
    """The figure of a run: latency over time, the latency histogram, loss and rates over time, and,
    with several targets, a row with each target's p50, p99 and loss. A run without replies says so.

    Raises:
        LoadTestError: matplotlib is not installed (it is the optional extra ``plot``).
    """
    plt = load_plotting()
    cfg = result.config
    targets = result.target_rows()
    many = len(targets) > 1
    fig, axes = plt.subplots(3 if many else 2, 2, figsize=(13, 12 if many else 8), squeeze=False)
    _latency_panel(axes[0][0], result)
    _histogram_panel(axes[0][1], result.counts.latency)
    rows = result.timeline()
    ts = [r["t_s"] for r in rows]
    loss_ax, rate_ax = axes[1]
    nan = float("nan")  # breaks a line where a window has nothing to show (a gap between merged runs)
    loss_ax.plot(ts, [r["loss_pct"] if r["sent"] else nan for r in rows], color="tab:red", lw=1.2)
    loss_ax.set_ylabel(f"loss per {result.interval_ns / 1e6:g} ms (%)")
    loss_ax.set_xlabel("scheduled send time (s)")
    loss_ax.set_ylim(0, 105 if not result.received else None)
    loss_ax.grid(True, alpha=0.3)
    interval = result.interval_ns / 1e9
    rate_ax.axhline(cfg.rate, color="tab:gray", lw=0.8, ls=":", label=f"offered {cfg.rate:,.0f}/s")
    rate_ax.plot(ts, [r["sent"] / interval for r in rows], label="sent", lw=1.2)
    rate_ax.plot(ts, [r["replies"] / interval for r in rows], label="received", lw=1.2, ls="--")
    rate_ax.set_ylabel("datagrams/s")
    rate_ax.set_xlabel("scheduled send time (s)")
    rate_ax.set_ylim(0, max([cfg.rate, 1.0] + [r["sent"] / interval for r in rows]) * 1.15)
    rate_ax.grid(True, alpha=0.3)
    rate_ax.legend(loc="lower right")
    if many:
        _target_panels(axes[2][0], axes[2][1], targets)
    fig.suptitle(_title(result), color="tab:red" if result.behind_schedule or not result.received else "black")
    fig.tight_layout()
    return fig


def _title(result: LoadTestResult) -> str:
    cfg = result.config
    hist = result.counts.latency
    n = len(result.addresses) or 1
    title = (
        f"udp-loadtest: {n} target{'s' if n != 1 else ''}, {cfg.rate:,.0f} datagrams/s offered, "
        f"{cfg.duration:g} s, loss {result.loss_pct:.3f} %"
        + (f", merged from {result.parts} runs" if result.parts > 1 else "")
    )
    if result.received:
        subtitle = (
            f"{cfg.clients} clients, p50 {hist.percentile(50) / 1e6:.3f} ms, p99 {hist.percentile(99) / 1e6:.3f} ms,"
            f" max {hist.max / 1e6:.3f} ms"
        )
    else:
        subtitle = f"{cfg.clients} clients, NO REPLIES: {result.sent:,} datagrams sent, none answered in time"
    if result.behind_schedule:
        subtitle += "  |  BEHIND SCHEDULE: the latencies include the tool's own delay"
    return title + "\n" + subtitle
