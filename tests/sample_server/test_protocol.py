"""Table tests of the sans-IO protocol: parsing, upstream's exact texts, the admin gate, limits."""

from __future__ import annotations

import random
import re

import pytest

from sample_server import protocol as p
from sample_server._table import COMMANDS
from sample_server.protocol import Call, Echo, Join, Leave, Malformed, Parser, Reply

INSECURE = Parser(insecure_admin=True)
SECURE = Parser("s3cret")


# --------------------------------------------------------------------------- echo


@pytest.mark.parametrize(
    ("datagram", "reply"),
    [
        (b"hello", b"ACK: hello\n"),
        (b"  hello world \r\n", b"ACK: hello world\n"),
        (b"a  b", b"ACK: a  b\n"),  # inner spaces kept: split and joined on single spaces
        (b"", b"ACK: \n"),
        (b" \t\n", b"ACK: \n"),
        (b"ready", b"ACK: ready\n"),  # command words are case-sensitive
        (b"\xc2\xa0hi\xe3\x80\x80", b"ACK: hi\n"),  # Unicode spaces trimmed like Go
        (b"\xff\xfebin", b"ACK: \xff\xfebin\n"),  # bytes echoed as they are
        (b"JOIN", b"ACK: JOIN\n"),  # JOIN without an ID is an echo
        (b"ADMINX", b"ACK: ADMINX\n"),
    ],
)
def test_echo(datagram: bytes, reply: bytes) -> None:
    for parser in (INSECURE, SECURE, Parser()):
        req = parser.parse(datagram)
        assert isinstance(req, Echo)
        assert p.ack(req.text) == reply


def test_echo_of_oversize_datagram_is_cut_to_1024_bytes_like_upstream() -> None:
    req = SECURE.parse(b"x" * 3000)
    assert req == Echo(b"x" * p.MAX_DATAGRAM)


# --------------------------------------------------------------------------- commands (insecure = upstream)

ACKED = [
    b"EXIT",
    b"EXIT now",
    b"UNHEALTHY",
    b"READY",
    b"ALLOCATE",
    b"WATCH",
    b"RESERVE 10s",
    b"LABEL",
    b"LABEL k v",
    b"ANNOTATION",
    b"ANNOTATION k v",
    b"PLAYER_CAPACITY 10",
    b"PLAYER_CONNECT bob",
    b"PLAYER_DISCONNECT bob",
]


@pytest.mark.parametrize("datagram", ACKED)
def test_commands_that_ack_carry_their_text(datagram: bytes) -> None:
    req = INSECURE.parse(b" " + datagram + b"\n")
    assert isinstance(req, Call)
    assert req.word == datagram.split()[0].decode()
    assert p.ack(req.text) == b"ACK: " + datagram + b"\n"
    assert not req.trusted  # accepted, but --insecure-admin proves nothing about the sender


