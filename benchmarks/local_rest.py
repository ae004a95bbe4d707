"""The local sidecar's two front ends side by side: the same calls over gRPC and over REST.

Starts `agones-local-sidecar` in its own process (on the other core where there is one) and
prints, for GetGameServer and a unary state call (Ready / `POST /ready`): per-call latency p50
and p99 with one call at a time, and calls per second with 50 in flight. gRPC through the raw
stub, REST through one aiohttp client session (keep-alive). Figures, not assertions: median of
--runs runs with min-max beside it.

    python benchmarks/local_rest.py [--quick] [--runs N] [--calls N]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
from collections.abc import Awaitable, Callable

import aiohttp
import grpc.aio
from sdk_calls import free_port, latencies, percentile, rate, sidecar_process  # type: ignore[import-not-found, unused-ignore]

from aioagones._pb import sdk_pb2, sdk_pb2_grpc

Call = Callable[[], Awaitable[object]]


async def _bench(grpc_port: int, http_port: int, runs: int, calls: int) -> dict[str, list[float]]:
    figures: dict[str, list[float]] = {}
    empty = sdk_pb2.Empty()
    async with (
        grpc.aio.insecure_channel(f"127.0.0.1:{grpc_port}") as channel,
        aiohttp.ClientSession(f"http://127.0.0.1:{http_port}") as http,
    ):
        stub = sdk_pb2_grpc.SDKStub(channel)

        async def rest(method: str, path: str) -> object:
            async with http.request(method, path, data="{}" if method == "POST" else None) as reply:
                assert reply.status == 200
                return await reply.read()

        calls_by_name: dict[str, Call] = {
            "GetGameServer grpc": lambda: stub.GetGameServer(empty, timeout=10),
            "GetGameServer rest": lambda: rest("GET", "/gameserver"),
            "Ready grpc": lambda: stub.Ready(empty, timeout=10),
            "Ready rest": lambda: rest("POST", "/ready"),
        }
        for call in calls_by_name.values():
            await latencies(call, 50)  # warm up
        for _ in range(runs):
            for name, call in calls_by_name.items():
                lat = await latencies(call, calls)
                figures.setdefault(f"{name} p50 us", []).append(percentile(lat, 0.50) * 1e6)
                figures.setdefault(f"{name} p99 us", []).append(percentile(lat, 0.99) * 1e6)
                figures.setdefault(f"{name} calls/s", []).append(await rate(call, calls, 50))
    return figures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="runs per figure (median reported)")
    parser.add_argument("--calls", type=int, default=1000, help="calls per run")
    parser.add_argument("--quick", action="store_true", help="3 runs of 300 calls")
    args = parser.parse_args(argv)
    runs, calls = (3, 300) if args.quick else (args.runs, args.calls)
    grpc_port, http_port = free_port(), free_port()
    with sidecar_process(grpc_port, http_port):
        figures = asyncio.run(_bench(grpc_port, http_port, runs, calls))
    print(f"local sidecar, gRPC vs REST ({runs} runs x {calls} calls; median (min-max))")
    for name, values in figures.items():
        print(f"  {name:28} {statistics.median(values):9.0f} ({min(values):.0f}-{max(values):.0f})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
