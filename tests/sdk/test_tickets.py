"""Join tickets: issued by the matchmaker, checked by the game server, each admitting once."""

from __future__ import annotations

import doctest
import inspect
import random
from pathlib import Path

import pytest

from aioagones import AgonesError
from aioagones import tickets as t

SECRET = b"k" * 32
NOW = 1_800_000_000.0


def _issue(player: str = "alice", gs: str = "gs-1", expires_in: float = 60) -> str:
    return t.issue_ticket(SECRET, gs, player, expires_in=expires_in, now=NOW)


def _altered(ticket: str) -> str:
    """One character of the MAC changed, never to itself (a middle one: every value is canonical)."""
    return ticket[:-5] + ("A" if ticket[-5] != "A" else "B") + ticket[-4:]


def test_a_ticket_admits_its_player_to_its_game_server() -> None:
    ticket = _issue()
    assert ticket.startswith("v1.")
    assert t.verify_ticket(SECRET, ticket, "gs-1", now=NOW + 59) == "alice"
    assert t.verify_ticket(SECRET, ticket.encode(), "gs-1", now=NOW) == "alice"
    read = t.read_ticket(SECRET, ticket, "gs-1", now=NOW)
    assert (read.player_id, read.expires_at, len(read.nonce)) == ("alice", int(NOW) + 60, 8)


def test_each_ticket_has_its_own_nonce() -> None:
    assert _issue() != _issue()


def test_expires_at_and_expires_in_agree() -> None:
    at = t.read_ticket(SECRET, t.issue_ticket(SECRET, "gs-1", "a", expires_at=NOW + 5, now=NOW), "gs-1", now=NOW)
    assert at.expires_at == int(NOW) + 5


@pytest.mark.parametrize(
    ("check", "error", "reason"),
    [
        (lambda tk: t.verify_ticket(SECRET, tk, "gs-1", now=NOW + 60), t.ExpiredTicketError, "ticket expired"),
        (lambda tk: t.verify_ticket(SECRET, tk, "gs-2", now=NOW), t.ForeignTicketError, "wrong server"),
        (lambda tk: t.verify_ticket(b"j" * 32, tk, "gs-1", now=NOW), t.TicketSignatureError, "bad ticket"),
        (lambda tk: t.verify_ticket(SECRET, _altered(tk), "gs-1", now=NOW), t.TicketSignatureError, "bad ticket"),
        (lambda tk: t.verify_ticket(SECRET, "v2" + tk[2:], "gs-1", now=NOW), t.MalformedTicketError, "bad ticket"),
        (lambda tk: t.verify_ticket(SECRET, tk + ".x", "gs-1", now=NOW), t.MalformedTicketError, "bad ticket"),
        (lambda tk: t.verify_ticket(SECRET, tk + "=", "gs-1", now=NOW), t.MalformedTicketError, "bad ticket"),
        (lambda tk: t.verify_ticket(SECRET, tk + "A" * 300, "gs-1", now=NOW), t.MalformedTicketError, "bad ticket"),
    ],
    ids=["expired", "foreign", "other-secret", "altered-mac", "version", "parts", "padding", "oversize"],
)
def test_refusals_are_named_errors_with_short_reasons(check: object, error: type[t.TicketError], reason: str) -> None:
    with pytest.raises(error) as info:
        check(_issue())  # type: ignore[operator]
    assert isinstance(info.value, AgonesError) and isinstance(info.value, ValueError)
    assert info.value.reason == reason and len(reason) <= 14


def test_any_altered_byte_is_refused() -> None:
    ticket = _issue()
    for i in range(3, len(ticket)):
        if ticket[i] == ".":
            continue
        for c in "A_":
            if c == ticket[i]:
                continue
            altered = ticket[:i] + c + ticket[i + 1 :]
            with pytest.raises(t.TicketError):
                t.verify_ticket(SECRET, altered, "gs-1", now=NOW)


