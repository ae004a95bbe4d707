"""The sample server's wire protocol, without I/O: datagram bytes in, a request out, reply bytes.

Compatible with Agones' `simple-game-server`: one text datagram in, one datagram out. The text
is trimmed of surrounding white space (Go's `strings.TrimSpace`) and split on single spaces;
the first word selects a command, anything else is echoed as `ACK: <trimmed text>\\n`.

Strategy, in the order `Parser.parse` applies it:

1. Oversize datagrams are cut to `MAX_DATAGRAM` bytes (upstream reads into a 1024-byte buffer).
2. `ADMIN <token> <command ...>` unwraps to the command, marked as trusted when the token matches.
3. Commands that change the server or read private data (player IDs) need trust: a matching
   token, or `insecure_admin`; otherwise the reply is one short `ERROR:` line (`REFUSED`).
4. Arguments are checked here, with upstream's exact error texts, so that only well-formed
   calls reach the SDK. The caller runs the call and formats its result with the reply
   functions below.

Reflection: `limit_reply` keeps every reply to an untrusted peer (not joined, not authenticated)
at most `AMPLIFICATION_SLACK` bytes longer than its datagram.

Everything here is bytes: a datagram need not be UTF-8 and an echo returns its bytes unchanged,
as upstream does. Nothing raises on input; no asyncio, sockets, logging or clocks.
"""

from __future__ import annotations

import enum
import hmac
import re
from dataclasses import dataclass

__all__ = [
    "ACK_PREFIX",
    "ADMIN_COMMANDS",
    "AMPLIFICATION_SLACK",
    "COMMAND_WORDS",
    "JOIN_WORD",
    "LEAVE_WORD",
    "MAX_DATAGRAM",
    "MAX_PLAYER_ID",
    "PUBLIC_COMMANDS",
    "REFUSED",
    "SHUTDOWN_NOTICE",
    "TOO_LONG",
    "Call",
    "Echo",
    "Join",
    "Leave",
    "Malformed",
    "Parser",
    "Reply",
    "Request",
    "ack",
    "ack_tcp",
    "bool_reply",
    "capacity_reply",
    "counter_reply",
    "echo_text",
    "error",
    "found_reply",
    "go_format_utc",
    "go_parse_duration",
    "go_parse_int",
    "go_quote",
    "go_trim_space",
    "int_reply",
    "length_reply",
    "limit_reply",
    "malformation",
    "name_reply",
    "players_reply",
    "split_words",
    "success_reply",
    "values_reply",
]

ACK_PREFIX = b"ACK: "
"""What every successful reply starts with; an echo is `ACK_PREFIX + text + newline`."""

JOIN_WORD = b"JOIN"
"""The command word that starts a player session (`JOIN <id>`)."""

LEAVE_WORD = b"LEAVE"
"""The command word that ends the sender's player session."""

MAX_DATAGRAM = 1024
"""Bytes of a datagram that are read; the rest is cut off (upstream's read buffer)."""

AMPLIFICATION_SLACK = 16
"""How many bytes longer than its datagram a reply to an untrusted peer may be."""

MAX_PLAYER_ID = 128
"""Longest player ID that `JOIN` accepts, in bytes."""

REFUSED = b"ERROR: admin only\n"
"""The reply to a command that needs trust, from a peer without it (18 bytes)."""

TOO_LONG = b"ERROR: too long\n"
"""What an untrusted peer gets instead of a reply that would amplify (16 bytes: always fits)."""

SHUTDOWN_NOTICE = b"SHUTDOWN\n"
"""Sent to every joined player when the server stops."""

PUBLIC_COMMANDS = frozenset(
    {
        "GAMESERVER",
        "PLAYER_COUNT",
        "GET_COUNTER_COUNT",
        "GET_COUNTER_CAPACITY",
        "GET_LIST_CAPACITY",
        "GET_LIST_LENGTH",
    }
)
"""Read-only commands that anyone may send (plus `PLAYER_CAPACITY` with no argument)."""

ADMIN_COMMANDS = frozenset(
    {
        "EXIT",
        "CRASH",
        "UNHEALTHY",
        "READY",
        "ALLOCATE",
        "RESERVE",
        "WATCH",
        "LABEL",
        "ANNOTATION",
        "PLAYER_CAPACITY",
        "PLAYER_CONNECT",
        "PLAYER_DISCONNECT",
        "PLAYER_CONNECTED",
        "GET_PLAYERS",
        "INCREMENT_COUNTER",
        "DECREMENT_COUNTER",
        "SET_COUNTER_COUNT",
        "SET_COUNTER_CAPACITY",
        "SET_LIST_CAPACITY",
        "LIST_CONTAINS",
        "GET_LIST_VALUES",
        "APPEND_LIST_VALUE",
        "DELETE_LIST_VALUE",
    }
)
"""Commands that change the server or its GameServer, or read player IDs: they need trust."""

