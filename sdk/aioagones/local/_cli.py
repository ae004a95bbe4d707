"""`agones-local-sidecar`: the local Agones sidecar as a command, and the cluster's hand on it.

`agones-local-sidecar [flags]` serves; `agones-local-sidecar allocate | state STATE | health
stop|resume | gameserver | reset` talk HTTP to a sidecar already running (see `_client`).

Exit codes: 0 after SIGTERM or SIGINT, 2 for a bad flag, environment variable or manifest,
1 when the address cannot be bound.
"""

from __future__ import annotations

import argparse
import asyncio
import ipaddress
import logging
import os
import sys
from collections.abc import Sequence

from aioagones._constants import DEFAULT_HTTP_PORT, ENV_GRPC_PORT, ENV_HTTP_PORT
from aioagones._flags import LOG_LEVELS, OneLineParser, log_level
from aioagones._stopping import exit_quietly_on_stop, stop_requested
from aioagones._version import __version__
from aioagones.local import _client
from aioagones.local._host import AddressInUseError
from aioagones.local._manifest import ManifestError, load_game_server
from aioagones.local._server import DEFAULT_PORT, SidecarServer

__all__ = ["ENV_ADDRESS", "ENV_FILE", "ENV_HTTP_PORT", "ENV_LOG_LEVEL", "ENV_POD_IPS", "ENV_PORT", "main"]

ENV_ADDRESS = _client.ENV_ADDRESS
ENV_PORT = ENV_GRPC_PORT
ENV_FILE = "AGONES_LOCAL_FILE"
ENV_LOG_LEVEL = "AGONES_LOCAL_LOG_LEVEL"
ENV_POD_IPS = "AGONES_LOCAL_POD_IPS"
STOP_GRACE_SECONDS = 1.0

logger = logging.getLogger(__name__)


def _port(text: str) -> int:
    try:
        port = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port number (0-65535)") from None
    if not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"{port} is not a port number (0-65535)")
    return port


def _pod_ip(text: str) -> str:
    try:
        return ipaddress.ip_address(text).compressed
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not an IP address (e.g. 127.0.0.1 or ::1)") from None


def _parser() -> OneLineParser:
    parser = OneLineParser(
        prog="agones-local-sidecar",
        description=(
            "A local Agones SDK sidecar for development and tests: serves the agones.dev.sdk, "
            ".alpha and .beta gRPC services for one GameServer, kept in memory. Without a file "
            "it serves the same default GameServer as Agones' `sdk-server --local`."
        ),
        epilog=(
            "Each flag can also be set by the environment variable named in its help; the flag wins. "
            "Exit codes: 0 after SIGTERM/SIGINT, 2 for bad input, 1 if the address cannot be bound. "
            "Acting as the cluster on a running sidecar: agones-local-sidecar allocate | state STATE | "
            "health stop|resume | gameserver | reset (each has --help)."
        ),
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    env = os.environ
    parser.add_argument(
        "--address",
        default=env.get(ENV_ADDRESS, "localhost"),
        help=f"address to listen on; '::' serves every interface, IPv4 and IPv6 (env {ENV_ADDRESS}; default localhost)",
    )
    parser.add_argument(
        "--grpc-port",
        type=_port,
        default=env.get(ENV_PORT, str(DEFAULT_PORT)),
        help=f"gRPC port; 0 picks a free one (env {ENV_PORT}, as Agones sets it for the game; default {DEFAULT_PORT})",
    )
    parser.add_argument(
        "--http-port",
        type=_port,
        default=env.get(ENV_HTTP_PORT, str(DEFAULT_HTTP_PORT)),
        help=f"HTTP/JSON port: Agones' REST API and the /local/... control surface, on the same address; "
        f"0 turns it off (env {ENV_HTTP_PORT}, as Agones sets it for the game; default {DEFAULT_HTTP_PORT})",
    )
    parser.add_argument(
        "-f",
        "--file",
        default=env.get(ENV_FILE) or None,
        help=f"GameServer manifest (or a Fleet: one GameServer of its template), YAML or JSON: the sidecar "
        "then starts Scheduled, with status.ports "
        f"derived from spec.ports and this machine's addresses as Pod IPs; each write to the file is "
        f"applied to the GameServer and sent to every watcher (env {ENV_FILE})",
    )
    parser.add_argument(
        "--pod-ip",
        type=_pod_ip,
        action="append",
        metavar="ADDRESS",
        help="with -f: list this address as a Pod IP instead of this machine's interface addresses; repeatable, "
        "the first is status.address; `--pod-ip ::1 --pod-ip 127.0.0.1` keeps players on loopback "
        f"(env {ENV_POD_IPS}, comma-separated)",
    )
    parser.add_argument(
        "--log-level",
        type=log_level,
        default=env.get(ENV_LOG_LEVEL, "INFO"),
        help=f"one of {', '.join(LOG_LEVELS)}; INFO logs each call, DEBUG also each health ping "
        f"(env {ENV_LOG_LEVEL}; default INFO)",
    )
    return parser


async def _serve(server: SidecarServer) -> int:
    with stop_requested() as stop:
        try:
            await server.start()
        except AddressInUseError as exc:
            flag, env_name, zero = (
                ("--grpc-port", ENV_PORT, "0 picks a free one")
                if exc.front_end == "gRPC"
                else ("--http-port", ENV_HTTP_PORT, "0 turns REST off")
            )
            print(
                f"agones-local-sidecar: error: {exc}; is another agones-local-sidecar running? Stop it, or pick "
                f"another port with {flag} (env {env_name}; {zero})",
                file=sys.stderr,
            )
            return 1
        except OSError as exc:
            print(f"agones-local-sidecar: error: {exc}", file=sys.stderr)
            return 1
        await stop.wait()
        logger.info("stopping")
        await server.stop(STOP_GRACE_SECONDS)
        return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Run the local sidecar until SIGTERM or SIGINT; returns the exit code."""
    with exit_quietly_on_stop():
        return _main(argv)


def _main(argv: Sequence[str] | None) -> int:
    args_list = list(sys.argv[1:] if argv is None else argv)
    if args_list and args_list[0] in _client.COMMANDS:
        return _client.main(args_list)
    parser = _parser()
    args = parser.parse_args(args_list)
    if args.pod_ip is None and os.environ.get(ENV_POD_IPS):
        try:
            args.pod_ip = [_pod_ip(text.strip()) for text in os.environ[ENV_POD_IPS].split(",")]
        except argparse.ArgumentTypeError as exc:
            parser.error(f"environment {ENV_POD_IPS}: {exc}")
    if args.pod_ip is not None and args.file is None:
        parser.error("--pod-ip is for a manifest (-f): the default GameServer lists no Pod IPs")
    # --log-level is about the sidecar's own lines; other libraries (grpc) stay at WARNING.
    logging.basicConfig(
        level=logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    logging.getLogger("aioagones").setLevel(args.log_level)
    try:
        game_server = load_game_server(args.file, pod_ips=args.pod_ip)
    except ManifestError as exc:
        parser.exit(2, f"{parser.prog}: error: {exc}\n")
    server = SidecarServer(
        game_server,
        host=args.address,
        port=args.grpc_port,
        http_port=args.http_port or None,
        watch_file=args.file,
        pod_ips=args.pod_ip,
    )
    return asyncio.run(_serve(server))
