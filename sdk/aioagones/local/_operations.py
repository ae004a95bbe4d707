"""Every SDK call of the local sidecar, once: its gRPC name, its REST route, and what it does.

Both front ends (gRPC in `_servicers`, HTTP/JSON in `_http`) are built from `OPERATIONS`, so a
call cannot behave differently on the two. Each row holds the protobuf request and reply types,
the REST route as Agones' `google.api.http` options declare it, the name Agones' conformance test
records for the call, how to run it on the `SidecarCore`, and how to log it in one line.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from google.protobuf.message import Message

from aioagones._pb import alpha_pb2, beta_pb2, sdk_pb2
from aioagones.local._convert import counter_pb, game_server_pb, list_pb
from aioagones.local._core import SidecarCore, rfc3339
from aioagones.local._state import Code, SidecarError

__all__ = ["OPERATIONS", "Operation", "Streaming"]

SDK = "agones.dev.sdk.SDK"
ALPHA = "agones.dev.sdk.alpha.SDK"
BETA = "agones.dev.sdk.beta.SDK"


class Streaming(enum.Enum):
    """How a call streams on gRPC (REST serves a request stream as one message per request)."""

    NONE = "none"
    REQUESTS = "requests"
    REPLIES = "replies"


@dataclass(frozen=True)
class Operation:
    """One SDK call, as both front ends serve it."""

    service: str
    method: str
    request: type[Message]
    reply: type[Message]
    http_method: str
    http_path: str
    """The route; `{field}` or `{field.sub}` segments fill request fields."""
    body: str | None
    """`*`: the JSON body is the request; a field name: the body is that field; None: no body."""
    call: str
    """The name `SidecarCore.calls` records, as Agones' conformance test expects it."""
    run: Callable[[SidecarCore, Any], Message]
    args: Callable[[Any], str] = lambda _: ""
    show: Callable[[Any], str] | None = None
    """The reply in the log line; None: the GameServer's state after the call."""
    streaming: Streaming = Streaming.NONE
    finer_calls: Callable[[Any], list[str]] = lambda _: []
    """Finer names recorded before `call` (Agones' conformance test expects them for some updates)."""
    reads_only: bool = False
    """Changes nothing: a look (a developer's curl, too) is not a game process taking the GameServer over."""


def _q(text: str) -> str:
    return repr(text)


def _ok(_: object) -> str:
    return "ok"


def _empty(run: Callable[[SidecarCore, Any], object], reply: type[Message] = sdk_pb2.Empty) -> Callable[..., Message]:
    def wrapped(core: SidecarCore, request: Any) -> Message:
        run(core, request)
        return reply()

    return wrapped


def _allocate(core: SidecarCore, _: object) -> None:
    core.rules.allocate(timestamp=rfc3339(core.wall_clock()))


def _update_counter(core: SidecarCore, request: beta_pb2.UpdateCounterRequest) -> beta_pb2.Counter:
    if not request.HasField("counterUpdateRequest"):
        raise SidecarError(Code.INVALID_ARGUMENT, "invalid argument. CounterUpdateRequest cannot be nil")
    update = request.counterUpdateRequest
    count = update.count.value if update.HasField("count") else None
    capacity = update.capacity.value if update.HasField("capacity") else None
    counter = core.rules.update_counter(update.name, count=count, capacity=capacity, count_diff=update.countDiff)
    return counter_pb(update.name, counter)


def _counter_calls(request: beta_pb2.UpdateCounterRequest) -> list[str]:
    update = request.counterUpdateRequest
    return ["setcapacitycounter"] * update.HasField("capacity") + ["setcountcounter"] * update.HasField("count")


def _update_counter_args(request: beta_pb2.UpdateCounterRequest) -> str:
    update = request.counterUpdateRequest
    args = [f"name={_q(update.name)}"]
    if update.HasField("capacity"):
        args.append(f"capacity={update.capacity.value}")
    if update.HasField("count"):
        args.append(f"count={update.count.value}")
    if update.countDiff:
        args.append(f"countDiff={update.countDiff:+d}")
    return ", ".join(args)