COMMAND_WORDS = frozenset(w.encode() for w in PUBLIC_COMMANDS | ADMIN_COMMANDS) | {
    b"ADMIN",
    b"JOIN",
    b"LEAVE",
}
"""Every first word that is not simply echoed (as bytes, for a quick membership test)."""

# Upstream's "should have N argument(s)" checks: word -> (fewest parts including the word, text).
_AT_LEAST: dict[str, tuple[int, str]] = {
    "PLAYER_CONNECT": (2, "should have 1 argument"),
    "PLAYER_DISCONNECT": (2, "should have 1 argument"),
    "PLAYER_CONNECTED": (2, "should have 1 argument"),
    "GET_COUNTER_COUNT": (2, "should have 1 argument"),
    "GET_COUNTER_CAPACITY": (2, "should have 1 argument"),
    "GET_LIST_CAPACITY": (2, "should have 1 argument"),
    "GET_LIST_LENGTH": (2, "should have 1 argument"),
    "GET_LIST_VALUES": (2, "should have 1 argument"),
    "INCREMENT_COUNTER": (3, "should have 2 arguments"),
    "DECREMENT_COUNTER": (3, "should have 2 arguments"),
    "SET_COUNTER_COUNT": (3, "should have 2 arguments"),
    "SET_COUNTER_CAPACITY": (3, "should have 2 arguments"),
    "SET_LIST_CAPACITY": (3, "should have 2 arguments"),
    "LIST_CONTAINS": (3, "should have 2 arguments"),
    "APPEND_LIST_VALUE": (3, "should have 2 arguments"),
    "DELETE_LIST_VALUE": (3, "should have 2 arguments"),
}
# Commands whose second argument is an int64 amount (parsed with Go's strconv.ParseInt).
_AMOUNT = frozenset(
    {"INCREMENT_COUNTER", "DECREMENT_COUNTER", "SET_COUNTER_COUNT", "SET_COUNTER_CAPACITY", "SET_LIST_CAPACITY"}
)
_POSITIVE_AMOUNT = frozenset({"INCREMENT_COUNTER", "DECREMENT_COUNTER"})

_INT64_MAX = (1 << 63) - 1
_INT64_MIN = -(1 << 63)
# Non-ASCII white space that Go's unicode.IsSpace knows, UTF-8 encoded.
_UNICODE_SPACES = tuple(
    chr(c).encode() for c in (0x85, 0xA0, 0x1680, *range(0x2000, 0x200B), 0x2028, 0x2029, 0x202F, 0x205F, 0x3000)
)
_ASCII_SPACE = b" \t\n\v\f\r"
# Control bytes other than white space: a datagram holding them is "binary".
_CONTROL_RE = re.compile(rb"[\x00-\x08\x0e-\x1f\x7f]")
_PLAYER_ID = re.compile(rb"[\x21-\x2b\x2d-\x7e]+")  # printable ASCII, no space, no comma


# --------------------------------------------------------------------------- requests


@dataclass(frozen=True, slots=True)
class Echo:
    """Not a command: reply `ACK: <text>\\n` (the trimmed datagram)."""

    text: bytes


@dataclass(frozen=True, slots=True)
class Reply:
    """The reply is known without doing anything: an argument error or a refusal."""

    data: bytes
    refused: bool = False


@dataclass(frozen=True, slots=True)
class Join:
    """`JOIN <player-id>`: register the sender as this player; the ACK echoes `text`."""

    player_id: str
    text: bytes


@dataclass(frozen=True, slots=True)
class Leave:
    """`LEAVE`: end the sender's session; the ACK echoes `text`."""

    text: bytes


@dataclass(frozen=True, slots=True)
class Call:
    """A well-formed command that needs the SDK (or the process) to answer.

    Attributes:
        word: the command word, e.g. `RESERVE`.
        args: the words after it, decoded (UTF-8, invalid bytes replaced).
        text: the trimmed command text, which an `ACK` reply echoes.
        number: the parsed integer argument (capacity, amount, exit code), if the command has one.
        seconds: the parsed `RESERVE` duration.
        trusted: it came with a valid admin token, or the server runs with `insecure_admin`.
    """

    word: str
    args: tuple[str, ...]
    text: bytes
    number: int | None = None
    seconds: float | None = None
    trusted: bool = False


Request = Echo | Reply | Join | Leave | Call
"""What one datagram asks for."""


class Malformed(enum.StrEnum):
    """Why a datagram is counted as malformed (it is still answered like upstream would)."""

    EMPTY = "empty"
    OVERSIZE = "oversize"
    BINARY = "binary"
    BAD_UTF8 = "bad_utf8"


