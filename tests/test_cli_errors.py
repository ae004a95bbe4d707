"""Every command answers a bad flag with one line (and at most "(see --help)"), exit 2, never the usage block."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

BAD_FLAGS = [
    ("sample-game-server", ["--port=-5"], "argument --port: must not be negative: '-5'"),
    ("sample-game-server", ["--port", "abc"], "argument --port: not an integer: 'abc'"),
    ("sample-game-server", ["--bogus"], "unrecognized arguments: --bogus"),
    ("sample-game-server", ["--log-format", "xml"], "argument --log-format: invalid choice: 'xml'"),
    ("sample-game-server", ["--udp=false", "--tcp=false"], "nothing to serve"),
    ("agones-local-sidecar", ["--grpc-port=-5"], "argument --grpc-port: -5 is not a port number"),
    ("agones-local-sidecar", ["--bogus"], "unrecognized arguments: --bogus"),
    ("agones-local-sidecar", ["allocate", "--bogus"], "unrecognized arguments: --bogus"),
    ("agones-allocate", ["127.0.0.1:1", "--bogus"], "unrecognized arguments: --bogus"),
    ("agones-allocate", ["127.0.0.1:1", "--plaintext", "--timeout", "abc"], "'abc' is not a number of seconds"),
    ("agones-local-allocator", ["--port=-5"], "argument --port: '-5' is not a port number"),
    ("agones-local-allocator", ["--port", "abc"], "argument --port: 'abc' is not a port number"),
    ("agones-local-allocator", ["--bogus"], "unrecognized arguments: --bogus"),
]


@pytest.mark.parametrize(("command", "argv", "says"), BAD_FLAGS, ids=[f"{c} {' '.join(a)}" for c, a, _ in BAD_FLAGS])
def test_a_bad_flag_is_one_line_and_exit_2(command: str, argv: list[str], says: str) -> None:
    script = shutil.which(command, path=str(Path(sys.executable).parent))
    assert script is not None, f"{command} is not installed next to {sys.executable}"
    # a clean environment: PORT or AGONES_* set in the caller's shell must not change the answer
    env = {"PATH": os.environ.get("PATH", ""), "HOME": os.environ.get("HOME", "/")}
    run = subprocess.run([script, *argv], capture_output=True, text=True, timeout=60, env=env, check=False)
    assert (run.returncode, run.stdout) == (2, ""), run.stderr
    lines = run.stderr.splitlines()
    assert len(lines) == 1, run.stderr
    assert lines[0].startswith(f"{command}: error: "), lines[0]
    assert says in lines[0], lines[0]
    assert lines[0].endswith(" (see --help)"), lines[0]
    assert "usage:" not in run.stderr
