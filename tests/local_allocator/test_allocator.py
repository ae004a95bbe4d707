"""The local allocator over real local sidecars, through real gRPC and HTTP on loopback."""

from __future__ import annotations

import asyncio
import json
import logging
import ssl
from pathlib import Path
from typing import Any

import aiohttp
import grpc
import pytest
import trustme
from google.protobuf import json_format

from aioagones._pb import allocation_pb2 as pb
from aioagones._pb import allocation_pb2_grpc as pb_grpc
from aioagones.local_allocator import NO_GAME_SERVER, LocalAllocator

from ._support import Certs, address, allocate, allocator, manifest, refusing_address, sidecars


def req(**fields: Any) -> pb.AllocationRequest:
    return json_format.ParseDict({"namespace": "default", **fields}, pb.AllocationRequest())


@pytest.fixture(scope="module")
def certs(tmp_path_factory: pytest.TempPathFactory) -> Certs:
    return Certs.make(tmp_path_factory.mktemp("certs"))


async def test_plaintext_allocation_applies_metadata_and_actions_and_answers_as_agones() -> None:
    counters = {"rooms": {"count": 1, "capacity": 10}}
    lists = {"players": {"capacity": 8, "values": ["p0"]}}
    async with sidecars(manifest("gs-a", {"mode": "ctf"}, counters=counters, lists=lists)) as (sidecar,):
        async with allocator(address(sidecar)) as running:
            request = req(
                gameServerSelectors=[{"matchLabels": {"mode": "ctf"}, "counters": {"rooms": {"minAvailable": 1}}}],
                metadata={"labels": {"match": "m1"}, "annotations": {"quilkin.dev/tokens": "MXg3aWp5Ng=="}},
                counters={"rooms": {"action": "Increment", "amount": 1}},
                lists={"players": {"addValues": ["p1"]}},
            )
            reply = await allocate(running.port, request)
    got = json_format.MessageToDict(reply)
    annotations = got["metadata"]["annotations"]
    assert annotations.pop("agones.dev/last-allocated")
    pod_ips = [a["address"] for a in got["addresses"] if a["type"] == "PodIP"]
    assert got == {
        "gameServerName": "gs-a",
        "ports": [{"name": "default", "port": 7777}],
        "address": pod_ips[0],
        "addresses": [{"type": "PodIP", "address": a} for a in pod_ips],
        "nodeName": "127.0.0.1",
        "source": "local",
        "metadata": {"labels": {"mode": "ctf", "match": "m1"}, "annotations": {"quilkin.dev/tokens": "MXg3aWp5Ng=="}},
        "counters": {"rooms": {"count": "2", "capacity": "10"}},
        "lists": {"players": {"values": ["p0", "p1"], "capacity": "8"}},
    }
    status = sidecar.game_server.status
    assert (status.state, sidecar.game_server.object_meta.labels["match"]) == ("Allocated", "m1")


async def test_nothing_ready_is_resource_exhausted_and_allocated_ones_are_taken_only_when_asked() -> None:
    async with sidecars(manifest("gs-a")) as (sidecar,), allocator(address(sidecar)) as running:
        await allocate(running.port, req())
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            await allocate(running.port, req())
        assert (caught.value.code(), caught.value.details()) == (grpc.StatusCode.RESOURCE_EXHAUSTED, NO_GAME_SERVER)
        again = await allocate(running.port, req(gameServerSelectors=[{"gameServerState": "ALLOCATED"}]))
        assert again.gameServerName == "gs-a"


async def test_selectors_in_order_across_two_sidecars() -> None:
    async with sidecars(manifest("gs-dm", {"mode": "dm"}), manifest("gs-ctf", {"mode": "ctf"})) as both:
        async with allocator(*map(address, both)) as running:
            request = req(gameServerSelectors=[{"matchLabels": {"mode": "ctf"}}, {"matchLabels": {"mode": "dm"}}])
            names = [(await allocate(running.port, request)).gameServerName for _ in range(2)]
            assert names == ["gs-ctf", "gs-dm"]
            with pytest.raises(grpc.aio.AioRpcError, match=NO_GAME_SERVER):
                await allocate(running.port, request)
    assert [s.game_server.status.state for s in both] == ["Allocated", "Allocated"]


