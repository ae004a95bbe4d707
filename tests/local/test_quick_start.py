"""The README's Quick start, as written: a real `agones-local-sidecar`, the code, and the allocate command.

Ports come from `AGONES_SDK_GRPC_PORT` / `AGONES_SDK_HTTP_PORT` (free ones), which all three
programs read, so the commands run exactly as the README shows them.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
import shlex
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from ._support import CLEAN_ENV, free_port

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


def _quick_start() -> tuple[str, list[list[str]]]:
    """The Quick start's Python code and its shell commands."""
    section = (ROOT / "README.md").read_text(encoding="utf-8").split("## Quick start", 1)[1].split("\n## ", 1)[0]
    code = section.split("```python\n", 1)[1].split("```", 1)[0]
    commands = [
        shlex.split(line.split("#", 1)[0])
        for line in section.splitlines()
        if line.startswith("    ") and line.split()[0] in ("agones-local-sidecar", "python")
    ]
    return code, commands


class _Log:
    """A process's stderr lines, read as they come."""

    def __init__(self, stream: asyncio.StreamReader) -> None:
        self.lines: list[str] = []
        self._new = asyncio.Event()
        self._task = asyncio.create_task(self._read(stream))

    async def _read(self, stream: asyncio.StreamReader) -> None:
        while line := await stream.readline():
            self.lines.append(line.decode())
            self._new.set()
        self._new.set()

    async def wait_for(self, pattern: str, count: int = 1) -> None:
        while sum(1 for line in self.lines if re.search(pattern, line)) < count:
            assert not self._task.done(), "".join(self.lines)
            self._new.clear()
            await self._new.wait()


@contextlib.asynccontextmanager
async def _sidecar(args: list[str], env: dict[str, str]) -> AsyncIterator[_Log]:
    process = await asyncio.create_subprocess_exec(
        str(BIN / args[0]), *args[1:], stderr=asyncio.subprocess.PIPE, env=env
    )
    assert process.stderr is not None
    log = _Log(process.stderr)
    try:
        yield log
    finally:
        if process.returncode is None:
            process.terminate()
        async with asyncio.timeout(10):
            await process.wait()
        await log._task


async def _run(args: list[str], env: dict[str, str]) -> tuple[int, str]:
    process = await asyncio.create_subprocess_exec(
        str(BIN / args[0]), *args[1:], stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT, env=env
    )
    out, _ = await process.communicate()
    assert process.returncode is not None
    return process.returncode, out.decode()


def test_the_readme_shows_the_three_commands() -> None:
    _, commands = _quick_start()
    assert commands[0] == ["agones-local-sidecar"]
    assert commands[1][0] == "python"
    assert ["agones-local-sidecar", "allocate"] in commands


@pytest.mark.parametrize("manifest", [None, "deploy/gameserver.yaml"])
async def test_the_quick_start_runs_to_completion(manifest: str | None, tmp_path: Path) -> None:
    code, commands = _quick_start()
    script = tmp_path / "quick_start.py"
    script.write_text(code)
    env = {**CLEAN_ENV, "AGONES_SDK_GRPC_PORT": str(free_port()), "AGONES_SDK_HTTP_PORT": str(free_port())}
    sidecar_args = commands[0]
    if manifest is not None:
        sidecar_args = [*sidecar_args, "-f", str(ROOT / manifest)]
    async with asyncio.timeout(60), _sidecar(sidecar_args, env) as sidecar_log:
        await sidecar_log.wait_for("serving the REST API")
        game = await asyncio.create_subprocess_exec(
            sys.executable, str(script), stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT, env=env
        )
        await sidecar_log.wait_for(r"WatchGameServer\(\) opened")  # it is Ready and waits to be allocated
        allocated, said = await _run(["agones-local-sidecar", "allocate"], env)
        assert (allocated, said.split(":")[0]) == (
            0,
            "allocated GameServer " + ("local" if manifest is None else "sample-game-server"),
        ), said
        output, _ = await game.communicate()
        assert game.returncode == 0, output.decode()
        assert "listen on 7777" in output.decode()
        assert "reach me at ('" in output.decode()  # issue 15 (8): the default GameServer had no Pod IPs, `()`
        code_, shown = await _run(["agones-local-sidecar", "gameserver"], env)
        assert code_ == 0, shown
    gs = json.loads(shown)
    assert gs["status"]["state"] == "Shutdown"
    assert gs["object_meta"]["labels"]["agones.dev/sdk-map"] == "harbor"
    assert gs["status"]["counters"]["rooms"]["count"] == ("2" if manifest is None else "1")
    assert gs["status"]["players"]["ids"] == ["player-1"]


async def test_the_quick_start_after_a_long_pause_and_with_a_restarted_game(tmp_path: Path) -> None:
    """Shell 2 long after shell 1, then the game killed and started again: it goes Ready each time.

    The clock is shortened by the manifest's own health settings (1 s initial delay, one 3 s period,
    so the old clock, started with the sidecar, turned the GameServer Unhealthy after 4 s).
    """
    code, commands = _quick_start()
    script = tmp_path / "quick_start.py"
    script.write_text(code)
    manifest = (ROOT / "deploy/gameserver.yaml").read_text(encoding="utf-8")
    health = (
        "  health:\n    disabled: false\n    initialDelaySeconds: 5\n    periodSeconds: 5\n    failureThreshold: 3\n"
    )
    assert health in manifest
    short = "  health:\n    initialDelaySeconds: 1\n    periodSeconds: 3\n    failureThreshold: 1"
    (tmp_path / "gs.yaml").write_text(manifest.replace(health, short))
    env = {**CLEAN_ENV, "AGONES_SDK_GRPC_PORT": str(free_port()), "AGONES_SDK_HTTP_PORT": str(free_port())}
    async with asyncio.timeout(60), _sidecar([*commands[0], "-f", str(tmp_path / "gs.yaml")], env) as sidecar_log:
        await sidecar_log.wait_for("serving the REST API")
        await asyncio.sleep(5)  # the developer's pause between the shells: past the old 4 s window
        first = await asyncio.create_subprocess_exec(
            sys.executable, str(script), stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL, env=env
        )
        await sidecar_log.wait_for(r"WatchGameServer\(\) opened")  # Ready, waiting to be allocated
        assert not any("-> Unhealthy" in line for line in sidecar_log.lines), "".join(sidecar_log.lines)
        first.kill()  # the game dies: its pings stop
        await first.wait()
        await sidecar_log.wait_for(r"-> Unhealthy")
        second = await asyncio.create_subprocess_exec(
            sys.executable, str(script), stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT, env=env
        )
        await sidecar_log.wait_for(r"WatchGameServer\(\) opened", count=2)
        assert any("replaced by a fresh GameServer" in line for line in sidecar_log.lines), "".join(sidecar_log.lines)
        allocated, said = await _run(["agones-local-sidecar", "allocate"], env)
        assert allocated == 0, said
        output, _ = await second.communicate()
        assert second.returncode == 0, output.decode()
