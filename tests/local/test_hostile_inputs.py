"""Hostile manifests and bodies: one line and exit 2 from the commands, a 400 from REST; no traceback."""

from __future__ import annotations

import json
import logging
import subprocess
import sys
import time
from pathlib import Path

import aiohttp
import pytest

from aioagones.local import default_game_server
from aioagones.local._server import SidecarServer

MANIFESTS = {
    "escape past U+10FFFF": b'metadata: {name: "\\UDDDDDDDD"}\n',
    "not UTF-8": b'metadata: {name: "\xff\xfe"}\n',
    "nested 20,000 deep": b"a: " + b"[" * 20_000 + b"]" * 20_000 + b"\n",
}

COMMANDS = {
    "agones-local-sidecar": [sys.executable, "-m", "aioagones.local", "--grpc-port", "0", "--http-port", "0"],
    "sample-game-server": [sys.executable, "-m", "sample_server", "--run-local-sidecar", "--port", "0"],
}


@pytest.mark.parametrize("command", COMMANDS.values(), ids=COMMANDS.keys())
@pytest.mark.parametrize("data", MANIFESTS.values(), ids=MANIFESTS.keys())
def test_a_hostile_manifest_is_one_line_and_exit_2(tmp_path: Path, command: list[str], data: bytes) -> None:
    manifest = tmp_path / "gs.yaml"
    manifest.write_bytes(data)
    proc = subprocess.run([*command, "-f", str(manifest)], capture_output=True, text=True, timeout=60, check=False)
    lines = proc.stderr.strip().splitlines()
    assert proc.returncode == 2, proc.stderr
    assert len(lines) == 1 and str(manifest) in lines[0], proc.stderr
    assert "Traceback" not in proc.stderr


async def test_a_body_nested_100000_deep_is_a_400_with_code_3(caplog: pytest.LogCaptureFixture) -> None:
    body = b'{"key": "map", "value": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"
    assert len(body) < 1 << 20
    caplog.set_level(logging.DEBUG)
    async with (
        SidecarServer(default_game_server(time.time()), host="127.0.0.1", port=0, http_port=0) as server,
        aiohttp.ClientSession(server.http_url, timeout=aiohttp.ClientTimeout(total=10)) as http,
    ):
        assert server.http_url is not None
        headers = {"Content-Type": "application/json"}
        async with http.put("/metadata/label", data=body, headers=headers) as response:
            status, reply = response.status, json.loads(await response.text())
    assert status == 400
    assert reply == {"code": 3, "message": "the body is nested 100001 deep; the limit is 64", "details": []}
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING or r.exc_info]
