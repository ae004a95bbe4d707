"""CPU time the sample server spends per datagram on its receive path, without the network.

`udp_server.py` measures end to end through loopback and is at the mercy of a shared machine;
this one calls the UDP endpoint's `handle_datagram` directly and counts process CPU time, so two
versions of the server can be compared on a busy machine. Only the paths that answer at once are
measured (echoes, refusals, argument errors, malformed input): nothing here calls a sidecar.

    python benchmarks/sample_hot_path.py [--rounds N] [--repeat R]
"""

from __future__ import annotations

import argparse
import socket
import statistics
import time
from typing import Any

from sample_server._config import ServerConfig
from sample_server._server import SampleServer
from sample_server._udp import UdpEndpoint

MIXES: dict[str, list[bytes]] = {
    "echo": [b"hello world"],
    "mixed": [
        b"hello world",
        b"  padded \n",
        b"READY",  # refused: no token
        b"ADMIN wrong EXIT",  # refused: bad token
        b"x" * 200,
        b"\xff\xfe",  # bad UTF-8
        b"ping 12345",
        b"LEAVE",  # not joined: the echo
    ],
}


def measure(rounds: int, repeat: int) -> dict[str, list[float]]:
    """Nanoseconds of CPU per datagram, one figure per repeat, for each mix."""
    server = SampleServer(sdk=None, config=ServerConfig(admin_token="t0ken"), clock=lambda: 0.0)  # type: ignore[arg-type]
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        endpoint = UdpEndpoint(sock, server.parser, server.dispatcher, lambda coro, name: None, lambda: 0.0)
        handle = endpoint.handle_datagram
        addr: Any = ("127.0.0.1", 40000)
        figures: dict[str, list[float]] = {}
        for name, datagrams in MIXES.items():
            batch = datagrams * max(1, 8 // len(datagrams))
            runs = []
            for _ in range(repeat):
                started = time.process_time()
                for _ in range(rounds):
                    for data in batch:
                        handle(data, addr, 0.0)
                runs.append((time.process_time() - started) / (rounds * len(batch)) * 1e9)
            figures[name] = runs
    return figures


def main() -> None:
    """Print the median and the best of the repeats for each mix."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--rounds", type=int, default=20_000, help="batches of 8 datagrams per repeat")
    parser.add_argument("--repeat", type=int, default=7, help="repeats (the median is reported)")
    args = parser.parse_args()
    for name, runs in measure(args.rounds, args.repeat).items():
        print(f"{name:6s} {statistics.median(runs):6.0f} ns/datagram (best {min(runs):.0f}) over {len(runs)} repeats")


if __name__ == "__main__":
    main()
