"""A small AllocationService for the client's tests and benchmark: real gRPC socket, real TLS.

It answers from a script (`replies`: a reply, a status code to abort with, or an Event to hang
on until set) and then with `default`; it records every request. It applies no selector rules:
that is the local allocator's job. Run alone (plaintext) for the benchmark:
`python -m tests.allocation._fake --port N`.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import socket
import ssl
import threading
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import grpc
import grpc.aio
import trustme

from aioagones._pb import allocation_pb2 as pb
from aioagones._pb import allocation_pb2_grpc as pb_grpc

Scripted = pb.AllocationResponse | grpc.StatusCode | asyncio.Event

NOTHING_TO_ALLOCATE = "there is no available GameServer to allocate"


def reply(
    name: str = "gs-1", *, pod_ips: tuple[str, ...] = ("198.51.100.10", "2001:db8:1::a")
) -> pb.AllocationResponse:
    """An answer shaped as Agones' allocator gives it: node addresses first, then the Pod IPs."""
    return pb.AllocationResponse(
        gameServerName=name,
        ports=[pb.AllocationResponse.GameServerStatusPort(name="default", port=7777)],
        address="198.51.100.1",
        addresses=[
            pb.AllocationResponse.GameServerStatusAddress(type="InternalIP", address="198.51.100.1"),
            pb.AllocationResponse.GameServerStatusAddress(type="InternalIP", address="2001:db8:1::1"),
            pb.AllocationResponse.GameServerStatusAddress(type="Hostname", address="node-local"),
            *(pb.AllocationResponse.GameServerStatusAddress(type="PodIP", address=ip) for ip in pod_ips),
        ],
        nodeName="node-local",
        source="local",
        metadata=pb.AllocationResponse.GameServerMetadata(labels={"agones.dev/fleet": "f"}, annotations={"a": "b"}),
    )


class FakeAllocator(pb_grpc.AllocationServiceServicer):
    """Answers from `replies` in order, then with `default`; keeps the requests it got."""

    def __init__(self) -> None:
        self.replies: list[Scripted] = []
        self.default: Scripted = reply()
        self.requests: list[pb.AllocationRequest] = []

    async def Allocate(self, request: pb.AllocationRequest, context: grpc.aio.ServicerContext) -> pb.AllocationResponse:  # type: ignore[type-arg]
        self.requests.append(request)
        scripted = self.replies.pop(0) if self.replies else self.default
        if isinstance(scripted, asyncio.Event):
            await scripted.wait()
            return reply()
        if isinstance(scripted, grpc.StatusCode):
            await context.abort(scripted, NOTHING_TO_ALLOCATE if scripted != grpc.StatusCode.UNAVAILABLE else "busy")
        assert isinstance(scripted, pb.AllocationResponse)
        return scripted


@dataclass(frozen=True)
class Certificates:
    """PEM files made for one test: the allocator's CA and pair, a trusted client pair, a rogue client pair."""

    ca: Path
    server_cert: Path
    server_key: Path
    client_cert: Path
    client_key: Path
    rogue_ca: Path
    rogue_cert: Path
    rogue_key: Path

    @classmethod
    def make(cls, folder: Path) -> Certificates:
        """Make a CA, a server certificate for localhost/127.0.0.1/::1, and client certificates from two CAs."""
        ca, rogue = trustme.CA(), trustme.CA()
        files: dict[str, bytes] = {
            "ca": ca.cert_pem.bytes(),
            "rogue_ca": rogue.cert_pem.bytes(),
        }
        for prefix, issued in (
            ("server", ca.issue_cert("localhost", "127.0.0.1", "::1")),
            ("client", ca.issue_cert("matchmaker")),
            ("rogue", rogue.issue_cert("matchmaker")),
        ):
            files[f"{prefix}_cert"] = b"".join(blob.bytes() for blob in issued.cert_chain_pems)
            files[f"{prefix}_key"] = issued.private_key_pem.bytes()
        for name, data in files.items():
            (folder / f"{name}.pem").write_bytes(data)
        return cls(**{name: folder / f"{name}.pem" for name in files})


@contextlib.asynccontextmanager
async def serve(
    allocator: FakeAllocator, certs: Certificates | None = None, *, client_auth: bool = True, port: int = 0
) -> AsyncIterator[int]:
    """Serve `allocator` on 127.0.0.1 (plaintext without `certs`; TLS, mTLS with `client_auth`); yields the port."""
    server = grpc.aio.server()
    pb_grpc.add_AllocationServiceServicer_to_server(allocator, server)
    if certs is None:
        port = server.add_insecure_port(f"127.0.0.1:{port}")
    else:
        credentials = grpc.ssl_server_credentials(
            [(certs.server_key.read_bytes(), certs.server_cert.read_bytes())],
            root_certificates=certs.ca.read_bytes() if client_auth else None,
            require_client_auth=client_auth,
        )
        port = server.add_secure_port(f"127.0.0.1:{port}", credentials)
    await server.start()
    try:
        yield port
    finally:
        await server.stop(None)


@contextlib.contextmanager
def alerting_tls_server(certs: Certificates) -> Iterator[int]:
    """A TLS 1.3 server that refuses a missing or untrusted client certificate as Agones' allocator does.

    Go's crypto/tls checks the client certificate after the server's half of the handshake and
    then sends an alert; grpc's own server just closes the socket. OpenSSL behind a blocking
    socket (this thread) sends the alert as Go does. No gRPC is served: it only refuses.
    """
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1_3
    context.load_cert_chain(certs.server_cert, certs.server_key)
    context.load_verify_locations(certs.ca)
    context.verify_mode = ssl.CERT_REQUIRED
    context.set_alpn_protocols(["h2"])  # else grpc stops before the client certificate is sent
    listener = socket.create_server(("127.0.0.1", 0))

    def refuse() -> None:
        while True:
            try:
                conn, _ = listener.accept()
            except OSError:
                return  # the listener was shut down
            with conn, contextlib.suppress(OSError):  # ssl.SSLError is an OSError
                conn.settimeout(5)
                with context.wrap_socket(conn, server_side=True) as tls:
                    tls.recv(1)

    thread = threading.Thread(target=refuse, daemon=True)
    thread.start()
    try:
        yield listener.getsockname()[1]
    finally:
        listener.shutdown(socket.SHUT_RDWR)
        listener.close()
        thread.join(5)


async def _main(port: int) -> None:
    async with serve(FakeAllocator(), port=port) as bound:
        print(f"serving on 127.0.0.1:{bound}", flush=True)
        await asyncio.Event().wait()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description="a plaintext fake allocator that always allocates")
    parser.add_argument("--port", type=int, default=0)
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_main(parser.parse_args().port))
