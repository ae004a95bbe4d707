"""Issue 14's seed on one machine: allocate, take the endpoints, and join the server found there.

A `portPolicy: None` GameServer served by `agones-local-sidecar`, the sample server on its port,
`agones-local-allocator` over that sidecar; then `agones-allocate --plaintext --json` (a process)
or `AllocationClient` (in this process) allocates it, and a player sends `JOIN <id>` to each
endpoint handed out (IPv6, then IPv4, both loopback Pod IPs), completing the server's proof of
address (`RETRY <cookie>`): the server there answers and the player is then in the GameServer's
`players` list, as the sidecar sees it and as the server reads it.
"""

from __future__ import annotations

import asyncio
import json
import shutil
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from aioagones import State
from aioagones._pb import sdk_pb2
from aioagones.allocation import (
    AllocationClient,
    AllocationRequest,
    Endpoint,
    GameServerSelector,
    NoGameServerAvailableError,
)

from ._stack import Player, Seed, seed


async def agones_allocate(*args: str) -> tuple[int, str, str]:
    """`agones-allocate ARGS`, the installed console script: exit code, stdout, stderr."""
    script = shutil.which("agones-allocate", path=str(Path(sys.executable).parent))
    assert script is not None, "agones-allocate is not installed beside this Python: pip install -e '.[dev]'"
    process = await asyncio.create_subprocess_exec(
        script, *args, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
    )
    async with asyncio.timeout(60):
        out, err = await process.communicate()
    assert process.returncode is not None
    return process.returncode, out.decode(), err.decode()


def parse(text: str) -> Endpoint:
    """`[::1]:7777` or `127.0.0.1:7777` as an Endpoint."""
    host, _, port = text.rpartition(":")
    return Endpoint(host.removeprefix("[").removesuffix("]"), int(port))


def players(gs: sdk_pb2.GameServer) -> list[str]:
    return list(gs.status.lists["players"].values)


async def join_every_endpoint(
    running: Seed, endpoints: list[Endpoint], tickets: Callable[[str], str | None] = lambda _: None
) -> sdk_pb2.GameServer:
    """A player per endpoint joins (with `tickets(id)` if any); each is admitted, all end up in `players`."""
    assert [e.family for e in endpoints] == [6, 4], f"IPv6 then IPv4 Pod IP endpoints, not {endpoints}"
    assert {e.port for e in endpoints} == {running.udp_port}
    ids = [f"player-v{e.family}" for e in endpoints]
    for endpoint, player_id in zip(endpoints, ids, strict=True):
        with Player(endpoint.host, endpoint.port) as player:
            session = await player.join(player_id, tickets(player_id))
            # The session is the player's: a datagram carrying its secret is echoed, LEAVE would need it.
            assert await player.ask(f"hello {session}") == f"ACK: hello {session}\n"
    gs = await running.game_server_until(lambda gs: set(ids) <= set(players(gs)))
    with Player(endpoints[0].host, endpoints[0].port) as operator:  # the server's own view, an admin read
        listed = await operator.ask(f"ADMIN {running.admin_token} GET_LIST_VALUES players")
    assert sorted(listed.removeprefix("VALUES: ").strip().split(",")) == sorted(ids), listed
    return gs


async def test_agones_allocate_hands_out_loopback_pod_ips_where_the_server_takes_a_join(tmp_path: Path) -> None:
    async with seed(tmp_path, "seed-cli", {"mode": "seed"}) as running:
        args = ("--plaintext", "--json", "--selector", "mode=seed", "--label", "match=m1", "--timeout", "20")
        code, out, err = await agones_allocate(running.allocator, *args)
        assert code == 0, f"agones-allocate: {err}\n{running.logs()}"
        reply = json.loads(out)
        assert reply["gameServerName"] == "seed-cli"
        assert reply["ports"] == [{"name": "default", "port": running.udp_port}]
        assert {a["type"] for a in reply["addresses"]} == {"PodIP"}
        assert reply["endpoints"] == [f"[::1]:{running.udp_port}", f"127.0.0.1:{running.udp_port}"]

        gs = await join_every_endpoint(running, [parse(e) for e in reply["endpoints"]])
        assert gs.status.state == "Allocated"
        assert gs.object_meta.labels["match"] == "m1"

        # The one GameServer is taken: another allocation finds nothing (exit 3).
        code, out, err = await agones_allocate(running.allocator, *args)
        assert (code, out) == (3, ""), err
        assert "no available GameServer" in err


async def test_the_client_in_process_allocates_and_a_join_on_each_endpoint_is_answered(tmp_path: Path) -> None:
    async with seed(tmp_path, "seed-client", {"mode": "seed"}) as running:
        seed_ready = GameServerSelector({"mode": "seed"})
        async with AllocationClient(running.allocator, plaintext=True, timeout=20) as client:
            allocation = await client.allocate(AllocationRequest(selectors=[seed_ready], labels={"match": "m2"}))
            assert allocation.game_server_name == "seed-client"
            endpoints = list(allocation.endpoints("default"))
            assert [str(e) for e in endpoints] == [f"[::1]:{running.udp_port}", f"127.0.0.1:{running.udp_port}"]

            gs = await join_every_endpoint(running, endpoints)
            assert (gs.status.state, gs.object_meta.labels["match"]) == ("Allocated", "m2")

            with pytest.raises(NoGameServerAvailableError):
                await client.allocate(AllocationRequest(selectors=[seed_ready]))
            # A matchmaker may still add players to the running game: re-allocate the Allocated one.
            again = await client.allocate(
                AllocationRequest(selectors=[GameServerSelector({"mode": "seed"}, state=State.ALLOCATED)])
            )
        assert again.game_server_name == "seed-client"
        assert sorted(again.lists["players"].values) == ["player-v4", "player-v6"]
