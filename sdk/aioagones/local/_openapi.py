"""The local sidecar's REST API as an OpenAPI 3.1 document, made from the tables it serves.

Every SDK route comes from `OPERATIONS` (with the request and reply schemas read from the protobuf
descriptors, as grpc-gateway writes them: proto field names, int64 as strings), every `/local/...`
route from `CONTROL_ROUTES`, so the document cannot drift from what the sidecar serves. The sidecar
serves it at `GET /local/openapi.json`; `docs/openapi.json` is a copy (`python tools/gen_openapi.py`).
"""

from __future__ import annotations

import json
from typing import Any

from google.protobuf.descriptor import FieldDescriptor

from aioagones._version import __version__
from aioagones.local._control import CONTROL_ROUTES
from aioagones.local._operations import OPERATIONS, Operation, Streaming

__all__ = ["OPENAPI_PATH", "SUMMARIES", "openapi_document", "openapi_text"]

OPENAPI_PATH = "/local/openapi.json"

SUMMARIES = {
    "Ready": "Mark the GameServer Ready to take players.",
    "Allocate": "Mark the GameServer Allocated (and set agones.dev/last-allocated).",
    "Shutdown": "Mark the GameServer Shutdown.",
    "Reserve": "Mark the GameServer Reserved; back to Ready after `seconds` (0: until changed).",
    "Health": "One health ping (gRPC streams them; REST sends one per request).",
    "GetGameServer": "The GameServer.",
    "WatchGameServer": 'The GameServer, then each change: one JSON object per line, `{"result": GameServer}`.',
    "SetLabel": "Set a label, stored as `agones.dev/sdk-<key>`.",
    "SetAnnotation": "Set an annotation, stored as `agones.dev/sdk-<key>`.",
    "PlayerConnect": "Add a connected player (alpha); `bool` is false if already connected.",
    "PlayerDisconnect": "Remove a connected player (alpha); `bool` is false if not connected.",
    "SetPlayerCapacity": "Set the player capacity (alpha).",
    "GetPlayerCapacity": "The player capacity (alpha).",
    "GetPlayerCount": "The number of connected players (alpha).",
    "IsPlayerConnected": "Whether a player is connected (alpha).",
    "GetConnectedPlayers": "The connected players' IDs (alpha).",
    "GetCounter": "A counter (beta).",
    "UpdateCounter": "Set a counter's capacity and count, or add `countDiff` (beta).",
    "GetList": "A list (beta).",
    "UpdateList": "Set a list's capacity and/or values (beta); the body's fields make the field mask.",
    "AddListValue": "Add a value to a list (beta).",
    "RemoveListValue": "Remove a value from a list (beta).",
}
"""One line per SDK call, shown in the OpenAPI document and docs/rest.md."""

_LOCAL_REPLIES = {
    "/local/gameserver": "#/components/schemas/agones.dev.sdk.GameServer",
    "/local/state": "#/components/schemas/agones.dev.sdk.GameServer",
    "/local/reset": "#/components/schemas/agones.dev.sdk.GameServer",
}

_ERROR = {
    "type": "object",
    "description": "grpc-gateway's error body; the HTTP status is mapped from the gRPC code.",
    "properties": {
        "code": {"type": "integer", "description": "the gRPC status code"},
        "message": {"type": "string"},
        "details": {"type": "array", "items": {}},
    },
}

_SCHEMAS = "#/components/schemas/"
_ALLOCATED = {
    "type": "object",
    "properties": {
        "state": {"type": "string", "const": "Allocated"},
        "gameServerName": {"type": "string"},
        "address": {"type": "string"},
        "addresses": {
            "type": "array",
            "items": {"$ref": _SCHEMAS + "agones.dev.sdk.GameServer.Status.Address"},
        },
        "ports": {"type": "array", "items": {"$ref": _SCHEMAS + "agones.dev.sdk.GameServer.Status.Port"}},
        "warnings": {"type": "array", "items": {"type": "string"}},
    },
}

_INT64 = "requests also take a number"
_SCALARS: dict[int, dict[str, str]] = {
    FieldDescriptor.CPPTYPE_STRING: {"type": "string"},
    FieldDescriptor.CPPTYPE_BOOL: {"type": "boolean"},
    FieldDescriptor.CPPTYPE_INT32: {"type": "integer", "format": "int32"},
    FieldDescriptor.CPPTYPE_UINT32: {"type": "integer", "format": "uint32"},
    FieldDescriptor.CPPTYPE_INT64: {"type": "string", "format": "int64", "description": "requests also take a number"},
    FieldDescriptor.CPPTYPE_UINT64: {
        "type": "string",
        "format": "uint64",
        "description": "requests also take a number",
    },
    FieldDescriptor.CPPTYPE_DOUBLE: {"type": "number"},
    FieldDescriptor.CPPTYPE_FLOAT: {"type": "number"},
    FieldDescriptor.CPPTYPE_ENUM: {"type": "string"},
}


