"""How JOIN and LEAVE reach Agones: the `players` list, alpha player tracking, or not at all.

One small interface, `PlayerTracker`, three implementations; `tracker_for` picks one from the
`--player-tracking` mode and the GameServer (no `players` list: tracking is off, with a warning).
"""

from __future__ import annotations

import logging
from typing import Protocol

from aioagones import AlreadyExistsError, GameServer

from ._agones_like import AgonesLike

log = logging.getLogger(__name__)

PLAYERS_LIST = "players"
"""The GameServer list that holds the joined players' IDs (list tracking)."""


class PlayerTracker(Protocol):
    """Tells Agones who plays."""

    name: str

    async def join(self, player_id: str) -> bool:
        """Record a player; False when Agones listed it already (a reserved slot being claimed).

        Raises:
            aioagones.OutOfRangeError: at capacity.
            aioagones.AgonesError: the call failed.
        """
        ...

    async def leave(self, player_id: str) -> None:
        """Forget a player (a player Agones does not know is not an error)."""
        ...

    def capacity(self, gs: GameServer) -> int | None:
        """The most players the GameServer holds, if it says."""
        ...


class ListTracker:
    """Players are the values of the GameServer's `players` list (beta counters and lists)."""

    name = "list"

    def __init__(self, sdk: AgonesLike) -> None:
        self._sdk = sdk

    async def join(self, player_id: str) -> bool:
        """Append the ID to the list."""
        try:
            await self._sdk.beta.append_list_value(PLAYERS_LIST, player_id)
        except AlreadyExistsError:
            return False
        return True

    async def leave(self, player_id: str) -> None:
        """Delete the ID from the list."""
        await self._sdk.beta.delete_list_value(PLAYERS_LIST, player_id)

    def capacity(self, gs: GameServer) -> int | None:
        """The list's capacity."""
        players = gs.status.lists.get(PLAYERS_LIST)
        return None if players is None else players.capacity


class AlphaTracker:
    """Players go through alpha player tracking (`PlayerConnect` / `PlayerDisconnect`)."""

    name = "alpha"

    def __init__(self, sdk: AgonesLike) -> None:
        self._sdk = sdk

    async def join(self, player_id: str) -> bool:
        """Connect the player."""
        return await self._sdk.alpha.player_connect(player_id)

    async def leave(self, player_id: str) -> None:
        """Disconnect the player."""
        await self._sdk.alpha.player_disconnect(player_id)

    def capacity(self, gs: GameServer) -> int | None:
        """The player capacity, when set."""
        players = gs.status.players
        return players.capacity if players is not None and players.capacity > 0 else None


class NoTracker:
    """Agones is not told about players."""

    name = "off"

    async def join(self, player_id: str) -> bool:
        """Nothing to tell."""
        return True

    async def leave(self, player_id: str) -> None:
        """Nothing to tell."""

    def capacity(self, gs: GameServer) -> int | None:
        """Nothing known."""
        return None


def tracker_for(mode: str, sdk: AgonesLike, gs: GameServer) -> PlayerTracker:
    """The tracker for `--player-tracking` `mode` (list, alpha, off) and this GameServer."""
    if mode == "list":
        if PLAYERS_LIST in gs.status.lists:
            return ListTracker(sdk)
        log.warning(
            "the GameServer has no %r list: player tracking is off (set spec.lists.%s)", PLAYERS_LIST, PLAYERS_LIST
        )
        return NoTracker()
    if mode == "alpha":
        return AlphaTracker(sdk)
    return NoTracker()
