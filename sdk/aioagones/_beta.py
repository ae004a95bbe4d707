"""Counters and lists (Agones beta), `sdk.beta`: calls through the SDK's transport."""

from __future__ import annotations

from google.protobuf import wrappers_pb2

from ._constants import MAX_LIST_CAPACITY
from ._errors import InvalidArgumentError
from ._models import Counter, List
from ._pb import beta_pb2
from ._transport import Transport
from ._validation import require_int, require_str


class Beta:
    """Counters and lists (Agones beta): `sdk.beta`."""

    def __init__(self, transport: Transport) -> None:
        self._t = transport

    # -- counters --------------------------------------------------------------------

    async def get_counter(self, name: str) -> Counter:
        """The counter `name`.

        Raises:
            NotFoundError: there is no such counter.
        """
        return await self._get_counter("get_counter", name)

    async def _get_counter(self, method: str, name: str) -> Counter:
        request = beta_pb2.GetCounterRequest(name=require_str(method, "name", name))
        return Counter.from_pb(await self._t.unary("GetCounter", request, beta_pb2.Counter))

    async def _update_counter(self, update: beta_pb2.CounterUpdateRequest | None) -> Counter:
        # The one sender of UpdateCounter: a request without an update (or without a counter
        # name) would only come back as a misleading "not found", so it is refused here.
        if update is None or not update.name:
            raise InvalidArgumentError("UpdateCounter needs a counter update request with a counter name")
        request = beta_pb2.UpdateCounterRequest(counterUpdateRequest=update)
        return Counter.from_pb(await self._t.unary("UpdateCounter", request, beta_pb2.Counter))

    async def get_counter_count(self, name: str) -> int:
        """The count of counter `name`."""
        return (await self._get_counter("get_counter_count", name)).count

    async def increment_counter(self, name: str, amount: int = 1) -> None:
        """Add `amount` (0 or more) to counter `name`.

        Raises:
            OutOfRangeError: the count would pass the capacity (nothing changes).
        """
        name = require_str("increment_counter", "name", name)
        amount = require_int("increment_counter", "amount", amount, hint="; use decrement_counter")
        await self._update_counter(beta_pb2.CounterUpdateRequest(name=name, countDiff=amount))

    async def decrement_counter(self, name: str, amount: int = 1) -> None:
        """Subtract `amount` (0 or more) from counter `name`.

        Raises:
            OutOfRangeError: the count would go below 0 (nothing changes).
        """
        name = require_str("decrement_counter", "name", name)
        amount = require_int("decrement_counter", "amount", amount, hint="; use increment_counter")
        await self._update_counter(beta_pb2.CounterUpdateRequest(name=name, countDiff=-amount))

    async def set_counter_count(self, name: str, count: int) -> None:
        """Set the count of counter `name` (0 to its capacity)."""
        name = require_str("set_counter_count", "name", name)
        count = require_int("set_counter_count", "count", count)
        await self._update_counter(beta_pb2.CounterUpdateRequest(name=name, count=_int64(count)))

    async def get_counter_capacity(self, name: str) -> int:
        """The capacity of counter `name`."""
        return (await self._get_counter("get_counter_capacity", name)).capacity

    async def set_counter_capacity(self, name: str, capacity: int) -> None:
        """Set the capacity of counter `name` (0 or more)."""
        name = require_str("set_counter_capacity", "name", name)
        capacity = require_int("set_counter_capacity", "capacity", capacity)
        await self._update_counter(beta_pb2.CounterUpdateRequest(name=name, capacity=_int64(capacity)))

    # -- lists -----------------------------------------------------------------------

    async def get_list(self, name: str) -> List:
        """The list `name`.

        Raises:
            NotFoundError: there is no such list.
        """
        return await self._get_list("get_list", name)

    async def _get_list(self, method: str, name: str) -> List:
        request = beta_pb2.GetListRequest(name=require_str(method, "name", name))
        return List.from_pb(await self._t.unary("GetList", request, beta_pb2.List))

    async def get_list_capacity(self, name: str) -> int:
        """The capacity of list `name`."""
        return (await self._get_list("get_list_capacity", name)).capacity

    async def set_list_capacity(self, name: str, capacity: int) -> None:
        """Set the capacity of list `name` (0 to 1000); values past it are dropped by the sidecar."""
        name = require_str("set_list_capacity", "name", name)
        capacity = require_int("set_list_capacity", "capacity", capacity, maximum=MAX_LIST_CAPACITY)
        request = beta_pb2.UpdateListRequest(
            list=beta_pb2.List(name=name, capacity=capacity), update_mask={"paths": ["capacity"]}
        )
        await self._t.unary("UpdateList", request, beta_pb2.List)

    async def list_contains(self, name: str, value: str) -> bool:
        """Whether list `name` holds `value`."""
        value = require_str("list_contains", "value", value)
        return value in (await self._get_list("list_contains", name)).values

    async def get_list_length(self, name: str) -> int:
        """How many values list `name` holds."""
        return len((await self._get_list("get_list_length", name)).values)

    async def get_list_values(self, name: str) -> list[str]:
        """The values of list `name`."""
        return list((await self._get_list("get_list_values", name)).values)

    async def append_list_value(self, name: str, value: str) -> None:
        """Add `value` to list `name`.

        Raises:
            AlreadyExistsError: the value is already there.
            OutOfRangeError: the list is full.
        """
        request = beta_pb2.AddListValueRequest(
            name=require_str("append_list_value", "name", name), value=require_str("append_list_value", "value", value)
        )
        await self._t.unary("AddListValue", request, beta_pb2.List)

    async def delete_list_value(self, name: str, value: str) -> None:
        """Remove `value` from list `name`.

        Raises:
            NotFoundError: the value (or the list) is not there.
        """
        request = beta_pb2.RemoveListValueRequest(
            name=require_str("delete_list_value", "name", name), value=require_str("delete_list_value", "value", value)
        )
        await self._t.unary("RemoveListValue", request, beta_pb2.List)


def _int64(value: int) -> wrappers_pb2.Int64Value:
    return wrappers_pb2.Int64Value(value=value)