def _ref(descriptor: Any, schemas: dict[str, Any]) -> dict[str, Any]:
    name = descriptor.full_name
    if name == "google.protobuf.FieldMask":
        return {"type": "string", "description": "field paths, comma-separated"}
    if name.startswith("google.protobuf.") and "value" in descriptor.fields_by_name:
        return _field(descriptor.fields_by_name["value"], schemas)  # a wrapper is its value
    if name not in schemas:
        schemas[name] = {}  # placed first: a message that contains itself refers to it
        schemas[name] = {
            "type": "object",
            "properties": {field.name: _field(field, schemas) for field in descriptor.fields},
        }
    return {"$ref": f"#/components/schemas/{name}"}


def _field(field: Any, schemas: dict[str, Any]) -> dict[str, Any]:
    message = field.message_type
    if message is not None and message.GetOptions().map_entry:
        return {"type": "object", "additionalProperties": _field(message.fields_by_name["value"], schemas)}
    one = _ref(message, schemas) if message is not None else dict(_SCALARS[field.cpp_type])
    return {"type": "array", "items": one} if field.is_repeated else one


def _json(schema: dict[str, Any], description: str = "OK") -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _operation(op: Operation, schemas: dict[str, Any]) -> dict[str, Any]:
    params = [part.split("}")[0] for part in op.http_path.split("{")[1:]]
    spec: dict[str, Any] = {
        "operationId": f"{op.service.split('.')[-2] if op.service.count('.') > 3 else 'stable'}.{op.method}",
        "summary": SUMMARIES[op.method],
        "tags": [op.service],
        "responses": {"200": _json(_ref(op.reply.DESCRIPTOR, schemas)), "default": _json(_ERROR, "an error")},
    }
    if op.streaming is Streaming.REPLIES:
        result = {"type": "object", "properties": {"result": _ref(op.reply.DESCRIPTOR, schemas)}}
        spec["responses"]["200"] = _json(result, "chunked: one such object per line, the first at once")
    if params:
        spec["parameters"] = [
            {"name": name, "in": "path", "required": True, "schema": {"type": "string"}} for name in params
        ]
    if op.body is not None:
        body = op.request.DESCRIPTOR if op.body == "*" else op.request.DESCRIPTOR.fields_by_name[op.body].message_type
        spec["requestBody"] = {"required": False, "content": {"application/json": {"schema": _ref(body, schemas)}}}
    return spec


def openapi_document() -> dict[str, Any]:
    """The OpenAPI 3.1 document of every route the sidecar's HTTP port serves."""
    schemas: dict[str, Any] = {}
    paths: dict[str, dict[str, Any]] = {}
    for op in OPERATIONS:
        paths.setdefault(op.http_path, {})[op.http_method.lower()] = _operation(op, schemas)
    for route in CONTROL_ROUTES:
        reply: dict[str, Any] = {"type": "object"}
        if route.path in _LOCAL_REPLIES:
            reply = {"$ref": _LOCAL_REPLIES[route.path]}
        if route.path == "/local/allocate":
            reply = _ALLOCATED
        spec: dict[str, Any] = {
            "operationId": "local." + route.path.rsplit("/", 1)[1],
            "summary": route.summary,
            "tags": ["local"],
            "responses": {"200": _json(reply), "default": _json(_ERROR, "an error")},
        }
        if route.body is not None:
            example = json.loads(route.body)
            spec["requestBody"] = {"content": {"application/json": {"schema": {"type": "object"}, "example": example}}}
        paths.setdefault(route.path, {})[route.method.lower()] = spec
    paths[OPENAPI_PATH] = {
        "get": {
            "operationId": "local.openapi",
            "summary": "This document.",
            "tags": ["local"],
            "responses": {"200": _json({"type": "object"})},
        }
    }
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Agones SDK REST API, as aioagones' local sidecar serves it",
            "version": __version__,
            "description": "Agones' sidecar REST API (grpc-gateway's JSON: proto field names, int64 as strings) "
            "and the local sidecar's own /local/... routes, where it acts as the cluster.",
        },
        "servers": [{"url": "http://localhost:9358"}],
        "paths": paths,
        "components": {"schemas": dict(sorted(schemas.items()))},
    }


def openapi_text() -> str:
    """`openapi_document()` as the committed docs/openapi.json holds it."""
    return json.dumps(openapi_document(), indent=2, ensure_ascii=False) + "\n"
