"""The command table: one entry per word, and the word sets derived from it."""

from __future__ import annotations

from sample_server import protocol as p
from sample_server._entry import Access, Local
from sample_server._table import COMMANDS


def test_the_word_sets_come_from_the_table() -> None:
    assert p.PUBLIC_COMMANDS == {
        "GAMESERVER",
        "PLAYER_COUNT",
        "PLAYER_CAPACITY",
        "GET_COUNTER_COUNT",
        "GET_COUNTER_CAPACITY",
        "GET_LIST_CAPACITY",
        "GET_LIST_LENGTH",
    }
    assert p.ADMIN_COMMANDS == {
        "EXIT", "CRASH", "UNHEALTHY", "READY", "ALLOCATE", "RESERVE", "WATCH", "LABEL", "ANNOTATION",
        "PLAYER_CAPACITY", "PLAYER_CONNECT", "PLAYER_DISCONNECT", "PLAYER_CONNECTED", "GET_PLAYERS",
        "INCREMENT_COUNTER", "DECREMENT_COUNTER", "SET_COUNTER_COUNT", "SET_COUNTER_CAPACITY",
        "SET_LIST_CAPACITY", "LIST_CONTAINS", "GET_LIST_VALUES", "APPEND_LIST_VALUE", "DELETE_LIST_VALUE",
    }  # fmt: skip
    assert p.COMMAND_WORDS == {w.encode() for w in p.PUBLIC_COMMANDS | p.ADMIN_COMMANDS} | {b"ADMIN", b"JOIN", b"LEAVE"}


def test_every_entry_either_calls_the_sidecar_or_acts_locally() -> None:
    for word, command in COMMANDS.items():
        assert word == command.word.encode()
        assert (command.run is None) != (command.local is None), command.word
        if command.local is not None:
            assert command.reply is None and command.failure is None, command.word


def test_only_player_capacity_reads_differ_from_its_writes() -> None:
    mixed = [c.word for c in COMMANDS.values() if c.bare_access is not None]
    assert mixed == ["PLAYER_CAPACITY"]
    assert COMMANDS[b"PLAYER_CAPACITY"].access_for(0) is Access.ANYONE
    assert COMMANDS[b"PLAYER_CAPACITY"].access_for(1) is Access.ADMIN
    assert COMMANDS[b"LEAVE"].local is Local.LEAVE and COMMANDS[b"LEAVE"].access is Access.JOINED
