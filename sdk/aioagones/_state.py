"""The SDK's connection state: what `sdk.state` shows, logged once per change and told to listeners."""

from __future__ import annotations

import asyncio
import enum
import logging
from collections.abc import AsyncIterator, Callable

logger = logging.getLogger(__name__)


class ConnectionState(enum.StrEnum):
    """The SDK's connection to the sidecar, as `sdk.state` shows it."""

    CONNECTING = "connecting"
    """connect() is waiting for the sidecar to answer."""
    CONNECTED = "connected"
    """The sidecar answers."""
    RECONNECTING = "reconnecting"
    """The sidecar stopped answering (a call, a health ping or a watch failed); retrying."""
    CLOSED = "closed"
    """Not connected: before connect(), after a failed connect(), or after close()."""


StateCallback = Callable[[ConnectionState], object]


class StateKeeper:
    """The connection state now; each change goes to the callback and every `changes()` iterator."""

    def __init__(self, address: str, on_change: StateCallback | None = None) -> None:
        self.address = address
        self._on_change = on_change
        self.now = ConnectionState.CLOSED
        self._listeners: set[asyncio.Queue[ConnectionState]] = set()

    def set(self, state: ConnectionState) -> None:
        """Move to `state` (nothing happens if it is the current one)."""
        if state is self.now:
            return
        self.now = state
        for queue in self._listeners:
            queue.put_nowait(state)
        if self._on_change is not None:
            try:
                self._on_change(state)
            except Exception:
                # The game's callback must not break the health loop or the call that noticed.
                logger.exception("the on_state_change callback failed on %s", state)

    def lost(self, reason: str) -> None:
        """Note a failure that means the sidecar is away (logged once per outage)."""
        if self.now is ConnectionState.CONNECTED:
            logger.warning("Agones sidecar at %s unavailable (%s); reconnecting", self.address, reason)
            self.set(ConnectionState.RECONNECTING)

    def restored(self) -> None:
        """Note a success (logged once at the end of an outage)."""
        if self.now is ConnectionState.RECONNECTING:
            logger.info("Agones sidecar at %s is back", self.address)
            self.set(ConnectionState.CONNECTED)

    async def changes(self) -> AsyncIterator[ConnectionState]:
        """The current state, then each change, until the state is CLOSED."""
        queue: asyncio.Queue[ConnectionState] = asyncio.Queue()
        queue.put_nowait(self.now)
        self._listeners.add(queue)
        try:
            while True:
                state = await queue.get()
                yield state
                if state is ConnectionState.CLOSED:
                    return
        finally:
            self._listeners.discard(queue)