async def test_counter_and_list_conditions_pick_the_game_server_with_room() -> None:
    full = manifest("gs-full", counters={"rooms": {"count": 4, "capacity": 4}}, lists={"p": {"capacity": 1}})
    roomy = manifest("gs-roomy", counters={"rooms": {"count": 1, "capacity": 4}}, lists={"p": {"capacity": 3}})
    async with sidecars(full, roomy) as both, allocator(*map(address, both)) as running:
        by_counter = req(gameServerSelectors=[{"counters": {"rooms": {"minAvailable": 1}}}])
        assert (await allocate(running.port, by_counter)).gameServerName == "gs-roomy"
        by_list = req(gameServerSelectors=[{"lists": {"p": {"minAvailable": 2}}}])
        with pytest.raises(grpc.aio.AioRpcError, match=NO_GAME_SERVER):
            await allocate(running.port, by_list)  # gs-roomy is Allocated now; gs-full's list has 1 place


async def test_concurrent_allocations_never_take_the_same_game_server() -> None:
    manifests = [manifest(f"gs-{i}") for i in range(4)]
    async with sidecars(*manifests) as started, allocator(*map(address, started)) as running:
        results = await asyncio.gather(*(allocate(running.port, req()) for _ in range(12)), return_exceptions=True)
    names = [r.gameServerName for r in results if isinstance(r, pb.AllocationResponse)]
    refused = [r for r in results if isinstance(r, grpc.aio.AioRpcError)]
    assert sorted(names) == [f"gs-{i}" for i in range(4)]
    assert len(refused) == 8 and {r.code() for r in refused} == {grpc.StatusCode.RESOURCE_EXHAUSTED}


async def test_a_sidecar_that_is_down_is_skipped_with_a_log_line(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, "aioagones.local_allocator")
    dead = refusing_address()
    async with sidecars(manifest("gs-a")) as (sidecar,), allocator(dead, address(sidecar)) as running:
        assert (await allocate(running.port, req())).gameServerName == "gs-a"
        with pytest.raises(grpc.aio.AioRpcError, match=NO_GAME_SERVER):
            await allocate(running.port, req())
    said = [r.getMessage() for r in caplog.records if dead in r.getMessage()]
    assert len(said) == 1, said  # once when it goes away, not at every allocation
    assert said[0].startswith(f"sidecar {dead}: skipped, it does not answer (Cannot connect to host {dead}")


async def test_metadata_a_cluster_refuses_is_invalid_argument_and_allocates_nothing() -> None:
    async with sidecars(manifest("gs-a")) as (sidecar,), allocator(address(sidecar)) as running:
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            await allocate(running.port, req(metadata={"labels": {"bad key!": "x"}}))
        assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
        assert "bad key!" in (caught.value.details() or "")
        assert sidecar.game_server.status.state == "Ready"


async def test_mtls_accepts_the_client_ca_and_refuses_other_certificates_at_the_handshake(
    certs: Certs, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, "aioagones.local_allocator")
    tls = {"cert": str(certs.server_cert), "key": str(certs.server_key), "client_ca": str(certs.ca)}
    async with sidecars(manifest("gs-a")) as (sidecar,), allocator(address(sidecar), **tls) as running:
        for client in ("stranger", None):
            with pytest.raises(grpc.aio.AioRpcError) as caught:
                await allocate(running.port, req(), certs.channel_credentials(client))
            assert caught.value.code() == grpc.StatusCode.UNAVAILABLE
        assert sidecar.game_server.status.state == "Ready"
        with pytest.raises(grpc.aio.AioRpcError) as plain:
            await allocate(running.port, req())
        assert plain.value.code() == grpc.StatusCode.UNAVAILABLE
        reply = await allocate(running.port, req(), certs.channel_credentials("client"))
    assert reply.gameServerName == "gs-a"
    refusals = [r.getMessage() for r in caplog.records if "refused a TLS connection" in r.getMessage()]
    assert any("CERTIFICATE_VERIFY_FAILED" in m for m in refusals)
    assert any("PEER_DID_NOT_RETURN_A_CERTIFICATE" in m for m in refusals)


