"""The sample server on loopback, against the local sidecar in this process."""

from __future__ import annotations

import asyncio
import gc
import random
import socket
import tracemalloc
from typing import Any

import pytest

from aioagones import GameServer
from sample_server import protocol as p
from sample_server._server import ServerConfig

from .._wait import until
from ._harness import TOKEN, Client, Running, running

# Upstream's replies, in an order that works on the reference local GameServer
# (name `local`, counter rooms {1/10}, list players [test0, test1, test2] / 100).
UPSTREAM_SEQUENCE = [
    (b"hello world", b"ACK: hello world\n"),
    (b"  padded \n", b"ACK: padded\n"),
    (b"GAMESERVER", b"NAME: local\n"),
    (b"READY", b"ACK: READY\n"),
    (b"RESERVE 10s", b"ACK: RESERVE 10s\n"),
    (b"ALLOCATE", b"ACK: ALLOCATE\n"),
    (b"RESERVE", b"ERROR: Invalid RESERVE, should have 1 argument\n"),
    (b"RESERVE soon", b'ERROR: time: invalid duration "soon"\n\n'),
    (b"LABEL", b"ACK: LABEL\n"),
    (b"LABEL colour blue", b"ACK: LABEL colour blue\n"),
    (b"LABEL colour", b"ERROR: Invalid LABEL command, must use zero or 2 arguments\n"),
    (b"ANNOTATION", b"ACK: ANNOTATION\n"),
    (b"ANNOTATION note hi", b"ACK: ANNOTATION note hi\n"),
    (b"PLAYER_CAPACITY 10", b"ACK: PLAYER_CAPACITY 10\n"),
    (b"PLAYER_CAPACITY", b"10\n"),
    (b"PLAYER_CONNECT 1234", b"ACK: PLAYER_CONNECT 1234\n"),
    (b"PLAYER_CONNECTED 1234", b"true\n"),
    (b"GET_PLAYERS", b"1234\n"),
    (b"PLAYER_COUNT", b"1\n"),
    (b"PLAYER_DISCONNECT 1234", b"ACK: PLAYER_DISCONNECT 1234\n"),
    (b"PLAYER_CONNECTED 1234", b"false\n"),
    (b"PLAYER_COUNT", b"0\n"),
    (b"GET_PLAYERS", b"\n"),
    (b"GET_COUNTER_COUNT rooms", b"COUNTER: 1\n"),
    (b"INCREMENT_COUNTER rooms 9", b"SUCCESS\n"),
    (b"DECREMENT_COUNTER rooms 10", b"SUCCESS\n"),
    (b"SET_COUNTER_COUNT rooms 10", b"SUCCESS\n"),
    (b"GET_COUNTER_CAPACITY rooms", b"CAPACITY: 10\n"),
    (b"SET_COUNTER_CAPACITY rooms 1", b"SUCCESS\n"),
    (
        b"INCREMENT_COUNTER rooms 5",
        b"ERROR: could not increment Counter rooms by amount 5: rpc error: code = OutOfRange desc = "
        b"out of range. Count must be within range [0,Capacity]. Found Count: 15, Capacity: 1\n",
    ),
    (b"GET_COUNTER_COUNT nope", b"ERROR: -1\n"),
    (b"GET_COUNTER_CAPACITY nope", b"ERROR: -1\n"),
    (b"LIST_CONTAINS players test1", b"FOUND: true\n"),
    (b"LIST_CONTAINS players zed", b"FOUND: false\n"),
    (b"GET_LIST_LENGTH players", b"LENGTH: 3\n"),
    (b"GET_LIST_VALUES players", b"VALUES: test0,test1,test2\n"),
    (b"APPEND_LIST_VALUE players test3", b"SUCCESS\n"),
    (b"DELETE_LIST_VALUE players test2", b"SUCCESS\n"),
    (b"GET_LIST_CAPACITY players", b"CAPACITY: 100\n"),
    (b"SET_LIST_CAPACITY players 50", b"SUCCESS\n"),
    (b"GET_LIST_VALUES nope", b"ERROR: INVALID LIST NAME\n"),
    (b"LIST_CONTAINS nope x", b"ERROR: false\n"),
    (b"GET_LIST_LENGTH nope", b"ERROR: -1\n"),
    (b"GET_LIST_CAPACITY nope", b"ERROR: -1\n"),
    (b"WATCH", b"ACK: WATCH\n"),
    (b"UNHEALTHY", b"ACK: UNHEALTHY\n"),
]


