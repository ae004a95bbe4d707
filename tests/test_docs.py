"""Every Python block of README.md and docs/*.md that is meant to run, runs, so the docs cannot drift.

- A block with `def test_` is a user's test module: it runs with pytest in a new project directory
  outside this repository, set up only as docs/testing.md says (pytest, pytest-asyncio and its
  `[tool.pytest.ini_options]` lines), and passes without a warning.
- A block with `asyncio.run(` is a program: it runs against a local sidecar serving a GameServer as a
  cluster would start it (`Scheduled`), and the test plays the cluster's part: once the program has
  made it Ready, it allocates it, as a GameServerAllocation would.
- Any other block must say why it does not run, in an HTML comment on the line before its fence:
  `<!-- not run: a listing of signatures -->`.
"""

from __future__ import annotations

import asyncio
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from aioagones import SDK, State
from aioagones.testing import LocalSidecar

REPO = Path(__file__).resolve().parents[1]
DOCS = [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]
_BLOCK = re.compile(r"^(?P<before>[^\n]*)\n```python\n(?P<code>.*?)^```$", re.MULTILINE | re.DOTALL)
_NOT_RUN = re.compile(r"<!-- not run: \S.* -->$")


def python_blocks() -> list[tuple[str, str, str]]:
    """(where, the line before the fence, code) of every ```python block."""
    found = []
    for path in DOCS:
        text = path.read_text(encoding="utf-8")
        for match in _BLOCK.finditer(text):
            line = text.count("\n", 0, match.start("code"))
            before = match["before"].rsplit("\n", 1)[-1]
            found.append((f"{path.relative_to(REPO)}:{line}", before, match["code"]))
    return found


# What the programs use: a port, the `rooms` counter, player tracking.
GAME_SERVER = {
    "apiVersion": "agones.dev/v1",
    "kind": "GameServer",
    "metadata": {"name": "docs-example"},
    "spec": {
        "ports": [{"name": "default", "portPolicy": "None", "containerPort": 7777}],
        "counters": {"rooms": {"count": 0, "capacity": 10}},
        "players": {"initialCapacity": 0},
        "template": {"spec": {"containers": [{"name": "game", "image": "game:1"}]}},
    },
}

BLOCKS = python_blocks()
TEST_BLOCKS = [(where, code) for where, _, code in BLOCKS if "def test_" in code]
PROGRAM_BLOCKS = [(where, code) for where, _, code in BLOCKS if "asyncio.run(" in code]


def test_every_block_runs_or_says_why_not() -> None:
    assert len(BLOCKS) >= 3, "the README and docs/ lost their examples?"
    silent = [
        where
        for where, before, code in BLOCKS
        if "def test_" not in code and "asyncio.run(" not in code and not _NOT_RUN.search(before)
    ]
    assert silent == [], "blocks that neither run nor say `<!-- not run: why -->` on the line before"


def pytest_settings() -> list[str]:
    """The `[tool.pytest.ini_options]` lines docs/testing.md's set-up tells a user to write."""
    text = (REPO / "docs" / "testing.md").read_text(encoding="utf-8")
    found = re.search(r"^    \[tool\.pytest\.ini_options\]\n((?:    \S.*\n)+)", text, re.MULTILINE)
    assert found, "docs/testing.md lost its pytest set-up"
    return [line.strip() for line in found[1].splitlines()]


def test_the_readme_names_every_pytest_setting_of_the_testing_page() -> None:
    """Issue 15 (12): the README's set-up (`asyncio_mode` alone) warned on every run."""
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    settings = pytest_settings()
    assert 'asyncio_mode = "auto"' in settings
    assert any(s.startswith("asyncio_default_fixture_loop_scope = ") for s in settings)
    for setting in settings:
        assert f"`{setting}`" in readme, setting


@pytest.mark.parametrize(("where", "code"), TEST_BLOCKS, ids=[w for w, _ in TEST_BLOCKS])
def test_test_block_passes_in_a_new_project(where: str, code: str, tmp_path: Path) -> None:
    project = tmp_path / "my-game"
    project.mkdir()
    setup = "\n".join(["[tool.pytest.ini_options]", *pytest_settings(), ""])
    (project / "pyproject.toml").write_text(setup, encoding="utf-8")
    (project / "test_example.py").write_text(code, encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AGONES_", "PYTEST_"))}
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "test_example.py"],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    tests = code.count("def test_")
    assert result.returncode == 0, f"{where}:\n{result.stdout}{result.stderr}"
    assert f"{tests} passed" in result.stdout, result.stdout
    said = result.stdout + result.stderr
    assert "Warning" not in said and " warning" not in said, said  # e.g. pytest-asyncio's loop scope unset


@pytest.mark.parametrize(("where", "code"), PROGRAM_BLOCKS, ids=[w for w, _ in PROGRAM_BLOCKS])
async def test_program_block_runs_to_completion(where: str, code: str, tmp_path: Path) -> None:
    script = tmp_path / "example.py"
    script.write_text(code, encoding="utf-8")
    async with LocalSidecar(GAME_SERVER) as sidecar:
        env = {**os.environ, "AGONES_SDK_GRPC_HOST": sidecar.host, "AGONES_SDK_GRPC_PORT": str(sidecar.port)}
        proc = await asyncio.create_subprocess_exec(
            sys.executable, str(script), cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
        )
        finished = asyncio.create_task(proc.communicate())
        ready = asyncio.create_task(sidecar.wait_for(lambda gs: gs.status.state is State.READY, 60))
        try:
            await asyncio.wait([finished, ready], timeout=60, return_when=asyncio.FIRST_COMPLETED)
            if ready.done():
                async with SDK(sidecar.host, sidecar.port, health_interval=None) as cluster:
                    await cluster.allocate()  # what a GameServerAllocation does to a Ready GameServer
            await asyncio.wait([finished], timeout=60)
        finally:
            ready.cancel()
            if proc.returncode is None:
                proc.kill()
            output, _ = await finished
        assert proc.returncode == 0, f"{where}:\n{output.decode()}"
        if "shutdown()" in code:
            assert sidecar.game_server.status.state is State.SHUTDOWN