@pytest.mark.parametrize(
    ("datagram", "reply"),
    [
        (b"RESERVE", b"ERROR: Invalid RESERVE, should have 1 argument\n"),
        (b"RESERVE 1s 2s", b"ERROR: Invalid RESERVE, should have 1 argument\n"),
        (b"RESERVE x", b'ERROR: time: invalid duration "x"\n\n'),
        (b"RESERVE 10", b'ERROR: time: missing unit in duration "10"\n\n'),
        (b"RESERVE 10y", b'ERROR: time: unknown unit "y" in duration "10y"\n\n'),
        (b"RESERVE -5s", b"ERROR: Invalid RESERVE, duration must not be negative\n"),
        (b"LABEL k", b"ERROR: Invalid LABEL command, must use zero or 2 arguments\n"),
        (b"LABEL a b c", b"ERROR: Invalid LABEL command, must use zero or 2 arguments\n"),
        (b"ANNOTATION k", b"ERROR: Invalid ANNOTATION command, must use zero or 2 arguments\n"),
        (b"PLAYER_CAPACITY x", b'ERROR: strconv.Atoi: parsing "x": invalid syntax\n'),
        (b"PLAYER_CAPACITY 1 2", b"ERROR: Invalid PLAYER_CAPACITY, should have 0 or 1 arguments\n"),
        (
            b"PLAYER_CAPACITY 99999999999999999999",
            b'ERROR: strconv.Atoi: parsing "99999999999999999999": value out of range\n',
        ),
        (b"PLAYER_CONNECT", b"ERROR: Invalid PLAYER_CONNECT, should have 1 argument\n"),
        (b"PLAYER_DISCONNECT", b"ERROR: Invalid PLAYER_DISCONNECT, should have 1 argument\n"),
        (b"PLAYER_CONNECTED", b"ERROR: Invalid PLAYER_CONNECTED, should have 1 argument\n"),
        (b"GET_COUNTER_COUNT", b"ERROR: Invalid GET_COUNTER_COUNT, should have 1 argument\n"),
        (b"GET_COUNTER_CAPACITY", b"ERROR: Invalid GET_COUNTER_CAPACITY, should have 1 argument\n"),
        (b"GET_LIST_CAPACITY", b"ERROR: Invalid GET_LIST_CAPACITY, should have 1 argument\n"),
        (b"GET_LIST_LENGTH", b"ERROR: Invalid GET_LIST_LENGTH, should have 1 argument\n"),
        (b"GET_LIST_VALUES", b"ERROR: Invalid GET_LIST_VALUES, should have 1 argument\n"),
        (b"INCREMENT_COUNTER rooms", b"ERROR: Invalid INCREMENT_COUNTER, should have 2 arguments\n"),
        (b"DECREMENT_COUNTER rooms", b"ERROR: Invalid DECREMENT_COUNTER, should have 2 arguments\n"),
        (b"SET_COUNTER_COUNT rooms", b"ERROR: Invalid SET_COUNTER_COUNT, should have 2 arguments\n"),
        (b"SET_COUNTER_CAPACITY rooms", b"ERROR: Invalid SET_COUNTER_CAPACITY, should have 2 arguments\n"),
        (b"SET_LIST_CAPACITY players", b"ERROR: Invalid SET_LIST_CAPACITY, should have 2 arguments\n"),
        (b"LIST_CONTAINS players", b"ERROR: Invalid LIST_CONTAINS, should have 2 arguments\n"),
        (b"APPEND_LIST_VALUE players", b"ERROR: Invalid APPEND_LIST_VALUE, should have 2 arguments\n"),
        (b"DELETE_LIST_VALUE players", b"ERROR: Invalid DELETE_LIST_VALUE, should have 2 arguments\n"),
        (b"INCREMENT_COUNTER rooms x", b'ERROR: strconv.ParseInt: parsing "x": invalid syntax\n'),
        (b"INCREMENT_COUNTER rooms -2", b"ERROR: amount must be a positive int64, found -2\n"),
        (b"DECREMENT_COUNTER rooms -2", b"ERROR: amount must be a positive int64, found -2\n"),
        (b"SET_COUNTER_COUNT rooms 1.5", b'ERROR: strconv.ParseInt: parsing "1.5": invalid syntax\n'),
    ],
)
def test_wrong_arguments_give_upstreams_error_texts(datagram: bytes, reply: bytes) -> None:
    req = INSECURE.parse(datagram)
    assert req == Reply(reply)