@pytest.mark.parametrize("gate", ["insecure-admin", "token"])
async def test_upstream_replies(gate: str) -> None:
    """Bare commands under --insecure-admin, or each command word behind the admin token.

    --insecure-admin keeps the reply-size limit (anyone may send bare commands, so they prove
    nothing about the sender's address): a reply that would amplify is `ERROR: too long`, or an
    argument-count error's short form (`ERROR: needs 1 arg`). The
    token lifts it, so there every reply is upstream's, byte for byte.
    """
    config = ServerConfig(insecure_admin=True) if gate == "insecure-admin" else ServerConfig(admin_token=TOKEN)
    async with running(config) as r:
        with Client("::1", r.port) as c:
            for datagram, upstream in UPSTREAM_SEQUENCE:
                if gate == "token":
                    is_command = datagram.split(b" ", 1)[0] in p.COMMAND_WORDS
                    sent, expected = (
                        (b"ADMIN " + TOKEN.encode() + b" " + datagram if is_command else datagram),
                        upstream,
                    )
                else:
                    parsed = p.Parser(insecure_admin=True).parse(datagram)
                    short = parsed.short if isinstance(parsed, p.Reply) else None  # an arity error's few words
                    sent, expected = datagram, p.limit_reply(upstream, len(datagram), trusted=False, short=short)
                assert await c.ask(sent) == expected, datagram
        gs = r.sidecar.game_server
        assert gs.object_meta.labels["agones.dev/sdk-colour"] == "blue"
        assert gs.object_meta.annotations["agones.dev/sdk-note"] == "hi"
        assert gs.object_meta.labels["agones.dev/sdk-timestamp"].isdigit()
        assert gs.object_meta.annotations["agones.dev/sdk-timestamp"].endswith(" +0000 UTC")
        assert gs.status.lists["players"].values == ("test0", "test1", "test3")
        assert {"ready", "allocate", "reserve", "updatecounter", "addlistvalue"} <= set(r.sidecar.calls)


async def test_ipv6_and_ipv4_peers_get_identical_replies() -> None:
    datagrams = [
        b"hello",
        b"\xff\x00binary",
        b"",
        b"GAMESERVER",
        b"PLAYER_COUNT",
        b"READY",
        b"ADMIN wrong READY",
        b"ADMIN " + TOKEN.encode() + b" GET_LIST_LENGTH players",
        b"ADMIN " + TOKEN.encode() + b" RESERVE nope",
        b"GET_COUNTER_COUNT rooms",
        b"x" * 2000,
    ]
    async with running(ServerConfig(admin_token=TOKEN)) as r:
        assert r.server.udp_address[0] == "::"
        with Client("::1", r.port) as v6, Client("127.0.0.1", r.port) as v4:
            for datagram in datagrams:
                a, b = await v6.ask(datagram), await v4.ask(datagram)
                assert a == b, datagram
            assert await v4.ask(b"READY") == p.REFUSED
            assert await v4.ask(b"ADMIN " + TOKEN.encode() + b" READY") == b"ACK: READY\n"


