"""Requests that official Agones SDKs send, or may send, answered as Agones' sidecars answer them."""

from __future__ import annotations

import asyncio

import grpc
import grpc.aio
import pytest
from google.protobuf import field_mask_pb2

from aioagones._pb import beta_pb2
from aioagones.local._server import SidecarServer

from .conftest import Stubs


async def test_update_list_with_an_empty_mask_is_accepted_and_changes_nothing(
    stubs: Stubs, server: SidecarServer
) -> None:
    # Agones' Node.js SDK builds the mask of setListCapacity with no paths; both Agones sidecars
    # accept that (an empty FieldMask is valid) and change nothing.
    before = server.snapshot()
    async with asyncio.timeout(5):
        reply = await stubs.beta.UpdateList(
            beta_pb2.UpdateListRequest(
                list=beta_pb2.List(name="players", capacity=2), update_mask=field_mask_pb2.FieldMask()
            )
        )
    assert (reply.name, reply.capacity, list(reply.values)) == ("players", 100, ["test0", "test1", "test2"])
    assert server.snapshot() == before
    assert server.calls == ["updatelist"]


async def test_update_list_checks_the_capacity_whatever_the_mask(stubs: Stubs, server: SidecarServer) -> None:
    with pytest.raises(grpc.aio.AioRpcError) as info:
        async with asyncio.timeout(5):
            await stubs.beta.UpdateList(
                beta_pb2.UpdateListRequest(
                    list=beta_pb2.List(name="players", capacity=1001), update_mask=field_mask_pb2.FieldMask()
                )
            )
    assert info.value.code() is grpc.StatusCode.OUT_OF_RANGE
    assert info.value.details() == "out of range. Capacity must be within range [0,1000]. Found Capacity: 1001"


async def test_update_counter_without_a_counter_update_request_is_an_invalid_argument(
    stubs: Stubs, server: SidecarServer
) -> None:
    before = server.snapshot()
    with pytest.raises(grpc.aio.AioRpcError) as info:
        async with asyncio.timeout(5):
            await stubs.beta.UpdateCounter(beta_pb2.UpdateCounterRequest())
    assert info.value.code() is grpc.StatusCode.INVALID_ARGUMENT
    assert info.value.details() == "invalid argument. CounterUpdateRequest cannot be nil"
    assert server.snapshot() == before
    assert server.calls == ["updatecounter"]
