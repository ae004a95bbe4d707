"""The call sequence of Agones' REST conformance client (`test/sdk/restapi`), written again, over HTTP.

Agones' own client (a Go program) passes against `agones-local-sidecar --http-port` when built by
hand; CI cannot fetch it, so this test performs the same calls and checks the same answers.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

import aiohttp

from aioagones.testing import LocalSidecar


async def test_the_rest_conformance_sequence() -> None:
    async with (
        LocalSidecar() as sidecar,
        aiohttp.ClientSession(str(sidecar.http_url), timeout=aiohttp.ClientTimeout(total=10)) as http,
    ):

        async def call(method: str, path: str, body: object = None) -> Any:
            async with http.request(method, path, json=body) as response:
                assert response.status == 200, await response.text()
                return await response.json()

        assert await call("POST", "/ready", {}) == {}
        async with http.get("/watch/gameserver") as watch:
            first = json.loads(await watch.content.readline())
            assert first["result"]["object_meta"]["name"] == "local"
            assert await call("POST", "/health", {}) == {}
            assert await call("POST", "/reserve", {"seconds": "5"}) == {}
            assert await call("POST", "/allocate", {}) == {}
            gs = await call("GET", "/gameserver")
            created, uid = gs["object_meta"]["creation_timestamp"], gs["object_meta"]["uid"]
            assert await call("PUT", "/metadata/label", {"key": "creationTimestamp", "value": created}) == {}
            assert await call("PUT", "/metadata/annotation", {"key": "UID", "value": uid}) == {}

            assert await call("PUT", "/alpha/player/capacity", {"count": "10"}) == {}
            assert await call("GET", "/alpha/player/capacity") == {"count": "10"}
            assert await call("POST", "/alpha/player/connect", {"playerID": "1234"}) == {"bool": True}
            assert await call("GET", "/alpha/player/connected/1234") == {"bool": True}
            assert await call("GET", "/alpha/player/connected") == {"list": ["1234"]}
            assert await call("POST", "/alpha/player/disconnect", {"playerID": "1234"}) == {"bool": True}
            assert await call("GET", "/alpha/player/count") == {"count": "0"}

            rooms = "/v1beta1/counters/rooms"
            assert await call("GET", rooms) == {"name": "rooms", "count": "1", "capacity": "10"}
            update = {"countDiff": "-1", "capacity": "42"}
            assert await call("PATCH", rooms, update) == {"name": "rooms", "count": "0", "capacity": "42"}
            update = {"count": "40", "capacity": "42"}
            assert await call("PATCH", rooms, update) == {"name": "rooms", "count": "40", "capacity": "42"}

            players = "/v1beta1/lists/players"
            listed = {"name": "players", "capacity": "100", "values": ["test0", "test1", "test2"]}
            assert await call("GET", players) == listed
            listed = {"name": "players", "capacity": "10", "values": ["test123", "test456"]}
            assert await call("PATCH", players, {"values": ["test123", "test456"], "capacity": "10"}) == listed
            listed = {"name": "players", "capacity": "10", "values": ["test123", "test456", "test789"]}
            assert await call("POST", players + ":addValue", {"value": "test789"}) == listed
            listed = {"name": "players", "capacity": "10", "values": ["test123", "test789"]}
            assert await call("POST", players + ":removeValue", {"value": "test456"}) == listed

            assert await call("POST", "/shutdown", {}) == {}
            states: list[str] = []
            async with asyncio.timeout(5):
                while not states or states[-1] != "Shutdown":
                    states.append(json.loads(await watch.content.readline())["result"]["status"]["state"])
            assert states[:2] == ["Reserved", "Allocated"]

    meta = sidecar.game_server.object_meta
    assert meta.labels["agones.dev/sdk-creationTimestamp"] == created
    assert meta.annotations["agones.dev/sdk-UID"] == uid
    assert sidecar.calls == [
        "ready",
        "watch",
        "health",
        "reserve",
        "allocate",
        "gameserver",
        "setlabel",
        "setannotation",
        "setplayercapacity",
        "getplayercapacity",
        "playerconnect",
        "isplayerconnected",
        "getconnectedplayers",
        "playerdisconnect",
        "getplayercount",
        "getcounter",
        "setcapacitycounter",
        "updatecounter",
        "setcapacitycounter",
        "setcountcounter",
        "updatecounter",
        "getlist",
        "updatelist",
        "addlistvalue",
        "removelistvalue",
        "shutdown",
    ]
