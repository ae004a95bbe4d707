"""Acting as the cluster: `LocalSidecar`'s methods, `/local/...` and the CLI sub-commands."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from aioagones import SDK, State
from aioagones.local import SidecarError
from aioagones.local._host import local_addresses
from aioagones.testing import CounterAction, ListAction, LocalSidecar

T0 = 1000.0
CLEAN_ENV = {k: v for k, v in os.environ.items() if not k.startswith("AGONES_")}


# -- LocalSidecar -----------------------------------------------------------------------------


async def test_local_sidecar_drives_the_whole_lifecycle() -> None:
    async with LocalSidecar() as sidecar, SDK(sidecar.host, sidecar.port, health_interval=None) as sdk:
        seen: list[State] = []

        async def watch() -> None:
            async for gs in sdk.watch_game_server():
                seen.append(gs.status.state)
                if gs.status.state is State.SHUTDOWN:
                    return

        watching = asyncio.create_task(watch())
        await sidecar.wait_for(lambda gs: gs.status.state is State.READY)
        await sidecar.stop_health_checking()
        gs = await sidecar.allocate(
            labels={"map": "harbor"},
            counters={"rooms": CounterAction("Increment", 2)},
            lists={"players": ListAction(add_values=("p9",))},
        )
        assert gs.status.state is State.ALLOCATED
        assert gs.object_meta.labels["map"] == "harbor"
        assert (await sdk.beta.get_counter_count("rooms"), await sdk.beta.list_contains("players", "p9")) == (3, True)
        for state in ("Reserved", "Unhealthy", State.READY, "Shutdown"):
            assert (await sidecar.set_state(state)).status.state == state
            await sidecar.wait_for(lambda gs, s=state: gs.status.state == s)  # type: ignore[misc]
        async with asyncio.timeout(5):
            await watching
        await sidecar.resume_health_checking()
    assert seen[-5:] == [State.ALLOCATED, State.RESERVED, State.UNHEALTHY, State.READY, State.SHUTDOWN]


async def test_local_sidecar_refuses_what_a_cluster_refuses() -> None:
    async with LocalSidecar() as sidecar:
        await sidecar.set_state("Scheduled")
        with pytest.raises(SidecarError, match="The GameServer is Scheduled"):
            await sidecar.allocate()
        with pytest.raises(SidecarError, match="not a GameServer state"):
            await sidecar.set_state("Sleeping")
    with pytest.raises(RuntimeError, match="not running"):
        await sidecar.allocate()


async def test_the_fixture_points_the_environment_at_both_ports(local_sidecar: LocalSidecar) -> None:
    assert os.environ["AGONES_SDK_HTTP_PORT"] == str(local_sidecar.http_port)
    assert local_sidecar.http_url == f"http://127.0.0.1:{local_sidecar.http_port}"
    async with aiohttp.ClientSession() as http, http.post(f"{local_sidecar.http_url}/allocate", json={}) as reply:
        assert reply.status == 200
    assert local_sidecar.game_server.status.state is State.ALLOCATED


# -- /local/... over HTTP ---------------------------------------------------------------------


async def _post(url: str, body: object) -> tuple[int, Any]:
    async with aiohttp.ClientSession() as http, http.post(url, json=body) as reply:
        return reply.status, await reply.json()


async def test_the_control_surface_over_http() -> None:
    async with LocalSidecar() as sidecar:
        base = f"{sidecar.http_url}/local"
        status, gs = await _post(f"{base}/state", {"state": "Reserved"})
        assert (status, gs["status"]["state"]) == (200, "Reserved")
        status, reply = await _post(f"{base}/allocate", {})
        assert (status, reply["code"]) == (400, 9)
        await _post(f"{base}/state", {"state": "Ready"})
        allocation = {
            "apiVersion": "allocation.agones.dev/v1",
            "kind": "GameServerAllocation",
            "spec": {
                "metadata": {"labels": {"map": "harbor"}, "annotations": {"a": "b"}},
                "counters": {"rooms": {"action": "Increment", "amount": "1", "capacity": 20}},
                "lists": {"players": {"addValues": ["p9"], "deleteValues": ["test0"]}},
            },
        }
        status, reply = await _post(f"{base}/allocate", allocation)
        assert status == 200
        assert reply == {
            "state": "Allocated",
            "gameServerName": "local",
            "address": "127.0.0.1",
            "addresses": [{"type": "PodIP", "address": a} for a in local_addresses()],  # as for a manifest
            "ports": [{"name": "default", "port": 7777}],
            "warnings": [],
        }
        gs = sidecar.game_server
        assert (gs.object_meta.labels["map"], gs.object_meta.annotations["a"]) == ("harbor", "b")
        assert gs.status.counters["rooms"].count == 2 and gs.status.counters["rooms"].capacity == 20
        assert gs.status.lists["players"].values == ("test1", "test2", "p9")
        assert await _post(f"{base}/health", {"checking": False}) == (200, {"checking": False})
        assert "allocate" not in sidecar.calls  # the cluster's hand is not an SDK call


@pytest.mark.parametrize(
    ("path", "body", "says"),
    [
        ("state", {}, '{"state":'),
        ("state", {"state": 3}, '{"state":'),
        ("health", {"checking": "no"}, '{"checking": false}'),
        ("allocate", {"counters": {"rooms": {"amount": "x"}}}, "counters.rooms.amount: expected an integer"),
        ("allocate", {"lists": {"players": {"addValues": "p1"}}}, "lists.players.addValues: expected a list"),
        ("allocate", {"metadata": {"labels": {"a": 1}}}, "metadata.labels: expected a mapping of strings"),
        ("allocate", [], "the body: expected a JSON object"),
    ],
)
async def test_the_control_surface_explains_bad_input(path: str, body: object, says: str) -> None:
    async with LocalSidecar() as sidecar:
        before = sidecar.game_server
        status, reply = await _post(f"{sidecar.http_url}/local/{path}", body)
        assert (status, reply["code"]) == (400, 3)
        assert says in reply["message"]
        assert sidecar.game_server == before


# -- the CLI sub-commands ---------------------------------------------------------------------


async def _cli(*args: str, env: dict[str, str] | None = None) -> tuple[int, str, str]:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "aioagones.local",
        *args,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env={**CLEAN_ENV, **(env or {})},
    )
    async with asyncio.timeout(30):
        out, err = await process.communicate()
    assert process.returncode is not None
    return process.returncode, out.decode(), err.decode()


async def test_sub_commands_act_on_a_running_sidecar() -> None:
    async with LocalSidecar() as sidecar:
        port = str(sidecar.http_port)
        assert await _cli("state", "Reserved", "--http-port", port) == (0, "GameServer local: state Reserved\n", "")
        code, _, err = await _cli("allocate", "--http-port", port)
        assert code == 1
        assert "the sidecar refused: failed precondition. The GameServer is Reserved" in err
        await sidecar.set_state("Ready")
        code, out, err = await _cli(
            "allocate",
            "--label",
            "map=harbor",
            "--counter",
            "rooms=+2",
            "--list-add",
            "players=p9",
            "--list-delete",
            "players=test0",
            "--counter",
            "nope=-1",
            env={"AGONES_SDK_HTTP_PORT": port},
        )
        assert (code, out) == (0, "allocated GameServer local: address 127.0.0.1, ports default=7777\n")
        assert err == "agones-local-sidecar: warning: counter 'nope' not found in GameServer local\n"
        gs = sidecar.game_server
        assert gs.status.state is State.ALLOCATED and gs.object_meta.labels["map"] == "harbor"
        assert gs.status.counters["rooms"].count == 3
        assert gs.status.lists["players"].values == ("test1", "test2", "p9")
        assert await _cli("health", "stop", "--http-port", port) == (0, "health checking stopped\n", "")
        assert not sidecar._server.rules.health_checking
        code, out, _ = await _cli("gameserver", "--http-port", port)
        assert code == 0 and json.loads(out)["status"]["state"] == "Allocated"


async def test_allocate_applies_a_game_server_allocation_file(tmp_path: Path) -> None:
    path = tmp_path / "allocation.yaml"
    path.write_text(
        "apiVersion: allocation.agones.dev/v1\nkind: GameServerAllocation\nspec:\n"
        "  selectors: [{matchLabels: {agones.dev/fleet: anything}}]\n"
        "  metadata: {labels: {match: example}}\n"
        "  counters: {rooms: {action: Decrement, amount: 1}}\n"
    )
    async with LocalSidecar() as sidecar:
        code, _, err = await _cli(
            "allocate", "-f", str(path), "--label", "mode=ctf", "--http-port", str(sidecar.http_port)
        )
        assert (code, err) == (0, "")
        gs = sidecar.game_server
    assert (gs.object_meta.labels["match"], gs.object_meta.labels["mode"]) == ("example", "ctf")
    assert gs.status.counters["rooms"].count == 0
    code, _, err = await _cli("allocate", "-f", str(tmp_path / "missing.yaml"))
    assert code == 2 and "missing.yaml: cannot read" in err


async def test_a_sub_command_without_a_sidecar_says_how_to_start_one() -> None:
    code, out, err = await _cli("allocate", "--address", "127.0.0.1", "--http-port", "1")
    assert (code, out) == (1, "")
    assert err.startswith("agones-local-sidecar allocate: error: no local sidecar answers at http://127.0.0.1:1")
    assert "start one with `agones-local-sidecar`" in err


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["state"], "the following arguments are required: state"),
        (["health", "pause"], "invalid choice: 'pause'"),
        (["allocate", "--counter", "rooms=lots"], "'rooms=lots': 'lots' is not a whole number"),
        (["allocate", "--label", "novalue"], "'novalue' is not NAME=VALUE"),
    ],
)
async def test_sub_commands_explain_bad_input(args: list[str], says: str) -> None:
    code, out, err = await _cli(*args)
    assert (code, out) == (2, "")
    assert says in err and "Traceback" not in err


def test_import_aioagones_does_not_import_the_http_library() -> None:
    code = (
        "import sys\n"
        "import aioagones, aioagones.local, aioagones.testing\n"
        "from aioagones import SDK\n"
        "import sample_server\n"
        "assert 'aiohttp' not in sys.modules, sorted(m for m in sys.modules if m.startswith('aiohttp'))\n"
        "import aioagones.local._http\n"
        "assert 'aiohttp' in sys.modules  # the check above can fail\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=30)
