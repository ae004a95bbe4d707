"""``udp-loadtest``: an open-loop UDP load client for servers that answer ``ACK: <text>``.

It shares only the wire format with the sample server (``sample_server.protocol``): every datagram
is the plain text ``lt <client> <sequence> <scheduled send time, ns> xxx...`` and the server echoes it
back as ``ACK: lt ...``, which is enough to match every reply to its datagram exactly. Results of
several runs (several machines, several load Pods) merge exactly with :func:`merge_results`
(``udp-loadtest merge``).

The readers of the files it is given take bytes and raise :class:`LoadTestError` with one line for
anything they cannot use, never another exception: :func:`parse_targets_bytes` (``--targets``),
:func:`parse_gameservers_bytes` (``--gameservers``) and :func:`parse_result_bytes` (``merge``).
"""

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from udp_loadtest._cli import main
    from udp_loadtest._config import LoadTestConfig, parse_target
    from udp_loadtest._counts import WorkerResult
    from udp_loadtest._errors import LoadTestError
    from udp_loadtest._gameservers import GameServerTargets, parse_gameservers_bytes
    from udp_loadtest._histogram import Histogram
    from udp_loadtest._merge import merge_results
    from udp_loadtest._orchestrate import run
    from udp_loadtest._result import LoadTestResult, TargetRow
    from udp_loadtest._resultfile import parse_result_bytes
    from udp_loadtest._targetsfile import parse_targets_bytes

# Loaded on first use: every worker process imports this package to reach its worker body, and
# should not pay for the command line, the plot and the file readers it never runs.
_HOME = {
    "GameServerTargets": "_gameservers",
    "Histogram": "_histogram",
    "LoadTestConfig": "_config",
    "LoadTestError": "_errors",
    "LoadTestResult": "_result",
    "TargetRow": "_result",
    "WorkerResult": "_counts",
    "main": "_cli",
    "merge_results": "_merge",
    "parse_gameservers_bytes": "_gameservers",
    "parse_result_bytes": "_resultfile",
    "parse_target": "_config",
    "parse_targets_bytes": "_targetsfile",
    "run": "_orchestrate",
}


def __getattr__(name: str) -> Any:
    if name not in _HOME:
        raise AttributeError(f"module 'udp_loadtest' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"udp_loadtest.{_HOME[name]}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *_HOME])


__all__ = [
    "GameServerTargets",
    "Histogram",
    "LoadTestConfig",
    "LoadTestError",
    "LoadTestResult",
    "TargetRow",
    "WorkerResult",
    "main",
    "merge_results",
    "parse_gameservers_bytes",
    "parse_result_bytes",
    "parse_target",
    "parse_targets_bytes",
    "run",
]
