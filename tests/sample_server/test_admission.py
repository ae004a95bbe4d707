"""Admission over real sockets: cookies before state, tickets, session secrets, per-source shares.

Each test answers one hole of issue 17: (1) anyone filling every slot, (2) squatting a listed
player id, (3) a session identified by its source address alone. Spoofing from other addresses
is in test_admission_netns.py.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import replace
from typing import Any

import pytest

from aioagones.tickets import issue_ticket
from sample_server import protocol as p
from sample_server._server import ServerConfig

from .._wait import until
from ._harness import Client, Running, running

SECRET = b"m" * 32
GS = "local"  # the reference GameServer's name


def _manifest(capacity: int = 16, values: tuple[str, ...] = ()) -> dict[str, Any]:
    return {
        "apiVersion": "agones.dev/v1",
        "kind": "GameServer",
        "metadata": {"name": GS},
        "spec": {"lists": {"players": {"capacity": capacity, "values": list(values)}}},
    }


def _ticket(player: str, *, gs: str = GS, expires_in: float = 60, now: float | None = None) -> bytes:
    return issue_ticket(SECRET, gs, player, expires_in=expires_in, now=now).encode()


def _altered(ticket: bytes) -> bytes:
    """The ticket with one character of its MAC changed (never to itself)."""
    return ticket[:-5] + (b"A" if ticket[-5:-4] != b"A" else b"B") + ticket[-4:]


def _players(r: Running) -> tuple[str, ...]:
    return r.sidecar.game_server.status.lists["players"].values


def _nothing_held(r: Running) -> bool:
    s = r.server.sessions
    return len(s) == 0 and not s._pending and not s._leaving and not s._held


async def test_the_start_says_whether_anyone_may_join(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="sample_server")
    async with running(ServerConfig(), _manifest()):
        pass
    assert "no join secret: anyone may join" in caplog.text
    caplog.clear()
    async with running(ServerConfig(join_secret=SECRET), _manifest()):
        pass
    assert "anyone may join" not in caplog.text and f"JOIN needs a ticket for GameServer {GS}" in caplog.text


async def test_a_first_join_costs_a_cookie_and_no_state() -> None:
    async with running(ServerConfig(), _manifest()) as r:
        with Client("127.0.0.1", r.port) as c, Client("127.0.0.1", r.port) as other:
            reply = await c.ask(b"JOIN alice")
            assert reply.startswith(b"RETRY ") and len(reply) <= len(b"JOIN alice") + p.AMPLIFICATION_SLACK
            assert _nothing_held(r) and _players(r) == ()
            cookie = reply.split()[1]
            # the cookie proves this source address and port, no other
            assert (await other.ask(b"JOIN alice " + cookie)).startswith(b"RETRY ")
            altered = (b"A" if cookie[:1] != b"A" else b"B") + cookie[1:]
            assert (await c.ask(b"JOIN alice " + altered)).startswith(b"RETRY ")
            assert _nothing_held(r)
            joined = await c.ask(b"JOIN alice " + cookie)
            words = joined.split()
            assert words[:3] == [b"ACK:", b"JOIN", b"alice"] and len(words[3]) == 12
            assert _players(r) == ("alice",)
            # a JOIN whose reply was lost gets the same reply again
            assert await c.ask(b"JOIN alice " + cookie) == joined
        assert r.server.metrics.join_cookies == 3


async def test_leave_needs_the_session_secret() -> None:
    async with running(ServerConfig(), _manifest()) as r:
        with Client("::1", r.port) as c:
            assert await c.join(b"alice") == b"ACK: JOIN alice\n"
            assert await c.ask(b"LEAVE") == b"ERROR: bad session\n"  # what a spoofed LEAVE gets
            assert await c.ask(b"LEAVE " + bytes(reversed(c.secret))) == b"ERROR: bad session\n"
            assert "alice" in r.server.sessions.player_ids and _players(r) == ("alice",)
            assert await c.leave() == b"ACK: LEAVE\n"
            await r.sidecar.wait_for(lambda gs: gs.status.lists["players"].values == ())
        with Client("::1", r.port) as stranger:
            assert await stranger.ask(b"LEAVE") == b"ACK: LEAVE\n"  # not a player: the upstream echo


async def test_only_datagrams_with_the_session_secret_keep_a_session() -> None:
    async with running(ServerConfig(idle_timeout=0.6), _manifest()) as r:
        with Client("127.0.0.1", r.port) as c:
            assert await c.join(b"alice") == b"ACK: JOIN alice\n"
            joined_at = time.monotonic()
            # one datagram per address kept a squatted slot forever; unproven ones do not now
            while time.monotonic() - joined_at < 1.5 and "alice" in r.server.sessions.player_ids:
                assert await c.ask(b"keepalive") == b"ACK: keepalive\n"
                await asyncio.sleep(0.1)
            assert "alice" not in r.server.sessions.player_ids
            await r.sidecar.wait_for(lambda gs: gs.status.lists["players"].values == ())
        assert r.server.metrics.player_timeouts == 1


async def test_without_tickets_one_source_ip_holds_its_share_and_a_player_still_gets_in() -> None:
    async with running(ServerConfig(max_players_per_ip=4), _manifest(capacity=16)) as r:
        attackers = [Client("127.0.0.1", r.port) for _ in range(16)]
        try:
            replies = [await a.join(b"x%d" % i) for i, a in enumerate(attackers)]
        finally:
            for a in attackers:
                a.close()
        assert replies.count(b"ERROR: address full\n") == 12
        assert len(r.server.sessions) == 4 and len(_players(r)) == 4
        with Client("::1", r.port) as player:  # another source IP
            assert await player.join(b"real") == b"ACK: JOIN real\n"
        assert "real" in _players(r)


async def test_with_tickets_the_attack_takes_no_slot_and_no_list_entry() -> None:
    async with running(ServerConfig(join_secret=SECRET), _manifest(capacity=16, values=("real",))) as r:
        attackers = [Client("127.0.0.1", r.port) for _ in range(16)]
        try:
            replies = [await a.join(b"x%d" % i) for i, a in enumerate(attackers)]
            # squatting the id the allocator listed: refused without its ticket, or with another's
            squat = [await attackers[0].join(b"real"), await attackers[1].join(b"real", _ticket("x1"))]
        finally:
            for a in attackers:
                a.close()
        assert set(replies) == {b"ERROR: ticket needed\n"}
        assert squat == [b"ERROR: ticket needed\n", b"ERROR: wrong player\n"]
        assert _nothing_held(r) and _players(r) == ("real",)
        with Client("::1", r.port) as player:
            assert await player.join(b"real", _ticket("real")) == b"ACK: JOIN real\n"
        assert r.server.sessions.player_ids == ["real"]
        assert r.server.metrics.tickets_refused == 18


async def test_expired_foreign_and_replayed_tickets_are_refused_briefly() -> None:
    async with running(ServerConfig(join_secret=SECRET), _manifest()) as r:
        with Client("::1", r.port) as a, Client("127.0.0.1", r.port) as b:
            expired = _ticket("alice", expires_in=10, now=time.time() - 20)
            cases = [
                (_ticket("alice", gs="another-game-server"), b"ERROR: wrong server\n"),
                (expired, b"ERROR: ticket expired\n"),
                (_altered(_ticket("alice")), b"ERROR: bad ticket\n"),
                (b"v1.not.a-ticket", b"ERROR: bad ticket\n"),
            ]
            for ticket, refusal in cases:
                cookie = await a.cookie(b"alice")
                datagram = b"JOIN alice " + ticket + b" " + cookie
                reply = await a.ask(datagram)
                assert reply == refusal and len(reply) <= len(datagram) + p.AMPLIFICATION_SLACK
            assert _nothing_held(r)
            good = _ticket("alice")
            assert await a.join(b"alice", good) == b"ACK: JOIN alice\n"
            assert await a.join(b"alice", good) == b"ACK: JOIN alice\n"  # the lost-reply retry, same address
            assert await b.join(b"alice", good) == b"ERROR: id in use\n"
            assert await a.leave() == b"ACK: LEAVE\n"
            await until(lambda: _nothing_held(r))
            assert await b.join(b"alice", good) == b"ERROR: ticket used\n"  # single use, whoever replays it
            assert _nothing_held(r)


async def test_the_load_client_joins_and_leaves_through_the_cookie() -> None:
    from udp_loadtest import LoadTestConfig, run

    async with running(replace(ServerConfig(), max_players_per_ip=0), _manifest()) as r:
        config = LoadTestConfig("::1", r.port, clients=3, rate=300.0, duration=0.3, warmup=0.0, join=True)
        result = await asyncio.to_thread(run, config)
        assert (result.counts.joined, result.counts.left, result.counts.join_refused) == (3, 3, 0)
        await r.sidecar.wait_for(lambda gs: gs.status.lists["players"].values == ())
        assert len(r.server.sessions) == 0


async def test_the_load_client_s_datagrams_keep_its_sessions_alive() -> None:
    # Only datagrams that carry a session's secret keep it from going idle: the load client ends
    # each of its datagrams with its secret, so a run far longer than the idle timeout keeps them.
    from udp_loadtest import LoadTestConfig, run

    server = replace(ServerConfig(), max_players_per_ip=0, idle_timeout=1.0)
    async with running(server, _manifest()) as r:
        config = LoadTestConfig(
            "::1", r.port, clients=3, rate=60.0, duration=3.0, warmup=0.0, join=True, reply_timeout=0.3
        )
        result = await asyncio.to_thread(run, config)
        assert (result.counts.joined, result.counts.left, result.counts.join_refused) == (3, 3, 0)
        assert result.received == result.sent  # a padded datagram with its secret is still echoed whole
        assert r.server.metrics.player_timeouts == 0


async def test_a_listed_id_is_taken_by_each_ticket_for_it_and_by_nothing_else() -> None:
    admin = b"ADMIN " + b"t" * 16 + b" "
    config = ServerConfig(join_secret=SECRET, admin_token="t" * 16)
    async with running(config, _manifest(values=("real",))) as r:
        with Client("::1", r.port) as player, Client("127.0.0.1", r.port) as squatter:
            assert await squatter.join(b"real") == b"ERROR: ticket needed\n"
            assert await player.join(b"real", _ticket("real")) == b"ACK: JOIN real\n"
            assert await player.leave() == b"ACK: LEAVE\n"
            await r.sidecar.wait_for(lambda gs: gs.status.lists["players"].values == ())
            # the allocator lists the player again and the matchmaker issues a new ticket: it is honoured
            assert await squatter.ask(admin + b"APPEND_LIST_VALUE players real") == b"SUCCESS\n"
            assert await squatter.join(b"real") == b"ERROR: ticket needed\n"
            assert await player.join(b"real", _ticket("real")) == b"ACK: JOIN real\n"
            assert r.server.sessions.player_ids == ["real"] and _players(r) == ("real",)


async def test_over_tcp_the_connection_proves_the_address_and_the_ticket_is_still_needed() -> None:
    async with running(ServerConfig(tcp=True, join_secret=SECRET), _manifest()) as r:
        async with asyncio.timeout(5):
            reader, writer = await asyncio.open_connection("::1", r.port)
            try:
                writer.write(b"JOIN alice\n")
                assert await reader.readuntil(b"\n\n") == b"ERROR: ticket needed\n\n"
                ticket = _ticket("alice")
                writer.write(b"JOIN alice " + ticket + b"\n")
                assert await reader.readuntil(b"\n\n") == b"ACK TCP: JOIN alice " + ticket + b"\n\n"
                assert _players(r) == ("alice",)
                writer.write(b"LEAVE\n")  # the connection is the session: no secret needed
                assert await reader.readuntil(b"\n\n") == b"ACK TCP: LEAVE\n\n"
            finally:
                writer.close()
                await writer.wait_closed()
        await r.sidecar.wait_for(lambda gs: gs.status.lists["players"].values == ())
