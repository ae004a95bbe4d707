"""Who may hold a player slot: proof of address, the matchmaker's ticket, and per-source shares.

Strategy, in the order a UDP `JOIN` meets it (pure code; both clocks are passed in):

1. **Proof of address before state.** A JOIN without a valid cookie gets `RETRY <cookie>`, where
   the cookie is a MAC (a key made at start) of the source address and a 10-second time bucket,
   as DTLS's cookie and QUIC's retry token: nothing is stored, so spoofed JOINs cost one MAC and
   a 19-byte reply to the spoofed address. The peer repeats the JOIN with the cookie appended;
   a cookie is good in its bucket and the next. TCP needs none: the handshake proved the address.
2. **The ticket** (with `--join-secret-file`): `aioagones.tickets`, bound to this GameServer,
   the JOIN's player id and an expiry; used once (`ReplayGuard`).
3. **Shares**: at most `per_ip` sessions per source IP and `per_64` per IPv6 /64 (`Sessions`
   counts them with the keys of `sources`).

The session a JOIN opens gets a random secret, sent in the JOIN's reply; `LEAVE` must carry it,
and only datagrams carrying it refresh the session's idle timer or lift the reply-size limit.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import ipaddress
import os
from collections.abc import Hashable

from aioagones.tickets import ReplayedTicketError, ReplayGuard, Ticket, TicketError, read_ticket

COOKIE_PERIOD = 10.0
"""Seconds per cookie time bucket; a cookie is accepted in its bucket and the next."""

_COOKIE_BYTES = 9  # 72 bits, 12 base64url characters: RETRY fits the amplification limit of "JOIN a"
_SECRET_BYTES = 9


def _b64(data: bytes) -> bytes:
    return base64.urlsafe_b64encode(data)


def host_of(peer: Hashable) -> str:
    """The IP address of a UDP address tuple or a TCP peer `("tcp", host, port, ...)`."""
    if isinstance(peer, tuple) and peer:
        return str(peer[1] if peer[0] == "tcp" else peer[0])
    return str(peer)


class Admission:
    """Cookies, tickets and per-source limits for one server.

    Args:
        join_secret: the matchmaker's shared secret; None admits any player id (no ticket).
        per_ip: most sessions per source IP (0: no limit).
        per_64: most sessions per IPv6 /64 (0: no limit).
        key: the cookie key (default: random, made now).
    """

    def __init__(
        self, join_secret: bytes | None = None, *, per_ip: int = 0, per_64: int = 0, key: bytes | None = None
    ) -> None:
        self.join_secret = join_secret
        self.game_server = ""
        self.per_ip = per_ip
        self.per_64 = per_64
        self.guard = ReplayGuard()
        self._key = key or os.urandom(32)

    @property
    def tickets(self) -> bool:
        """Whether a JOIN needs a ticket."""
        return self.join_secret is not None

    # ------------------------------------------------------------------ cookies

    def _cookie_at(self, peer: Hashable, bucket: int) -> bytes:
        port = peer[1] if isinstance(peer, tuple) and len(peer) > 1 else 0
        message = b"%d|%s|%d" % (bucket, host_of(peer).encode(), port)
        return _b64(hmac.new(self._key, message, hashlib.sha256).digest()[:_COOKIE_BYTES])

    def cookie(self, peer: Hashable, now: float) -> bytes:
        """The cookie `peer` must echo in its JOIN (now: monotonic seconds)."""
        return self._cookie_at(peer, int(now // COOKIE_PERIOD))

    def cookie_ok(self, peer: Hashable, cookie: bytes | None, now: float) -> bool:
        """Whether `cookie` is the one given to `peer` in this bucket or the one before."""
        if cookie is None or len(cookie) != 4 * _COOKIE_BYTES // 3:
            return False
        bucket = int(now // COOKIE_PERIOD)
        return hmac.compare_digest(cookie, self._cookie_at(peer, bucket)) or hmac.compare_digest(
            cookie, self._cookie_at(peer, bucket - 1)
        )

    # ------------------------------------------------------------------ tickets

    def check_ticket(self, ticket: bytes | None, player_id: str, wall: float) -> Ticket | bytes:
        """The verified ticket, or the short error reply (`ERROR: ...`) that refuses it."""
        if self.join_secret is None:
            raise RuntimeError("no join secret: there is no ticket to check")
        if ticket is None:
            return b"ERROR: ticket needed\n"
        try:
            read = read_ticket(self.join_secret, ticket, self.game_server, now=wall)
        except TicketError as exc:
            return b"ERROR: " + exc.reason.encode() + b"\n"
        if not hmac.compare_digest(read.player_id.encode(), player_id.encode()):
            return b"ERROR: wrong player\n"
        return read

    def use(self, ticket: Ticket, wall: float) -> bytes | None:
        """Spend the ticket; None, or the error reply when it was spent before."""
        try:
            self.guard.use(ticket, now=wall)
        except ReplayedTicketError as exc:
            return b"ERROR: " + exc.reason.encode() + b"\n"
        return None

    # ------------------------------------------------------------------ sessions

    @staticmethod
    def session_secret() -> bytes:
        """A new session's secret: 12 base64url characters."""
        return _b64(os.urandom(_SECRET_BYTES))

    def sources(self, peer: Hashable) -> tuple[tuple[Hashable, int], ...]:
        """The share keys of `peer` with their limits: its IP, and for IPv6 its /64."""
        try:
            ip = ipaddress.ip_address(host_of(peer).split("%", 1)[0])
        except ValueError:
            return ()
        if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
            ip = ip.ipv4_mapped
        keys: list[tuple[Hashable, int]] = []
        if self.per_ip > 0:
            keys.append((ip, self.per_ip))
        if self.per_64 > 0 and isinstance(ip, ipaddress.IPv6Address):
            keys.append((ipaddress.IPv6Network((int(ip) >> 64 << 64, 64)), self.per_64))
        return tuple(keys)
