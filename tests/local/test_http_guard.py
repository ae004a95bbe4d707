"""Web pages are kept off the local sidecar's HTTP port: JSON bodies only, Host and Origin checked."""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator

import aiohttp
import pytest
import pytest_asyncio

from aioagones.local import default_game_server
from aioagones.local._guard import host_name, refusal
from aioagones.local._server import SidecarServer

JSON = {"Content-Type": "application/json"}


@pytest_asyncio.fixture
async def server() -> AsyncIterator[SidecarServer]:
    async with SidecarServer(default_game_server(time.time()), host="127.0.0.1", port=0, http_port=0) as running:
        yield running


@pytest_asyncio.fixture
async def http(server: SidecarServer) -> AsyncIterator[aiohttp.ClientSession]:
    assert server.http_url is not None
    async with aiohttp.ClientSession(server.http_url, timeout=aiohttp.ClientTimeout(total=5)) as session:
        yield session


@pytest.mark.parametrize(
    ("path", "content_type"),
    [
        ("/local/state", "text/plain"),  # what a page's fetch() may send without a preflight
        ("/local/state", "application/x-www-form-urlencoded"),
        ("/shutdown", "multipart/form-data; boundary=x"),
        ("/shutdown", None),  # a body with no type at all
    ],
)
async def test_a_body_that_is_not_sent_as_json_is_refused_with_415(
    http: aiohttp.ClientSession, server: SidecarServer, path: str, content_type: str | None
) -> None:
    headers = {} if content_type is None else {"Content-Type": content_type}
    body = b'{"state": "Shutdown"}'
    async with http.post(path, data=body, headers=headers, skip_auto_headers=["Content-Type"]) as response:
        assert response.status == 415
        reply = await response.json()
    assert reply["code"] == 3 and reply["details"] == []  # grpc-gateway's error shape
    assert "Content-Type: application/json" in reply["message"]
    assert server.snapshot().status.state == "Ready"
    assert "shutdown" not in server.calls


async def test_json_bodies_and_bodiless_requests_are_served(http: aiohttp.ClientSession, server: SidecarServer) -> None:
    async with http.get("/gameserver") as response:  # no body, no Content-Type: the SDKs' GETs
        assert response.status == 200
    async with http.post("/ready", data=b"", skip_auto_headers=["Content-Type"]) as response:
        assert response.status == 200
    async with http.post("/ready", data=b"{}", headers={"Content-Type": "application/json; charset=utf-8"}) as response:
        assert response.status == 200
    async with http.post("/local/state", json={"state": "Reserved"}) as response:
        assert response.status == 200
    assert server.snapshot().status.state == "Reserved"


@pytest.mark.parametrize("host", ["attacker.invalid", "attacker.invalid:9358", "localhost.attacker.invalid"])
async def test_a_host_header_naming_another_site_is_refused(http: aiohttp.ClientSession, host: str) -> None:
    # DNS rebinding: the attacker's name resolves to 127.0.0.1, so the page's requests say that name
    async with http.get("/gameserver", headers={"Host": host}) as response:
        assert response.status == 403
        reply = await response.json()
    assert reply["code"] == 7
    assert repr(host) in reply["message"]


@pytest.mark.parametrize(
    "host", ["localhost", "LOCALHOST:80", "127.0.0.1:9358", "[::1]:9358", "10.1.2.3", "app.localhost"]
)
async def test_host_headers_naming_this_machine_are_served(http: aiohttp.ClientSession, host: str) -> None:
    async with http.get("/gameserver", headers={"Host": host}) as response:
        assert response.status == 200


@pytest.mark.parametrize(
    ("origin", "status"), [("https://attacker.invalid", 403), ("null", 403), ("http://localhost:3000", 200)]
)
async def test_a_request_from_a_page_elsewhere_is_refused(
    http: aiohttp.ClientSession, server: SidecarServer, origin: str, status: int
) -> None:
    # fetch(url, {method: "POST", mode: "no-cors"}) sends no body and no type, but always an Origin
    async with http.post("/shutdown", headers={"Origin": origin}) as response:
        assert response.status == status
    assert (server.snapshot().status.state == "Shutdown") is (status == 200)


@pytest.mark.parametrize(("host", "loud"), [("127.0.0.1", False), ("localhost", False), ("::1", False), ("::", True)])
async def test_a_warning_at_start_when_bound_beyond_loopback(
    host: str, loud: bool, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="aioagones.local")
    async with SidecarServer(default_game_server(time.time()), host=host, port=0, http_port=0):
        pass
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert bool(warnings) is loud
    if loud:
        assert "beyond this host" in warnings[0] and "\n" not in warnings[0]


def test_the_guard_as_a_table() -> None:
    assert host_name("[::1]:9358") == "::1"
    assert host_name("Example.COM.:80") == "example.com"
    served = {"Host": "gs1:9358"}
    assert refusal(served, "gs1", has_body=False, content_type="application/octet-stream") is None
    assert refusal(served, "localhost", has_body=False, content_type="") == (
        "PERMISSION_DENIED",
        403,
        "Host 'gs1:9358' does not name this sidecar: use its IP address or localhost",
    )
