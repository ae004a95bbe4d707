"""`aioagones.testing`: LocalSidecar and the pytest fixture, as a game developer uses them."""

from __future__ import annotations

import asyncio
import json
import os
import re
import subprocess
import sys
import types
from pathlib import Path
from typing import Any

import grpc.aio
import pytest

import aioagones.local
from aioagones import SDK, GameServer, State, testing
from aioagones._pb import sdk_pb2, sdk_pb2_grpc
from aioagones.local import ManifestError
from aioagones.testing import LocalSidecar, Manifest

MANIFEST: dict[str, Any] = {
    "apiVersion": "agones.dev/v1",
    "kind": "GameServer",
    "metadata": {"name": "my-game"},
    "spec": {
        "ports": [{"name": "default", "portPolicy": "None", "containerPort": 7777}],
        "counters": {"sessions": {"capacity": 4}},
    },
}


async def test_default_sidecar() -> None:
    async with LocalSidecar() as sidecar:
        assert sidecar.running
        assert sidecar.host == "127.0.0.1" and sidecar.port > 0
        gs = sidecar.game_server
        assert isinstance(gs, GameServer)
        assert (gs.object_meta.name, gs.status.state) == ("local", State.READY)
        async with SDK(sidecar.host, sidecar.port, health_interval=None) as sdk:
            await sdk.allocate()
            await sdk.beta.increment_counter("rooms", 2)
        assert sidecar.game_server.status.state is State.ALLOCATED
        assert sidecar.game_server.status.counters["rooms"].count == 3
        assert sidecar.calls == ["gameserver", "allocate", "updatecounter"]
    assert not sidecar.running


@pytest.mark.parametrize("kind", ["dict", "str", "path"])
async def test_manifest_as_dict_or_file(tmp_path: Path, kind: str) -> None:
    path = tmp_path / "gs.json"
    path.write_text(json.dumps(MANIFEST))
    manifests: dict[str, Manifest] = {"dict": MANIFEST, "str": str(path), "path": path}
    manifest = manifests[kind]
    async with LocalSidecar(manifest) as sidecar:
        gs = sidecar.game_server
    assert (gs.object_meta.name, gs.status.state) == ("my-game", State.SCHEDULED)
    assert gs.status.port("default") == 7777
    assert gs.status.counters["sessions"].capacity == 4
    assert gs.status.pod_ips and gs.status.address == gs.status.pod_ips[0]


def test_a_bad_manifest_is_refused_at_once() -> None:
    bad = {**MANIFEST, "spec": {"ports": [{"name": "x", "portPolicy": "Sometimes"}]}}
    with pytest.raises(ManifestError, match=r"spec.ports\[0\].portPolicy: 'Sometimes' is not one of"):
        LocalSidecar(bad)


async def test_stop_and_start_again_on_the_same_port() -> None:
    sidecar = LocalSidecar(MANIFEST)
    await sidecar.start()
    try:
        port = sidecar.port
        async with grpc.aio.insecure_channel(f"127.0.0.1:{port}") as channel, asyncio.timeout(10):
            stub = sdk_pb2_grpc.SDKStub(channel)
            await stub.Ready(sdk_pb2.Empty())
            await sidecar.stop()
            await sidecar.stop()
            with pytest.raises(grpc.aio.AioRpcError):
                await stub.GetGameServer(sdk_pb2.Empty())
            await sidecar.start()
            assert sidecar.port == port
            gs = await stub.GetGameServer(sdk_pb2.Empty(), wait_for_ready=True)
        assert gs.status.state == "Ready"  # the GameServer outlives a sidecar restart, as in a cluster
    finally:
        await sidecar.stop()


async def test_wait_for() -> None:
    async with LocalSidecar() as sidecar, SDK(sidecar.host, sidecar.port, health_interval=None) as sdk:
        waiting = asyncio.create_task(sidecar.wait_for(lambda gs: gs.status.state is State.RESERVED))
        await sdk.reserve(1)
        assert (await waiting).status.state is State.RESERVED
        ready = await sidecar.wait_for(lambda gs: gs.status.state is State.READY, timeout=5)
        assert ready.status.state is State.READY
        with pytest.raises(TimeoutError):
            await sidecar.wait_for(lambda gs: gs.status.state is State.SHUTDOWN, timeout=0.1)


