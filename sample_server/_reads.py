"""Public reads answered from the watched GameServer instead of a sidecar call each.

Anyone may send `GAMESERVER`, `PLAYER_COUNT`, `PLAYER_CAPACITY` (bare), `GET_COUNTER_COUNT`,
`GET_COUNTER_CAPACITY`, `GET_LIST_CAPACITY` and `GET_LIST_LENGTH`. Each used to cost a call to the
sidecar, so a flood of them from the internet loaded the sidecar and could make its calls time out
(which the metrics then showed as a sidecar outage). The server watches its GameServer anyway:
`public_reply` answers from the latest copy, with the very replies (and failure texts) the sidecar
path gives, so they stay wire-compatible with simple-game-server's. The copy is as fresh as the
watch, like a GameServer's status in Kubernetes; a peer with the admin token still reads through
the sidecar. Pure: no I/O.
"""

from __future__ import annotations

from collections.abc import Callable

from aioagones import GameServer

from . import _replies as r
from ._entry import Call

_MISSING = r.error("-1")  # upstream's fixed failure text for every one of these


def _counter(gs: GameServer, call: Call, pick: Callable[[int, int], int], reply: Callable[[int], bytes]) -> bytes:
    counter = gs.status.counters.get(call.args[0])
    return _MISSING if counter is None else reply(pick(counter.count, counter.capacity))


def _list(gs: GameServer, call: Call, reply: Callable[[int], bytes], *, length: bool) -> bytes:
    values = gs.status.lists.get(call.args[0])
    if values is None:
        return _MISSING
    return reply(len(values.values) if length else values.capacity)


def _players(gs: GameServer, *, capacity: bool) -> bytes:
    players = gs.status.players
    if players is None:
        return r.int_reply(0)  # what the sidecar answers without player tracking
    return r.int_reply(players.capacity if capacity else players.count)


_READS: dict[str, Callable[[GameServer, Call], bytes]] = {
    "GAMESERVER": lambda gs, call: r.name_reply(gs.object_meta.name),
    "PLAYER_COUNT": lambda gs, call: _players(gs, capacity=False),
    "PLAYER_CAPACITY": lambda gs, call: _players(gs, capacity=True),
    "GET_COUNTER_COUNT": lambda gs, call: _counter(gs, call, lambda n, cap: n, r.counter_reply),
    "GET_COUNTER_CAPACITY": lambda gs, call: _counter(gs, call, lambda n, cap: cap, r.capacity_reply),
    "GET_LIST_CAPACITY": lambda gs, call: _list(gs, call, r.capacity_reply, length=False),
    "GET_LIST_LENGTH": lambda gs, call: _list(gs, call, r.length_reply, length=True),
}

PUBLIC_READS = frozenset(_READS)
"""The command words `public_reply` answers."""


def is_public_read(call: Call) -> bool:
    """Whether `call` is a read anyone may send (`PLAYER_CAPACITY` only without an argument)."""
    return call.word in _READS and (call.word != "PLAYER_CAPACITY" or not call.args)


def public_reply(call: Call, gs: GameServer) -> bytes:
    """The reply to a public read (`is_public_read`), from the GameServer `gs`."""
    return _READS[call.word](gs, call)
