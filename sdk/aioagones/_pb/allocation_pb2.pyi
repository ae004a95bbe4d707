from google.protobuf import wrappers_pb2 as _wrappers_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class AllocationRequest(_message.Message):
    __slots__ = ("namespace", "multiClusterSetting", "requiredGameServerSelector", "preferredGameServerSelectors", "scheduling", "metaPatch", "metadata", "gameServerSelectors", "priorities", "counters", "lists")
    class SchedulingStrategy(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
        __slots__ = ()
        Packed: _ClassVar[AllocationRequest.SchedulingStrategy]
        Distributed: _ClassVar[AllocationRequest.SchedulingStrategy]
    Packed: AllocationRequest.SchedulingStrategy
    Distributed: AllocationRequest.SchedulingStrategy
    class CountersEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: CounterAction
        def __init__(self, key: _Optional[str] = ..., value: _Optional[_Union[CounterAction, _Mapping]] = ...) -> None: ...
    class ListsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: ListAction
        def __init__(self, key: _Optional[str] = ..., value: _Optional[_Union[ListAction, _Mapping]] = ...) -> None: ...
    NAMESPACE_FIELD_NUMBER: _ClassVar[int]
    MULTICLUSTERSETTING_FIELD_NUMBER: _ClassVar[int]
    REQUIREDGAMESERVERSELECTOR_FIELD_NUMBER: _ClassVar[int]
    PREFERREDGAMESERVERSELECTORS_FIELD_NUMBER: _ClassVar[int]
    SCHEDULING_FIELD_NUMBER: _ClassVar[int]
    METAPATCH_FIELD_NUMBER: _ClassVar[int]
    METADATA_FIELD_NUMBER: _ClassVar[int]
    GAMESERVERSELECTORS_FIELD_NUMBER: _ClassVar[int]
    PRIORITIES_FIELD_NUMBER: _ClassVar[int]
    COUNTERS_FIELD_NUMBER: _ClassVar[int]
    LISTS_FIELD_NUMBER: _ClassVar[int]
    namespace: str
    multiClusterSetting: MultiClusterSetting
    requiredGameServerSelector: GameServerSelector
    preferredGameServerSelectors: _containers.RepeatedCompositeFieldContainer[GameServerSelector]
    scheduling: AllocationRequest.SchedulingStrategy
    metaPatch: MetaPatch
    metadata: MetaPatch
    gameServerSelectors: _containers.RepeatedCompositeFieldContainer[GameServerSelector]
    priorities: _containers.RepeatedCompositeFieldContainer[Priority]
    counters: _containers.MessageMap[str, CounterAction]
    lists: _containers.MessageMap[str, ListAction]
    def __init__(self, namespace: _Optional[str] = ..., multiClusterSetting: _Optional[_Union[MultiClusterSetting, _Mapping]] = ..., requiredGameServerSelector: _Optional[_Union[GameServerSelector, _Mapping]] = ..., preferredGameServerSelectors: _Optional[_Iterable[_Union[GameServerSelector, _Mapping]]] = ..., scheduling: _Optional[_Union[AllocationRequest.SchedulingStrategy, str]] = ..., metaPatch: _Optional[_Union[MetaPatch, _Mapping]] = ..., metadata: _Optional[_Union[MetaPatch, _Mapping]] = ..., gameServerSelectors: _Optional[_Iterable[_Union[GameServerSelector, _Mapping]]] = ..., priorities: _Optional[_Iterable[_Union[Priority, _Mapping]]] = ..., counters: _Optional[_Mapping[str, CounterAction]] = ..., lists: _Optional[_Mapping[str, ListAction]] = ...) -> None: ...

class AllocationResponse(_message.Message):
    __slots__ = ("gameServerName", "ports", "address", "addresses", "nodeName", "source", "metadata", "counters", "lists")
    class CountersEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: AllocationResponse.CounterStatus
        def __init__(self, key: _Optional[str] = ..., value: _Optional[_Union[AllocationResponse.CounterStatus, _Mapping]] = ...) -> None: ...
    class ListsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: AllocationResponse.ListStatus
        def __init__(self, key: _Optional[str] = ..., value: _Optional[_Union[AllocationResponse.ListStatus, _Mapping]] = ...) -> None: ...
    class GameServerStatusPort(_message.Message):
        __slots__ = ("name", "port")
        NAME_FIELD_NUMBER: _ClassVar[int]
        PORT_FIELD_NUMBER: _ClassVar[int]
        name: str
        port: int
        def __init__(self, name: _Optional[str] = ..., port: _Optional[int] = ...) -> None: ...
    class GameServerStatusAddress(_message.Message):
        __slots__ = ("type", "address")
        TYPE_FIELD_NUMBER: _ClassVar[int]
        ADDRESS_FIELD_NUMBER: _ClassVar[int]
        type: str
        address: str
        def __init__(self, type: _Optional[str] = ..., address: _Optional[str] = ...) -> None: ...
    class GameServerMetadata(_message.Message):
        __slots__ = ("labels", "annotations")
        class LabelsEntry(_message.Message):
            __slots__ = ("key", "value")
            KEY_FIELD_NUMBER: _ClassVar[int]
            VALUE_FIELD_NUMBER: _ClassVar[int]
            key: str
            value: str
            def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
        class AnnotationsEntry(_message.Message):
            __slots__ = ("key", "value")
            KEY_FIELD_NUMBER: _ClassVar[int]
            VALUE_FIELD_NUMBER: _ClassVar[int]
            key: str
            value: str
            def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
        LABELS_FIELD_NUMBER: _ClassVar[int]
        ANNOTATIONS_FIELD_NUMBER: _ClassVar[int]
        labels: _containers.ScalarMap[str, str]
        annotations: _containers.ScalarMap[str, str]
        def __init__(self, labels: _Optional[_Mapping[str, str]] = ..., annotations: _Optional[_Mapping[str, str]] = ...) -> None: ...
    class CounterStatus(_message.Message):
        __slots__ = ("count", "capacity")
        COUNT_FIELD_NUMBER: _ClassVar[int]
        CAPACITY_FIELD_NUMBER: _ClassVar[int]
        count: _wrappers_pb2.Int64Value
        capacity: _wrappers_pb2.Int64Value
        def __init__(self, count: _Optional[_Union[_wrappers_pb2.Int64Value, _Mapping]] = ..., capacity: _Optional[_Union[_wrappers_pb2.Int64Value, _Mapping]] = ...) -> None: ...
    class ListStatus(_message.Message):
        __slots__ = ("values", "capacity")
        VALUES_FIELD_NUMBER: _ClassVar[int]
        CAPACITY_FIELD_NUMBER: _ClassVar[int]
        values: _containers.RepeatedScalarFieldContainer[str]
        capacity: _wrappers_pb2.Int64Value
        def __init__(self, values: _Optional[_Iterable[str]] = ..., capacity: _Optional[_Union[_wrappers_pb2.Int64Value, _Mapping]] = ...) -> None: ...
    GAMESERVERNAME_FIELD_NUMBER: _ClassVar[int]
    PORTS_FIELD_NUMBER: _ClassVar[int]
    ADDRESS_FIELD_NUMBER: _ClassVar[int]
    ADDRESSES_FIELD_NUMBER: _ClassVar[int]
    NODENAME_FIELD_NUMBER: _ClassVar[int]
    SOURCE_FIELD_NUMBER: _ClassVar[int]
    METADATA_FIELD_NUMBER: _ClassVar[int]
    COUNTERS_FIELD_NUMBER: _ClassVar[int]
    LISTS_FIELD_NUMBER: _ClassVar[int]
    gameServerName: str
    ports: _containers.RepeatedCompositeFieldContainer[AllocationResponse.GameServerStatusPort]
    address: str
    addresses: _containers.RepeatedCompositeFieldContainer[AllocationResponse.GameServerStatusAddress]
    nodeName: str
    source: str
    metadata: AllocationResponse.GameServerMetadata
    counters: _containers.MessageMap[str, AllocationResponse.CounterStatus]
    lists: _containers.MessageMap[str, AllocationResponse.ListStatus]
    def __init__(self, gameServerName: _Optional[str] = ..., ports: _Optional[_Iterable[_Union[AllocationResponse.GameServerStatusPort, _Mapping]]] = ..., address: _Optional[str] = ..., addresses: _Optional[_Iterable[_Union[AllocationResponse.GameServerStatusAddress, _Mapping]]] = ..., nodeName: _Optional[str] = ..., source: _Optional[str] = ..., metadata: _Optional[_Union[AllocationResponse.GameServerMetadata, _Mapping]] = ..., counters: _Optional[_Mapping[str, AllocationResponse.CounterStatus]] = ..., lists: _Optional[_Mapping[str, AllocationResponse.ListStatus]] = ...) -> None: ...

class MultiClusterSetting(_message.Message):
    __slots__ = ("enabled", "policySelector")
    ENABLED_FIELD_NUMBER: _ClassVar[int]
    POLICYSELECTOR_FIELD_NUMBER: _ClassVar[int]
    enabled: bool
    policySelector: LabelSelector
    def __init__(self, enabled: bool = ..., policySelector: _Optional[_Union[LabelSelector, _Mapping]] = ...) -> None: ...

class MetaPatch(_message.Message):
    __slots__ = ("labels", "annotations")
    class LabelsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    class AnnotationsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    LABELS_FIELD_NUMBER: _ClassVar[int]
    ANNOTATIONS_FIELD_NUMBER: _ClassVar[int]
    labels: _containers.ScalarMap[str, str]
    annotations: _containers.ScalarMap[str, str]
    def __init__(self, labels: _Optional[_Mapping[str, str]] = ..., annotations: _Optional[_Mapping[str, str]] = ...) -> None: ...

class LabelMatchExpressions(_message.Message):
    __slots__ = ("key", "operator", "values")
    class Operator(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
        __slots__ = ()
        In: _ClassVar[LabelMatchExpressions.Operator]
        NotIn: _ClassVar[LabelMatchExpressions.Operator]
        Exists: _ClassVar[LabelMatchExpressions.Operator]
        DoesNotExist: _ClassVar[LabelMatchExpressions.Operator]
    In: LabelMatchExpressions.Operator
    NotIn: LabelMatchExpressions.Operator
    Exists: LabelMatchExpressions.Operator
    DoesNotExist: LabelMatchExpressions.Operator
    KEY_FIELD_NUMBER: _ClassVar[int]
    OPERATOR_FIELD_NUMBER: _ClassVar[int]
    VALUES_FIELD_NUMBER: _ClassVar[int]
    key: str
    operator: LabelMatchExpressions.Operator
    values: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, key: _Optional[str] = ..., operator: _Optional[_Union[LabelMatchExpressions.Operator, str]] = ..., values: _Optional[_Iterable[str]] = ...) -> None: ...

class LabelSelector(_message.Message):
    __slots__ = ("matchLabels",)
    class MatchLabelsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    MATCHLABELS_FIELD_NUMBER: _ClassVar[int]
    matchLabels: _containers.ScalarMap[str, str]
    def __init__(self, matchLabels: _Optional[_Mapping[str, str]] = ...) -> None: ...

class GameServerSelector(_message.Message):
    __slots__ = ("matchLabels", "gameServerState", "counters", "lists", "matchExpressions")
    class GameServerState(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
        __slots__ = ()
        READY: _ClassVar[GameServerSelector.GameServerState]
        ALLOCATED: _ClassVar[GameServerSelector.GameServerState]
    READY: GameServerSelector.GameServerState
    ALLOCATED: GameServerSelector.GameServerState
    class MatchLabelsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    class CountersEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: CounterSelector
        def __init__(self, key: _Optional[str] = ..., value: _Optional[_Union[CounterSelector, _Mapping]] = ...) -> None: ...
    class ListsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: ListSelector
        def __init__(self, key: _Optional[str] = ..., value: _Optional[_Union[ListSelector, _Mapping]] = ...) -> None: ...
    MATCHLABELS_FIELD_NUMBER: _ClassVar[int]
    GAMESERVERSTATE_FIELD_NUMBER: _ClassVar[int]
    COUNTERS_FIELD_NUMBER: _ClassVar[int]
    LISTS_FIELD_NUMBER: _ClassVar[int]
    MATCHEXPRESSIONS_FIELD_NUMBER: _ClassVar[int]
    matchLabels: _containers.ScalarMap[str, str]
    gameServerState: GameServerSelector.GameServerState
    counters: _containers.MessageMap[str, CounterSelector]
    lists: _containers.MessageMap[str, ListSelector]
    matchExpressions: _containers.RepeatedCompositeFieldContainer[LabelMatchExpressions]
    def __init__(self, matchLabels: _Optional[_Mapping[str, str]] = ..., gameServerState: _Optional[_Union[GameServerSelector.GameServerState, str]] = ..., counters: _Optional[_Mapping[str, CounterSelector]] = ..., lists: _Optional[_Mapping[str, ListSelector]] = ..., matchExpressions: _Optional[_Iterable[_Union[LabelMatchExpressions, _Mapping]]] = ...) -> None: ...

class CounterSelector(_message.Message):
    __slots__ = ("minCount", "maxCount", "minAvailable", "maxAvailable")
    MINCOUNT_FIELD_NUMBER: _ClassVar[int]
    MAXCOUNT_FIELD_NUMBER: _ClassVar[int]
    MINAVAILABLE_FIELD_NUMBER: _ClassVar[int]
    MAXAVAILABLE_FIELD_NUMBER: _ClassVar[int]
    minCount: int
    maxCount: int
    minAvailable: int
    maxAvailable: int
    def __init__(self, minCount: _Optional[int] = ..., maxCount: _Optional[int] = ..., minAvailable: _Optional[int] = ..., maxAvailable: _Optional[int] = ...) -> None: ...

class ListSelector(_message.Message):
    __slots__ = ("containsValue", "minAvailable", "maxAvailable")
    CONTAINSVALUE_FIELD_NUMBER: _ClassVar[int]
    MINAVAILABLE_FIELD_NUMBER: _ClassVar[int]
    MAXAVAILABLE_FIELD_NUMBER: _ClassVar[int]
    containsValue: str
    minAvailable: int
    maxAvailable: int
    def __init__(self, containsValue: _Optional[str] = ..., minAvailable: _Optional[int] = ..., maxAvailable: _Optional[int] = ...) -> None: ...

class Priority(_message.Message):
    __slots__ = ("type", "key", "order")
    class Type(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
        __slots__ = ()
        Counter: _ClassVar[Priority.Type]
        List: _ClassVar[Priority.Type]
    Counter: Priority.Type
    List: Priority.Type
    class Order(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
        __slots__ = ()
        Ascending: _ClassVar[Priority.Order]
        Descending: _ClassVar[Priority.Order]
    Ascending: Priority.Order
    Descending: Priority.Order
    TYPE_FIELD_NUMBER: _ClassVar[int]
    KEY_FIELD_NUMBER: _ClassVar[int]
    ORDER_FIELD_NUMBER: _ClassVar[int]
    type: Priority.Type
    key: str
    order: Priority.Order
    def __init__(self, type: _Optional[_Union[Priority.Type, str]] = ..., key: _Optional[str] = ..., order: _Optional[_Union[Priority.Order, str]] = ...) -> None: ...

class CounterAction(_message.Message):
    __slots__ = ("action", "amount", "capacity")
    ACTION_FIELD_NUMBER: _ClassVar[int]
    AMOUNT_FIELD_NUMBER: _ClassVar[int]
    CAPACITY_FIELD_NUMBER: _ClassVar[int]
    action: _wrappers_pb2.StringValue
    amount: _wrappers_pb2.Int64Value
    capacity: _wrappers_pb2.Int64Value
    def __init__(self, action: _Optional[_Union[_wrappers_pb2.StringValue, _Mapping]] = ..., amount: _Optional[_Union[_wrappers_pb2.Int64Value, _Mapping]] = ..., capacity: _Optional[_Union[_wrappers_pb2.Int64Value, _Mapping]] = ...) -> None: ...

class ListAction(_message.Message):
    __slots__ = ("addValues", "capacity", "deleteValues")
    ADDVALUES_FIELD_NUMBER: _ClassVar[int]
    CAPACITY_FIELD_NUMBER: _ClassVar[int]
    DELETEVALUES_FIELD_NUMBER: _ClassVar[int]
    addValues: _containers.RepeatedScalarFieldContainer[str]
    capacity: _wrappers_pb2.Int64Value
    deleteValues: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, addValues: _Optional[_Iterable[str]] = ..., capacity: _Optional[_Union[_wrappers_pb2.Int64Value, _Mapping]] = ..., deleteValues: _Optional[_Iterable[str]] = ...) -> None: ...
