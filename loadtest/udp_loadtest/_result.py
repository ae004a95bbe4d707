"""The result of a load test (or of merged ones): the counts, the figures derived from them, and its JSON."""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass
from dataclasses import field as default
from typing import Any

from udp_loadtest._config import LoadTestConfig, config_from_dict
from udp_loadtest._counts import PRECISION, WorkerResult
from udp_loadtest._errors import LoadTestError
from udp_loadtest._fields import FieldError, field, int_list, integer, items, number, obj, text
from udp_loadtest._histogram import Histogram
from udp_loadtest._schedule import WINDOW_NS

__all__ = ["PAYLOAD_FORMAT", "PERCENTILES", "RESULT_FORMAT", "LoadTestResult", "RunKey", "TargetRow", "latency_ms"]

#: The percentiles reported, as (label, per cent).
PERCENTILES = (("p50", 50.0), ("p90", 90.0), ("p99", 99.0), ("p99.9", 99.9))
#: The JSON result's format; ``merge`` reads only this one.
RESULT_FORMAT = "udp-loadtest-result/2"
#: The load datagram's format: results of clients that send something else cannot be merged.
PAYLOAD_FORMAT = "lt <client> <sequence> <scheduled ns>"


@dataclass
class TargetRow:
    """The figures of one target."""

    address: str
    clients: int
    sent: int
    latency: Histogram

    @property
    def received(self) -> int:
        """Timely replies from this target."""
        return self.latency.count

    @property
    def lost(self) -> int:
        """Measured datagrams to this target without a timely reply."""
        return max(0, self.sent - self.received)

    @property
    def loss_pct(self) -> float:
        """``lost`` as a percentage of ``sent``."""
        return 100.0 * self.lost / self.sent if self.sent else 0.0

    def to_dict(self) -> dict[str, Any]:
        """The row's figures, JSON-ready."""
        return {
            "address": self.address,
            "clients": self.clients,
            "sent": self.sent,
            "received": self.received,
            "lost": self.lost,
            "loss_pct": self.loss_pct,
            "latency_ms": latency_ms(self.latency),
        }


#: What tells one run from another: its run id, its label and the instant it started (Unix seconds).
RunKey = tuple[str, str, float]


