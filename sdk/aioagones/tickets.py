"""Join tickets: the matchmaker's word that a player may join one GameServer, until a given time.

The matchmaker, which allocated the GameServer, issues a ticket with `issue_ticket` and hands it
to the player with the endpoint; the game server checks it with `read_ticket` (or
`verify_ticket`) and remembers its nonce with a `ReplayGuard`, so each ticket admits once. Both
sides share a secret of at least `MIN_SECRET_BYTES` bytes (`read_secret` loads it from a file,
such as a mounted Kubernetes Secret). Pure standard library; `import aioagones` does not load it.

Format, version 1 (`v1.<payload>.<mac>`, both parts base64url without padding):

    payload = expires_at (4 bytes, Unix seconds, big-endian)
            + nonce (8 random bytes: the ticket's identity, for single use)
            + GameServer tag (the first 4 bytes of SHA-256 of the GameServer's name)
            + player id (1-128 printable ASCII bytes, no space or comma)
    mac     = HMAC-SHA256(secret, "aioagones join ticket v1\\n" + GameServer name + "\\n" + payload),
              its first 16 bytes

The MAC covers the GameServer's full name, so a ticket for one GameServer is refused by every
other; the tag only lets the refusal say so. A ticket for an 8-character id is 58 characters, the
longest (a 128-character id) 218: it fits in one JOIN datagram.

    >>> secret = b"s" * 32
    >>> t = issue_ticket(secret, "gs-1", "alice", expires_in=60, now=1_700_000_000)
    >>> verify_ticket(secret, t, "gs-1", now=1_700_000_030)
    'alice'
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import heapq
import hmac
import os
import re
import struct
import time
from dataclasses import dataclass
from pathlib import Path

from ._errors import AgonesError

__all__ = [
    "MAX_TICKET_LENGTH",
    "MIN_SECRET_BYTES",
    "ExpiredTicketError",
    "ForeignTicketError",
    "MalformedTicketError",
    "ReplayGuard",
    "ReplayedTicketError",
    "SecretError",
    "Ticket",
    "TicketError",
    "TicketSignatureError",
    "issue_ticket",
    "read_secret",
    "read_ticket",
    "verify_ticket",
]

MIN_SECRET_BYTES = 32
"""The shortest shared secret accepted (256 bits)."""

MAX_TICKET_LENGTH = 256
"""Longer text is refused before any decoding (the longest valid ticket is 218 characters)."""

_PREFIX = "v1."
_HEAD = struct.Struct(">I8s4s")  # expires_at, nonce, GameServer tag
_MAC_BYTES = 16
_DOMAIN = b"aioagones join ticket v1\n"
_B64 = re.compile(r"[A-Za-z0-9_-]+")
_PLAYER_ID = re.compile(rb"[\x21-\x2b\x2d-\x7e]{1,128}")  # printable ASCII, no space, no comma


class TicketError(AgonesError, ValueError):
    """A ticket (or the secret behind tickets) that cannot be used; `reason` is short, for the wire."""

    reason = "bad ticket"

    def __init__(self, message: str) -> None:
        super().__init__(message)


class MalformedTicketError(TicketError):
    """Not a ticket of a version this library reads."""

    reason = "bad ticket"


class TicketSignatureError(TicketError):
    """The MAC does not match: forged, altered, or signed with another secret."""

    reason = "bad ticket"


class ForeignTicketError(TicketError):
    """Issued for another GameServer."""

    reason = "wrong server"


class ExpiredTicketError(TicketError):
    """Past its expiry."""

    reason = "ticket expired"


class ReplayedTicketError(TicketError):
    """Used already: each ticket admits once."""

    reason = "ticket used"


class SecretError(TicketError):
    """The shared secret is missing, unreadable or too short."""

    reason = "no secret"


@dataclass(frozen=True, slots=True)
class Ticket:
    """A verified ticket's contents."""

    player_id: str
    expires_at: int
    nonce: bytes


def _check_secret(secret: bytes) -> bytes:
    if not isinstance(secret, bytes) or len(secret) < MIN_SECRET_BYTES:
        raise SecretError(
            f"the join secret must be at least {MIN_SECRET_BYTES} bytes (make one with: openssl rand -base64 48)"
        )
    return secret


def read_secret(path: str | os.PathLike[str]) -> bytes:
    """The shared secret in the file at `path`, less one trailing line ending.

    Only a final `\n` (or `\r\n`), as an editor or `echo` leaves it, is dropped: a secret of random
    bytes may begin or end with bytes that look like white space, and must stay whole.

    Raises:
        SecretError: the file cannot be read, or holds fewer than `MIN_SECRET_BYTES` bytes.
    """
    try:
        secret = Path(path).read_bytes().removesuffix(b"\n").removesuffix(b"\r")
    except OSError as exc:
        raise SecretError(f"cannot read the join secret file {os.fspath(path)!r}: {exc.strerror or exc}") from None
    try:
        return _check_secret(secret)
    except SecretError as exc:
        raise SecretError(f"{os.fspath(path)!r}: {exc}") from None


def _tag(game_server: str) -> bytes:
    return hashlib.sha256(game_server.encode()).digest()[:4]


