"""The dispatcher: one request in, "reply now" or "reply later" out, for UDP and TCP alike.

`Dispatcher.dispatch` runs a call's SDK call by its table entry (through `execute`) or, for the
commands the server carries out itself (JOIN, LEAVE, EXIT, CRASH, UNHEALTHY, WATCH), does it
here. What needs the sidecar comes back as `Later`: the transport runs it (bounded) and sends its
result. JOIN and LEAVE of one player are strictly ordered by `Sessions` (a second one while the
first is in flight is `ERROR: busy`), and the sidecar is told before the reply, so a slot is free
again once a LEAVE is acknowledged. A JOIN passes `Admission` (cookie, ticket, share) before any
state is kept; over a stream (TCP) the connection is the proof of address and the session.
"""

from __future__ import annotations

import hmac
import logging
import time
from collections.abc import Awaitable, Callable, Coroutine, Hashable
from dataclasses import dataclass
from typing import Any, Protocol

from aioagones import (
    AgonesError,
    GameServer,
    NotFoundError,
    OutOfRangeError,
    SidecarTimeoutError,
    SidecarUnavailableError,
)
from aioagones._constants import format_host_port

from ._admission import Admission
from ._agones_like import AgonesLike
from ._entry import Call, Local
from ._execute import execute
from ._limits import SourceBuckets
from ._metrics import Metrics
from ._players import PlayerTracker
from ._reads import is_public_read, public_reply
from ._replies import SHUTDOWN_NOTICE
from ._requests import Echo, Join, Leave, Reply, Request
from ._sessions import JoinResult, Session, Sessions

log = logging.getLogger(__name__)

Ack = Callable[[bytes], bytes]

REFUSAL_BURST = 10
"""Refusals (`ERROR: admin only`) a source gets answered at once; beyond that, `REFUSALS_PER_SECOND`."""

REFUSALS_PER_SECOND = 1.0
"""How fast a source's refusal budget comes back; refusals beyond it get no reply."""

PUBLIC_READ_BURST = 20
"""Public reads (`GAMESERVER`, `GET_COUNTER_COUNT` ...) a source gets answered at once."""

PUBLIC_READS_PER_SECOND = 10.0
"""How fast a source's public-read budget comes back; reads beyond it get no reply."""


@dataclass(frozen=True, slots=True)
class Later:
    """The reply comes once `work` is done (None then: no reply).

    `bounded`: a command call, of which only so many may be in flight; JOIN and LEAVE work is
    bounded by the capacity already (a slot or a session each).
    """

    work: Coroutine[Any, Any, bytes | None]
    bounded: bool = True


Outcome = bytes | None | Later
"""What a request gets: the reply now, no reply, or a reply later."""


class Host(Protocol):
    """What the dispatcher asks of the server around it."""

    def now(self) -> float:
        """Monotonic seconds."""
        ...

    def send_to(self, peer: Hashable, data: bytes) -> None:
        """Send a notice to a peer outside a reply (UDP or TCP)."""
        ...

    def players_changed(self) -> None:
        """The joined players changed: metrics, lifecycle, timers."""
        ...

    def exit(self) -> None:
        """`EXIT`: shut down and stop."""
        ...

    def crash(self, code: int) -> None:
        """`CRASH [code]`: exit at once."""
        ...

    def watch(self) -> None:
        """`WATCH`: log every GameServer change."""
        ...


def sidecar_answered(metrics: Metrics, exc: BaseException | None) -> None:
    """Record whether the sidecar is up from the outcome of one call to it."""
    metrics.sidecar_up = 0 if isinstance(exc, SidecarUnavailableError | SidecarTimeoutError) else 1


async def logged_call(metrics: Metrics, call: Awaitable[None], done: str, failed: str) -> None:
    """Make a call the server makes of its own accord (Ready, Shutdown); log how it went."""
    try:
        await call
    except AgonesError as exc:
        sidecar_answered(metrics, exc)
        log.error("%s: %s", failed, exc)
    else:
        sidecar_answered(metrics, None)
        log.info("%s", done)


