"""The Agones SDK conformance sequence, as Agones runs it for every SDK, against our sidecar."""

from __future__ import annotations

import asyncio

from aioagones import SDK, GameServer
from aioagones.testing import LocalSidecar

from .._support import free_port
from .._wait import until

EXPECTED = set(
    "ready allocate setlabel setannotation gameserver health shutdown watch reserve "
    "getplayercapacity setplayercapacity playerconnect playerdisconnect getplayercount isplayerconnected "
    "getconnectedplayers getcounter updatecounter setcountcounter setcapacitycounter "
    "getlist updatelist addlistvalue removelistvalue".split()
)


async def test_conformance_sequence() -> None:
    port = free_port()
    sdk = SDK("127.0.0.1", port, connect_timeout=10, health_interval=None)
    connecting = asyncio.create_task(sdk.connect())
    await asyncio.sleep(1)  # the sidecar may come up after the client
    async with LocalSidecar(port=port) as sidecar:
        async with asyncio.timeout(30):
            await connecting
            watched: asyncio.Queue[GameServer] = asyncio.Queue()

            async def watch() -> None:
                async for gs in sdk.watch_game_server():
                    watched.put_nowait(gs)

            watcher = asyncio.create_task(watch())
            first = await watched.get()
            await sdk.ready()
            await sdk.reserve(5)
            await sdk.allocate()
            await sdk.health()
            gs = await sdk.get_game_server()
            await sdk.set_label("creationTimestamp", str(gs.object_meta.creation_timestamp))
            await sdk.set_annotation("UID", first.object_meta.uid)

            alpha = sdk.alpha
            await alpha.set_player_capacity(10)
            assert await alpha.get_player_capacity() == 10
            assert await alpha.player_connect("1234")
            assert await alpha.is_player_connected("1234")
            assert "1234" in await alpha.get_connected_players()
            assert await alpha.player_disconnect("1234")
            assert await alpha.get_player_count() == 0

            beta = sdk.beta
            assert await beta.get_counter_count("rooms") == 1
            await beta.increment_counter("rooms", 9)
            await beta.decrement_counter("rooms", 10)
            await beta.set_counter_count("rooms", 10)
            assert await beta.get_counter_capacity("rooms") == 10
            await beta.set_counter_capacity("rooms", 1)
            assert await beta.list_contains("players", "test1")
            assert await beta.get_list_length("players") == 3
            assert await beta.get_list_values("players") == ["test0", "test1", "test2"]
            await beta.append_list_value("players", "test3")
            await beta.delete_list_value("players", "test2")
            assert await beta.get_list_capacity("players") == 100
            await beta.set_list_capacity("players", 2)
            await sdk.shutdown()

            await until(lambda: "health" in sidecar.calls)
        watcher.cancel()
        await sdk.close()
        meta = sidecar.game_server.object_meta
        assert meta.labels["agones.dev/sdk-creationTimestamp"] == str(gs.object_meta.creation_timestamp)
        assert meta.annotations["agones.dev/sdk-UID"] == "1234"
        # Agones compares the recorded call names as a set with its expected list.
        assert set(sidecar.calls) == EXPECTED
