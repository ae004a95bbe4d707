"""Running one operation of the table on the core: record it, run it, log it in one line, publish.

Kept out of `SidecarCore` so that the core knows nothing of the table's format (`Operation`), and
`_operations` (the table) is a leaf the front ends and this module read.
"""

from __future__ import annotations

import logging
from typing import Any

from google.protobuf.message import Message

from aioagones._models import State
from aioagones.local._cluster import RESET_COMMAND
from aioagones.local._core import SidecarCore
from aioagones.local._operations import Operation
from aioagones.local._state import SidecarError, printable

__all__ = ["dispatch"]

logger = logging.getLogger("aioagones.local._core")  # the one logger of the calls' lines, as before


def dispatch(core: SidecarCore, op: Operation, request: Any, peer: str | None) -> Message:
    """Record `op` (from the game at `peer`), run it on `core`, log `Method(args) -> result`, publish a change.

    Raises:
        SidecarError: the rules refuse the call (logged with its code; nothing changed).
    """
    core.connect(peer, acting=not op.reads_only)
    core.record(*op.finer_calls(request), op.call)
    try:
        reply = op.run(core, request)
    except SidecarError as exc:
        # the message may quote what the caller sent (a counter name): one line, whatever it holds
        logger.info("%s(%s) -> %s: %s", op.method, op.args(request), exc.code.name, printable(exc.message))
        raise
    state = core.rules.game_server.state
    if op.show is None and state == State.UNHEALTHY:
        # Answered OK, as the real sidecar does; the log says why nothing changed and the way out.
        logger.warning(
            "%s(%s) -> state Unhealthy, unchanged: an Unhealthy GameServer stays Unhealthy, as in a cluster "
            "(where it is being replaced); restart the game (a new game process gets a fresh GameServer) "
            "or run `%s`",
            op.method,
            op.args(request),
            RESET_COMMAND,
        )
    elif logger.isEnabledFor(logging.INFO):
        shown = op.show(reply) if op.show is not None else f"state {state}"
        logger.info("%s(%s) -> %s", op.method, op.args(request), printable(shown))
    core.publish()
    return reply
