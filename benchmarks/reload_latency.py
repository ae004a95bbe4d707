"""How long an edit of the `-f` manifest takes to reach an SDK watcher.

Starts an in-process local sidecar watching a manifest in a temporary directory, opens a
`watch_game_server()` through `aioagones.SDK`, then writes --edits edits one after the other
(each changes a label, at a random moment of the poll interval) and times each from the write
to the watcher seeing it. The file is polled every `POLL_SECONDS` (0.25 s), so the expected
figure is about half that, at most that plus the time to reload. Figures, not assertions.

    python benchmarks/reload_latency.py [--edits N] [--json FILE]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import statistics
import tempfile
import time
from pathlib import Path

from aioagones import SDK
from aioagones.local._reload import POLL_SECONDS
from aioagones.testing import LocalSidecar

MANIFEST = "metadata:\n  name: bench\n  labels: {{edit: '{n}'}}\nspec:\n  health: {{disabled: true}}\n"


async def measure(edits: int) -> list[float]:
    """Seconds from each write to the watcher seeing it."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "gameserver.yaml"
        path.write_text(MANIFEST.format(n=0))
        server = LocalSidecar(path, http_port=None)
        async with server, SDK(server.host, server.port, health_interval=None) as sdk:
            latencies: list[float] = []
            start, n = 0.0, 0
            async with asyncio.timeout(10 * edits):
                async for gs in sdk.watch_game_server():
                    if gs.object_meta.labels.get("edit") != str(n):
                        continue
                    if n:
                        latencies.append(time.perf_counter() - start)
                    if n == edits:
                        return latencies
                    n += 1
                    # A developer saves at any moment, not just after a poll: spread the writes over the interval.
                    await asyncio.sleep(random.uniform(0, POLL_SECONDS))
                    start = time.perf_counter()
                    path.write_text(MANIFEST.format(n=n))
            raise RuntimeError("the watch ended")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--edits", type=int, default=20, help="edits to time (default 20)")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args()
    latencies = sorted(asyncio.run(measure(args.edits)))
    ms = [round(x * 1000, 1) for x in latencies]
    report = {
        "edits": len(ms),
        "poll_ms": POLL_SECONDS * 1000,
        "median_ms": round(statistics.median(ms), 1),
        "p95_ms": ms[min(len(ms) - 1, int(len(ms) * 0.95))],
        "max_ms": ms[-1],
        "cores": os.cpu_count(),
    }
    print(f"edit -> watcher, {report['edits']} edits, poll every {report['poll_ms']:.0f} ms, {report['cores']} cores")
    print(f"median {report['median_ms']} ms, p95 {report['p95_ms']} ms, max {report['max_ms']} ms")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(report, indent=2) + "\n")


if __name__ == "__main__":
    main()
