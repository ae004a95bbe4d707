"""A Pod on this machine: a network namespace with a veth pair, reached directly by both Pod IPs.

The namespace plays the Pod: it runs `agones-local-sidecar -f <manifest>` (portPolicy None,
containerPort 7777) and `sample-game-server`, and gets one IPv6 address from 2001:db8::/32 and
one IPv4 address from 198.51.100.0/24 (documentation ranges). From the root namespace, the
test reaches the server by each Pod IP, and asks the sidecar (by Pod IP too) for the GameServer.
Nothing is sent to an address the test did not create. Needs root and iproute2 (`ip`).
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import json
import os
import random
import re
import shutil
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
import yaml

from aioagones import SDK

from ._harness import Client

IP = shutil.which("ip")
pytestmark = [
    pytest.mark.skipif(os.geteuid() != 0, reason="creating a network namespace needs root"),
    pytest.mark.skipif(IP is None, reason="needs iproute2 (the `ip` command)"),
]

TOKEN = "pod-test-token-of-22-characters"
CONTAINER_PORT = 7777
SIDECAR_PORT = 9357

MANIFEST = {
    "apiVersion": "agones.dev/v1",
    "kind": "GameServer",
    "metadata": {"name": "sample-none"},
    "spec": {
        "ports": [{"name": "default", "portPolicy": "None", "containerPort": CONTAINER_PORT, "protocol": "UDP"}],
        "lists": {"players": {"capacity": 8, "values": []}},
        "template": {"spec": {"containers": [{"name": "game", "image": "sample-game-server:test"}]}},
    },
}


def _ip(*args: str, netns: str | None = None, check: bool = True) -> str:
    assert IP is not None
    cmd = [IP, "netns", "exec", netns, IP, *args] if netns else [IP, *args]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=20, check=False)
    if check and done.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)}: {done.stderr.strip()}")
    return done.stdout


def _used_networks() -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    """Every route (but the default ones) and every address already on this machine."""
    nets: list[ipaddress.IPv4Network | ipaddress.IPv6Network] = []
    for family in ("-4", "-6"):
        for route in json.loads(_ip("-j", family, "route", "show", "table", "all") or "[]"):
            dst = route.get("dst", "default")
            if dst in ("default", "local", "") or route.get("type") in ("local", "broadcast", "multicast"):
                continue
            with contextlib.suppress(ValueError):
                nets.append(ipaddress.ip_network(dst, strict=False))
        for link in json.loads(_ip("-j", family, "addr", "show") or "[]"):
            for a in link.get("addr_info", []):
                nets.append(ipaddress.ip_network(f"{a['local']}/{a['prefixlen']}", strict=False))
    return nets


def _free_prefixes() -> tuple[ipaddress.IPv6Network, ipaddress.IPv4Network]:
    """A /64 of 2001:db8::/32 and a /29 of 198.51.100.0/24 that nothing here routes yet."""
    used = _used_networks()
    rng = random.Random()

    def free(net: ipaddress.IPv4Network | ipaddress.IPv6Network) -> bool:
        return not any(net.version == u.version and net.overlaps(u) for u in used)

    v4 = [n for n in ipaddress.IPv4Network("198.51.100.0/24").subnets(new_prefix=29) if free(n)]
    v6 = None
    for _ in range(64):  # a random /64 of 2001:db8::/32
        candidate = ipaddress.IPv6Network(f"2001:db8:{rng.randrange(1, 0xFFFF):x}::/64")
        if free(candidate):
            v6 = candidate
            break
    if not v4 or v6 is None:
        pytest.fail("every candidate prefix in 2001:db8::/32 or 198.51.100.0/24 is already routed here")
    return v6, rng.choice(v4)


@contextlib.contextmanager
def _pod() -> Iterator[tuple[str, str, str]]:
    """Create the namespace and veth pair; yield (netns, Pod IPv6, Pod IPv4); always clean up."""
    v6, v4 = _free_prefixes()
    tag = f"{os.getpid() % 100000}{random.randrange(100)}"
    netns, host_if, pod_if = f"sgs-pod-{tag}", f"sgsh{tag}", f"sgsp{tag}"
    host6, pod6 = str(v6[1]), str(v6[2])
    host4, pod4 = str(v4[1]), str(v4[2])
    try:
        _ip("netns", "add", netns)
        _ip("link", "add", host_if, "type", "veth", "peer", "name", pod_if)
        _ip("link", "set", pod_if, "netns", netns)
        _ip("addr", "add", f"{host4}/{v4.prefixlen}", "dev", host_if)
        _ip("-6", "addr", "add", f"{host6}/64", "dev", host_if, "nodad")
        _ip("link", "set", host_if, "up")
        _ip("link", "set", "lo", "up", netns=netns)
        _ip("addr", "add", f"{pod4}/{v4.prefixlen}", "dev", pod_if, netns=netns)
        _ip("-6", "addr", "add", f"{pod6}/64", "dev", pod_if, "nodad", netns=netns)
        _ip("link", "set", pod_if, "up", netns=netns)
        yield netns, pod6, pod4
    finally:
        _ip("netns", "del", netns, check=False)  # takes the Pod end, and so the pair, with it
        _ip("link", "del", host_if, check=False)


@contextlib.asynccontextmanager
async def _in_pod(netns: str, *cmd: str, ready: str, env: dict[str, str]) -> AsyncIterator[list[str]]:
    """Run `cmd` inside the namespace until a stderr line matches `ready`; yield the lines so far."""
    assert IP is not None
    proc = await asyncio.create_subprocess_exec(
        IP,
        "netns",
        "exec",
        netns,
        *cmd,
        env={**os.environ, **env},
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )
    lines: list[str] = []
    try:
        assert proc.stderr is not None
        async with asyncio.timeout(30):
            while True:
                line = (await proc.stderr.readline()).decode()
                if not line:
                    raise AssertionError(f"{cmd[0]} exited early:\n{''.join(lines)}")
                lines.append(line)
                if re.search(ready, line):
                    break

        async def drain() -> None:
            assert proc.stderr is not None
            while line := await proc.stderr.readline():
                lines.append(line.decode())

        drainer = asyncio.create_task(drain())
        yield lines
    finally:
        if proc.returncode is None:
            proc.terminate()
            try:
                async with asyncio.timeout(10):
                    await proc.wait()
            except TimeoutError:
                proc.kill()
                await proc.wait()
        with contextlib.suppress(NameError):
            drainer.cancel()


async def test_pod_reached_directly_by_both_pod_ips(tmp_path: Path) -> None:
    manifest = tmp_path / "gameserver-none.yaml"
    manifest.write_text(yaml.safe_dump(MANIFEST))
    bindir = Path(sys.executable).parent
    with _pod() as (netns, pod6, pod4):
        sidecar_cmd = (
            str(bindir / "agones-local-sidecar"),
            "-f",
            str(manifest),
            "--address",
            "::",
            "--grpc-port",
            str(SIDECAR_PORT),
        )
        server_cmd = (str(bindir / "sample-game-server"), "--admin-token", TOKEN, "--loop", "asyncio")
        env = {"AGONES_SDK_GRPC_HOST": "localhost", "AGONES_SDK_GRPC_PORT": str(SIDECAR_PORT)}
        async with (
            _in_pod(netns, *sidecar_cmd, ready="serving GameServer", env=env),
            _in_pod(netns, *server_cmd, ready="reachable by Pod IP", env=env) as server_log,
        ):
            text = "".join(server_log)
            assert f"listening on UDP [::]:{CONTAINER_PORT} (dual-stack" in text
            assert f"[{pod6}]:{CONTAINER_PORT}" in text and f"{pod4}:{CONTAINER_PORT}" in text

            replies = {}
            for pod_ip in (pod6, pod4):
                with Client(pod_ip, CONTAINER_PORT) as c:
                    replies[pod_ip] = [
                        await c.ask(b"hello pod"),
                        await c.join(b"player-" + pod_ip.encode().replace(b":", b"-")),
                        await c.ask(b"ADMIN " + TOKEN.encode() + b" GET_LIST_LENGTH players"),
                        await c.leave(),
                    ]
            assert replies[pod6][0] == replies[pod4][0] == b"ACK: hello pod\n"
            assert replies[pod6][1].startswith(b"ACK: JOIN player-")
            assert replies[pod4][1] == b"ACK: JOIN player-" + pod4.encode() + b"\n"
            assert replies[pod6][2] == b"LENGTH: 1\n"
            assert replies[pod6][3] == b"ACK: LEAVE\n"

            # The GameServer, asked from outside the Pod through the sidecar's Pod IP
            async with SDK(pod6, SIDECAR_PORT, connect_timeout=10, health_interval=None) as sdk:
                gs = await sdk.get_game_server()
            assert gs.status.port("default") == CONTAINER_PORT
            assert set(gs.status.pod_ips) == {pod6, pod4}
            assert gs.status.state == "Ready"
