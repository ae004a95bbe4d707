"""A common mistake gets the error that names it, before anything is sent."""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest

from aioagones import SDK, InvalidArgumentError, OutOfRangeError, SDKClosedError
from aioagones._pb import beta_pb2
from aioagones.testing import LocalSidecar

# A plausible value for each parameter name of the public calls.
_ARGUMENTS: dict[str, object] = {
    "key": "mode",
    "value": "ctf",
    "name": "rooms",
    "player_id": "p1",
    "seconds": 1,
    "amount": 1,
    "count": 1,
    "capacity": 1,
    "state": "Ready",
    "timeout": 1,
}


def _calls(sdk: SDK) -> dict[str, Callable[[], Any]]:
    """Every public call of `sdk`, `sdk.alpha` and `sdk.beta`, each with plausible arguments."""
    calls: dict[str, Callable[[], Any]] = {}
    for prefix, target in (("sdk", sdk), ("alpha", sdk.alpha), ("beta", sdk.beta)):
        for name, method in inspect.getmembers(target, inspect.ismethod):
            if name.startswith("_") or name in ("connect", "close"):
                continue
            if not (inspect.iscoroutinefunction(method) or inspect.isasyncgenfunction(method)):
                continue
            kwargs = {p: _ARGUMENTS[p] for p in inspect.signature(method).parameters}
            calls[f"{prefix}.{name}"] = functools.partial(method, **kwargs)
    return calls


async def _invoke(call: Callable[[], Any]) -> None:
    result = call()
    if inspect.isasyncgen(result):
        await anext(result)
    else:
        await result


def test_every_public_call_is_covered() -> None:
    names = set(_calls(SDK()))
    assert {"sdk.ready", "sdk.watch_game_server", "sdk.state_changes", "sdk.health"} <= names
    assert {"alpha.player_connect", "beta.increment_counter", "beta.get_list"} <= names
    assert len(names) == 33  # 11 + 7 alpha + 15 beta


@pytest.mark.parametrize("call", sorted(_calls(SDK())))
async def test_a_never_connected_sdk_says_how_to_connect(call: str) -> None:
    sdk = SDK()
    with pytest.raises(SDKClosedError, match=r"use 'async with SDK\(\) as sdk:'"):
        await _invoke(_calls(sdk)[call])


async def test_a_closed_sdk_says_it_is_closed(sidecar: LocalSidecar) -> None:
    sdk = SDK(sidecar.host, sidecar.port, health_interval=None)
    async with sdk:
        await sdk.ready()
    for call in _calls(sdk).values():
        with pytest.raises(SDKClosedError, match="the SDK is closed"):
            await _invoke(call)


@pytest.mark.parametrize(
    ("call", "says"),
    [
        (lambda sdk: sdk.set_label(123, "x"), r"set_label\(\): key must be a str, not int \(123\)"),
        (lambda sdk: sdk.set_label("x", 1.5), r"set_label\(\): value must be a str, not float \(1.5\)"),
        (lambda sdk: sdk.set_annotation(None, "x"), r"set_annotation\(\): key must be a str, not NoneType"),
        (lambda sdk: sdk.reserve("5"), r"reserve\(\): seconds must be a number of seconds or a datetime.timedelta"),
        (lambda sdk: sdk.reserve(True), r"reserve\(\): seconds must be a number .* not bool"),
        (lambda sdk: sdk.alpha.player_connect(7), r"player_connect\(\): player_id must be a str, not int"),
        (lambda sdk: sdk.alpha.set_player_capacity("8"), r"set_player_capacity\(\): capacity must be an int"),
        (lambda sdk: sdk.alpha.set_player_capacity(2.0), r"capacity must be an int, not float \(2.0\)"),
        (lambda sdk: sdk.beta.increment_counter("rooms", 1.5), r"increment_counter\(\): amount must be an int"),
        (lambda sdk: sdk.beta.set_counter_count("rooms", True), r"set_counter_count\(\): count must be an int"),
        (lambda sdk: sdk.beta.get_counter_count(b"rooms"), r"get_counter_count\(\): name must be a str, not bytes"),
        (lambda sdk: sdk.beta.list_contains("players", 3), r"list_contains\(\): value must be a str"),
        (lambda sdk: sdk.beta.append_list_value(["p"], "x"), r"append_list_value\(\): name must be a str, not list"),
    ],
)
async def test_wrong_types_name_the_argument(
    sdk: SDK, sidecar: LocalSidecar, call: Callable[[SDK], Any], says: str
) -> None:
    before = list(sidecar.calls)
    with pytest.raises(TypeError, match=says):
        await call(sdk)
    assert sidecar.calls == before  # nothing was sent


