"""`agones-local-allocator`: the local allocator as a command.

Exit codes: 0 after SIGTERM or SIGINT, 2 for a bad flag or TLS file, 1 when the address cannot be bound.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from collections.abc import Sequence

from aioagones._constants import format_host_port
from aioagones._flags import OneLineParser, log_level
from aioagones._stopping import exit_quietly_on_stop, stop_requested
from aioagones._version import __version__
from aioagones.local_allocator._service import DEFAULT_PORT, LocalAllocator
from aioagones.local_allocator._sidecars import parse_sidecar

__all__ = ["main"]

PROG = "agones-local-allocator"
DEFAULT_SIDECAR = "localhost:9358"

logger = logging.getLogger(__name__)


def _port(text: str) -> int:
    if not text.isdigit() or not 0 <= int(text) <= 65535:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port number (0-65535)")
    return int(text)


def _sidecar(text: str) -> str:
    try:
        parse_sidecar(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    return text


def _parser() -> OneLineParser:
    parser = OneLineParser(
        prog=PROG,
        description=(
            "A local Agones allocator for matchmaker development: serves allocation.AllocationService/Allocate "
            "(gRPC) and POST /gameserverallocation (REST, JSON) on one port, and allocates among the "
            "GameServers of local sidecars (agones-local-sidecar --http-port) with Agones' selector rules."
        ),
        epilog="Exit codes: 0 after SIGTERM/SIGINT, 2 for bad input, 1 if the address cannot be bound.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    parser.add_argument(
        "--address", default="localhost", help="address to listen on; '::' serves every interface (default localhost)"
    )
    parser.add_argument(
        "--port",
        type=_port,
        default=DEFAULT_PORT,
        help=f"gRPC and REST port; 0 picks a free one (default {DEFAULT_PORT})",
    )
    parser.add_argument("--cert", metavar="FILE", help="serving certificate (PEM) for TLS; with --key")
    parser.add_argument("--key", metavar="FILE", help="private key (PEM) of --cert")
    parser.add_argument(
        "--client-ca",
        metavar="FILE",
        help="CA certificate(s) (PEM, or a directory of *.crt/*.pem files) that sign client certificates: "
        "mutual TLS, other clients are refused in the TLS handshake (needs --cert and --key)",
    )
    parser.add_argument(
        "--sidecar",
        metavar="HOST:HTTP_PORT",
        action="append",
        type=_sidecar,
        help=f"a local sidecar's HTTP address, repeatable, one per GameServer (default {DEFAULT_SIDECAR})",
    )
    parser.add_argument("--log-level", type=log_level, default="INFO", help="INFO logs each allocation (default INFO)")
    return parser


async def _serve(allocator: LocalAllocator) -> int:
    with stop_requested() as stop:
        try:
            await allocator.start()
        except OSError as exc:
            where = format_host_port(allocator.host, allocator.port)
            print(f"{PROG}: error: cannot listen on {where}: {exc.strerror or exc}", file=sys.stderr)
            return 1
        await stop.wait()
        logger.info("stopping")
        await allocator.stop()
        return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Run the local allocator until SIGTERM or SIGINT; returns the exit code."""
    with exit_quietly_on_stop():
        parser = _parser()
        args = parser.parse_args(argv)
        logging.basicConfig(
            level=logging.WARNING, format="%(asctime)s %(levelname)s %(name)s: %(message)s", stream=sys.stderr
        )
        logging.getLogger("aioagones").setLevel(args.log_level)
        try:
            allocator = LocalAllocator(
                args.sidecar or [DEFAULT_SIDECAR],
                host=args.address,
                port=args.port,
                cert=args.cert,
                key=args.key,
                client_ca=args.client_ca,
            )
        except ValueError as exc:
            parser.exit(2, f"{PROG}: error: {exc}\n")
        return asyncio.run(_serve(allocator))
