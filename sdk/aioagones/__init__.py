"""aioagones: an asyncio SDK for the Agones game-server sidecar.

async with SDK() as sdk:
    await sdk.ready()
    async for gs in sdk.watch_game_server():
        ...
"""

from ._alpha import Alpha
from ._beta import Beta
from ._endpoints import Endpoint
from ._errors import (
    AgonesError,
    AlreadyExistsError,
    InvalidArgumentError,
    NoPodIPError,
    NotFoundError,
    OutOfRangeError,
    PortNotFoundError,
    SDKClosedError,
    SidecarTimeoutError,
    SidecarUnavailableError,
)
from ._models import (
    Address,
    Counter,
    CounterStatus,
    GameServer,
    Health,
    List,
    ListStatus,
    ObjectMeta,
    PlayerStatus,
    Port,
    Spec,
    State,
    Status,
)
from ._sdk import SDK
from ._state import ConnectionState
from ._streams import StateTimeoutError
from ._version import __version__ as __version__

__all__ = [
    "SDK",
    "Address",
    "AgonesError",
    "Alpha",
    "AlreadyExistsError",
    "Beta",
    "ConnectionState",
    "Counter",
    "CounterStatus",
    "Endpoint",
    "GameServer",
    "Health",
    "InvalidArgumentError",
    "List",
    "ListStatus",
    "NoPodIPError",
    "NotFoundError",
    "ObjectMeta",
    "OutOfRangeError",
    "PlayerStatus",
    "Port",
    "PortNotFoundError",
    "SDKClosedError",
    "SidecarTimeoutError",
    "SidecarUnavailableError",
    "Spec",
    "State",
    "StateTimeoutError",
    "Status",
]
