"""The REST API over a real HTTP socket on loopback, route by route, as the real sidecar answers."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import grpc.aio
import pytest
import pytest_asyncio

from aioagones._pb import beta_pb2, beta_pb2_grpc, sdk_pb2, sdk_pb2_grpc
from aioagones.local import default_game_server
from aioagones.local._server import SidecarServer

Reply = tuple[int, Any]


@pytest_asyncio.fixture
async def server() -> AsyncIterator[SidecarServer]:
    async with SidecarServer(default_game_server(time.time()), host="127.0.0.1", port=0, http_port=0) as running:
        yield running


@pytest_asyncio.fixture
async def http(server: SidecarServer) -> AsyncIterator[aiohttp.ClientSession]:
    assert server.http_url is not None
    async with aiohttp.ClientSession(server.http_url, timeout=aiohttp.ClientTimeout(total=5)) as session:
        yield session


async def call(
    http: aiohttp.ClientSession, method: str, path: str, body: object = None, raw: str | None = None
) -> Reply:
    data = raw if raw is not None else (json.dumps(body) if body is not None else None)
    headers = {"Content-Type": "application/json"} if data is not None else None  # as the SDKs send it
    async with http.request(method, path, data=data, headers=headers) as response:
        assert response.content_type == "application/json"
        return response.status, json.loads(await response.text())


ROOMS = {"name": "rooms", "count": "1", "capacity": "10"}

# What `sdk-server --local` answered for GET /gameserver (agones-rest.md), but the timestamp.
REFERENCE_GAME_SERVER: dict[str, Any] = {
    "object_meta": {
        "name": "local",
        "namespace": "default",
        "uid": "1234",
        "resource_version": "v1",
        "generation": "1",
        "creation_timestamp": "<now>",
        "deletion_timestamp": "0",
        "annotations": {"annotation": "true"},
        "labels": {"islocal": "true"},
    },
    "spec": {"health": {"disabled": False, "period_seconds": 3, "failure_threshold": 5, "initial_delay_seconds": 10}},
    "status": {
        "state": "Ready",
        "address": "127.0.0.1",
        "addresses": [],
        "ports": [{"name": "default", "port": 7777}],
        "players": {"count": "0", "capacity": "0", "ids": []},
        "counters": {"rooms": {"count": "1", "capacity": "10"}},
        "lists": {"players": {"capacity": "100", "values": ["test0", "test1", "test2"]}},
    },
}


async def test_get_game_server_is_the_reference_json(http: aiohttp.ClientSession) -> None:
    status, gs = await call(http, "GET", "/gameserver")
    assert status == 200
    assert gs["object_meta"]["creation_timestamp"].isdigit()
    gs["object_meta"]["creation_timestamp"] = "<now>"
    assert gs == REFERENCE_GAME_SERVER
    assert list(gs["object_meta"]) == list(REFERENCE_GAME_SERVER["object_meta"])  # proto field order


@pytest.mark.parametrize(
    ("method", "path", "body", "expected"),
    [
        ("POST", "/ready", {}, (200, {})),
        ("POST", "/allocate", {}, (200, {})),
        ("POST", "/shutdown", {}, (200, {})),
        ("POST", "/health", {}, (200, {})),
        ("POST", "/reserve", {"seconds": "5"}, (200, {})),
        ("POST", "/reserve", {"seconds": 5}, (200, {})),
        ("PUT", "/metadata/label", {"key": "map", "value": "harbor"}, (200, {})),
        ("PUT", "/metadata/annotation", {"key": "k", "value": "v"}, (200, {})),
        ("POST", "/alpha/player/connect", {"playerID": "x1"}, (400, None)),  # capacity 0
        ("POST", "/alpha/player/disconnect", {"playerID": "x1"}, (200, {"bool": False})),
        ("PUT", "/alpha/player/capacity", {"count": "5"}, (200, {})),
        ("GET", "/alpha/player/capacity", None, (200, {"count": "0"})),
        ("GET", "/alpha/player/count", None, (200, {"count": "0"})),
        ("GET", "/alpha/player/connected/x1", None, (200, {"bool": False})),
        ("GET", "/alpha/player/connected", None, (200, {"list": []})),
        ("GET", "/v1beta1/counters/rooms", None, (200, ROOMS)),
        (
            "PATCH",
            "/v1beta1/counters/rooms",
            {"countDiff": "2"},
            (200, {"name": "rooms", "count": "3", "capacity": "10"}),
        ),
        ("PATCH", "/v1beta1/counters/rooms", {"count": "7"}, (200, {"name": "rooms", "count": "7", "capacity": "10"})),
        (
            "PATCH",
            "/v1beta1/counters/rooms",
            {"capacity": "50"},
            (200, {"name": "rooms", "count": "1", "capacity": "50"}),
        ),
        (
            "PATCH",
            "/v1beta1/counters/rooms",
            {"countDiff": 2},
            (200, {"name": "rooms", "count": "3", "capacity": "10"}),
        ),
        (
            "GET",
            "/v1beta1/lists/players",
            None,
            (200, {"name": "players", "capacity": "100", "values": ["test0", "test1", "test2"]}),
        ),
        (
            "PATCH",
            "/v1beta1/lists/players",
            {"capacity": "50"},
            (200, {"name": "players", "capacity": "50", "values": ["test0", "test1", "test2"]}),
        ),
        (
            "PATCH",
            "/v1beta1/lists/players",
            {"values": ["a", "a", "b"]},
            (200, {"name": "players", "capacity": "100", "values": ["a", "b"]}),
        ),
        (
            "POST",
            "/v1beta1/lists/players:addValue",
            {"value": "p9"},
            (200, {"name": "players", "capacity": "100", "values": ["test0", "test1", "test2", "p9"]}),
        ),
        (
            "POST",
            "/v1beta1/lists/players:removeValue",
            {"value": "test1"},
            (200, {"name": "players", "capacity": "100", "values": ["test0", "test2"]}),
        ),
    ],
)
async def test_each_route(
    http: aiohttp.ClientSession, method: str, path: str, body: object, expected: tuple[int, object]
) -> None:
    status, reply = await call(http, method, path, body)
    assert status == expected[0], reply
    if expected[1] is not None:
        assert reply == expected[1]


async def test_calls_change_the_game_server_as_grpc_would(http: aiohttp.ClientSession, server: SidecarServer) -> None:
    await call(http, "POST", "/allocate", {})
    await call(http, "PUT", "/metadata/label", {"key": "map", "value": "harbor"})
    await call(http, "PUT", "/alpha/player/capacity", {"count": 2})
    assert await call(http, "POST", "/alpha/player/connect", {"playerID": "x1"}) == (200, {"bool": True})
    assert await call(http, "GET", "/alpha/player/connected") == (200, {"list": ["x1"]})
    gs = server.snapshot()
    assert gs.status.state == "Allocated"
    assert gs.object_meta.labels["agones.dev/sdk-map"] == "harbor"
    assert gs.object_meta.annotations["agones.dev/last-allocated"].endswith("Z")
    assert list(gs.status.players.ids) == ["x1"]
    assert server.calls == ["allocate", "setlabel", "setplayercapacity", "playerconnect", "getconnectedplayers"]
    # And gRPC reads the very same GameServer.
    async with grpc.aio.insecure_channel(server.address) as channel:
        assert await sdk_pb2_grpc.SDKStub(channel).GetGameServer(sdk_pb2.Empty()) == gs


@pytest.mark.parametrize(
    ("method", "path", "body", "status", "code", "message"),
    [
        ("GET", "/v1beta1/counters/nope", None, 404, 5, "counter not found: nope"),
        ("PATCH", "/v1beta1/counters/nope", {"countDiff": "1"}, 404, 5, "not found. nope Counter not found"),
        (
            "PATCH",
            "/v1beta1/counters/rooms",
            {"count": "20"},
            400,
            11,
            "out of range. Count must be within range [0,Capacity]. Found Count: 20, Capacity: 10",
        ),
        (
            "POST",
            "/v1beta1/lists/players:addValue",
            {"value": "test0"},
            409,
            6,
            "already exists. Value: test0 already in List: players",
        ),
        (
            "POST",
            "/v1beta1/lists/players:removeValue",
            {"value": "x"},
            404,
            5,
            "not found. Value: x not found in List: players",
        ),
        ("PUT", "/metadata/label", {"key": "bad key", "value": "v"}, 400, 3, None),
        ("POST", "/reserve", {"seconds": "-1"}, 400, 3, None),
        ("POST", "/reserve", {"seconds": "soon"}, 400, 3, None),
        ("PUT", "/alpha/player/capacity", {"count": "-1"}, 400, 3, None),
    ],
)
async def test_refusals_carry_the_grpc_code_and_its_http_status(
    http: aiohttp.ClientSession,
    server: SidecarServer,
    method: str,
    path: str,
    body: object,
    status: int,
    code: int,
    message: str | None,
) -> None:
    before = server.snapshot()
    got_status, reply = await call(http, method, path, body)
    assert (got_status, reply["code"], reply["details"]) == (status, code, [])
    if message is not None:
        assert reply["message"] == message
    assert reply["message"]
    assert server.snapshot() == before


async def test_a_body_that_is_not_json(http: aiohttp.ClientSession) -> None:
    status, reply = await call(http, "POST", "/ready", raw="nope")
    assert (status, reply["code"], reply["details"]) == (400, 3, [])
    assert "not JSON" in reply["message"]


async def test_an_empty_body_is_an_empty_message(http: aiohttp.ClientSession) -> None:
    assert await call(http, "POST", "/ready", raw="") == (200, {})


async def test_unknown_fields_are_ignored(http: aiohttp.ClientSession) -> None:
    assert await call(http, "POST", "/reserve", {"seconds": "0", "extra": True}) == (200, {})


@pytest.mark.parametrize(
    ("method", "path"), [("GET", "/ready"), ("POST", "/gameserver"), ("DELETE", "/v1beta1/lists/x")]
)
async def test_a_known_path_with_the_wrong_method(http: aiohttp.ClientSession, method: str, path: str) -> None:
    assert await call(http, method, path) == (501, {"code": 12, "message": "Method Not Allowed", "details": []})


@pytest.mark.parametrize("path", ["/", "/nothing", "/alpha/player", "/v1beta1/counters"])
async def test_an_unknown_path(http: aiohttp.ClientSession, path: str) -> None:
    assert await call(http, "GET", path) == (404, {"code": 5, "message": "Not Found", "details": []})


async def test_update_list_takes_its_mask_from_the_body_or_the_query(http: aiohttp.ClientSession) -> None:
    # Only the fields the body names change: capacity stays 100 here.
    status, reply = await call(http, "PATCH", "/v1beta1/lists/players", {"values": ["v"]})
    assert (status, reply["capacity"], reply["values"]) == (200, "100", ["v"])
    status, reply = await call(
        http, "PATCH", "/v1beta1/lists/players?update_mask=capacity", {"capacity": 1, "values": []}
    )
    assert (status, reply["capacity"], reply["values"]) == (200, "1", ["v"])


async def test_the_watch_streams_one_result_line_per_change(http: aiohttp.ClientSession, server: SidecarServer) -> None:
    async with http.get("/watch/gameserver", timeout=aiohttp.ClientTimeout(total=10)) as response:
        assert response.status == 200
        assert response.headers["Transfer-Encoding"] == "chunked"
        first = json.loads(await response.content.readline())
        assert list(first) == ["result"]
        assert first["result"]["status"]["state"] == "Ready"
        assert await call(http, "POST", "/allocate", {}) == (200, {})
        second = json.loads(await response.content.readline())
        assert second["result"]["status"]["state"] == "Allocated"
        await call(http, "PATCH", "/v1beta1/counters/rooms", {"countDiff": 1})
        third = json.loads(await response.content.readline())
        assert third["result"]["status"]["counters"]["rooms"]["count"] == "2"
        assert server.open_streams == 1
    async with asyncio.timeout(5):
        await server.streams_closed()  # the client left: the stream ends on the sidecar too
    assert "watch" in server.calls


async def test_stopping_ends_an_open_watch(http: aiohttp.ClientSession, server: SidecarServer) -> None:
    async with http.get("/watch/gameserver", timeout=aiohttp.ClientTimeout(total=10)) as response:
        await response.content.readline()
        await server.stop()
        async with asyncio.timeout(5):
            assert await response.content.read() == b""


async def test_grpc_and_rest_agree_on_a_refusal(http: aiohttp.ClientSession, server: SidecarServer) -> None:
    async with grpc.aio.insecure_channel(server.address) as channel:
        with pytest.raises(grpc.aio.AioRpcError) as info:
            await beta_pb2_grpc.SDKStub(channel).GetCounter(beta_pb2.GetCounterRequest(name="nope"))
    _, reply = await call(http, "GET", "/v1beta1/counters/nope")
    assert (reply["code"], reply["message"]) == (info.value.code().value[0], info.value.details())


async def test_a_restart_serves_http_on_the_same_port(server: SidecarServer) -> None:
    port = server.http_port
    await server.stop()
    await server.start()
    assert server.http_port == port
    async with aiohttp.ClientSession(server.http_url) as http:
        assert await call(http, "GET", "/alpha/player/count") == (200, {"count": "0"})


def test_no_http_unless_asked() -> None:
    server = SidecarServer(default_game_server(0), host="127.0.0.1", port=0)
    assert (server.http_port, server.http_url) == (None, None)
