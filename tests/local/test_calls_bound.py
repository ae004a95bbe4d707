"""The local sidecar's record of received calls keeps only the latest: a run of days stays small."""

from __future__ import annotations

import time

from aioagones.local import default_game_server
from aioagones.local._core import MAX_CALLS
from aioagones.local._server import SidecarServer


async def test_health_pings_do_not_grow_the_record_of_calls_for_ever() -> None:
    async with SidecarServer(default_game_server(time.time()), host="127.0.0.1", port=0) as server:
        core = server._core
        assert core is not None
        core.record("ready")
        for _ in range(3 * MAX_CALLS):  # a ping every 5 s for two days, and then some
            core.ping()
        core.record("shutdown")
        assert MAX_CALLS <= len(server.calls) <= 2 * MAX_CALLS
        assert server.calls[-1] == "shutdown"
        assert "ready" not in server.calls  # the oldest went first
        assert server.calls is core.calls  # trimmed in place: the server's list is the same one
