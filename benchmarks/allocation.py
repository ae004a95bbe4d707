"""What the allocation client costs on top of the raw generated stub: allocations/s, 1 and 50 in flight.

Each figure is measured through `aioagones.allocation.AllocationClient.allocate()` and through
the raw `AllocationServiceStub.Allocate` on a channel with the same settings, in the same run,
alternating, with the ratio client/raw; median of --runs runs with min-max beside it. Figures,
not assertions.

The target is, by default, `agones-local-allocator` (plaintext) over --sidecars local sidecars
(`agones-local-sidecar`, each serving one GameServer made Ready), all in their own processes on the
other core where there is one: every allocation is the local allocator's whole work (it reads each
GameServer from its sidecar, picks one by Agones' rules, allocates it there). `--fake` aims at the
tests' fake allocator instead (tests/allocation/_fake.py: a canned reply, no sidecar, so the
client's own cost weighs most); `--target HOST:PORT` at any other allocator (plaintext unless
--ca/--cert/--key are given). The request re-allocates an Allocated GameServer first and else
allocates a Ready one, so the pool is never used up; a "no GameServer available" answer (a real
allocator refuses concurrent re-allocations of one GameServer) counts as an answer, and how many
there were is printed.

    python benchmarks/allocation.py [--sidecars N | --fake | --target HOST:PORT [--ca F --cert F --key F]]
                                    [--quick] [--runs N] [--calls N] [--json FILE]
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
import tempfile
import time
import urllib.request
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


def _stop(proc: subprocess.Popen[bytes]) -> None:
    proc.terminate()
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(10)


def _wait_for_port(port: int, proc: subprocess.Popen[bytes], what: str) -> None:
    deadline = time.monotonic() + 30
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            if proc.poll() is not None:
                raise SystemExit(f"{what}: exited {proc.returncode} before listening") from None
            if time.monotonic() > deadline:
                raise SystemExit(f"{what}: nothing listens on 127.0.0.1:{port} after 30 s") from None
            time.sleep(0.05)  # the process is starting; nothing to wait on but its port


def _game_server(name: str) -> dict[str, Any]:
    return {
        "apiVersion": "agones.dev/v1",
        "kind": "GameServer",
        "metadata": {"name": name, "labels": {"app": "benchmark"}},
        # Health checking off: nothing pings these GameServers, and they must stay allocatable.
        "spec": {
            "ports": [{"name": "default", "portPolicy": "None", "containerPort": 7777}],
            "health": {"disabled": True},
        },
    }


@contextlib.contextmanager
def local_allocator(sidecars: int) -> Iterator[str]:
    """`agones-local-allocator` over `sidecars` local sidecars (GameServers Ready), on the other core; its target."""
    quiet = ["--log-level", "WARNING"]
    with tempfile.TemporaryDirectory() as tmp, contextlib.ExitStack() as stack:
        http_ports = []
        for i in range(sidecars):
            manifest = Path(tmp, f"gs-{i}.json")
            manifest.write_text(json.dumps(_game_server(f"bench-{i}")))
            grpc_port, http_port = free_port(), free_port()
            ports = ["--grpc-port", str(grpc_port), "--http-port", str(http_port)]
            proc = subprocess.Popen(
                [sys.executable, "-m", "aioagones.local", "-f", str(manifest), "--address", "127.0.0.1", *ports, *quiet]
            )
            stack.callback(_stop, proc)
            pin(proc.pid, 1)
            _wait_for_port(http_port, proc, "agones-local-sidecar")
            ready = urllib.request.Request(
                f"http://127.0.0.1:{http_port}/local/state",
                data=b'{"state": "Ready"}',
                headers={"Content-Type": "application/json"},
            )
            urllib.request.urlopen(ready, timeout=10).close()
            http_ports.append(http_port)
        port = free_port()
        sidecar_flags = [arg for http_port in http_ports for arg in ("--sidecar", f"127.0.0.1:{http_port}")]
        listen = ["--address", "127.0.0.1", "--port", str(port)]
        proc = subprocess.Popen([sys.executable, "-m", "aioagones.local_allocator", *listen, *sidecar_flags, *quiet])
        stack.callback(_stop, proc)
        pin(proc.pid, 1)
        pin(0, 0)
        _wait_for_port(port, proc, "agones-local-allocator")
        yield f"127.0.0.1:{port}"


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
    parser.add_argument(
        "--sidecars", type=int, default=4, help="local sidecars (GameServers) under the local allocator (default 4)"
    )
    parser.add_argument("--fake", action="store_true", help="the tests' fake allocator instead of the local one")
    parser.add_argument("--target", metavar="HOST:PORT", help="an allocator to measure against instead")
    parser.add_argument("--ca", help="the target's CA (TLS)")
    parser.add_argument("--cert", help="client certificate (mTLS)")
    parser.add_argument("--key", help="client key (mTLS)")
    parser.add_argument("--runs", type=int, default=5, help="runs per figure (median reported)")
    parser.add_argument("--calls", type=int, default=1000, help="allocations per run and figure")
    parser.add_argument("--quick", action="store_true", help="3 runs of 300 allocations")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args(argv)
    runs, calls = (3, 300) if args.quick else (args.runs, args.calls)
    tls = TLSConfig.from_files(ca=args.ca, cert=args.cert, key=args.key) if args.ca or args.cert else None

    if args.fake and args.target:
        parser.error("--fake and --target go separately")
    with contextlib.ExitStack() as stack:
        if args.target:
            target, where = args.target, args.target
        elif args.fake:
            target, where = stack.enter_context(fake_allocator()), "the fake allocator in its own process"
        else:
            target = stack.enter_context(local_allocator(args.sidecars))
            where = f"agones-local-allocator over {args.sidecars} local sidecars, in their own processes"
        results = asyncio.run(_bench(target, tls, runs, calls))

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
