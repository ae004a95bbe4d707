"""A dual-stack UDP dedicated server built on aioagones, wire-compatible with simple-game-server.

Run it with `sample-game-server` (or `python -m sample_server`); see docs/sample-server.md.
The wire format lives in `sample_server.protocol` (no I/O), the server in `SampleServer`.
"""

from . import protocol
from ._cli import main
from ._commands import AgonesLike
from ._server import SampleServer, ServerConfig

__all__ = ["AgonesLike", "SampleServer", "ServerConfig", "main", "protocol"]
