"""Admission's pure rules: cookies in time buckets, share keys per IP and per /64, tickets to replies."""

from __future__ import annotations

import ipaddress

from aioagones.tickets import issue_ticket
from sample_server._admission import COOKIE_PERIOD, Admission, host_of
from sample_server._sessions import JoinResult, Sessions

SECRET = b"q" * 32


def test_a_cookie_is_good_for_its_address_in_its_bucket_and_the_next() -> None:
    a = Admission(key=b"k" * 32)
    peer = ("2001:db8::5", 4000, 0, 0)
    cookie = a.cookie(peer, 100.0)
    assert len(cookie) == 12
    assert a.cookie_ok(peer, cookie, 100.0 + COOKIE_PERIOD)
    assert not a.cookie_ok(peer, cookie, 100.0 + 2 * COOKIE_PERIOD)
    assert not a.cookie_ok(("2001:db8::5", 4001, 0, 0), cookie, 100.0)
    assert not a.cookie_ok(("2001:db8::6", 4000, 0, 0), cookie, 100.0)
    assert not a.cookie_ok(peer, None, 100.0) and not a.cookie_ok(peer, cookie + b"x", 100.0)
    assert not Admission(key=b"j" * 32).cookie_ok(peer, cookie, 100.0)  # another server's key


def test_share_keys_are_the_ip_and_for_ipv6_the_64() -> None:
    a = Admission(per_ip=2, per_64=3)
    assert a.sources(("198.51.100.7", 1)) == ((ipaddress.ip_address("198.51.100.7"), 2),)
    assert a.sources(("::ffff:198.51.100.7", 1, 0, 0)) == a.sources(("198.51.100.7", 9))  # v4-mapped is IPv4
    assert a.sources(("2001:db8:1:2:3::9", 1, 0, 0)) == (
        (ipaddress.ip_address("2001:db8:1:2:3::9"), 2),
        (ipaddress.ip_network("2001:db8:1:2::/64"), 3),
    )
    assert a.sources(("tcp", "2001:db8::1", 5)) == a.sources(("2001:db8::1", 6, 0, 0))
    assert Admission().sources(("2001:db8::1", 1, 0, 0)) == ()  # no limits
    assert host_of(("tcp", "::1", 5)) == "::1" and host_of(("::1", 5, 0, 0)) == "::1"


def test_sessions_hold_each_source_to_its_share_until_the_leave_is_told() -> None:
    s = Sessions(100, 0, Admission(per_ip=2, per_64=3).sources)
    net = [(f"2001:db8:0:1::{i}", 1000, 0, 0) for i in range(1, 6)]
    assert s.begin_join((net[0][0], 1, 0, 0), "a", 0) is JoinResult.NEW
    assert s.begin_join((net[0][0], 2, 0, 0), "b", 0) is JoinResult.NEW
    assert s.begin_join((net[0][0], 3, 0, 0), "c", 0) is JoinResult.SOURCE_FULL  # two per IP
    assert s.begin_join(net[1], "d", 0) is JoinResult.NEW
    assert s.begin_join(net[2], "e", 0) is JoinResult.SOURCE_FULL  # three per /64
    assert s.begin_join(("2001:db8:0:2::1", 1, 0, 0), "f", 0) is JoinResult.NEW  # another /64
    s.finish_join(net[1], False, 0)  # the sidecar refused d: its slot is free again
    assert s.begin_join(net[2], "e", 0) is JoinResult.NEW
    session = s.finish_join(net[2], True, 0)
    assert session is not None
    s.leave(net[2])
    assert s.begin_join(net[3], "g", 0) is JoinResult.SOURCE_FULL  # e is still leaving
    s.finish_leave(session)
    assert s.begin_join(net[3], "g", 0) is JoinResult.NEW


def test_ticket_refusals_are_short_error_replies() -> None:
    a = Admission(SECRET)
    a.game_server = "gs"
    ticket = issue_ticket(SECRET, "gs", "alice", expires_in=10, now=1000).encode()
    assert a.check_ticket(None, "alice", 1000) == b"ERROR: ticket needed\n"
    assert a.check_ticket(ticket, "bob", 1000) == b"ERROR: wrong player\n"
    assert a.check_ticket(ticket, "alice", 1010) == b"ERROR: ticket expired\n"
    read = a.check_ticket(ticket, "alice", 1005)
    assert not isinstance(read, bytes) and read.player_id == "alice"
    assert a.use(read, 1005) is None and a.use(read, 1006) == b"ERROR: ticket used\n"


def test_session_secrets_are_fresh_and_twelve_characters() -> None:
    secrets = {Admission.session_secret() for _ in range(100)}
    assert len(secrets) == 100 and {len(s) for s in secrets} == {12}
