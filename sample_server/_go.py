"""Go's behaviour where `simple-game-server` shows it on the wire: trimming, quoting, numbers, durations, time.

Pure functions on bytes, so that replies match upstream's byte for byte.
"""

from __future__ import annotations

import re

_INT64_MAX = (1 << 63) - 1
_INT64_MIN = -(1 << 63)
# Non-ASCII white space that Go's unicode.IsSpace knows, UTF-8 encoded.
_UNICODE_SPACES = tuple(
    chr(c).encode() for c in (0x85, 0xA0, 0x1680, *range(0x2000, 0x200B), 0x2028, 0x2029, 0x202F, 0x205F, 0x3000)
)
ASCII_SPACE = b" \t\n\v\f\r"


def go_trim_space(data: bytes) -> bytes:
    """Go's `strings.TrimSpace` on bytes: ASCII and Unicode white space at both ends."""
    s = data.strip(ASCII_SPACE)
    if not s or (s[0] < 0x80 and s[-1] < 0x80):
        return s
    changed = True
    while changed and s:
        changed = False
        if s[0] >= 0x80:
            for sp in _UNICODE_SPACES:
                if s.startswith(sp):
                    s = s[len(sp) :].lstrip(ASCII_SPACE)
                    changed = True
                    break
        if s and s[-1] >= 0x80:
            for sp in _UNICODE_SPACES:
                if s.endswith(sp):
                    s = s[: -len(sp)].rstrip(ASCII_SPACE)
                    changed = True
                    break
    return s


def go_quote(data: bytes) -> str:
    """Go's `strconv.Quote`: a double-quoted literal; invalid UTF-8 bytes become `\\xNN`."""
    out = ['"']
    for ch in data.decode("utf-8", "surrogateescape"):
        c = ord(ch)
        if 0xDC80 <= c <= 0xDCFF:  # an invalid byte, carried by surrogateescape
            out.append(f"\\x{c - 0xDC00:02x}")
        elif ch in ('"', "\\"):
            out.append("\\" + ch)
        elif ch.isprintable():
            out.append(ch)
        elif ch in _GO_ESCAPES:
            out.append(_GO_ESCAPES[ch])
        elif c < 0x20 or c == 0x7F:
            out.append(f"\\x{c:02x}")
        elif c < 0x10000:
            out.append(f"\\u{c:04x}")
        else:
            out.append(f"\\U{c:08x}")
    out.append('"')
    return "".join(out)


_GO_ESCAPES = {"\a": "\\a", "\b": "\\b", "\f": "\\f", "\n": "\\n", "\r": "\\r", "\t": "\\t", "\v": "\\v"}


def go_parse_int(data: bytes, func: str = "ParseInt") -> int:
    """Go's `strconv.ParseInt(s, 10, 64)` / `strconv.Atoi(s)`.

    Raises:
        ValueError: with Go's own message, e.g. `strconv.Atoi: parsing "x": invalid syntax`.
    """
    body = data[1:] if data[:1] in (b"+", b"-") else data
    if not body or not body.isdigit() or not body.isascii():
        raise ValueError(f"strconv.{func}: parsing {go_quote(data)}: invalid syntax")
    value = int(data)
    if not _INT64_MIN <= value <= _INT64_MAX:
        raise ValueError(f"strconv.{func}: parsing {go_quote(data)}: value out of range")
    return value


_UNITS = {
    b"ns": 1,
    b"us": 1_000,
    "\u00b5s".encode(): 1_000,
    "\u03bcs".encode(): 1_000,
    b"ms": 1_000_000,
    b"s": 1_000_000_000,
    b"m": 60_000_000_000,
    b"h": 3_600_000_000_000,
}
_LEADING_INT = re.compile(rb"[0-9]*")
_UNIT = re.compile(rb"[^0-9.]*")


def go_parse_duration(data: bytes) -> int:
    """Go's `time.ParseDuration`, in nanoseconds.

    Raises:
        ValueError: with Go's own message, e.g. `time: invalid duration "x"`.
    """
    orig = data
    invalid = ValueError("time: invalid duration " + go_quote(orig))
    s = data
    neg = False
    if s[:1] in (b"-", b"+"):
        neg = s[:1] == b"-"
        s = s[1:]
    if s == b"0":
        return 0
    if not s:
        raise invalid
    total = 0
    while s:
        if not (s[:1] == b"." or s[:1].isdigit()):
            raise invalid
        digits = _LEADING_INT.match(s)
        assert digits is not None  # [0-9]* always matches
        whole = digits.group()
        s = s[len(whole) :]
        value = int(whole) if whole else 0
        if value > 1 << 63:
            raise invalid
        frac, scale = 0, 1.0
        post = False
        if s[:1] == b".":
            s = s[1:]
            fdigits = _LEADING_INT.match(s)
            assert fdigits is not None
            fpart = fdigits.group()
            s = s[len(fpart) :]
            post = bool(fpart)
            for d in fpart:  # Go keeps digits while they fit, then ignores the rest
                if frac > (1 << 63) // 10:
                    break
                frac = frac * 10 + (d - 0x30)
                scale *= 10
        if not whole and not post:
            raise invalid
        unit_m = _UNIT.match(s)
        assert unit_m is not None
        unit = unit_m.group()
        if not unit:
            raise ValueError("time: missing unit in duration " + go_quote(orig))
        s = s[len(unit) :]
        mult = _UNITS.get(unit)
        if mult is None:
            raise ValueError(f"time: unknown unit {go_quote(unit)} in duration {go_quote(orig)}")
        if value > (1 << 63) // mult:
            raise invalid
        value *= mult
        if frac > 0:
            value += int(float(frac) * (float(mult) / scale))
            if value > 1 << 63:
                raise invalid
        total += value
        if total > 1 << 63:
            raise invalid
    if neg:
        return -total
    if total > _INT64_MAX:
        raise invalid
    return total


def go_format_utc(unix_nanos: int) -> str:
    """Go's `time.Now().UTC().String()` for a Unix time in nanoseconds.

    E.g. `2026-11-26 21:00:00.5 +0000 UTC` (trailing zeros of the fraction dropped).
    """
    seconds, nanos = divmod(unix_nanos, 1_000_000_000)
    days, rem = divmod(seconds, 86_400)
    hour, rem = divmod(rem, 3600)
    minute, sec = divmod(rem, 60)
    year, month, day = _civil_from_days(days)
    frac = f".{nanos:09d}".rstrip("0") if nanos else ""
    return f"{year:04d}-{month:02d}-{day:02d} {hour:02d}:{minute:02d}:{sec:02d}{frac} +0000 UTC"


def _civil_from_days(z: int) -> tuple[int, int, int]:
    """Days since 1970-01-01 to (year, month, day), proleptic Gregorian."""
    z += 719_468
    era = z // 146_097
    doe = z - era * 146_097
    yoe = (doe - doe // 1460 + doe // 36_524 - doe // 146_096) // 365
    y = yoe + era * 400
    doy = doe - (365 * yoe + yoe // 4 - yoe // 100)
    mp = (5 * doy + 2) // 153
    d = doy - (153 * mp + 2) // 5 + 1
    m = mp + 3 if mp < 10 else mp - 9
    return (y + 1 if m <= 2 else y), m, d
