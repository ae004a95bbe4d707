"""Replies over loopback: an admin's are never cut to the public reply limit."""

from __future__ import annotations

from sample_server._config import ServerConfig

from ._harness import ADMIN, TOKEN, Client, running


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
