"""What a worker counts: the running :class:`Progress` and the final :class:`WorkerResult`, exactly mergeable."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from udp_loadtest._config import WorkerSpec
from udp_loadtest._fields import FieldError, count_map, flag, int_list, integer, items, obj, text
from udp_loadtest._fields import field as member
from udp_loadtest._histogram import Histogram

__all__ = ["PRECISION", "REFUSED_CHECK_NS", "Progress", "WorkerResult"]

#: Histogram precision (bits): a recorded value is known to within 2**-PRECISION of itself.
PRECISION = 8
#: When every datagram of this first stretch of the schedule was refused, the run stops (--keep-going).
REFUSED_CHECK_NS = 2_000_000_000


@dataclass
class Progress:
    """A running count, reported every half second while a worker runs."""

    sent: int = 0
    received: int = 0
    late_sends: int = 0
    max_lag_ns: int = 0
    answered: int = 0  # replies matched to a datagram, warm-up, late and duplicates included
    refused: int = 0  # ECONNREFUSED, warm-up included
    elapsed_ns: int = 0  # of the schedule

    @classmethod
    def total(cls, parts: Iterable[Progress]) -> Progress:
        """The counts of several workers together (the lags and elapsed times are the largest)."""
        out = cls()
        for p in parts:
            out.sent += p.sent
            out.received += p.received
            out.late_sends += p.late_sends
            out.max_lag_ns = max(out.max_lag_ns, p.max_lag_ns)
            out.answered += p.answered
            out.refused += p.refused
            out.elapsed_ns = max(out.elapsed_ns, p.elapsed_ns)
        return out

    def all_refused(self, spec: WorkerSpec) -> bool:
        """Whether the run should stop: past the first stretch, nothing came back but refusals."""
        return (
            not spec.keep_going
            and spec.warmup_ns + spec.duration_ns > REFUSED_CHECK_NS
            and self.elapsed_ns >= REFUSED_CHECK_NS
            and self.refused > 0
            and self.answered == 0
        )


K = TypeVar("K")

_SUMMED = (
    "sent",
    "received",
    "late_replies",
    "duplicated",
    "reordered",
    "unexpected",
    "warmup_sent",
    "late_sends",
    "lag_total_ns",
    "joined",
    "join_refused",
    "join_unanswered",
    "left",
    "socket_drops",
)


def _add_lists(mine: list[int], theirs: list[int], shift: int = 0) -> None:
    if len(theirs) + shift > len(mine):
        mine.extend([0] * (len(theirs) + shift - len(mine)))
    for i, v in enumerate(theirs):
        mine[i + shift] += v


def _add_counts(mine: dict[K, int], theirs: dict[K, int]) -> None:
    for key, n in theirs.items():
        mine[key] = mine.get(key, 0) + n


@dataclass
class WorkerResult:
    """Everything one worker counted; results of several workers add up with :meth:`merge`.

    ``target_sent[t]`` and ``target_latency[t]`` are per target (``received`` of a target is its
    histogram's count). The ``window_*`` lists are per 100 ms of scheduled send time from the end
    of the warm-up; ``window_buckets[w]`` maps a histogram bucket index to its count in window ``w``.
    """

    sent: int = 0
    received: int = 0
    late_replies: int = 0
    duplicated: int = 0
    reordered: int = 0
    unexpected: int = 0
    warmup_sent: int = 0
    late_sends: int = 0
    lag_total_ns: int = 0
    max_lag_ns: int = 0
    last_send_ns: int = 0
    errors: dict[str, int] = field(default_factory=dict)
    warmup_errors: dict[str, int] = field(default_factory=dict)
    joined: int = 0
    join_refused: int = 0
    join_unanswered: int = 0
    join_errors: list[str] = field(default_factory=list)
    left: int = 0
    socket_drops: int = 0
    refused_stop: bool = False
    latency: Histogram = field(default_factory=lambda: Histogram(PRECISION))
    target_sent: list[int] = field(default_factory=list)
    target_latency: list[Histogram] = field(default_factory=list)
    window_sent: list[int] = field(default_factory=list)
    window_count: list[int] = field(default_factory=list)
    window_total_ns: list[int] = field(default_factory=list)
    window_max_ns: list[int] = field(default_factory=list)
    window_buckets: list[dict[int, int]] = field(default_factory=list)
    raw_ns: list[int] = field(default_factory=list)

    def merge(self, other: WorkerResult, window_shift: int = 0) -> None:
        """Add ``other``'s counts to this result (exact).

        ``window_shift`` moves ``other``'s windows later by that many windows (runs that started apart).
        """
        for name in _SUMMED:
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.max_lag_ns = max(self.max_lag_ns, other.max_lag_ns)
        self.last_send_ns = max(self.last_send_ns, other.last_send_ns)
        self.refused_stop = self.refused_stop or other.refused_stop
        _add_counts(self.errors, other.errors)
        _add_counts(self.warmup_errors, other.warmup_errors)
        self.join_errors.extend(e for e in other.join_errors if e not in self.join_errors)
        self.latency.merge(other.latency)
        _add_lists(self.target_sent, other.target_sent)
        for t, hist in enumerate(other.target_latency):
            if t == len(self.target_latency):
                self.target_latency.append(Histogram(hist.precision))
            self.target_latency[t].merge(hist)
        for name in ("window_sent", "window_count", "window_total_ns"):
            _add_lists(getattr(self, name), getattr(other, name), window_shift)
        width = len(self.window_count)
        self.window_max_ns.extend([0] * (width - len(self.window_max_ns)))
        for i, v in enumerate(other.window_max_ns):
            if v > self.window_max_ns[i + window_shift]:
                self.window_max_ns[i + window_shift] = v
        self.window_buckets.extend({} for _ in range(width - len(self.window_buckets)))
        for i, buckets in enumerate(other.window_buckets):
            _add_counts(self.window_buckets[i + window_shift], buckets)
        self.raw_ns.extend(other.raw_ns)

    def window_histogram(self, w: int) -> Histogram:
        """The latency histogram of window ``w`` (min and max are the window's bucket bounds)."""
        buckets = self.window_buckets[w] if w < len(self.window_buckets) else {}
        hist = Histogram(self.latency.precision)
        for i in sorted(buckets):
            hist.record(hist.bounds(i)[0], buckets[i])
        if buckets and w < len(self.window_max_ns):
            hist.max = self.window_max_ns[w]
        return hist

    def to_dict(self) -> dict[str, Any]:
        """Every count, JSON-ready; :meth:`from_dict` reads it back exactly."""
        out: dict[str, Any] = {name: getattr(self, name) for name in _SUMMED}
        out.update(
            max_lag_ns=self.max_lag_ns,
            last_send_ns=self.last_send_ns,
            errors=dict(self.errors),
            warmup_errors=dict(self.warmup_errors),
            join_errors=list(self.join_errors),
            refused_stop=self.refused_stop,
            latency=self.latency.to_dict(),
            target_sent=list(self.target_sent),
            target_latency=[h.to_dict() for h in self.target_latency],
            window_sent=list(self.window_sent),
            window_count=list(self.window_count),
            window_total_ns=list(self.window_total_ns),
            window_max_ns=list(self.window_max_ns),
            window_buckets=[sorted(b.items()) for b in self.window_buckets],
        )
        return out

    @classmethod
    def from_dict(cls, data: Any, path: str = "counts") -> WorkerResult:
        """Rebuild a result written by :meth:`to_dict`, checking every field.

        Raises:
            FieldError: a field is missing or of the wrong shape (bucket indexes included).
        """
        data = obj(data, path)

        def get(name: str) -> Any:
            return member(data, name, path)

        def at(name: str) -> str:
            return f"{path}.{name}"

        r = cls()
        for name in (*_SUMMED, "max_lag_ns", "last_send_ns"):
            setattr(r, name, integer(get(name), at(name)))
        r.errors = count_map(get("errors"), at("errors"))
        r.warmup_errors = count_map(get("warmup_errors"), at("warmup_errors"))
        r.join_errors = [
            text(e, f"{at('join_errors')}[{i}]") for i, e in enumerate(items(get("join_errors"), at("join_errors")))
        ]
        r.refused_stop = flag(get("refused_stop"), at("refused_stop"))
        r.latency = Histogram.from_dict(get("latency"), at("latency"), PRECISION)
        r.target_sent = int_list(get("target_sent"), at("target_sent"))
        hists = items(get("target_latency"), at("target_latency"))
        r.target_latency = [
            Histogram.from_dict(h, f"{at('target_latency')}[{t}]", PRECISION) for t, h in enumerate(hists)
        ]
        for name in ("window_sent", "window_count", "window_total_ns", "window_max_ns"):
            setattr(r, name, int_list(get(name), at(name)))
        last = Histogram(PRECISION).index(2**63 - 1)
        r.window_buckets = []
        for w, pairs in enumerate(items(get("window_buckets"), at("window_buckets"))):
            where = f"{at('window_buckets')}[{w}]"
            buckets: dict[int, int] = {}
            for b, pair in enumerate(items(pairs, where)):
                if not isinstance(pair, list | tuple) or len(pair) != 2:
                    raise FieldError(f"{where}[{b}] must be a pair [index, count]")
                i = integer(pair[0], f"{where}[{b}][0]", 0, last)
                buckets[i] = buckets.get(i, 0) + integer(pair[1], f"{where}[{b}][1]")
            r.window_buckets.append(buckets)
        lengths = {
            len(getattr(r, n))
            for n in ("window_sent", "window_count", "window_total_ns", "window_max_ns", "window_buckets")
        }
        if len(lengths) > 1:
            raise FieldError(f"{path}: the window_* lists differ in length")
        return r
