"""Run a parsed command against the SDK and format its result as upstream does.

`execute` returns `ACKNOWLEDGED` when the reply is the `ACK` of the command text (the transport
formats it: `ACK: ...` over UDP, `ACK TCP: ...` over TCP), otherwise the reply bytes. A failed
call becomes an `ERROR:` line with the texts upstream uses; where upstream would crash the
process (a failed Ready, say), we answer `ERROR: <reason>` instead.

The server reaches the SDK only through `AgonesLike`, so tests can pass a fake.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Final, Protocol

from aioagones import AgonesError, GameServer

from . import protocol as p
from .protocol import Call

ACKNOWLEDGED: Final = b"ACK"
"""Returned by `execute` when the reply is the ACK of the command's text."""


class AlphaLike(Protocol):
    """The player-tracking calls the server uses (`sdk.alpha`)."""

    async def player_connect(self, player_id: str) -> bool: ...
    async def player_disconnect(self, player_id: str) -> bool: ...
    async def set_player_capacity(self, capacity: int) -> None: ...
    async def get_player_capacity(self) -> int: ...
    async def get_player_count(self) -> int: ...
    async def is_player_connected(self, player_id: str) -> bool: ...
    async def get_connected_players(self) -> list[str]: ...


class BetaLike(Protocol):
    """The counter and list calls the server uses (`sdk.beta`)."""

    async def get_counter_count(self, name: str) -> int: ...
    async def increment_counter(self, name: str, amount: int = 1) -> None: ...
    async def decrement_counter(self, name: str, amount: int = 1) -> None: ...
    async def set_counter_count(self, name: str, count: int) -> None: ...
    async def get_counter_capacity(self, name: str) -> int: ...
    async def set_counter_capacity(self, name: str, capacity: int) -> None: ...
    async def get_list_capacity(self, name: str) -> int: ...
    async def set_list_capacity(self, name: str, capacity: int) -> None: ...
    async def list_contains(self, name: str, value: str) -> bool: ...
    async def get_list_length(self, name: str) -> int: ...
    async def get_list_values(self, name: str) -> list[str]: ...
    async def append_list_value(self, name: str, value: str) -> None: ...
    async def delete_list_value(self, name: str, value: str) -> None: ...


class AgonesLike(Protocol):
    """The part of `aioagones.SDK` the sample server uses."""

    @property
    def alpha(self) -> AlphaLike: ...
    @property
    def beta(self) -> BetaLike: ...

    async def ready(self) -> None: ...
    async def allocate(self) -> None: ...
    async def shutdown(self) -> None: ...
    async def reserve(self, seconds: float) -> None: ...
    async def get_game_server(self) -> GameServer: ...
    def watch_game_server(self) -> AsyncIterator[GameServer]: ...
    async def set_label(self, key: str, value: str) -> None: ...
    async def set_annotation(self, key: str, value: str) -> None: ...
    def pause_health(self) -> None: ...


async def execute(sdk: AgonesLike, call: Call, *, wall_ns: Callable[[], int]) -> bytes:
    """Run `call` (not EXIT, CRASH, UNHEALTHY or WATCH: the server does those itself).

    Args:
        sdk: the SDK, or a fake.
        call: a validated command.
        wall_ns: the wall clock in Unix nanoseconds (for `LABEL`/`ANNOTATION` without arguments).

    Returns:
        `ACKNOWLEDGED`, or the reply bytes.
    """
    handler = _HANDLERS.get(call.word)
    if handler is None:
        return ACKNOWLEDGED
    try:
        return await handler(sdk, call, wall_ns)
    except AgonesError as exc:
        return p.error(_failure_text(call, exc))


