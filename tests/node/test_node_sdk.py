"""Agones' official Node.js SDK (npm `@google-cloud/agones-sdk`, on grpc-js) against our sidecar.

`drive_sdk.js` makes every call the SDK has and checks each answer; here we check its exit
code and what the sidecar saw. The SDK comes from npm at the version pinned in package.json
(package-lock.json fixes the rest); `npm ci` installs it when node_modules is missing.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from aioagones.testing import LocalSidecar

from .._commands import reaped
from .._wait import until

HERE = Path(__file__).parent
NODE = shutil.which("node")
NPM = shutil.which("npm")

pytestmark = pytest.mark.skipif(
    NODE is None or NPM is None,
    reason="node and npm are needed to run Agones' Node.js SDK (Debian: apt-get install nodejs npm)",
)


@pytest.fixture(scope="module")
def node_modules() -> Path:
    """The SDK installed from package-lock.json (once; later runs reuse it)."""
    modules = HERE / "node_modules"
    if not (modules / "@google-cloud" / "agones-sdk").is_dir():
        assert NPM is not None
        result = subprocess.run(
            [NPM, "ci", "--no-audit", "--no-fund"],
            cwd=HERE,
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
        assert result.returncode == 0, f"npm ci failed:\n{result.stdout}\n{result.stderr}"
    return modules


async def test_the_official_node_sdk_makes_every_call(node_modules: Path) -> None:
    assert NODE is not None
    env = {k: v for k, v in os.environ.items() if not k.startswith("AGONES_")}
    # The Node SDK always dials localhost: serve IPv4 and IPv6 loopback, whichever it picks.
    async with LocalSidecar(host="localhost", http_port=None) as server:
        env["AGONES_SDK_GRPC_PORT"] = str(server.port)
        process = await asyncio.create_subprocess_exec(
            NODE,
            str(HERE / "drive_sdk.js"),
            cwd=HERE,
            env=env,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        async with reaped(process):
            async with asyncio.timeout(90):
                stdout, stderr = await process.communicate()
        await until(lambda: "health" in server.calls)
        gs = server.game_server

    output = stdout.decode()
    assert process.returncode == 0, f"{output}\n{stderr.decode()}"
    report = json.loads(output.strip().splitlines()[-1])
    assert report["ok"] is True
    assert report["states"] == ["Ready", "Reserved", "Allocated", "Shutdown"]

    every_call = {
        *("ready", "allocate", "setlabel", "setannotation", "gameserver", "health", "shutdown", "watch", "reserve"),
        *("getplayercapacity", "setplayercapacity", "playerconnect", "playerdisconnect", "getplayercount"),
        *("isplayerconnected", "getconnectedplayers"),
        *("getcounter", "updatecounter", "setcountcounter", "setcapacitycounter"),
        *("getlist", "updatelist", "addlistvalue", "removelistvalue"),
    }
    assert set(server.calls) == every_call
    assert gs.status.state == "Shutdown"
    assert gs.object_meta.labels["agones.dev/sdk-node-sdk"] == "yes"
    assert gs.object_meta.annotations["agones.dev/sdk-node-uid"] == gs.object_meta.uid
    assert gs.status.players is not None and list(gs.status.players.ids) == ["bob"]
    assert (gs.status.counters["rooms"].count, gs.status.counters["rooms"].capacity) == (7, 8)
    players = gs.status.lists["players"]
    assert (players.capacity, list(players.values)) == (100, ["test1", "test2", "test3"])
