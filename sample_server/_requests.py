"""Datagram bytes to a request: the echo fast path, the admin envelope, the command table's rules.

Strategy, in the order `Parser.parse` applies it:

1. Oversize datagrams are cut to `MAX_DATAGRAM` bytes (upstream reads into a 1024-byte buffer).
2. A datagram whose first word is no command word is an `Echo` (the fast path, `echo_text`).
3. `ADMIN <token> <command ...>` unwraps to the command, marked as trusted when the token matches.
4. The command's entry in `_table.COMMANDS` decides the rest: who may send it (a peer without
   trust gets `REFUSED`), its argument count and typed arguments, with upstream's exact error
   texts, so that only well-formed calls reach the SDK.

Nothing here raises on input, and there is no I/O, logging or clock.
"""

from __future__ import annotations

import enum
import hmac
import re
from dataclasses import dataclass, field
from typing import Any

from ._entry import Access, BadArgument, Call, Command, Local
from ._go import ASCII_SPACE, go_trim_space
from ._replies import REFUSED, error
from ._table import COMMANDS

MAX_DATAGRAM = 1024
"""Bytes of a datagram that are read; the rest is cut off (upstream's read buffer)."""

MAX_PLAYER_ID = 128
"""Longest player ID that `JOIN` accepts, in bytes."""

JOIN_WORD = b"JOIN"
"""The command word that starts a player session (`JOIN <id>`)."""

LEAVE_WORD = b"LEAVE"
"""The command word that ends the sender's player session."""

_ADMIN_WORD = b"ADMIN"

PUBLIC_COMMANDS = frozenset(
    c.word for c in COMMANDS.values() if c.local is None and Access.ANYONE in (c.access, c.bare_access)
)
"""Read-only commands that anyone may send (`PLAYER_CAPACITY` only with no argument)."""

ADMIN_COMMANDS = frozenset(c.word for c in COMMANDS.values() if c.access is Access.ADMIN)
"""Commands that change the server or its GameServer, or read player IDs: they need trust."""

COMMAND_WORDS = frozenset(COMMANDS) | {_ADMIN_WORD}
"""Every first word that is not simply echoed (as bytes, for a quick membership test)."""

# Control bytes other than white space: a datagram holding them is "binary".
_CONTROL = re.compile(rb"[\x00-\x08\x0e-\x1f\x7f]")
_PLAYER_ID = re.compile(rb"[\x21-\x2b\x2d-\x7e]+")  # printable ASCII, no space, no comma


@dataclass(frozen=True, slots=True)
class Echo:
    """Not a command: reply `ACK: <text>\\n` (the trimmed datagram)."""

    text: bytes


@dataclass(frozen=True, slots=True)
class Reply:
    """The reply is known without doing anything: an argument error or a refusal.

    `trusted` (not compared) says the sender showed the admin token, so the reply is not limited;
    `short` (not compared) is the same error in fewer bytes, sent when `data` would exceed the limit.
    """

    data: bytes
    refused: bool = False
    trusted: bool = field(default=False, compare=False)
    short: bytes | None = field(default=None, compare=False)


@dataclass(frozen=True, slots=True)
class Join:
    """`JOIN <player-id> [<ticket>] [<cookie>]`: register the sender as this player.

    A ticket has dots (`v1.<payload>.<mac>`), a cookie (the server's `RETRY <cookie>`) has none.
    """

    player_id: str
    text: bytes
    ticket: bytes | None = None
    cookie: bytes | None = None


@dataclass(frozen=True, slots=True)
class Leave:
    """`LEAVE [<session-secret>]`: end the sender's session; the TCP ACK echoes `text`."""

    text: bytes
    secret: bytes | None = None


Request = Echo | Reply | Join | Leave | Call
"""What one datagram asks for."""


class Malformed(enum.StrEnum):
    """Why a datagram is counted as malformed (it is still answered like upstream would)."""

    EMPTY = "empty"
    OVERSIZE = "oversize"
    BINARY = "binary"
    BAD_UTF8 = "bad_utf8"


