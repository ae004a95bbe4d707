"""Run a parsed command's SDK call, by the table entry the parser attached to it, and format the result.

`execute` returns None when the reply is the `ACK` of the command text (the transport formats
it: `ACK: ...` over UDP, `ACK TCP: ...` over TCP), otherwise the reply bytes. A failed call
becomes an `ERROR:` line with the texts upstream uses (the entry's `failure`); where upstream
would crash the process (a failed Ready, say), we answer `ERROR: <reason>` instead.
"""

from __future__ import annotations

from collections.abc import Callable

from aioagones import AgonesError

from ._agones_like import AgonesLike
from ._entry import Call
from ._replies import error


async def execute(
    sdk: AgonesLike,
    call: Call,
    *,
    wall_ns: Callable[[], int],
    observe: Callable[[BaseException | None], None] = lambda exc: None,
) -> bytes | None:
    """Run `call`'s SDK call (not a local action: the server does those itself).

    Args:
        sdk: the SDK, or a fake.
        call: a validated command.
        wall_ns: the wall clock in Unix nanoseconds (for `LABEL`/`ANNOTATION` without arguments).
        observe: told how the call ended (None: the sidecar answered it).

    Returns:
        None for the ACK of the command's text, or the reply bytes.
    """
    command = call.command
    if command.run is None:
        return None
    try:
        result = await command.run(sdk, call, wall_ns)
    except AgonesError as exc:
        observe(exc)
        return error(command.failure(call, exc) if command.failure is not None else str(exc))
    observe(None)
    return None if command.reply is None else command.reply(result)
