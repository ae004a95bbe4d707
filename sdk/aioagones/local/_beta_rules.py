"""The counter and list rules (beta) of the local sidecar, part of `GameServerRules`: no I/O.

Message texts are the reference sidecar's; codes the ones the proto comments promise.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from aioagones._constants import MAX_LIST_CAPACITY
from aioagones.local._state import Code, CounterState, GameServerState, ListState, SidecarError

__all__ = ["CountersAndLists", "unique"]


def _out_of_range_count(counter: CounterState) -> SidecarError:
    return SidecarError(
        Code.OUT_OF_RANGE,
        "out of range. Count must be within range [0,Capacity]. "
        f"Found Count: {counter.count}, Capacity: {counter.capacity}",
    )


def unique(values: Iterable[str]) -> list[str]:
    """`values` without repeats, first one kept."""
    return list(dict.fromkeys(values))


class CountersAndLists:
    """`GetCounter`, `UpdateCounter`, `GetList`, `UpdateList`, `AddListValue`, `RemoveListValue`."""

    game_server: GameServerState

    def _changed(self) -> None:
        raise NotImplementedError  # pragma: no cover (GameServerRules counts the change)

    # -- counters (beta) ---------------------------------------------------------------------

    def get_counter(self, name: str) -> CounterState:
        """`GetCounter`.

        Raises:
            SidecarError: NOT_FOUND for an unknown counter.
        """
        counter = self.game_server.counters.get(name)
        if counter is None:
            raise SidecarError(Code.NOT_FOUND, f"counter not found: {name}")
        return CounterState(counter.count, counter.capacity)

    def update_counter(
        self, name: str, *, count: int | None = None, capacity: int | None = None, count_diff: int = 0
    ) -> CounterState:
        """`UpdateCounter`: set `capacity`, then `count`, then add `count_diff`, each checked.

        Raises:
            SidecarError: NOT_FOUND for an unknown counter; OUT_OF_RANGE for a negative capacity or
                a count outside [0, capacity] after any step.
        """
        current = self.game_server.counters.get(name)
        if current is None:
            raise SidecarError(Code.NOT_FOUND, f"not found. {name} Counter not found")
        new = CounterState(current.count, current.capacity)
        if capacity is not None:
            new.capacity = capacity
            if capacity < 0:
                raise SidecarError(
                    Code.OUT_OF_RANGE,
                    f"out of range. Capacity must be greater than or equal to 0. Found Capacity: {capacity}",
                )
        if count is not None:
            new.count = count
            if not 0 <= new.count <= new.capacity:
                raise _out_of_range_count(new)
        if count_diff:
            new.count += count_diff
            if not 0 <= new.count <= new.capacity:
                raise _out_of_range_count(new)
        if new != current:
            self.game_server.counters[name] = new
            self._changed()
        return CounterState(new.count, new.capacity)

    # -- lists (beta) ------------------------------------------------------------------------

    def _list(self, name: str) -> ListState:
        lst = self.game_server.lists.get(name)
        if lst is None:
            raise SidecarError(Code.NOT_FOUND, f"not found. {name} List not found")
        return lst

    @staticmethod
    def _copy(lst: ListState) -> ListState:
        return ListState(lst.capacity, list(lst.values))

    def get_list(self, name: str) -> ListState:
        """`GetList`.

        Raises:
            SidecarError: NOT_FOUND for an unknown list.
        """
        lst = self.game_server.lists.get(name)
        if lst is None:
            raise SidecarError(Code.NOT_FOUND, f"list not found: {name}")
        return self._copy(lst)

    def update_list(
        self, name: str, paths: Sequence[str], *, capacity: int = 0, values: Sequence[str] = ()
    ) -> ListState:
        """`UpdateList`: replace the fields named in the mask (`capacity`, `values`).

        The mask is checked against the List message's fields, as the real sidecar checks it, so
        `name` is a valid path; it changes nothing (the list is found by its name).

        Values are de-duplicated; values beyond the capacity are dropped from the end, as a
        cluster does when the capacity shrinks.

        An empty mask is valid and changes nothing (Agones' Node.js SDK sends one); the capacity
        is checked whatever the mask, as both Agones sidecars do.

        Raises:
            SidecarError: INVALID_ARGUMENT for an unknown mask path; NOT_FOUND for an
                unknown list; OUT_OF_RANGE for a capacity outside [0, 1000].
        """
        bad = [p for p in paths if p not in ("name", "capacity", "values")]
        if bad:
            raise SidecarError(
                Code.INVALID_ARGUMENT,
                f"invalid argument. Field Mask Path(s): {list(paths)} are invalid for List. "
                "Use valid field name(s): [name capacity values]",
            )
        if not 0 <= capacity <= MAX_LIST_CAPACITY:
            raise SidecarError(
                Code.OUT_OF_RANGE,
                f"out of range. Capacity must be within range [0,{MAX_LIST_CAPACITY}]. Found Capacity: {capacity}",
            )
        current = self._list(name)
        new = ListState(current.capacity, list(current.values))
        if "capacity" in paths:
            new.capacity = capacity
        if "values" in paths:
            new.values = unique(values)
        del new.values[new.capacity :]
        if new != current:
            self.game_server.lists[name] = new
            self._changed()
        return self._copy(new)

    def add_list_value(self, name: str, value: str) -> ListState:
        """`AddListValue`.

        Raises:
            SidecarError: NOT_FOUND for an unknown list; OUT_OF_RANGE when it is full;
                ALREADY_EXISTS for a value already in it.
        """
        lst = self._list(name)
        if len(lst.values) >= lst.capacity:
            raise SidecarError(
                Code.OUT_OF_RANGE,
                f"out of range. No available capacity. Current Capacity: {lst.capacity}, List Size: {len(lst.values)}",
            )
        if value in lst.values:
            raise SidecarError(Code.ALREADY_EXISTS, f"already exists. Value: {value} already in List: {name}")
        lst.values.append(value)
        self._changed()
        return self._copy(lst)

    def remove_list_value(self, name: str, value: str) -> ListState:
        """`RemoveListValue`.

        Raises:
            SidecarError: NOT_FOUND for an unknown list or a value not in it.
        """
        lst = self._list(name)
        if value not in lst.values:
            raise SidecarError(Code.NOT_FOUND, f"not found. Value: {value} not found in List: {name}")
        lst.values.remove(value)
        self._changed()
        return self._copy(lst)
