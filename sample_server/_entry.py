"""The command table's types: an entry (access, arity, typed arguments, failure texts) and a `Call`.

The table itself is `_table.COMMANDS`. This is the leaf the parser, the table and the executor
share: it imports nothing of theirs, does no I/O and imports the SDK's protocol only for the
type checker.
"""

from __future__ import annotations

import enum
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from . import _replies as r
from ._go import go_parse_duration, go_parse_int

if TYPE_CHECKING:
    from ._agones_like import AgonesLike


class Access(enum.Enum):
    """Who may send a command."""

    ANYONE = "anyone"
    JOINED = "joined"  # acts for a joined sender only; anyone else gets the plain echo
    ADMIN = "admin"  # needs the admin token (or --insecure-admin)


class Local(enum.Enum):
    """Commands the server carries out itself rather than through one SDK call."""

    JOIN = "join"
    LEAVE = "leave"
    EXIT = "exit"
    CRASH = "crash"
    UNHEALTHY = "unhealthy"
    WATCH = "watch"


class BadArgument(ValueError):
    """An argument that does not parse; `reply` is the whole reply, in upstream's words."""

    def __init__(self, reply: bytes) -> None:
        super().__init__(reply)
        self.reply = reply


@dataclass(frozen=True, slots=True)
class Arity:
    """How many arguments are allowed, and the error text (`{word}` filled in) when not.

    `short` says the same in a few words, for a peer whose reply must stay within the amplification
    limit (upstream's text is longer than most datagrams that earn it).
    """

    allowed: Callable[[int], bool]
    text: str
    short: str


def _should_have(n: int) -> str:
    return "Invalid {word}, should have " + ("1 argument" if n == 1 else f"{n} arguments")


def _needs(n: int) -> str:
    return "needs 1 arg" if n == 1 else f"needs {n} args"


def exactly(n: int) -> Arity:
    """Exactly `n` arguments, in upstream's words."""
    return Arity(lambda k: k == n, _should_have(n), _needs(n))


def at_least(n: int) -> Arity:
    """`n` arguments or more (upstream ignores the rest)."""
    return Arity(lambda k: k >= n, _should_have(n), _needs(n))


@dataclass(frozen=True, slots=True)
class Arg:
    """A typed argument: the word at `position` (1 = first argument), parsed into a `Call` field."""

    position: int
    into: Literal["number", "seconds"]
    parse: Callable[[bytes], int | float]
    default: int | None = None


def go_int(func: str, *, positive: bool = False) -> Callable[[bytes], int]:
    """A parser of Go's `strconv.<func>` integers, with Go's error text; `positive` refuses < 0."""

    def parse(data: bytes) -> int:
        try:
            value = go_parse_int(data, func)
        except ValueError as exc:
            raise BadArgument(r.error(str(exc).encode("utf-8", "surrogateescape"))) from None
        if positive and value < 0:
            raise BadArgument(r.error(f"amount must be a positive int64, found {value}"))
        return value

    return parse


def duration(data: bytes) -> float:
    """`RESERVE`'s Go duration, in seconds; never negative."""
    try:
        nanos = go_parse_duration(data)
    except ValueError as exc:
        # upstream logs and replies with the error, which Go prints with a newline of its own
        raise BadArgument(r.error(str(exc).encode("utf-8", "surrogateescape")) + b"\n") from None
    if nanos < 0:
        raise BadArgument(b"ERROR: Invalid RESERVE, duration must not be negative\n")
    return nanos / 1e9


def exit_code(data: bytes) -> int:
    """`CRASH`'s exit code: 0-255, anything else is 1 (as upstream, which ignores what it cannot parse)."""
    return int(data) if data.isdigit() and len(data) <= 3 and int(data) <= 255 else 1


Run = Callable[["AgonesLike", "Call", Callable[[], int]], Awaitable[Any]]
"""An SDK call: (sdk, the call, the wall clock in Unix ns) -> the result the reply formats."""


@dataclass(frozen=True, slots=True)
class Command:
    """One command word and everything about it.

    Attributes:
        word: the command word.
        access: who may send it.
        bare_access: who may send it with no arguments, when that differs (`PLAYER_CAPACITY`).
        arity: the allowed argument counts; None: any.
        args: typed arguments.
        run: the SDK call, or None.
        reply: the result to reply bytes (None from it, or no `reply`: the ACK of the text).
        failure: the reply text when the call fails, from the call (None: the error's own text).
        local: what the server does itself instead of `run`.
    """

    word: str
    access: Access = Access.ADMIN
    bare_access: Access | None = None
    arity: Arity | None = None
    args: tuple[Arg, ...] = ()
    run: Run | None = None
    reply: Callable[[Any], bytes | None] | None = None
    failure: Callable[[Call, Exception], str] | None = None
    local: Local | None = None

    def access_for(self, nargs: int) -> Access:
        """Who may send it with `nargs` arguments."""
        return self.bare_access if nargs == 0 and self.bare_access is not None else self.access


@dataclass(frozen=True, slots=True)
class Call:
    """A well-formed command that needs the SDK (or the process) to answer.

    Attributes:
        command: its entry in the command table (the parser found it; nobody looks it up again).
        args: the words after it, decoded (UTF-8, invalid bytes replaced).
        text: the trimmed command text, which an `ACK` reply echoes.
        number: the parsed integer argument (capacity, amount, exit code), if the command has one.
        seconds: the parsed `RESERVE` duration.
        trusted: it came with a valid admin token (which lifts the reply-size limit); with
            `insecure_admin` a bare admin command is accepted without being trusted.
    """

    command: Command
    args: tuple[str, ...]
    text: bytes
    number: int | None = None
    seconds: float | None = None
    trusted: bool = False

    @property
    def word(self) -> str:
        """The command word, e.g. `RESERVE`."""
        return self.command.word


def fixed(text: str) -> Callable[[Call, Exception], str]:
    """A failure whose reply upstream fixes (`ERROR: -1`) whatever went wrong."""
    return lambda call, exc: text


def wrapped(template: str) -> Callable[[Call, Exception], str]:
    """A failure upstream wraps around Go's gRPC error text; `{0}` is the first argument, `{n}` the number."""
    return lambda call, exc: template.format(*call.args, n=call.number) + ": " + go_rpc_text(exc)


def go_rpc_text(exc: Exception) -> str:
    """How Go's gRPC prints a status error (`rpc error: code = Unknown desc = ...`), as upstream shows it."""
    code = getattr(exc, "code", None)
    if code is None:
        return str(exc)
    message = str(exc)
    details = message.split(": ", 1)[1] if ": " in message else message  # drop our "Method: " prefix
    name = code.name
    go_name = "Canceled" if name == "CANCELLED" else "".join(w.capitalize() for w in name.split("_"))
    return f"rpc error: code = {go_name} desc = {details}"
