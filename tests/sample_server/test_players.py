"""Players over loopback: JOIN and LEAVE racing each other, and who may claim an id the allocator listed."""

from __future__ import annotations

from sample_server._config import ServerConfig

from ._harness import ADMIN, TOKEN, Client, running


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
