"""The server's behaviour, as one immutable value (the CLI builds it from flags and environment)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class ServerConfig:
    """How the server behaves (the CLI builds one from flags and environment)."""

    port: int = 7654
    address: str | None = None
    udp: bool = True
    tcp: bool = False
    tcp_idle_timeout: float = 30.0
    tcp_write_timeout: float = 10.0
    tcp_max_per_ip: int = 16
    ready: bool = True
    ready_delay: float = 0.0
    automatic_shutdown_delay: float = 0.0
    ready_iterations: int = 0
    graceful_termination_delay: float = 0.0
    player_tracking: str = "list"
    max_players: int = 0
    idle_timeout: float = 10.0
    shutdown_when_empty: float = 0.0
    admin_token: str | None = None
    join_secret: bytes | None = None  # the matchmaker's ticket secret; None: anyone may join
    max_players_per_ip: int = 4  # sessions per source IP (0: no limit)
    max_players_per_64: int = 4  # sessions per IPv6 /64 (0: no limit)
    insecure_admin: bool = False
    exit_on_shutdown: bool = False
