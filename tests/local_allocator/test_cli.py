"""`agones-local-allocator` in a subprocess: bad input, serving a sidecar, stopping on SIGTERM."""

from __future__ import annotations

import asyncio
import signal
import socket
import subprocess
import sys

import pytest
from google.protobuf import json_format

from aioagones._pb import allocation_pb2 as pb
from aioagones._version import __version__

from .._commands import reaped
from .._wait import line_matching
from ._support import address, allocate, manifest, sidecars

COMMAND = [sys.executable, "-m", "aioagones.local_allocator"]


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*COMMAND, *args], capture_output=True, text=True, timeout=30, check=False)


def test_version() -> None:
    result = run("--version")
    assert (result.returncode, result.stdout) == (0, f"agones-local-allocator {__version__}\n")


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["--port", "nine"], "argument --port: 'nine' is not a port number (0-65535)"),
        (["--sidecar", "localhost"], "argument --sidecar: 'localhost' is not HOST:HTTP_PORT (e.g. localhost:9358"),
        (["--cert", "server.pem"], "--cert and --key go together"),
        (["--cert", "nope.pem", "--key", "nope.key"], "--cert nope.pem: no such file"),
        (["--log-level", "loud"], "'loud' is not one of DEBUG, INFO, WARNING, ERROR"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(args: list[str], says: str) -> None:
    result = run(*args)
    assert result.returncode == 2
    assert result.stderr.startswith("agones-local-allocator: error: ")
    assert says in result.stderr and result.stderr.count("\n") == 1


def test_a_port_in_use_is_exit_1() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        result = run("--address", "127.0.0.1", "--port", str(taken.getsockname()[1]))
    assert result.returncode == 1
    assert result.stderr.startswith("agones-local-allocator: error: cannot listen on 127.0.0.1:")
    assert result.stderr.count("\n") == 1


def test_a_port_in_use_on_ipv6_names_the_address_in_brackets() -> None:
    with socket.socket(socket.AF_INET6) as taken:
        taken.bind(("::1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = run("--address", "::1", "--port", str(port))
    assert result.returncode == 1
    assert result.stderr.startswith(f"agones-local-allocator: error: cannot listen on [::1]:{port}: ")


async def test_serves_the_sidecars_it_is_given_and_stops_on_sigterm() -> None:
    async with sidecars(manifest("gs-a")) as (sidecar,):
        process = await asyncio.create_subprocess_exec(
            *COMMAND, "--address", "127.0.0.1", "--port", "0", "--sidecar", address(sidecar),
            stderr=asyncio.subprocess.PIPE,
        )  # fmt: skip
        async with reaped(process):
            assert process.stderr is not None
            serving = await line_matching(process.stderr, r"serving AllocationService .* on 127\.0\.0\.1:(\d+)")
            reply = await allocate(
                int(serving[1]), json_format.ParseDict({"namespace": "default"}, pb.AllocationRequest())
            )
            assert reply.gameServerName == "gs-a"
            await line_matching(process.stderr, r"Allocate\(namespace='default'\) -> gs-a \(was Ready\)")
            process.send_signal(signal.SIGTERM)
            async with asyncio.timeout(20):
                assert await process.wait() == 0


def test_import_aioagones_loads_neither_the_local_allocator_nor_aiohttp() -> None:
    code = "import sys, aioagones; print(sorted(m for m in sys.modules if m.startswith(('aioagones.loc', 'aiohttp'))))"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=30, check=True)
    assert result.stdout == "[]\n"