def test_a_payload_signed_for_another_id_cannot_be_reused() -> None:
    alice, bob = _issue("alice").split("."), _issue("bob").split(".")
    with pytest.raises(t.TicketSignatureError):
        t.verify_ticket(SECRET, ".".join([alice[0], bob[1], alice[2]]), "gs-1", now=NOW)


def test_parsing_garbage_raises_only_ticket_errors() -> None:
    rng = random.Random(17)
    alphabet = "v1.AZaz09-_=+/ \x00é"
    for _ in range(3000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randrange(0, 80)))
        if rng.random() < 0.5:
            text = "v1." + text
        for candidate in (text, text.encode("utf-8"), bytes(rng.randrange(256) for _ in range(rng.randrange(40)))):
            with pytest.raises(t.TicketError):
                t.read_ticket(SECRET, candidate, "gs-1", now=NOW)


@pytest.mark.parametrize(
    ("kwargs", "says"),
    [
        ({"player_id": "a b"}, "bad player id"),
        ({"player_id": "a,b"}, "bad player id"),
        ({"player_id": "x" * 129}, "bad player id"),
        ({"player_id": "é"}, "bad player id"),
        ({"expires_in": -1}, "in the future"),
        ({"expires_in": 1, "expires_at": 2}, "not both"),
    ],
)
def test_issuing_checks_its_input(kwargs: dict[str, object], says: str) -> None:
    args: dict[str, object] = {"player_id": "alice", "expires_in": 60, **kwargs}
    if "expires_at" in kwargs and "expires_in" not in kwargs:
        args.pop("expires_in")
    with pytest.raises(ValueError, match=says):
        t.issue_ticket(SECRET, "gs-1", now=NOW, **args)  # type: ignore[arg-type]


def test_a_short_secret_is_refused_on_both_sides() -> None:
    with pytest.raises(t.SecretError, match="at least 32 bytes"):
        t.issue_ticket(b"short", "gs-1", "a", expires_in=5)
    with pytest.raises(t.SecretError):
        t.verify_ticket(b"short", _issue(), "gs-1")


def test_the_secret_comes_from_a_file(tmp_path: Path) -> None:
    good = tmp_path / "secret"
    good.write_bytes(SECRET + b"\n")
    assert t.read_secret(good) == SECRET
    short = tmp_path / "short"
    short.write_text("hunter2\n")
    with pytest.raises(t.SecretError, match=r"short.*at least 32 bytes"):
        t.read_secret(short)
    with pytest.raises(t.SecretError, match="cannot read the join secret file"):
        t.read_secret(tmp_path / "missing")


def test_the_longest_ticket_is_within_the_bound() -> None:
    longest = _issue("x" * 128)
    assert len(longest) == 218 <= t.MAX_TICKET_LENGTH
    assert len(_issue("abcdefgh")) == 58


def test_a_replay_guard_admits_each_ticket_once_until_it_expires() -> None:
    guard = t.ReplayGuard()
    first = t.read_ticket(SECRET, _issue(expires_in=10), "gs-1", now=NOW)
    guard.use(first, now=NOW)
    with pytest.raises(t.ReplayedTicketError) as info:
        guard.use(first, now=NOW + 9)
    assert info.value.reason == "ticket used"
    guard.use(t.read_ticket(SECRET, _issue(), "gs-1", now=NOW), now=NOW + 11)  # the first is forgotten now
    assert len(guard) == 1


def test_a_replay_guard_is_bounded() -> None:
    guard = t.ReplayGuard(limit=3)
    for _ in range(10):
        guard.use(t.read_ticket(SECRET, _issue(), "gs-1", now=NOW), now=NOW)
    assert len(guard) == 3


def test_the_module_example_runs() -> None:
    assert doctest.testmod(t).failed == 0


def test_all_is_complete_and_documented() -> None:
    public = {n for n, v in vars(t).items() if not n.startswith("_") and not inspect.ismodule(v)}
    assert public - {"annotations", "AgonesError", "Path", "dataclass"} == set(t.__all__)
    for name in t.__all__:
        assert name.isupper() or (getattr(t, name).__doc__ or "").strip(), name