def echo_text(data: bytes) -> bytes | None:
    """The trimmed text when the datagram is simply echoed (no command word), else None.

    The fast path of `Parser.parse`: `ack(echo_text(data))` is the reply to most datagrams.
    """
    text = data.strip(ASCII_SPACE) if len(data) <= MAX_DATAGRAM else data[:MAX_DATAGRAM].strip(ASCII_SPACE)
    if text and (text[0] >= 0x80 or text[-1] >= 0x80):
        text = go_trim_space(text)
    if not text or not 0x41 <= text[0] <= 0x5A:  # every command word starts with A-Z
        return text
    if text.partition(b" ")[0] in COMMAND_WORDS:
        return None
    return text


def classify(data: bytes) -> tuple[bytes | None, Malformed | None]:
    """One look at a datagram: its echo text (None: a command, for `Parser.parse`) and why it is malformed.

    At most one reason per datagram, the first of: oversize, empty (white space only), binary
    (control bytes), bad UTF-8.
    """
    text = echo_text(data)
    if len(data) > MAX_DATAGRAM:
        return text, Malformed.OVERSIZE
    if text is not None and not text:
        return text, Malformed.EMPTY
    if data.isascii():
        return text, (Malformed.BINARY if _CONTROL.search(data) is not None else None)
    if _CONTROL.search(data) is not None:
        return text, Malformed.BINARY
    try:
        data.decode()
    except UnicodeDecodeError:
        return text, Malformed.BAD_UTF8
    return text, None


def malformation(data: bytes) -> Malformed | None:
    """Classify a raw datagram: None when it is ordinary text."""
    return classify(data)[1]


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
        trusted = False
        if parts[0] == _ADMIN_WORD:
            if len(parts) < 3 or not self._token_ok(parts[1]):
                return Reply(REFUSED, refused=True)
            parts = parts[2:]
            text = b" ".join(parts)
            trusted = self._token is not None  # an envelope --insecure-admin let through proves nothing
        command = COMMANDS.get(parts[0])
        if command is None:
            return Echo(text)
        return _apply(command, parts, text, trusted, allowed=trusted or self._insecure)

    def _token_ok(self, token: bytes) -> bool:
        if self._token is None:
            return self._insecure
        return hmac.compare_digest(token, self._token)


def _apply(command: Command, parts: list[bytes], text: bytes, trusted: bool, *, allowed: bool) -> Request:
    """Check one command against its table entry; `allowed`: admin commands may run."""
    nargs = len(parts) - 1
    if command.local is Local.JOIN:
        if nargs < 1:
            return Echo(text)  # upstream would echo it; so do we, without joining
        pid = parts[1]
        if len(pid) > MAX_PLAYER_ID or not _PLAYER_ID.fullmatch(pid):
            return Reply(b"ERROR: bad player id\n", trusted=trusted)
        ticket = next((w for w in parts[2:] if b"." in w), None)
        cookie = next((w for w in parts[2:] if b"." not in w), None)
        return Join(pid.decode("ascii"), text, ticket, cookie)
    if command.local is Local.LEAVE:
        return Leave(text, parts[1] if nargs >= 1 else None)
    if command.access_for(nargs) is Access.ADMIN and not allowed:
        return Reply(REFUSED, refused=True)
    if command.arity is not None and not command.arity.allowed(nargs):
        long, short = command.arity.text.format(word=command.word), command.arity.short
        return Reply(error(long), trusted=trusted, short=error(short))
    values: dict[str, Any] = {}
    for arg in command.args:
        if arg.position <= nargs:
            try:
                values[arg.into] = arg.parse(parts[arg.position])
            except BadArgument as exc:
                return Reply(exc.reply, trusted=trusted)
        elif arg.default is not None:
            values[arg.into] = arg.default
    args = tuple(p.decode(errors="replace") for p in parts[1:])
    return Call(command, args, text, trusted=trusted, **values)
