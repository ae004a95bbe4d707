"""The server's metrics (`_metrics`): one malformation reason per datagram, the sidecar's health and latency."""

from __future__ import annotations

from sample_server._config import ServerConfig

from ._harness import ADMIN, TOKEN, Client, running


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
