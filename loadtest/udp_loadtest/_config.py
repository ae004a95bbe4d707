"""A load test's settings and their checks, the targets, and what each worker is given."""

from __future__ import annotations

import os
import socket
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from sample_server.protocol import ACK_PREFIX, JOIN_WORD
from udp_loadtest._errors import LoadTestError
from udp_loadtest._fields import FieldError, flag, integer, items, number, obj, text

__all__ = [
    "LoadTestConfig",
    "WorkerSpec",
    "config_from_dict",
    "default_workers",
    "format_address",
    "parse_target",
    "resolve",
    "worker_specs",
]


def default_workers() -> int:
    """The number of cores this process may run on."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):  # not Linux
        return max(1, os.cpu_count() or 1)


def parse_target(text: str) -> tuple[str, int]:
    """Split ``HOST:PORT`` or ``[v6]:PORT`` into host and port.

    Raises:
        LoadTestError: no port, a port that is not a number in 1-65535, or a bare IPv6 address.
    """
    text = text.strip()
    if text.startswith("["):
        host, sep, port = text[1:].partition("]:")
        if not sep or not host:
            raise LoadTestError(f"target {text!r}: write an IPv6 target as [ADDRESS]:PORT, e.g. [::1]:7777")
    else:
        host, sep, port = text.rpartition(":")
        if not sep or not host:
            raise LoadTestError(f"target {text!r}: write it as HOST:PORT, e.g. 127.0.0.1:7777")
        if ":" in host:
            raise LoadTestError(f"target {text!r}: write an IPv6 target as [ADDRESS]:PORT, e.g. [::1]:7777")
    try:
        number = int(port)
    except ValueError:
        raise LoadTestError(f"target {text!r}: {port!r} is not a port number") from None
    if not 0 < number < 65536:
        raise LoadTestError(f"target {text!r}: the port must be between 1 and 65535")
    return host, number


def format_address(host: str, port: int) -> str:
    """``HOST:PORT``, or ``[HOST]:PORT`` when the host is an IPv6 address (it holds a colon)."""
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


@dataclass(frozen=True)
class LoadTestConfig:
    """One load test: where, how many clients, how fast and for how long.

    ``rate`` is the total over all clients; each client sends ``rate / clients`` datagrams per second.
    ``targets`` lists ``(host, port)`` pairs; ``host`` and ``port`` are the shorthand for one target.
    ``start_at`` (Unix seconds) is when the warm-up starts, so that several runs start together.
    """

    host: str = ""
    port: int = 0
    clients: int = 10
    rate: float = 600.0
    duration: float = 10.0
    warmup: float = 1.0
    payload_size: int = 64
    workers: int = 1
    reply_timeout: float = 1.0
    join: bool = False
    targets: tuple[tuple[str, int], ...] = ()
    start_at: float | None = None
    join_reply: str = (ACK_PREFIX + JOIN_WORD).decode()
    keep_going: bool = False
    keep_raw: bool = False
    run_id: str = ""
    label: str = ""

    def all_targets(self) -> tuple[tuple[str, int], ...]:
        """Every target, ``(host, port)`` first when given."""
        return (((self.host, self.port),) if self.host or self.port else ()) + self.targets

    def check(self) -> None:
        """Raise :class:`LoadTestError` naming the first setting that cannot work."""
        targets = self.all_targets()
        if not targets:
            raise LoadTestError("no target: give HOST:PORT (one or more) or --targets FILE")
        for _, port in targets:
            if not 0 < port < 65536:
                raise LoadTestError(f"port must be between 1 and 65535, not {port}")
        if self.clients < 1:
            raise LoadTestError("--clients must be at least 1")
        if self.clients < len(targets):
            raise LoadTestError(f"{len(targets)} targets need at least as many --clients (one per target)")
        if not self.rate > 0:
            raise LoadTestError("the rate must be more than 0 datagrams per second")
        if self.rate / self.clients > 1_000_000:
            raise LoadTestError("more than a million datagrams per second per client: use more clients")
        if not self.duration > 0:
            raise LoadTestError("--duration must be more than 0 seconds")
        if self.warmup < 0:
            raise LoadTestError("--warmup cannot be negative")
        if not 1 <= self.payload_size <= 65000:
            raise LoadTestError("--payload-size must be between 1 and 65000 bytes")
        if self.workers < 1:
            raise LoadTestError("--workers must be at least 1")
        if not self.reply_timeout > 0:
            raise LoadTestError("--reply-timeout must be more than 0 seconds")
        if self.rate * (self.duration + self.warmup) > 2_000_000_000:
            raise LoadTestError("that schedule is too long: lower the rate or the duration")
        if not self.join_reply:
            raise LoadTestError("--join-reply cannot be empty")
        if self.start_at is not None and self.start_at > time.time() + 86400:
            raise LoadTestError("--start-at is more than a day away: is the date right?")


def config_from_dict(data: Any, path: str = "config") -> LoadTestConfig:
    """The settings of a result file, checked field by field; a missing field takes its default.

    Raises:
        FieldError: a field of the wrong type or out of range.
    """
    data = obj(data, path)
    kw: dict[str, Any] = {}
    checks: dict[str, Callable[[Any, str], Any]] = {
        "host": text, "port": lambda v, p: integer(v, p, 0, 65535), "clients": lambda v, p: integer(v, p, 1),
        "rate": _positive, "duration": _positive, "warmup": _not_negative, "payload_size": integer,
        "workers": lambda v, p: integer(v, p, 1), "reply_timeout": _positive, "join": flag,
        "start_at": lambda v, p: None if v is None else number(v, p), "join_reply": text, "keep_going": flag,
        "keep_raw": flag, "run_id": text, "label": text,
    }  # fmt: skip
    for name, check in checks.items():
        if name in data:
            kw[name] = check(data[name], f"{path}.{name}")
    if "targets" in data:
        pairs = items(data["targets"], f"{path}.targets")
        for i, pair in enumerate(pairs):
            if not isinstance(pair, list) or len(pair) != 2:
                raise FieldError(f"{path}.targets[{i}] must be a pair [host, port]")
        kw["targets"] = tuple(
            (text(h, f"{path}.targets[{i}][0]"), integer(p, f"{path}.targets[{i}][1]", 0, 65535))
            for i, (h, p) in enumerate(pairs)
        )
    return LoadTestConfig(**kw)


def _positive(value: Any, path: str) -> float:
    if not number(value, path) > 0:
        raise FieldError(f"{path} must be more than 0")
    return float(value)


def _not_negative(value: Any, path: str) -> float:
    if number(value, path) < 0:
        raise FieldError(f"{path} cannot be negative")
    return float(value)


def resolve(host: str, port: int) -> tuple[int, tuple[Any, ...]]:
    """Return the address family and socket address of ``host`` (a literal, ``[v6]`` or a name).

    Raises:
        LoadTestError: the name does not resolve.
    """
    name = host[1:-1] if host.startswith("[") and host.endswith("]") else host
    try:
        infos = socket.getaddrinfo(name, port, type=socket.SOCK_DGRAM)
    except (socket.gaierror, UnicodeError) as exc:
        reason = exc.strerror if isinstance(exc, socket.gaierror) else str(exc)
        raise LoadTestError(f"cannot resolve {host!r}: {reason}") from None
    family, _, _, _, sockaddr = infos[0]
    return int(family), tuple(sockaddr)


@dataclass(frozen=True)
class WorkerSpec:
    """What one worker does; picklable, so it crosses into a worker process.

    Client ``c`` talks to target ``c % len(targets)``, so the clients are spread evenly over the targets.
    """

    targets: tuple[tuple[int, tuple[object, ...]], ...]  # (family, sockaddr) of every target
    clients: tuple[int, ...]  # global client ids, increasing
    total_clients: int
    rate: float  # datagrams per second over all clients of all workers
    warmup_ns: int
    duration_ns: int
    payload_size: int
    reply_timeout_ns: int
    join: bool = False
    player_prefix: str = "lt"
    join_reply: bytes = ACK_PREFIX + JOIN_WORD
    keep_going: bool = False
    keep_raw: bool = False

    def target_of(self, client: int) -> int:
        """The index of the target that ``client`` sends to."""
        return client % len(self.targets)


def worker_specs(config: LoadTestConfig, targets: Sequence[tuple[int, tuple[Any, ...]]]) -> list[WorkerSpec]:
    """Share ``config``'s clients among its workers (every W-th client each); at most one worker per client."""
    workers = min(config.workers, config.clients)
    prefix = f"lt{os.getpid()}"
    return [
        WorkerSpec(
            targets=tuple(targets),
            clients=tuple(range(w, config.clients, workers)),
            total_clients=config.clients,
            rate=config.rate,
            warmup_ns=int(config.warmup * 1e9),
            duration_ns=int(config.duration * 1e9),
            payload_size=config.payload_size,
            reply_timeout_ns=int(config.reply_timeout * 1e9),
            join=config.join,
            player_prefix=prefix,
            join_reply=config.join_reply.encode(),
            keep_going=config.keep_going,
            keep_raw=config.keep_raw,
        )
        for w in range(workers)
    ]
