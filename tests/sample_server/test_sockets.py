"""Binding: one dual-stack socket, the IPv4 fallback when IPv6 is off, one given address."""

from __future__ import annotations

import errno
import json
import logging
import os
import shutil
import socket
import subprocess
import sys
from typing import Any

import pytest

from sample_server._server import bind_pair, bind_tcp, bind_udp


def test_default_is_one_dual_stack_socket() -> None:
    with bind_udp(None, 0) as sock:
        assert sock.family == socket.AF_INET6
        assert sock.getsockname()[0] == "::"
        assert sock.getsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY) == 0
        assert not sock.getblocking()


@pytest.mark.parametrize("code", [errno.EAFNOSUPPORT, errno.EADDRNOTAVAIL])
def test_falls_back_to_ipv4_when_ipv6_is_off(
    code: int, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    real = socket.socket

    def no_ipv6(family: int = socket.AF_INET, *args: Any, **kw: Any) -> socket.socket:
        if family == socket.AF_INET6:
            raise OSError(code, "IPv6 is off")
        return real(family, *args, **kw)

    monkeypatch.setattr(socket, "socket", no_ipv6)
    with caplog.at_level(logging.WARNING, logger="sample_server"), bind_udp(None, 0) as sock:
        assert sock.family == socket.AF_INET
        assert sock.getsockname()[0] == "0.0.0.0"
    assert "listening on 0.0.0.0" in caplog.text


def test_a_port_in_use_is_an_error_not_a_fallback() -> None:
    with bind_udp(None, 0) as first:
        port = first.getsockname()[1]
        with pytest.raises(OSError) as exc:
            bind_udp(None, port)
        assert exc.value.errno == errno.EADDRINUSE


@pytest.mark.parametrize(("address", "family"), [("127.0.0.1", socket.AF_INET), ("::1", socket.AF_INET6)])
def test_one_address(address: str, family: socket.AddressFamily) -> None:
    with bind_udp(address, 0) as udp, bind_tcp(address, udp.getsockname()[1]) as tcp:
        assert udp.family == tcp.family == family
        assert udp.getsockname()[0] == tcp.getsockname()[0] == address


def test_a_busy_port_names_the_address_and_port() -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as taken:
        taken.bind(("127.0.0.1", 0))
        port = taken.getsockname()[1]
        with pytest.raises(OSError) as exc:
            bind_udp("127.0.0.1", port)
    assert f"127.0.0.1:{port}" in str(exc.value)
    assert "in use" in str(exc.value)


def test_a_pair_on_a_port_taken_for_tcp_names_tcp_and_lets_the_udp_port_go() -> None:
    with socket.socket(socket.AF_INET6, socket.SOCK_STREAM) as taken:
        taken.bind(("::", 0))
        port = taken.getsockname()[1]
        with pytest.raises(OSError) as exc:
            bind_pair(None, port)
        assert "TCP" in str(exc.value)
        assert exc.value.errno == errno.EADDRINUSE
        with bind_udp(None, port) as again:  # the refused pair's UDP socket was closed
            assert again.getsockname()[1] == port


_PICK_IN_A_NARROW_RANGE = r"""
import json, socket
from sample_server._bind import bind_pair
with open("/proc/sys/net/ipv4/ip_local_port_range", "w") as f:
    f.write("40000 40001")
taken = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
taken.bind(("::", 40000))
picks = []
for _ in range(8):
    udp, tcp = bind_pair(None, 0)
    picks.append([udp.getsockname()[1], tcp.getsockname()[1], tcp.type == socket.SOCK_STREAM])
    udp.close()
    tcp.close()
print(json.dumps(picks))
"""


@pytest.mark.skipif(os.geteuid() != 0 or shutil.which("unshare") is None, reason="needs root and unshare")
def test_port_0_skips_a_port_the_kernel_picked_for_udp_but_tcp_holds() -> None:
    # A namespace of our own whose ephemeral range is two ports, the first held for TCP: as when the
    # kernel's UDP pick is the local port of one of our own TCP connections (what CI once met).
    out = subprocess.run(
        ["unshare", "--net", sys.executable, "-c", _PICK_IN_A_NARROW_RANGE],
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    assert json.loads(out.stdout) == [[40001, 40001, True]] * 8
