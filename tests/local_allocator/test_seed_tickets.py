"""Issue 17's seed on one machine, with join tickets: the matchmaker allocates and vouches for its players.

The sample server runs with `--join-secret-file`. The matchmaker (this test) allocates from
`agones-local-allocator` through `AllocationClient` or `agones-allocate`, issues each player a
ticket for the GameServer it got (`aioagones.tickets.issue_ticket`, the same secret), and the player
sends `JOIN <id> <ticket>` to a Pod IP endpoint, completing the cookie round trip: admitted, and in
the `players` list. Without a ticket, with another GameServer's or another secret's, or with one
used already: refused, and nothing is listed for it.
"""

from __future__ import annotations

import json
import secrets
from pathlib import Path

from aioagones._pb import sdk_pb2
from aioagones.allocation import AllocationClient, AllocationRequest, GameServerSelector
from aioagones.tickets import issue_ticket

from ._stack import Player, Seed, seed
from .test_seed import agones_allocate, parse, players


async def listed(running: Seed, expected: set[str]) -> list[str]:
    """The `players` list once it is `expected` (from the sidecar's watch), as the server reads it too.

    A list that never settles there (an id of a refused player, say) fails by the watch's timeout.
    """
    gs: sdk_pb2.GameServer = await running.game_server_until(lambda gs: set(players(gs)) == expected)
    with Player("127.0.0.1", running.udp_port) as operator:
        reply = await operator.ask(f"ADMIN {running.admin_token} GET_LIST_VALUES players")
    assert sorted(reply.removeprefix("VALUES: ").strip().split(",")) == sorted(players(gs)), reply
    return players(gs)


async def test_players_with_the_matchmakers_tickets_join_on_each_endpoint_and_nobody_else(tmp_path: Path) -> None:
    secret = secrets.token_urlsafe(48).encode()  # text, as a Secret file holds it (read_secret strips white space)
    async with seed(tmp_path, "seed-tickets", {"mode": "seed"}, join_secret=secret) as running:
        async with AllocationClient(running.allocator, plaintext=True, timeout=20) as client:
            allocation = await client.allocate(AllocationRequest(selectors=[GameServerSelector({"mode": "seed"})]))
        name = allocation.game_server_name
        v6, v4 = allocation.endpoints("default")
        assert (name, str(v6), str(v4)) == (
            "seed-tickets",
            f"[::1]:{running.udp_port}",
            f"127.0.0.1:{running.udp_port}",
        )
        alice = issue_ticket(secret, name, "alice", expires_in=60)
        bob = issue_ticket(secret, name, "bob", expires_in=60)

        with Player(v6.host, v6.port) as alice_player, Player(v4.host, v4.port) as bob_player:
            session = await alice_player.join("alice", alice)
            assert await alice_player.ask(f"hello {session}") == f"ACK: hello {session}\n"
            await bob_player.join("bob", bob)
            assert sorted(await listed(running, {"alice", "bob"})) == ["alice", "bob"]

            with Player(v4.host, v4.port) as mallory:
                assert await mallory.try_join("mallory") == "ERROR: ticket needed\n"
                foreign = issue_ticket(secret, "another-game-server", "mallory", expires_in=60)
                assert await mallory.try_join("mallory", foreign) == "ERROR: wrong server\n"
                forged = issue_ticket(secrets.token_bytes(32), name, "mallory", expires_in=60)
                assert await mallory.try_join("mallory", forged) == "ERROR: bad ticket\n"
                assert await mallory.try_join("mallory", bob) == "ERROR: wrong player\n"
                assert await mallory.try_join("alice", alice) == "ERROR: id in use\n"
                # Once alice has left, her ticket still admits no one: it was used.
                assert await alice_player.ask(f"LEAVE {session}") == "ACK: LEAVE\n"
                assert await mallory.try_join("alice", alice) == "ERROR: ticket used\n"
        # The refused took nothing, alice's leave is told to Agones, and a new real player still gets in.
        with Player(v6.host, v6.port) as player:
            await player.join("carol", issue_ticket(secret, name, "carol", expires_in=60))
        assert sorted(await listed(running, {"bob", "carol"})) == ["bob", "carol"]


async def test_agones_allocate_then_a_ticket_for_the_gameserver_it_names(tmp_path: Path) -> None:
    secret = secrets.token_urlsafe(48).encode()  # text, as a Secret file holds it (read_secret strips white space)
    async with seed(tmp_path, "seed-tickets-cli", {"mode": "seed"}, join_secret=secret) as running:
        code, out, err = await agones_allocate(running.allocator, "--plaintext", "--json", "--selector", "mode=seed")
        assert code == 0, f"agones-allocate: {err}\n{running.logs()}"
        reply = json.loads(out)
        endpoint = parse(reply["endpoints"][0])
        ticket = issue_ticket(secret, reply["gameServerName"], "dora", expires_in=60)
        with Player(endpoint.host, endpoint.port) as player:
            await player.join("dora", ticket)
        assert await listed(running, {"dora"}) == ["dora"]
