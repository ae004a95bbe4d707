"""`sample-game-server` (also `python -m sample_server`): flags, environment, logging, signals.

Every flag also reads an environment variable (shown in `--help`); a flag given on the command
line wins over the environment. Bad flags or values: a one-line error and exit status 2.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import ipaddress
import json
import logging
import os
import signal
import sys
import time
from collections.abc import AsyncIterator, Sequence
from typing import Any, NoReturn

from aioagones import SDK, AgonesError, GameServer

from ._metrics import serve_metrics
from ._server import SampleServer, ServerConfig

log = logging.getLogger("sample_server")

DEFAULT_PORT = 7654


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        self.exit(2, f"{self.prog}: error: {message}\n")


def _bool(text: str) -> bool:
    value = text.strip().lower()
    if value in ("true", "1", "yes", "on"):
        return True
    if value in ("false", "0", "no", "off"):
        return False
    raise argparse.ArgumentTypeError(f"not a boolean: {text!r} (use true or false)")


def _port(text: str) -> int:
    value = _int(text)
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"not a port: {text!r}")
    return value


def _int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an integer: {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"must not be negative: {text!r}")
    return value


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of seconds: {text!r}") from None
    if not value >= 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"must be 0 or more seconds: {text!r}")
    return value


# (flags, env var, type, default, help, extra argparse keywords)
_OPTIONS: list[tuple[list[str], str, Any, Any, str, dict[str, Any]]] = [
    (
        ["--port"],
        "PORT",
        _port,
        None,
        "port to listen on; default: the GameServer's port named --port-name, else 7654",
        {},
    ),
    (["--port-name"], "PORT_NAME", str, "default", "name of the GameServer port to listen on", {}),
    (
        ["--passthrough"],
        "PASSTHROUGH",
        _bool,
        False,
        "always take the port from the GameServer, even with --port (upstream compatibility)",
        {},
    ),
    (
        ["--address"],
        "ADDRESS",
        str,
        None,
        "bind this one address instead of [::] dual-stack (e.g. 127.0.0.1 or ::1)",
        {},
    ),
    (["--udp"], "UDP", _bool, True, "serve UDP", {}),
    (["--tcp"], "TCP", _bool, False, "also serve TCP on the same port (replies `ACK TCP: ...`)", {}),
    (["--ready"], "READY", _bool, True, "mark the GameServer Ready at start", {}),
    (
        ["--ready-delay-sec", "--readyDelaySec"],
        "READY_DELAY_SEC",
        _seconds,
        0.0,
        "wait this long before marking Ready",
        {},
    ),
    (
        ["--automatic-shutdown-delay-sec", "--automaticShutdownDelaySec"],
        "AUTOMATIC_SHUTDOWN_DELAY_SEC",
        _seconds,
        0.0,
        "shut down this long after each allocation (0: never)",
        {},
    ),
    (
        ["--ready-iterations", "--readyIterations"],
        "READY_ITERATIONS",
        _int,
        0,
        "with --automatic-shutdown-delay-sec: go back to Ready instead of shutting down until the "
        "Nth allocation (upstream semantics)",
        {},
    ),
    (
        ["--graceful-termination-delay-sec", "--gracefulTerminationDelaySec"],
        "GRACEFUL_TERMINATION_DELAY_SEC",
        _seconds,
        0.0,
        "wait this long after SIGTERM before exiting",
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
        _int,
        0,
        "most players at once; 0: the GameServer's capacity (players list or player tracking), else 100",
        {},
    ),
    (
        ["--idle-timeout-sec"],
        "IDLE_TIMEOUT_SEC",
        _seconds,
        10.0,
        "end a player's session after this much silence (0: never)",
        {},
    ),
    (
        ["--shutdown-when-empty-sec"],
        "SHUTDOWN_WHEN_EMPTY_SEC",
        _seconds,
        0.0,
        "once Allocated and every player has left, shut down after this long (0: never)",
        {},
    ),
    (["--admin-token"], "ADMIN_TOKEN", str, None, "accept admin commands sent as `ADMIN <token> <command ...>`", {}),
    (
        ["--insecure-admin"],
        "INSECURE_ADMIN",
        _bool,
        False,
        "accept bare admin commands (EXIT, ALLOCATE ...) from anyone, like upstream: tests and demos only",
        {},
    ),
    (["--metrics-port"], "METRICS_PORT", _port, None, "serve Prometheus metrics on this TCP port", {}),
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
        _bool,
        False,
        "run a local Agones sidecar in this process (for a laptop: no cluster needed)",
        {},
    ),
    (
        ["-f", "--file"],
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
        _seconds,
        30.0,
        "how long to wait for the Agones sidecar at start",
        {},
    ),
]


def build_parser() -> argparse.ArgumentParser:
    """The argument parser (flags with their environment variables)."""
    parser = _Parser(
        prog="sample-game-server",
        description="A dual-stack UDP game server for Agones, wire-compatible with simple-game-server. "
        "Each flag also reads the environment variable shown; a flag wins.",
    )
    for flags, env, kind, default, help_, extra in _OPTIONS:
        kw: dict[str, Any] = {"type": kind, "default": default, "help": f"{help_} [env {env}]"}
        if kind is _bool:
            kw.update(nargs="?", const=True, metavar="true|false")
        kw.update(extra)
        parser.add_argument(*flags, dest=flags[-1 if flags[0] == "-f" else 0].lstrip("-").replace("-", "_"), **kw)
    return parser


def parse_args(argv: Sequence[str] | None, environ: dict[str, str] | None = None) -> argparse.Namespace:
    """Parse flags, with environment variables as defaults; exits 2 on a bad one."""
    environ = dict(os.environ if environ is None else environ)
    parser = build_parser()
    for flags, env, kind, _default, _help, extra in _OPTIONS:
        raw = environ.get(env, "")
        if raw == "":
            continue
        dest = flags[-1 if flags[0] == "-f" else 0].lstrip("-").replace("-", "_")
        convert = extra.get("type", kind)
        try:
            value = convert(raw)
        except (argparse.ArgumentTypeError, ValueError) as exc:
            parser.error(f"environment {env}: {exc}")
        if "choices" in extra and value not in extra["choices"]:
            parser.error(f"environment {env}: {raw!r} is not one of {', '.join(extra['choices'])}")
        parser.set_defaults(**{dest: value})
    args = parser.parse_args(argv)
    if args.ready_iterations > 0 and args.automatic_shutdown_delay_sec <= 0:
        parser.error("--ready-iterations needs --automatic-shutdown-delay-sec")
    if not args.udp and not args.tcp:
        parser.error("nothing to serve: both --udp and --tcp are false")
    if args.file is not None and not args.run_local_sidecar:
        parser.error("-f/--file is for --run-local-sidecar")
    if args.admin_token == "":
        args.admin_token = None
    if args.address is not None:
        try:
            ipaddress.ip_address(args.address)
        except ValueError:
            parser.error(f"--address: not an IP address: {args.address!r}")
    return args


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message (and the exception, if any)."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S") + f".{int(record.msecs):03d}Z",
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


def configure_logging(fmt: str, level: str) -> None:
    """Log to stderr as text or JSON."""
    handler = logging.StreamHandler(sys.stderr)
    if fmt == "json":
        formatter: logging.Formatter = JsonFormatter()
        formatter.converter = time.gmtime
    else:
        formatter = logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s")
    handler.setFormatter(formatter)
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    logging.getLogger("grpc").setLevel(max(logging.WARNING, logging.getLevelName(level)))


def choose_port(args: argparse.Namespace, gs: GameServer) -> int:
    """The port: --passthrough, else --port/PORT, else the GameServer's, else 7654."""
    from_gs = gs.status.port(args.port_name)
    if args.passthrough:
        if from_gs is None:
            raise SystemExit(f"--passthrough: the GameServer has no port named {args.port_name!r}")
        return from_gs
    if args.port is not None:
        if from_gs is not None and from_gs != args.port:
            log.warning(
                "--port %d differs from the GameServer's port %r (%d): listening on %d",
                args.port,
                args.port_name,
                from_gs,
                args.port,
            )
        return int(args.port)
    if from_gs is not None:
        log.info("port %d from the GameServer's port %r", from_gs, args.port_name)
        return from_gs
    log.info("no port %r in the GameServer and no --port: using %d", args.port_name, DEFAULT_PORT)
    return DEFAULT_PORT


