"""The TCP transport (`_tcp`): connections that send no whole line are closed after the idle timeout."""

from __future__ import annotations

import asyncio
import contextlib

from sample_server._config import ServerConfig

from ._harness import running


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
