"""What the allocation client costs on top of the raw generated stub: allocations/s, 1 and 50 in flight.

Each figure is measured through `aioagones.allocation.AllocationClient.allocate()` and through
the raw `AllocationServiceStub.Allocate` on a channel with the same settings, in the same run,
alternating, with the ratio client/raw; median of --runs runs with min-max beside it. Figures,
not assertions.

The target is, by default, the tests' fake allocator (tests/allocation/_fake.py, plaintext, no
selector rules) in its own process; `--target HOST:PORT` aims at another allocator, e.g.
`agones-local-allocator` (plaintext unless --ca/--cert/--key are given). The request re-allocates
an Allocated GameServer first and else allocates a Ready one, so a small pool is not used up; a
"no GameServer available" answer (a real allocator refuses concurrent re-allocations of one
GameServer) counts as an answer, and how many there were is printed.

    python benchmarks/allocation.py [--target HOST:PORT [--ca F --cert F --key F]] [--quick] [--json FILE]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import grpc
import grpc.aio
from sdk_calls import Call, free_port, pin, rate  # type: ignore[import-not-found, unused-ignore]

from aioagones import State
from aioagones._pb import allocation_pb2_grpc
from aioagones.allocation import (
    AllocationClient,
    AllocationRequest,
    GameServerSelector,
    NoGameServerAvailableError,
    TLSConfig,
)

ROOT = Path(__file__).resolve().parent.parent
IN_FLIGHT = (1, 50)
SLICES = 10
REQUEST = AllocationRequest(selectors=[GameServerSelector(state=State.ALLOCATED), GameServerSelector()])


@contextlib.contextmanager
def fake_allocator() -> Iterator[str]:
    """The tests' fake allocator in its own process (on the other core where there is one); its target."""
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "tests.allocation._fake", "--port", str(port)], cwd=ROOT, stdout=subprocess.PIPE
    )
    try:
        assert proc.stdout is not None
        if not proc.stdout.readline().startswith(b"serving"):  # it prints once it listens
            raise SystemExit("the fake allocator did not start")
        pin(proc.pid, 1)
        pin(0, 0)
        yield f"127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.wait(10)


def _raw_channel(target: str, tls: TLSConfig | None) -> grpc.aio.Channel:
    if tls is None:
        return grpc.aio.insecure_channel(target)
    return grpc.aio.secure_channel(target, grpc.ssl_channel_credentials(tls.ca, tls.key, tls.cert))


async def _bench(target: str, tls: TLSConfig | None, runs: int, calls: int) -> dict[int, dict[str, list[float]]]:
    results: dict[int, dict[str, list[float]]] = {n: {"client": [], "raw": []} for n in IN_FLIGHT}
    channel = _raw_channel(target, tls)
    stub = allocation_pb2_grpc.AllocationServiceStub(channel)
    message = REQUEST.to_pb()
    client = AllocationClient(target, tls=tls, plaintext=tls is None, timeout=30)
    refusals = {"client": 0, "raw": 0}

    async def via_client() -> None:
        try:
            await client.allocate(REQUEST)
        except NoGameServerAvailableError:
            refusals["client"] += 1

    async def via_raw() -> None:
        try:
            await stub.Allocate(message, timeout=30)
        except grpc.aio.AioRpcError as error:
            if error.code() != grpc.StatusCode.RESOURCE_EXHAUSTED:
                raise
            refusals["raw"] += 1

    async with client:
        paths: dict[str, Call] = {"client": via_client, "raw": via_raw}
        for call in paths.values():
            await rate(call, 200, 10)  # warm up both paths
        for _ in range(runs):
            for in_flight in IN_FLIGHT:
                # Alternate the two paths in slices, so a burst of load on a shared machine hits both.
                spent = dict.fromkeys(paths, 0.0)
                for _ in range(SLICES):
                    for label, call in paths.items():
                        spent[label] += calls / SLICES / await rate(call, calls // SLICES, in_flight)
                for label in paths:
                    results[in_flight][label].append(calls / spent[label])
    await channel.close(grace=None)
    if any(refusals.values()):
        print(f"answered 'no GameServer available' (counted as answers): {refusals}")
    return results


def _summary(values: list[float]) -> str:
    return f"{statistics.median(values):8.0f} ({min(values):.0f}-{max(values):.0f})"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--target", metavar="HOST:PORT", help="an allocator to measure against (default: fake)")
    parser.add_argument("--ca", help="the target's CA (TLS)")
    parser.add_argument("--cert", help="client certificate (mTLS)")
    parser.add_argument("--key", help="client key (mTLS)")
    parser.add_argument("--runs", type=int, default=5, help="runs per figure (median reported)")
    parser.add_argument("--calls", type=int, default=2000, help="allocations per run and figure")
    parser.add_argument("--quick", action="store_true", help="3 runs of 300 allocations")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args(argv)
    runs, calls = (3, 300) if args.quick else (args.runs, args.calls)
    tls = TLSConfig.from_files(ca=args.ca, cert=args.cert, key=args.key) if args.ca or args.cert else None

    with contextlib.ExitStack() as stack:
        target = args.target or stack.enter_context(fake_allocator())
        results = asyncio.run(_bench(target, tls, runs, calls))

    where = args.target or "the fake allocator in its own process"
    print(f"allocation client vs raw stub, {where}; {os.cpu_count()} cores; median (min-max) of {runs} x {calls}")
    print(f"{'in flight':>9} {'client allocations/s':>24} {'raw stub allocations/s':>24} {'client/raw':>10}")
    report: dict[str, Any] = {
        "date": time.strftime("%Y-%m-%d"),
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "target": where,
        "runs": runs,
        "calls": calls,
        "results": {},
    }
    for in_flight, figures in results.items():
        ratio = statistics.median(figures["client"]) / statistics.median(figures["raw"])
        print(f"{in_flight:9} {_summary(figures['client']):>24} {_summary(figures['raw']):>24} {ratio:10.2f}")
        report["results"][str(in_flight)] = {**figures, "ratio": ratio}
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(report, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