def _failure_text(call: Call, exc: AgonesError) -> str:
    """Upstream's reply text for a failed call (the Go SDK's messages where upstream shows them)."""
    a = call.args
    fixed = {
        "GET_COUNTER_COUNT": "-1",
        "GET_COUNTER_CAPACITY": "-1",
        "GET_LIST_CAPACITY": "-1",
        "GET_LIST_LENGTH": "-1",
        "LIST_CONTAINS": "false",
        "GET_LIST_VALUES": "INVALID LIST NAME",
    }
    if call.word in fixed:
        return fixed[call.word]
    wrapped = {
        "INCREMENT_COUNTER": f"could not increment Counter {a[0]} by amount {call.number}",
        "DECREMENT_COUNTER": f"could not decrement Counter {a[0]} by amount {call.number}",
        "SET_COUNTER_COUNT": f"could not set Counter {a[0]} count to amount {call.number}",
        "SET_COUNTER_CAPACITY": f"could not set Counter {a[0]} capacity to amount {call.number}",
        "SET_LIST_CAPACITY": f"could not set List {a[0]} capacity to amount {call.number}",
        "APPEND_LIST_VALUE": f"could not get List {a[0]}",
        "DELETE_LIST_VALUE": f"could not get List {a[0]}",
    }
    prefix = wrapped.get(call.word)
    return f"{prefix}: {_go_rpc_text(exc)}" if prefix else str(exc)


def _go_rpc_text(exc: AgonesError) -> str:
    """How Go's gRPC prints a status error (`rpc error: code = Unknown desc = ...`), as upstream shows it."""
    if exc.code is None:
        return str(exc)
    message = str(exc)
    details = message.split(": ", 1)[1] if ": " in message else message  # drop our "Method: " prefix
    name = exc.code.name
    go_name = "Canceled" if name == "CANCELLED" else "".join(w.capitalize() for w in name.split("_"))
    return f"rpc error: code = {go_name} desc = {details}"


_Handler = Callable[[AgonesLike, Call, Callable[[], int]], Awaitable[bytes]]
_HANDLERS: dict[str, _Handler] = {}


def _handles(word: str) -> Callable[[_Handler], _Handler]:
    def register(fn: _Handler) -> _Handler:
        _HANDLERS[word] = fn
        return fn

    return register


def _num(call: Call) -> int:
    assert call.number is not None  # the parser sets it for every command that has one
    return call.number


@_handles("GAMESERVER")
async def _gameserver(sdk: AgonesLike, call: Call, wall_ns: Callable[[], int]) -> bytes:
    return p.name_reply((await sdk.get_game_server()).object_meta.name)


@_handles("READY")
async def _ready(sdk: AgonesLike, call: Call, wall_ns: Callable[[], int]) -> bytes:
    await sdk.ready()
    return ACKNOWLEDGED


@_handles("ALLOCATE")
async def _allocate(sdk: AgonesLike, call: Call, wall_ns: Callable[[], int]) -> bytes:
    await sdk.allocate()
    return ACKNOWLEDGED


@_handles("RESERVE")
async def _reserve(sdk: AgonesLike, call: Call, wall_ns: Callable[[], int]) -> bytes:
    assert call.seconds is not None
    await sdk.reserve(call.seconds)
    return ACKNOWLEDGED


