"""The typed allocation request: checked when it is built, turned into the wire message when sent.

Every value object validates itself in `__post_init__`, so a mistake raises at the line that
made it, naming the field: label keys and values by Kubernetes' rules (the allocator answers a
bad key with an HTTP 500 carrying a mangled message), counts as int64, enum words by name.
Mappings are copied into read-only views and sequences into tuples, so a request is immutable.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Literal

from google.protobuf import wrappers_pb2

from .._errors import InvalidArgumentError
from .._models import State
from .._pb import allocation_pb2 as pb
from .._validation import annotation_error, namespace_error, qualified_key_error, qualified_label_error, require_int

_EMPTY: Mapping[str, Any] = MappingProxyType({})


class Scheduling(enum.StrEnum):
    """How the allocator picks among matches: Packed fills busy nodes first, Distributed spreads."""

    PACKED = "Packed"
    DISTRIBUTED = "Distributed"


def _set(obj: object, name: str, value: object) -> None:
    object.__setattr__(obj, name, value)


def _strings(where: str, values: object) -> tuple[str, ...]:
    if isinstance(values, str) or not isinstance(values, Sequence):
        raise TypeError(f"{where} must be a sequence of str, not {type(values).__name__} ({values!r})")
    for value in values:
        if not isinstance(value, str):
            raise TypeError(f"{where} must hold only str, not {type(value).__name__} ({value!r})")
    return tuple(values)


def _mapping(where: str, values: object) -> Mapping[str, Any]:
    if not isinstance(values, Mapping):
        raise TypeError(f"{where} must be a mapping, not {type(values).__name__} ({values!r})")
    for key in values:
        if not isinstance(key, str):
            raise TypeError(f"{where} keys must be str, not {type(key).__name__} ({key!r})")
    return MappingProxyType(dict(values))


def _labels(where: str, labels: object) -> Mapping[str, str]:
    labels = _mapping(where, labels)
    for key, value in labels.items():
        if not isinstance(value, str):
            raise TypeError(f"{where}[{key!r}] must be a str, not {type(value).__name__} ({value!r})")
        if (error := qualified_label_error(key, value)) is not None:
            raise InvalidArgumentError(f"{where}: {error}")
    return labels


def _choice(where: str, value: object, choices: Sequence[str]) -> str:
    if value not in choices:
        raise InvalidArgumentError(f"{where} must be one of {', '.join(map(repr, choices))}, not {value!r}")
    return str(value)


def _of(where: str, values: object, kind: type[Any]) -> Mapping[str, Any]:
    values = _mapping(where, values)
    for key, value in values.items():
        if not isinstance(value, kind):
            raise TypeError(f"{where}[{key!r}] must be a {kind.__name__}, not {type(value).__name__} ({value!r})")
    return values


@dataclass(frozen=True, slots=True)
class CounterSelector:
    """A Counter condition: bounds on its count and on its free capacity (a maximum of 0: none)."""

    min_count: int = 0
    max_count: int = 0
    min_available: int = 0
    max_available: int = 0

    def __post_init__(self) -> None:
        for name in ("min_count", "max_count", "min_available", "max_available"):
            _set(self, name, require_int("CounterSelector", name, getattr(self, name)))


@dataclass(frozen=True, slots=True)
class ListSelector:
    """A List condition: a value it must hold ("" for none) and bounds on its free capacity (a maximum of 0: none)."""

    contains_value: str = ""
    min_available: int = 0
    max_available: int = 0

    def __post_init__(self) -> None:
        if not isinstance(self.contains_value, str):
            raise TypeError(f"ListSelector: contains_value must be a str, not {type(self.contains_value).__name__}")
        for name in ("min_available", "max_available"):
            _set(self, name, require_int("ListSelector", name, getattr(self, name)))


Operator = Literal["In", "NotIn", "Exists", "DoesNotExist"]


@dataclass(frozen=True, slots=True)
class LabelExpression:
    """A label requirement, as Kubernetes' matchExpressions: `In`/`NotIn` need values, `Exists`/`DoesNotExist` none."""

    key: str
    operator: Operator
    values: Sequence[str] = ()

    def __post_init__(self) -> None:
        if (error := qualified_key_error("label", self.key)) is not None:
            raise InvalidArgumentError(f"LabelExpression: {error}")
        _choice("LabelExpression: operator", self.operator, pb.LabelMatchExpressions.Operator.keys())
        _set(self, "values", _strings("LabelExpression: values", self.values))
        if (self.operator in ("In", "NotIn")) != bool(self.values):
            need = "needs at least one value" if self.operator in ("In", "NotIn") else "takes no values"
            raise InvalidArgumentError(f"LabelExpression {self.key!r}: operator {self.operator} {need}")


