"""The typed request: checked when built (named errors), sent as Agones' wire message."""

from __future__ import annotations

import pytest

from aioagones import State
from aioagones.allocation import (
    AllocationRequest,
    CounterAction,
    CounterSelector,
    GameServerSelector,
    InvalidArgumentError,
    LabelExpression,
    ListAction,
    ListSelector,
    Priority,
    Scheduling,
)


def test_full_request_to_wire() -> None:
    request = AllocationRequest(
        namespace="games",
        selectors=[
            GameServerSelector(
                {"agones.dev/fleet": "f", "mode": "ctf"},
                counters={"rooms": CounterSelector(min_available=1)},
                lists={"players": ListSelector(contains_value="p0", max_available=7)},
                match_expressions=[LabelExpression("region", "In", ["eu", "us"])],
            ),
            GameServerSelector({"mode": "ctf"}, state=State.ALLOCATED),
        ],
        priorities=[Priority("Counter", "rooms", "Descending")],
        scheduling=Scheduling.DISTRIBUTED,
        labels={"match": "m1"},
        annotations={"quilkin.dev/tokens": "MXg3aWp5Ng=="},
        counters={"rooms": CounterAction("Decrement", 2, capacity=10)},
        lists={"players": ListAction(add_values=["p1"], delete_values=["p0"], capacity=8)},
    )
    wire = request.to_pb()
    assert wire.namespace == "games"
    first, second = wire.gameServerSelectors
    assert dict(first.matchLabels) == {"agones.dev/fleet": "f", "mode": "ctf"}
    assert first.gameServerState == 0 and second.gameServerState == 1  # READY, ALLOCATED
    assert first.counters["rooms"].minAvailable == 1
    assert (first.lists["players"].containsValue, first.lists["players"].maxAvailable) == ("p0", 7)
    assert (first.matchExpressions[0].key, list(first.matchExpressions[0].values)) == ("region", ["eu", "us"])
    assert (wire.priorities[0].type, wire.priorities[0].order) == (0, 1)  # Counter, Descending
    assert wire.scheduling == 1
    assert dict(wire.metadata.annotations) == {"quilkin.dev/tokens": "MXg3aWp5Ng=="}
    action = wire.counters["rooms"]
    assert (action.action.value, action.amount.value, action.capacity.value) == ("Decrement", 2, 10)
    assert list(wire.lists["players"].addValues) == ["p1"] and wire.lists["players"].capacity.value == 8
    assert not wire.HasField("requiredGameServerSelector")  # the deprecated fields stay empty


def test_unset_actions_stay_unset_on_the_wire() -> None:
    wire = AllocationRequest(counters={"rooms": CounterAction(capacity=5)}, lists={"l": ListAction()}).to_pb()
    assert not wire.counters["rooms"].HasField("action") and not wire.counters["rooms"].HasField("amount")
    assert not wire.lists["l"].HasField("capacity")


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: GameServerSelector({"bad key!": "x"}), "match_labels: invalid label key 'bad key!'"),
        (lambda: GameServerSelector({"Example.com/x": "y"}), "DNS subdomain"),
        (lambda: GameServerSelector({"k": "no spaces"}), "invalid label value 'no spaces'"),
        (lambda: GameServerSelector(state=State.SHUTDOWN), "Ready or Allocated"),
        (lambda: AllocationRequest(labels={"x" * 64: "v"}), "labels: invalid label key"),
        (lambda: AllocationRequest(annotations={"/x": "v"}), "annotations: invalid annotation key"),
        (lambda: AllocationRequest(namespace=""), "namespace must be a Kubernetes namespace name"),
        (lambda: AllocationRequest(namespace="Games"), "namespace"),
        (lambda: CounterSelector(min_count=-1), "min_count must be 0 or more"),
        (lambda: CounterAction("Increment"), "needs an amount"),
        (lambda: CounterAction(amount=1), "needs an action"),
        (lambda: CounterAction("Add", 1), "'Increment', 'Decrement'"),  # type: ignore[arg-type]
        (lambda: CounterAction("Increment", 0), "amount must be 1 or more"),
        (lambda: ListAction(capacity=1001), "capacity must be 0 to 1000"),
        (lambda: LabelExpression("k", "In"), "needs at least one value"),
        (lambda: LabelExpression("k", "Exists", ["v"]), "takes no values"),
        (lambda: Priority("Gauge", "x"), "Priority: type"),  # type: ignore[arg-type]
    ],
)
def test_mistakes_are_named_before_sending(make: object, message: str) -> None:
    with pytest.raises(InvalidArgumentError, match=message.replace("(", r"\(")):
        make()  # type: ignore[operator]


def test_wrong_types_are_type_errors() -> None:
    with pytest.raises(TypeError, match="match_labels keys must be str"):
        GameServerSelector({1: "x"})  # type: ignore[dict-item]
    with pytest.raises(TypeError, match="add_values must be a sequence of str"):
        ListAction(add_values="p1")
    with pytest.raises(TypeError, match="selectors must hold GameServerSelector"):
        AllocationRequest(selectors=[{"a": "b"}])  # type: ignore[list-item]


def test_request_is_immutable() -> None:
    labels = {"a": "b"}
    request = AllocationRequest(labels=labels)
    labels["c"] = "d"
    assert dict(request.labels) == {"a": "b"}
    with pytest.raises(AttributeError):
        request.namespace = "x"  # type: ignore[misc]
