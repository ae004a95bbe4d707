"""Player tracking (Agones alpha), `sdk.alpha`: calls through the SDK's transport."""

from __future__ import annotations

from ._errors import OutOfRangeError
from ._pb import alpha_pb2
from ._transport import Transport
from ._validation import require_int, require_str


class Alpha:
    """Player tracking (Agones alpha): `sdk.alpha`."""

    def __init__(self, transport: Transport) -> None:
        self._t = transport

    async def player_connect(self, player_id: str) -> bool:
        """Record a player joining: True if added, False if already connected.

        Raises:
            OutOfRangeError: the player capacity is reached (or still 0: set it first).
        """
        request = alpha_pb2.PlayerID(playerID=require_str("player_connect", "player_id", player_id))
        try:
            return (await self._t.unary("PlayerConnect", request, alpha_pb2.Bool)).bool
        except OutOfRangeError as exc:
            # Player tracking starts at capacity 0, so the first connect of a game that never set
            # one fails; "at capacity" alone does not say that, nor what to do.
            if await self.get_player_capacity() != 0:
                raise
            raise OutOfRangeError(
                "player_connect(): the player capacity is 0, so no player can connect; set it with "
                "`await sdk.alpha.set_player_capacity(n)` or `spec.players.initialCapacity` in the GameServer",
                code=exc.code,
            ) from exc

    async def player_disconnect(self, player_id: str) -> bool:
        """Record a player leaving: True if removed, False if it was not connected."""
        request = alpha_pb2.PlayerID(playerID=require_str("player_disconnect", "player_id", player_id))
        return (await self._t.unary("PlayerDisconnect", request, alpha_pb2.Bool)).bool

    async def set_player_capacity(self, capacity: int) -> None:
        """Set how many players may be connected at once (0 or more)."""
        request = alpha_pb2.Count(count=require_int("set_player_capacity", "capacity", capacity))
        await self._t.unary("SetPlayerCapacity", request, alpha_pb2.Empty)

    async def get_player_capacity(self) -> int:
        """How many players may be connected at once."""
        return (await self._t.unary("GetPlayerCapacity", alpha_pb2.Empty(), alpha_pb2.Count)).count

    async def get_player_count(self) -> int:
        """How many players are connected."""
        return (await self._t.unary("GetPlayerCount", alpha_pb2.Empty(), alpha_pb2.Count)).count

    async def is_player_connected(self, player_id: str) -> bool:
        """Whether `player_id` is connected."""
        request = alpha_pb2.PlayerID(playerID=require_str("is_player_connected", "player_id", player_id))
        return (await self._t.unary("IsPlayerConnected", request, alpha_pb2.Bool)).bool

    async def get_connected_players(self) -> list[str]:
        """The IDs of the connected players."""
        return list((await self._t.unary("GetConnectedPlayers", alpha_pb2.Empty(), alpha_pb2.PlayerIDList)).list)
