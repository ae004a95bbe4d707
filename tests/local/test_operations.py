"""The operations table serves every RPC of the generated descriptors, with their types and streaming."""

from __future__ import annotations

from aioagones._pb import alpha_pb2, beta_pb2, sdk_pb2
from aioagones.local._operations import OPERATIONS, Streaming

DESCRIPTORS = (sdk_pb2.DESCRIPTOR, alpha_pb2.DESCRIPTOR, beta_pb2.DESCRIPTOR)


def _rpcs() -> dict[tuple[str, str], tuple[str, str, Streaming]]:
    rpcs = {}
    for file in DESCRIPTORS:
        for service in file.services_by_name.values():
            for method in service.methods:
                assert not (method.client_streaming and method.server_streaming), method.full_name
                streaming = (
                    Streaming.REQUESTS
                    if method.client_streaming
                    else Streaming.REPLIES
                    if method.server_streaming
                    else Streaming.NONE
                )
                rpcs[service.full_name, method.name] = (
                    method.input_type.full_name,
                    method.output_type.full_name,
                    streaming,
                )
    return rpcs


def test_every_rpc_of_the_descriptors_is_in_the_table_once() -> None:
    table = [(op.service, op.method) for op in OPERATIONS]
    assert len(table) == len(set(table)), "an RPC is in the table twice"
    assert set(table) == set(_rpcs()), "the table and the generated services differ"
    assert len(table) >= 22  # stable 9, alpha 7, beta 6 today: a descriptor lost would show here


def test_each_row_has_the_rpc_s_types_and_streaming() -> None:
    rpcs = _rpcs()
    for op in OPERATIONS:
        request, reply, streaming = rpcs[op.service, op.method]
        assert (op.request.DESCRIPTOR.full_name, op.reply.DESCRIPTOR.full_name, op.streaming) == (
            request,
            reply,
            streaming,
        ), op.method


def test_each_route_is_unique() -> None:
    routes = [(op.http_method, op.http_path) for op in OPERATIONS]
    assert len(routes) == len(set(routes))


def test_the_calls_that_only_read_are_the_get_routes() -> None:
    # A read never replaces an Unhealthy GameServer (a developer's look is not a new game process).
    assert {op.method for op in OPERATIONS if op.reads_only} == {
        op.method for op in OPERATIONS if op.http_method == "GET"
    }
