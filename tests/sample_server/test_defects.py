"""The defects found in review, each pinned by a test that failed before its fix."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import socket
import sys
import time

import pytest

from aioagones import SDK, GameServer
from aioagones.local import SidecarServer, default_game_server
from aioagones.testing import LocalSidecar
from sample_server._cli import choose_port, parse_args
from sample_server._config import ServerConfig
from sample_server._server import bind_udp
from sample_server._sessions import JoinResult, Sessions

from .._wait import line_matching, until
from ._harness import TOKEN, Client, running

ADMIN = b"ADMIN " + TOKEN.encode() + b" "


# --------------------------------------------------------------------------- session races


def test_a_leave_in_flight_makes_a_rejoin_of_that_player_wait() -> None:
    s = Sessions(10, 10.0)
    assert s.begin_join("a", "p", 0.0) is JoinResult.NEW
    s.finish_join("a", True, 0.0)
    leaving = s.leave("a")
    assert leaving is not None
    # the delete_list_value for p is still in flight: neither the same address nor another may rejoin as p
    assert s.begin_join("a", "p", 0.1) is JoinResult.BUSY
    assert s.begin_join("b", "p", 0.1) is JoinResult.BUSY
    assert s.begin_join("a", "q", 0.1) is JoinResult.BUSY
    s.finish_leave(leaving)
    assert s.begin_join("a", "p", 0.2) is JoinResult.NEW


async def test_leave_then_join_at_once_keeps_the_list_and_the_sessions_agreeing() -> None:
    async with running(ServerConfig()) as r:
        with Client("::1", r.port) as c:
            assert await c.join(b"racer") == b"ACK: JOIN racer\n"
            cookie = (await c.ask(b"JOIN racer")).split()[1]  # a second join (with its cookie) ...
            await c.send(b"LEAVE " + c.secret)
            await c.send(b"JOIN racer " + cookie)  # ... arrives while the LEAVE's delete is in flight
            replies = {await c.recv(), await c.recv()}
            assert b"ACK: LEAVE\n" in replies
            gs = await r.sidecar.wait_for(lambda gs: True)
            joined = "racer" in r.server.sessions.player_ids
            assert ("racer" in gs.status.lists["players"].values) == joined
            assert any(reply.startswith(b"ACK: JOIN racer ") for reply in replies) == joined


# --------------------------------------------------------------------------- claiming a listed player


async def test_a_listed_id_is_claimed_once_and_only_owners_remove_ids() -> None:
    async with running(ServerConfig(admin_token=TOKEN)) as r:
        with Client("::1", r.port) as a, Client("::1", r.port) as b, Client("::1", r.port) as admin:
            # test2 is listed by the allocator (the reference GameServer): the first JOIN claims it
            assert await a.join(b"test2") == b"ACK: JOIN test2\n"
            assert await b.join(b"test2") == b"ERROR: id in use\n"  # held by a live session
            assert await a.leave() == b"ACK: LEAVE\n"  # a claimed it: it goes
            await r.sidecar.wait_for(lambda gs: "test2" not in gs.status.lists["players"].values)
            # listed again behind our back: it was claimed once already, so nobody may claim it again
            assert await admin.ask(ADMIN + b"APPEND_LIST_VALUE players test2") == b"SUCCESS\n"
            assert await b.join(b"test2") == b"ERROR: id in use\n"
            assert "test2" in r.sidecar.game_server.status.lists["players"].values


# --------------------------------------------------------------------------- admin replies


async def test_admin_replies_are_not_cut() -> None:
    async with running(ServerConfig(admin_token=TOKEN)) as r:
        with Client("::1", r.port) as admin:
            for i in range(4):
                value = b"a-rather-long-player-name-%d" % i
                assert await admin.ask(ADMIN + b"APPEND_LIST_VALUE players " + value) == b"SUCCESS\n"
            reply = await admin.ask(ADMIN + b"GET_LIST_VALUES players")
            assert reply.startswith(b"VALUES: test0,test1,test2,a-rather-long-player-name-0,")
            assert len(reply) > len(ADMIN + b"GET_LIST_VALUES players") + 16
            bad = await admin.ask(ADMIN + b"RESERVE forever-and-a-day")
            assert bad == b'ERROR: time: invalid duration "forever-and-a-day"\n\n'
        assert r.server.metrics.too_long == 0


# --------------------------------------------------------------------------- shutdown decisions


async def test_shutdown_is_sent_on_sigterm_even_if_the_first_state_seen_was_shutdown() -> None:
    async with LocalSidecar() as sidecar:
        async with SDK(sidecar.host, sidecar.port) as sdk:
            await sdk.shutdown()  # a sidecar reused after a restart: Shutdown before we start
        async with running(ServerConfig(), sidecar=sidecar) as r:
            await r.sidecar.wait_for(lambda gs: gs.status.state == "Ready")  # marked Ready at start
            await until(lambda: r.server.metrics.state == "Ready")
            r.server.request_stop("SIGTERM")
            async with asyncio.timeout(5):
                await r.task
        assert sidecar.calls.count("shutdown") == 2
        assert sidecar.game_server.status.state == "Shutdown"


_SIDECAR_PROCESS = """
import asyncio, sys
from aioagones.local import SidecarServer, load_game_server