@dataclass(frozen=True, slots=True)
class GameServerSelector:
    """Which GameServers may be allocated: labels, state (Ready or Allocated), Counter and List conditions."""

    match_labels: Mapping[str, str] = field(default_factory=lambda: _EMPTY)
    state: State = State.READY
    counters: Mapping[str, CounterSelector] = field(default_factory=lambda: _EMPTY)
    lists: Mapping[str, ListSelector] = field(default_factory=lambda: _EMPTY)
    match_expressions: Sequence[LabelExpression] = ()

    def __post_init__(self) -> None:
        _set(self, "match_labels", _labels("GameServerSelector: match_labels", self.match_labels))
        if State(self.state) not in (State.READY, State.ALLOCATED):
            raise InvalidArgumentError(f"GameServerSelector: state must be Ready or Allocated, not {self.state!r}")
        _set(self, "state", State(self.state))
        _set(self, "counters", _of("GameServerSelector: counters", self.counters, CounterSelector))
        _set(self, "lists", _of("GameServerSelector: lists", self.lists, ListSelector))
        expressions = tuple(self.match_expressions)
        if not all(isinstance(e, LabelExpression) for e in expressions):
            raise TypeError("GameServerSelector: match_expressions must hold LabelExpression objects")
        _set(self, "match_expressions", expressions)

    def to_pb(self) -> pb.GameServerSelector:
        """The wire message."""
        return pb.GameServerSelector(
            matchLabels=dict(self.match_labels),
            gameServerState=self.state.value.upper(),
            counters={
                k: pb.CounterSelector(
                    minCount=c.min_count,
                    maxCount=c.max_count,
                    minAvailable=c.min_available,
                    maxAvailable=c.max_available,
                )
                for k, c in self.counters.items()
            },
            lists={
                k: pb.ListSelector(
                    containsValue=s.contains_value, minAvailable=s.min_available, maxAvailable=s.max_available
                )
                for k, s in self.lists.items()
            },
            matchExpressions=[
                pb.LabelMatchExpressions(key=e.key, operator=e.operator, values=e.values)
                for e in self.match_expressions
            ],
        )


@dataclass(frozen=True, slots=True)
class Priority:
    """Order matches by the capacity of a Counter or List: `Priority("Counter", "rooms", "Descending")`."""

    type: Literal["Counter", "List"]
    key: str
    order: Literal["Ascending", "Descending"] = "Ascending"

    def __post_init__(self) -> None:
        _choice("Priority: type", self.type, ("Counter", "List"))
        _choice("Priority: order", self.order, ("Ascending", "Descending"))
        if not isinstance(self.key, str) or not self.key:
            raise InvalidArgumentError(f"Priority: key must be the name of a Counter or List, not {self.key!r}")


@dataclass(frozen=True, slots=True)
class CounterAction:
    """Change a Counter at allocation: `CounterAction("Increment", 1)`, and/or set its capacity."""

    action: Literal["Increment", "Decrement"] | None = None
    amount: int | None = None
    capacity: int | None = None

    def __post_init__(self) -> None:
        if self.action is not None:
            _choice("CounterAction: action", self.action, ("Increment", "Decrement"))
            if self.amount is None:
                raise InvalidArgumentError(f"CounterAction: {self.action} needs an amount (1 or more)")
        if self.amount is not None:
            if self.action is None:
                raise InvalidArgumentError("CounterAction: an amount needs an action ('Increment' or 'Decrement')")
            _set(self, "amount", require_int("CounterAction", "amount", self.amount, minimum=1))
        if self.capacity is not None:
            _set(self, "capacity", require_int("CounterAction", "capacity", self.capacity))