@_handles("LABEL")
async def _label(sdk: AgonesLike, call: Call, wall_ns: Callable[[], int]) -> bytes:
    if call.args:
        await sdk.set_label(call.args[0], call.args[1])
    else:
        await sdk.set_label("timestamp", str(wall_ns() // 1_000_000_000))
    return ACKNOWLEDGED


@_handles("ANNOTATION")
async def _annotation(sdk: AgonesLike, call: Call, wall_ns: Callable[[], int]) -> bytes:
    if call.args:
        await sdk.set_annotation(call.args[0], call.args[1])
    else:
        await sdk.set_annotation("timestamp", p.go_format_utc(wall_ns()))
    return ACKNOWLEDGED


@_handles("PLAYER_CAPACITY")
async def _player_capacity(sdk: AgonesLike, call: Call, wall_ns: Callable[[], int]) -> bytes:
    if call.number is None:
        return p.int_reply(await sdk.alpha.get_player_capacity())
    await sdk.alpha.set_player_capacity(call.number)
    return ACKNOWLEDGED


@_handles("PLAYER_CONNECT")
async def _player_connect(sdk: AgonesLike, call: Call, wall_ns: Callable[[], int]) -> bytes:
    await sdk.alpha.player_connect(call.args[0])
    return ACKNOWLEDGED


@_handles("PLAYER_DISCONNECT")
async def _player_disconnect(sdk: AgonesLike, call: Call, wall_ns: Callable[[], int]) -> bytes:
    await sdk.alpha.player_disconnect(call.args[0])
    return ACKNOWLEDGED


@_handles("PLAYER_CONNECTED")
async def _player_connected(sdk: AgonesLike, call: Call, wall_ns: Callable[[], int]) -> bytes:
    return p.bool_reply(await sdk.alpha.is_player_connected(call.args[0]))


@_handles("GET_PLAYERS")
async def _get_players(sdk: AgonesLike, call: Call, wall_ns: Callable[[], int]) -> bytes:
    return p.players_reply(await sdk.alpha.get_connected_players())


@_handles("PLAYER_COUNT")
async def _player_count(sdk: AgonesLike, call: Call, wall_ns: Callable[[], int]) -> bytes:
    return p.int_reply(await sdk.alpha.get_player_count())


@_handles("GET_COUNTER_COUNT")
async def _get_counter_count(sdk: AgonesLike, call: Call, wall_ns: Callable[[], int]) -> bytes:
    return p.counter_reply(await sdk.beta.get_counter_count(call.args[0]))


@_handles("INCREMENT_COUNTER")
async def _increment_counter(sdk: AgonesLike, call: Call, wall_ns: Callable[[], int]) -> bytes:
    await sdk.beta.increment_counter(call.args[0], _num(call))
    return p.success_reply()


@_handles("DECREMENT_COUNTER")
async def _decrement_counter(sdk: AgonesLike, call: Call, wall_ns: Callable[[], int]) -> bytes:
    await sdk.beta.decrement_counter(call.args[0], _num(call))
    return p.success_reply()


@_handles("SET_COUNTER_COUNT")
async def _set_counter_count(sdk: AgonesLike, call: Call, wall_ns: Callable[[], int]) -> bytes:
    await sdk.beta.set_counter_count(call.args[0], _num(call))
    return p.success_reply()


@_handles("GET_COUNTER_CAPACITY")
async def _get_counter_capacity(sdk: AgonesLike, call: Call, wall_ns: Callable[[], int]) -> bytes:
    return p.capacity_reply(await sdk.beta.get_counter_capacity(call.args[0]))


@_handles("SET_COUNTER_CAPACITY")
async def _set_counter_capacity(sdk: AgonesLike, call: Call, wall_ns: Callable[[], int]) -> bytes:
    await sdk.beta.set_counter_capacity(call.args[0], _num(call))
    return p.success_reply()


@_handles("GET_LIST_CAPACITY")
async def _get_list_capacity(sdk: AgonesLike, call: Call, wall_ns: Callable[[], int]) -> bytes:
    return p.capacity_reply(await sdk.beta.get_list_capacity(call.args[0]))


@_handles("SET_LIST_CAPACITY")
async def _set_list_capacity(sdk: AgonesLike, call: Call, wall_ns: Callable[[], int]) -> bytes:
    await sdk.beta.set_list_capacity(call.args[0], _num(call))
    return p.success_reply()


@_handles("LIST_CONTAINS")
async def _list_contains(sdk: AgonesLike, call: Call, wall_ns: Callable[[], int]) -> bytes:
    return p.found_reply(await sdk.beta.list_contains(call.args[0], call.args[1]))


@_handles("GET_LIST_LENGTH")
async def _get_list_length(sdk: AgonesLike, call: Call, wall_ns: Callable[[], int]) -> bytes:
    return p.length_reply(await sdk.beta.get_list_length(call.args[0]))


@_handles("GET_LIST_VALUES")
async def _get_list_values(sdk: AgonesLike, call: Call, wall_ns: Callable[[], int]) -> bytes:
    return p.values_reply(await sdk.beta.get_list_values(call.args[0]))


@_handles("APPEND_LIST_VALUE")
async def _append_list_value(sdk: AgonesLike, call: Call, wall_ns: Callable[[], int]) -> bytes:
    await sdk.beta.append_list_value(call.args[0], call.args[1])
    return p.success_reply()


@_handles("DELETE_LIST_VALUE")
async def _delete_list_value(sdk: AgonesLike, call: Call, wall_ns: Callable[[], int]) -> bytes:
    await sdk.beta.delete_list_value(call.args[0], call.args[1])
    return p.success_reply()
