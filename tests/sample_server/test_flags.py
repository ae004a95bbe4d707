"""Upstream's Go-style flags, the admin token's checks, one-line errors and defaults in `--help`."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import sys
import time
from pathlib import Path

import pytest

from aioagones import SDK
from aioagones.testing import LocalSidecar
from sample_server._cli import build_parser, parse_args

from .._commands import reaped
from .._wait import until

# The GameServer of upstream's examples/simple-game-server/gameserver.yaml (a Dynamic port 7654).
UPSTREAM_GAMESERVER = {
    "apiVersion": "agones.dev/v1",
    "kind": "GameServer",
    "metadata": {"name": "simple-game-server"},
    "spec": {
        "ports": [{"name": "default", "portPolicy": "Dynamic", "containerPort": 7654}],
        "template": {"spec": {"containers": [{"name": "simple-game-server", "image": "x"}]}},
    },
}


def test_every_upstream_flag_in_go_syntax() -> None:
    args = parse_args(
        [
            "-port=7000",
            "-passthrough",
            "-ready=false",
            "-udp=0",
            "--tcp",
            "-automaticShutdownDelaySec",
            "60",
            "-readyDelaySec=5",
            "-readyIterations",
            "2",
            "--gracefulTerminationDelaySec=3",
        ],
        {},
    )
    assert (args.port, args.passthrough, args.ready, args.udp, args.tcp) == (7000, True, False, False, True)
    assert (args.automatic_shutdown_delay_sec, args.ready_delay_sec, args.ready_iterations) == (60, 5, 2)
    assert args.graceful_termination_delay_sec == 3


@pytest.mark.parametrize(
    ("flag", "value"),
    [
        ("-ready", True),
        ("--ready", True),
        *((f"-ready={v}", True) for v in ("1", "t", "T", "TRUE", "true", "True")),
        *((f"-ready={v}", False) for v in ("0", "f", "F", "FALSE", "false", "False")),
    ],
)
def test_go_boolean_forms(flag: str, value: bool) -> None:
    assert parse_args([flag], {}).ready is value


def test_a_go_boolean_takes_no_separate_value(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        parse_args(["-ready", "false"], {})  # Go: -ready is true, "false" is a stray argument
    assert exc.value.code == 2
    assert "unrecognized arguments: false" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        parse_args(["-tcp=yes"], {})  # not a Go boolean
    assert "invalid boolean value 'yes' for flag -tcp" in capsys.readouterr().err


def test_automatic_shutdown_delay_in_minutes(capsys: pytest.CaptureFixture[str]) -> None:
    assert parse_args(["-automaticShutdownDelayMin=2"], {}).automatic_shutdown_delay_sec == 120
    with pytest.raises(SystemExit):
        parse_args(["-automaticShutdownDelayMin=1", "-automaticShutdownDelaySec=5"], {})
    assert "not both" in capsys.readouterr().err


def test_help_shows_our_names_and_each_default() -> None:
    text = " ".join(build_parser().format_help().split())
    assert "--readyDelaySec" not in text  # upstream's spellings are aliases, not listed
    for line in ("--idle-timeout-sec", "--tcp-idle-timeout-sec", "--ready-delay-sec", "--log-level"):
        assert line in text
    assert "(default: 10.0) [env IDLE_TIMEOUT_SEC]" in text
    assert "(default: 30.0) [env TCP_IDLE_TIMEOUT_SEC]" in text
    assert "(default: true) [env READY]" in text
    assert "(default: INFO) [env LOG_LEVEL]" in text
    for action in build_parser()._actions:
        if action.dest not in ("help", "version"):
            assert action.help is not None
            assert "(default: " in action.help, action.dest


@pytest.mark.parametrize(
    ("env", "message"),
    [({"READY": "perhaps"}, "environment READY: not a boolean"), ({"PLAYER_TRACKING": "x"}, "is not one of")],
)
def test_environment_errors_are_one_line(env: dict[str, str], message: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        parse_args([], env)
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert message in err
    assert err.count("\n") == 1
    assert "usage:" not in err


@pytest.mark.parametrize(
    ("argv", "env"),
    [(["--admin-token", "a b"], {}), ([], {"ADMIN_TOKEN": "tok en\n"}), ([], {"ADMIN_TOKEN": "a\tb"})],
)
def test_a_token_with_inner_white_space_is_refused_at_start(
    argv: list[str], env: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exc:
        parse_args(argv, env)
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert "white space" in err
    assert err.count("\n") == 1


def test_surrounding_white_space_of_a_token_is_stripped(tmp_path: Path) -> None:
    assert parse_args([], {"ADMIN_TOKEN": " s3cret-of-22-characters\n"}).admin_token == "s3cret-of-22-characters"
    secret = tmp_path / "token"
    secret.write_text("s3cret-of-22-characters\n")
    assert parse_args(["--admin-token-file", str(secret)], {}).admin_token == "s3cret-of-22-characters"
    assert parse_args([], {"ADMIN_TOKEN_FILE": str(secret)}).admin_token == "s3cret-of-22-characters"
    assert parse_args([], {"ADMIN_TOKEN": "\n"}).admin_token is None


def test_the_join_secret_comes_from_a_file_or_its_environment_variable(tmp_path: Path) -> None:
    secret = tmp_path / "join-secret"
    secret.write_bytes(b"j" * 40 + b"\n")
    assert parse_args(["--join-secret-file", str(secret)], {}).join_secret == b"j" * 40
    assert parse_args([], {"JOIN_SECRET_FILE": str(secret)}).join_secret == b"j" * 40
    assert parse_args([], {}).join_secret is None
    args = parse_args(["--max-players-per-ip", "1"], {"MAX_PLAYERS_PER_64": "0"})
    assert (args.max_players_per_ip, args.max_players_per_64) == (1, 0)


@pytest.mark.parametrize(("content", "says"), [(b"too short\n", "at least 32 bytes"), (None, "cannot read")])
def test_a_bad_join_secret_file_stops_the_start_in_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], content: bytes | None, says: str
) -> None:
    secret = tmp_path / "join-secret"
    if content is not None:
        secret.write_bytes(content)
    with pytest.raises(SystemExit) as exc:
        parse_args(["--join-secret-file", str(secret)], {})
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith("sample-game-server: error: --join-secret-file: ") and says in err
    assert err.count("\n") == 1


async def test_run_local_sidecar_with_a_bad_manifest_exits_2_in_one_line(tmp_path: Path) -> None:
    bad = tmp_path / "gs.yaml"
    bad.write_text("apiVersion: agones.dev/v1\nkind: Fleet\n")
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "sample_server",
        "--run-local-sidecar",
        "-f",
        str(bad),
        stderr=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.DEVNULL,
    )
    async with asyncio.timeout(20):
        _, err = await proc.communicate()
    assert proc.returncode == 2
    lines = err.decode().splitlines()
    assert len(lines) == 1, lines
    assert lines[0].startswith("sample-game-server: error: ")
    assert "Traceback" not in err.decode()


async def test_the_args_of_an_agones_simple_game_server_manifest_take_effect() -> None:
    """Single-dash upstream args, as an Agones manifest passes them, each checked in effect."""
    args = [
        "-port=0",
        "-ready=false",
        "-udp",
        "-tcp",
        "-readyDelaySec=0",
        "-automaticShutdownDelaySec=1",
        "-readyIterations",
        "2",
        "-gracefulTerminationDelaySec=1",
    ]
    async with LocalSidecar(UPSTREAM_GAMESERVER) as sidecar:
        env = {**os.environ, "AGONES_SDK_GRPC_HOST": sidecar.host, "AGONES_SDK_GRPC_PORT": str(sidecar.port)}
        env.pop("PORT", None)
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "sample_server", "--loop", "asyncio", *args, env=env, stderr=asyncio.subprocess.PIPE
        )
        assert proc.stderr is not None
        seen: list[str] = []
        async with reaped(proc):
            async with asyncio.timeout(20):
                while not any("listening on TCP" in line for line in seen):
                    line = (await proc.stderr.readline()).decode()
                    assert line, "the server exited: " + "".join(seen)
                    seen.append(line)
            udp = [m for line in seen if (m := re.search(r"listening on UDP \[::\]:(\d+)", line))]
            tcp = [m for line in seen if (m := re.search(r"listening on TCP \[::\]:(\d+)", line))]
            assert udp and tcp  # -udp and -tcp
            assert udp[0].group(1) == tcp[0].group(1) not in ("7654", "0")  # -port=0: any free port
            async with SDK(sidecar.host, sidecar.port) as sdk:
                # -readyIterations 2 with -automaticShutdownDelaySec=1: first back to Ready, then Shutdown
                await sdk.allocate()
                await until(lambda: sidecar.game_server.status.state == "Ready", timeout=10)
                await sdk.allocate()
                await until(lambda: sidecar.game_server.status.state == "Shutdown", timeout=10)
            # -ready=false: the one Ready is the one after the first allocation, none at start
            assert sidecar.calls.count("ready") == 1
            started = time.monotonic()
            proc.send_signal(signal.SIGTERM)
            async with asyncio.timeout(10):
                rest = (await proc.stderr.read()).decode()
                assert await proc.wait() == 0
            assert time.monotonic() - started >= 1.0  # -gracefulTerminationDelaySec=1
            assert "Traceback" not in rest


def test_tcp_idle_timeout_flag_and_environment() -> None:
    assert parse_args([], {}).tcp_idle_timeout_sec == 30
    assert parse_args([], {"TCP_IDLE_TIMEOUT_SEC": "5"}).tcp_idle_timeout_sec == 5
    assert parse_args(["--tcp-idle-timeout-sec", "0"], {"TCP_IDLE_TIMEOUT_SEC": "5"}).tcp_idle_timeout_sec == 0