def _mac(secret: bytes, game_server: str, payload: bytes) -> bytes:
    message = _DOMAIN + game_server.encode() + b"\n" + payload
    return hmac.new(secret, message, hashlib.sha256).digest()[:_MAC_BYTES]


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    if not _B64.fullmatch(text):
        raise MalformedTicketError("a ticket part is not base64url")
    try:
        data = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError):
        raise MalformedTicketError("a ticket part is not base64url") from None
    if _b64(data) != text:  # unused low bits set: one ticket, one spelling
        raise MalformedTicketError("a ticket part is not canonical base64url")
    return data


def issue_ticket(
    secret: bytes,
    game_server: str,
    player_id: str,
    *,
    expires_in: float | None = None,
    expires_at: float | None = None,
    now: float | None = None,
) -> str:
    """A ticket admitting `player_id` to the GameServer named `game_server`, once, until it expires.

    Args:
        secret: the shared secret (at least `MIN_SECRET_BYTES` bytes).
        game_server: the allocated GameServer's name (`Allocation.game_server_name`).
        player_id: the id the player will JOIN as (1-128 printable ASCII, no space or comma).
        expires_in: seconds from `now` (give this or `expires_at`).
        expires_at: Unix seconds.
        now: Unix seconds (default: the clock).

    Raises:
        SecretError: the secret is too short.
        ValueError: a bad player id or expiry.
    """
    _check_secret(secret)
    if (expires_in is None) == (expires_at is None):
        raise ValueError("give expires_in or expires_at, not both")
    raw_id = player_id.encode("ascii", "replace")
    if not _PLAYER_ID.fullmatch(raw_id) or raw_id.decode() != player_id:
        raise ValueError(f"bad player id {player_id!r}: 1-128 printable ASCII characters, no space or comma")
    if not game_server:
        raise ValueError("the GameServer name is empty")
    now = time.time() if now is None else now
    at = int(now + expires_in) if expires_in is not None else int(expires_at)  # type: ignore[arg-type]
    if not now < at < 2**32:
        raise ValueError("the expiry must be in the future (and before 2106)")
    payload = _HEAD.pack(at, os.urandom(8), _tag(game_server)) + raw_id
    return _PREFIX + _b64(payload) + "." + _b64(_mac(secret, game_server, payload))


def read_ticket(secret: bytes, ticket: str | bytes, game_server: str, *, now: float | None = None) -> Ticket:
    """Check a ticket for this GameServer and return what it says; not single use by itself (`ReplayGuard`).

    Raises only `TicketError` subclasses, whatever `ticket` holds: `MalformedTicketError`,
    `ForeignTicketError`, `TicketSignatureError`, `ExpiredTicketError` (checked in that order;
    the MAC is compared in constant time), and `SecretError` for a short secret.
    """
    _check_secret(secret)
    if isinstance(ticket, bytes):
        if len(ticket) > MAX_TICKET_LENGTH or not ticket.isascii():
            raise MalformedTicketError("not a ticket")
        ticket = ticket.decode("ascii")
    if not isinstance(ticket, str) or len(ticket) > MAX_TICKET_LENGTH or not ticket.startswith(_PREFIX):
        raise MalformedTicketError("not a version 1 ticket")
    parts = ticket[len(_PREFIX) :].split(".")
    if len(parts) != 2:
        raise MalformedTicketError("a ticket has two parts after its version")
    payload, mac = _unb64(parts[0]), _unb64(parts[1])
    if len(payload) <= _HEAD.size or len(mac) != _MAC_BYTES or not _PLAYER_ID.fullmatch(payload[_HEAD.size :]):
        raise MalformedTicketError("a ticket part has the wrong length or content")
    expires_at, nonce, tag = _HEAD.unpack_from(payload)
    if not hmac.compare_digest(tag, _tag(game_server)):
        raise ForeignTicketError("the ticket is for another GameServer")
    if not hmac.compare_digest(mac, _mac(secret, game_server, payload)):
        raise TicketSignatureError("the ticket's MAC does not match")
    if (time.time() if now is None else now) >= expires_at:
        raise ExpiredTicketError("the ticket has expired")
    return Ticket(payload[_HEAD.size :].decode("ascii"), expires_at, nonce)


def verify_ticket(secret: bytes, ticket: str | bytes, game_server: str, *, now: float | None = None) -> str:
    """The player id a valid ticket for this GameServer admits (see `read_ticket` for what it raises)."""
    return read_ticket(secret, ticket, game_server, now=now).player_id


class ReplayGuard:
    """Remembers the nonces of used tickets until they expire, so each ticket admits once.

    Args:
        limit: most nonces remembered; beyond it the one expiring soonest is forgotten first
            (a ticket's life should be short: seconds to minutes).
    """

    def __init__(self, limit: int = 100_000) -> None:
        self._limit = limit
        self._seen: set[bytes] = set()
        self._expiry: list[tuple[int, bytes]] = []

    def __len__(self) -> int:
        return len(self._seen)

    def use(self, ticket: Ticket, *, now: float | None = None) -> None:
        """Mark `ticket` used.

        Raises:
            ReplayedTicketError: it was used before.
        """
        now = time.time() if now is None else now
        while self._expiry and (self._expiry[0][0] <= now or len(self._expiry) >= self._limit):
            self._seen.discard(heapq.heappop(self._expiry)[1])
        if ticket.nonce in self._seen:
            raise ReplayedTicketError("the ticket was used already")
        self._seen.add(ticket.nonce)
        heapq.heappush(self._expiry, (ticket.expires_at, ticket.nonce))
