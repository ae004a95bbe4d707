"""``udp-loadtest``: an open-loop UDP load client for servers that answer ``ACK: <text>``.

It shares only the wire format with the sample server: every datagram is the plain text
``lt <client> <sequence> <scheduled send time, ns> xxx...`` and the server echoes it back as
``ACK: lt ...``, which is enough to match every reply to its datagram exactly.
"""

from sample_server.loadtest._cli import main
from sample_server.loadtest._histogram import Histogram
from sample_server.loadtest._runner import LoadTestConfig, LoadTestResult, run
from sample_server.loadtest._worker import LoadTestError, WorkerResult

__all__ = ["Histogram", "LoadTestConfig", "LoadTestError", "LoadTestResult", "WorkerResult", "main", "run"]
