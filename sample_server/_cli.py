"""`sample-game-server` (also `python -m sample_server`): logging, signals, the run (flags: `_options`)."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import ipaddress
import json
import logging
import signal
import sys
import time
from collections.abc import AsyncIterator, Callable, Sequence
from typing import TYPE_CHECKING

from aioagones import SDK, AgonesError, GameServer
from aioagones._constants import format_host_port

from ._bind import stack_note
from ._dispatch import show_address
from ._flagtypes import fail
from ._metrics import serve_metrics
from ._options import DEFAULT_PORT, build_parser, parse_args
from ._server import SampleServer, ServerConfig

if TYPE_CHECKING:
    from aioagones.testing import LocalSidecar

__all__ = [
    "JsonFormatter",
    "announce_admin",
    "build_parser",
    "choose_port",
    "configure_logging",
    "main",
    "parse_args",
    "serve",
    "start_metrics",
]

log = logging.getLogger(__name__)


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
    names = ", ".join(repr(p.name) for p in gs.status.ports) or "none"
    log.warning(
        "the GameServer has no port named %r (its ports: %s) and no --port was given: using %d",
        args.port_name,
        names,
        DEFAULT_PORT,
    )
    return DEFAULT_PORT


@contextlib.asynccontextmanager
async def _sidecar(sidecar: LocalSidecar | None) -> AsyncIterator[tuple[str | None, int | None]]:
    if sidecar is None:
        yield None, None
        return
    await sidecar.start()
    try:
        log.info("local Agones sidecar running in-process on %s", format_host_port(sidecar.host, sidecar.port))
        yield sidecar.host, sidecar.port
    finally:
        await sidecar.stop()


async def serve(args: argparse.Namespace, local: LocalSidecar | None = None) -> int:
    """Run the server until a signal, EXIT, or (with a local sidecar) Shutdown; the exit code.

    Args:
        args: the parsed flags.
        local: with `--run-local-sidecar`, the in-process sidecar to start (and stop at the end).

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
        return await _serve(args, local, running)
    except asyncio.CancelledError:
        if not early:
            raise
        log.info("%s before the server was up: exiting", early[0])
        return 0
    finally:
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.remove_signal_handler(sig)


async def _serve(args: argparse.Namespace, local: LocalSidecar | None, running: list[SampleServer]) -> int:
    async with _sidecar(local) as (host, port):
        log.info("connecting to the Agones sidecar")
        async with SDK(host, port, connect_timeout=args.sdk_connect_timeout) as sdk:
            gs = await sdk.get_game_server()
            log.info("GameServer %s is %s", gs.object_meta.name, gs.status.state)
            config = ServerConfig(
                port=choose_port(args, gs),
                address=args.address,
                udp=args.udp,
                tcp=args.tcp,
                tcp_idle_timeout=args.tcp_idle_timeout_sec,
                tcp_write_timeout=args.tcp_write_timeout_sec,
                tcp_max_per_ip=args.tcp_max_per_ip,
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
                join_secret=args.join_secret,
                max_players_per_ip=args.max_players_per_ip,
                max_players_per_64=args.max_players_per_64,
                insecure_admin=args.insecure_admin,
                exit_on_shutdown=args.run_local_sidecar,
            )
            announce_admin(config)
            server = SampleServer(sdk, config)
            metrics_server = None
            try:
                await server.start(gs)
                running.append(server)
                metrics_server = await start_metrics(args, server.metrics.render)
                code = await server.run()
            finally:
                await server.close()
                if metrics_server is not None:
                    metrics_server.close()
                    await metrics_server.wait_closed()
            log.info("exiting (%s)", server.exit_reason)
            return code


def announce_admin(config: ServerConfig) -> None:
    """Say at start who may send admin commands: loudly when anyone beyond this host may."""
    if not config.insecure_admin:
        if config.admin_token is None:
            log.info("no --admin-token: admin commands are refused")
        return
    if config.address is not None and ipaddress.ip_address(config.address).is_loopback:
        log.warning("--insecure-admin: anyone on this host can send EXIT, CRASH and every other admin command")
        return
    where = config.address or "[::] (every interface)"
    log.warning(
        "--insecure-admin on %s: ANYONE WHO CAN SEND A DATAGRAM HERE CAN EXIT, CRASH OR ALLOCATE THIS SERVER "
        "and read its players; for tests and demos only: bind --address 127.0.0.1 or ::1, or use --admin-token",
        where,
    )


async def start_metrics(args: argparse.Namespace, render: Callable[[], str]) -> asyncio.Server | None:
    """Serve metrics when `--metrics-port` is set (on `--metrics-address`, else every interface)."""
    if args.metrics_port is None:
        return None
    server = await serve_metrics(render, args.metrics_address, args.metrics_port)
    sock = server.sockets[0]
    log.info("metrics on http://%s/metrics%s", show_address(sock.getsockname()), stack_note(sock))
    return server


def _run(args: argparse.Namespace, local: LocalSidecar | None) -> int:
    if args.loop in ("auto", "uvloop"):
        try:
            import uvloop
        except ImportError:
            if args.loop == "uvloop":
                print("sample-game-server: error: --loop uvloop: uvloop is not installed", file=sys.stderr)
                return 2
        else:
            log.info("event loop: uvloop")
            return uvloop.run(serve(args, local))
    log.info("event loop: asyncio")
    return asyncio.run(serve(args, local))


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of `sample-game-server`."""
    args = parse_args(argv)
    local = None
    if args.run_local_sidecar:
        # Imported here: a cluster needs none of the local sidecar.
        from aioagones.local import ManifestError
        from aioagones.testing import LocalSidecar

        try:
            # Like agones-local-sidecar -f: each write to the manifest is applied to the GameServer.
            local = LocalSidecar(args.file, host="127.0.0.1", port=0, http_port=None)
        except ManifestError as exc:
            fail(str(exc))
    configure_logging(args.log_format, args.log_level)
    try:
        return _run(args, local)
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