async def main():
    server = SidecarServer(load_game_server(None), host="127.0.0.1", port=0)
    await server.start()
    print("sidecar on port", server.port, file=sys.stderr, flush=True)
    await asyncio.Event().wait()

asyncio.run(main())
"""


async def test_a_hung_sidecar_does_not_delay_exit_beyond_the_grace_period() -> None:
    # a sidecar in a process of its own, so that SIGSTOP can hang it
    sidecar = await asyncio.create_subprocess_exec(
        sys.executable, "-c", _SIDECAR_PROCESS, stderr=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.DEVNULL
    )
    server: asyncio.subprocess.Process | None = None
    assert sidecar.stderr is not None
    try:
        m = await line_matching(sidecar.stderr, r"sidecar on port (\d+)")
        env = {**os.environ, "AGONES_SDK_GRPC_HOST": "127.0.0.1", "AGONES_SDK_GRPC_PORT": m.group(1)}
        server = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "sample_server",
            "--port",
            "0",
            "--graceful-termination-delay-sec",
            "2",
            env=env,
            stderr=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.DEVNULL,
        )
        assert server.stderr is not None
        await line_matching(server.stderr, "marked Ready")
        sidecar.send_signal(signal.SIGSTOP)
        started = time.monotonic()
        server.send_signal(signal.SIGTERM)
        async with asyncio.timeout(20):
            err = await server.stderr.read()
            assert await server.wait() == 0
        elapsed = time.monotonic() - started
        assert 2.0 <= elapsed < 8.0, (elapsed, err.decode())  # 12 s and more before: Shutdown waited its deadline
        assert b"Traceback" not in err
    finally:
        for proc in (server, sidecar):
            if proc is not None and proc.returncode is None:
                proc.send_signal(signal.SIGCONT)
                proc.kill()
                await proc.wait()


# --------------------------------------------------------------------------- TCP idle


async def test_tcp_connections_that_send_no_line_are_closed_and_counted() -> None:
    async with running(ServerConfig(tcp=True, tcp_idle_timeout=1.0)) as r:
        silent = await asyncio.open_connection("::1", r.port)
        partial = await asyncio.open_connection("127.0.0.1", r.port)
        partial[1].write(b"no newline yet")
        reader, writer = await asyncio.open_connection("::1", r.port)

        async def talk() -> None:  # a line far more often than the timeout keeps this one open
            while True:
                writer.write(b"hi\n")
                assert await reader.readuntil(b"\n\n") == b"ACK TCP: hi\n\n"
                await asyncio.sleep(0.05)

        talking = asyncio.create_task(talk())
        try:
            async with asyncio.timeout(10):
                assert await silent[0].read() == b""  # closed by the server
                assert await partial[0].read() == b""
            assert not talking.done()
            talking.cancel()
            # Until the task has ended it may still be inside readuntil(), and a second reader
            # of the same stream is a RuntimeError.
            with contextlib.suppress(asyncio.CancelledError):
                await talking
            writer.write(b"still here\n")
            async with asyncio.timeout(5):
                while (line := await reader.readuntil(b"\n\n")) == b"ACK TCP: hi\n\n":
                    pass
            assert line == b"ACK TCP: still here\n\n"
        finally:
            talking.cancel()
            for w in (silent[1], partial[1], writer):
                w.close()
        assert r.server.metrics.tcp_idle_closed == 2
        assert 'sample_server_errors_total{kind="tcp_idle"} 2' in r.server.metrics.render()


def test_tcp_idle_timeout_flag_and_environment() -> None:
    assert parse_args([], {}).tcp_idle_timeout_sec == 30
    assert parse_args([], {"TCP_IDLE_TIMEOUT_SEC": "5"}).tcp_idle_timeout_sec == 5
    assert parse_args(["--tcp-idle-timeout-sec", "0"], {"TCP_IDLE_TIMEOUT_SEC": "5"}).tcp_idle_timeout_sec == 0


# --------------------------------------------------------------------------- metrics


async def test_one_malformation_reason_per_datagram_and_sidecar_metrics() -> None:
    async with running(ServerConfig(admin_token=TOKEN)) as r:
        with Client("::1", r.port) as c:
            await c.send(b" " * 1100)
            assert await c.recv() == b"ACK: \n"
            await c.send(b"   ")
            assert await c.recv() == b"ACK: \n"
            # with the token, reads go through the sidecar (the public's come from the watch)
            assert await c.ask(ADMIN + b"GAMESERVER") == b"NAME: local\n"
            assert await c.ask(ADMIN + b"PLAYER_COUNT") == b"0\n"
        m = r.server.metrics
        assert m.malformed == {"oversize": 1, "empty": 1, "binary": 0, "bad_utf8": 0}
        text = m.render()
        assert "sample_server_sidecar_up 1" in text
        assert "# TYPE sample_server_sidecar_reply_seconds histogram" in text
        assert "sample_server_sidecar_reply_seconds_count 2" in text
        assert 'sample_server_sidecar_reply_seconds_bucket{le="+Inf"} 2' in text
        await r.sidecar.stop()
        with Client("::1", r.port) as c:
            assert (await c.ask(ADMIN + b"GAMESERVER")).startswith(b"ERROR: ")  # the call fails: no sidecar
        assert "sample_server_sidecar_up 0" in m.render()
        assert "sample_server_sidecar_reply_seconds_count 3" in m.render()
        await r.sidecar.start()


# --------------------------------------------------------------------------- messages


def test_a_missing_port_name_is_a_warning_naming_the_ports(caplog: pytest.LogCaptureFixture) -> None:
    args = parse_args(["--port-name", "game"], {})
    gs = GameServer.from_pb(SidecarServer(default_game_server(0.0)).snapshot())  # one port, `default`
    with caplog.at_level(logging.INFO, logger="sample_server"):
        assert choose_port(args, gs) == 7654
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1
    assert "'game'" in warnings[0].getMessage()
    assert "'default'" in warnings[0].getMessage()


def test_a_busy_port_names_the_address_and_port() -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as taken:
        taken.bind(("127.0.0.1", 0))
        port = taken.getsockname()[1]
        with pytest.raises(OSError) as exc:
            bind_udp("127.0.0.1", port)
    assert f"127.0.0.1:{port}" in str(exc.value)
    assert "in use" in str(exc.value)