@pytest.mark.parametrize(
    ("datagram", "word", "args", "number"),
    [
        (b"PLAYER_CAPACITY", "PLAYER_CAPACITY", (), None),
        (b"PLAYER_CAPACITY +7", "PLAYER_CAPACITY", ("+7",), 7),
        (b"PLAYER_CONNECTED bob", "PLAYER_CONNECTED", ("bob",), None),
        (b"GET_PLAYERS", "GET_PLAYERS", (), None),
        (b"PLAYER_COUNT", "PLAYER_COUNT", (), None),
        (b"GAMESERVER", "GAMESERVER", (), None),
        (b"GET_COUNTER_COUNT rooms", "GET_COUNTER_COUNT", ("rooms",), None),
        (b"INCREMENT_COUNTER rooms 2", "INCREMENT_COUNTER", ("rooms", "2"), 2),
        (b"DECREMENT_COUNTER rooms 3", "DECREMENT_COUNTER", ("rooms", "3"), 3),
        (b"SET_COUNTER_COUNT rooms -1", "SET_COUNTER_COUNT", ("rooms", "-1"), -1),
        (b"SET_COUNTER_CAPACITY rooms 9", "SET_COUNTER_CAPACITY", ("rooms", "9"), 9),
        (b"GET_COUNTER_CAPACITY rooms", "GET_COUNTER_CAPACITY", ("rooms",), None),
        (b"GET_LIST_CAPACITY players", "GET_LIST_CAPACITY", ("players",), None),
        (b"SET_LIST_CAPACITY players 5", "SET_LIST_CAPACITY", ("players", "5"), 5),
        (b"LIST_CONTAINS players a", "LIST_CONTAINS", ("players", "a"), None),
        (b"GET_LIST_LENGTH players", "GET_LIST_LENGTH", ("players",), None),
        (b"GET_LIST_VALUES players", "GET_LIST_VALUES", ("players",), None),
        (b"APPEND_LIST_VALUE players a", "APPEND_LIST_VALUE", ("players", "a"), None),
        (b"DELETE_LIST_VALUE players a", "DELETE_LIST_VALUE", ("players", "a"), None),
        (b"CRASH", "CRASH", (), 1),
        (b"CRASH 3", "CRASH", ("3",), 3),
        (b"CRASH x", "CRASH", ("x",), 1),
    ],
)
def test_well_formed_calls(datagram: bytes, word: str, args: tuple[str, ...], number: int | None) -> None:
    req = INSECURE.parse(datagram)
    assert isinstance(req, Call)
    assert (req.word, req.args, req.number) == (word, args, number)


def test_reserve_duration_is_parsed() -> None:
    req = INSECURE.parse(b"RESERVE 1m30.5s")
    assert isinstance(req, Call)
    assert req.seconds == pytest.approx(90.5)


# --------------------------------------------------------------------------- replies


@pytest.mark.parametrize(
    ("reply", "expected"),
    [
        (p.name_reply("gs-1"), b"NAME: gs-1\n"),
        (p.int_reply(10), b"10\n"),
        (p.bool_reply(True), b"true\n"),
        (p.bool_reply(False), b"false\n"),
        (p.players_reply(["a", "b"]), b"a,b\n"),
        (p.players_reply([]), b"\n"),
        (p.counter_reply(3), b"COUNTER: 3\n"),
        (p.capacity_reply(10), b"CAPACITY: 10\n"),
        (p.found_reply(True), b"FOUND: true\n"),
        (p.found_reply(False), b"FOUND: false\n"),
        (p.length_reply(3), b"LENGTH: 3\n"),
        (p.values_reply(["a", "b", "c"]), b"VALUES: a,b,c\n"),
        (p.values_reply([]), b"VALUES: <none>\n"),
        (p.success_reply(), b"SUCCESS\n"),
        (p.error("boom"), b"ERROR: boom\n"),
        (p.ack_tcp(b" x "), b"ACK TCP:  x \n\n"),
    ],
)
def test_reply_formats(reply: bytes, expected: bytes) -> None:
    assert reply == expected


# --------------------------------------------------------------------------- admin gate

GATED = [w.encode() for w in sorted(p.ADMIN_COMMANDS) if w != "PLAYER_CAPACITY"] + [b"PLAYER_CAPACITY 5"]
PUBLIC = [b"GAMESERVER", b"PLAYER_COUNT", b"PLAYER_CAPACITY", b"GET_COUNTER_COUNT rooms", b"GET_LIST_LENGTH x"]


