"""The command line of `sample-game-server`: flags, their environment variables, Agones' spellings.

Every flag also reads an environment variable (shown in `--help`); a flag given on the command
line wins over the environment. Upstream `simple-game-server` flags are accepted in Go's syntax
(`-port=7000`, `-ready=false`, `-udp`, `--tcp`, `-readyDelaySec 5`, see `_goflags`), so an
Agones manifest runs unchanged. Bad flags or values: one line, exit 2.
"""

from __future__ import annotations

import argparse
import ipaddress
import os
import re
import sys
from collections.abc import Sequence
from typing import Any

from aioagones._flags import OneLineParser
from aioagones._version import __version__

from ._flagtypes import PROG, count, fail, minutes, port_number, seconds
from ._flagtypes import boolean as flag
from ._goflags import go_flags
from ._secrets import admin_token, join_secret

DEFAULT_PORT = 7654


_QUOTED = re.compile(r"`[^`]*`")


class _HelpFormatter(argparse.HelpFormatter):
    def _split_lines(self, text: str, width: int) -> list[str]:
        # keep "[env NAME]" and a `quoted form` on one line each, so they can be searched for
        text = _QUOTED.sub(lambda m: m[0].replace(" ", "\0"), text.replace("[env ", "[env\0"))
        lines = super()._split_lines(text, width)
        return [line.replace("\0", " ") for line in lines]


# (flags, env var, type, default, help, extra argparse keywords); the first flag names the dest
_OPTIONS: list[tuple[list[str], str, Any, Any, str, dict[str, Any]]] = [
    (
        ["--port"],
        "PORT",
        port_number,
        None,
        "port to listen on",
        {"shown": "the GameServer's port named --port-name, else 7654"},
    ),
    (["--port-name"], "PORT_NAME", str, "default", "name of the GameServer port to listen on", {}),
    (
        ["--passthrough"],
        "PASSTHROUGH",
        flag,
        False,
        "always take the port from the GameServer, even with --port",
        {},
    ),
    (
        ["--address"],
        "ADDRESS",
        str,
        None,
        "bind this one address instead of the dual-stack one (e.g. 127.0.0.1 or ::1)",
        {"shown": "[::] dual-stack"},
    ),
    (["--udp"], "UDP", flag, True, "serve UDP", {}),
    (["--tcp"], "TCP", flag, False, "also serve TCP on the same port (replies `ACK TCP: ...`)", {}),
    (
        ["--tcp-idle-timeout-sec"],
        "TCP_IDLE_TIMEOUT_SEC",
        seconds,
        30.0,
        "close a TCP connection that sends no complete line for this long (0: never)",
        {},
    ),
    (
        ["--tcp-write-timeout-sec"],
        "TCP_WRITE_TIMEOUT_SEC",
        seconds,
        10.0,
        "abort a TCP connection whose reply has not left within this long: it does not read (0: never)",
        {},
    ),
    (
        ["--tcp-max-per-ip"],
        "TCP_MAX_PER_IP",
        count,
        16,
        "most TCP connections at once from one IP address, or one /64 for IPv6 (0: only the limit of 256 in all)",
        {},
    ),
    (["--ready"], "READY", flag, True, "mark the GameServer Ready at start", {}),
    (["--ready-delay-sec"], "READY_DELAY_SEC", seconds, 0.0, "wait this long before Ready", {}),
    (
        ["--automatic-shutdown-delay-sec"],
        "AUTOMATIC_SHUTDOWN_DELAY_SEC",
        seconds,
        0.0,
        "shut down this long after each allocation (0: never)",
        {},
    ),
    (
        ["--automatic-shutdown-delay-min"],
        "AUTOMATIC_SHUTDOWN_DELAY_MIN",
        minutes,
        0.0,
        "the same in minutes (upstream's deprecated flag; not with --automatic-shutdown-delay-sec)",
        {},
    ),
    (
        ["--ready-iterations"],
        "READY_ITERATIONS",
        count,
        0,
        "with an automatic shutdown delay: go back to Ready instead of shutting down until the "
        "Nth allocation (upstream semantics)",
        {},
    ),
    (
        ["--graceful-termination-delay-sec"],
        "GRACEFUL_TERMINATION_DELAY_SEC",
        seconds,
        0.0,
        "after SIGTERM, wait this long before exiting; the whole shutdown is bounded by it",
        {},
    ),
    (
        ["--player-tracking"],
        "PLAYER_TRACKING",
        str,
        "list",
        "how JOIN/LEAVE are told to Agones: the `players` list, alpha player tracking, or not at all",
        {"choices": ["list", "alpha", "off"]},
    ),
    (
        ["--max-players"],
        "MAX_PLAYERS",
        count,
        0,
        "most players at once; 0: the GameServer's capacity (players list or player tracking), else 100",
        {},
    ),
    (["--idle-timeout-sec"], "IDLE_TIMEOUT_SEC", seconds, 10.0, "end a silent player's session (0: never)", {}),
    (
        ["--shutdown-when-empty-sec"],
        "SHUTDOWN_WHEN_EMPTY_SEC",
        seconds,
        0.0,
        "once Allocated and every player has left, shut down after this long (0: never)",
        {},
    ),
    (
        ["--join-secret-file"],
        "JOIN_SECRET_FILE",
        str,
        None,
        "the matchmaker's join-ticket secret (a mounted Secret, 32 bytes or more): JOIN then needs a ticket",
        {"shown": "none: anyone may join"},
    ),
    (["--max-players-per-ip"], "MAX_PLAYERS_PER_IP", count, 4, "most players from one source IP (0: no limit)", {}),
    (["--max-players-per-64"], "MAX_PLAYERS_PER_64", count, 4, "most players from one IPv6 /64 (0: no limit)", {}),
    (
        ["--admin-token"],
        "ADMIN_TOKEN",
        str,
        None,
        "accept admin commands sent as `ADMIN <token> <command>`",
        {"metavar": "<token>"},
    ),
    (["--admin-token-file"], "ADMIN_TOKEN_FILE", str, None, "read the admin token from this file (a Secret)", {}),
    (
        ["--insecure-admin"],
        "INSECURE_ADMIN",
        flag,
        False,
        "accept bare admin commands (EXIT, ALLOCATE ...) from anyone, like upstream: tests and demos only",
        {},
    ),
    (["--metrics-port"], "METRICS_PORT", port_number, None, "serve Prometheus metrics on this TCP port", {}),
    (
        ["--metrics-address"],
        "METRICS_ADDRESS",
        str,
        None,
        "serve metrics on this one address (e.g. 127.0.0.1) instead of every interface; Prometheus "
        "scrapes the Pod IP, so a Pod needs the default",
        {"shown": "[::] dual-stack"},
    ),
    (["--log-format"], "LOG_FORMAT", str, "text", "log format", {"choices": ["text", "json"]}),
    (
        ["--log-level"],
        "LOG_LEVEL",
        str,
        "INFO",
        "log level",
        {"choices": ["DEBUG", "INFO", "WARNING", "ERROR"], "type": str.upper},
    ),
    (
        ["--loop"],
        "LOOP",
        str,
        "auto",
        "event loop: uvloop when installed (auto), or force one",
        {"choices": ["auto", "asyncio", "uvloop"]},
    ),
    (
        ["--run-local-sidecar"],
        "RUN_LOCAL_SIDECAR",
        flag,
        False,
        "run a local Agones sidecar in this process (for a laptop: no cluster needed)",
        {},
    ),
    (
        ["--file", "-f"],
        "GAMESERVER_FILE",
        str,
        None,
        "with --run-local-sidecar: the GameServer manifest it serves (default: the reference one); "
        "each write to the file is applied, as by agones-local-sidecar -f",
        {},
    ),
    (
        ["--sdk-connect-timeout"],
        "SDK_CONNECT_TIMEOUT",
        seconds,
        30.0,
        "how long to wait for the Agones sidecar at start",
        {},
    ),
]


