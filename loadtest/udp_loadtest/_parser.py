"""The argument parsers of ``udp-loadtest`` and ``udp-loadtest merge``, and the parsers of their values."""

from __future__ import annotations

import argparse
import datetime
from collections.abc import Callable
from typing import Any, NoReturn

from udp_loadtest._config import default_workers
from udp_loadtest._version import aioagones_version

__all__ = [
    "UsageError",
    "build_merge_parser",
    "build_parser",
    "non_negative",
    "parse_start_at",
    "port_number",
    "positive",
    "share",
]


class UsageError(Exception):
    """A bad command line; the text is argparse's message, without the usage block (that is for --help)."""


class _Parser(argparse.ArgumentParser):
    """An argument parser whose errors are one line: the caller prints them and exits 2.

    Flags must be spelt whole: with argparse's prefixes, `--port 7777` would be taken for
    `--port-name 7777`.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("allow_abbrev", False)
        super().__init__(*args, **kwargs)

    def error(self, message: str) -> NoReturn:
        raise UsageError(message)


def port_number(text: str) -> int:
    """A port number, 1-65535."""
    try:
        port = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a port number: {text!r}") from None
    if not 0 < port < 65536:
        raise argparse.ArgumentTypeError(f"port must be between 1 and 65535, not {port}")
    return port


def positive(kind: type[int] | type[float]) -> Callable[[str], int | float]:
    """A parser of numbers of ``kind`` that are more than 0."""

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


def non_negative(text: str) -> float:
    """A number, 0 or more."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"cannot be negative: {text}")
    return value


def share(text: str) -> tuple[int, int]:
    """``I/N``: share I of N, counting from 0."""
    index, sep, count = text.partition("/")
    try:
        i, n = int(index), int(count)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not I/N: {text!r} (e.g. 0/4 for the first of four)") from None
    if not sep or n < 1 or not 0 <= i < n:
        raise argparse.ArgumentTypeError(f"{text!r}: I must be between 0 and N-1, e.g. 0/4 ... 3/4")
    return i, n