def _update_list(core: SidecarCore, request: beta_pb2.UpdateListRequest) -> beta_pb2.List:
    if not request.HasField("list") or not request.HasField("update_mask"):
        raise SidecarError(Code.INVALID_ARGUMENT, "invalid argument. List and UpdateMask cannot be nil")
    lst = request.list
    updated = core.rules.update_list(
        lst.name, list(request.update_mask.paths), capacity=lst.capacity, values=lst.values
    )
    return list_pb(lst.name, updated)


def _update_list_args(request: beta_pb2.UpdateListRequest) -> str:
    lst = request.list
    paths = list(request.update_mask.paths)
    return f"name={_q(lst.name)}, mask={paths}, capacity={lst.capacity}, values={list(lst.values)}"


def _counter_line(counter: beta_pb2.Counter) -> str:
    return f"{counter.name} {counter.count}/{counter.capacity}"


def _list_line(lst: beta_pb2.List) -> str:
    return f"{lst.name} {list(lst.values)} capacity {lst.capacity}"


def _player(request: alpha_pb2.PlayerID) -> str:
    return f"playerID={_q(request.playerID)}"


def _name(request: Any) -> str:
    return f"name={_q(request.name)}"


def _name_value(request: Any) -> str:
    return f"name={_q(request.name)}, value={_q(request.value)}"


def _key_value(request: sdk_pb2.KeyValue) -> str:
    return f"key={_q(request.key)}, value={_q(request.value)}"


def _ping(core: SidecarCore, _: object) -> sdk_pb2.Empty:
    core.ping()
    return sdk_pb2.Empty()


def _no_run(core: SidecarCore, _: object) -> Message:
    raise AssertionError("streamed by the front end")  # pragma: no cover


def _show_bool(reply: alpha_pb2.Bool) -> str:
    return str(reply.bool)


def _show_count(reply: alpha_pb2.Count) -> str:
    return str(reply.count)


