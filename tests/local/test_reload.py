"""Reload on edit: a write to the manifest reaches SDK watchers over real gRPC; a broken one is ignored."""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import AsyncGenerator, AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from aioagones import SDK, GameServer
from aioagones.local import ManifestError
from aioagones.local._manifest import game_server_from_manifest
from aioagones.local._reload import reloaded_game_server
from aioagones.local._rules import GameServerRules
from aioagones.testing import LocalSidecar

from .._wait import until

MANIFEST = """\
apiVersion: agones.dev/v1
kind: GameServer
metadata:
  name: reloaded
  labels: {{mode: {mode}}}
spec:
  ports:
    - {{name: game, portPolicy: Dynamic, containerPort: 7654}}
  health: {{disabled: true}}
  counters:
    rooms: {{count: 0, capacity: 5}}
{status}"""


def manifest(mode: str = "dm", status: str = "") -> str:
    return MANIFEST.format(mode=mode, status=status)


async def changes(sdk: SDK) -> AsyncGenerator[GameServer]:
    """`watch_game_server()`, typed as the generator it is (so it can be closed)."""
    async for gs in sdk.watch_game_server():
        yield gs


def write(path: Path, text: str) -> None:
    path.write_text(text, encoding="utf-8")


async def next_change(watch: AsyncIterator[GameServer], timeout: float = 5.0) -> GameServer:  # noqa: ASYNC109
    async with asyncio.timeout(timeout):
        return await anext(watch)


@pytest.fixture
def path(tmp_path: Path) -> Path:
    path = tmp_path / "gameserver.yaml"
    write(path, manifest())
    return path


async def test_an_edit_reaches_an_sdk_watcher(path: Path) -> None:
    async with LocalSidecar(manifest=path) as sidecar, SDK(sidecar.host, sidecar.port, health_interval=None) as sdk:
        watch = changes(sdk)
        first = await next_change(watch)
        assert first.object_meta.labels["mode"] == "dm"
        await sdk.beta.increment_counter("rooms")
        assert (await next_change(watch)).status.counters["rooms"].count == 1

        write(path, manifest(mode="ctf"))
        edited = await next_change(watch)
        await watch.aclose()

    assert edited.object_meta.labels["mode"] == "ctf"
    # What a cluster keeps stays; an update moves the generation on.
    assert edited.object_meta.uid == first.object_meta.uid
    assert edited.object_meta.creation_timestamp == first.object_meta.creation_timestamp
    assert edited.object_meta.generation == first.object_meta.generation + 1
    assert edited.object_meta.resource_version != first.object_meta.resource_version
    # Derived again, but the Dynamic port the game has bound is not moved; the counter keeps its count.
    assert edited.status.ports == first.status.ports
    assert edited.status.addresses == first.status.addresses
    assert edited.status.counters["rooms"].count == 1
    assert edited.status.state == "Scheduled"


async def test_a_status_state_allocated_edit_reaches_a_reserved_game_server(path: Path) -> None:
    async with LocalSidecar(manifest=path) as sidecar, SDK(sidecar.host, sidecar.port, health_interval=None) as sdk:
        watch = changes(sdk)
        await next_change(watch)
        await sdk.reserve(30)
        assert (await next_change(watch)).status.state == "Reserved"
        write(path, manifest(status="status:\n  state: Allocated\n  counters: {rooms: {count: 4}}\n"))
        edited = await next_change(watch)
        await watch.aclose()
    assert edited.status.state == "Allocated"
    assert edited.status.counters["rooms"].count == 4
    assert edited.status.counters["rooms"].capacity == 5


async def test_a_broken_edit_is_logged_and_ignored_then_a_good_edit_is_accepted(
    path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, "aioagones.local")
    async with LocalSidecar(manifest=path) as sidecar, SDK(sidecar.host, sidecar.port, health_interval=None) as sdk:
        watch = changes(sdk)
        first = await next_change(watch)

        write(path, "metadata: [name: broken\n")
        await until(lambda: any(r.levelno == logging.ERROR for r in caplog.records))
        [error] = [r for r in caplog.records if r.levelno == logging.ERROR]
        assert str(path) in error.getMessage()
        assert "edit ignored, still serving the last good GameServer" in error.getMessage()
        assert "not valid YAML or JSON" in error.getMessage()
        assert await sdk.get_game_server() == first

        write(path, manifest(status="status: {state: Bogus}\n"))
        await until(lambda: sum(r.levelno == logging.ERROR for r in caplog.records) == 2)
        assert "status.state: 'Bogus' is not one of Scheduled" in caplog.records[-1].getMessage()
        assert await sdk.get_game_server() == first

        write(path, manifest(mode="ctf", status="status: {state: Ready}\n"))
        edited = await next_change(watch)
        await watch.aclose()
    assert edited.object_meta.labels["mode"] == "ctf"
    assert edited.status.state == "Ready"
    assert any("reloaded GameServer 'reloaded' (state Scheduled -> Ready)" in r.getMessage() for r in caplog.records)


