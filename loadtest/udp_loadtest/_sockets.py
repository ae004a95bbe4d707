"""The client sockets of one worker: opened and connected, the kernel's drop counts, JOIN and LEAVE."""

from __future__ import annotations

import contextlib
import errno
import select
import socket
import time

from sample_server.protocol import ACK_PREFIX, JOIN_WORD, LEAVE_WORD, MAX_DATAGRAM
from udp_loadtest._config import WorkerSpec
from udp_loadtest._counts import WorkerResult
from udp_loadtest._errors import LoadTestError

__all__ = ["REPLY_BUFFER", "error_name", "join_players", "leave_players", "open_sockets", "socket_drops"]

#: Read buffer: the sample server reads MAX_DATAGRAM bytes; other echo servers may answer more.
REPLY_BUFFER = 4 * MAX_DATAGRAM


def error_name(exc: OSError) -> str:
    return errno.errorcode.get(exc.errno or 0, type(exc).__name__)


def open_sockets(spec: WorkerSpec) -> list[socket.socket]:
    """Open and connect one non-blocking UDP socket per client of ``spec``.

    Raises:
        LoadTestError: the address cannot be reached or the process is out of descriptors.
    """
    socks: list[socket.socket] = []
    rcvbuf = 4 << 20 if len(spec.clients) <= 16 else 256 << 10
    sockaddr: tuple[object, ...] = ()
    try:
        for c in spec.clients:
            family, sockaddr = spec.targets[spec.target_of(c)]
            sock = socket.socket(family, socket.SOCK_DGRAM)
            socks.append(sock)
            sock.setblocking(False)
            with contextlib.suppress(OSError):
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
            sock.connect(sockaddr)
    except OSError as exc:
        for sock in socks:
            sock.close()
        if exc.errno in (errno.EMFILE, errno.ENFILE):
            raise LoadTestError(
                f"out of file descriptors after {len(socks)} sockets: raise `ulimit -n`, "
                "or use fewer clients or more workers"
            ) from None
        raise LoadTestError(f"cannot reach {sockaddr[0]} port {sockaddr[1]}: {exc.strerror}") from None
    return socks


def socket_drops(socks: list[socket.socket]) -> int:
    """Return how many datagrams the kernel dropped on these sockets (full receive buffer), if known."""
    ports = set()
    for sock in socks:
        with contextlib.suppress(OSError):
            ports.add(sock.getsockname()[1])
    drops = 0
    for name in ("/proc/net/udp", "/proc/net/udp6"):
        try:
            with open(name) as f:
                lines = f.readlines()[1:]
        except OSError:
            continue
        for line in lines:
            cols = line.split()
            if len(cols) >= 13 and int(cols[1].rsplit(":", 1)[1], 16) in ports:
                drops += int(cols[-1])
    return drops


def join_players(spec: WorkerSpec, socks: list[socket.socket], result: WorkerResult) -> dict[int, bytes]:
    """Send ``JOIN <id>`` from every client and wait (bounded) for the answers, retrying twice.

    A ``RETRY <cookie>`` answer (the server's proof of address) is met at once with the JOIN and
    the cookie. Returns the session secret of each client's ``ACK: JOIN <id> <secret>``, by client
    index, for its LEAVE.
    """
    pending = {i: f"{spec.player_prefix}-{c}".encode() for i, c in enumerate(spec.clients)}
    cookies: dict[int, bytes] = {}
    secrets: dict[int, bytes] = {}
    by_fd = {s.fileno(): i for i, s in enumerate(socks)}
    with select.epoll() as ep:
        for s in socks:
            ep.register(s.fileno(), select.EPOLLIN)
        for _attempt in range(3):
            for i, pid in pending.items():
                with contextlib.suppress(OSError):
                    socks[i].send(JOIN_WORD + b" " + pid + (b" " + cookies[i] if i in cookies else b""))
            deadline = time.monotonic() + spec.reply_timeout_ns / 1e9 / 3
            while pending and (left := deadline - time.monotonic()) > 0:
                for fd, _ in ep.poll(left):
                    i = by_fd[fd]
                    try:
                        data = socks[i].recv(REPLY_BUFFER)
                    except BlockingIOError:
                        continue
                    except OSError as exc:
                        result.join_errors.append(f"JOIN: {exc.strerror}")
                        pending.pop(i, None)
                        continue
                    if i not in pending:
                        continue
                    if data.startswith(b"RETRY ") and len(data.split()) == 2:
                        cookies[i] = data.split()[1]
                        with contextlib.suppress(OSError):
                            socks[i].send(JOIN_WORD + b" " + pending[i] + b" " + cookies[i])
                        continue
                    if data.startswith(spec.join_reply):
                        result.joined += 1
                        if len(words := data.split()) == 4:
                            secrets[i] = words[3]
                    else:
                        result.join_refused += 1
                        text = data.decode("utf-8", "replace").strip()
                        if text not in result.join_errors:
                            result.join_errors.append(text)
                    del pending[i]
            if not pending:
                break
    result.join_unanswered = len(pending)
    return secrets


def leave_players(
    spec: WorkerSpec, socks: list[socket.socket], result: WorkerResult, secrets: dict[int, bytes] | None = None
) -> None:
    """Send ``LEAVE [<session secret>]`` from every client; count the acknowledgements that come back soon."""
    secrets = secrets or {}
    for i, s in enumerate(socks):
        with contextlib.suppress(OSError):
            s.send(LEAVE_WORD + (b" " + secrets[i] if i in secrets else b""))
    waiting = {s.fileno(): s for s in socks}
    deadline = time.monotonic() + min(spec.reply_timeout_ns / 1e9, 0.5)
    with select.epoll() as ep:
        for fd in waiting:
            ep.register(fd, select.EPOLLIN)
        while waiting and (left := deadline - time.monotonic()) > 0:
            for fd, _ in ep.poll(left):
                sock = waiting.get(fd)
                if sock is None:
                    continue
                while True:
                    try:
                        data = sock.recv(REPLY_BUFFER)
                    except OSError:
                        break
                    if data.startswith(ACK_PREFIX + LEAVE_WORD):
                        result.left += 1
                        del waiting[fd]
                        ep.unregister(fd)
                        break
