"""`agones-allocate ENDPOINT`: allocate a GameServer from a shell or a CI job, and print where players connect.

Exit codes: 0 allocated, 3 no GameServer available, 2 bad input (a flag, a file, a label),
1 any other failure (certificate, TLS, unreachable allocator, timeout), each with one line.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import sys
from collections.abc import Iterator, Sequence

from .._errors import AgonesError, InvalidArgumentError, NoPodIPError, PortNotFoundError
from .._flags import OneLineParser
from .._version import __version__
from ._client import AllocationClient
from ._errors import NoGameServerAvailableError
from ._request import AllocationRequest, GameServerSelector
from ._result import Allocation

PROG = "agones-allocate"
EXIT_ALLOCATED, EXIT_FAILED, EXIT_BAD_INPUT, EXIT_NONE_AVAILABLE = 0, 1, 2, 3
FLEET_LABEL = "agones.dev/fleet"


def _pair(text: str) -> tuple[str, str]:
    key, equals, value = text.partition("=")
    if not equals or not key:
        raise argparse.ArgumentTypeError(f"{text!r} is not KEY=VALUE")
    return key, value


def _seconds(text: str) -> float:
    try:
        seconds = float(text)
    except ValueError:
        seconds = -1.0
    if not 0 < seconds < 1e9:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds above 0")
    return seconds


def _parser() -> OneLineParser:
    parser = OneLineParser(
        prog=PROG,
        description="Allocate a GameServer from Agones' allocator service (gRPC) and print where a player connects.",
        epilog=(
            "Endpoints are the GameServer's Pod IPs (IPv6 first) on its 'default' port (else its first port), "
            "for portPolicy None. Exit codes: 0 allocated, 3 no GameServer available, 2 bad input, "
            "1 any other failure (certificate, TLS, unreachable)."
        ),
    )
    parser.add_argument("endpoint", metavar="ENDPOINT", help="the allocator's HOST:PORT, e.g. 203.0.113.5:443")
    parser.add_argument(
        "--ca", metavar="FILE", help="CA of the allocator's serving certificate (default: system store)"
    )
    parser.add_argument("--cert", metavar="FILE", help="client certificate for mTLS (with --key)")
    parser.add_argument("--key", metavar="FILE", help="private key of the client certificate")
    parser.add_argument("--plaintext", action="store_true", help="no TLS (a local allocator)")
    parser.add_argument("--namespace", metavar="NS", default="default", help="namespace of the GameServers")
    parser.add_argument(
        "--selector",
        metavar="KEY=VALUE",
        type=_pair,
        action="append",
        default=[],
        help="label the GameServer must have (repeatable; all of them)",
    )
    parser.add_argument("--fleet", metavar="NAME", help=f"shorthand for --selector {FLEET_LABEL}=NAME")
    parser.add_argument(
        "--label", metavar="KEY=VALUE", type=_pair, action="append", default=[], help="label to apply (repeatable)"
    )
    parser.add_argument(
        "--annotation",
        metavar="KEY=VALUE",
        type=_pair,
        action="append",
        default=[],
        help="annotation to apply (repeatable)",
    )
    parser.add_argument(
        "--timeout", metavar="SECONDS", type=_seconds, default=15.0, help="deadline, retries included (default 15)"
    )
    parser.add_argument("--json", action="store_true", help="print the allocation as Agones' REST API answers it")
    parser.add_argument("--version", action="version", version=f"{PROG} {__version__}")
    return parser


def _request(args: argparse.Namespace) -> AllocationRequest:
    match = dict(args.selector)
    if args.fleet is not None:
        match[FLEET_LABEL] = args.fleet
    return AllocationRequest(
        namespace=args.namespace,
        selectors=[GameServerSelector(match)] if match else [],
        labels=dict(args.label),
        annotations=dict(args.annotation),
    )


def _endpoints(allocation: Allocation) -> tuple[list[str], str | None]:
    names = [p.name for p in allocation.ports]
    port_name = "default" if "default" in names or not names else names[0]
    try:
        return [str(e) for e in allocation.endpoints(port_name)], None
    except (NoPodIPError, PortNotFoundError) as error:
        return [], str(error)


def _print(allocation: Allocation, as_json: bool) -> None:
    endpoints, problem = _endpoints(allocation)
    if as_json:
        print(json.dumps({**allocation.to_json(), "endpoints": endpoints}, indent=2))
    else:
        print(f"GameServer {allocation.game_server_name} (node {allocation.node_name or '?'})")
        print(f"endpoints: {' '.join(endpoints) or '(none yet)'}")
    if problem is not None:
        print(f"{PROG}: warning: {problem}", file=sys.stderr)


async def _allocate(args: argparse.Namespace) -> Allocation:
    request = _request(args)
    if args.plaintext and (args.ca or args.cert or args.key):
        raise InvalidArgumentError("--plaintext takes no --ca, --cert or --key")
    if (args.cert is None) != (args.key is None):
        raise InvalidArgumentError("--cert and --key go together (the client certificate and its key)")
    client = AllocationClient(
        args.endpoint, ca=args.ca, cert=args.cert, key=args.key, plaintext=args.plaintext, timeout=args.timeout
    )
    async with client:
        return await client.allocate(request)


@contextlib.contextmanager
def _quiet_grpc_core() -> Iterator[None]:
    """Keep grpc's C core from writing its own log lines (a failed handshake, at INFO) to stderr.

    It reads GRPC_VERBOSITY only when grpc is imported, before this command runs, and writes to
    file descriptor 2 directly; so fd 2 goes to /dev/null while Python's sys.stderr keeps the
    real stderr. Our one line explains the failure. Left alone when GRPC_VERBOSITY or GRPC_TRACE
    is set: someone wants grpc's own logs.
    """
    if "GRPC_VERBOSITY" in os.environ or "GRPC_TRACE" in os.environ:
        yield
        return
    sys.stderr.flush()
    real = os.dup(2)
    stderr = sys.stderr
    try:
        with open(os.devnull, "w") as devnull, open(real, "w", closefd=False) as kept:
            os.dup2(devnull.fileno(), 2)
            sys.stderr = kept
            try:
                yield
            finally:
                kept.flush()
                sys.stderr = stderr
                os.dup2(real, 2)
    finally:
        os.close(real)


def main(argv: Sequence[str] | None = None) -> int:
    """Run `agones-allocate`; returns the exit code."""
    args = _parser().parse_args(argv)
    with _quiet_grpc_core():
        return _run(args)


def _run(args: argparse.Namespace) -> int:
    try:
        allocation = asyncio.run(_allocate(args))
    except NoGameServerAvailableError as error:
        print(f"{PROG}: {error}", file=sys.stderr)
        return EXIT_NONE_AVAILABLE
    except (InvalidArgumentError, TypeError) as error:
        print(f"{PROG}: error: {error}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except AgonesError as error:
        print(f"{PROG}: {error}", file=sys.stderr)
        return EXIT_FAILED
    except KeyboardInterrupt:
        return 130
    try:
        _print(allocation, args.json)
        sys.stdout.flush()
    except BrokenPipeError:
        # The reader (`| head`) left; say nothing more, and keep Python's exit flush from failing too.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    return EXIT_ALLOCATED


if __name__ == "__main__":
    raise SystemExit(main())
