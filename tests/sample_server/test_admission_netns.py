"""The slot-filling attack of issue 17, from other hosts: two network namespaces, one of them spoofing.

The server runs here, in the root namespace, on its dual-stack socket. Namespace P holds a real
player; namespace A the attacker, who sends (a) sixteen JOINs from sixteen source ports of its
own address, doing the cookie round trip honestly, (b) sixteen JOINs from sixteen spoofed source
addresses (bound with IP_FREEBIND or IP_TRANSPARENT, so it never gets their replies), with guessed cookies, and
(c) a spoofed LEAVE, GAMESERVER and keep-alive from the real player's address and port. Prefixes
come from the documentation ranges, checked free first (test_pod_netns); nothing is sent
anywhere else. Needs root and iproute2.
"""

from __future__ import annotations

import asyncio
import ipaddress
import json
import sys
from typing import Any

import pytest

from aioagones.tickets import issue_ticket
from sample_server._admission import host_of
from sample_server._server import ServerConfig

from .._wait import until
from ._harness import Running, running
from .test_pod_netns import IP, _pod, pytestmark  # noqa: F401 (pytestmark: the same root/ip skips)

SECRET = b"n" * 32
GS = "arena-1"
CAPACITY = 16

_PLAYER = r"""
import json, socket, sys
a = json.loads(sys.argv[1])
s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
s.bind((a["me"], 0))
s.settimeout(2)
words = b"JOIN real" + (b" " + a["ticket"].encode() if a["ticket"] else b"")
s.sendto(words, (a["server"], a["port"]))
reply = s.recv(2048)
s.sendto(words + b" " + reply.split()[1], (a["server"], a["port"]))
print(json.dumps({"port": s.getsockname()[1], "reply": s.recv(2048).decode()}))
"""

_ATTACKER = r"""
import json, socket, sys
a = json.loads(sys.argv[1])
IP_FREEBIND, IP_TRANSPARENT = 15, 19
out = {"ports": [], "heard": 0}
keep = []
for i in range(16):  # (a) sixteen source ports of the attacker's own address, cookie round trip and all
    s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
    s.bind((a["me"], 0))
    s.settimeout(2)
    target = (a["server"], a["port"])
    s.sendto(b"JOIN x%d" % i, target)
    reply = s.recv(2048)
    if reply.startswith(b"RETRY "):
        s.sendto(b"JOIN x%d %s" % (i, reply.split()[1]), target)
        reply = s.recv(2048)
    out["ports"].append(reply.decode())
    keep.append(s)
def spoofed(family, source, target, *datagrams):
    s = socket.socket(family, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_IP, IP_FREEBIND, 1)
    if family == socket.AF_INET:  # IPv4 routes a foreign source only for a transparent socket
        s.setsockopt(socket.SOL_IP, IP_TRANSPARENT, 1)
    s.bind(source)
    s.setblocking(False)
    for d in datagrams:
        s.sendto(d, target)
    keep.append(s)
for i, src in enumerate(a["spoof"]):  # (b) sixteen addresses that are not the attacker's
    family = socket.AF_INET6 if ":" in src else socket.AF_INET
    target = (a["server"] if family == socket.AF_INET6 else a["server4"], a["port"])
    guesses = [b"JOIN s%d" % i, b"JOIN s%d AAAAAAAAAAAA" % i, b"JOIN s%d BBBBBBBBBBBB" % i]
    spoofed(family, (src, 40000 + i), target, *guesses)
# (c) the real player's address and port: LEAVE (with a guess), a read, a keep-alive
spoofed(socket.AF_INET6, (a["player"], a["player_port"]), (a["server"], a["port"]),
        b"LEAVE", b"LEAVE AAAAAAAAAAAA", b"GAMESERVER", b"keepalive")
import select, time
end = time.monotonic() + 0.5
while (left := end - time.monotonic()) > 0:  # nothing sent to a spoofed source may come back here
    ready, _, _ = select.select(keep[16:], [], [], left)
    for s in ready:
        try:
            s.recv(2048)
            out["heard"] += 1
        except BlockingIOError:
            pass
print(json.dumps(out))
"""


