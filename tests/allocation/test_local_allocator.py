"""The allocation client and `agones-allocate` against our local allocator over mTLS, on local sidecars."""

from __future__ import annotations

import asyncio
import json
import sys
import time
from pathlib import Path

import pytest

from aioagones.allocation import (
    AllocationClient,
    AllocatorTLSError,
    CounterAction,
    GameServerSelector,
    NoGameServerAvailableError,
)

from ..local_allocator._support import Certs, address, allocator, manifest, sidecars


@pytest.fixture
def certs(tmp_path: Path) -> Certs:
    return Certs.make(tmp_path)


def tls(certs: Certs) -> dict[str, str]:
    return {"cert": str(certs.server_cert), "key": str(certs.server_key), "client_ca": str(certs.ca)}


async def test_selectors_in_order_metadata_and_endpoints_over_mtls(certs: Certs) -> None:
    async with (
        sidecars(
            manifest("gs-a", {"mode": "dm"}), manifest("gs-b", {"mode": "ctf"}, counters={"rooms": {"capacity": 4}})
        ) as (a, b),
        allocator(address(a), address(b), **tls(certs)) as running,
        AllocationClient(
            f"127.0.0.1:{running.port}", ca=certs.ca, cert=certs.client_cert, key=certs.client_key
        ) as client,
    ):
        allocation = await client.allocate(
            selectors=[GameServerSelector({"mode": "ctf"}), GameServerSelector({"mode": "dm"})],
            labels={"match": "m1"},
            counters={"rooms": CounterAction("Increment", 1)},
        )
        second = await client.allocate(
            selectors=[GameServerSelector({"mode": "ctf"}), GameServerSelector({"mode": "dm"})]
        )
        with pytest.raises(NoGameServerAvailableError):
            await client.allocate()
    assert (allocation.game_server_name, second.game_server_name) == ("gs-b", "gs-a")
    assert allocation.labels["match"] == "m1" and allocation.counters["rooms"].count == 1
    endpoints = allocation.endpoints()
    assert [e.family for e in endpoints] == [6, 4]
    assert {e.host for e in endpoints} == set(allocation.pod_ips) and {e.port for e in endpoints} == {7777}


async def test_agones_allocate_over_mtls_then_nothing_left(certs: Certs) -> None:
    async with sidecars(manifest("gs-a", {"agones.dev/fleet": "f"})) as (sidecar,):
        async with allocator(address(sidecar), **tls(certs)) as running:
            flags: list[str | Path] = [
                "--ca",
                certs.ca,
                "--cert",
                certs.client_cert,
                "--key",
                certs.client_key,
                "--fleet",
                "f",
            ]
            first = await run(f"127.0.0.1:{running.port}", *flags, "--json", "--label", "match=m1")
            second = await run(f"127.0.0.1:{running.port}", *flags)
    assert first[0] == 0, first
    document = json.loads(first[1])
    assert document["gameServerName"] == "gs-a" and document["metadata"]["labels"]["match"] == "m1"
    assert len(document["endpoints"]) == 2 and document["endpoints"][0].startswith("[")
    assert second[0] == 3 and "no GameServer available" in second[2]


async def run(*args: str | Path) -> tuple[int, str, str]:
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "aioagones.allocation",
        *map(str, args),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    async with asyncio.timeout(30):
        out, err = await proc.communicate()
    assert proc.returncode is not None
    return proc.returncode, out.decode(), err.decode()


@pytest.mark.parametrize("client_pair", ["stranger", None])
async def test_refused_client_certificates_are_tls_errors_at_once(certs: Certs, client_pair: str | None) -> None:
    async with sidecars(manifest("gs-a")) as (sidecar,), allocator(address(sidecar), **tls(certs)) as running:
        pair = (certs.stranger_cert, certs.stranger_key) if client_pair else (None, None)
        client = AllocationClient(f"127.0.0.1:{running.port}", ca=certs.ca, cert=pair[0], key=pair[1], timeout=30)
        start = time.monotonic()
        async with client:
            with pytest.raises(AllocatorTLSError) as caught:
                await client.allocate()
        assert time.monotonic() - start < 10
        assert sidecar.game_server.status.state == "Ready"
    assert caught.value.setting == "cert"