async def test_join_leave_and_idle_timeout_change_the_players_list() -> None:
    def players(gs: GameServer) -> tuple[str, ...]:
        return gs.status.lists["players"].values

    async with running(ServerConfig(idle_timeout=0.5)) as r:
        with Client("::1", r.port) as alice, Client("127.0.0.1", r.port) as bob:
            assert await alice.join(b"alice") == b"ACK: JOIN alice\n"
            assert "alice" in players(r.sidecar.game_server)
            assert await bob.join(b"bob") == b"ACK: JOIN bob\n"
            assert await bob.join(b"alice") == b"ERROR: id in use\n"
            assert await alice.leave() == b"ACK: LEAVE\n"
            await r.sidecar.wait_for(lambda gs: "alice" not in players(gs))
            assert "bob" in players(r.sidecar.game_server)
            # bob keeps talking for a while (datagrams with his session secret keep it), then goes quiet
            for _ in range(3):
                assert await bob.ask(b"tick " + bob.secret) == b"ACK: tick " + bob.secret + b"\n"
                await asyncio.sleep(0.2)
            assert "bob" in players(r.sidecar.game_server)
            await r.sidecar.wait_for(lambda gs: "bob" not in players(gs), timeout=5)
        assert r.server.metrics.player_timeouts == 1
        assert r.server.metrics.player_leaves == 1


async def test_alpha_player_tracking() -> None:
    config = ServerConfig(player_tracking="alpha", max_players=5, admin_token=TOKEN)
    async with running(config) as r:
        with Client("::1", r.port) as c:
            assert await c.ask(b"ADMIN " + TOKEN.encode() + b" PLAYER_CAPACITY 5") == b"ACK: PLAYER_CAPACITY 5\n"
            assert await c.join(b"carol") == b"ACK: JOIN carol\n"
            players = r.sidecar.game_server.status.players
            assert players is not None and players.ids == ("carol",)
            assert await c.leave() == b"ACK: LEAVE\n"
            await r.sidecar.wait_for(lambda gs: gs.status.players is not None and gs.status.players.ids == ())


async def test_full_server() -> None:
    manifest: dict[str, Any] = {
        "apiVersion": "agones.dev/v1",
        "kind": "GameServer",
        "metadata": {"name": "tiny"},
        "spec": {"lists": {"players": {"capacity": 1}}},
    }
    async with running(ServerConfig(), manifest) as r:
        with Client("::1", r.port) as a, Client("::1", r.port) as b:
            assert await a.join(b"a") == b"ACK: JOIN a\n"
            assert await b.join(b"b") == b"ERROR: server full\n"
            assert await a.leave() == b"ACK: LEAVE\n"
            assert await b.join(b"b") == b"ACK: JOIN b\n"


async def test_replies_to_strangers_never_amplify() -> None:
    manifest: dict[str, Any] = {
        "apiVersion": "agones.dev/v1",
        "kind": "GameServer",
        "metadata": {"name": "a-game-server-with-a-rather-long-generated-name-x7k2p"},
    }
    async with running(ServerConfig(admin_token=TOKEN), manifest) as r:
        with Client("127.0.0.1", r.port) as c:
            assert await c.ask(b"GAMESERVER") == p.TOO_LONG
            assert await c.ask(b"GET_COUNTER_COUNT") == b"ERROR: needs 1 arg\n"  # upstream's text would not fit
            assert await c.join(b"me") == b"ACK: JOIN me\n"
            # from the joined address but without the session secret: it could be spoofed, so still limited
            assert await c.ask(b"GAMESERVER") == p.TOO_LONG
            long_name = b"NAME: a-game-server-with-a-rather-long-generated-name-x7k2p\n"
            assert await c.ask(b"GAMESERVER " + c.secret) == long_name
        assert r.server.metrics.too_long == 3