async def _run_in(netns: str, script: str, args: dict[str, Any]) -> dict[str, Any]:
    assert IP is not None
    proc = await asyncio.create_subprocess_exec(
        IP, "netns", "exec", netns, sys.executable, "-c", script, json.dumps(args),
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    async with asyncio.timeout(30):
        out, err = await proc.communicate()
    assert proc.returncode == 0, err.decode()
    result: dict[str, Any] = json.loads(out)
    return result


def _manifest() -> dict[str, Any]:
    return {
        "apiVersion": "agones.dev/v1",
        "kind": "GameServer",
        "metadata": {"name": GS},
        "spec": {"lists": {"players": {"capacity": CAPACITY, "values": []}}},
    }


def _host_side(pod_ip: str) -> str:
    """The root namespace's address on the same veth (the pair's first host address)."""
    ip = ipaddress.ip_address(pod_ip)
    return str(ip - 1)


async def _attack(r: Running, player_ns: str, player6: str, attacker_ns: str, attacker6: str, attacker4: str) -> Any:
    ticket = issue_ticket(SECRET, GS, "real", expires_in=60) if r.server.admission.tickets else ""
    player = await _run_in(
        player_ns, _PLAYER, {"me": player6, "server": _host_side(player6), "port": r.port, "ticket": ticket}
    )
    assert player["reply"].startswith("ACK: JOIN real "), player
    session = r.server.sessions.by_address[(player6, player["port"], 0, 0)]
    seen = session.last_seen
    net6 = ipaddress.IPv6Network(f"{attacker6}/64", strict=False)
    net4 = ipaddress.IPv4Network(f"{attacker4}/29", strict=False)
    spoof = [str(net6[0x1000 + i]) for i in range(12)] + [str(net4[i]) for i in (3, 4, 5, 6)]
    args = {
        "me": attacker6,
        "server": _host_side(attacker6),
        "server4": _host_side(attacker4),
        "port": r.port,
        "spoof": spoof,
        "player": player6,
        "player_port": player["port"],
    }
    attack = await _run_in(attacker_ns, _ATTACKER, args)
    # the spoofed datagrams did arrive: each JOIN got a cookie sent to its source, each LEAVE a refusal
    await until(lambda: r.server.metrics.join_cookies >= 1 + 16 + 3 * 16 and r.server.metrics.refused >= 2)
    assert session.last_seen == seen, "a spoofed datagram refreshed the player's idle timer"
    assert r.server.sessions.by_address.get((player6, player["port"], 0, 0)) is session
    assert attack["heard"] == 0
    return attack


@pytest.mark.parametrize("tickets", [True, False], ids=["with-tickets", "without-tickets"])
async def test_sixteen_joins_from_ports_and_spoofed_addresses_cannot_fill_the_server(tickets: bool) -> None:
    config = ServerConfig(join_secret=SECRET if tickets else None, idle_timeout=60)
    with _pod() as (player_ns, player6, _), _pod() as (attacker_ns, attacker6, attacker4):
        async with running(config, _manifest()) as r:
            attack = await _attack(r, player_ns, player6, attacker_ns, attacker6, attacker4)
            ids = r.server.sessions.player_ids
            values = r.sidecar.game_server.status.lists["players"].values
            spoofed = [a for a in r.server.sessions.by_address if host_of(a) not in (player6, attacker6)]
            assert spoofed == [] and not any(i.startswith("s") for i in values)
            if tickets:
                assert set(attack["ports"]) == {"ERROR: ticket needed\n"}
                assert ids == ["real"] and values == ("real",)
            else:
                # the attacker's address (and its /64) holds its share, no more; the real player is in
                assert sum(r.startswith("ACK: JOIN x") for r in attack["ports"]) == 4
                assert attack["ports"].count("ERROR: address full\n") == 12
                assert ids[0] == "real" and len(ids) == 5 and set(values) == set(ids)
            assert len(r.server.sessions) < CAPACITY
