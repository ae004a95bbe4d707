"""A local sidecar a developer can leave running: the health clock, Unhealthy replaced, reset, and
the rough edges a new user met (REST error texts, a port in use, wait_for's timeout)."""

from __future__ import annotations

import asyncio
import logging
import socket
import subprocess
from collections.abc import AsyncIterator

import aiohttp
import grpc.aio
import pytest

from aioagones import State
from aioagones._pb import sdk_pb2, sdk_pb2_grpc
from aioagones.local import SidecarError, default_game_server, load_game_server
from aioagones.local._host import local_addresses
from aioagones.local._server import SidecarServer
from aioagones.testing import LocalSidecar

from ._support import CLEAN_ENV, COMMAND

E = sdk_pb2.Empty()


class Clock:
    """A monotonic clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


async def _states(channel: grpc.aio.Channel, until: str) -> sdk_pb2.GameServer:
    call = sdk_pb2_grpc.SDKStub(channel).WatchGameServer(E)
    try:
        while True:
            gs = await call.read()
            assert isinstance(gs, sdk_pb2.GameServer)
            if gs.status.state == until:
                return gs
    finally:
        call.cancel()


@pytest.fixture
async def clocked() -> AsyncIterator[tuple[SidecarServer, Clock]]:
    clock = Clock()
    server = SidecarServer(default_game_server(1_700_000_000), host="127.0.0.1", port=0, clock=clock)
    async with server, asyncio.timeout(20):
        yield server, clock


async def test_the_health_clock_starts_at_the_game_s_first_call(clocked: tuple[SidecarServer, Clock]) -> None:
    server, clock = clocked
    assert server.rules.next_deadline() is None  # nobody has called: nothing can be missed
    clock.now = 1000.0  # far past the default's 10 s + 5 x 3 s since the start
    async with grpc.aio.insecure_channel(server.address) as channel:
        gs = await sdk_pb2_grpc.SDKStub(channel).GetGameServer(E)
    assert gs.status.state == "Ready"
    assert server.rules.next_deadline() == 1000.0 + 10 + 5 * 3


async def test_an_unhealthy_game_server_is_replaced_when_a_new_game_connects(
    clocked: tuple[SidecarServer, Clock], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="aioagones.local")
    server, clock = clocked
    async with grpc.aio.insecure_channel(server.address) as old_game:
        stub = sdk_pb2_grpc.SDKStub(old_game)
        await stub.Shutdown(E)
        await stub.Ready(E)  # the clock runs from here on
        await stub.SetLabel(sdk_pb2.KeyValue(key="round", value="1"))
        clock.now = 1000.0
        await stub.GetGameServer(E)  # wakes the timer
        await _states(old_game, "Unhealthy")
        caplog.clear()
        await stub.Ready(E)  # answered OK, as the real sidecar does; nothing changes
        assert (await stub.GetGameServer(E)).status.state == "Unhealthy"
        said = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
        assert any("Ready() -> state Unhealthy, unchanged" in s and "agones-local-sidecar reset" in s for s in said)
        # Its own connection, as a new process has (channels of one process share one by default).
        own = [("grpc.use_local_subchannel_pool", 1)]
        async with grpc.aio.insecure_channel(server.address, options=own) as a_look:
            gs = await sdk_pb2_grpc.SDKStub(a_look).GetGameServer(E)  # someone looking replaces nothing
        assert gs.status.state == "Unhealthy"
        async with grpc.aio.insecure_channel(server.address, options=own) as new_game:
            await sdk_pb2_grpc.SDKStub(new_game).Ready(E)
            gs = await sdk_pb2_grpc.SDKStub(new_game).GetGameServer(E)
    assert gs.status.state == "Ready"
    assert "agones.dev/sdk-round" not in gs.object_meta.labels  # a fresh GameServer, not the old one
    replaced = [r.getMessage() for r in caplog.records if "replaced by a fresh GameServer" in r.getMessage()]
    assert len(replaced) == 1
    assert "a new game process connected" in replaced[0] and "as a Fleet would replace it" in replaced[0]
    assert server.rules.next_deadline() == 1000.0 + 10 + 5 * 3  # the new game's clock


async def test_reset_starts_over_from_the_testing_class_over_http_and_from_the_cli() -> None:
    async with LocalSidecar(manifest={"metadata": {"name": "fresh"}}) as sidecar:
        await sidecar.set_state("Unhealthy")
        with pytest.raises(SidecarError, match="`agones-local-sidecar reset` starts over"):
            await sidecar.allocate()  # the refusal names the way out
        gs = await sidecar.reset()
        assert (gs.object_meta.name, gs.status.state) == ("fresh", State.SCHEDULED)
        await sidecar.set_state("Unhealthy")
        async with aiohttp.ClientSession() as http, http.post(f"{sidecar.http_url}/local/reset") as reply:
            assert reply.status == 200
            assert (await reply.json())["status"]["state"] == "Scheduled"
        await sidecar.set_state("Unhealthy")
        env = {**CLEAN_ENV, "AGONES_SDK_HTTP_PORT": str(sidecar.http_port)}
        process = await asyncio.create_subprocess_exec(
            *COMMAND, "reset", "--address", "127.0.0.1", stdout=asyncio.subprocess.PIPE, env=env
        )
        out, _ = await process.communicate()
        assert (process.returncode, out.decode()) == (0, "GameServer fresh: started over, state Scheduled\n")
        assert sidecar.game_server.status.state is State.SCHEDULED


async def test_an_allocation_of_a_game_server_not_ready_says_how_to_get_it_ready() -> None:
    async with LocalSidecar(manifest={"metadata": {"name": "g"}}) as sidecar:
        with pytest.raises(SidecarError, match="the game calls Ready first, or `agones-local-sidecar state Ready`"):
            await sidecar.allocate()


def test_the_default_game_server_lists_this_machine_s_addresses_as_pod_ips() -> None:
    addresses = load_game_server(None).addresses
    assert addresses == [("PodIP", a) for a in local_addresses()]
    assert addresses  # never empty: loopback when the machine has nothing else


async def test_wait_for_says_what_it_waited_for_and_what_it_saw() -> None:
    async with LocalSidecar() as sidecar:
        with pytest.raises(TimeoutError) as info:
            await sidecar.wait_for(lambda gs: gs.status.state is State.ALLOCATED, timeout=0.2)
    said = str(info.value)
    assert "wait_for(lambda gs: gs.status.state is State.ALLOCATED" in said
    assert "not within 0.2 s" in said
    assert "last seen: GameServer 'local', state Ready" in said


@pytest.mark.parametrize(
    ("method", "path", "body", "says"),
    [
        ("PUT", "/metadata/label", '{"key":123}', "invalid value for string field key: 123"),
        ("POST", "/reserve", '{"seconds":"abc"}', 'invalid value for int64 field seconds: "abc"'),
        ("PATCH", "/v1beta1/counters/rooms", '{"count":"many"}', 'invalid value for int64 field count: "many"'),
        (
            "PUT",
            "/metadata/label",
            '{"kee":"map"}',
            'the body\'s "kee": no such field of KeyValue, which has key, value',
        ),
    ],
)
async def test_rest_errors_name_the_field_not_python(method: str, path: str, body: str, says: str) -> None:
    async with (
        LocalSidecar() as sidecar,
        aiohttp.ClientSession() as http,
        http.request(
            method, f"{sidecar.http_url}{path}", data=body, headers={"Content-Type": "application/json"}
        ) as reply,
    ):
        assert reply.status == 400
        message = (await reply.json())["message"]
    assert says in message
    for python in ("int()", "bytes-like", "literal", "Failed to parse"):
        assert python not in message


def _listening(host: str) -> socket.socket:
    sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET)
    sock.bind((host, 0))
    sock.listen()
    return sock


@pytest.mark.parametrize(("flag", "other"), [("--grpc-port", "--http-port"), ("--http-port", "--grpc-port")])
def test_a_port_in_use_is_one_line_naming_the_flag(flag: str, other: str) -> None:
    with _listening("127.0.0.1") as taken:
        port = taken.getsockname()[1]
        result = subprocess.run(
            [*COMMAND, "--address", "127.0.0.1", flag, str(port), other, "0"],
            capture_output=True,
            text=True,
            timeout=30,
            env=CLEAN_ENV,
            check=False,
        )
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    front_end = "gRPC" if flag == "--grpc-port" else "HTTP"
    assert f"cannot listen on 127.0.0.1:{port} ({front_end}): address already in use" in lines[0]
    assert f"pick another port with {flag}" in lines[0]