@pytest.mark.parametrize(
    ("call", "says"),
    [
        (lambda sdk: sdk.reserve(timedelta(seconds=-3)), r"reserve duration must be 0 or more seconds .*not -3 s$"),
        (lambda sdk: sdk.reserve(-0.5), r"not -0.5 s$"),
        (lambda sdk: sdk.reserve(float("nan")), r"not nan s$"),
        (lambda sdk: sdk.reserve(1e300), r"at most 2\*\*63 - 1 seconds, not 1e\+300 s$"),
        (lambda sdk: sdk.alpha.set_player_capacity(-1), r"set_player_capacity\(\): capacity must be 0 or more, not -1"),
        (lambda sdk: sdk.beta.increment_counter("rooms", -1), r"amount must be 0 or more, not -1; use decrement_count"),
        (lambda sdk: sdk.beta.set_counter_count("rooms", 2**63), r"count must be 0 or more, not 9223372036854775808"),
        (lambda sdk: sdk.beta.set_list_capacity("players", 1001), r"capacity must be 0 to 1000, not 1001"),
        (lambda sdk: sdk.set_label("bad key", "x"), r"set_label\(\): invalid label key 'bad key'"),
    ],
)
async def test_values_out_of_range_name_the_argument(
    sdk: SDK, sidecar: LocalSidecar, call: Callable[[SDK], Any], says: str
) -> None:
    before = list(sidecar.calls)
    with pytest.raises(InvalidArgumentError, match=says):
        await call(sdk)
    assert sidecar.calls == before


@pytest.mark.parametrize(
    ("kwargs", "says"),
    [
        ({"host": 127}, r"SDK\(\): host must be a str, not int"),
        ({"port": "9357"}, r"SDK\(\): port must be an int, not str \('9357'\)"),
        ({"connect_timeout": "5"}, r"SDK\(\): connect_timeout must be a positive number of seconds, not str"),
        ({"health_interval": "2"}, r"SDK\(\): health_interval must be a positive number of seconds or None, not str"),
        ({"on_state_change": "print"}, r"SDK\(\): on_state_change must be a callable"),
    ],
)
def test_wrong_setting_types_name_the_setting(kwargs: dict[str, object], says: str) -> None:
    with pytest.raises(TypeError, match=says):
        SDK(**kwargs)  # type: ignore[arg-type]


async def test_player_connect_at_capacity_0_says_how_to_set_it(sdk: SDK) -> None:
    assert await sdk.alpha.get_player_capacity() == 0  # the default GameServer has no players spec
    with pytest.raises(OutOfRangeError) as info:
        await sdk.alpha.player_connect("p1")
    message = str(info.value)
    assert "player capacity is 0" in message
    assert "set_player_capacity" in message and "spec.players.initialCapacity" in message
    await sdk.alpha.set_player_capacity(1)
    assert await sdk.alpha.player_connect("p1") is True
    with pytest.raises(OutOfRangeError) as full:
        await sdk.alpha.player_connect("p2")
    assert "capacity is 0" not in str(full.value)  # at a real capacity, the sidecar's own words


@pytest.mark.parametrize("update", [None, beta_pb2.CounterUpdateRequest(), beta_pb2.CounterUpdateRequest(countDiff=1)])
async def test_update_counter_without_an_update_request_is_not_sent(
    sdk: SDK, sidecar: LocalSidecar, update: beta_pb2.CounterUpdateRequest | None
) -> None:
    with pytest.raises(InvalidArgumentError, match="counter update request"):
        await sdk.beta._update_counter(update)
    assert "updatecounter" not in sidecar.calls
