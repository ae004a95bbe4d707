"""The one place the local sidecar's domain values become wire values: protobuf, and JSON from it.

gRPC sends the protobuf messages built here. REST sends the same messages as JSON, made the way
Agones' grpc-gateway makes it (protojson with `UseProtoNames` and `EmitUnpopulated`): proto field
names, int64 as strings, every field present (an unset message as `null`). Requests are read the
way grpc-gateway reads them: proto or lowerCamel names, int64 as string or number, unknown fields
ignored. Building JSON from the protobuf message, rather than from the domain values directly,
is what keeps the two front ends from ever disagreeing.
"""

from __future__ import annotations

import json
from typing import Any, TypeVar

from google.protobuf import json_format
from google.protobuf.message import Message

from aioagones._pb import beta_pb2, sdk_pb2
from aioagones.local._state import CounterState, GameServerState, ListState

__all__ = ["counter_pb", "from_json", "game_server_pb", "list_pb", "to_json"]

_M = TypeVar("_M", bound=Message)


def game_server_pb(gs: GameServerState) -> sdk_pb2.GameServer:
    """The GameServer as a new protobuf message (the caller may keep it)."""
    msg = sdk_pb2.GameServer()
    meta = msg.object_meta
    meta.name = gs.name
    meta.namespace = gs.namespace
    meta.uid = gs.uid
    meta.resource_version = gs.resource_version
    meta.generation = gs.generation
    meta.creation_timestamp = gs.creation_timestamp
    meta.labels.update(gs.labels)
    meta.annotations.update(gs.annotations)
    health = msg.spec.health
    health.disabled = gs.health.disabled
    health.period_seconds = gs.health.period_seconds
    health.failure_threshold = gs.health.failure_threshold
    health.initial_delay_seconds = gs.health.initial_delay_seconds
    status = msg.status
    status.state = gs.state
    status.address = gs.address
    for name, port in gs.ports:
        status.ports.add(name=name, port=port)
    for kind, address in gs.addresses:
        status.addresses.add(type=kind, address=address)
    if gs.players is not None:
        status.players.SetInParent()
        status.players.capacity = gs.players.capacity
        status.players.count = len(gs.players.ids)
        status.players.ids.extend(gs.players.ids)
    for name, counter in gs.counters.items():
        status.counters[name].count = counter.count
        status.counters[name].capacity = counter.capacity
    for name, lst in gs.lists.items():
        status.lists[name].capacity = lst.capacity
        status.lists[name].values.extend(lst.values)
    return msg


def counter_pb(name: str, counter: CounterState) -> beta_pb2.Counter:
    """A counter as the beta API returns it."""
    return beta_pb2.Counter(name=name, count=counter.count, capacity=counter.capacity)


def list_pb(name: str, lst: ListState) -> beta_pb2.List:
    """A list as the beta API returns it."""
    return beta_pb2.List(name=name, capacity=lst.capacity, values=lst.values)


def _shaped(msg: Message, out: dict[str, Any]) -> dict[str, Any]:
    # protojson writes fields in declaration order and, with EmitUnpopulated, an unset message
    # field as null; json_format puts unset fields last and leaves unset messages out.
    shaped: dict[str, Any] = {}
    for field in msg.DESCRIPTOR.fields:
        value = getattr(msg, field.name)
        if isinstance(value, Message) and not msg.HasField(field.name):
            shaped[field.name] = None
        elif isinstance(value, Message):
            shaped[field.name] = _shaped(value, out[field.name])
        else:
            shaped[field.name] = out[field.name]
    return shaped


def to_json(msg: Message) -> dict[str, Any]:
    """`msg` as Agones' REST API writes it (proto names, int64 as strings, every field present)."""
    out = json_format.MessageToDict(msg, preserving_proto_field_name=True, always_print_fields_with_no_presence=True)
    return _shaped(msg, out)


def from_json(data: object, message_type: type[_M]) -> _M:
    """A request message from a parsed JSON body, read as grpc-gateway reads it.

    Raises:
        google.protobuf.json_format.ParseError: a field has the wrong type or the body is not an object.
    """
    msg = message_type()
    if data is None:
        return msg
    if not isinstance(data, dict):
        raise json_format.ParseError(f"expected a JSON object, got {json.dumps(data)[:40]}")
    json_format.ParseDict(data, msg, ignore_unknown_fields=True)
    return msg
