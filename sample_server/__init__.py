"""A dual-stack UDP dedicated server built on aioagones, wire-compatible with simple-game-server.

Run it with `sample-game-server` (or `python -m sample_server`); see docs/sample-server.md.
The wire format lives in `sample_server.protocol` (no I/O), the server in `SampleServer`.

Only `protocol` is imported eagerly: the load client (`sample_server.loadtest`) shares the wire
format and should not pay for importing grpc. The other names load on first use.
"""

from __future__ import annotations

import importlib as _importlib
import typing as _typing

from . import protocol

if _typing.TYPE_CHECKING:
    from ._cli import main
    from ._commands import AgonesLike
    from ._server import SampleServer, ServerConfig

__all__ = ["AgonesLike", "SampleServer", "ServerConfig", "main", "protocol"]

_LAZY = {"AgonesLike": "_commands", "SampleServer": "_server", "ServerConfig": "_server", "main": "_cli"}


def __getattr__(name: str) -> _typing.Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'sample_server' has no attribute {name!r}")
    value = getattr(_importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value
