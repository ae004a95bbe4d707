"""The command table: every rule of one command word in one entry.

An entry says who may send the command, how many arguments it takes (and upstream's error text
when the count is wrong), how its typed arguments parse, what it does (an SDK call, or an action
the server takes itself), how the result is written back and what a failed call replies. The
parser (`_requests`) and the dispatcher (`_dispatch`) are lookups in `COMMANDS`: adding a command
is one entry here and one row in the tests.

No I/O and no import of the SDK at run time (the load client imports the wire format): the SDK
calls are written against the `AgonesLike` protocol, which only the type checker sees.
"""

from __future__ import annotations

import enum
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from . import _replies as r
from ._go import go_format_utc, go_parse_duration, go_parse_int

if TYPE_CHECKING:
    from ._commands import AgonesLike
    from ._requests import Call


class Access(enum.Enum):
    """Who may send a command."""

    ANYONE = "anyone"
    JOINED = "joined"  # acts for a joined sender only; anyone else gets the plain echo
    ADMIN = "admin"  # needs the admin token (or --insecure-admin)


class Local(enum.Enum):
    """Commands the server carries out itself rather than through one SDK call."""

    JOIN = "join"
    LEAVE = "leave"
    EXIT = "exit"
    CRASH = "crash"
    UNHEALTHY = "unhealthy"
    WATCH = "watch"


class BadArgument(ValueError):
    """An argument that does not parse; `reply` is the whole reply, in upstream's words."""

    def __init__(self, reply: bytes) -> None:
        super().__init__(reply)
        self.reply = reply


@dataclass(frozen=True, slots=True)
class Arity:
    """How many arguments are allowed, and the error text (`{word}` filled in) when not."""

    allowed: Callable[[int], bool]
    text: str


def _should_have(n: int) -> str:
    return "Invalid {word}, should have " + ("1 argument" if n == 1 else f"{n} arguments")


def exactly(n: int) -> Arity:
    """Exactly `n` arguments, in upstream's words."""
    return Arity(lambda k: k == n, _should_have(n))


def at_least(n: int) -> Arity:
    """`n` arguments or more (upstream ignores the rest)."""
    return Arity(lambda k: k >= n, _should_have(n))


@dataclass(frozen=True, slots=True)
class Arg:
    """A typed argument: the word at `position` (1 = first argument), parsed into a `Call` field."""

    position: int
    into: Literal["number", "seconds"]
    parse: Callable[[bytes], int | float]
    default: int | None = None


def _go_int(func: str, *, positive: bool = False) -> Callable[[bytes], int]:
    def parse(data: bytes) -> int:
        try:
            value = go_parse_int(data, func)
        except ValueError as exc:
            raise BadArgument(r.error(str(exc).encode("utf-8", "surrogateescape"))) from None
        if positive and value < 0:
            raise BadArgument(r.error(f"amount must be a positive int64, found {value}"))
        return value

    return parse


def _duration(data: bytes) -> float:
    try:
        nanos = go_parse_duration(data)
    except ValueError as exc:
        # upstream logs and replies with the error, which Go prints with a newline of its own
        raise BadArgument(r.error(str(exc).encode("utf-8", "surrogateescape")) + b"\n") from None
    if nanos < 0:
        raise BadArgument(b"ERROR: Invalid RESERVE, duration must not be negative\n")
    return nanos / 1e9


def _exit_code(data: bytes) -> int:
    return int(data) if data.isdigit() and len(data) <= 3 and int(data) <= 255 else 1


Run = Callable[["AgonesLike", "Call", Callable[[], int]], Awaitable[Any]]
"""An SDK call: (sdk, the call, the wall clock in Unix ns) -> the result the reply formats."""


@dataclass(frozen=True, slots=True)
class Command:
    """One command word and everything about it.

    Attributes:
        word: the command word.
        access: who may send it.
        bare_access: who may send it with no arguments, when that differs (`PLAYER_CAPACITY`).
        arity: the allowed argument counts; None: any.
        args: typed arguments.
        run: the SDK call, or None.
        reply: the result to reply bytes (None from it, or no `reply`: the ACK of the text).
        failure: the reply text when the call fails, from the call (None: the error's own text).
        local: what the server does itself instead of `run`.
    """

    word: str
    access: Access = Access.ADMIN
    bare_access: Access | None = None
    arity: Arity | None = None
    args: tuple[Arg, ...] = ()
    run: Run | None = None
    reply: Callable[[Any], bytes | None] | None = None
    failure: Callable[[Call, Exception], str] | None = None
    local: Local | None = None

    def access_for(self, nargs: int) -> Access:
        """Who may send it with `nargs` arguments."""
        return self.bare_access if nargs == 0 and self.bare_access is not None else self.access


def fixed(text: str) -> Callable[[Call, Exception], str]:
    """A failure whose reply upstream fixes (`ERROR: -1`) whatever went wrong."""
    return lambda call, exc: text


def wrapped(template: str) -> Callable[[Call, Exception], str]:
    """A failure upstream wraps around Go's gRPC error text; `{0}` is the first argument, `{n}` the number."""
    return lambda call, exc: template.format(*call.args, n=call.number) + ": " + go_rpc_text(exc)


def go_rpc_text(exc: Exception) -> str:
    """How Go's gRPC prints a status error (`rpc error: code = Unknown desc = ...`), as upstream shows it."""
    code = getattr(exc, "code", None)
    if code is None:
        return str(exc)
    message = str(exc)
    details = message.split(": ", 1)[1] if ": " in message else message  # drop our "Method: " prefix
    name = code.name
    go_name = "Canceled" if name == "CANCELLED" else "".join(w.capitalize() for w in name.split("_"))
    return f"rpc error: code = {go_name} desc = {details}"


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
_AMOUNT = Arg(2, "number", _go_int("ParseInt"))
_POSITIVE = Arg(2, "number", _go_int("ParseInt", positive=True))
_ANY = Access.ANYONE

_ENTRIES = [
    Command("JOIN", _ANY, local=Local.JOIN),
    Command("LEAVE", Access.JOINED, local=Local.LEAVE),
    Command("EXIT", local=Local.EXIT),
    Command("CRASH", args=(Arg(1, "number", _exit_code, default=1),), local=Local.CRASH),
    Command("UNHEALTHY", local=Local.UNHEALTHY),
    Command("WATCH", local=Local.WATCH),
    Command("READY", run=lambda sdk, c, w: sdk.ready()),
    Command("ALLOCATE", run=lambda sdk, c, w: sdk.allocate()),
    Command(
        "RESERVE", arity=exactly(1), args=(Arg(1, "seconds", _duration),), run=lambda s, c, w: s.reserve(_seconds(c))
    ),
    Command(
        "LABEL", arity=Arity(lambda k: k in (0, 2), "Invalid {word} command, must use zero or 2 arguments"), run=_label
    ),
    Command(
        "ANNOTATION",
        arity=Arity(lambda k: k in (0, 2), "Invalid {word} command, must use zero or 2 arguments"),
        run=_annotation,
    ),
    Command(
        "GAMESERVER",
        _ANY,
        run=lambda sdk, c, w: sdk.get_game_server(),
        reply=lambda gs: r.name_reply(gs.object_meta.name),
    ),
    Command(
        "PLAYER_CAPACITY",
        bare_access=_ANY,
        arity=Arity(lambda k: k <= 1, "Invalid {word}, should have 0 or 1 arguments"),
        args=(Arg(1, "number", _go_int("Atoi")),),
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
