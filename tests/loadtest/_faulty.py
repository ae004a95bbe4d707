"""A loopback UDP echo server that misbehaves on purpose, and keeps an exact account of it.

It answers ``lt <client> <seq> <sched> ...`` with ``ACK: <text>\\n`` like the sample server, except:
drops every ``drop_every``-th sequence number, delays some, sends some twice, and holds some back until
the client's next datagram has been answered. It decides by sequence number, so the outcome does not
depend on timing, and it counts what the client must see the way the client counts it: at the moment
each reply leaves, per client, a sequence number already sent is a duplicate, one lower than the
highest sent so far is reordered. Only datagrams scheduled after the warm-up are counted.
"""

from __future__ import annotations

import heapq
import socket
import threading
import time
from dataclasses import dataclass, field
from typing import Any

Addr = tuple[Any, ...]


@dataclass
class Faults:
    """Which sequence numbers get which treatment (``seq % every == at``); 0 turns one off."""

    drop_every: int = 0
    delay_every: int = 0
    delay_at: int = 0
    delay_s: float = 0.0
    late_every: int = 0  # delayed past the reply timeout
    late_at: int = 0
    late_s: float = 0.0
    dup_every: int = 0
    dup_at: int = 0
    hold_every: int = 0
    hold_at: int = 0
    silent: bool = False  # read everything, answer nothing
    join_reply: bytes | None = None  # the answer to JOIN <id>, default the upstream echo


@dataclass
class Account:
    """What the server did to the counted datagrams."""

    received: int = 0
    dropped: int = 0
    delayed: int = 0
    late: int = 0
    replies: int = 0  # distinct replies sent in time
    late_sent: int = 0  # distinct replies sent after the reply timeout
    duplicated: int = 0
    reordered: int = 0
    joins: int = 0
    leaves: int = 0
    sizes: set[int] = field(default_factory=set)


class FaultyServer:
    """Run with ``with FaultyServer(faults, warmup_ns) as srv:``; ``srv.port`` is its loopback port."""

    def __init__(self, faults: Faults, warmup_ns: int = 0, family: int = socket.AF_INET6) -> None:
        self.faults = faults
        self.warmup_ns = warmup_ns
        self.account = Account()
        self.sock = socket.socket(family, socket.SOCK_DGRAM)
        self.sock.bind(("::1" if family == socket.AF_INET6 else "127.0.0.1", 0))
        self.sock.settimeout(0.002)
        self.port: int = self.sock.getsockname()[1]
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._timers: list[tuple[float, int, bytes, Addr, int, int, bool, bool]] = []
        self._order = 0
        self._max_sent: dict[tuple[Any, Any, int], int] = {}
        self._sent: dict[tuple[Any, Any, int], set[int]] = {}
        self._held: dict[int, tuple[bytes, Addr, int, bool]] = {}

    def __enter__(self) -> FaultyServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        self.sock.close()

    def _send(self, reply: bytes, addr: Addr, client: int, seq: int, counted: bool, late: bool = False) -> None:
        self.sock.sendto(reply, addr)
        key = (addr[0], addr[1], client)  # several load processes may use the same client numbers
        sent = self._sent.setdefault(key, set())
        high = self._max_sent.get(key, -1)
        if seq in sent:
            if counted:
                self.account.duplicated += 1
            return
        sent.add(seq)
        if counted and late:
            self.account.late_sent += 1
        elif counted:
            self.account.replies += 1
        if seq < high:
            if counted:
                self.account.reordered += 1
        else:
            self._max_sent[key] = seq

    def _serve(self) -> None:
        f = self.faults
        acc = self.account
        deadline = time.monotonic() + 30  # bounded whatever the test does
        while not self._stop.is_set() and time.monotonic() < deadline:
            now = time.monotonic()
            while self._timers and self._timers[0][0] <= now:
                _, _, reply, addr, client, seq, counted, late = heapq.heappop(self._timers)
                self._send(reply, addr, client, seq, counted, late)
            try:
                data, addr = self.sock.recvfrom(65536)
            except TimeoutError:
                continue
            if f.silent:
                continue
            words = data.strip().split(b" ")
            if words[0] == b"JOIN":
                acc.joins += 1
                self.sock.sendto(f.join_reply or b"ACK: " + data.strip() + b"\n", addr)
                continue
            if words[0] == b"LEAVE":
                acc.leaves += 1
                self.sock.sendto(b"ACK: LEAVE\n", addr)
                continue
            client, seq, sched = int(words[1]), int(words[2]), int(words[3])
            counted = sched >= self.warmup_ns
            if counted:
                acc.received += 1
                acc.sizes.add(len(data))
            reply = b"ACK: " + data.strip() + b"\n"

            def hit(every: int, at: int, seq: int = seq) -> bool:
                return every > 0 and seq % every == at

            if hit(f.drop_every, f.drop_every - 1):
                acc.dropped += counted
                self._release(client)
                continue
            if hit(f.late_every, f.late_at):
                acc.late += counted
                self._later(f.late_s, reply, addr, client, seq, counted, late=True)
                self._release(client)
                continue
            if hit(f.delay_every, f.delay_at):
                acc.delayed += counted
                self._later(f.delay_s, reply, addr, client, seq, counted)
                self._release(client)
                continue
            if hit(f.hold_every, f.hold_at) and client not in self._held:
                self._held[client] = (reply, addr, seq, counted)
                continue
            self._send(reply, addr, client, seq, counted)
            if hit(f.dup_every, f.dup_at):
                self._send(reply, addr, client, seq, counted)
            self._release(client)
        # Whatever is still held or delayed when the test ends is simply never sent.

    def _later(
        self, delay: float, reply: bytes, addr: Addr, client: int, seq: int, counted: bool, late: bool = False
    ) -> None:
        self._order += 1
        due = time.monotonic() + delay
        heapq.heappush(self._timers, (due, self._order, reply, addr, client, seq, counted, late))

    def _release(self, client: int) -> None:
        held = self._held.pop(client, None)
        if held is not None:
            reply, addr, seq, counted = held
            self._send(reply, addr, client, seq, counted)