@contextlib.asynccontextmanager
async def _sidecar(args: argparse.Namespace) -> AsyncIterator[tuple[str | None, int | None]]:
    if not args.run_local_sidecar:
        yield None, None
        return
    from aioagones.testing import LocalSidecar

    async with LocalSidecar(manifest=args.file, host="127.0.0.1", port=0) as sidecar:
        log.info("local Agones sidecar running in-process on %s:%d", sidecar.host, sidecar.port)
        yield sidecar.host, sidecar.port


async def serve(args: argparse.Namespace) -> int:
    """Run the server until a signal, EXIT, or (with a local sidecar) Shutdown; the exit code.

    A signal that arrives before the server is up (waiting for the sidecar, say) ends the
    start-up at once, with exit status 0.
    """
    loop = asyncio.get_running_loop()
    main_task = asyncio.current_task()
    running: list[SampleServer] = []
    early: list[str] = []

    def on_signal(name: str) -> None:
        if running:
            running[0].request_stop(name)
        elif not early and main_task is not None:
            early.append(name)
            main_task.cancel()

    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, on_signal, signal.Signals(sig).name)
    try:
        return await _serve(args, running)
    except asyncio.CancelledError:
        if not early:
            raise
        log.info("%s before the server was up: exiting", early[0])
        return 0
    finally:
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.remove_signal_handler(sig)