async def test_tls_without_client_ca_takes_clients_without_a_certificate(certs: Certs) -> None:
    tls = {"cert": str(certs.server_cert), "key": str(certs.server_key)}
    async with sidecars(manifest("gs-a")) as (sidecar,), allocator(address(sidecar), **tls) as running:
        reply = await allocate(running.port, req(), certs.channel_credentials(None))
    assert reply.gameServerName == "gs-a"


async def _post(url: str, body: object, ssl_context: ssl.SSLContext | None = None, method: str = "POST") -> Any:
    async with aiohttp.ClientSession() as session:
        data = body if isinstance(body, str) else json.dumps(body)
        async with session.request(method, url, data=data, ssl=ssl_context or False) as reply:
            return reply.status, await reply.text()


async def test_rest_answers_as_agones_grpc_gateway_on_the_same_port() -> None:
    async with sidecars(manifest("gs-a", {"mode": "ctf"})) as (sidecar,), allocator(address(sidecar)) as running:
        url = f"http://127.0.0.1:{running.port}/gameserverallocation"
        status, text = await _post(url, {"namespace": "default", "metadata": {"labels": {"m": "1"}}, "bogus": 1})
        assert status == 200
        body = json.loads(text)
        assert list(body) == [
            "gameServerName", "ports", "address", "addresses", "nodeName", "source", "metadata", "counters", "lists"
        ]  # fmt: skip
        assert (body["gameServerName"], body["metadata"]["labels"]) == ("gs-a", {"mode": "ctf", "m": "1"})
        no_game_server = {"code": 8, "message": NO_GAME_SERVER, "details": []}
        assert await _post(url, {"namespace": "default"}) == (429, json.dumps(no_game_server, separators=(",", ":")))
        status, text = await _post(url, "{not json")
        assert (status, json.loads(text)["code"]) == (400, 3)
        assert (await _post(url, "", method="GET"))[0] == 501
        assert (await _post(url.replace("allocation", "x"), {}))[0] == 404
        # gRPC still answers on the same port.
        with pytest.raises(grpc.aio.AioRpcError, match=NO_GAME_SERVER):
            await allocate(running.port, req())


async def test_rest_over_mtls(certs: Certs) -> None:
    tls = {"cert": str(certs.server_cert), "key": str(certs.server_key), "client_ca": str(certs.ca)}
    context = ssl.create_default_context(cafile=str(certs.ca))
    async with sidecars(manifest("gs-a")) as (sidecar,), allocator(address(sidecar), **tls) as running:
        url = f"https://127.0.0.1:{running.port}/gameserverallocation"
        with pytest.raises(aiohttp.ClientError):
            await _post(url, {"namespace": "default"}, context)
        context.load_cert_chain(certs.client_cert, certs.client_key)
        status, text = await _post(url, {"namespace": "default"}, context)
    assert (status, json.loads(text)["gameServerName"]) == (200, "gs-a")


@pytest.mark.parametrize(
    ("kw", "says"),
    [
        ({"cert": "x.pem"}, "--cert and --key go together"),
        ({"client_ca": "ca.pem"}, "--client-ca needs --cert and --key"),
        ({"cert": "missing.pem", "key": "missing.key"}, "--cert missing.pem: no such file"),
        ({"cert": "{ca}", "key": "{ca}"}, "not a PEM certificate and its private key"),
        ({"cert": "{cert}", "key": "{key}", "client_ca": "{key}"}, "--client-ca .*: not PEM CA certificates"),
    ],
)
def test_incomplete_or_wrong_tls_settings_are_refused(kw: dict[str, str], says: str, certs: Certs) -> None:
    files = {"ca": certs.ca, "cert": certs.server_cert, "key": certs.server_key}
    with pytest.raises(ValueError, match=says):
        settings: dict[str, Any] = {k: v.format(**files) for k, v in kw.items()}
        LocalAllocator(["127.0.0.1:1"], **settings)


