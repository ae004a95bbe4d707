"""`agones-local-sidecar -f FILE` in a subprocess: an edit reaches a watcher, a broken one is logged."""

from __future__ import annotations

import asyncio
import re
import urllib.request
from pathlib import Path

import grpc.aio

from aioagones._pb import sdk_pb2, sdk_pb2_grpc

from .._commands import reaped
from ._support import CLEAN_ENV, free_port, sidecar_command

MANIFEST = "metadata: {name: cli}\nspec: {health: {disabled: true}}\n"


async def _start(*args: str) -> tuple[asyncio.subprocess.Process, int]:
    """The command on a free loopback port, once it serves; its stderr is left to read."""
    process = await asyncio.create_subprocess_exec(
        *sidecar_command(*args), stderr=asyncio.subprocess.PIPE, env=CLEAN_ENV
    )
    assert process.stderr is not None
    try:
        async with asyncio.timeout(20):
            while line := (await process.stderr.readline()).decode():
                if match := re.search(r"serving GameServer .* on \S+:(\d+)$", line.strip()):
                    return process, int(match[1])
        raise AssertionError("exited before serving")
    except BaseException:
        if process.returncode is None:
            process.kill()
        await process.wait()
        raise


async def test_the_command_reloads_its_file(tmp_path: Path) -> None:
    path = tmp_path / "gs.yaml"
    path.write_text(MANIFEST)
    process, port = await _start("-f", str(path))
    assert process.stderr is not None
    async with reaped(process):
        async with grpc.aio.insecure_channel(f"127.0.0.1:{port}") as channel, asyncio.timeout(10):
            watch = sdk_pb2_grpc.SDKStub(channel).WatchGameServer(sdk_pb2.Empty())
            first = await watch.read()
            assert isinstance(first, sdk_pb2.GameServer)
            assert first.status.state == "Scheduled"

            path.write_text("metadata: {name: [\n")
            while "edit ignored" not in (line := (await process.stderr.readline()).decode()):
                assert line, "exited early"
            assert str(path) in line
            assert "still serving the last good GameServer: not valid YAML or JSON" in line

            path.write_text(MANIFEST + "status: {state: Allocated}\n")
            edited = await watch.read()
            assert isinstance(edited, sdk_pb2.GameServer)
            watch.cancel()
        assert edited.status.state == "Allocated"
        assert edited.object_meta.generation == first.object_meta.generation + 1
        process.terminate()
        async with asyncio.timeout(10):
            assert await process.wait() == 0


async def test_pod_ips_given_replace_the_machines_at_start_after_an_edit_and_a_reset(tmp_path: Path) -> None:
    path = tmp_path / "gs.yaml"
    path.write_text(MANIFEST)
    http_port = free_port()
    process, port = await _start(
        "-f", str(path), "--pod-ip", "::1", "--pod-ip", "127.0.0.1", "--http-port", str(http_port)
    )
    expected = [("PodIP", "::1"), ("PodIP", "127.0.0.1")]
    async with reaped(process):
        async with grpc.aio.insecure_channel(f"127.0.0.1:{port}") as channel, asyncio.timeout(10):
            watch = sdk_pb2_grpc.SDKStub(channel).WatchGameServer(sdk_pb2.Empty())
            first = await watch.read()
            assert isinstance(first, sdk_pb2.GameServer)
            assert [(a.type, a.address) for a in first.status.addresses] == expected
            assert first.status.address == "::1"
            path.write_text(MANIFEST + "status: {state: Allocated}\n")
            edited = await watch.read()
            assert isinstance(edited, sdk_pb2.GameServer)
            reset = urllib.request.Request(
                f"http://127.0.0.1:{http_port}/local/reset", data=b"{}", headers={"Content-Type": "application/json"}
            )
            await asyncio.to_thread(lambda: urllib.request.urlopen(reset, timeout=5).close())
            fresh = await watch.read()
            assert isinstance(fresh, sdk_pb2.GameServer)
            watch.cancel()
        assert edited.status.state == "Allocated"
        assert [(a.type, a.address) for a in edited.status.addresses] == expected
        assert [(a.type, a.address) for a in fresh.status.addresses] == expected
        process.terminate()
        async with asyncio.timeout(10):
            assert await process.wait() == 0