@pytest.mark.parametrize("datagram", GATED)
def test_admin_commands_are_refused_without_trust(datagram: bytes) -> None:
    for parser in (SECURE, Parser()):
        assert parser.parse(datagram) == Reply(p.REFUSED, refused=True)
        assert len(p.REFUSED) <= len(datagram) + p.AMPLIFICATION_SLACK


@pytest.mark.parametrize("datagram", GATED)
def test_admin_commands_with_the_token_are_accepted(datagram: bytes) -> None:
    req = SECURE.parse(b"ADMIN s3cret " + datagram)
    assert not (isinstance(req, Reply) and req.refused)
    if isinstance(req, Call):
        assert req.trusted
        assert req.text == datagram


@pytest.mark.parametrize("datagram", PUBLIC)
def test_public_reads_need_no_token(datagram: bytes) -> None:
    req = SECURE.parse(datagram)
    assert isinstance(req, Call)
    assert not req.trusted


@pytest.mark.parametrize(
    "datagram",
    [b"ADMIN wrong READY", b"ADMIN s3cre READY", b"ADMIN s3cret", b"ADMIN", b"ADMIN  READY", b"ADMIN s3cret! EXIT"],
)
def test_bad_admin_envelopes_are_refused(datagram: bytes) -> None:
    assert SECURE.parse(datagram) == Reply(p.REFUSED, refused=True)


def test_admin_without_a_configured_token_is_refused() -> None:
    assert Parser().parse(b"ADMIN anything READY") == Reply(p.REFUSED, refused=True)
    assert Parser("").parse(b"ADMIN  READY") == Reply(p.REFUSED, refused=True)


def test_admin_wrapped_echo_and_admin_ack_text() -> None:
    assert SECURE.parse(b"ADMIN s3cret hello there") == Echo(b"hello there")
    req = SECURE.parse(b"ADMIN s3cret RESERVE 5s")
    assert isinstance(req, Call)
    assert p.ack(req.text) == b"ACK: RESERVE 5s\n"  # the token is never echoed


def test_insecure_admin_accepts_bare_commands_without_trusting_them() -> None:
    req = INSECURE.parse(b"ALLOCATE")
    assert isinstance(req, Call)
    assert not req.trusted  # trust lifts the reply-size limit: a bare command proves nothing
    enveloped = INSECURE.parse(b"ADMIN anything ALLOCATE")
    assert isinstance(enveloped, Call) and not enveloped.trusted
    both = Parser("s3cret", insecure_admin=True)
    trusted = both.parse(b"ADMIN s3cret GET_PLAYERS")
    assert isinstance(trusted, Call) and trusted.trusted and trusted.word == "GET_PLAYERS"
    assert both.parse(b"ADMIN wrong GET_PLAYERS") == Reply(p.REFUSED, refused=True)


# --------------------------------------------------------------------------- JOIN / LEAVE


@pytest.mark.parametrize(
    ("datagram", "expected"),
    [
        (b"JOIN bob", Join("bob", b"JOIN bob")),
        (b"JOIN bob extra", Join("bob", b"JOIN bob extra", cookie=b"extra")),
        (b"JOIN bob v1.a.b", Join("bob", b"JOIN bob v1.a.b", ticket=b"v1.a.b")),
        (b"JOIN bob v1.a.b c00kie", Join("bob", b"JOIN bob v1.a.b c00kie", b"v1.a.b", b"c00kie")),
        (b"JOIN bob c00kie v1.a.b", Join("bob", b"JOIN bob c00kie v1.a.b", b"v1.a.b", b"c00kie")),
        (b"LEAVE", Leave(b"LEAVE")),
        (b"LEAVE s3cret", Leave(b"LEAVE s3cret", b"s3cret")),
        (b"JOIN a,b", Reply(b"ERROR: bad player id\n")),
        (b"JOIN " + b"x" * 129, Reply(b"ERROR: bad player id\n")),
        (b"JOIN \xff", Reply(b"ERROR: bad player id\n")),
        (b"JOIN  bob", Reply(b"ERROR: bad player id\n")),
    ],
)
def test_join_and_leave(datagram: bytes, expected: object) -> None:
    assert SECURE.parse(datagram) == expected


