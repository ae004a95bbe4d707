"""The one conversion module: domain values to protobuf, protobuf to and from grpc-gateway's JSON."""

from __future__ import annotations

import pytest
from google.protobuf import json_format

from aioagones._pb import beta_pb2
from aioagones.local._convert import counter_pb, from_json, game_server_pb, list_pb, to_json
from aioagones.local._state import CounterState, GameServerState, ListState


def test_json_has_every_field_in_proto_order_int64_as_strings_and_unset_messages_as_null() -> None:
    gs = to_json(game_server_pb(GameServerState(name="gs", counters={"c": CounterState(0, 5)})))
    assert list(gs) == ["object_meta", "spec", "status"]
    assert gs["object_meta"]["generation"] == "0" and gs["object_meta"]["labels"] == {}
    status = gs["status"]
    assert list(status) == ["state", "address", "addresses", "ports", "players", "counters", "lists"]
    assert status["players"] is None  # a GameServer without player tracking
    assert status["counters"] == {"c": {"count": "0", "capacity": "5"}}
    assert to_json(counter_pb("c", CounterState(2, 5))) == {"name": "c", "count": "2", "capacity": "5"}
    assert to_json(list_pb("l", ListState(3, []))) == {"name": "l", "capacity": "3", "values": []}


@pytest.mark.parametrize("key", ["update_mask", "updateMask"])
def test_requests_accept_proto_and_lower_camel_names(key: str) -> None:
    msg = from_json({key: "capacity,values", "list": {"capacity": "7"}, "unknown": 1}, beta_pb2.UpdateListRequest)
    assert (list(msg.update_mask.paths), msg.list.capacity) == (["capacity", "values"], 7)


@pytest.mark.parametrize("body", [[], "x", {"countDiff": "two"}, {"countDiff": 1.5}])
def test_a_request_of_the_wrong_shape_is_a_parse_error(body: object) -> None:
    with pytest.raises(json_format.ParseError):
        from_json(body, beta_pb2.CounterUpdateRequest)


def test_no_body_is_the_empty_message() -> None:
    assert from_json(None, beta_pb2.CounterUpdateRequest) == beta_pb2.CounterUpdateRequest()
