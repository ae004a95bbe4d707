"""`/local/...`: the cluster's hand on the HTTP port (the real sidecar has no such prefix).

Each route reads a parsed JSON body and answers a JSON value; `_http` serves them, `agones-local-sidecar
allocate | state | health | gameserver` (`_client`) calls them.

- `GET /local/gameserver`: the GameServer (as `/gameserver`, but not recorded as an SDK call).
- `POST /local/state` `{"state": "Reserved"}`: put the GameServer into any state.
- `POST /local/allocate`: a GameServerAllocation's `spec` (or the whole object):
  `{"metadata": {"labels": {...}, "annotations": {...}}, "counters": {"rooms": {"action":
  "Increment", "amount": 1, "capacity": 10}}, "lists": {"players": {"addValues": ["p1"],
  "deleteValues": [], "capacity": 10}}}`; answers `{"state": "Allocated", "gameServerName", "address",
  "addresses", "ports", "warnings"}`.
- `POST /local/health` `{"checking": false}`: stop (or, with true, resume) health checking.
- `POST /local/reset`: start over with a fresh GameServer from the same manifest; answers it.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from aioagones.local._convert import game_server_pb, to_json
from aioagones.local._core import SidecarCore
from aioagones.local._state import Allocation, CounterAction, ListAction

__all__ = ["CONTROL_ROUTES", "BadRequest", "ControlRoute", "allocation_from_json"]


class BadRequest(Exception):
    """A request body or parameter that cannot be read: INVALID_ARGUMENT, with a message naming the field."""


@dataclass(frozen=True)
class ControlRoute:
    """One route of `/local/...`."""

    method: str
    path: str
    run: Callable[[SidecarCore, object], object]
    """Given the core and the parsed body (None when empty), the reply's JSON value."""
    summary: str
    body: str | None = None
    """The body, as the REST reference shows it; None: no body."""


def _object(value: object, where: str = "the body") -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise BadRequest(f"{where}: expected a JSON object")
    return {str(k): v for k, v in value.items()}


def _opt(action: object, key: str, kind: type[Any], where: str) -> Any:
    if not isinstance(action, dict):
        raise BadRequest(f"{where}: expected a JSON object")
    value = action.get(key)
    if value is None:
        return None
    if kind is int and isinstance(value, str) and re.fullmatch(r"-?\d+", value):
        value = int(value)  # int64 may come as a string, as Kubernetes writes it
    if not isinstance(value, kind) or isinstance(value, bool):
        raise BadRequest(f"{where}.{key}: expected {'an integer' if kind is int else 'a string'}")
    return value


def _strings(value: object, where: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise BadRequest(f"{where}: expected a list of strings")
    return tuple(value)


def _string_map(value: object, where: str) -> dict[str, str]:
    items = _object(value, where)
    if not all(isinstance(v, str) for v in items.values()):
        raise BadRequest(f"{where}: expected a mapping of strings")
    return items


def allocation_from_json(body: object) -> Allocation:
    """The `Allocation` a `/local/allocate` body asks for (a GameServerAllocation or its `spec`).

    Raises:
        BadRequest: naming the field that has the wrong type.
    """
    whole = _object(body)
    spec = _object(whole.get("spec", whole), "spec")
    meta = _object(spec.get("metadata"), "metadata")
    counters = {
        name: CounterAction(
            action=_opt(action, "action", str, f"counters.{name}"),
            amount=_opt(action, "amount", int, f"counters.{name}"),
            capacity=_opt(action, "capacity", int, f"counters.{name}"),
        )
        for name, action in _object(spec.get("counters"), "counters").items()
    }
    lists = {
        name: ListAction(
            add_values=_strings(action.get("addValues"), f"lists.{name}.addValues"),
            delete_values=_strings(action.get("deleteValues"), f"lists.{name}.deleteValues"),
            capacity=_opt(action, "capacity", int, f"lists.{name}"),
        )
        for name, action in _object(spec.get("lists"), "lists").items()
        if _object(action, f"lists.{name}") is not None
    }
    return Allocation(
        labels=_string_map(meta.get("labels"), "metadata.labels"),
        annotations=_string_map(meta.get("annotations"), "metadata.annotations"),
        counters=counters,
        lists=lists,
    )


def _game_server(core: SidecarCore, body: object) -> object:
    return to_json(game_server_pb(core.rules.game_server))


def _state(core: SidecarCore, body: object) -> object:
    state = _object(body).get("state")
    if not isinstance(state, str):
        raise BadRequest('expected {"state": "<a GameServer state, e.g. Reserved>"}')
    core.set_state(state)
    return _game_server(core, None)


def _allocate(core: SidecarCore, body: object) -> object:
    warnings = core.allocate(allocation_from_json(body))
    gs = to_json(game_server_pb(core.rules.game_server))
    status = gs["status"]
    return {
        "state": "Allocated",
        "gameServerName": gs["object_meta"]["name"],
        "address": status["address"],
        "addresses": status["addresses"],
        "ports": status["ports"],
        "warnings": warnings,
    }


def _health(core: SidecarCore, body: object) -> object:
    checking = _object(body).get("checking")
    if not isinstance(checking, bool):
        raise BadRequest('expected {"checking": false} (stop health checking) or {"checking": true} (resume)')
    core.set_health_checking(checking)
    return {"checking": checking}


def _reset(core: SidecarCore, body: object) -> object:
    core.reset("reset")
    return _game_server(core, None)


CONTROL_ROUTES: tuple[ControlRoute, ...] = (
    ControlRoute("GET", "/local/gameserver", _game_server, "The GameServer (not recorded as an SDK call)."),
    ControlRoute("POST", "/local/state", _state, "Put the GameServer into any state.", '{"state": "Reserved"}'),
    ControlRoute(
        "POST",
        "/local/allocate",
        _allocate,
        "Allocate the GameServer as a GameServerAllocation would.",
        '{"metadata": {"labels": {"map": "harbor"}}, "counters": {"rooms": {"action": "Increment", "amount": 1}}, '
        '"lists": {"players": {"addValues": ["p1"]}}}',
    ),
    ControlRoute(
        "POST", "/local/health", _health, "Stop (false) or resume (true) health checking.", '{"checking": false}'
    ),
    ControlRoute(
        "POST",
        "/local/reset",
        _reset,
        "Start over: a fresh GameServer from the same manifest; health checking waits for the game's first call.",
    ),
)
