"""The README's Quick start runs to completion with `-f deploy/gameserver.yaml`, allocated by an edit."""

from __future__ import annotations

import asyncio
import os
import re
import sys
from pathlib import Path

from aioagones import State
from aioagones.testing import LocalSidecar

ROOT = Path(__file__).resolve().parents[2]


def quick_start() -> str:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Quick start: the SDK", 1)[1]
    match = re.search(r"```python\n(.*?)```", section, flags=re.DOTALL)
    assert match, "the Quick start has a python block"
    return match[1]


async def test_the_quick_start_runs_on_the_deploy_manifest(tmp_path: Path) -> None:
    manifest = tmp_path / "gameserver.yaml"
    manifest.write_text((ROOT / "deploy" / "gameserver.yaml").read_text(encoding="utf-8"), encoding="utf-8")
    script = tmp_path / "quick_start.py"
    script.write_text(quick_start(), encoding="utf-8")
    async with LocalSidecar(manifest=manifest) as sidecar:
        env = {**os.environ, "AGONES_SDK_GRPC_HOST": sidecar.host, "AGONES_SDK_GRPC_PORT": str(sidecar.port)}
        proc = await asyncio.create_subprocess_exec(
            sys.executable, str(script), env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT
        )
        try:
            await sidecar.wait_for(lambda gs: gs.status.state is State.READY, timeout=30)
            # Act as the cluster: allocate by editing the manifest, as a developer would.
            with manifest.open("a", encoding="utf-8") as file:
                file.write("status:\n  state: Allocated\n")
            async with asyncio.timeout(30):
                output, _ = await proc.communicate()
        finally:
            if proc.returncode is None:
                proc.kill()
                await proc.wait()
        gs = sidecar.game_server
    assert proc.returncode == 0, output.decode()
    assert "listen on 7777" in output.decode()
    assert gs.status.state is State.SHUTDOWN
    assert gs.status.counters["rooms"].count == 1
    assert gs.status.players is not None
    assert list(gs.status.players.ids) == ["player-1"]
    assert gs.object_meta.labels["agones.dev/sdk-map"] == "harbor"
