"""Reply bytes, as upstream's `simple-game-server` writes them, and the anti-amplification limit."""

from __future__ import annotations

ACK_PREFIX = b"ACK: "
"""What every successful reply starts with; an echo is `ACK_PREFIX + text + newline`."""

AMPLIFICATION_SLACK = 16
"""How many bytes longer than its datagram a reply to an untrusted peer may be."""

REFUSED = b"ERROR: admin only\n"
"""The reply to a command that needs trust, from a peer without it (18 bytes)."""

TOO_LONG = b"ERROR: too long\n"
"""What an untrusted peer gets instead of a reply that would amplify (16 bytes: always fits)."""

SHUTDOWN_NOTICE = b"SHUTDOWN\n"
"""Sent to every joined player when the server stops."""


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


def limit_reply(reply: bytes, datagram_len: int, *, trusted: bool, short: bytes | None = None) -> bytes:
    """Keep a reply to an untrusted peer within `AMPLIFICATION_SLACK` bytes of its datagram.

    A reply that would be longer becomes `short` (the same error in fewer words) if that fits, else
    `TOO_LONG`, which is 16 bytes and so always fits.
    """
    limit = datagram_len + AMPLIFICATION_SLACK
    if trusted or len(reply) <= limit:
        return reply
    if short is not None and len(short) <= limit:
        return short
    return TOO_LONG
