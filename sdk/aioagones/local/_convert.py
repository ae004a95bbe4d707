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
import re
from typing import Any, TypeVar

from google.protobuf import json_format
from google.protobuf.descriptor import FieldDescriptor
from google.protobuf.message import Message

from aioagones._pb import beta_pb2, sdk_pb2
from aioagones.local._state import CounterState, GameServerState, ListState

__all__ = ["counter_pb", "from_json", "game_server_pb", "list_pb", "to_json", "unknown_fields"]

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
        google.protobuf.json_format.ParseError: a field has the wrong type or the body is not an object;
            the message names the field and its type, as protojson does (`invalid value for string
            field key: 123`), never Python's own words.
    """
    msg = message_type()
    if data is None:
        return msg
    if not isinstance(data, dict):
        raise json_format.ParseError(f"expected a JSON object, got {json.dumps(data)[:40]}")
    _check(data, message_type.DESCRIPTOR, "")
    json_format.ParseDict(data, msg, ignore_unknown_fields=True)
    return msg


def unknown_fields(data: object, message_type: type[Message]) -> list[str]:
    """The keys of a JSON body that are no field of `message_type` (grpc-gateway drops them silently)."""
    if not isinstance(data, dict):
        return []
    fields = message_type.DESCRIPTOR.fields
    known = {f.name for f in fields} | {f.json_name for f in fields}
    return [str(key) for key in data if key not in known]


_INTEGERS = {
    FieldDescriptor.CPPTYPE_INT32: "int32",
    FieldDescriptor.CPPTYPE_INT64: "int64",
    FieldDescriptor.CPPTYPE_UINT32: "uint32",
    FieldDescriptor.CPPTYPE_UINT64: "uint64",
}


def _scalar_error(field: FieldDescriptor, value: object) -> str | None:
    kind = field.cpp_type
    if kind == FieldDescriptor.CPPTYPE_STRING:
        ok = isinstance(value, str)
        name = "string"
    elif kind == FieldDescriptor.CPPTYPE_BOOL:
        ok, name = isinstance(value, bool), "bool"
    elif kind in _INTEGERS:
        name = _INTEGERS[kind]
        whole = isinstance(value, int) and not isinstance(value, bool)
        ok = whole or (isinstance(value, float) and value.is_integer())
        ok = ok or (isinstance(value, str) and re.fullmatch(r"-?[0-9]+", value.strip()) is not None)
    else:
        return None  # floats, enums, bytes: json_format's own check
    return None if ok else f"invalid value for {name} field {field.name}: {json.dumps(value)[:40]}"


def _check(data: dict[Any, Any], descriptor: Any, prefix: str) -> None:
    fields = {f.name: f for f in descriptor.fields} | {f.json_name: f for f in descriptor.fields}
    for key, value in data.items():
        field = fields.get(key)
        if field is None or value is None:
            continue
        where = f"{prefix}{field.name}"
        if field.is_repeated and not field.message_type:
            if not isinstance(value, list):
                raise json_format.ParseError(f"invalid value for repeated field {where}: {json.dumps(value)[:40]}")
            items = value
        else:
            items = [value]
        for item in items:
            if field.message_type is not None and not field.message_type.GetOptions().map_entry:
                if field.message_type.full_name.startswith("google.protobuf."):
                    # well-known types have their own JSON forms; a wrapper (Int64Value ...) is its value
                    inner = field.message_type.fields_by_name.get("value")
                    if inner is not None and (error := _scalar_error(inner, item)) is not None:
                        raise json_format.ParseError(error.replace("field value:", f"field {where}:"))
                    continue
                if not isinstance(item, dict):
                    raise json_format.ParseError(f"invalid value for message field {where}: {json.dumps(item)[:40]}")
                _check(item, field.message_type, f"{where}.")
            elif field.message_type is None and (error := _scalar_error(field, item)) is not None:
                raise json_format.ParseError(error.replace(f"field {field.name}:", f"field {where}:"))
