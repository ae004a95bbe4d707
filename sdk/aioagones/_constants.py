"""Names and numbers of the Agones sidecar contract, written once for the SDK and the local sidecar."""

from __future__ import annotations

__all__ = [
    "DEFAULT_GRPC_PORT",
    "DEFAULT_HOST",
    "DEFAULT_HTTP_PORT",
    "ENV_GRPC_HOST",
    "ENV_GRPC_PORT",
    "ENV_HTTP_PORT",
    "LAST_ALLOCATED_ANNOTATION",
    "MAX_LIST_CAPACITY",
    "SDK_METADATA_PREFIX",
    "format_host_port",
]

DEFAULT_HOST = "localhost"
DEFAULT_GRPC_PORT = 9357
DEFAULT_HTTP_PORT = 9358

ENV_GRPC_HOST = "AGONES_SDK_GRPC_HOST"
ENV_GRPC_PORT = "AGONES_SDK_GRPC_PORT"
ENV_HTTP_PORT = "AGONES_SDK_HTTP_PORT"

SDK_METADATA_PREFIX = "agones.dev/sdk-"
"""The sidecar stores label and annotation `k` as `agones.dev/sdk-k`."""

LAST_ALLOCATED_ANNOTATION = "agones.dev/last-allocated"
"""Set by Allocate (the SDK call and a GameServerAllocation) to the time of allocation."""

MAX_LIST_CAPACITY = 1000
"""Agones caps a list's capacity (and so its values) at 1000."""


def format_host_port(host: str, port: int) -> str:
    """`host:port`, with an IPv6 literal in brackets (`[::1]:9357`), as gRPC targets and logs want it."""
    if ":" in host and not host.startswith("["):
        host = f"[{host}]"
    return f"{host}:{port}"
