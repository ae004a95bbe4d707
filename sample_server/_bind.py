"""Binding the server's sockets: one dual-stack `[::]` socket, IPv4 when IPv6 is off, or one address."""

from __future__ import annotations

import contextlib
import errno
import logging
import socket
from typing import Any

from aioagones._constants import format_host_port

log = logging.getLogger(__name__)

_RCVBUF = 4 * 1024 * 1024
_NO_IPV6 = (errno.EADDRNOTAVAIL, errno.EAFNOSUPPORT, errno.EPROTONOSUPPORT)
_PICKS = 32
"""How many ports `bind_pair` tries when the kernel's pick for UDP is taken for TCP."""


def bind_udp(address: str | None, port: int) -> socket.socket:
    """A non-blocking UDP socket: `[::]` dual-stack, else `0.0.0.0`, or exactly `address`."""
    sock = _bind(socket.SOCK_DGRAM, address, port)
    with contextlib.suppress(OSError):
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, _RCVBUF)
    return sock


def bind_tcp(address: str | None, port: int, flag: str = "--port") -> socket.socket:
    """A listening TCP socket on the same terms as `bind_udp`; `flag`: the one a port in use names."""
    return _bind(socket.SOCK_STREAM, address, port, flag)


def bind_pair(address: str | None, port: int) -> tuple[socket.socket, socket.socket]:
    """UDP and TCP sockets on one port, as `bind_udp` and `bind_tcp` bind them.

    With port 0 the kernel picks a port free for UDP, which may be the local port of a TCP
    connection (both come from the ephemeral range): then another port is picked. The refused
    UDP sockets stay open until the end so that the kernel cannot hand out the same port again.
    """
    refused: list[socket.socket] = []
    try:
        for _ in range(_PICKS):
            udp = bind_udp(address, port)
            try:
                return udp, bind_tcp(address, udp.getsockname()[1])
            except OSError as exc:
                if port != 0 or exc.errno != errno.EADDRINUSE:
                    udp.close()
                    raise
                refused.append(udp)
        what = f"no port free for both UDP and TCP after {_PICKS} tries (give one with --port)"
        raise OSError(errno.EADDRINUSE, what)
    finally:
        for sock in refused:
            sock.close()


def stack_note(sock: socket.socket) -> str:
    """` (dual-stack: IPv6 and IPv4)` for a socket on `[::]` that takes both, else nothing."""
    if sock.family == socket.AF_INET6 and sock.getsockname()[0] == "::":
        return " (dual-stack: IPv6 and IPv4)"
    return ""


def _bind(kind: socket.SocketKind, address: str | None, port: int, flag: str = "--port") -> socket.socket:
    if address is not None:
        infos = socket.getaddrinfo(address, port, type=kind, flags=socket.AI_NUMERICHOST | socket.AI_PASSIVE)
        family, _, _, _, sockaddr = infos[0]
        sock = socket.socket(family, kind)
        _prepare(sock, kind)
        try:
            _bind_to(sock, kind, sockaddr, flag)
        except BaseException:
            sock.close()
            raise
        return sock
    try:
        sock = socket.socket(socket.AF_INET6, kind)
    except OSError as exc:
        if exc.errno not in _NO_IPV6:
            raise
        log.warning("IPv6 is not available here (%s): listening on 0.0.0.0 (IPv4 only)", exc.strerror)
        return _bind(kind, "0.0.0.0", port, flag)
    try:
        sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
        _prepare(sock, kind)
        _bind_to(sock, kind, ("::", port), flag)
    except OSError as exc:
        sock.close()
        if exc.errno in _NO_IPV6:
            log.warning("IPv6 is disabled here (%s): listening on 0.0.0.0 (IPv4 only)", exc.strerror)
            return _bind(kind, "0.0.0.0", port, flag)
        raise
    return sock


def _bind_to(sock: socket.socket, kind: socket.SocketKind, sockaddr: tuple[Any, ...], flag: str) -> None:
    try:
        sock.bind(sockaddr)
    except OSError as exc:
        if exc.errno != errno.EADDRINUSE:
            raise
        what = "UDP" if kind == socket.SOCK_DGRAM else "TCP"
        raise OSError(
            exc.errno,
            f"{what} {format_host_port(sockaddr[0], sockaddr[1])} is already in use (pick another {flag})",
        ) from None


def _prepare(sock: socket.socket, kind: socket.SocketKind) -> None:
    sock.setblocking(False)
    if kind == socket.SOCK_STREAM:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