async def _serve(args: argparse.Namespace, running: list[SampleServer]) -> int:
    async with _sidecar(args) as (host, port):
        log.info("connecting to the Agones sidecar")
        async with SDK(host, port, connect_timeout=args.sdk_connect_timeout) as sdk:
            gs = await sdk.get_game_server()
            log.info("GameServer %s is %s", gs.object_meta.name, gs.status.state)
            config = ServerConfig(
                port=choose_port(args, gs),
                address=args.address,
                udp=args.udp,
                tcp=args.tcp,
                ready=args.ready,
                ready_delay=args.ready_delay_sec,
                automatic_shutdown_delay=args.automatic_shutdown_delay_sec,
                ready_iterations=args.ready_iterations,
                graceful_termination_delay=args.graceful_termination_delay_sec,
                player_tracking=args.player_tracking,
                max_players=args.max_players,
                idle_timeout=args.idle_timeout_sec,
                shutdown_when_empty=args.shutdown_when_empty_sec,
                admin_token=args.admin_token,
                insecure_admin=args.insecure_admin,
                exit_on_shutdown=args.run_local_sidecar,
            )
            if config.insecure_admin:
                log.warning("--insecure-admin: anyone who can send a datagram can shut this server down")
            elif config.admin_token is None:
                log.info("no --admin-token: admin commands are refused")
            server = SampleServer(sdk, config)
            metrics_server = None
            try:
                await server.start(gs)
                running.append(server)
                if args.metrics_port is not None:
                    metrics_server = await serve_metrics(server.metrics.render, None, args.metrics_port)
                    log.info("metrics on http://[::]:%d/metrics", args.metrics_port)
                code = await server.run()
            finally:
                await server.close()
                if metrics_server is not None:
                    metrics_server.close()
                    await metrics_server.wait_closed()
            log.info("exiting (%s)", server.exit_reason)
            return code


def _run(args: argparse.Namespace) -> int:
    if args.loop in ("auto", "uvloop"):
        try:
            import uvloop
        except ImportError:
            if args.loop == "uvloop":
                print("sample-game-server: error: --loop uvloop: uvloop is not installed", file=sys.stderr)
                return 2
        else:
            log.info("event loop: uvloop")
            return uvloop.run(serve(args))
    log.info("event loop: asyncio")
    return asyncio.run(serve(args))


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of `sample-game-server`."""
    args = parse_args(argv)
    configure_logging(args.log_format, args.log_level)
    try:
        return _run(args)
    except AgonesError as exc:
        log.error("Agones sidecar: %s", exc)
        return 1
    except OSError as exc:
        log.error("cannot serve: %s", exc)
        return 1
    except KeyboardInterrupt:
        return 0


if __name__ == "__main__":
    sys.exit(main())
