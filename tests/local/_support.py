"""Shared by the local sidecar's tests: a free port, and `agones-local-sidecar`'s command line.

The command always gets its ports (0: the sidecar picks free ones) unless the test gives them, so no
test reaches for 9357/9358, where a developer's own sidecar may be running.
"""

from __future__ import annotations

import os
import socket
import sys

COMMAND = [sys.executable, "-m", "aioagones.local"]
CLEAN_ENV = {k: v for k, v in os.environ.items() if not k.startswith("AGONES_")}
"""The environment without AGONES_* variables, so the developer's settings do not leak into a test."""


def free_port() -> int:
    """A loopback TCP port nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def sidecar_command(*args: str, address: str | None = "127.0.0.1") -> list[str]:
    """`agones-local-sidecar` (as `python -m aioagones.local`) on free ports unless `args` give them.

    `address` is passed as `--address` unless `args` give one; None leaves it to the environment.
    """
    ports = [flag for flag in ("--grpc-port", "--http-port") if not any(a.startswith(flag) for a in args)]
    defaults = [item for flag in ports for item in (flag, "0")]
    given = address is None or any(a.startswith("--address") for a in args)
    return [*COMMAND, *([] if given else ["--address", str(address)]), *defaults, *args]
