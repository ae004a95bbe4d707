"""`agones-local-sidecar allocate | state | health | gameserver | reset`: the cluster's hand, from a shell.

Each sub-command sends one request to the `/local/...` control surface of a sidecar that is
already running (found by `--address` and `--http-port`, or their environment variables, as the
server form finds them) and prints one line. Plain `urllib`: a one-shot client needs no more.

Exit codes: 0 done, 1 no sidecar answering or the sidecar refused, 2 bad input.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import urllib.error
import urllib.request
from collections.abc import Sequence
from typing import Any

from aioagones._constants import DEFAULT_HOST, DEFAULT_HTTP_PORT, ENV_HTTP_PORT, format_host_port
from aioagones._flags import OneLineParser
from aioagones._reading import ReadError, load_yaml

__all__ = ["COMMANDS", "ENV_ADDRESS", "main"]

COMMANDS = ("allocate", "state", "health", "gameserver", "reset")
ENV_ADDRESS = "AGONES_LOCAL_ADDRESS"
"""Where the sidecar listens: the server form and the sub-commands both read it."""
TIMEOUT_SECONDS = 10.0
PROG = "agones-local-sidecar"


class _Refused(Exception):
    pass


class _BadInput(Exception):
    pass


def _pair(text: str) -> tuple[str, str]:
    name, sep, value = text.partition("=")
    if not sep or not name:
        raise argparse.ArgumentTypeError(f"{text!r} is not NAME=VALUE")
    return name, value


def _number_pair(text: str) -> tuple[str, int]:
    name, value = _pair(text)
    try:
        return name, int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r}: {value!r} is not a whole number") from None


def _parser() -> OneLineParser:
    env = os.environ
    common = OneLineParser(add_help=False)
    common.add_argument(
        "--address",
        default=env.get(ENV_ADDRESS, DEFAULT_HOST),
        help=f"where the sidecar listens (env {ENV_ADDRESS}; default {DEFAULT_HOST}; '::' means this machine)",
    )
    common.add_argument(
        "--http-port",
        type=int,
        default=int(env.get(ENV_HTTP_PORT) or DEFAULT_HTTP_PORT),
        help=f"the sidecar's HTTP port (env {ENV_HTTP_PORT}; default {DEFAULT_HTTP_PORT})",
    )
    parser = OneLineParser(prog=PROG, description="Act as the cluster on a running agones-local-sidecar.")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=OneLineParser)
    allocate = commands.add_parser(
        "allocate",
        parents=[common],
        help="allocate the GameServer, as a GameServerAllocation would",
        description="Allocate the GameServer (it must be Ready, or Allocated), as a GameServerAllocation "
        "would: state Allocated, metadata merged, counter and list actions applied as Agones' allocator does.",
    )
    allocate.add_argument(
        "-f",
        "--file",
        help="a GameServerAllocation manifest (YAML or JSON) to apply; its selectors are ignored (there is one "
        "GameServer); the flags below add to it",
    )
    allocate.add_argument("--label", type=_pair, action="append", default=[], metavar="KEY=VALUE")
    allocate.add_argument("--annotation", type=_pair, action="append", default=[], metavar="KEY=VALUE")
    allocate.add_argument(
        "--counter",
        type=_number_pair,
        action="append",
        default=[],
        metavar="NAME=+N|-N",
        help="increment (+N) or decrement (-N) a counter, clamped to [0, capacity]",
    )
    allocate.add_argument("--counter-capacity", type=_number_pair, action="append", default=[], metavar="NAME=N")
    allocate.add_argument("--list-add", type=_pair, action="append", default=[], metavar="NAME=VALUE")
    allocate.add_argument("--list-delete", type=_pair, action="append", default=[], metavar="NAME=VALUE")
    allocate.add_argument("--list-capacity", type=_number_pair, action="append", default=[], metavar="NAME=N")
    state = commands.add_parser(
        "state",
        parents=[common],
        help="put the GameServer into any state",
        description="Put the GameServer into any state (Ready, Reserved, Allocated, Shutdown, Unhealthy, ...).",
    )
    state.add_argument("state")
    health = commands.add_parser(
        "health",
        parents=[common],
        help="stop or resume health checking",
        description="Stop health checking (the GameServer no longer turns Unhealthy without pings) or resume it.",
    )
    health.add_argument("action", choices=("stop", "resume"))
    commands.add_parser("gameserver", parents=[common], help="print the GameServer as JSON")
    commands.add_parser(
        "reset",
        parents=[common],
        help="start over with a fresh GameServer",
        description="Start over: a fresh GameServer from the same manifest (or the default), as a Fleet would "
        "replace an Unhealthy one; health checking starts again at the game's first call.",
    )
    return parser


def _mapping(value: object, where: str, source: str) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise _BadInput(f"{source}: {where} must be a mapping")
    return value


def parse_allocation(data: bytes, source: str) -> dict[str, Any]:
    """The `spec` of a GameServerAllocation from the bytes of a YAML or JSON document.

    Raises:
        _BadInput: one line naming `source`: not YAML/JSON (bounded as `aioagones._reading` says),
            or a part of the spec that has the wrong shape.
    """
    try:
        doc = load_yaml(data)
    except ReadError as exc:
        raise _BadInput(f"{source}: {exc}") from None
    spec = doc.get("spec", {}) if isinstance(doc, dict) else None
    if not isinstance(spec, dict):
        raise _BadInput(f"{source}: expected a GameServerAllocation (a mapping with a spec)")
    meta = _mapping(spec.get("metadata"), "spec.metadata", source)
    for part in ("labels", "annotations"):
        for key, value in _mapping(meta.get(part), f"spec.metadata.{part}", source).items():
            if not isinstance(key, str) or not isinstance(value, str):
                raise _BadInput(f"{source}: spec.metadata.{part} must map strings to strings")
    for part in ("counters", "lists"):
        for name, action in _mapping(spec.get(part), f"spec.{part}", source).items():
            _mapping(action, f"spec.{part}.{name}", source)
    return spec


def _read_allocation(path: str) -> dict[str, Any]:
    try:
        with open(path, "rb") as file:
            data = file.read()
    except OSError as exc:
        raise _BadInput(f"{path}: cannot read: {exc.strerror or exc}") from None
    return parse_allocation(data, path)


def _allocation(args: argparse.Namespace) -> dict[str, Any]:
    spec = _read_allocation(args.file) if args.file else {}
    meta = spec.get("metadata") or {}
    labels = {**(meta.get("labels") or {}), **dict(args.label)}
    annotations = {**(meta.get("annotations") or {}), **dict(args.annotation)}
    counters: dict[str, dict[str, Any]] = dict(spec.get("counters") or {})
    for name, diff in args.counter:
        counters.setdefault(name, {}).update(action="Increment" if diff >= 0 else "Decrement", amount=abs(diff))
    for name, capacity in args.counter_capacity:
        counters.setdefault(name, {})["capacity"] = capacity
    lists: dict[str, dict[str, Any]] = dict(spec.get("lists") or {})
    for name, value in args.list_add:
        lists.setdefault(name, {}).setdefault("addValues", []).append(value)
    for name, value in args.list_delete:
        lists.setdefault(name, {}).setdefault("deleteValues", []).append(value)
    for name, capacity in args.list_capacity:
        lists.setdefault(name, {})["capacity"] = capacity
    return {
        "metadata": {"labels": labels, "annotations": annotations},
        "counters": counters,
        "lists": lists,
    }


def _request(base: str, method: str, path: str, body: object = None) -> Any:
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(base + path, data=data, method=method)
    request.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:
            return json.load(response)
    except urllib.error.HTTPError as exc:
        try:
            message = json.load(exc).get("message", "")
        except (ValueError, AttributeError):
            message = ""
        raise _Refused(f"the sidecar refused: {message or exc.reason} (HTTP {exc.code})") from None
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise _Refused(
            f"no local sidecar answers at {base} ({reason}); start one with `agones-local-sidecar`, "
            f"or point --address/--http-port (env {ENV_ADDRESS}/{ENV_HTTP_PORT}) at it"
        ) from None


def main(argv: Sequence[str]) -> int:
    """Run one sub-command; returns the exit code."""
    parser = _parser()
    args = parser.parse_args(argv)
    host = DEFAULT_HOST if args.address in ("", "::", "[::]", "0.0.0.0") else args.address
    base = "http://" + format_host_port(host, args.http_port)
    try:
        if args.command == "allocate":
            try:
                allocation = _allocation(args)
            except _BadInput as exc:
                parser.exit(2, f"{PROG} allocate: error: {exc}\n")
            reply = _request(base, "POST", "/local/allocate", allocation)
            ports = ", ".join(f"{p['name']}={p['port']}" for p in reply["ports"]) or "none"
            print(
                f"allocated GameServer {reply['gameServerName']}: address {reply['address'] or 'none'}, ports {ports}"
            )
            for warning in reply["warnings"]:
                print(f"{PROG}: warning: {warning}", file=sys.stderr)
        elif args.command == "state":
            gs = _request(base, "POST", "/local/state", {"state": args.state})
            print(f"GameServer {gs['object_meta']['name']}: state {gs['status']['state']}")
        elif args.command == "health":
            _request(base, "POST", "/local/health", {"checking": args.action == "resume"})
            print("health checking " + ("resumed" if args.action == "resume" else "stopped"))
        elif args.command == "reset":
            gs = _request(base, "POST", "/local/reset", {})
            print(f"GameServer {gs['object_meta']['name']}: started over, state {gs['status']['state']}")
        else:
            print(json.dumps(_request(base, "GET", "/local/gameserver"), indent=2))
    except _Refused as exc:
        print(f"{PROG} {args.command}: error: {exc}", file=sys.stderr)
        return 1
    return 0