OPERATIONS: tuple[Operation, ...] = (
    Operation(
        SDK, "Ready", sdk_pb2.Empty, sdk_pb2.Empty, "POST", "/ready", "*", "ready",
        _empty(lambda core, _: core.rules.ready()),
    ),
    Operation(
        SDK, "Allocate", sdk_pb2.Empty, sdk_pb2.Empty, "POST", "/allocate", "*", "allocate", _empty(_allocate),
    ),
    Operation(
        SDK, "Shutdown", sdk_pb2.Empty, sdk_pb2.Empty, "POST", "/shutdown", "*", "shutdown",
        _empty(lambda core, _: core.rules.shutdown()),
    ),
    Operation(
        SDK, "Reserve", sdk_pb2.Duration, sdk_pb2.Empty, "POST", "/reserve", "*", "reserve",
        _empty(lambda core, r: core.rules.reserve(r.seconds, core.clock())),
        args=lambda r: f"seconds={r.seconds}",
    ),
    Operation(
        SDK, "Health", sdk_pb2.Empty, sdk_pb2.Empty, "POST", "/health", "*", "health", _ping,
        streaming=Streaming.REQUESTS,
    ),
    Operation(
        SDK, "GetGameServer", sdk_pb2.Empty, sdk_pb2.GameServer, "GET", "/gameserver", None, "gameserver",
        lambda core, _: game_server_pb(core.rules.game_server),
        show=lambda gs: f"{gs.object_meta.name}, state {gs.status.state}",
        reads_only=True,
    ),
    Operation(
        SDK, "WatchGameServer", sdk_pb2.Empty, sdk_pb2.GameServer, "GET", "/watch/gameserver", None, "watch",
        _no_run, streaming=Streaming.REPLIES,
        reads_only=True,
    ),
    Operation(
        SDK, "SetLabel", sdk_pb2.KeyValue, sdk_pb2.Empty, "PUT", "/metadata/label", "*", "setlabel",
        _empty(lambda core, r: core.rules.set_label(r.key, r.value)), args=_key_value, show=_ok,
    ),
    Operation(
        SDK, "SetAnnotation", sdk_pb2.KeyValue, sdk_pb2.Empty, "PUT", "/metadata/annotation", "*", "setannotation",
        _empty(lambda core, r: core.rules.set_annotation(r.key, r.value)), args=_key_value, show=_ok,
    ),
    Operation(
        ALPHA, "PlayerConnect", alpha_pb2.PlayerID, alpha_pb2.Bool, "POST", "/alpha/player/connect", "*",
        "playerconnect", lambda core, r: alpha_pb2.Bool(bool=core.rules.player_connect(r.playerID)),
        args=_player, show=_show_bool,
    ),
    Operation(
        ALPHA, "PlayerDisconnect", alpha_pb2.PlayerID, alpha_pb2.Bool, "POST", "/alpha/player/disconnect", "*",
        "playerdisconnect", lambda core, r: alpha_pb2.Bool(bool=core.rules.player_disconnect(r.playerID)),
        args=_player, show=_show_bool,
    ),
    Operation(
        ALPHA, "SetPlayerCapacity", alpha_pb2.Count, alpha_pb2.Empty, "PUT", "/alpha/player/capacity", "*",
        "setplayercapacity", _empty(lambda core, r: core.rules.set_player_capacity(r.count), alpha_pb2.Empty),
        args=lambda r: f"count={r.count}", show=_ok,
    ),
    Operation(
        ALPHA, "GetPlayerCapacity", alpha_pb2.Empty, alpha_pb2.Count, "GET", "/alpha/player/capacity", None,
        "getplayercapacity", lambda core, _: alpha_pb2.Count(count=core.rules.player_capacity()), show=_show_count,
        reads_only=True,
    ),
    Operation(
        ALPHA, "GetPlayerCount", alpha_pb2.Empty, alpha_pb2.Count, "GET", "/alpha/player/count", None,
        "getplayercount", lambda core, _: alpha_pb2.Count(count=core.rules.player_count()), show=_show_count,
        reads_only=True,
    ),
    Operation(
        ALPHA, "IsPlayerConnected", alpha_pb2.PlayerID, alpha_pb2.Bool, "GET", "/alpha/player/connected/{playerID}",
        None, "isplayerconnected", lambda core, r: alpha_pb2.Bool(bool=core.rules.is_player_connected(r.playerID)),
        args=_player, show=_show_bool,
        reads_only=True,
    ),
    Operation(
        ALPHA, "GetConnectedPlayers", alpha_pb2.Empty, alpha_pb2.PlayerIDList, "GET", "/alpha/player/connected",
        None, "getconnectedplayers", lambda core, _: alpha_pb2.PlayerIDList(list=core.rules.connected_players()),
        show=lambda ids: str(list(ids.list)),
        reads_only=True,
    ),
    Operation(
        BETA, "GetCounter", beta_pb2.GetCounterRequest, beta_pb2.Counter, "GET", "/v1beta1/counters/{name}", None,
        "getcounter", lambda core, r: counter_pb(r.name, core.rules.get_counter(r.name)),
        args=_name, show=_counter_line,
        reads_only=True,
    ),
    Operation(
        BETA, "UpdateCounter", beta_pb2.UpdateCounterRequest, beta_pb2.Counter, "PATCH",
        "/v1beta1/counters/{counterUpdateRequest.name}", "counterUpdateRequest", "updatecounter", _update_counter,
        args=_update_counter_args, show=_counter_line, finer_calls=_counter_calls,
    ),
    Operation(
        BETA, "GetList", beta_pb2.GetListRequest, beta_pb2.List, "GET", "/v1beta1/lists/{name}", None, "getlist",
        lambda core, r: list_pb(r.name, core.rules.get_list(r.name)), args=_name, show=_list_line,
        reads_only=True,
    ),
    Operation(
        BETA, "UpdateList", beta_pb2.UpdateListRequest, beta_pb2.List, "PATCH", "/v1beta1/lists/{list.name}", "list",
        "updatelist", _update_list, args=_update_list_args, show=_list_line,
    ),
    Operation(
        BETA, "AddListValue", beta_pb2.AddListValueRequest, beta_pb2.List, "POST", "/v1beta1/lists/{name}:addValue",
        "*", "addlistvalue", lambda core, r: list_pb(r.name, core.rules.add_list_value(r.name, r.value)),
        args=_name_value, show=_list_line,
    ),
    Operation(
        BETA, "RemoveListValue", beta_pb2.RemoveListValueRequest, beta_pb2.List, "POST",
        "/v1beta1/lists/{name}:removeValue", "*", "removelistvalue",
        lambda core, r: list_pb(r.name, core.rules.remove_list_value(r.name, r.value)),
        args=_name_value, show=_list_line,
    ),
)  # fmt: skip