@dataclass(frozen=True, slots=True)
class ListAction:
    """Change a List at allocation: values to add and to delete, and/or its capacity (0 to 1000)."""

    add_values: Sequence[str] = ()
    delete_values: Sequence[str] = ()
    capacity: int | None = None

    def __post_init__(self) -> None:
        _set(self, "add_values", _strings("ListAction: add_values", self.add_values))
        _set(self, "delete_values", _strings("ListAction: delete_values", self.delete_values))
        if self.capacity is not None:
            _set(self, "capacity", require_int("ListAction", "capacity", self.capacity, maximum=1000))


def _int64(value: int | None) -> wrappers_pb2.Int64Value | None:
    return None if value is None else wrappers_pb2.Int64Value(value=value)


@dataclass(frozen=True, slots=True)
class AllocationRequest:
    """What to allocate: selectors tried in order, sorting, and what to apply to the GameServer allocated."""

    namespace: str = "default"
    selectors: Sequence[GameServerSelector] = ()
    priorities: Sequence[Priority] = ()
    scheduling: Scheduling = Scheduling.PACKED
    labels: Mapping[str, str] = field(default_factory=lambda: _EMPTY)
    annotations: Mapping[str, str] = field(default_factory=lambda: _EMPTY)
    counters: Mapping[str, CounterAction] = field(default_factory=lambda: _EMPTY)
    lists: Mapping[str, ListAction] = field(default_factory=lambda: _EMPTY)

    def __post_init__(self) -> None:
        # An empty namespace would be searched as such and answered "no GameServer": say it here instead.
        if (error := namespace_error(self.namespace)) is not None:
            raise InvalidArgumentError(f"AllocationRequest: {error}")
        for name, kind in (("selectors", GameServerSelector), ("priorities", Priority)):
            items = tuple(getattr(self, name))
            if not all(isinstance(item, kind) for item in items):
                raise TypeError(f"AllocationRequest: {name} must hold {kind.__name__} objects")
            _set(self, name, items)
        _set(self, "scheduling", Scheduling(self.scheduling))
        _set(self, "labels", _labels("AllocationRequest: labels", self.labels))
        annotations = _mapping("AllocationRequest: annotations", self.annotations)
        for key, value in annotations.items():
            if not isinstance(value, str):
                raise TypeError(f"AllocationRequest: annotations[{key!r}] must be a str, not {type(value).__name__}")
            error = qualified_key_error("annotation", key) or annotation_error("x", value)
            if error is not None:
                raise InvalidArgumentError(f"AllocationRequest: annotations: {error}")
        _set(self, "annotations", annotations)
        _set(self, "counters", _of("AllocationRequest: counters", self.counters, CounterAction))
        _set(self, "lists", _of("AllocationRequest: lists", self.lists, ListAction))

    def to_pb(self) -> pb.AllocationRequest:
        """The wire message (`metadata`, `gameServerSelectors`: the fields Agones has not deprecated)."""
        return pb.AllocationRequest(
            namespace=self.namespace,
            gameServerSelectors=[s.to_pb() for s in self.selectors],
            priorities=[pb.Priority(type=p.type, key=p.key, order=p.order) for p in self.priorities],
            scheduling=self.scheduling.value,
            metadata=pb.MetaPatch(labels=dict(self.labels), annotations=dict(self.annotations)),
            counters={
                k: pb.CounterAction(
                    action=None if a.action is None else wrappers_pb2.StringValue(value=a.action),
                    amount=_int64(a.amount),
                    capacity=_int64(a.capacity),
                )
                for k, a in self.counters.items()
            },
            lists={
                k: pb.ListAction(addValues=a.add_values, deleteValues=a.delete_values, capacity=_int64(a.capacity))
                for k, a in self.lists.items()
            },
        )
