"""``udp-loadtest``: an open-loop UDP load client for servers that answer ``ACK: <text>``.

It shares only the wire format with the sample server (``sample_server.protocol``): every datagram
is the plain text ``lt <client> <sequence> <scheduled send time, ns> xxx...`` and the server echoes it
back as ``ACK: lt ...``, which is enough to match every reply to its datagram exactly. Results of
several runs (several machines, several load Pods) merge exactly with :func:`merge_results`
(``udp-loadtest merge``).
"""

from udp_loadtest._cli import main
from udp_loadtest._histogram import Histogram
from udp_loadtest._runner import LoadTestConfig, LoadTestResult, TargetRow, merge_results, parse_target, run
from udp_loadtest._worker import LoadTestError, WorkerResult

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
