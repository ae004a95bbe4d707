"""What only the cluster does to the GameServer, for the local control surface: no I/O.

`set_state` puts the GameServer into any state, as an edit of the GameServer would;
`apply_allocation` applies a GameServerAllocation as Agones' allocator does. Both check
everything first, so a refusal (`SidecarError`) changes nothing.
"""

from __future__ import annotations

from aioagones._constants import LAST_ALLOCATED_ANNOTATION as LAST_ALLOCATED
from aioagones._constants import MAX_LIST_CAPACITY
from aioagones._models import State
from aioagones._validation import label_value_error, qualified_name_error
from aioagones.local._beta_rules import unique
from aioagones.local._rules import GameServerRules
from aioagones.local._state import Allocation, Code, CounterAction, SidecarError

__all__ = ["RESET_COMMAND", "apply_allocation", "set_state"]

RESET_COMMAND = "agones-local-sidecar reset"
"""What gets a developer out of a GameServer the SDK cannot move any more (named in refusals)."""


def set_state(rules: GameServerRules, state: str) -> None:
    """Put the GameServer into `state`, whatever it is now (also out of `Unhealthy`).

    Raises:
        SidecarError: INVALID_ARGUMENT for a name that is not a GameServer state.
    """
    known = [member.value for member in State]
    if state not in known:
        raise SidecarError(
            Code.INVALID_ARGUMENT, f"invalid argument. {state!r} is not a GameServer state; use one of {known}"
        )
    rules.force_state(State(state))


def _counter_action_error(action: CounterAction) -> str | None:
    if action.action is not None and action.action not in ("Increment", "Decrement"):
        return f"action {action.action!r}: use Increment or Decrement"
    if (action.action is None) != (action.amount is None):
        return "action and amount go together"
    if action.amount is not None and action.amount < 0:
        return f"amount {action.amount}: must be 0 or more"
    if action.capacity is not None and action.capacity < 0:
        return f"capacity {action.capacity}: must be 0 or more"
    return None


def _check(allocation: Allocation) -> None:
    for key, value in allocation.labels.items():
        if (error := qualified_name_error(key) or label_value_error(value)) is not None:
            raise SidecarError(Code.INVALID_ARGUMENT, f"invalid argument. metadata.labels: {error}")
    for key in allocation.annotations:
        if (error := qualified_name_error(key)) is not None:
            raise SidecarError(Code.INVALID_ARGUMENT, f"invalid argument. metadata.annotations: {error}")
    for name, counter_action in allocation.counters.items():
        if (error := _counter_action_error(counter_action)) is not None:
            raise SidecarError(Code.INVALID_ARGUMENT, f"invalid argument. counters.{name}: {error}")
    for name, list_action in allocation.lists.items():
        capacity = list_action.capacity
        if capacity is not None and not 0 <= capacity <= MAX_LIST_CAPACITY:
            raise SidecarError(
                Code.INVALID_ARGUMENT,
                f"invalid argument. lists.{name}.capacity: {capacity}; allowed: 0..{MAX_LIST_CAPACITY}",
            )


def apply_allocation(rules: GameServerRules, allocation: Allocation, *, timestamp: str) -> list[str]:
    """A GameServerAllocation as Agones' allocator applies it; returns its warnings.

    The GameServer must be `Ready` or already `Allocated` (an allocation may pick those only).
    It becomes `Allocated`; the labels and annotations are merged into its metadata;
    `agones.dev/last-allocated` = `timestamp`. Then each counter action sets the capacity and
    increments or decrements the count, clamped to [0, capacity]; each list action sets the
    capacity, appends values (duplicates dropped, cut at the capacity) and deletes values. As in
    a cluster, an action that cannot be done (an unknown counter ...) does not stop the
    allocation: it comes back as a warning.

    Raises:
        SidecarError: FAILED_PRECONDITION when the GameServer cannot be allocated now;
            INVALID_ARGUMENT for metadata or actions a cluster would refuse (nothing changed).
    """
    _check(allocation)
    gs = rules.game_server
    if gs.state not in (State.READY, State.ALLOCATED):
        way_out = (
            f"it is being replaced: `{RESET_COMMAND}` starts over with a fresh one"
            if gs.state == State.UNHEALTHY
            else "the game calls Ready first, or `agones-local-sidecar state Ready` sets it"
        )
        raise SidecarError(
            Code.FAILED_PRECONDITION,
            f"failed precondition. The GameServer is {gs.state}; an allocation picks a Ready "
            f"(or an Allocated) GameServer only: {way_out}",
        )
    rules.force_state(State.ALLOCATED)
    gs.labels.update(allocation.labels)
    gs.annotations.update(allocation.annotations)
    gs.annotations[LAST_ALLOCATED] = timestamp
    warnings = []
    for name, counter_action in allocation.counters.items():
        counter = gs.counters.get(name)
        if counter is None:
            warnings.append(f"counter {name!r} not found in GameServer {gs.name}")
            continue
        if counter_action.capacity is not None:
            counter.capacity = counter_action.capacity
            counter.count = min(counter.count, counter.capacity)
        if counter_action.action is not None and counter_action.amount is not None:
            sign = 1 if counter_action.action == "Increment" else -1
            counter.count = max(0, min(counter.count + sign * counter_action.amount, counter.capacity))
    for name, list_action in allocation.lists.items():
        lst = gs.lists.get(name)
        if lst is None:
            warnings.append(f"list {name!r} not found in GameServer {gs.name}")
            continue
        if list_action.capacity is not None:
            lst.capacity = list_action.capacity
        lst.values = unique([*lst.values, *list_action.add_values])[: lst.capacity]
        lst.values = [v for v in lst.values if v not in list_action.delete_values]
    rules.changed()
    return warnings
