"""``udp-loadtest``: an open-loop UDP load client for servers that answer ``ACK: <text>``.

It shares only the wire format with the sample server (``sample_server.protocol``): every datagram
is the plain text ``lt <client> <sequence> <scheduled send time, ns> xxx...`` and the server echoes it
back as ``ACK: lt ...``, which is enough to match every reply to its datagram exactly. Results of
several runs (several machines, several load Pods) merge exactly with :func:`merge_results`
(``udp-loadtest merge``).
"""

from udp_loadtest._cli import main
from udp_loadtest._config import LoadTestConfig, parse_target
from udp_loadtest._counts import WorkerResult
from udp_loadtest._errors import LoadTestError
from udp_loadtest._histogram import Histogram
from udp_loadtest._merge import merge_results
from udp_loadtest._orchestrate import run
from udp_loadtest._result import LoadTestResult, TargetRow

__all__ = [
    "Histogram",
    "LoadTestConfig",
    "LoadTestError",
    "LoadTestResult",
    "TargetRow",
    "WorkerResult",
    "main",
    "merge_results",
    "parse_target",
    "run",
]
