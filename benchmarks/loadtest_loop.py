"""udp-loadtest's own loop, measured: how fast one worker sends, and what two workers offer and get back.

Two figures, each the median (min-max) of ``--runs`` short runs on loopback:

* **send loop**: one worker, 4 clients, asked for far more than it can send (1,000,000/s) at a
  socket that never reads (the kernel drops what it receives, the sends still succeed): the datagrams
  per second it actually sends is the cost of the send loop alone; and the CPU time (user + system)
  the process spent per datagram sent.
* **two workers**: ``--workers 2``, 10 clients, 100,000 datagrams/s for 2 s at the raw blocking echo of
  ``udp_server.py``; what was sent and what came back, per second, and the workers' CPU time per
  datagram (sent or received).

    python benchmarks/loadtest_loop.py --runs 5
"""

from __future__ import annotations

import argparse
import os
import resource
import socket
import statistics
import time

from udp_echo import HOST, running, targets  # type: ignore[import-not-found, unused-ignore]

from udp_loadtest import LoadTestConfig, run


def _summary(values: list[float], fmt: str = ",.0f") -> str:
    return f"{statistics.median(values):{fmt}} ({min(values):{fmt}}-{max(values):{fmt}})"


def _cpu_self() -> float:
    t = os.times()
    return t.user + t.system


def _cpu_children() -> float:
    u = resource.getrusage(resource.RUSAGE_CHILDREN)
    return u.ru_utime + u.ru_stime


def send_loop(runs: int, duration: float) -> tuple[list[float], list[float]]:
    """Datagrams per second one worker sends when asked for more than it can, and CPU µs per datagram."""
    rates, cpu = [], []
    with socket.socket(socket.AF_INET6, socket.SOCK_DGRAM) as sink:
        sink.bind((HOST, 0))
        port = sink.getsockname()[1]
        for _ in range(runs):
            config = LoadTestConfig(
                host=HOST, port=port, clients=4, rate=1_000_000, duration=duration, warmup=0,
                reply_timeout=0.05, workers=1, keep_going=True,
            )  # fmt: skip
            before = _cpu_self()
            r = run(config)
            spent = _cpu_self() - before
            rates.append(r.send_rate)
            cpu.append(spent * 1e6 / max(1, r.sent + r.counts.warmup_sent))
            time.sleep(0.2)
    return rates, cpu


def two_workers(runs: int, duration: float, rate: float) -> tuple[list[float], list[float], list[float]]:
    """Sent and received datagrams per second with two workers against the raw echo; CPU µs per datagram."""
    sent, received, cpu = [], [], []
    with running(targets({"raw"})[0], None, int(runs * (duration + 5) + 60)) as port:
        for _ in range(runs):
            config = LoadTestConfig(
                host=HOST, port=port, clients=10, rate=rate, duration=duration, warmup=0.5,
                reply_timeout=0.2, workers=2,
            )  # fmt: skip
            # The workers are child processes, joined before run() returns: their CPU time is counted then.
            # The echo server is a child too but still running, so it is not counted.
            before = _cpu_children()
            r = run(config)
            spent = _cpu_children() - before
            sent.append(r.sent / duration)
            received.append(r.received / duration)
            cpu.append(spent * 1e6 / max(1, r.sent + r.counts.warmup_sent + r.received))
            time.sleep(0.2)
    return sent, received, cpu


def main() -> int:
    """Print both figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--rate", type=float, default=100_000.0, help="offered rate of the two-worker run")
    args = parser.parse_args()
    rates, cpu = send_loop(args.runs, 1.0)
    print(
        f"send loop, 1 worker, datagrams/s: {_summary(rates)}; CPU per datagram: {_summary(cpu, '.2f')} us", flush=True
    )
    sent, received, cpu2 = two_workers(args.runs, 2.0, args.rate)
    print(
        f"2 workers at {args.rate:,.0f}/s: sent {_summary(sent)}/s, received {_summary(received)}/s;"
        f" CPU per datagram (sent or received): {_summary(cpu2, '.2f')} us"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
