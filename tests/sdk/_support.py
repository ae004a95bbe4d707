"""Small helpers of the SDK tests: a free port and the sidecar command."""

from __future__ import annotations

import socket
import sys


def free_port() -> int:
    """A loopback TCP port that nothing listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def sidecar_command(port: int) -> list[str]:
    """`agones-local-sidecar` on 127.0.0.1:`port`, as a separate process."""
    return [
        sys.executable,
        "-m",
        "aioagones.local",
        "--address",
        "127.0.0.1",
        "--grpc-port",
        str(port),
        "--http-port",
        "0",
    ]