def parse_start_at(text: str) -> float:
    """``--start-at``: Unix seconds, or an RFC 3339 time with its zone (``2026-11-30T15:00:00Z``)."""
    try:
        return float(text)
    except ValueError:
        pass
    try:
        when = datetime.datetime.fromisoformat(text.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"not a time: {text!r} (give Unix seconds or RFC 3339, e.g. 2026-11-30T15:00:00Z)"
        ) from None
    if when.tzinfo is None:
        raise argparse.ArgumentTypeError(f"{text!r} has no time zone: add Z (UTC) or an offset such as +01:00")
    return when.timestamp()


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of ``udp-loadtest`` (a run; ``merge`` has its own)."""
    p = _Parser(
        prog="udp-loadtest",
        description=(
            "Open-loop UDP load test for servers that answer a text datagram with 'ACK: <text>' "
            "(Agones' simple-game-server and the aioagones sample server). Latency is measured from "
            "each datagram's scheduled send time. 'udp-loadtest merge RESULT.json ...' merges the --json "
            "results of several runs."
        ),
        epilog="The form HOST PORT (two words) also works for one target.",
    )
    p.add_argument("--version", action="version", version=f"%(prog)s {aioagones_version()}")
    p.add_argument(
        "targets",
        metavar="TARGET",
        nargs="*",
        help="HOST:PORT, or [IPv6]:PORT; the clients are spread evenly over the targets",
    )
    p.add_argument(
        "--targets",
        dest="targets_file",
        metavar="FILE",
        help="read more targets from FILE ('-' for stdin), one per line or separated by white space",
    )
    p.add_argument(
        "--gameservers",
        metavar="FILE",
        help="aim at the Pod IPs of the GameServers in FILE ('-' for stdin): `kubectl get gameservers -o json`"
        " or allocation results (JSON); never at the node's address",
    )
    p.add_argument(
        "--port-name",
        default="default",
        metavar="NAME",
        help="with --gameservers: the GameServer port to aim at (default 'default')",
    )
    p.add_argument(
        "--family",
        choices=("v6", "v4", "both"),
        default="both",
        help="with --gameservers: the Pod IPs to aim at, IPv6, IPv4 or both (default both, IPv6 first)",
    )
    p.add_argument(
        "--share",
        type=share,
        metavar="I/N",
        help="take share I of N of the targets (every N-th, from the I-th, counting from 0): with an Indexed"
        " Job, --share $(JOB_COMPLETION_INDEX)/N",
    )
    p.add_argument(
        "--clients",
        type=positive(int),
        default=10,
        metavar="N",
        help="simulated players, each with its own socket and source port (default 10)",
    )
    rate = p.add_mutually_exclusive_group()
    rate.add_argument("--rate", type=positive(float), metavar="PPS", help="datagrams per second over all clients")
    rate.add_argument(
        "--tick-rate", type=positive(float), metavar="HZ", help="datagrams per second per client (default 60)"
    )
    p.add_argument("--duration", type=positive(float), default=10.0, metavar="S", help="measured seconds (default 10)")
    p.add_argument(
        "--warmup", type=non_negative, default=1.0, metavar="S", help="seconds sent first and not counted (default 1)"
    )
    p.add_argument(
        "--payload-size",
        type=positive(int),
        default=64,
        metavar="BYTES",
        help="datagram size; the header (client, sequence, send time) is never cut (default 64)",
    )
    p.add_argument(
        "--workers",
        type=positive(int),
        default=None,
        metavar="W",
        help=f"worker processes (default: the number of cores, here {default_workers()})",
    )
    p.add_argument(
        "--reply-timeout",
        type=positive(float),
        default=1.0,
        metavar="S",
        help="a reply later than this counts as lost (default 1)",
    )
    p.add_argument(
        "--start-at",
        type=parse_start_at,
        metavar="TIME",
        help="start the warm-up at TIME (Unix seconds or RFC 3339), so that several load Pods begin together",
    )
    p.add_argument("--run-id", default="", metavar="ID", help="tag the JSON result with this run id")
    p.add_argument("--label", default="", metavar="TEXT", help="tag the JSON result with this label (e.g. the Pod)")
    p.add_argument("--join", action="store_true", help="each client sends 'JOIN <id>' first and 'LEAVE' at the end")
    p.add_argument(
        "--join-reply",
        default="ACK: JOIN",
        metavar="TEXT",
        help="what a successful JOIN reply starts with (default 'ACK: JOIN')",
    )
    p.add_argument(
        "--keep-going",
        action="store_true",
        help="keep sending even when every datagram of the first 2 s was refused (ECONNREFUSED)",
    )
    _outputs(p)
    p.add_argument(
        "--raw-samples",
        metavar="FILE",
        help="also write every measured round trip (ns, one per line): for checking the histogram; large",
    )
    p.add_argument("-q", "--quiet", action="store_true", help="no progress line on stderr")
    return p


def _outputs(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--json",
        metavar="FILE",
        help="write the result as JSON to FILE (.json is added); '-' writes it to stdout and the table to stderr",
    )
    p.add_argument(
        "--plot",
        metavar="FILE",
        help="draw latency, loss and rates over time and the latency histogram into FILE (.png is added;"
        " needs the 'plot' extra: matplotlib)",
    )


def build_merge_parser() -> argparse.ArgumentParser:
    """The argument parser of ``udp-loadtest merge``."""
    p = _Parser(
        prog="udp-loadtest merge",
        description=(
            "Merge the --json results of several udp-loadtest runs exactly: counts summed, latency histograms "
            "merged bucket by bucket, targets combined, time series aligned on wall-clock time."
        ),
    )
    p.add_argument("results", metavar="RESULT.json", nargs="+", help="results written by --json ('-' for stdin)")
    p.add_argument(
        "--allow-disjoint",
        action="store_true",
        help="merge runs even when their measured windows did not overlap in time (refused by default)",
    )
    _outputs(p)
    return p