class Dispatcher:
    """Carries out requests against the sessions, the player tracker and the SDK."""

    def __init__(
        self,
        sdk: AgonesLike,
        sessions: Sessions,
        tracker: PlayerTracker,
        metrics: Metrics,
        host: Host,
        wall_ns: Callable[[], int] = time.time_ns,
        admission: Admission | None = None,
    ) -> None:
        self.sdk = sdk
        self.admission = admission or Admission()
        self.sessions = sessions
        self.tracker = tracker
        self.metrics = metrics
        self._host = host
        self._wall_ns = wall_ns
        self.refusals = SourceBuckets(REFUSALS_PER_SECOND, REFUSAL_BURST)
        self.reads = SourceBuckets(PUBLIC_READS_PER_SECOND, PUBLIC_READ_BURST)
        self.game_server = GameServer()
        """The latest GameServer from the watch: public reads are answered from it."""
        self.cached_reads = True
        """False (--insecure-admin, upstream's way): public reads call the sidecar, like every command."""

    def dispatch(self, req: Request, peer: Hashable, now: float, ack: Ack, *, stream: bool = False) -> Outcome:
        """What to answer `req` from `peer`; `ack` formats an ACK; `stream`: a TCP connection."""
        if isinstance(req, Echo):
            return ack(req.text)
        if isinstance(req, Reply):
            if req.refused:
                if not self.refusals.take(peer, now):
                    self.metrics.refusals_throttled += 1  # a guesser learns nothing more, and costs no reply
                    return None
                self.metrics.refused += 1
            return req.data
        if isinstance(req, Join):
            return self._join(req, peer, now, ack, stream)
        if isinstance(req, Leave):
            return self._leave(req, peer, ack, stream)
        return self._call(req, peer, now, ack)

    # ------------------------------------------------------------------ players

    def _join(self, req: Join, peer: Hashable, now: float, ack: Ack, stream: bool) -> Outcome:
        admission = self.admission
        if not stream and not admission.cookie_ok(peer, req.cookie, now):
            self.metrics.join_cookies += 1
            return b"RETRY " + admission.cookie(peer, now) + b"\n"
        ticket = None
        if admission.tickets:
            checked = admission.check_ticket(req.ticket, req.player_id, self._wall_ns() / 1e9)
            if isinstance(checked, bytes):
                self.metrics.tickets_refused += 1
                return checked
            ticket = checked
        decision = self.sessions.begin_join(peer, req.player_id, now)
        if decision is JoinResult.NEW:
            refused = None if ticket is None else admission.use(ticket, self._wall_ns() / 1e9)
            if refused is not None:
                self.sessions.finish_join(peer, False, now)
                self.metrics.tickets_refused += 1
                return refused
            return Later(self._finish_join(req, peer, ack, stream, vouched=ticket is not None), bounded=False)
        if decision is JoinResult.ALREADY:  # a JOIN whose reply was lost: the same reply again
            return self._joined(req, self.sessions.by_address[peer], ack, stream)
        return {
            JoinResult.FULL: b"ERROR: server full\n",
            JoinResult.ID_IN_USE: b"ERROR: id in use\n",
            JoinResult.CLOSED: b"ERROR: shutting down\n",
            JoinResult.BUSY: b"ERROR: busy\n",
            JoinResult.SOURCE_FULL: b"ERROR: address full\n",
        }[decision]

    @staticmethod
    def _joined(req: Join, session: Session, ack: Ack, stream: bool) -> bytes:
        """The JOIN's ACK: over UDP `ACK: JOIN <id> <session-secret>`, over TCP the line's echo."""
        return ack(req.text) if stream else ack(b"JOIN " + session.player_id.encode() + b" " + session.secret)

    def _leave(self, req: Leave, peer: Hashable, ack: Ack, stream: bool) -> Outcome:
        current = self.sessions.by_address.get(peer)
        if current is None:
            return ack(req.text)  # not a player: the upstream echo
        if not stream and (req.secret is None or not hmac.compare_digest(req.secret, current.secret)):
            self.metrics.refused += 1
            return b"ERROR: bad session\n"
        session = self.sessions.leave(peer)
        assert session is current
        self.metrics.player_leaves += 1
        log.info("player %s left", session.player_id)
        self._host.players_changed()
        return Later(self._reply_after_leave(session, ack(req.text if stream else b"LEAVE")), bounded=False)

    async def _finish_join(self, req: Join, peer: Hashable, ack: Ack, stream: bool, *, vouched: bool) -> bytes:
        ok, reply = False, b"ERROR: join failed\n"
        try:
            added = await self.tracker.join(req.player_id)
            sidecar_answered(self.metrics, None)
            # a listed ID (a slot an allocator reserved) may be claimed once, or whenever a ticket vouches
            ok = added or vouched or self.sessions.claim(req.player_id)
            if not ok:
                reply = b"ERROR: id in use\n"
        except OutOfRangeError as exc:
            sidecar_answered(self.metrics, exc)
            reply = b"ERROR: server full\n"
        except AgonesError as exc:
            sidecar_answered(self.metrics, exc)
            log.warning("could not record player %s with Agones: %s", req.player_id, exc)
        finally:
            session = self.sessions.finish_join(peer, ok, self._host.now(), self.admission.session_secret())
        if session is None:
            return reply
        self.metrics.player_joins += 1
        log.info("player %s joined from %s", req.player_id, peer_text(peer))
        self._host.players_changed()
        if self.sessions.closed:
            self._host.send_to(peer, SHUTDOWN_NOTICE)
        return self._joined(req, session, ack, stream)

    async def _reply_after_leave(self, session: Session, reply: bytes) -> bytes:
        await self.tell_leave(session)  # reply once Agones knows, so the slot is free for the next
        return reply

    async def tell_leave(self, session: Session) -> None:
        """Tell Agones a player left, then free the player's ID and address."""
        try:
            await self.tracker.leave(session.player_id)
            sidecar_answered(self.metrics, None)
        except NotFoundError:
            pass
        except AgonesError as exc:
            sidecar_answered(self.metrics, exc)
            log.warning("could not tell Agones that player %s left: %s", session.player_id, exc)
        finally:
            self.sessions.finish_leave(session)

    # ------------------------------------------------------------------ commands

    def _call(self, call: Call, peer: Hashable, now: float, ack: Ack) -> Outcome:
        if self.cached_reads and not call.trusted and is_public_read(call):
            # no sidecar call for the public: a flood of reads cannot load it or time it out
            if not self.reads.take(peer, now):
                self.metrics.reads_throttled += 1
                return None
            return public_reply(call, self.game_server)
        local = call.command.local
        if local is Local.EXIT:
            if not call.args:  # upstream exits only on exactly "EXIT"
                self._host.exit()
            return ack(call.text)
        if local is Local.CRASH:
            self._host.crash(call.number if call.number is not None else 1)
            return None
        if local is Local.UNHEALTHY:
            log.warning("UNHEALTHY received: health pings stop")
            self.sdk.pause_health()
            return ack(call.text)
        if local is Local.WATCH:
            self._host.watch()
            return ack(call.text)
        return Later(self._run(call, ack))

    async def _run(self, call: Call, ack: Ack) -> bytes:
        started = time.perf_counter()
        reply = await execute(self.sdk, call, wall_ns=self._wall_ns, observe=self._observe)
        self.metrics.sidecar_reply_seconds.observe(time.perf_counter() - started)
        if reply is None:
            return ack(call.text)
        if reply.startswith(b"ERROR: "):
            self.metrics.command_errors += 1
        return reply

    def _observe(self, exc: BaseException | None) -> None:
        sidecar_answered(self.metrics, exc)


def peer_text(peer: Any) -> str:
    """A peer as a log line shows it: `[::1]:5000`, `1.2.3.4:5000`, `tcp [::1]:5000`."""
    if isinstance(peer, tuple) and len(peer) >= 2:
        if peer[0] == "tcp":
            return "tcp " + show_address(peer[1:])
        return show_address(peer)
    return str(peer)


def show_address(sockname: Any) -> str:
    """`host:port`, with brackets around an IPv6 host."""
    return format_host_port(sockname[0], sockname[1])
