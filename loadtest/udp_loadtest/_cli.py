"""``udp-loadtest HOST PORT``: the command line."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence

from udp_loadtest._report import format_table, write_json, write_plot
from udp_loadtest._runner import LoadTestConfig, default_workers, run
from udp_loadtest._worker import LoadTestError, Progress

__all__ = ["main"]


def _port(text: str) -> int:
    try:
        port = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a port number: {text!r}") from None
    if not 0 < port < 65536:
        raise argparse.ArgumentTypeError(f"port must be between 1 and 65535, not {port}")
    return port


def _positive(kind: type[int] | type[float]) -> Callable[[str], int | float]:
    def parse(text: str) -> int | float:
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
        if not value > 0:
            raise argparse.ArgumentTypeError(f"must be more than 0, not {text}")
        return value

    parse.__name__ = kind.__name__
    return parse


def _non_negative(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"cannot be negative: {text}")
    return value


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of ``udp-loadtest``."""
    p = argparse.ArgumentParser(
        prog="udp-loadtest",
        description=(
            "Open-loop UDP load test for a server that answers a text datagram with 'ACK: <text>' "
            "(Agones' simple-game-server and the aioagones sample server). Latency is measured from "
            "each datagram's scheduled send time."
        ),
    )
    p.add_argument("host", metavar="HOST", help="IPv6 or IPv4 address (e.g. a Pod IP) or a name")
    p.add_argument("port", metavar="PORT", type=_port, help="UDP port")
    p.add_argument(
        "--clients",
        type=_positive(int),
        default=10,
        metavar="N",
        help="simulated players, each with its own socket and source port (default 10)",
    )
    rate = p.add_mutually_exclusive_group()
    rate.add_argument("--rate", type=_positive(float), metavar="PPS", help="datagrams per second over all clients")
    rate.add_argument(
        "--tick-rate", type=_positive(float), metavar="HZ", help="datagrams per second per client (default 60)"
    )
    p.add_argument("--duration", type=_positive(float), default=10.0, metavar="S", help="measured seconds (default 10)")
    p.add_argument(
        "--warmup", type=_non_negative, default=1.0, metavar="S", help="seconds sent first and not counted (default 1)"
    )
    p.add_argument(
        "--payload-size",
        type=_positive(int),
        default=64,
        metavar="BYTES",
        help="datagram size; the header (client, sequence, send time) is never cut (default 64)",
    )
    p.add_argument(
        "--workers",
        type=_positive(int),
        default=None,
        metavar="W",
        help=f"worker processes (default: the number of cores, here {default_workers()})",
    )
    p.add_argument(
        "--reply-timeout",
        type=_positive(float),
        default=1.0,
        metavar="S",
        help="a reply later than this counts as lost (default 1)",
    )
    p.add_argument("--join", action="store_true", help="each client sends 'JOIN <id>' first and 'LEAVE' at the end")
    p.add_argument("--json", metavar="FILE", help="also write the result as JSON")
    p.add_argument(
        "--plot",
        metavar="FILE.png",
        help="draw latency over time and its histogram (needs the 'plot' extra: matplotlib)",
    )
    p.add_argument("-q", "--quiet", action="store_true", help="no progress line on stderr")
    return p


class _ProgressLine:
    """Writes a progress line to stderr: rewritten in place on a terminal, once a second otherwise."""

    def __init__(self, total: float) -> None:
        self.total = total
        self.tty = sys.stderr.isatty()
        self.last = -1.0
        self.width = 0

    def __call__(self, elapsed: float, p: Progress) -> None:
        if not self.tty and elapsed - self.last < 1.0:
            return
        self.last = elapsed
        shown = min(max(0.0, elapsed), self.total)
        text = (
            f"[{shown:5.1f}/{self.total:.1f} s] sent {p.sent:,}  received {p.received:,}"
            f"  lag max {p.max_lag_ns / 1e6:.1f} ms"
            + (f"  late sends {p.late_sends:,}" if p.late_sends else "")
            + ("  (waiting for the last replies)" if elapsed > self.total else "")
        )
        if self.tty:
            sys.stderr.write("\r" + text.ljust(self.width))
            self.width = len(text)
        else:
            sys.stderr.write(text + "\n")
        sys.stderr.flush()

    def close(self) -> None:
        if self.tty and self.width:
            sys.stderr.write("\r" + " " * self.width + "\r")
            sys.stderr.flush()


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``udp-loadtest``; return the exit status (0 when replies came back, 1 when none, 2 bad input)."""
    args = build_parser().parse_args(argv)
    if args.rate is not None:
        rate = args.rate
    else:
        rate = (args.tick_rate if args.tick_rate is not None else 60.0) * args.clients
    config = LoadTestConfig(
        host=args.host,
        port=args.port,
        clients=args.clients,
        rate=rate,
        duration=args.duration,
        warmup=args.warmup,
        payload_size=args.payload_size,
        workers=args.workers if args.workers is not None else default_workers(),
        reply_timeout=args.reply_timeout,
        join=args.join,
    )
    line = None if args.quiet else _ProgressLine(config.warmup + config.duration)
    try:
        result = run(config, line)
    except LoadTestError as exc:
        if line is not None:
            line.close()
        print(f"udp-loadtest: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("\nudp-loadtest: interrupted", file=sys.stderr)
        return 130
    if line is not None:
        line.close()
    print(format_table(result))
    status = 0
    try:
        if args.json:
            write_json(result, args.json)
        if args.plot:
            write_plot(result, args.plot)
    except LoadTestError as exc:
        print(f"udp-loadtest: error: {exc}", file=sys.stderr)
        status = 2
    except OSError as exc:
        print(f"udp-loadtest: error: cannot write {exc.filename}: {exc.strerror}", file=sys.stderr)
        status = 2
    if result.received == 0:
        refused = result.counts.errors.get("ECONNREFUSED", 0)
        why = (
            "the host answered 'port unreachable': nothing listens on that UDP port"
            if refused
            else "is the server running, and is the address and port right?"
        )
        print(f"udp-loadtest: error: no replies from {result.address} ({why})", file=sys.stderr)
        return 1
    if config.join and result.counts.joined == 0:
        print("udp-loadtest: error: no client could JOIN", file=sys.stderr)
        return 1
    return status
