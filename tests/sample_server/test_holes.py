"""The holes of issue 17 that are not about admission: each pinned over real sockets on loopback."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
from pathlib import Path

import pytest

from aioagones.local._state import printable
from sample_server import protocol as p
from sample_server._cli import announce_admin, parse_args, start_metrics
from sample_server._config import ServerConfig
from sample_server._dispatch import PUBLIC_READ_BURST, REFUSAL_BURST
from sample_server._limits import SourceBuckets, source_of
from sample_server._reads import PUBLIC_READS as PUBLIC_READ_WORDS

from .._wait import until
from ._harness import Client, Running, running

# --------------------------------------------------------------------------- TCP slots


async def _line_writers(host: str, port: int, n: int) -> list[asyncio.StreamWriter]:
    """`n` connections that each send a line and never read what comes back."""
    writers = []
    for _ in range(n):
        _, writer = await asyncio.open_connection(host, port)
        writer.write(b"hello\n")
        writers.append(writer)
    return writers


async def test_one_host_cannot_take_every_tcp_slot() -> None:
    async with running(ServerConfig(tcp=True)) as r:
        writers = await _line_writers("127.0.0.1", r.port, 256)  # every slot there is, before the cap
        try:
            await until(lambda: r.server.metrics.tcp_connections + r.server.metrics.tcp_refused >= 256)
            assert r.server.metrics.tcp_connections == 16  # the default cap per IP
            assert r.server.metrics.tcp_refused == 240
            reader, writer = await asyncio.open_connection("::1", r.port)  # another host is still served
            try:
                writer.write(b"still room\n")
                async with asyncio.timeout(5):
                    assert await reader.readuntil(b"\n\n") == b"ACK TCP: still room\n\n"
            finally:
                writer.close()
            assert 'sample_server_errors_total{kind="tcp_refused"} 240' in r.server.metrics.render()
        finally:
            for w in writers:
                w.close()


async def test_a_tcp_peer_that_never_reads_is_aborted_after_the_write_timeout() -> None:
    async with running(ServerConfig(tcp=True, tcp_write_timeout=0.5)) as r:
        flood = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
        flood.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)  # fills at once: it never reads
        flood.connect(("::1", r.port))
        flood.setblocking(False)
        line = b"x" * 60_000 + b"\n"  # each line comes back as a reply of the same size
        loop = asyncio.get_running_loop()
        try:

            async def send_until_stuck() -> None:
                # the server stops reading once it waits on a reply that cannot leave: our sends then block
                with contextlib.suppress(ConnectionError):
                    while True:
                        await loop.sock_sendall(flood, line)

            sending = asyncio.create_task(send_until_stuck())
            try:
                await until(lambda: r.server.metrics.tcp_write_timeouts == 1, timeout=10)
            finally:
                sending.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await sending
            # the handler is gone and its slot free: other peers are served as before
            reader, writer = await asyncio.open_connection("::1", r.port)
            writer.write(b"next\n")
            async with asyncio.timeout(5):
                assert await reader.readuntil(b"\n\n") == b"ACK TCP: next\n\n"
            writer.close()
        finally:
            flood.close()
        assert 'sample_server_errors_total{kind="tcp_write_timeout"} 1' in r.server.metrics.render()


# --------------------------------------------------------------------------- --insecure-admin, metrics


def test_insecure_admin_warns_loudly_unless_bound_to_loopback(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="sample_server")
    for address, loud in [(None, True), ("0.0.0.0", True), ("127.0.0.1", False), ("::1", False)]:
        caplog.clear()
        announce_admin(ServerConfig(insecure_admin=True, address=address))
        [record] = caplog.records
        assert record.levelno == logging.WARNING
        assert ("ANYONE WHO CAN SEND A DATAGRAM HERE" in record.getMessage()) is loud, address
        assert "\n" not in record.getMessage()
    caplog.clear()
    announce_admin(ServerConfig(admin_token="x" * 32))
    assert not caplog.records


async def _get_metrics(host: str, port: int) -> bytes:
    async with asyncio.timeout(5):
        reader, writer = await asyncio.open_connection(host, port)
        writer.write(b"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n")
        data = await reader.read()
        writer.close()
    return data


async def test_metrics_address_binds_one_address_and_the_default_takes_both_stacks() -> None:
    local = await start_metrics(
        parse_args(["--metrics-port", "0", "--metrics-address", "127.0.0.1"], {}), lambda: "m 1\n"
    )
    pod = await start_metrics(parse_args(["--metrics-port", "0"], {"METRICS_ADDRESS": ""}), lambda: "m 2\n")
    assert local is not None and pod is not None
    try:
        [sock] = local.sockets
        assert sock.getsockname()[0] == "127.0.0.1"
        assert (await _get_metrics("127.0.0.1", sock.getsockname()[1])).endswith(b"\r\n\r\nm 1\n")
        with pytest.raises(OSError):
            await _get_metrics("::1", sock.getsockname()[1])
        # the default is the Pod IP's need: every interface, IPv6 and IPv4 on one socket
        [sock] = pod.sockets
        assert sock.getsockname()[0] == "::"
        for host in ("::1", "127.0.0.1"):
            assert (await _get_metrics(host, sock.getsockname()[1])).endswith(b"\r\n\r\nm 2\n")
    finally:
        for server in (local, pod):
            server.close()
            await server.wait_closed()


def test_metrics_address_must_be_an_ip(capsys: pytest.CaptureFixture[str]) -> None:
    assert parse_args([], {"METRICS_ADDRESS": "::1"}).metrics_address == "::1"
    with pytest.raises(SystemExit) as exc:
        parse_args(["--metrics-address", "localhost"], {})
    assert exc.value.code == 2
    assert "--metrics-address: not an IP address: 'localhost'" in capsys.readouterr().err


# --------------------------------------------------------------------------- the admin token


@pytest.mark.parametrize(
    ("token", "ok"),
    [
        ("0123456789abcdef0123456789abcde", False),  # 31 hex digits: 124 bits
        ("0123456789abcdef0123456789abcdef", True),
        ("Zm9vYmFyYmF6cXV4cXV1eA", True),  # 22 base64 characters: 132 bits
        ("Zm9vYmFyYmF6cXV4cXV1e", False),
        ("t0ken", False),
        ("hunter2", False),
    ],
)
def test_an_admin_token_too_short_for_128_bits_is_refused_at_start(
    token: str, ok: bool, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    secret = tmp_path / "token"
    secret.write_text(token + "\n")
    for argv, env in [(["--admin-token", token], {}), ([], {"ADMIN_TOKEN_FILE": str(secret)})]:
        if ok:
            assert parse_args(argv, env).admin_token == token
            continue
        with pytest.raises(SystemExit) as exc:
            parse_args(argv, env)
        assert exc.value.code == 2
        err = capsys.readouterr().err
        assert f"--admin-token: {len(token)} characters is too short to hold 128 random bits" in err
        assert err.count("\n") == 1


async def test_refusals_beyond_a_source_budget_get_no_reply() -> None:
    token = "0123456789abcdef0123456789abcdef"
    async with running(ServerConfig(admin_token=token)) as r:
        with Client("127.0.0.1", r.port) as guesser, Client("::1", r.port) as other:
            for _ in range(REFUSAL_BURST):
                assert await guesser.ask(b"ADMIN wrong READY") == p.REFUSED
            # the budget is spent: a guess gets nothing back, the echo after it is the next reply
            for datagram in (b"ADMIN wrong READY", b"READY"):
                await guesser.send(datagram)
                assert await guesser.ask(b"ping") == b"ACK: ping\n"
            assert r.server.metrics.refusals_throttled == 2
            assert r.server.metrics.refused == REFUSAL_BURST
            # another source has a budget of its own, and the right token is never throttled
            assert await other.ask(b"ADMIN wrong READY") == p.REFUSED
            assert await guesser.ask(b"ADMIN " + token.encode() + b" WATCH") == b"ACK: WATCH\n"
        assert 'sample_server_errors_total{kind="refusal_throttled"} 2' in r.server.metrics.render()


# --------------------------------------------------------------------------- public reads

PUBLIC_READS = [
    b"GAMESERVER",
    b"PLAYER_COUNT",
    b"PLAYER_CAPACITY",
    b"GET_COUNTER_COUNT rooms",
    b"GET_COUNTER_CAPACITY rooms",
    b"GET_COUNTER_COUNT nope",
    b"GET_LIST_CAPACITY players",
    b"GET_LIST_LENGTH players",
    b"GET_LIST_LENGTH nope",
    b"GET_LIST_CAPACITY nope",
]


def test_every_public_command_is_a_cached_read() -> None:
    assert p.PUBLIC_COMMANDS == PUBLIC_READ_WORDS


def _sidecar_calls(r: Running) -> list[str]:
    return [c for c in r.sidecar.calls if c != "health"]


async def test_public_reads_are_answered_from_the_watched_game_server() -> None:
    token = "0123456789abcdef0123456789abcdef"
    admin = b"ADMIN " + token.encode() + b" "
    async with running(ServerConfig(admin_token=token)) as r:
        with Client("::1", r.port) as public, Client("127.0.0.1", r.port) as operator:
            for datagram in PUBLIC_READS:  # the same reply as through the sidecar, byte for byte
                assert await public.ask(datagram) == await operator.ask(admin + datagram), datagram
            before, timed = _sidecar_calls(r), r.server.metrics.sidecar_reply_seconds.count
            for datagram in PUBLIC_READS:  # bare from the operator's source: its public budget is unspent
                await operator.ask(datagram)
            assert _sidecar_calls(r) == before  # not one call for the public
            assert r.server.metrics.sidecar_reply_seconds.count == timed
            # the watch keeps the copy current
            assert await operator.ask(admin + b"INCREMENT_COUNTER rooms 2") == b"SUCCESS\n"
            await until(lambda: r.server.dispatcher.game_server.status.counters["rooms"].count == 3)
            assert await public.ask(b"GET_COUNTER_COUNT rooms") == b"COUNTER: 3\n"
            # with the sidecar gone, the public still gets the last copy, at once
            await r.sidecar.stop()
            assert await public.ask(b"GAMESERVER") == b"NAME: local\n"
            assert (await operator.ask(admin + b"GAMESERVER")).startswith(b"ERROR: ")
            await r.sidecar.start()


async def test_public_reads_beyond_a_source_budget_get_no_reply() -> None:
    async with running(ServerConfig()) as r:
        with Client("::1", r.port) as flood, Client("127.0.0.1", r.port) as other:
            for _ in range(PUBLIC_READ_BURST):
                assert await flood.ask(b"GAMESERVER") == b"NAME: local\n"
            await flood.send(b"GET_LIST_LENGTH players")
            assert await flood.ask(b"ping") == b"ACK: ping\n"  # the read before it got nothing
            assert r.server.metrics.reads_throttled == 1
            assert await other.ask(b"GAMESERVER") == b"NAME: local\n"  # a budget of its own
        assert 'sample_server_errors_total{kind="read_throttled"} 1' in r.server.metrics.render()


# --------------------------------------------------------------------------- log injection


async def test_a_counter_name_cannot_forge_a_line_of_the_sidecars_log(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="aioagones.local")
    async with running(ServerConfig(insecure_admin=True)) as r:  # public reads then reach the sidecar
        with Client("::1", r.port) as c:
            assert await c.ask(b"GET_COUNTER_COUNT nope\nERROR\x1b[31m forged") == b"ERROR: -1\n"
            assert await c.ask(b"INCREMENT_COUNTER rooms\r\nforged 1") == p.TOO_LONG
    lines = [r.getMessage() for r in caplog.records if r.name.startswith("aioagones.local")]
    refused = [line for line in lines if "nope" in line]
    assert refused and all("\n" not in line and "\x1b" not in line and "\r" not in line for line in lines)
    assert "counter not found: nope\\nERROR\\x1b[31m" in refused[-1]


def test_printable_escapes_what_could_end_a_line() -> None:
    assert printable("a\nb\r\x1b\x00\u2028\x85 é ü") == "a\\nb\\r\\x1b\\x00\\u2028\\x85 é ü"


# --------------------------------------------------------------------------- sources and buckets


def test_a_source_is_an_ipv4_address_or_an_ipv6_64() -> None:
    assert source_of(("192.0.2.7", 1)) == source_of(("::ffff:192.0.2.7", 2, 0, 0)) == "192.0.2.7"
    assert source_of(("2001:db8:1:2::1", 1, 0, 0)) == source_of(("tcp", "2001:db8:1:2:ffff::9", 7, 0, 0))
    assert source_of(("2001:db8:1:2::1", 1, 0, 0)) != source_of(("2001:db8:1:3::1", 1, 0, 0))
    assert source_of(("192.0.2.7", 1)) != source_of(("192.0.2.8", 1))


def test_a_bucket_refills_at_its_rate_and_never_beyond_its_burst() -> None:
    buckets = SourceBuckets(rate=2.0, burst=3, slots=64)
    peer = ("198.51.100.1", 9)
    assert [buckets.take(peer, 100.0) for _ in range(4)] == [True, True, True, False]
    assert buckets.empty(peer, 100.4) and not buckets.empty(peer, 100.5)  # one token after 0.5 s
    assert [buckets.take(peer, 200.0) for _ in range(4)] == [True, True, True, False]  # capped at the burst
