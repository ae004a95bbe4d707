"""What the SDK costs on top of the raw generated stub, against the local sidecar.

Prints, for a unary call (Ready) and for GetGameServer: per-call latency p50/p99 with
one call at a time, and calls per second with 100 calls in flight; each made through
`aioagones.SDK` and through the raw `SDKStub` on the same channel settings, in the same
run, alternating, with the ratio SDK/raw. The sidecar runs in its own process, on the
other core where the machine has one. Figures, not assertions: median of --runs runs
with min-max beside it.

    python benchmarks/sdk_calls.py [--quick] [--runs N] [--json FILE]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import platform
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import grpc.aio

from aioagones import SDK
from aioagones._pb import sdk_pb2, sdk_pb2_grpc

Call = Callable[[], Awaitable[object]]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def pin(pid: int, core: int) -> None:
    cores = os.sched_getaffinity(0)
    if len(cores) > 1:
        os.sched_setaffinity(pid, {sorted(cores)[core % len(cores)]})


@contextlib.contextmanager
def sidecar_process(grpc_port: int, http_port: int = 0) -> Iterator[None]:
    """`agones-local-sidecar` in its own process on loopback, on the other core where there is one."""
    ports = ["--grpc-port", str(grpc_port), "--http-port", str(http_port)]
    sidecar = subprocess.Popen(
        [sys.executable, "-m", "aioagones.local", "--address", "127.0.0.1", *ports, "--log-level", "warning"]
    )
    try:
        pin(sidecar.pid, 1)
        pin(0, 0)
        deadline = time.monotonic() + 20
        while True:
            try:
                socket.create_connection(("127.0.0.1", grpc_port), timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)  # the sidecar is starting; nothing to wait on but its port
        yield
    finally:
        sidecar.terminate()
        sidecar.wait(10)


async def latencies(call: Call, n: int) -> list[float]:
    out = []
    for _ in range(n):
        start = time.perf_counter()
        await call()
        out.append(time.perf_counter() - start)
    return out


async def rate(call: Call, total: int, concurrency: int) -> float:
    remaining = total

    async def worker() -> None:
        nonlocal remaining
        while remaining > 0:
            remaining -= 1
            await call()

    start = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return total / (time.perf_counter() - start)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def _bench(port: int, runs: int, calls: int) -> dict[str, dict[str, list[float]]]:
    results: dict[str, dict[str, list[float]]] = {}
    channel = grpc.aio.insecure_channel(f"127.0.0.1:{port}")
    raw = sdk_pb2_grpc.SDKStub(channel)
    empty = sdk_pb2.Empty()
    async with SDK("127.0.0.1", port, health_interval=None) as sdk:
        pairs: dict[str, tuple[Call, Call]] = {
            "Ready": (sdk.ready, lambda: raw.Ready(empty, timeout=10)),
            "GetGameServer": (sdk.get_game_server, lambda: raw.GetGameServer(empty, timeout=10)),
        }
        for name, (via_sdk, via_raw) in pairs.items():
            await latencies(via_sdk, 50)  # warm up both paths
            await latencies(via_raw, 50)
            figures = results.setdefault(name, {})
            for _ in range(runs):
                for label, call in (("sdk", via_sdk), ("raw", via_raw)):
                    lat = await latencies(call, calls)
                    figures.setdefault(f"{label}_p50_us", []).append(percentile(lat, 0.50) * 1e6)
                    figures.setdefault(f"{label}_p99_us", []).append(percentile(lat, 0.99) * 1e6)
                    figures.setdefault(f"{label}_calls_per_s", []).append(await rate(call, calls * 2, 100))
    await channel.close(grace=None)
    return results


def _summary(values: list[float]) -> str:
    return f"{statistics.median(values):9.0f} ({min(values):.0f}-{max(values):.0f})"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="runs per figure (median reported)")
    parser.add_argument("--calls", type=int, default=2000, help="calls per latency run")
    parser.add_argument("--quick", action="store_true", help="3 runs of 300 calls")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args(argv)
    runs, calls = (3, 300) if args.quick else (args.runs, args.calls)

    port = free_port()
    with sidecar_process(port):
        results = asyncio.run(_bench(port, runs, calls))

    print(f"SDK vs raw stub, local sidecar in its own process; {os.cpu_count()} cores; median (min-max) of {runs}")
    print(f"{'call':14} {'figure':12} {'SDK':>24} {'raw stub':>24} {'SDK/raw':>8}")
    report: dict[str, Any] = {
        "date": time.strftime("%Y-%m-%d"),
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "runs": runs,
        "calls": calls,
        "results": {},
    }
    for name, figures in results.items():
        for figure in ("p50_us", "p99_us", "calls_per_s"):
            sdk_v, raw_v = figures[f"sdk_{figure}"], figures[f"raw_{figure}"]
            ratio = statistics.median(sdk_v) / statistics.median(raw_v)
            print(f"{name:14} {figure:12} {_summary(sdk_v):>24} {_summary(raw_v):>24} {ratio:8.2f}")
            report["results"][f"{name}.{figure}"] = {"sdk": sdk_v, "raw": raw_v, "ratio": ratio}
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(report, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