def test_join_ack_is_the_upstream_echo() -> None:
    req = SECURE.parse(b"JOIN bob\n")
    assert isinstance(req, Join)
    assert p.ack(req.text) == b"ACK: JOIN bob\n"


# --------------------------------------------------------------------------- limits and malformed input


@pytest.mark.parametrize(
    ("datagram", "kind"),
    [
        (b"hello", None),
        (b"h\xc3\xa9llo", None),
        (b"", Malformed.EMPTY),
        (b"   \n", Malformed.EMPTY),
        (b"x" * 1025, Malformed.OVERSIZE),
        (b"\x00\x01\x02", Malformed.BINARY),
        (b"ok\x7f", Malformed.BINARY),
        (b"\xff\xfe", Malformed.BAD_UTF8),
        (b"\xed\xa0\x80", Malformed.BAD_UTF8),  # an encoded surrogate
    ],
)
def test_malformation(datagram: bytes, kind: Malformed | None) -> None:
    assert p.malformation(datagram) == kind


def test_limit_reply() -> None:
    assert p.limit_reply(b"x" * 26, 10, trusted=False) == b"x" * 26
    assert p.limit_reply(b"x" * 27, 10, trusted=False) == p.TOO_LONG
    assert p.limit_reply(b"x" * 27, 10, trusted=True) == b"x" * 27
    assert p.limit_reply(b"x" * 17, 0, trusted=False) == p.TOO_LONG
    assert len(p.TOO_LONG) == p.AMPLIFICATION_SLACK


def test_limit_reply_prefers_a_short_form_that_fits() -> None:
    assert p.limit_reply(b"x" * 27, 10, trusted=False, short=b"y" * 26) == b"y" * 26
    assert p.limit_reply(b"x" * 27, 10, trusted=False, short=b"y" * 27) == p.TOO_LONG
    assert p.limit_reply(b"x" * 26, 10, trusted=False, short=b"y") == b"x" * 26  # the whole text when it fits
    assert p.limit_reply(b"x" * 27, 10, trusted=True, short=b"y") == b"x" * 27


@pytest.mark.parametrize("word", sorted(w for w, c in COMMANDS.items() if c.arity is not None))
def test_every_argument_count_error_fits_an_untrusted_reply(word: bytes) -> None:
    """The shortest datagram with a wrong argument count still learns what was wrong, never `too long`."""
    command = COMMANDS[word]
    assert command.arity is not None
    parser = p.Parser(insecure_admin=True)  # admin commands reach their argument check, untrusted
    for nargs in range(4):
        if command.arity.allowed(nargs):
            continue
        datagram = b" ".join([word, *[b"x"] * nargs])
        req = parser.parse(datagram)
        assert isinstance(req, p.Reply) and req.short is not None, datagram
        reply = p.limit_reply(req.data, len(datagram), trusted=False, short=req.short)
        assert reply != p.TOO_LONG, datagram
        assert len(reply) <= len(datagram) + p.AMPLIFICATION_SLACK
        assert reply in (req.data, req.short)
        assert re.fullmatch(rb"ERROR: (needs \d args?|0 or \d args?)\n", req.short), req.short


def test_random_datagrams_never_raise_and_untrusted_replies_stay_small() -> None:
    rng = random.Random(7)
    words = [w.encode() for w in sorted(p.PUBLIC_COMMANDS | p.ADMIN_COMMANDS)] + [b"ADMIN", b"JOIN", b"LEAVE"]
    for _ in range(5000):
        if rng.random() < 0.5:
            data = rng.randbytes(rng.randrange(0, 1500))
        else:
            data = rng.choice(words) + b" " + rng.randbytes(rng.randrange(0, 40))
        req = SECURE.parse(data)
        if isinstance(req, Echo):
            reply = p.ack(req.text)
        elif isinstance(req, Reply):
            reply = req.data
        else:
            continue
        assert len(p.limit_reply(reply, len(data), trusted=False)) <= len(data) + p.AMPLIFICATION_SLACK


