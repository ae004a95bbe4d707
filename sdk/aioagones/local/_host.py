"""What the local sidecar probes on the real machine: free ports, listening sockets, the interface addresses.

Addresses: `status.addresses` gets one `PodIP` entry per address of this machine's network
interfaces, IPv4 first, then IPv6, in interface order. Loopback and link-local addresses are
left out: in a cluster the Pod IPs are the Pod's routable addresses, and a link-local IPv6
address is useless without its zone. If the machine has nothing else (a sandbox, a CI runner
without network), the loopback addresses are used so that `status.address` still works for a
client on the same machine.
"""

from __future__ import annotations

import errno
import ipaddress
import socket
import struct
import sys
from collections.abc import Iterable
from pathlib import Path

__all__ = ["DYNAMIC_PORT_RANGE", "AddressInUseError", "bind_listeners", "free_port", "local_addresses", "port_in_use"]

DYNAMIC_PORT_RANGE = range(7000, 8001)


class AddressInUseError(OSError):
    """The port the sidecar should listen on is taken (another sidecar, most likely).

    Attributes:
        address: `host:port`.
        front_end: `gRPC` or `HTTP`.
    """

    def __init__(self, address: str, front_end: str) -> None:
        super().__init__(errno.EADDRINUSE, f"cannot listen on {address} ({front_end}): address already in use")
        self.address = address
        self.front_end = front_end

    def __str__(self) -> str:
        return str(self.strerror)


def _is_free(port: int, protocol: str) -> bool:
    kinds = {"UDP": [socket.SOCK_DGRAM], "TCP": [socket.SOCK_STREAM]}.get(
        protocol, [socket.SOCK_DGRAM, socket.SOCK_STREAM]
    )
    for kind in kinds:
        with socket.socket(socket.AF_INET, kind) as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                return False
    return True


def free_port(protocol: str, taken: set[int]) -> int:
    """The first port of 7000-8000 not in `taken` that this machine can bind (on loopback).

    Returns 0 when there is none.
    """
    for port in DYNAMIC_PORT_RANGE:
        if port not in taken and _is_free(port, protocol):
            return port
    return 0


def _ipv4_of(name: str) -> str | None:
    import fcntl  # Linux/macOS only; imported here so the module loads everywhere

    siocgifaddr = 0x8915
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        try:
            packed = fcntl.ioctl(sock.fileno(), siocgifaddr, struct.pack("256s", name.encode()[:15]))
        except OSError:
            return None
    return socket.inet_ntoa(packed[20:24])


def _ipv6_from_proc() -> list[tuple[str, str]]:
    try:
        text = Path("/proc/net/if_inet6").read_text()
    except OSError:
        return []
    found = []
    for line in text.splitlines():
        fields = line.split()
        if len(fields) >= 6:
            found.append((fields[5], str(ipaddress.IPv6Address(bytes.fromhex(fields[0])))))
    return found


def _routable(addresses: Iterable[str]) -> list[str]:
    result = []
    for text in addresses:
        ip = ipaddress.ip_address(text)
        if not (ip.is_loopback or ip.is_link_local or ip.is_unspecified) and text not in result:
            result.append(text)
    return result


def local_addresses() -> list[str]:
    """This machine's interface addresses as Pod IPs: IPv4 first, then IPv6 (see the module docstring)."""
    names = [name for _, name in socket.if_nameindex()]
    ipv4: list[str] = []
    ipv6: list[str] = []
    if sys.platform == "linux":
        ipv4 = [a for a in map(_ipv4_of, names) if a]
        by_interface = _ipv6_from_proc()
        order = {name: i for i, name in enumerate(names)}
        ipv6 = [a for _, a in sorted(by_interface, key=lambda item: order.get(item[0], len(order)))]
    else:
        try:
            infos = socket.getaddrinfo(socket.gethostname(), None, proto=socket.IPPROTO_UDP)
        except OSError:
            infos = []
        ipv4 = [str(info[4][0]) for info in infos if info[0] == socket.AF_INET]
        ipv6 = [str(info[4][0]).split("%")[0] for info in infos if info[0] == socket.AF_INET6]
    routable = _routable(ipv4) + _routable(ipv6)
    if routable:
        return routable
    loopback = ["127.0.0.1"]
    if socket.has_ipv6 and any(ipaddress.ip_address(a).is_loopback for a in ipv6):
        loopback.append("::1")
    return loopback


def bind_listeners(host: str, port: int) -> list[socket.socket]:
    """Listening sockets for every address of `host`, all on one port (a free one for 0).

    `::` (or an empty host) is one dual-stack socket, as the gRPC server binds it.
    """
    host = host.strip("[]")
    if host in ("", "::"):
        addresses: list[tuple[int, str]] = [(socket.AF_INET6, "::")]
    else:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
        addresses = list(dict.fromkeys((int(family), str(sockaddr[0])) for family, _, _, _, sockaddr in infos))
    sockets: list[socket.socket] = []
    try:
        for family, address in addresses:
            sock = socket.socket(family, socket.SOCK_STREAM)
            sockets.append(sock)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            if family == socket.AF_INET6:
                # `::` takes IPv4 too (as v4-mapped), like the gRPC server's socket.
                sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0 if address == "::" else 1)
            sock.bind((address, port))
            port = sock.getsockname()[1]
            sock.listen(128)
            sock.setblocking(False)
    except OSError:
        for sock in sockets:
            sock.close()
        raise
    return sockets


def port_in_use(host: str, port: int) -> bool:
    """Whether something listens on `port` of `host` already (checked by binding, then letting go)."""
    if port == 0:
        return False
    try:
        sockets = bind_listeners(host, port)
    except OSError as exc:
        return exc.errno == errno.EADDRINUSE
    for sock in sockets:
        sock.close()
    return False