def _dest(flags: list[str]) -> str:
    return flags[0].lstrip("-").replace("-", "_")


def build_parser() -> argparse.ArgumentParser:
    """The argument parser (flags with their environment variables and defaults)."""
    parser = OneLineParser(
        prog=PROG,
        formatter_class=_HelpFormatter,
        description="A dual-stack UDP game server for Agones, wire-compatible with simple-game-server. "
        "Each flag also reads the environment variable shown; a flag wins. Upstream's Go-style flags "
        "(-port=7000, -ready=false, -automaticShutdownDelaySec=60 ...) are accepted as aliases.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    for flags, env, kind, default, help_, options in _OPTIONS:
        extra = dict(options)
        shown = extra.pop(
            "shown", "none" if default is None else str(default).lower() if isinstance(default, bool) else default
        )
        kw: dict[str, Any] = {"type": kind, "default": default, "help": f"{help_} (default: {shown}) [env {env}]"}
        if kind is flag:
            kw.update(nargs="?", const=True, metavar="true|false")
        kw.update(extra)
        parser.add_argument(*flags, dest=_dest(flags), **kw)
    return parser


def parse_args(argv: Sequence[str] | None, environ: dict[str, str] | None = None) -> argparse.Namespace:
    """Parse flags, with environment variables as defaults; exits 2 on a bad one."""
    environ = dict(os.environ if environ is None else environ)
    parser = build_parser()
    for flags, env, kind, _default, _help, extra in _OPTIONS:
        raw = environ.get(env, "")
        if raw == "":
            continue
        convert = extra.get("type", kind)
        try:
            value = convert(raw)
        except (argparse.ArgumentTypeError, ValueError) as exc:
            fail(f"environment {env}: {exc}")
        if "choices" in extra and value not in extra["choices"]:
            fail(f"environment {env}: {raw!r} is not one of {', '.join(extra['choices'])}")
        parser.set_defaults(**{_dest(flags): value})
    try:
        rewritten = go_flags(sys.argv[1:] if argv is None else argv)
    except ValueError as exc:
        fail(str(exc))
    args = parser.parse_args(rewritten)
    if args.automatic_shutdown_delay_min > 0:
        if args.automatic_shutdown_delay_sec > 0:
            parser.error("set --automatic-shutdown-delay-sec or --automatic-shutdown-delay-min, not both")
        args.automatic_shutdown_delay_sec = args.automatic_shutdown_delay_min
    if args.ready_iterations > 0 and args.automatic_shutdown_delay_sec <= 0:
        parser.error("--ready-iterations needs --automatic-shutdown-delay-sec")
    if not args.udp and not args.tcp:
        parser.error("nothing to serve: both --udp and --tcp are false")
    if args.file is not None and not args.run_local_sidecar:
        parser.error("-f/--file is for --run-local-sidecar")
    args.admin_token = admin_token(args.admin_token, args.admin_token_file)
    args.join_secret = join_secret(args.join_secret_file)
    for name in ("address", "metrics_address"):
        value = getattr(args, name)
        if value is not None:
            try:
                ipaddress.ip_address(value)
            except ValueError:
                parser.error(f"--{name.replace('_', '-')}: not an IP address: {value!r}")
    return args
