"""AllocationClient over real gRPC with real certificates: TLS set-ups, refusals, retries, deadline."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import time

import grpc
import pytest

from aioagones.allocation import (
    AllocationClient,
    AllocationClientClosedError,
    AllocationRequest,
    AllocatorTimeoutError,
    AllocatorTLSError,
    AllocatorUnavailableError,
    CounterAction,
    GameServerSelector,
    InvalidArgumentError,
    NoGameServerAvailableError,
    TLSConfig,
)

from .._commands import free_port
from ._fake import Certificates, FakeAllocator, alerting_tls_server, serve


def mtls_client(port: int, certs: Certificates, **kwargs: object) -> AllocationClient:
    return AllocationClient(
        f"127.0.0.1:{port}",
        ca=certs.ca,
        cert=certs.client_cert,
        key=certs.client_key,
        **kwargs,  # type: ignore[arg-type]
    )


async def test_mtls_allocation_carries_the_request_and_returns_the_allocation(
    certs: Certificates, allocator: FakeAllocator
) -> None:
    async with serve(allocator, certs) as port, mtls_client(port, certs) as client:
        allocation = await client.allocate(
            namespace="games",
            selectors=[GameServerSelector({"agones.dev/fleet": "f"})],
            labels={"match": "m1"},
            counters={"rooms": CounterAction("Increment", 1)},
        )
    assert allocation.game_server_name == "gs-1"
    assert [str(e) for e in allocation.endpoints()] == ["[2001:db8:1::a]:7777", "198.51.100.10:7777"]
    [sent] = allocator.requests
    assert sent.namespace == "games"
    assert dict(sent.gameServerSelectors[0].matchLabels) == {"agones.dev/fleet": "f"}
    assert dict(sent.metadata.labels) == {"match": "m1"}
    assert sent.counters["rooms"].action.value == "Increment"
    assert sent.counters["rooms"].amount.value == 1


async def test_tls_without_client_certificate_and_a_tls_config_object(
    certs: Certificates, allocator: FakeAllocator
) -> None:
    tls = TLSConfig(ca=certs.ca.read_bytes(), server_name="localhost")
    async with serve(allocator, certs, client_auth=False) as port:
        async with AllocationClient(f"127.0.0.1:{port}", tls=tls) as client:
            assert (await client.allocate(AllocationRequest())).game_server_name == "gs-1"


async def test_plaintext(allocator: FakeAllocator) -> None:
    async with serve(allocator) as port, AllocationClient(f"127.0.0.1:{port}", plaintext=True) as client:
        assert (await client.allocate()).node_name == "node-local"


async def refused(client: AllocationClient) -> tuple[AllocatorTLSError, float]:
    start = time.monotonic()
    async with client:
        with pytest.raises(AllocatorTLSError) as caught:
            await client.allocate()
    return caught.value, time.monotonic() - start


async def test_wrong_ca_is_a_tls_error_naming_the_ca_file_not_retried(
    certs: Certificates, allocator: FakeAllocator
) -> None:
    async with serve(allocator, certs) as port:
        client = AllocationClient(
            f"127.0.0.1:{port}", ca=certs.rogue_ca, cert=certs.client_cert, key=certs.client_key, timeout=30
        )
        error, took = await refused(client)
    assert (error.setting, error.path) == ("ca", str(certs.rogue_ca))
    assert str(certs.rogue_ca) in str(error) and "not signed" in str(error)
    assert not error.retriable
    assert took < 10  # far inside the 30 s deadline: not retried until it ran out
    assert allocator.requests == []


async def test_missing_client_certificate_says_mtls_is_required(certs: Certificates, allocator: FakeAllocator) -> None:
    async with serve(allocator, certs) as port:
        error, took = await refused(AllocationClient(f"127.0.0.1:{port}", ca=certs.ca, timeout=30))
    assert error.setting == "cert"
    assert "requires a client certificate" in str(error) and "--cert" in str(error)
    assert took < 10


async def test_client_certificate_from_another_ca_is_named(certs: Certificates, allocator: FakeAllocator) -> None:
    async with serve(allocator, certs) as port:
        client = AllocationClient(
            f"127.0.0.1:{port}", ca=certs.ca, cert=certs.rogue_cert, key=certs.rogue_key, timeout=30
        )
        error, took = await refused(client)
    assert (error.setting, error.path) == ("cert", str(certs.rogue_cert))
    assert str(certs.rogue_cert) in str(error) and "allocator-client-ca" in str(error)
    assert took < 10


@pytest.mark.parametrize("with_cert", [True, False])
async def test_a_tls_alert_after_the_handshake_is_a_refused_client_certificate(
    certs: Certificates, with_cert: bool
) -> None:
    # Agones' allocator (Go, TLS 1.3) answers so; grpc reports "Unwrap failed (TSI_DATA_CORRUPTED)".
    with alerting_tls_server(certs) as port:
        cert, key = (certs.rogue_cert, certs.rogue_key) if with_cert else (None, None)
        error, took = await refused(AllocationClient(f"127.0.0.1:{port}", ca=certs.ca, cert=cert, key=key, timeout=30))
    assert error.setting == "cert" and "alert" in str(error)
    if with_cert:
        assert error.path == str(certs.rogue_cert) and "allocator-client-ca" in str(error)
    else:
        assert "requires a client certificate" in str(error)
    assert took < 10


async def test_tls_client_to_a_plaintext_allocator(certs: Certificates, allocator: FakeAllocator) -> None:
    async with serve(allocator) as port:
        error, _ = await refused(mtls_client(port, certs, timeout=30))
    assert error.setting == "plaintext" and "--plaintext" in str(error)


async def test_plaintext_client_to_a_tls_allocator(certs: Certificates, allocator: FakeAllocator) -> None:
    async with serve(allocator, certs) as port:
        error, took = await refused(AllocationClient(f"127.0.0.1:{port}", plaintext=True, timeout=30))
    assert error.setting == "plaintext" and "serves TLS" in str(error)
    assert took < 10


async def test_certificate_for_another_name(certs: Certificates, allocator: FakeAllocator) -> None:
    async with serve(allocator, certs) as port:
        tls = TLSConfig.from_files(ca=certs.ca, cert=certs.client_cert, key=certs.client_key, server_name="other")
        error, _ = await refused(AllocationClient(f"127.0.0.1:{port}", tls=tls, timeout=30))
    assert error.setting == "server_name" and "'other'" in str(error)


async def test_nothing_to_allocate_is_its_own_error_and_not_retried(
    certs: Certificates, allocator: FakeAllocator
) -> None:
    allocator.default = grpc.StatusCode.RESOURCE_EXHAUSTED
    async with serve(allocator, certs) as port, mtls_client(port, certs) as client:
        with pytest.raises(NoGameServerAvailableError, match="no available GameServer") as caught:
            await client.allocate()
    assert not caught.value.retriable
    assert len(allocator.requests) == 1


async def test_the_code_for_nothing_to_allocate_is_configurable(allocator: FakeAllocator) -> None:
    allocator.default = grpc.StatusCode.ABORTED
    async with serve(allocator) as port:
        client = AllocationClient(f"127.0.0.1:{port}", plaintext=True, no_game_server_code=grpc.StatusCode.ABORTED)
        async with client:
            with pytest.raises(NoGameServerAvailableError):
                await client.allocate()


async def test_unavailable_is_retried_until_it_answers(allocator: FakeAllocator) -> None:
    allocator.replies = [grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.UNAVAILABLE]
    async with serve(allocator) as port, AllocationClient(f"127.0.0.1:{port}", plaintext=True) as client:
        assert (await client.allocate()).game_server_name == "gs-1"
    assert len(allocator.requests) == 3


async def test_an_attempt_that_runs_out_of_time_is_retried_inside_the_deadline(allocator: FakeAllocator) -> None:
    never = asyncio.Event()
    allocator.replies = [never]
    async with serve(allocator) as port:
        async with AllocationClient(f"127.0.0.1:{port}", plaintext=True, timeout=10, attempt_timeout=0.3) as client:
            assert (await client.allocate()).game_server_name == "gs-1"
        never.set()
    assert len(allocator.requests) == 2


async def test_total_deadline_bounds_the_retries(allocator: FakeAllocator) -> None:
    never = asyncio.Event()
    allocator.default = never
    async with serve(allocator) as port:
        client = AllocationClient(f"127.0.0.1:{port}", plaintext=True, timeout=0.8, attempt_timeout=0.3)
        start = time.monotonic()
        async with client:
            with pytest.raises(AllocatorTimeoutError) as caught:
                await client.allocate()
        never.set()
    assert caught.value.retriable
    assert 0.7 < time.monotonic() - start < 3
    assert len(allocator.requests) >= 2


def closed_port() -> int:
    return free_port()


async def test_unreachable_allocator_is_retriable_and_says_so(certs: Certificates) -> None:
    start = time.monotonic()
    async with mtls_client(closed_port(), certs, timeout=0.6) as client:
        with pytest.raises(AllocatorUnavailableError, match=r"unreachable.*[Cc]onnection refused") as caught:
            await client.allocate()
    assert caught.value.retriable
    assert time.monotonic() - start > 0.3  # it kept trying, as for a restarting allocator


async def test_an_allocator_that_comes_up_late_is_reached(allocator: FakeAllocator) -> None:
    port = closed_port()
    async with AllocationClient(f"127.0.0.1:{port}", plaintext=True, timeout=10) as client:
        call = asyncio.ensure_future(client.allocate())
        await asyncio.sleep(0.3)  # the client is retrying against a closed port meanwhile
        assert not call.done()
        async with serve(allocator, port=port):
            allocation = await asyncio.wait_for(call, 10)
    assert allocation.game_server_name == "gs-1"


async def test_closed_client_refuses_calls(allocator: FakeAllocator) -> None:
    async with serve(allocator) as port:
        client = AllocationClient(f"127.0.0.1:{port}", plaintext=True)
        async with client:
            await client.allocate()
        await client.close()
        with pytest.raises(AllocationClientClosedError):
            await client.allocate()


async def test_request_and_keywords_together_are_refused() -> None:
    async with AllocationClient("127.0.0.1:1", plaintext=True) as client:
        with pytest.raises(TypeError, match="not both"):
            await client.allocate(AllocationRequest(), namespace="games")


def test_configuration_mistakes_name_themselves(certs: Certificates) -> None:
    with pytest.raises(InvalidArgumentError, match="HOST:PORT"):
        AllocationClient("localhost", plaintext=True)
    with pytest.raises(InvalidArgumentError, match="plaintext"):
        AllocationClient("localhost:1", plaintext=True, ca=certs.ca)
    with pytest.raises(InvalidArgumentError, match="key is missing"):
        AllocationClient("localhost:1", cert=certs.client_cert)
    with pytest.raises(InvalidArgumentError, match=r"cannot read the ca file '/nonexistent/ca\.crt'"):
        AllocationClient("localhost:1", ca="/nonexistent/ca.crt")
    with pytest.raises(InvalidArgumentError, match="do not match"):
        AllocationClient("localhost:1", cert=certs.client_cert, key=certs.rogue_key)
    with pytest.raises(InvalidArgumentError, match="no usable PEM"):
        AllocationClient("localhost:1", ca=certs.client_key)


def test_import_aioagones_loads_no_allocation_code() -> None:
    code = (
        "import sys, aioagones\n"
        "loaded = sorted(m for m in sys.modules if 'allocation' in m)\n"
        "assert not loaded, loaded\n"
        "import aioagones.allocation\n"
        "assert 'aioagones._pb.allocation_pb2' in sys.modules  # the check above can fail\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
