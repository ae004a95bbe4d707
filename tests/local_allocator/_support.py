"""Local sidecars, certificates and an allocator for the local allocator's tests."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import grpc.aio
import trustme

from aioagones._pb import allocation_pb2 as pb
from aioagones._pb import allocation_pb2_grpc as pb_grpc
from aioagones.local_allocator import LocalAllocator
from aioagones.testing import LocalSidecar

from .._commands import free_port


def manifest(name: str, labels: Mapping[str, str] | None = None, **spec: Any) -> dict[str, Any]:
    """A GameServer with a portPolicy None port, health checking off, and `spec` merged in."""
    return {
        "apiVersion": "agones.dev/v1",
        "kind": "GameServer",
        "metadata": {"name": name, "labels": dict(labels or {})},
        "spec": {
            "ports": [{"name": "default", "portPolicy": "None", "containerPort": 7777}],
            "health": {"disabled": True},
            **spec,
        },
    }


@contextlib.asynccontextmanager
async def sidecars(*manifests: dict[str, Any], state: str = "Ready") -> AsyncIterator[list[LocalSidecar]]:
    """Local sidecars in this process, each on free gRPC and HTTP ports, their GameServers in `state`."""
    async with contextlib.AsyncExitStack() as stack:
        started = [await stack.enter_async_context(LocalSidecar(m, host="127.0.0.1")) for m in manifests]
        for sidecar in started:
            await sidecar.set_state(state)
        yield started


def address(sidecar: LocalSidecar) -> str:
    """What `--sidecar` takes for it."""
    return f"127.0.0.1:{sidecar.http_port}"


def refusing_address() -> str:
    """A loopback port nothing listens on."""
    return f"127.0.0.1:{free_port()}"


@dataclass(frozen=True)
class Certs:
    """PEM files: a CA, the allocator's serving pair, a client pair it signed, and one another CA signed."""

    ca: Path
    server_cert: Path
    server_key: Path
    client_cert: Path
    client_key: Path
    stranger_cert: Path
    stranger_key: Path

    @classmethod
    def make(cls, where: Path) -> Certs:
        """Make them all in `where`."""
        ca, other = trustme.CA(), trustme.CA()
        paths = {name: where / f"{name}.pem" for name in cls.__dataclass_fields__}
        ca.cert_pem.write_to_path(str(paths["ca"]))
        for prefix, issuer, names in (
            ("server", ca, ("localhost", "127.0.0.1", "::1")),
            ("client", ca, ("matchmaker@example.org",)),
            ("stranger", other, ("matchmaker@example.org",)),
        ):
            issued = issuer.issue_cert(*names)
            issued.cert_chain_pems[0].write_to_path(str(paths[f"{prefix}_cert"]))
            issued.private_key_pem.write_to_path(str(paths[f"{prefix}_key"]))
        return cls(**paths)

    def channel_credentials(self, client: str | None = "client") -> grpc.ChannelCredentials:
        """Trust the CA; present the `client` (or `stranger`) certificate, or none."""
        if client is None:
            return grpc.ssl_channel_credentials(root_certificates=self.ca.read_bytes())
        return grpc.ssl_channel_credentials(
            root_certificates=self.ca.read_bytes(),
            private_key=getattr(self, f"{client}_key").read_bytes(),
            certificate_chain=getattr(self, f"{client}_cert").read_bytes(),
        )


@contextlib.asynccontextmanager
async def allocator(*sidecar_addresses: str, **kw: Any) -> AsyncIterator[LocalAllocator]:
    """A running `LocalAllocator` on a free loopback port."""
    async with LocalAllocator(sidecar_addresses, host="127.0.0.1", port=0, **kw) as running:
        yield running


async def allocate(
    port: int, request: pb.AllocationRequest, credentials: grpc.ChannelCredentials | None = None
) -> pb.AllocationResponse:
    """One Allocate call over a new channel (TLS with `credentials`), with a deadline."""
    target = f"127.0.0.1:{port}"
    channel = grpc.aio.secure_channel(target, credentials) if credentials else grpc.aio.insecure_channel(target)
    async with channel:
        reply: pb.AllocationResponse = await pb_grpc.AllocationServiceStub(channel).Allocate(request, timeout=10)
        return reply