def malformation(data: bytes) -> Malformed | None:
    """Classify a raw datagram: None when it is ordinary text."""
    if len(data) > MAX_DATAGRAM:
        return Malformed.OVERSIZE
    if not data.strip():
        return Malformed.EMPTY
    if _CONTROL_RE.search(data) is not None:
        return Malformed.BINARY
    if not data.isascii():
        try:
            data.decode()
        except UnicodeDecodeError:
            return Malformed.BAD_UTF8
    return None


def echo_text(data: bytes) -> bytes | None:
    """The trimmed text when the datagram is simply echoed (no command word), else None.

    The fast path of `Parser.parse`: `ack(echo_text(data))` is the reply to most datagrams.
    """
    text = data.strip(_ASCII_SPACE) if len(data) <= MAX_DATAGRAM else data[:MAX_DATAGRAM].strip(_ASCII_SPACE)
    if text and (text[0] >= 0x80 or text[-1] >= 0x80):
        text = go_trim_space(text)
    if not text or not 0x41 <= text[0] <= 0x5A:  # every command word starts with A-Z
        return text
    if text.partition(b" ")[0] in COMMAND_WORDS:
        return None
    return text


def split_words(data: bytes) -> list[bytes]:
    """Trim like Go's `strings.TrimSpace` and split on single spaces (empty words kept)."""
    return go_trim_space(data[:MAX_DATAGRAM]).split(b" ")


class Parser:
    """Turns a datagram into a `Request`, applying the admin gate.

    Args:
        admin_token: the token `ADMIN <token> <command>` must carry; None accepts no token.
        insecure_admin: accept bare admin commands from anyone, exactly like upstream.
    """

    __slots__ = ("_insecure", "_token")

    def __init__(self, admin_token: str | bytes | None = None, *, insecure_admin: bool = False) -> None:
        token = admin_token.encode() if isinstance(admin_token, str) else admin_token
        self._token = token or None
        self._insecure = insecure_admin

    @property
    def insecure_admin(self) -> bool:
        """Whether bare admin commands are accepted from anyone."""
        return self._insecure

    def parse(self, data: bytes) -> Request:
        """Parse one datagram (or one TCP line). Never raises."""
        text = echo_text(data)
        if text is not None:
            return Echo(text)
        text = go_trim_space(data[:MAX_DATAGRAM])
        parts = text.split(b" ")
        head = parts[0]
        trusted = self._insecure
        if head == b"ADMIN":
            if len(parts) < 3 or not self._token_ok(parts[1]):
                return Reply(REFUSED, refused=True)
            parts = parts[2:]
            text = b" ".join(parts)
            head = parts[0]
            trusted = True
            if head not in COMMAND_WORDS or head == b"ADMIN":
                return Echo(text)
        return _command(head.decode(), parts, text, trusted)

    def _token_ok(self, token: bytes) -> bool:
        if self._token is None:
            return self._insecure
        return hmac.compare_digest(token, self._token)


def _command(word: str, parts: list[bytes], text: bytes, trusted: bool) -> Request:
    """Validate one command (its word already known to be a command word)."""
    if word == "JOIN":
        if len(parts) < 2:
            return Echo(text)  # upstream would echo it; so do we, without joining
        pid = parts[1]
        if len(pid) > MAX_PLAYER_ID or not _PLAYER_ID.fullmatch(pid):
            return Reply(b"ERROR: bad player id\n")
        return Join(pid.decode("ascii"), text)
    if word == "LEAVE":
        return Leave(text)
    gated = word in ADMIN_COMMANDS and not (word == "PLAYER_CAPACITY" and len(parts) == 1)
    if gated and not trusted:
        return Reply(REFUSED, refused=True)
    args = tuple(p.decode(errors="replace") for p in parts[1:])
    n = len(parts)

    if word == "RESERVE":
        if n != 2:
            return _invalid(word, "should have 1 argument")
        try:
            nanos = go_parse_duration(parts[1])
        except ValueError as exc:
            return Reply(b"ERROR: " + str(exc).encode("utf-8", "surrogateescape") + b"\n\n")
        if nanos < 0:
            return Reply(b"ERROR: Invalid RESERVE, duration must not be negative\n")
        return Call(word, args, text, seconds=nanos / 1e9, trusted=trusted)
    if word in ("LABEL", "ANNOTATION"):
        if n not in (1, 3):
            return Reply(f"ERROR: Invalid {word} command, must use zero or 2 arguments\n".encode())
        return Call(word, args, text, trusted=trusted)
    if word == "PLAYER_CAPACITY":
        if n == 1:
            return Call(word, args, text, trusted=trusted)
        if n != 2:
            return _invalid(word, "should have 0 or 1 arguments")
        try:
            number = go_parse_int(parts[1], "Atoi")
        except ValueError as exc:
            return _error_text(exc)
        return Call(word, args, text, number=number, trusted=trusted)
    if word == "CRASH":
        code = 1
        if n >= 2 and parts[1].isdigit() and len(parts[1]) <= 3 and int(parts[1]) <= 255:
            code = int(parts[1])
        return Call(word, args, text, number=code, trusted=trusted)
    rule = _AT_LEAST.get(word)
    if rule is not None and n < rule[0]:
        return _invalid(word, rule[1])
    if word in _AMOUNT:
        try:
            number = go_parse_int(parts[2], "ParseInt")
        except ValueError as exc:
            return _error_text(exc)
        if word in _POSITIVE_AMOUNT and number < 0:
            return Reply(f"ERROR: amount must be a positive int64, found {number}\n".encode())
        return Call(word, args, text, number=number, trusted=trusted)
    return Call(word, args, text, trusted=trusted)


