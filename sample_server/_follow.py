"""Following the GameServer: the watch that never gives up, and the start's notes on players (where, who)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

from aioagones import AgonesError, GameServer
from aioagones._constants import format_host_port

from ._admission import Admission
from ._agones_like import AgonesLike
from ._metrics import Metrics

log = logging.getLogger(__name__)

_RETRY = 1.0  # seconds between watches; the SDK reconnects underneath


async def follow(sdk: AgonesLike, metrics: Metrics, seen: Callable[[GameServer], None]) -> None:
    """Feed every GameServer the sidecar sends to `seen`, watching again after each failure (forever)."""
    while True:
        try:
            async for gs in sdk.watch_game_server():
                metrics.sidecar_up = 1
                seen(gs)
        except AgonesError as exc:
            metrics.sidecar_up = 0
            log.warning("watching the GameServer failed: %s; retrying", exc)
        await asyncio.sleep(_RETRY)


def log_reachable(gs: GameServer, port: int) -> tuple[str, ...]:
    """Log the Pod IP endpoints players use (or that there are none yet); the Pod IPs."""
    ips = gs.status.pod_ips
    if not ips:
        log.info("no Pod IPs in the GameServer status yet: watching for them")
        return ()
    log.info("reachable by Pod IP at %s", ", ".join(format_host_port(ip, port) for ip in ips))
    return tuple(ips)


def log_admission(admission: Admission) -> None:
    """Say who may join: ticket holders for this GameServer, or anyone (a warning)."""
    if admission.tickets:
        log.info("JOIN needs a ticket for GameServer %s", admission.game_server)
    else:
        log.warning("no join secret: anyone may join (JOIN <id> without a ticket)")
