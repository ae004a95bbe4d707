"""Targets from GameServers (``--gameservers FILE``): each GameServer's Pod IPs on the named port.

The file is what ``kubectl get gameservers -o json`` prints (a List, or one GameServer), or allocation
results as Agones' allocator answers them in JSON (``gameServerName``, ``ports``, ``addresses``; one,
an array of them, or one per line, as ``agones-allocate --json`` appends them). The rule is the
project's one rule for where a player connects: the ``PodIP`` entries of the addresses, IPv6 first,
on the named port; ``address`` (and ``status.address``) is the node's and is never used. A
GameServer's port is its ``containerPort``, where its Pod IPs listen; an allocation result holds only
the status port, which under ``portPolicy: None`` is the same. Nothing here imports the SDK: the load
client reads the JSON itself.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from typing import Any

from udp_loadtest._fields import FieldError, items, obj, text
from udp_loadtest._input import InputError, decode_text, parse_json, read_input

__all__ = [
    "FAMILIES",
    "GAMESERVERS_MAX_BYTES",
    "GAMESERVERS_MAX_DEPTH",
    "GameServerTargets",
    "parse_gameservers_bytes",
    "read_gameservers",
]

#: The largest file read: ``kubectl get gameservers -o json`` of several thousand GameServers.
GAMESERVERS_MAX_BYTES = 64 << 20
#: The deepest nesting read (a GameServer with its managedFields nests about 12 deep).
GAMESERVERS_MAX_DEPTH = 64
#: ``--family`` values: which Pod IPs to aim at.
FAMILIES = ("both", "v6", "v4")


@dataclass(frozen=True)
class GameServerTargets:
    """What a ``--gameservers`` file gave: the targets, and one line for each GameServer left out."""

    targets: tuple[tuple[str, int], ...]
    left_out: tuple[str, ...]


def _entries(value: Any, name: str) -> list[tuple[str, dict[str, Any]]]:
    """(where, object) of every GameServer or allocation result in the parsed file."""
    if isinstance(value, list):
        return [(f"[{i}]", obj(v, f"[{i}]")) for i, v in enumerate(value)]
    value = obj(value, "the file")
    if "items" in value:  # a List (kubectl prints kind "List")
        return [(f"items[{i}]", obj(v, f"items[{i}]")) for i, v in enumerate(items(value["items"], "items"))]
    return [("", value)]


def _named(entries: Any, path: str, port_name: str, key: str) -> int | None:
    """The number ``key`` of the port named ``port_name`` in a ports array, if there is one."""
    for i, port in enumerate(items(entries, path)):
        port = obj(port, f"{path}[{i}]")
        if port.get("name", "") == port_name and key in port:
            number = port[key]
            if type(number) is not int or not 0 < number < 65536:
                raise FieldError(f"{path}[{i}].{key} must be a port number, not {str(number)[:20]!r}")
            return number
    return None


def _one(where: str, entry: dict[str, Any], port_name: str, family: str) -> tuple[list[tuple[str, int]], str]:
    """The targets of one GameServer or allocation result, or why there are none."""
    if "gameServerName" in entry:  # an allocation result
        label = f"allocation of GameServer {text(entry['gameServerName'], where + '.gameServerName')}"
        status, port = entry, _named(_listed(entry, "ports"), _at(where, "ports"), port_name, "port")
        state = ""
    elif entry.get("kind", "GameServer") == "GameServer" and "metadata" in entry:
        meta = obj(entry["metadata"], _at(where, "metadata"))
        label = f"GameServer {text(meta.get('name', '?'), _at(where, 'metadata.name'))}"
        spec = obj(entry.get("spec") or {}, _at(where, "spec"))
        status = obj(entry.get("status") or {}, _at(where, "status"))
        port = _named(_listed(spec, "ports"), _at(where, "spec.ports"), port_name, "containerPort")
        if port is None:
            port = _named(_listed(status, "ports"), _at(where, "status.ports"), port_name, "port")
        state = text(status.get("state") or "", _at(where, "status.state"))
    else:
        kind = str(entry.get("kind", "an object without gameServerName or metadata"))[:40]
        raise FieldError(f"{where or 'the file'} is not a GameServer or an allocation result ({kind})")
    v6: list[str] = []
    v4: list[str] = []
    path = _at(where, "addresses" if status is entry else "status.addresses")
    for i, address in enumerate(items(_listed(status, "addresses"), path)):
        address = obj(address, f"{path}[{i}]")
        if address.get("type") != "PodIP":
            continue
        ip = text(address.get("address"), f"{path}[{i}].address")
        try:
            parsed = ipaddress.ip_address(ip)
        except ValueError:
            raise FieldError(f"{path}[{i}].address is not an IP address: {ip[:60]!r}") from None
        (v6 if parsed.version == 6 else v4).append(parsed.compressed)
    if port is None:
        return [], f"{label}: no port named {port_name!r} (--port-name): left out"
    ips = (v6 if family != "v4" else []) + (v4 if family != "v6" else [])
    if not ips:
        which = {"both": "", "v6": "IPv6 ", "v4": "IPv4 "}[family]
        when = f" (state {state})" if state else ""
        hint = " yet: try again when the Pod has its IPs" if not v6 + v4 else f" (--family {family})"
        return [], f"{label}{when}: no {which}Pod IP{hint}: left out"
    return [(ip, port) for ip in ips], ""


def _listed(data: dict[str, Any], key: str) -> Any:
    """``data[key]``, an array; absent or null (Agones' nullable arrays) is empty."""
    value = data.get(key)
    return [] if value is None else value


def _at(where: str, key: str) -> str:
    return f"{where}.{key}" if where else key


def parse_gameservers_bytes(
    data: bytes, name: str = "--gameservers", port_name: str = "default", family: str = "both"
) -> GameServerTargets:
    """The targets of the GameServers (or allocation results) in ``data``.

    Raises:
        InputError: too large, not UTF-8, not JSON, nested too deep, or not GameServers; one line naming ``name``.
    """
    if len(data) > GAMESERVERS_MAX_BYTES:
        raise InputError(f"{name} is larger than {GAMESERVERS_MAX_BYTES >> 20} MiB: is it the right file?")
    if family not in FAMILIES:
        raise InputError(f"--family {family!r}: give one of {', '.join(FAMILIES)}")
    text_ = decode_text(data, name)
    try:
        values = [parse_json(text_, name, GAMESERVERS_MAX_DEPTH)]
    except InputError:
        # Allocation results appended one per line (agones-allocate --json >> FILE).
        lines = [line for line in text_.splitlines() if line.strip()]
        if len(lines) < 2 or not all(line.lstrip().startswith("{") for line in lines):
            raise
        values = [parse_json(line, f"{name} line {i + 1}", GAMESERVERS_MAX_DEPTH) for i, line in enumerate(lines)]
    targets: list[tuple[str, int]] = []
    left_out: list[str] = []
    try:
        for value in values:
            for where, entry in _entries(value, name):
                found, why = _one(where, entry, port_name, family)
                targets += found
                if why:
                    left_out.append(why)
    except FieldError as exc:
        raise InputError(f"{name}: {exc}") from None
    return GameServerTargets(tuple(targets), tuple(left_out))


def read_gameservers(name: str, port_name: str, family: str) -> GameServerTargets:
    """Read and parse the ``--gameservers`` file ``name`` (``-``: stdin)."""
    data = read_input(name, GAMESERVERS_MAX_BYTES, "--gameservers")
    return parse_gameservers_bytes(data, f"--gameservers {name}", port_name, family)