@pytest.mark.parametrize("host", ["127.0.0.1", "::1"])
async def test_a_stranger_learns_which_argument_is_missing_within_the_limit(host: str) -> None:
    """Issue 15 (9): an anonymous peer got `ERROR: too long` for a missing argument, which says nothing."""
    async with running(ServerConfig(admin_token=TOKEN)) as r:
        with Client(host, r.port) as c:
            for word in (b"GET_COUNTER_COUNT", b"GET_COUNTER_CAPACITY", b"GET_LIST_CAPACITY", b"GET_LIST_LENGTH"):
                reply = await c.ask(word)
                assert reply == b"ERROR: needs 1 arg\n", word
                assert len(reply) <= len(word) + p.AMPLIFICATION_SLACK
            assert await c.ask(b"GET_COUNTER_COUNT   ") == b"ERROR: needs 1 arg\n"  # trailing blanks: no argument
            assert await c.join(b"me") == b"ACK: JOIN me\n"
            # joined, but this datagram carries no session secret: it could be spoofed, so still the short form
            assert await c.ask(b"GET_LIST_LENGTH") == b"ERROR: needs 1 arg\n"
            # the admin token proves the sender: upstream's words, whatever their length
            upstream = b"ERROR: Invalid GET_COUNTER_COUNT, should have 1 argument\n"
            assert await c.ask(b"ADMIN " + TOKEN.encode() + b" GET_COUNTER_COUNT") == upstream


async def test_shutdown_when_empty() -> None:
    async with running(ServerConfig(shutdown_when_empty=0.2, admin_token=TOKEN)) as r:
        with Client("::1", r.port) as c:
            assert await c.join(b"p1") == b"ACK: JOIN p1\n"
            assert await c.ask(b"ADMIN " + TOKEN.encode() + b" ALLOCATE") == b"ACK: ALLOCATE\n"
            await until(lambda: r.server.metrics.state == "Allocated")  # the server saw it too
            assert await c.leave() == b"ACK: LEAVE\n"
            await r.sidecar.wait_for(lambda gs: gs.status.state == "Shutdown")
            assert await c.join(b"p2") == b"ERROR: shutting down\n"


async def test_exit_shuts_down_and_stops() -> None:
    async with running(ServerConfig(admin_token=TOKEN)) as r:
        with Client("::1", r.port) as player, Client("::1", r.port) as admin:
            assert await player.join(b"p") == b"ACK: JOIN p\n"
            assert await admin.ask(b"ADMIN " + TOKEN.encode() + b" EXIT") == b"ACK: EXIT\n"
            assert await player.recv() == p.SHUTDOWN_NOTICE
            async with asyncio.timeout(5):
                assert await r.task == 0
        assert r.sidecar.game_server.status.state == "Shutdown"
        assert r.server.exit_reason == "EXIT"


async def test_crash_calls_the_crash_hook_without_replying() -> None:
    codes: list[int] = []
    async with running(ServerConfig(insecure_admin=True), crash=codes.append) as r:
        with Client("::1", r.port) as c:
            await c.send(b"CRASH 3")
            assert await c.ask(b"after") == b"ACK: after\n"  # the only reply is this one
        assert codes == [3]


async def test_tcp_serves_the_same_commands_dual_stack() -> None:
    async with running(ServerConfig(tcp=True, admin_token=TOKEN)) as r:
        # one player ID per connection: the server frees an ID just after the sidecar has dropped it,
        # so a rejoin of the same ID right after the list changed could meet `ERROR: busy`
        for host, player in (("::1", "t1"), ("127.0.0.1", "t2")):
            reader, writer = await asyncio.open_connection(host, r.port)
            try:
                writer.write(f" hello \nGAMESERVER\nREADY\nJOIN {player}\n".encode())
                async with asyncio.timeout(5):
                    assert await reader.readexactly(len(b"ACK TCP:  hello \n\n")) == b"ACK TCP:  hello \n\n"
                    assert await reader.readexactly(len(b"NAME: local\n\n")) == b"NAME: local\n\n"
                    assert await reader.readexactly(len(p.REFUSED) + 1) == p.REFUSED + b"\n"
                    joined = f"ACK TCP: JOIN {player}\n\n".encode()
                    assert await reader.readexactly(len(joined)) == joined
            finally:
                writer.close()
                await writer.wait_closed()

            def left(gs: GameServer, player: str = player) -> bool:
                return player not in gs.status.lists["players"].values

            await r.sidecar.wait_for(left)


