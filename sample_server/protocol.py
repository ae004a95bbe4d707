"""The sample server's wire protocol, without I/O: datagram bytes in, a request out, reply bytes.

Compatible with Agones' `simple-game-server`: one text datagram in, one datagram out. The text
is trimmed of surrounding white space (Go's `strings.TrimSpace`) and split on single spaces;
the first word selects a command, anything else is echoed as `ACK: <trimmed text>\\n`.

The parts, each in its own module, behind these names:

- requests (`_requests`): `classify` (the echo fast path and the one malformation reason) and
  `Parser` (the admin envelope, then the rules of the command table, `_table.COMMANDS`);
- replies (`_replies`): the reply formats and `limit_reply`, which keeps every reply to an
  untrusted peer (not joined, not authenticated) within `AMPLIFICATION_SLACK` bytes of its datagram;
- Go compatibility (`_go`): trimming, quoting, integers, durations and time as upstream prints them.

Everything here is bytes: a datagram need not be UTF-8 and an echo returns its bytes unchanged,
as upstream does. Nothing raises on input; no asyncio, sockets, logging or clocks.
"""

from __future__ import annotations

from ._entry import Call
from ._go import go_format_utc, go_parse_duration, go_parse_int, go_quote, go_trim_space
from ._replies import (
    ACK_PREFIX,
    AMPLIFICATION_SLACK,
    REFUSED,
    SHUTDOWN_NOTICE,
    TOO_LONG,
    ack,
    ack_tcp,
    bool_reply,
    capacity_reply,
    counter_reply,
    error,
    found_reply,
    int_reply,
    length_reply,
    limit_reply,
    name_reply,
    players_reply,
    success_reply,
    values_reply,
)
from ._requests import (
    ADMIN_COMMANDS,
    COMMAND_WORDS,
    JOIN_WORD,
    LEAVE_WORD,
    MAX_DATAGRAM,
    MAX_PLAYER_ID,
    PUBLIC_COMMANDS,
    Echo,
    Join,
    Leave,
    Malformed,
    Parser,
    Reply,
    Request,
    classify,
    echo_text,
    malformation,
    split_words,
)

__all__ = [
    "ACK_PREFIX",
    "ADMIN_COMMANDS",
    "AMPLIFICATION_SLACK",
    "COMMAND_WORDS",
    "JOIN_WORD",
    "LEAVE_WORD",
    "MAX_DATAGRAM",
    "MAX_PLAYER_ID",
    "PUBLIC_COMMANDS",
    "REFUSED",
    "SHUTDOWN_NOTICE",
    "TOO_LONG",
    "Call",
    "Echo",
    "Join",
    "Leave",
    "Malformed",
    "Parser",
    "Reply",
    "Request",
    "ack",
    "ack_tcp",
    "bool_reply",
    "capacity_reply",
    "classify",
    "counter_reply",
    "echo_text",
    "error",
    "found_reply",
    "go_format_utc",
    "go_parse_duration",
    "go_parse_int",
    "go_quote",
    "go_trim_space",
    "int_reply",
    "length_reply",
    "limit_reply",
    "malformation",
    "name_reply",
    "players_reply",
    "split_words",
    "success_reply",
    "values_reply",
]
