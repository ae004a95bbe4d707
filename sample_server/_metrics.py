"""Counters for the server and their Prometheus text exposition, served over plain HTTP.

The counters are plain attributes incremented on the hot path (no locks: one event loop).
The exposition follows the Prometheus text format 0.0.4, written here to avoid a dependency.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable

from ._bind import bind_tcp
from ._requests import Malformed

log = logging.getLogger(__name__)

_STATES = ("Scheduled", "RequestReady", "Ready", "Reserved", "Allocated", "Shutdown", "Unhealthy")
_LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


class Histogram:
    """A Prometheus histogram: cumulative buckets, a sum and a count."""

    def __init__(self, bounds: tuple[float, ...] = _LATENCY_BUCKETS) -> None:
        self.bounds = bounds
        self.counts = [0] * len(bounds)
        self.sum = 0.0
        self.count = 0

    def observe(self, value: float) -> None:
        """Add one observation."""
        self.sum += value
        self.count += 1
        for i, bound in enumerate(self.bounds):
            if value <= bound:
                self.counts[i] += 1
                break

    def samples(self, name: str) -> list[str]:
        """The exposition lines of `name`'s buckets, sum and count."""
        out, total = [], 0
        for bound, n in zip(self.bounds, self.counts, strict=True):
            total += n
            out.append(f'{name}_bucket{{le="{bound:g}"}} {total}')
        out.append(f'{name}_bucket{{le="+Inf"}} {self.count}')
        out.append(f"{name}_sum {self.sum:g}")
        out.append(f"{name}_count {self.count}")
        return out


class Metrics:
    """What the server counts."""

    def __init__(self) -> None:
        self.datagrams_in = 0
        self.datagrams_out = 0
        self.bytes_in = 0
        self.bytes_out = 0
        self.send_errors = 0
        self.receive_errors = 0
        self.dropped_busy = 0
        self.refused = 0
        self.refusals_throttled = 0
        self.reads_throttled = 0
        self.command_errors = 0
        self.too_long = 0
        self.malformed: dict[str, int] = {m.value: 0 for m in Malformed}
        self.tcp_connections = 0
        self.tcp_idle_closed = 0
        self.tcp_write_timeouts = 0
        self.tcp_refused = 0
        self.sidecar_up = 1
        self.sidecar_reply_seconds = Histogram()
        self.players = 0
        self.player_joins = 0
        self.player_leaves = 0
        self.player_timeouts = 0
        self.join_cookies = 0
        self.tickets_refused = 0
        self.state = ""

    def render(self) -> str:
        """The Prometheus text exposition of every metric."""
        out: list[str] = []

        def metric(name: str, kind: str, help_: str, samples: list[tuple[str, float]]) -> None:
            out.append(f"# HELP {name} {help_}")
            out.append(f"# TYPE {name} {kind}")
            out.extend(f"{name}{labels} {value:g}" for labels, value in samples)

        p = "sample_server_"
        metric(p + "datagrams_received_total", "counter", "Datagrams received.", [("", self.datagrams_in)])
        metric(p + "datagrams_sent_total", "counter", "Datagrams sent.", [("", self.datagrams_out)])
        metric(p + "received_bytes_total", "counter", "Bytes received in datagrams.", [("", self.bytes_in)])
        metric(p + "sent_bytes_total", "counter", "Bytes sent in datagrams.", [("", self.bytes_out)])
        metric(
            p + "errors_total",
            "counter",
            "Errors by kind.",
            [
                ('{kind="send"}', self.send_errors),
                ('{kind="receive"}', self.receive_errors),
                ('{kind="busy_dropped"}', self.dropped_busy),
                ('{kind="command"}', self.command_errors),
                ('{kind="too_long"}', self.too_long),
                ('{kind="tcp_idle"}', self.tcp_idle_closed),
                ('{kind="refusal_throttled"}', self.refusals_throttled),
                ('{kind="read_throttled"}', self.reads_throttled),
                ('{kind="tcp_write_timeout"}', self.tcp_write_timeouts),
                ('{kind="tcp_refused"}', self.tcp_refused),
            ],
        )
        metric(
            p + "malformed_datagrams_total",
            "counter",
            "Malformed datagrams by reason (still answered like upstream).",
            [(f'{{reason="{k}"}}', v) for k, v in sorted(self.malformed.items())],
        )
        metric(p + "refused_commands_total", "counter", "Commands refused for want of trust.", [("", self.refused)])
        metric(p + "tcp_connections_total", "counter", "TCP connections accepted.", [("", self.tcp_connections)])
        metric(p + "players", "gauge", "Players joined now.", [("", self.players)])
        metric(p + "player_joins_total", "counter", "Players that joined.", [("", self.player_joins)])
        metric(p + "player_leaves_total", "counter", "Players that left with LEAVE.", [("", self.player_leaves)])
        metric(p + "player_timeouts_total", "counter", "Players dropped when idle.", [("", self.player_timeouts)])
        metric(p + "join_retries_total", "counter", "JOINs answered with a cookie.", [("", self.join_cookies)])
        metric(p + "tickets_refused_total", "counter", "JOINs refused for their ticket.", [("", self.tickets_refused)])
        states = list(_STATES)
        if self.state and self.state not in states:
            states.append(self.state)
        metric(
            p + "game_server_state",
            "gauge",
            "1 for the GameServer's current state.",
            [(f'{{state="{s}"}}', 1 if s == self.state else 0) for s in states],
        )
        metric(
            p + "sidecar_up",
            "gauge",
            "1 while the Agones sidecar answers, 0 when it does not.",
            [("", self.sidecar_up)],
        )
        name = p + "sidecar_reply_seconds"
        out.append(f"# HELP {name} Time to answer a command that calls the sidecar.")
        out.append(f"# TYPE {name} histogram")
        out.extend(self.sidecar_reply_seconds.samples(name))
        return "\n".join(out) + "\n"


async def serve_metrics(render: Callable[[], str], host: str | None, port: int) -> asyncio.Server:
    """Serve `GET /metrics` (and `/`) on `host` (None: `[::]` dual-stack) and `port`; the started server."""

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            async with asyncio.timeout(10):
                request = await reader.readuntil(b"\r\n\r\n")
            line = request.split(b"\r\n", 1)[0].split(b" ")
            if len(line) < 2 or line[0] not in (b"GET", b"HEAD"):
                status, body = b"405 Method Not Allowed", b"method not allowed\n"
            elif line[1].split(b"?", 1)[0] in (b"/metrics", b"/"):
                status, body = b"200 OK", render().encode()
            else:
                status, body = b"404 Not Found", b"not found\n"
            head = (
                b"HTTP/1.1 " + status + b"\r\nContent-Type: text/plain; version=0.0.4; charset=utf-8\r\n"
                b"Content-Length: %d\r\nConnection: close\r\n\r\n" % len(body)
            )
            writer.write(head + (b"" if line[0] == b"HEAD" else body))
            await writer.drain()
        except (TimeoutError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, ConnectionError):
            pass
        finally:
            writer.close()
            with contextlib.suppress(ConnectionError):
                await writer.wait_closed()

    return await asyncio.start_server(handle, sock=bind_tcp(host, port, "--metrics-port"), limit=16 * 1024)