async def test_an_edit_while_stopped_is_applied_at_the_next_start(path: Path) -> None:
    sidecar = LocalSidecar(manifest=path)
    write(path, manifest(mode="edited-before-start"))
    async with sidecar:
        seen = await sidecar.wait_for(lambda gs: gs.object_meta.labels.get("mode") == "edited-before-start")
    assert seen.object_meta.generation == 2


# -- the rule itself, without I/O ---------------------------------------------------------------


def _first_free(protocol: str, taken: set[int]) -> int:
    return min(set(range(7001, 7010)) - taken)


def _start(doc: dict[str, Any]) -> GameServerRules:
    gs = game_server_from_manifest(
        doc, now=1000.0, allocate_port=_first_free, addresses=["10.0.0.1"], uid="u-1", name_suffix="abcde"
    )
    return GameServerRules(gs, now=0.0)


def _never(protocol: str, taken: set[int]) -> int:
    raise AssertionError("the old port should have been kept")


BASE: dict[str, Any] = {
    "metadata": {"generateName": "gs-"},
    "spec": {
        "ports": [{"name": "p", "containerPort": 1}, {"name": "q", "protocol": "TCPUDP", "containerPort": 2}],
        "lists": {"players": {"capacity": 3}},
        "counters": {"rooms": {"capacity": 10}},
    },
}


def test_reload_keeps_the_name_uid_creation_time_and_bound_ports() -> None:
    rules = _start(BASE)
    new = reloaded_game_server(rules.game_server, BASE, addresses=["10.0.0.2"], allocate_port=_never)
    assert (new.name, new.uid, new.creation_timestamp) == ("gs-abcde", "u-1", 1000)
    assert new.ports == [("p", 7001), ("q-tcp", 7002), ("q-udp", 7002)] == rules.game_server.ports
    assert new.addresses == [("PodIP", "10.0.0.2")]
    assert (new.generation, new.resource_version) == (2, "2")


def test_reload_takes_status_fields_from_the_file_and_keeps_the_others() -> None:
    rules = _start(BASE)
    rules.add_list_value("players", "a")
    rules.update_counter("rooms", count_diff=2)
    doc = {**BASE, "status": {"lists": {"players": {"values": ["x", "y"]}}, "ports": [{"name": "p", "port": 1}]}}
    new = reloaded_game_server(rules.game_server, doc, addresses=[], allocate_port=_never)
    assert new.lists["players"].values == ["x", "y"]
    assert new.lists["players"].capacity == 3
    assert new.counters["rooms"].count == 2  # not in the file's status: kept
    assert new.state == "Scheduled"
    assert new.ports[0] == ("p", 7001)  # status.ports is derived, never read
    assert rules.game_server.lists["players"].values == ["a"]  # the current GameServer is not touched


@pytest.mark.parametrize(
    ("status", "says"),
    [
        ({"state": "Sleeping"}, "status.state: 'Sleeping' is not one of"),
        ({"counters": {"rooms": {"count": 11}}}, "status.counters.rooms.count: 11 is out of range; allowed: 0..10"),
        ({"lists": {"players": {"capacity": 1001}}}, "status.lists.players.capacity: 1001 is out of range"),
        ({"lists": {"players": {"values": ["a", "a"]}}}, "status.lists.players.values: values must be unique"),
        (
            {"lists": {"players": {"values": ["a", "b", "c", "d"]}}},
            "status.lists.players.values: 4 values; the capacity is 3",
        ),
        ({"players": {"ids": "a"}}, "status.players.ids: expected a list of strings"),
        ("Ready", "status: expected a mapping"),
    ],
)
def test_reload_refuses_a_bad_status(status: object, says: str) -> None:
    rules = _start(BASE)
    with pytest.raises(ManifestError, match="^" + re.escape(says)):
        reloaded_game_server(rules.game_server, {**BASE, "status": status}, addresses=[], allocate_port=_never)


def test_a_new_state_by_hand_cancels_a_reserve_and_revives_health_checking() -> None:
    doc = {"metadata": {"name": "x"}, "spec": {"health": {"periodSeconds": 1, "failureThreshold": 1}}}
    rules = _start(doc)
    rules.reserve(10, now=0.0)
    assert rules.next_deadline() == 6.0  # health: 5 s initial delay + 1 x 1 s
    rules.tick(100.0)
    assert rules.game_server.state == "Unhealthy"
    version = rules.version
    ready = reloaded_game_server(
        rules.game_server, {**doc, "status": {"state": "Ready"}}, addresses=[], allocate_port=_never
    )
    rules.replace(ready, now=100.0)
    assert rules.game_server.state == "Ready"
    assert rules.version == version + 1
    assert rules.next_deadline() == 106.0  # health checking starts over; no Reserve left