@pytest.mark.parametrize(("offered", "chosen"), [(["h2"], "h2"), (["h2", "http/1.1"], "http/1.1"), (None, None)])
async def test_alpn_gives_grpc_clients_h2_and_clients_offering_both_http_1_1(
    certs: Certs, offered: list[str] | None, chosen: str | None
) -> None:
    # Agones' Go client offers only h2 and insists on it; curl offers both and gets REST over HTTP/1.1.
    tls = {"cert": str(certs.server_cert), "key": str(certs.server_key), "client_ca": str(certs.ca)}
    context = ssl.create_default_context(cafile=str(certs.ca))
    context.load_cert_chain(certs.client_cert, certs.client_key)
    if offered is not None:
        context.set_alpn_protocols(offered)
    async with allocator(refusing_address(), **tls) as running:
        _, writer = await asyncio.open_connection("127.0.0.1", running.port, ssl=context)
        try:
            assert writer.get_extra_info("ssl_object").selected_alpn_protocol() == chosen
        finally:
            writer.close()
            await writer.wait_closed()


async def test_the_any_address_serves_ipv6_and_ipv4_on_one_port() -> None:
    async with sidecars(manifest("gs-a")) as (sidecar,):
        async with LocalAllocator([address(sidecar)], host="::", port=0) as running:
            for host in ("127.0.0.1", "[::1]"):
                url = f"http://{host}:{running.port}/gameserverallocation"
                status, _ = await _post(
                    url, {"namespace": "default", "gameServerSelectors": [{"matchLabels": {"x": "y"}}]}
                )
                assert status == 429, host


async def test_stopping_with_a_client_connected_cuts_it_quietly(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.ERROR)
    async with sidecars(manifest("gs-a")) as (sidecar,):
        running = LocalAllocator([address(sidecar)], host="127.0.0.1", port=0)
        await running.start()
        async with grpc.aio.insecure_channel(f"127.0.0.1:{running.port}") as channel:
            stub = pb_grpc.AllocationServiceStub(channel)
            assert (await stub.Allocate(req(), timeout=10)).gameServerName == "gs-a"
            await running.stop()
            with pytest.raises(grpc.aio.AioRpcError) as caught:
                await stub.Allocate(req(), timeout=10)
            assert caught.value.code() == grpc.StatusCode.UNAVAILABLE
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR] == []


async def test_deprecated_meta_patch_applies_and_metadata_wins_over_it() -> None:
    async with sidecars(manifest("gs-a"), manifest("gs-b")) as both, allocator(*map(address, both)) as running:
        old = await allocate(running.port, req(metaPatch={"labels": {"via": "metaPatch"}}))
        both_given = req(metaPatch={"labels": {"via": "metaPatch"}}, metadata={"labels": {"via": "metadata"}})
        new = await allocate(running.port, both_given)
    assert (old.gameServerName, old.metadata.labels["via"]) == ("gs-a", "metaPatch")
    assert (new.gameServerName, new.metadata.labels["via"]) == ("gs-b", "metadata")


async def test_only_ready_game_servers_in_the_namespace_are_taken() -> None:
    async with sidecars(manifest("gs-a"), manifest("gs-b"), state="Reserved") as both:
        async with allocator(*map(address, both)) as running:
            with pytest.raises(grpc.aio.AioRpcError, match=NO_GAME_SERVER):
                await allocate(running.port, req())
            await both[1].set_state("Ready")
            with pytest.raises(grpc.aio.AioRpcError, match=NO_GAME_SERVER):
                await allocate(running.port, req(namespace=""))  # as Agones: no namespace, nothing found
            assert (await allocate(running.port, req())).gameServerName == "gs-b"
    assert both[0].game_server.status.state == "Reserved"


async def test_a_client_ca_directory_trusts_every_crt_and_pem_in_it(certs: Certs, tmp_path: Path) -> None:
    other = trustme.CA()
    (tmp_path / "first.crt").write_bytes(other.cert_pem.bytes())
    (tmp_path / "second.pem").write_bytes(certs.ca.read_bytes())
    (tmp_path / "notes.txt").write_text("not a certificate")
    tls = {"cert": str(certs.server_cert), "key": str(certs.server_key), "client_ca": str(tmp_path)}
    async with sidecars(manifest("gs-a")) as (sidecar,), allocator(address(sidecar), **tls) as running:
        reply = await allocate(running.port, req(), certs.channel_credentials("client"))
    assert reply.gameServerName == "gs-a"
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(ValueError, match=r"no \*\.crt or \*\.pem file in this directory"):
        LocalAllocator(["127.0.0.1:1"], cert=tls["cert"], key=tls["key"], client_ca=str(empty))
