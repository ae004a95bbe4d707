"""A dual-stack UDP dedicated server built on aioagones, wire-compatible with simple-game-server.

Run it with `sample-game-server` (or `python -m sample_server`); see docs/sample-server.md.
The wire format lives in `sample_server.protocol` (no I/O), the server in `sample_server._server`.

The package root imports only `protocol`, and plainly: the load client (`udp_loadtest`) imports the
wire constants from it, and importing `sample_server.protocol` runs this file first, so anything
more here would make every load worker import aioagones and grpc.
"""

from __future__ import annotations

from . import protocol

__all__ = ["protocol"]