def _invalid(word: str, what: str) -> Reply:
    return Reply(f"ERROR: Invalid {word}, {what}\n".encode())


def _error_text(exc: ValueError) -> Reply:
    return Reply(b"ERROR: " + str(exc).encode("utf-8", "surrogateescape") + b"\n")


# --------------------------------------------------------------------------- replies


def ack(text: bytes) -> bytes:
    """`ACK: <text>\\n`: the echo, and the reply to a command that did what it was asked."""
    return ACK_PREFIX + text + b"\n"


def ack_tcp(line: bytes) -> bytes:
    """The TCP echo: `ACK TCP: <line>\\n` plus the extra newline upstream writes after every reply."""
    return b"ACK TCP: " + line + b"\n\n"


def error(message: str | bytes) -> bytes:
    """`ERROR: <message>\\n`."""
    if isinstance(message, str):
        message = message.encode(errors="replace")
    return b"ERROR: " + message + b"\n"


def name_reply(name: str) -> bytes:
    """The reply to `GAMESERVER`."""
    return b"NAME: " + name.encode() + b"\n"


def int_reply(n: int) -> bytes:
    """A bare number: `PLAYER_CAPACITY` (no argument) and `PLAYER_COUNT`."""
    return b"%d\n" % n


def bool_reply(value: bool) -> bytes:
    """`true\\n` or `false\\n`: `PLAYER_CONNECTED`."""
    return b"true\n" if value else b"false\n"


def players_reply(ids: list[str] | tuple[str, ...]) -> bytes:
    """`GET_PLAYERS`: the IDs joined by commas (just `\\n` when none)."""
    return ",".join(ids).encode() + b"\n"


def counter_reply(n: int) -> bytes:
    """`GET_COUNTER_COUNT`."""
    return b"COUNTER: %d\n" % n


def capacity_reply(n: int) -> bytes:
    """`GET_COUNTER_CAPACITY` and `GET_LIST_CAPACITY`."""
    return b"CAPACITY: %d\n" % n


def found_reply(found: bool) -> bytes:
    """`LIST_CONTAINS`."""
    return b"FOUND: true\n" if found else b"FOUND: false\n"


def length_reply(n: int) -> bytes:
    """`GET_LIST_LENGTH`."""
    return b"LENGTH: %d\n" % n


def values_reply(values: list[str] | tuple[str, ...]) -> bytes:
    """`GET_LIST_VALUES`: `VALUES: a,b,c\\n`, or `VALUES: <none>\\n` when empty."""
    if not values:
        return b"VALUES: <none>\n"
    return b"VALUES: " + ",".join(values).encode() + b"\n"


def success_reply() -> bytes:
    """Counter and list writes."""
    return b"SUCCESS\n"


def limit_reply(reply: bytes, datagram_len: int, *, trusted: bool) -> bytes:
    """Keep a reply to an untrusted peer within `AMPLIFICATION_SLACK` bytes of its datagram.

    A reply that would be longer becomes `TOO_LONG`, which is 16 bytes and so always fits.
    """
    if trusted or len(reply) <= datagram_len + AMPLIFICATION_SLACK:
        return reply
    return TOO_LONG


# --------------------------------------------------------------------------- Go compatibility


def go_trim_space(data: bytes) -> bytes:
    """Go's `strings.TrimSpace` on bytes: ASCII and Unicode white space at both ends."""
    s = data.strip(_ASCII_SPACE)
    if not s or (s[0] < 0x80 and s[-1] < 0x80):
        return s
    changed = True
    while changed and s:
        changed = False
        if s[0] >= 0x80:
            for sp in _UNICODE_SPACES:
                if s.startswith(sp):
                    s = s[len(sp) :].lstrip(_ASCII_SPACE)
                    changed = True
                    break
        if s and s[-1] >= 0x80:
            for sp in _UNICODE_SPACES:
                if s.endswith(sp):
                    s = s[: -len(sp)].rstrip(_ASCII_SPACE)
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