@dataclass
class LoadTestResult:
    """The counts of a run (or of merged runs), with the figures derived from them.

    ``started_at`` is the wall-clock time (Unix seconds) at which the schedule began (the warm-up);
    the measured window begins ``config.warmup`` later. ``parts`` is how many runs were merged, and
    ``runs`` which ones (empty for a single run: :meth:`run_keys`).
    """

    config: LoadTestConfig
    address: str
    workers: int
    counts: WorkerResult
    elapsed: float
    started_at: float = default(default_factory=time.time)
    addresses: list[str] = default(default_factory=list)
    target_clients: list[int] = default(default_factory=list)
    parts: int = 1
    run_ids: list[str] = default(default_factory=list)
    labels: list[str] = default(default_factory=list)
    runs: list[RunKey] = default(default_factory=list)
    payload_format: str = PAYLOAD_FORMAT
    interval_ns: int = WINDOW_NS

    def run_keys(self) -> list[RunKey]:
        """The runs this result holds: itself, or the parts of a merge."""
        return self.runs or [(self.config.run_id, self.config.label, self.started_at)]

    @property
    def sent(self) -> int:
        """Datagrams sent in the measured window (warm-up excluded)."""
        return self.counts.sent

    @property
    def received(self) -> int:
        """Distinct replies to measured datagrams that came back within the reply timeout."""
        return self.counts.received

    @property
    def lost(self) -> int:
        """Measured datagrams without a timely reply (late replies count as lost)."""
        return max(0, self.counts.sent - self.counts.received)

    @property
    def loss_pct(self) -> float:
        """``lost`` as a percentage of ``sent``."""
        return 100.0 * self.lost / self.sent if self.sent else 0.0

    @property
    def send_span(self) -> float:
        """Seconds over which the measured datagrams actually left (at least the configured duration)."""
        actual = (self.counts.last_send_ns - self.config.warmup * 1e9) / 1e9
        return max(self.config.duration, actual)

    @property
    def send_rate(self) -> float:
        """Datagrams per second actually sent in the measured window."""
        return self.sent / self.send_span

    @property
    def reply_rate(self) -> float:
        """Timely replies per second in the measured window."""
        return self.received / self.send_span

    @property
    def errors(self) -> int:
        """Socket errors (warm-up excluded) plus replies that were not answers to our datagrams."""
        return sum(self.counts.errors.values()) + self.counts.unexpected

    @property
    def behind_schedule(self) -> bool:
        """Whether more than 1 % of the datagrams left more than 1 ms late."""
        c = self.counts
        return c.late_sends * 100 > max(1, c.sent + c.warmup_sent)

    def latency_ms(self) -> dict[str, float]:
        """Round-trip percentiles, max, min and mean in milliseconds."""
        return latency_ms(self.counts.latency)

    def target_rows(self) -> list[TargetRow]:
        """One row per target, in the order given."""
        c = self.counts
        return [
            TargetRow(
                address,
                self.target_clients[t] if t < len(self.target_clients) else 0,
                c.target_sent[t] if t < len(c.target_sent) else 0,
                c.target_latency[t] if t < len(c.target_latency) else Histogram(PRECISION),
            )
            for t, address in enumerate(self.addresses)
        ]

    def timeline(self) -> list[dict[str, float]]:
        """Per 100 ms of scheduled send time in the measured window: sent, replies, loss and latency."""
        c = self.counts
        rows = []
        for w in range(len(c.window_count)):
            hist = c.window_histogram(w)
            sent, n = c.window_sent[w] if w < len(c.window_sent) else 0, c.window_count[w]
            rows.append(
                {
                    "t_s": w * WINDOW_NS / 1e9,
                    "sent": sent,
                    "replies": n,
                    "loss_pct": 100.0 * max(0, sent - n) / sent if sent else 0.0,
                    "p50_ms": hist.percentile(50) / 1e6,
                    "p99_ms": hist.percentile(99) / 1e6,
                    "max_ms": c.window_max_ns[w] / 1e6,
                    "mean_ms": c.window_total_ns[w] / n / 1e6 if n else 0.0,
                }
            )
        return rows

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready result: the figures, and every count so that ``merge`` can add runs up exactly."""
        c = self.counts
        config = asdict(self.config)
        config["targets"] = [list(t) for t in self.config.targets]
        return {
            "format": RESULT_FORMAT,
            "payload_format": self.payload_format,
            "interval_s": self.interval_ns / 1e9,
            "run_id": self.config.run_id,
            "label": self.config.label,
            "run_ids": self.run_ids,
            "labels": self.labels,
            "parts": self.parts,
            "runs": [{"run_id": i, "label": lb, "started_at": t} for i, lb, t in self.run_keys()],
            "started_at": self.started_at,
            "measure_start_unix_s": self.started_at + self.config.warmup,
            "config": config,
            "address": self.address,
            "addresses": self.addresses,
            "target_clients": self.target_clients,
            "workers": self.workers,
            "elapsed_s": self.elapsed,
            "sent": self.sent,
            "received": self.received,
            "lost": self.lost,
            "loss_pct": self.loss_pct,
            "late_replies": c.late_replies,
            "duplicated": c.duplicated,
            "reordered": c.reordered,
            "unexpected_replies": c.unexpected,
            "errors": dict(c.errors),
            "warmup_errors": dict(c.warmup_errors),
            "client_socket_drops": c.socket_drops,
            "stopped_all_refused": c.refused_stop,
            "offered_rate": self.config.rate,
            "send_rate": self.send_rate,
            "reply_rate": self.reply_rate,
            "latency_ms": self.latency_ms(),
            "schedule": {
                "late_sends": c.late_sends,
                "late_threshold_ms": 1.0,
                "max_lag_ms": c.max_lag_ns / 1e6,
                "mean_lag_ms": c.lag_total_ns / max(1, c.sent + c.warmup_sent) / 1e6,
                "behind": self.behind_schedule,
            },
            "join": {
                "joined": c.joined,
                "refused": c.join_refused,
                "unanswered": c.join_unanswered,
                "messages": c.join_errors,
                "left": c.left,
            },
            "targets": [row.to_dict() for row in self.target_rows()],
            "histogram_ns": c.latency.to_dict(),
            "timeline": self.timeline(),
            "counts": c.to_dict(),
        }

    @classmethod
    def from_dict(cls, data: Any, source: str = "result") -> LoadTestResult:
        """Read a result written by :meth:`to_dict`, checking every field.

        Raises:
            LoadTestError: not a udp-loadtest result of this format, or a field missing or wrong
                (the message names the field).
        """
        if not isinstance(data, dict) or data.get("format") != RESULT_FORMAT:
            found = data.get("format") if isinstance(data, dict) else type(data).__name__
            raise LoadTestError(
                f"{source}: not a udp-loadtest result in the format {RESULT_FORMAT!r} (found {str(found)[:40]!r});"
                " write it with this version's --json"
            )
        try:
            return cls._checked(data)
        except FieldError as exc:
            raise LoadTestError(f"{source}: a udp-loadtest result with a missing or bad field: {exc}") from None

    @classmethod
    def _checked(cls, data: dict[str, Any]) -> LoadTestResult:
        def get(key: str) -> Any:
            return field(data, key, "")

        def texts(key: str) -> list[str]:
            return [text(v, f"{key}[{i}]") for i, v in enumerate(items(get(key), key))]

        interval = number(get("interval_s"), "interval_s")
        parts = integer(get("parts"), "parts", 1)
        runs = [_run_key(v, f"runs[{i}]") for i, v in enumerate(items(data.get("runs", []), "runs"))]
        if parts > 1 and len(runs) != parts:
            raise FieldError(
                f"a merge of {parts} runs that does not list them (runs): merge the runs it was made from instead"
            )
        return cls(
            config=config_from_dict(get("config")),
            address=text(get("address"), "address"),
            workers=integer(get("workers"), "workers", 1),
            counts=WorkerResult.from_dict(get("counts")),
            elapsed=number(get("elapsed_s"), "elapsed_s"),
            started_at=number(get("started_at"), "started_at"),
            addresses=texts("addresses"),
            target_clients=int_list(get("target_clients"), "target_clients"),
            parts=parts,
            runs=runs if parts > 1 else [],
            run_ids=texts("run_ids"),
            labels=texts("labels"),
            payload_format=text(get("payload_format"), "payload_format"),
            interval_ns=round(interval * 1e9) if abs(interval) < 1e6 else -1,
        )


def _run_key(value: Any, path: str) -> RunKey:
    data = obj(value, path)
    return (
        text(field(data, "run_id", path), f"{path}.run_id"),
        text(field(data, "label", path), f"{path}.label"),
        number(field(data, "started_at", path), f"{path}.started_at"),
    )


def latency_ms(hist: Histogram) -> dict[str, float]:
    """Percentiles, max, min and mean of ``hist`` in milliseconds."""
    out = {label: hist.percentile(pct) / 1e6 for label, pct in PERCENTILES}
    out["max"] = hist.max / 1e6
    out["min"] = hist.min / 1e6
    out["mean"] = hist.mean / 1e6
    return out