async def test_metrics_endpoint() -> None:
    from sample_server._metrics import serve_metrics

    async with running(ServerConfig()) as r:
        metrics = await serve_metrics(r.server.metrics.render, "127.0.0.1", 0)
        port = metrics.sockets[0].getsockname()[1]
        try:
            with Client("::1", r.port) as c:
                await c.ask(b"hi")
                await c.ask(b"\xff")
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.write(b"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n")
            async with asyncio.timeout(5):
                body = (await reader.read()).decode()
            writer.close()
            await writer.wait_closed()
        finally:
            metrics.close()
            await metrics.wait_closed()
    assert body.startswith("HTTP/1.1 200 OK")
    assert "sample_server_datagrams_received_total 2" in body
    assert 'sample_server_malformed_datagrams_total{reason="bad_utf8"} 1' in body
    assert 'sample_server_game_server_state{state="Ready"} 1' in body


async def test_flood_from_many_ports_leaves_the_server_serving_with_bounded_memory() -> None:
    rng = random.Random(1)
    words = [w.encode() for w in sorted(p.PUBLIC_COMMANDS | p.ADMIN_COMMANDS)] + [b"JOIN", b"LEAVE", b"ADMIN"]

    def datagram() -> bytes:
        roll = rng.random()
        if roll < 0.4:
            return rng.randbytes(rng.randrange(0, 1400))
        if roll < 0.8:
            return rng.choice(words) + b" " + rng.randbytes(rng.randrange(0, 30))
        return b"JOIN p%d" % rng.randrange(100_000)

    async def flood(r: Running, senders: int, each: int) -> None:
        port = r.port
        loop = asyncio.get_running_loop()
        socks = []
        for i in range(senders):
            family, host = (socket.AF_INET6, "::1") if i % 2 else (socket.AF_INET, "127.0.0.1")
            s = socket.socket(family, socket.SOCK_DGRAM)
            s.setblocking(False)
            socks.append((s, (host, port)))
        try:
            for _ in range(each):
                for s, target in socks:
                    try:
                        s.sendto(datagram(), target)
                    except BlockingIOError:
                        pass
                await asyncio.sleep(0)  # let the server read
        finally:
            del loop
            for s, _ in socks:
                s.close()
        # the socket is a queue: once a later datagram is answered, the flood has been read
        with Client("::1", port) as c:
            assert await c.ask(b"sync") == b"ACK: sync\n"
        await until(lambda: r.server._inflight == 0)

    async with running(ServerConfig(admin_token=TOKEN, idle_timeout=0.3)) as r:
        tracemalloc.start()
        try:
            await flood(r, senders=100, each=20)
            gc.collect()
            first = tracemalloc.get_traced_memory()[0]
            await flood(r, senders=100, each=20)
            gc.collect()
            second = tracemalloc.get_traced_memory()[0]
        finally:
            tracemalloc.stop()
        assert second - first < 1_000_000, (first, second)
        assert len(r.server.sessions) <= r.server.sessions.capacity
        assert r.server.metrics.datagrams_in > 2000
        with Client("::1", r.port) as c:
            assert await c.ask(b"still there?") == b"ACK: still there?\n"
        # every flooding "player" stops talking and times out
        await r.sidecar.wait_for(lambda gs: not any(v.startswith("p") for v in gs.status.lists["players"].values))


@pytest.mark.parametrize("address", ["127.0.0.1", "::1"])
async def test_address_binds_one_address(address: str) -> None:
    async with running(ServerConfig(address=address)) as r:
        assert r.server.udp_address[0] == address
        with Client(address, r.port) as c:
            assert await c.ask(b"one") == b"ACK: one\n"