async def test_the_fixture_points_sdk_at_itself(local_sidecar: LocalSidecar) -> None:
    async with SDK(health_interval=None) as sdk:
        assert sdk.address == f"127.0.0.1:{local_sidecar.port}"
        await sdk.ready()
    assert local_sidecar.game_server.object_meta.name == "local"
    assert "ready" in local_sidecar.calls


class TestAManifestForTheFixture:
    @pytest.fixture
    def local_sidecar_manifest(self) -> Manifest:
        return MANIFEST

    async def test_it_starts_from_the_manifest(self, local_sidecar: LocalSidecar) -> None:
        async with SDK(health_interval=None) as sdk:
            gs = await sdk.get_game_server()
        assert (gs.object_meta.name, gs.status.state) == ("my-game", State.SCHEDULED)


def test_importing_without_pytest() -> None:
    code = (
        "import sys; sys.modules['pytest'] = None; sys.modules['pytest_asyncio'] = None\n"
        "import aioagones.testing as t\n"
        "assert t.LocalSidecar and not hasattr(t, 'local_sidecar')\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=30)


def _isort_key(name: str) -> tuple[int, str]:
    return (0 if name.isupper() else 1 if name[0].isupper() else 2, name)


def test_public_names_are_all_exported_and_sorted() -> None:
    module = aioagones.local
    public = {n for n, v in vars(module).items() if not n.startswith("_") and not isinstance(v, types.ModuleType)}
    assert set(module.__all__) == public
    assert module.__all__ == sorted(module.__all__, key=_isort_key)
    assert set(testing.__all__) <= set(vars(testing))


async def test_wait_for_ends_when_the_sidecar_stops() -> None:
    sidecar = LocalSidecar()
    with pytest.raises(RuntimeError, match="not running"):
        await sidecar.wait_for(lambda gs: False)
    async with sidecar:
        waiting = asyncio.create_task(sidecar.wait_for(lambda gs: False))
        await asyncio.sleep(0)  # let it subscribe
        await sidecar.stop()
        with pytest.raises(RuntimeError, match="stopped while waiting"):
            await waiting


async def test_open_streams_counts_watch_and_health_until_the_client_leaves() -> None:
    async with LocalSidecar() as sidecar:
        assert sidecar.open_streams == 0
        await sidecar.wait_streams_closed()
        async with SDK(sidecar.host, sidecar.port, health_interval=None) as sdk:
            async for _ in sdk.watch_game_server():
                break  # the watch handler has answered, so it counts
            await sdk.health()
            async with asyncio.timeout(5):
                while "health" not in sidecar.calls:  # noqa: ASYNC110 (a ping gets no answer to await)
                    await asyncio.sleep(0.01)
            assert sidecar.open_streams >= 1
        await sidecar.wait_streams_closed()  # the sidecar learns of the cancellations a moment later
        assert sidecar.open_streams == 0


ROOT = Path(__file__).resolve().parents[2]
_SETTING = re.compile(r'`?(asyncio_\w+) = ("[^"]*")`?')
_USER_TEST = """
from aioagones import SDK
from aioagones.testing import LocalSidecar


async def test_ready(local_sidecar: LocalSidecar) -> None:
    async with SDK() as sdk:
        await sdk.ready()
"""


def _readme_settings() -> list[str]:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    paragraph = next(p for p in readme.split("\n\n") if "[tool.pytest.ini_options]" in p)
    return [f"{key} = {value}" for key, value in _SETTING.findall(paragraph)]


def _testing_md_settings() -> list[str]:
    text = (ROOT / "docs" / "testing.md").read_text(encoding="utf-8")
    block = text.split("    [tool.pytest.ini_options]\n", 1)[1].split("\n\n", 1)[0]
    return [line.strip() for line in block.splitlines()]


@pytest.mark.parametrize("settings", [_readme_settings, _testing_md_settings], ids=["README", "testing.md"])
def test_the_documented_pytest_setup_runs_without_a_warning(settings: Any, tmp_path: Path) -> None:
    lines = settings()
    assert 'asyncio_mode = "auto"' in lines
    (tmp_path / "pyproject.toml").write_text("[tool.pytest.ini_options]\n" + "\n".join(lines) + "\n")
    (tmp_path / "test_game.py").write_text(_USER_TEST)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AGONES_", "PYTEST_"))}
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-W", "error", "test_game.py"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 passed" in result.stdout
    assert "Warning" not in result.stdout + result.stderr
