"""A log-linear (HDR-style) histogram of non-negative integers, mergeable exactly.

Values below ``2 * 2**precision`` get a bucket each; above that every power of two is split into
``2**precision`` equal buckets, so a recorded value is known to within ``2**-precision`` of itself
(0.4 % at the default precision of 8). Two histograms with the same precision merge by adding their
bucket counts, which is exact: merging the workers' histograms gives the same buckets as one
histogram that saw every value.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from udp_loadtest._fields import FieldError, field, integer, items, obj

__all__ = ["Histogram"]


class Histogram:
    """Counts of integer values (nanoseconds here) in log-linear buckets, plus exact min, max and sum."""

    __slots__ = ("_counts", "_sub", "count", "max", "min", "precision", "total")

    def __init__(self, precision: int = 8) -> None:
        if not 1 <= precision <= 16:
            raise ValueError("precision must be between 1 and 16 bits")
        self.precision = precision
        self._sub = 1 << precision
        # Index i is a bucket; grown on demand so that a histogram of small values stays small.
        self._counts: list[int] = [0] * (4 * self._sub)
        self.count = 0
        self.total = 0
        self.min = 0
        self.max = 0

    def index(self, value: int) -> int:
        """Return the bucket index of ``value`` (a non-negative integer)."""
        sub = self._sub
        if value < 2 * sub:
            return value
        shift = value.bit_length() - self.precision - 1
        return (shift + 1) * sub + (value >> shift) - sub

    def bounds(self, index: int) -> tuple[int, int]:
        """Return the lowest value and one past the highest value that fall in bucket ``index``."""
        sub = self._sub
        if index < 2 * sub:
            return index, index + 1
        shift = index // sub - 1
        mantissa = index % sub + sub
        return mantissa << shift, (mantissa + 1) << shift

    def record(self, value: int, times: int = 1) -> None:
        """Count ``value`` (``times`` times); negative values count as 0."""
        if value < 0:
            value = 0
        i = self.index(value)
        counts = self._counts
        if i >= len(counts):
            counts.extend([0] * (i + 1 - len(counts) + self._sub))
        counts[i] += times
        if self.count == 0 or value < self.min:
            self.min = value
        if value > self.max:
            self.max = value
        self.count += times
        self.total += value * times

    def merge(self, other: Histogram) -> None:
        """Add every count of ``other`` to this histogram (exact; same precision required)."""
        if other.precision != self.precision:
            raise ValueError("cannot merge histograms of different precision")
        if other.count == 0:
            return
        mine = self._counts
        theirs = other._counts
        if len(theirs) > len(mine):
            mine.extend([0] * (len(theirs) - len(mine)))
        for i, n in enumerate(theirs):
            if n:
                mine[i] += n
        if self.count == 0 or other.min < self.min:
            self.min = other.min
        self.max = max(self.max, other.max)
        self.count += other.count
        self.total += other.total

    def buckets(self) -> Iterable[tuple[int, int]]:
        """Yield ``(index, count)`` for every non-empty bucket, in increasing order."""
        return ((i, n) for i, n in enumerate(self._counts) if n)

    def percentile(self, pct: float) -> int:
        """Return the value at or below which ``pct`` per cent of the recorded values lie.

        The answer is the middle of the bucket that holds that rank, clamped to the exact minimum and
        maximum; the highest rank answers the exact maximum. An empty histogram answers 0.
        """
        if self.count == 0:
            return 0

        # The rank of the value, 1-based: the smallest rank r with r >= pct% of count.
        rank = max(1, -(-self.count * pct // 100))
        if pct >= 100 or rank >= self.count:
            return self.max
        seen = 0
        for i, n in enumerate(self._counts):
            if not n:
                continue
            seen += n
            if seen >= rank:
                low, high = self.bounds(i)
                return min(max((low + high - 1) // 2, self.min), self.max)
        return self.max  # pragma: no cover - the counts always add up to self.count

    @property
    def mean(self) -> float:
        """The exact mean of the recorded values (0.0 when empty)."""
        return self.total / self.count if self.count else 0.0

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-ready form that :meth:`from_dict` reads back exactly."""
        return {
            "precision": self.precision,
            "count": self.count,
            "total": self.total,
            "min": self.min,
            "max": self.max,
            "buckets": [[i, n] for i, n in self.buckets()],
        }

    @classmethod
    def from_dict(cls, data: Any, path: str = "histogram", precision: int | None = None) -> Histogram:
        """Rebuild a histogram written by :meth:`to_dict`, checking every field.

        ``precision``, when given, is the only precision accepted (it bounds the memory a bucket
        index can claim).

        Raises:
            FieldError: a field is missing or wrong: a bucket index past the largest value (2**63), a
                negative count, counts that do not add up, another precision.
        """
        data = obj(data, path)
        bits = integer(field(data, "precision", path), f"{path}.precision", 1, 16)
        if precision is not None and bits != precision:
            raise FieldError(
                f"{path}: different histogram precision ({bits}, this version writes {precision});"
                " merge only results of the same udp-loadtest version and settings"
            )
        hist = cls(bits)
        last = hist.index(2**63 - 1)
        buckets = items(field(data, "buckets", path), f"{path}.buckets")
        seen = 0
        for b, pair in enumerate(buckets):
            where = f"{path}.buckets[{b}]"
            if not isinstance(pair, list | tuple) or len(pair) != 2:
                raise FieldError(f"{where} must be a pair [index, count]")
            i, n = integer(pair[0], f"{where}[0]", 0, last), integer(pair[1], f"{where}[1]")
            if i >= len(hist._counts):
                hist._counts.extend([0] * (i + 1 - len(hist._counts)))
            hist._counts[i] += n
            seen += n
        hist.count = integer(field(data, "count", path), f"{path}.count")
        if hist.count != seen:
            raise FieldError(f"{path}: the buckets hold {seen} values, the count says {hist.count}")
        hist.total = integer(field(data, "total", path), f"{path}.total", 0, 2**127)
        hist.min = integer(field(data, "min", path), f"{path}.min")
        hist.max = integer(field(data, "max", path), f"{path}.max")
        return hist

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Histogram):
            return NotImplemented
        return self.to_dict() == other.to_dict()

    __hash__ = None  # type: ignore[assignment]  # mutable, compared by value

    def __repr__(self) -> str:
        return f"Histogram(count={self.count}, min={self.min}, max={self.max})"