# --------------------------------------------------------------------------- Go compatibility helpers


@pytest.mark.parametrize(
    ("text", "nanos"),
    [
        (b"0", 0),
        (b"10s", 10_000_000_000),
        (b"1.5h", 5_400_000_000_000),
        (b"1h2m3.5s", 3_723_500_000_000),
        (b"300ms", 300_000_000),
        (b"-1.5s", -1_500_000_000),
        (b"+2us", 2_000),
        ("2\u00b5s".encode(), 2_000),
        (b".5s", 500_000_000),
        (b"1ns", 1),
    ],
)
def test_go_parse_duration(text: bytes, nanos: int) -> None:
    assert p.go_parse_duration(text) == nanos


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (b"", 'time: invalid duration ""'),
        (b"s", 'time: invalid duration "s"'),
        (b".s", 'time: invalid duration ".s"'),
        (b"1", 'time: missing unit in duration "1"'),
        (b"1d", 'time: unknown unit "d" in duration "1d"'),
        (b"99999999999h", 'time: invalid duration "99999999999h"'),
        (b"\xff", 'time: invalid duration "\\xff"'),
        (b"1\tx", 'time: unknown unit "\\tx" in duration "1\\tx"'),
    ],
)
def test_go_parse_duration_errors(text: bytes, message: str) -> None:
    with pytest.raises(ValueError, match="^" + message.replace("\\", "\\\\").replace(".", "\\.") + "$"):
        p.go_parse_duration(text)


@pytest.mark.parametrize(
    ("data", "quoted"),
    [
        (b"abc", '"abc"'),
        (b'a"b\\', '"a\\"b\\\\"'),
        (b"\n\x00\x7f", '"\\n\\x00\\x7f"'),
        ("é".encode(), '"é"'),
        ("\u200b".encode(), '"\\u200b"'),
        (b"\xff", '"\\xff"'),
    ],
)
def test_go_quote(data: bytes, quoted: str) -> None:
    assert p.go_quote(data) == quoted


@pytest.mark.parametrize(
    ("nanos", "text"),
    [
        (0, "1970-01-01 00:00:00 +0000 UTC"),
        (1_764_190_800_500_000_000, "2025-11-26 21:00:00.5 +0000 UTC"),
        (951_782_400_000_000_001, "2000-02-29 00:00:00.000000001 +0000 UTC"),
    ],
)
def test_go_format_utc(nanos: int, text: str) -> None:
    assert p.go_format_utc(nanos) == text


def test_go_trim_space() -> None:
    assert p.go_trim_space(b"\x85x") == b"\x85x"  # a lone continuation byte is not a space
    assert p.go_trim_space("\u2003 x \u3000".encode()) == b"x"
    assert p.go_trim_space(b"\xc2\x85") == b""


def test_echo_fast_path_agrees_with_the_parser() -> None:
    rng = random.Random(3)
    words = sorted(p.COMMAND_WORDS)
    samples = [b"", b" ", b"A", b"AD", b"ADMIN", b"JOINED", b"JOIN x", b"\xc2\xa0READY", b"READY\xc2\xa0"]
    for _ in range(3000):
        head = rng.choice([*words, b"hello", b"X", rng.randbytes(3)])
        samples.append(rng.choice([b"", b" ", b"\t"]) + head + rng.choice([b"", b" ", b" a b", b"\n"]))
    for data in samples:
        text = p.echo_text(data)
        req = SECURE.parse(data)
        if text is not None:  # the fast path never echoes what the parser would not
            assert req == Echo(text), data
        else:
            assert not isinstance(req, Echo) or req.text in (b"JOIN",) or data.lstrip().startswith(b"ADMIN")
