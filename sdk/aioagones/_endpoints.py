"""Where a player connects: the one rule shared by `Status`, `Allocation` and the load client.

Under `portPolicy: None` (what this project deploys) a game server listens on its containerPort
in its own Pod, so a player connects to a **Pod IP** on that port: every `PodIP` entry of the
GameServer's addresses, IPv6 first, then IPv4, each in the order Agones lists them. `address`
and the node's entries are never used: nothing listens on the node for a `None` port. With no
Pod IP yet (Agones 1.58+ can make a GameServer Ready or Allocated before its Pod has IPs) the
rule raises `NoPodIPError`, which says to watch the GameServer or ask again in a moment.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from dataclasses import dataclass

from ._constants import format_host_port
from ._errors import NoPodIPError, PortNotFoundError

POD_IP = "PodIP"


@dataclass(frozen=True, slots=True)
class Endpoint:
    """A host and port a player connects to; `str()` gives `[2001:db8::7]:7777` or `203.0.113.7:7777`."""

    host: str
    port: int

    @property
    def family(self) -> int:
        """6 for an IPv6 host, 4 for an IPv4 host."""
        return ipaddress.ip_address(self.host).version

    def __str__(self) -> str:
        return format_host_port(self.host, self.port)


def pod_endpoints(
    addresses: Iterable[tuple[str, str]],
    ports: Iterable[tuple[str, int]],
    port_name: str = "default",
    *,
    game_server: str = "",
) -> tuple[Endpoint, ...]:
    """The endpoints for `port_name`: Pod IPs, IPv6 first; `(type, address)` and `(name, port)` pairs in.

    Raises PortNotFoundError when no port has that name, NoPodIPError when there is no Pod IP yet.
    """
    ports = list(ports)
    port = next((number for name, number in ports if name == port_name), None)
    who = f"GameServer {game_server!r}" if game_server else "the GameServer"
    if port is None:
        names = ", ".join(repr(name) for name, _ in ports) or "none"
        raise PortNotFoundError(f"{who} has no port named {port_name!r} (its ports: {names})")
    v6: list[str] = []
    v4: list[str] = []
    for kind, text in addresses:
        if kind != POD_IP:
            continue
        try:
            ip = ipaddress.ip_address(text)
        except ValueError:
            continue  # not an IP: no endpoint a player could use
        family = v6 if ip.version == 6 else v4
        if ip.compressed not in family:
            family.append(ip.compressed)
    if not v6 and not v4:
        raise NoPodIPError(
            f"{who} has no Pod IP yet (Agones 1.58+ can allocate before the Pod has its IPs): "
            "watch the GameServer until its addresses hold a PodIP entry, or read it again in a moment; "
            "do not use its node address, where nothing listens for portPolicy None"
        )
    return tuple(Endpoint(host, port) for host in (*v6, *v4))
