"""The `sample-game-server` command: flags and environment, signals, exit codes."""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import sys

import pytest

from aioagones.testing import LocalSidecar
from sample_server import protocol as p
from sample_server._cli import build_parser, choose_port, parse_args

from .._commands import free_port, reaped
from .._wait import line_matching
from ._harness import Client


@pytest.mark.parametrize(
    ("argv", "env", "message"),
    [
        (["--port", "x"], {}, "not an integer"),
        (["--port", "70000"], {}, "not a port"),
        (["--ready", "maybe"], {}, "not a boolean"),
        (["--player-tracking", "sometimes"], {}, "invalid choice"),
        (["--loop", "trio"], {}, "invalid choice"),
        (["--idle-timeout-sec", "-1"], {}, "must be 0 or more"),
        (["--ready-iterations", "2"], {}, "needs --automatic-shutdown-delay-sec"),
        (["--udp=false"], {}, "nothing to serve"),
        (["--address", "localhost"], {}, "not an IP address"),
        (["-f", "gs.yaml"], {}, "for --run-local-sidecar"),
        (["--no-such-flag"], {}, "unrecognized arguments"),
        ([], {"READY": "perhaps"}, "environment READY: not a boolean"),
        ([], {"PORT": "http"}, "environment PORT"),
        ([], {"PLAYER_TRACKING": "x"}, "environment PLAYER_TRACKING"),
    ],
)
def test_bad_flags_exit_2_without_traceback(
    argv: list[str], env: dict[str, str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exc:
        parse_args(argv, env)
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert message in err
    assert "Traceback" not in err
    assert err.count("\n") == 1, err  # one line: the usage block only with --help


def test_environment_supplies_defaults_and_flags_win() -> None:
    env = {
        "PORT": "7777",
        "READY": "false",
        "UDP": "true",
        "TCP": "TRUE",
        "ADMIN_TOKEN": "0123456789abcdef0123456789abcdef",
        "IDLE_TIMEOUT_SEC": "3.5",
        "AUTOMATIC_SHUTDOWN_DELAY_SEC": "10",
        "READY_ITERATIONS": "2",
        "GRACEFUL_TERMINATION_DELAY_SEC": "1",
        "READY_DELAY_SEC": "2",
        "SHUTDOWN_WHEN_EMPTY_SEC": "5",
        "PLAYER_TRACKING": "alpha",
    }
    args = parse_args([], env)
    assert (args.port, args.ready, args.udp, args.tcp, args.admin_token) == (
        7777,
        False,
        True,
        True,
        "0123456789abcdef0123456789abcdef",
    )
    assert (args.idle_timeout_sec, args.automatic_shutdown_delay_sec, args.ready_iterations) == (3.5, 10, 2)
    assert (args.graceful_termination_delay_sec, args.ready_delay_sec, args.shutdown_when_empty_sec) == (1, 2, 5)
    assert args.player_tracking == "alpha"
    args = parse_args(["--port", "9000", "--ready", "--tcp=false"], env)
    assert (args.port, args.ready, args.tcp) == (9000, True, False)


def test_upstream_camel_case_flags_are_accepted() -> None:
    args = parse_args(
        [
            "--automaticShutdownDelaySec",
            "5",
            "--readyIterations",
            "2",
            "--readyDelaySec",
            "1",
            "--gracefulTerminationDelaySec",
            "3",
        ],
        {},
    )
    assert (args.automatic_shutdown_delay_sec, args.ready_iterations) == (5, 2)
    assert (args.ready_delay_sec, args.graceful_termination_delay_sec) == (1, 3)


def test_help_names_every_flag_of_the_issue(capsys: pytest.CaptureFixture[str]) -> None:
    text = build_parser().format_help()
    for flag in [
        "--port",
        "--port-name",
        "--ready",
        "--udp",
        "--tcp",
        "--ready-delay-sec",
        "--automatic-shutdown-delay-sec",
        "--ready-iterations",
        "--graceful-termination-delay-sec",
        "--player-tracking",
        "--idle-timeout-sec",
        "--shutdown-when-empty-sec",
        "--admin-token",
        "--insecure-admin",
        "--metrics-port",
        "--log-format",
        "--loop",
        "--address",
        "--run-local-sidecar",
    ]:
        assert flag in text
    for env in ["PORT", "READY", "UDP", "TCP", "ADMIN_TOKEN"]:
        assert f"env {env}]" in text


async def test_unreachable_sidecar_exits_1_without_traceback() -> None:
    env = {**os.environ, "AGONES_SDK_GRPC_HOST": "127.0.0.1", "AGONES_SDK_GRPC_PORT": str(free_port())}
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "sample_server",
        "--sdk-connect-timeout",
        "0.5",
        "--loop",
        "asyncio",
        env=env,
        stderr=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.DEVNULL,
    )
    async with asyncio.timeout(20):
        _, err = await proc.communicate()
    assert proc.returncode == 1
    assert b"Agones sidecar" in err
    assert b"Traceback" not in err


async def _start(sidecar: LocalSidecar, *args: str) -> tuple[asyncio.subprocess.Process, int]:
    env = {**os.environ, "AGONES_SDK_GRPC_HOST": sidecar.host, "AGONES_SDK_GRPC_PORT": str(sidecar.port)}
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "sample_server",
        "--port",
        "0",
        *args,
        env=env,
        stderr=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.DEVNULL,
    )
    assert proc.stderr is not None
    m = await line_matching(proc.stderr, r"listening on UDP \[::\]:(\d+)")
    return proc, int(m.group(1))


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
async def test_signal_tells_players_shuts_down_and_exits_0(sig: signal.Signals) -> None:
    async with LocalSidecar() as sidecar:
        proc, port = await _start(sidecar, "--graceful-termination-delay-sec", "0.2")
        async with reaped(proc):
            with Client("127.0.0.1", port) as player:
                assert await player.join(b"p1") == b"ACK: JOIN p1\n"
                proc.send_signal(sig)
                assert await player.recv() == p.SHUTDOWN_NOTICE
            async with asyncio.timeout(10):
                assert proc.stderr is not None
                rest = (await proc.stderr.read()).decode()
                assert await proc.wait() == 0
        assert sidecar.game_server.status.state == "Shutdown"
        assert "shutdown" in sidecar.calls
        assert "Traceback" not in rest


