"""The command table: every rule of one command word in one entry.

An entry (`_entry.Command`) says who may send the command, how many arguments it takes (and
upstream's error text when the count is wrong), how its typed arguments parse, what it does (an
SDK call, or an action the server takes itself), how the result is written back and what a
failed call replies. The parser (`_requests`) looks a word up in `COMMANDS` once and hands the
entry on inside the `Call`: adding a command is one entry here and one row in the tests.

No I/O and no import of the SDK at run time (the load client imports the wire format): the SDK
calls are written against the `AgonesLike` protocol, which only the type checker sees.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING

from . import _replies as r
from ._entry import (
    Access,
    Arg,
    Arity,
    Call,
    Command,
    Local,
    at_least,
    duration,
    exactly,
    exit_code,
    fixed,
    go_int,
    wrapped,
)
from ._go import go_format_utc

if TYPE_CHECKING:
    from ._agones_like import AgonesLike


def _num(call: Call) -> int:
    assert call.number is not None  # the table parses it for every command that has one
    return call.number


def _seconds(call: Call) -> float:
    assert call.seconds is not None
    return call.seconds


async def _label(sdk: AgonesLike, call: Call, wall_ns: Callable[[], int]) -> None:
    if call.args:
        await sdk.set_label(call.args[0], call.args[1])
    else:
        await sdk.set_label("timestamp", str(wall_ns() // 1_000_000_000))


async def _annotation(sdk: AgonesLike, call: Call, wall_ns: Callable[[], int]) -> None:
    if call.args:
        await sdk.set_annotation(call.args[0], call.args[1])
    else:
        await sdk.set_annotation("timestamp", go_format_utc(wall_ns()))


async def _player_capacity(sdk: AgonesLike, call: Call, wall_ns: Callable[[], int]) -> int | None:
    if call.number is None:
        return await sdk.alpha.get_player_capacity()
    await sdk.alpha.set_player_capacity(call.number)
    return None


def _capacity_reply(result: int | None) -> bytes | None:
    return None if result is None else r.int_reply(result)  # None: it set the capacity, so the ACK


_ONE = at_least(1)
_TWO = at_least(2)
_AMOUNT = Arg(2, "number", go_int("ParseInt"))
_POSITIVE = Arg(2, "number", go_int("ParseInt", positive=True))
_ZERO_OR_TWO = Arity(lambda k: k in (0, 2), "Invalid {word} command, must use zero or 2 arguments", "0 or 2 args")
_ANY = Access.ANYONE

_ENTRIES = [
    Command("JOIN", _ANY, local=Local.JOIN),
    Command("LEAVE", Access.JOINED, local=Local.LEAVE),
    Command("EXIT", local=Local.EXIT),
    Command("CRASH", args=(Arg(1, "number", exit_code, default=1),), local=Local.CRASH),
    Command("UNHEALTHY", local=Local.UNHEALTHY),
    Command("WATCH", local=Local.WATCH),
    Command("READY", run=lambda sdk, c, w: sdk.ready()),
    Command("ALLOCATE", run=lambda sdk, c, w: sdk.allocate()),
    Command(
        "RESERVE", arity=exactly(1), args=(Arg(1, "seconds", duration),), run=lambda s, c, w: s.reserve(_seconds(c))
    ),
    Command("LABEL", arity=_ZERO_OR_TWO, run=_label),
    Command("ANNOTATION", arity=_ZERO_OR_TWO, run=_annotation),
    Command(
        "GAMESERVER",
        _ANY,
        run=lambda sdk, c, w: sdk.get_game_server(),
        reply=lambda gs: r.name_reply(gs.object_meta.name),
    ),
    Command(
        "PLAYER_CAPACITY",
        bare_access=_ANY,
        arity=Arity(lambda k: k <= 1, "Invalid {word}, should have 0 or 1 arguments", "0 or 1 arg"),
        args=(Arg(1, "number", go_int("Atoi")),),
        run=_player_capacity,
        reply=_capacity_reply,
    ),
    Command("PLAYER_CONNECT", arity=_ONE, run=lambda sdk, c, w: sdk.alpha.player_connect(c.args[0])),
    Command("PLAYER_DISCONNECT", arity=_ONE, run=lambda sdk, c, w: sdk.alpha.player_disconnect(c.args[0])),
    Command(
        "PLAYER_CONNECTED",
        arity=_ONE,
        run=lambda sdk, c, w: sdk.alpha.is_player_connected(c.args[0]),
        reply=r.bool_reply,
    ),
    Command("GET_PLAYERS", run=lambda sdk, c, w: sdk.alpha.get_connected_players(), reply=r.players_reply),
    Command("PLAYER_COUNT", _ANY, run=lambda sdk, c, w: sdk.alpha.get_player_count(), reply=r.int_reply),
    Command(
        "GET_COUNTER_COUNT",
        _ANY,
        arity=_ONE,
        run=lambda sdk, c, w: sdk.beta.get_counter_count(c.args[0]),
        reply=r.counter_reply,
        failure=fixed("-1"),
    ),
    Command(
        "INCREMENT_COUNTER",
        arity=_TWO,
        args=(_POSITIVE,),
        run=lambda sdk, c, w: sdk.beta.increment_counter(c.args[0], _num(c)),
        reply=lambda _: r.success_reply(),
        failure=wrapped("could not increment Counter {0} by amount {n}"),
    ),
    Command(
        "DECREMENT_COUNTER",
        arity=_TWO,
        args=(_POSITIVE,),
        run=lambda sdk, c, w: sdk.beta.decrement_counter(c.args[0], _num(c)),
        reply=lambda _: r.success_reply(),
        failure=wrapped("could not decrement Counter {0} by amount {n}"),
    ),
    Command(
        "SET_COUNTER_COUNT",
        arity=_TWO,
        args=(_AMOUNT,),
        run=lambda sdk, c, w: sdk.beta.set_counter_count(c.args[0], _num(c)),
        reply=lambda _: r.success_reply(),
        failure=wrapped("could not set Counter {0} count to amount {n}"),
    ),
    Command(
        "GET_COUNTER_CAPACITY",
        _ANY,
        arity=_ONE,
        run=lambda sdk, c, w: sdk.beta.get_counter_capacity(c.args[0]),
        reply=r.capacity_reply,
        failure=fixed("-1"),
    ),
    Command(
        "SET_COUNTER_CAPACITY",
        arity=_TWO,
        args=(_AMOUNT,),
        run=lambda sdk, c, w: sdk.beta.set_counter_capacity(c.args[0], _num(c)),
        reply=lambda _: r.success_reply(),
        failure=wrapped("could not set Counter {0} capacity to amount {n}"),
    ),
    Command(
        "GET_LIST_CAPACITY",
        _ANY,
        arity=_ONE,
        run=lambda sdk, c, w: sdk.beta.get_list_capacity(c.args[0]),
        reply=r.capacity_reply,
        failure=fixed("-1"),
    ),
    Command(
        "SET_LIST_CAPACITY",
        arity=_TWO,
        args=(_AMOUNT,),
        run=lambda sdk, c, w: sdk.beta.set_list_capacity(c.args[0], _num(c)),
        reply=lambda _: r.success_reply(),
        failure=wrapped("could not set List {0} capacity to amount {n}"),
    ),
    Command(
        "LIST_CONTAINS",
        arity=_TWO,
        run=lambda sdk, c, w: sdk.beta.list_contains(c.args[0], c.args[1]),
        reply=r.found_reply,
        failure=fixed("false"),
    ),
    Command(
        "GET_LIST_LENGTH",
        _ANY,
        arity=_ONE,
        run=lambda sdk, c, w: sdk.beta.get_list_length(c.args[0]),
        reply=r.length_reply,
        failure=fixed("-1"),
    ),
    Command(
        "GET_LIST_VALUES",
        arity=_ONE,
        run=lambda sdk, c, w: sdk.beta.get_list_values(c.args[0]),
        reply=r.values_reply,
        failure=fixed("INVALID LIST NAME"),
    ),
    Command(
        "APPEND_LIST_VALUE",
        arity=_TWO,
        run=lambda sdk, c, w: sdk.beta.append_list_value(c.args[0], c.args[1]),
        reply=lambda _: r.success_reply(),
        failure=wrapped("could not get List {0}"),
    ),
    Command(
        "DELETE_LIST_VALUE",
        arity=_TWO,
        run=lambda sdk, c, w: sdk.beta.delete_list_value(c.args[0], c.args[1]),
        reply=lambda _: r.success_reply(),
        failure=wrapped("could not get List {0}"),
    ),
]

COMMANDS: Mapping[bytes, Command] = {c.word.encode(): c for c in _ENTRIES}
"""Every command word (as bytes, as it arrives) to its entry."""
