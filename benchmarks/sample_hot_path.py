"""CPU time the sample server spends per datagram on its receive path, without the network.

`udp_server.py` measures end to end through loopback and is at the mercy of a shared machine;
this one calls the UDP endpoint's `handle_datagram` directly and counts process CPU time, so two
versions of the server can be compared on a busy machine. Only the paths that answer at once are
measured (echoes, refusals, argument errors, malformed input): nothing here calls a sidecar.
`bare` is the baseline in the same process: the least an echo server does (trim, prefix, newline);
each mix is also printed as a ratio to it, which moves less with the machine's load than the
nanoseconds do.

`player` is a joined player's datagram carrying its session secret (it keeps the session and
lifts the size limit). Admission is measured on its own: a first JOIN answered with a cookie (`join-retry`), and a JOIN
with its cookie and a fresh ticket up to the slot being held (`join-ticket`: the cookie's MAC, the
ticket's check, its single use, the session's reservation; the sidecar call after it is not run).

    python benchmarks/sample_hot_path.py [--rounds N] [--repeat R]
"""

from __future__ import annotations

import argparse
import socket
import statistics
import time
from typing import Any

from aioagones.tickets import issue_ticket
from sample_server._config import ServerConfig
from sample_server._dispatch import Later
from sample_server._replies import ack
from sample_server._server import SampleServer
from sample_server._sessions import Session
from sample_server._udp import UdpEndpoint

SECRET = b"b" * 32

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


def _bare(data: bytes) -> bytes:
    return b"ACK: " + data.strip() + b"\n"


def _per_datagram(handle: Any, batch: list[bytes], rounds: int, repeat: int, addr: Any) -> list[float]:
    runs = []
    for _ in range(repeat):
        started = time.process_time()
        for _ in range(rounds):
            for data in batch:
                handle(data, addr, 0.0)
        runs.append((time.process_time() - started) / (rounds * len(batch)) * 1e9)
    return runs


def measure(rounds: int, repeat: int) -> dict[str, list[float]]:
    """Nanoseconds of CPU per datagram, one figure per repeat, for each mix."""
    server = SampleServer(sdk=None, config=ServerConfig(admin_token="t0ken"), clock=lambda: 0.0)  # type: ignore[arg-type]
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        endpoint = UdpEndpoint(sock, server.parser, server.dispatcher, lambda coro, name: None, lambda: 0.0)
        addr: Any = ("127.0.0.1", 40000)
        figures: dict[str, list[float]] = {
            "bare": _per_datagram(lambda d, a, n: _bare(d), MIXES["echo"] * 8, rounds, repeat, addr)
        }
        for name, datagrams in MIXES.items():
            batch = datagrams * max(1, 8 // len(datagrams))
            figures[name] = _per_datagram(endpoint.handle_datagram, batch, rounds, repeat, addr)
        # a joined player's datagrams: the session is found, and its secret looked for in each
        player: Any = ("127.0.0.1", 40001)
        secret = b"Xq3vK9mP2aLw"
        server.sessions.by_address[player] = Session("p1", player, 0.0, 0.0, secret)
        batch = [b"move 3 4 " + secret] * 8
        figures["player"] = _per_datagram(endpoint.handle_datagram, batch, rounds, repeat, player)
        figures.update(_measure_joins(sock, max(1, rounds // 10), repeat))
    return figures


def _measure_joins(sock: socket.socket, rounds: int, repeat: int) -> dict[str, list[float]]:
    """The admission path of a server with a join secret (see the module's docstring)."""
    server = SampleServer(sdk=None, config=ServerConfig(join_secret=SECRET), clock=lambda: 0.0)  # type: ignore[arg-type]
    server.admission.game_server = "gs-1"
    endpoint = UdpEndpoint(sock, server.parser, server.dispatcher, lambda coro, name: None, lambda: 0.0)
    parse, dispatch, sessions = server.parser.parse, server.dispatcher.dispatch, server.sessions
    addr: Any = ("127.0.0.1", 40000)

    def admit(data: bytes) -> None:
        outcome = dispatch(parse(data), addr, 0.0, ack)
        assert isinstance(outcome, Later), outcome  # admitted: the sidecar call would follow
        outcome.work.close()  # not measured; release the slot it would have filled
        sessions.finish_join(addr, False, 0.0)

    cookie = server.admission.cookie(addr, 0.0)
    retry = _per_datagram(endpoint.handle_datagram, [b"JOIN player-1"] * 8, rounds, repeat, addr)
    joins = []
    for _ in range(repeat):
        batch = [
            b"JOIN p%d %s %s" % (i, issue_ticket(SECRET, "gs-1", f"p{i}", expires_in=600).encode(), cookie)
            for i in range(rounds)
        ]
        started = time.process_time()
        for data in batch:
            admit(data)
        joins.append((time.process_time() - started) / len(batch) * 1e9)
    return {"join-retry": retry, "join-ticket": joins}


def main() -> None:
    """Print the median and the best of the repeats for each mix."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--rounds", type=int, default=20_000, help="batches of 8 datagrams per repeat")
    parser.add_argument("--repeat", type=int, default=7, help="repeats (the median is reported)")
    args = parser.parse_args()
    figures = measure(args.rounds, args.repeat)
    bare = statistics.median(figures["bare"])
    for name, runs in figures.items():
        median = statistics.median(runs)
        print(
            f"{name:11s} {median:7.0f} ns/datagram (best {min(runs):.0f}, {median / bare:5.1f}x bare) "
            f"over {len(runs)} repeats"
        )


if __name__ == "__main__":
    main()