async def test_crash_exits_with_the_code_and_no_reply() -> None:
    async with LocalSidecar() as sidecar:
        proc, port = await _start(sidecar, "--insecure-admin")
        async with reaped(proc):
            with Client("::1", port) as c:
                await c.send(b"CRASH 7")
                async with asyncio.timeout(10):
                    assert await proc.wait() == 7


async def test_signal_while_waiting_for_the_sidecar_exits_0() -> None:
    env = {**os.environ, "AGONES_SDK_GRPC_HOST": "127.0.0.1", "AGONES_SDK_GRPC_PORT": str(free_port())}
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "sample_server",
        "--sdk-connect-timeout",
        "60",
        env=env,
        stderr=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.DEVNULL,
    )
    assert proc.stderr is not None
    async with reaped(proc):
        async with asyncio.timeout(20):
            await line_matching(proc.stderr, "connecting to the Agones sidecar")
            proc.send_signal(signal.SIGTERM)
            err = await proc.stderr.read()
            assert await proc.wait() == 0
    assert b"before the server was up" in err
    assert b"Traceback" not in err


def test_a_missing_port_name_is_a_warning_naming_the_ports(caplog: pytest.LogCaptureFixture) -> None:
    args = parse_args(["--port-name", "game"], {})
    gs = LocalSidecar().game_server  # the reference default: one port, `default`
    with caplog.at_level(logging.INFO, logger="sample_server"):
        assert choose_port(args, gs) == 7654
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1
    assert "'game'" in warnings[0].getMessage()
    assert "'default'" in warnings[0].getMessage()
