"""`agones-local-sidecar` in a subprocess: bad input, serving, and stopping on SIGTERM/SIGINT."""

from __future__ import annotations

import asyncio
import json
import re
import signal
import socket
import subprocess
import urllib.request
from pathlib import Path

import grpc.aio
import pytest

from aioagones._pb import sdk_pb2, sdk_pb2_grpc

from .._commands import reaped
from .._wait import line_matching
from ._support import CLEAN_ENV, COMMAND, free_port, sidecar_command


def run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*COMMAND, *args], capture_output=True, text=True, timeout=30, env={**CLEAN_ENV, **(env or {})}, check=False
    )


@pytest.mark.parametrize(
    ("args", "env", "says"),
    [
        (["--grpc-port", "nine"], {}, "argument --grpc-port: 'nine' is not a port number (0-65535)"),
        (["--grpc-port", "70000"], {}, "argument --grpc-port: 70000 is not a port number (0-65535)"),
        ([], {"AGONES_SDK_GRPC_PORT": "x"}, "argument --grpc-port: 'x' is not a port number (0-65535)"),
        (["--log-level", "loud"], {}, "argument --log-level: 'loud' is not one of DEBUG, INFO, WARNING, ERROR"),
        ([], {"AGONES_LOCAL_LOG_LEVEL": "loud"}, "'loud' is not one of DEBUG, INFO, WARNING, ERROR"),
        (["--bogus"], {}, "unrecognized arguments: --bogus"),
        (["-f", "/nonexistent/gs.yaml"], {}, "/nonexistent/gs.yaml: cannot read"),
        ([], {"AGONES_LOCAL_FILE": "/nonexistent/gs.yaml"}, "/nonexistent/gs.yaml: cannot read"),
        (["--pod-ip", "localhost"], {}, "argument --pod-ip: 'localhost' is not an IP address (e.g. 127.0.0.1 or ::1)"),
        (["--pod-ip", "::1"], {}, "--pod-ip is for a manifest (-f): the default GameServer lists no Pod IPs"),
        ([], {"AGONES_LOCAL_POD_IPS": "::1,nope"}, "environment AGONES_LOCAL_POD_IPS: 'nope' is not an IP address"),
    ],
)
def test_bad_input_is_one_line_and_exit_code_2(args: list[str], env: dict[str, str], says: str) -> None:
    result = run(*args, env=env)
    assert result.returncode == 2
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("agones-local-sidecar: error: ")
    assert says in lines[0]
    assert "Traceback" not in result.stderr


def test_bad_manifest_names_the_field(tmp_path: Path) -> None:
    path = tmp_path / "gs.yaml"
    path.write_text(
        "metadata: {name: x}\nspec:\n  ports:\n  - {name: default, portPolicy: none, containerPort: 7777}\n"
    )
    result = run("-f", str(path))
    assert result.returncode == 2
    assert result.stderr == (
        f"agones-local-sidecar: error: {path}: "
        "spec.ports[0].portPolicy: 'none' is not one of Dynamic, Static, Passthrough, None\n"
    )


def test_help_documents_every_environment_variable() -> None:
    result = run("--help")
    assert result.returncode == 0
    names = ("AGONES_LOCAL_ADDRESS", "AGONES_SDK_GRPC_PORT", "AGONES_SDK_HTTP_PORT", "AGONES_LOCAL_FILE")
    for name in (*names, "AGONES_LOCAL_LOG_LEVEL", "AGONES_LOCAL_POD_IPS"):
        assert name in result.stdout


def test_a_busy_port_exits_1() -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = run("--address", "127.0.0.1", "--grpc-port", str(port), "--http-port", "0")
    assert result.returncode == 1
    assert f"cannot listen on 127.0.0.1:{port}" in result.stderr
    assert "Traceback" not in result.stderr


async def _start(*args: str, env: dict[str, str] | None = None) -> tuple[asyncio.subprocess.Process, int, list[str]]:
    """Start the sidecar on a free port; return it, its port and the log lines read so far."""
    process = await asyncio.create_subprocess_exec(
        *sidecar_command(*args, address=None),
        stderr=asyncio.subprocess.PIPE,
        env={**CLEAN_ENV, **(env or {})},
    )
    assert process.stderr is not None
    lines: list[str] = []
    async with asyncio.timeout(20):
        while True:
            line = (await process.stderr.readline()).decode()
            assert line, f"exited early: {lines}"
            lines.append(line)
            if match := re.search(r"serving GameServer .* on (\S+):(\d+)$", line.strip()):
                return process, int(match.group(2)), lines
    raise AssertionError(lines)


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
async def test_serves_and_stops_cleanly_on_a_signal(signum: signal.Signals) -> None:
    process, port, _ = await _start("--address", "127.0.0.1", env={"AGONES_LOCAL_LOG_LEVEL": "debug"})
    async with reaped(process):
        async with grpc.aio.insecure_channel(f"127.0.0.1:{port}") as channel, asyncio.timeout(10):
            stub = sdk_pb2_grpc.SDKStub(channel)
            watch = stub.WatchGameServer(sdk_pb2.Empty())
            assert isinstance(await watch.read(), sdk_pb2.GameServer)
            await stub.Ready(sdk_pb2.Empty())
            process.send_signal(signum)
            assert process.stderr is not None
            rest = (await process.stderr.read()).decode()
            assert await process.wait() == 0
    assert "Ready() -> state Ready" in rest
    assert "stopping" in rest
    assert "Traceback" not in rest


async def test_a_manifest_from_the_environment(tmp_path: Path) -> None:
    path = tmp_path / "gs.json"
    path.write_text(json.dumps({"metadata": {"name": "from-env"}, "spec": {"health": {"disabled": True}}}))
    process, port, _ = await _start(env={"AGONES_LOCAL_FILE": str(path), "AGONES_LOCAL_ADDRESS": "127.0.0.1"})
    async with reaped(process):
        async with grpc.aio.insecure_channel(f"127.0.0.1:{port}") as channel, asyncio.timeout(10):
            gs = await sdk_pb2_grpc.SDKStub(channel).GetGameServer(sdk_pb2.Empty())
        assert (gs.object_meta.name, gs.status.state) == ("from-env", "Scheduled")
        process.terminate()
        async with asyncio.timeout(10):
            assert await process.wait() == 0


async def test_rest_on_the_http_port_from_the_environment() -> None:
    http_port = free_port()
    env = {"AGONES_SDK_HTTP_PORT": str(http_port), "AGONES_LOCAL_ADDRESS": "127.0.0.1"}
    process, _, _ = await _start("--http-port", str(http_port), env=env)
    try:
        assert process.stderr is not None
        line = await line_matching(process.stderr, "serving the REST API", timeout=10)
        assert f"serving the REST API on 127.0.0.1:{http_port}" in line.string

        def get() -> dict[str, object]:
            with urllib.request.urlopen(f"http://127.0.0.1:{http_port}/gameserver", timeout=5) as reply:
                return dict(json.load(reply))

        gs = await asyncio.to_thread(get)
        assert gs["status"]["state"] == "Ready"  # type: ignore[index]
    finally:
        process.terminate()
        async with asyncio.timeout(10):
            await process.wait()


async def test_http_port_0_turns_rest_off() -> None:
    process, _, lines = await _start("--address", "127.0.0.1")  # _start passes --http-port 0
    try:
        assert process.stderr is not None
        lines.append((await line_matching(process.stderr, "GameServer ports:", timeout=10)).string)
        assert not any("REST" in line for line in lines)
    finally:
        process.terminate()
        async with asyncio.timeout(10):
            await process.wait()
