"""Per-source limits in bounded memory: who a peer is for a limit, and token buckets by source.

A source is the peer's IP address, or its /64 for IPv6 (one host usually holds a whole /64, so
counting single IPv6 addresses would limit nobody); an IPv4-mapped IPv6 address counts as its
IPv4 address, so the dual-stack socket sees one source either way.

`SourceBuckets` keeps a fixed number of token buckets and maps each source to one of them by a
keyed hash (Python's SipHash with a random key per process, so nobody can aim many sources at one
bucket on purpose).
Memory does not grow with the number of sources; two sources that share a bucket share its
budget, which errs on the side of refusing. Time enters as an argument; no I/O here.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Hashable
from typing import Any

_DEFAULT_SLOTS = 4096


def source_of(peer: Hashable) -> str:
    """The source a peer counts as: its IPv4 address or its IPv6 /64, as text.

    `peer` is a socket address (`(host, port, ...)`) or a TCP peer (`("tcp", host, port, ...)`).
    Hosts come from the socket, so in canonical form: a string test tells the families apart
    (this runs for every refusal and public read, where `ipaddress` would cost microseconds).
    """
    host = _host(peer)
    if ":" not in host:
        return host  # IPv4
    if host.startswith("::ffff:") and "." in host:
        return host[7:]  # IPv4-mapped: the same source as over IPv4
    try:
        packed = socket.inet_pton(socket.AF_INET6, host.partition("%")[0])
    except OSError:
        return host
    return packed[:8].hex() + "/64"


def _host(peer: Any) -> str:
    if isinstance(peer, tuple) and peer:
        if peer[0] == "tcp" and len(peer) > 1:
            return str(peer[1])
        return str(peer[0])
    return str(peer)


class SourceBuckets:
    """Token buckets by source: `rate` tokens a second, at most `burst`, in `slots` buckets.

    Args:
        rate: tokens added per second (0: none; a spent budget then never comes back).
        burst: the most a bucket holds, and what a new source starts with.
        slots: how many buckets; memory is fixed by this, whatever the number of sources.
    """

    __slots__ = ("_burst", "_key", "_last", "_rate", "_slots", "_tokens")

    def __init__(self, rate: float, burst: float, slots: int = _DEFAULT_SLOTS) -> None:
        self._rate = rate
        self._burst = burst
        self._slots = slots
        self._tokens = [burst] * slots
        self._last = [0.0] * slots
        self._key = os.urandom(16)  # mixed into the hash, so even a fixed PYTHONHASHSEED is not enough

    def _slot(self, source: str) -> int:
        # str hashes are SipHash keyed with a random per-process secret (unless PYTHONHASHSEED fixes it)
        return hash((self._key, source)) % self._slots

    def _refill(self, slot: int, now: float) -> float:
        elapsed = now - self._last[slot]
        tokens = self._tokens[slot]
        if elapsed > 0:
            tokens = min(self._burst, tokens + elapsed * self._rate)
            self._tokens[slot] = tokens
            self._last[slot] = now
        return tokens

    def take(self, peer: Hashable, now: float) -> bool:
        """Spend one token of `peer`'s source; False (nothing spent) when its bucket is empty."""
        slot = self._slot(source_of(peer))
        if self._refill(slot, now) < 1:
            return False
        self._tokens[slot] -= 1
        return True

    def empty(self, peer: Hashable, now: float) -> bool:
        """Whether `peer`'s source has no whole token left (nothing spent)."""
        return self._refill(self._slot(source_of(peer)), now) < 1
