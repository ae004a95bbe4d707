"""Sessions and lifecycle as pure code: the clock is a number passed in."""

from __future__ import annotations

from sample_server._sessions import HARD_LIMIT, Action, JoinResult, Lifecycle, Sessions

A, B, C = ("::1", 1, 0, 0), ("::1", 2, 0, 0), ("::ffff:127.0.0.1", 3, 0, 0)


def _join(s: Sessions, addr: object, pid: str, now: float = 0.0) -> JoinResult:
    result = s.begin_join(addr, pid, now)
    if result is JoinResult.NEW:
        s.finish_join(addr, True, now)
    return result


def test_join_touch_leave() -> None:
    s = Sessions(capacity=2, idle_timeout=10)
    assert _join(s, A, "alice") is JoinResult.NEW
    assert s.player_ids == ["alice"]
    assert _join(s, A, "alice", 1) is JoinResult.ALREADY
    assert s.touch(A, 2) and not s.touch(B, 2)
    left = s.leave(A)
    assert left is not None and left.player_id == "alice"
    assert s.leave(A) is None
    assert len(s) == 0


def test_capacity_counts_pending_joins() -> None:
    s = Sessions(capacity=2, idle_timeout=10)
    assert s.begin_join(A, "a", 0) is JoinResult.NEW
    assert s.begin_join(B, "b", 0) is JoinResult.NEW
    assert s.begin_join(C, "c", 0) is JoinResult.FULL  # two in flight fill it
    assert s.finish_join(A, False, 0) is None  # Agones said no: the slot is free again
    assert s.begin_join(C, "c", 0) is JoinResult.NEW


def test_one_player_per_address_and_one_address_per_player() -> None:
    s = Sessions(capacity=5, idle_timeout=10)
    _join(s, A, "alice")
    assert s.begin_join(B, "alice", 0) is JoinResult.ID_IN_USE
    assert s.begin_join(A, "bob", 0) is JoinResult.ID_IN_USE
    assert s.begin_join(B, "bob", 0) is JoinResult.NEW
    assert s.begin_join(B, "bob", 0) is JoinResult.BUSY
    assert s.begin_join(C, "bob", 0) is JoinResult.ID_IN_USE


def test_idle_timeout() -> None:
    s = Sessions(capacity=5, idle_timeout=10)
    _join(s, A, "a", 0)
    _join(s, B, "b", 0)
    s.touch(B, 8)
    assert s.next_expiry() == 10
    assert s.expire(10) == []
    gone = s.expire(10.5)
    assert [g.player_id for g in gone] == ["a"]
    assert s.player_ids == ["b"]
    assert s.next_expiry() == 18


def test_zero_idle_timeout_never_expires() -> None:
    s = Sessions(capacity=5, idle_timeout=0)
    _join(s, A, "a", 0)
    assert s.expire(1e9) == []
    assert s.next_expiry() is None


def test_closed_sessions_refuse_joins_and_are_kept_to_be_told() -> None:
    s = Sessions(capacity=5, idle_timeout=10)
    _join(s, A, "a")
    assert [x.player_id for x in s.close()] == ["a"]
    assert s.begin_join(B, "b", 0) is JoinResult.CLOSED


def test_capacity_is_bounded() -> None:
    s = Sessions(capacity=10**9, idle_timeout=10)
    assert s.capacity == HARD_LIMIT
    s.capacity = -3
    assert s.capacity == 0
    assert s.begin_join(A, "a", 0) is JoinResult.FULL


# --------------------------------------------------------------------------- lifecycle


def test_automatic_shutdown_after_allocation() -> None:
    lc = Lifecycle(automatic_shutdown_delay=5)
    lc.on_game_server("Ready", "", 0)
    assert lc.next_deadline() is None
    lc.on_game_server("Allocated", "t1", 10)
    assert lc.next_deadline() == 15
    assert lc.due(14.9) is None
    assert lc.due(15) is Action.SHUTDOWN
    assert lc.due(100) is None


def test_ready_iterations_follow_upstream() -> None:
    # upstream: each allocation counts down; while the count left is above 0, back to Ready
    lc = Lifecycle(automatic_shutdown_delay=1, ready_iterations=3)
    lc.on_game_server("Allocated", "t1", 0)
    assert lc.due(1) is Action.READY
    lc.on_game_server("Ready", "t1", 1)
    lc.on_game_server("Allocated", "t2", 2)
    assert lc.due(3) is Action.READY
    lc.on_game_server("Allocated", "t3", 4)  # re-allocated without passing Ready: a new annotation
    assert lc.due(5) is Action.SHUTDOWN


def test_shutdown_when_empty_after_a_match() -> None:
    lc = Lifecycle(shutdown_when_empty=3)
    lc.on_game_server("Allocated", "t1", 0)
    lc.on_players(0, 0)
    assert lc.next_deadline() is None  # nobody has played yet
    lc.on_players(2, 1)
    lc.on_players(0, 5)
    assert lc.next_deadline() == 8
    lc.on_players(1, 6)  # someone came back: no shutdown
    assert lc.next_deadline() is None
    lc.on_players(0, 7)
    assert lc.due(9.9) is None
    assert lc.due(10) is Action.SHUTDOWN


def test_empty_before_allocation_does_nothing() -> None:
    lc = Lifecycle(shutdown_when_empty=3)
    lc.on_game_server("Ready", "", 0)
    lc.on_players(1, 0)
    lc.on_players(0, 1)
    assert lc.next_deadline() is None


def test_shutdown_state_finishes_the_lifecycle() -> None:
    lc = Lifecycle(automatic_shutdown_delay=1)
    lc.on_game_server("Allocated", "t1", 0)
    lc.on_game_server("Shutdown", "t1", 0.5)
    assert lc.due(2) is None


def test_a_leave_in_flight_makes_a_rejoin_of_that_player_wait() -> None:
    s = Sessions(10, 10.0)
    assert s.begin_join("a", "p", 0.0) is JoinResult.NEW
    s.finish_join("a", True, 0.0)
    leaving = s.leave("a")
    assert leaving is not None
    # the delete_list_value for p is still in flight: neither the same address nor another may rejoin as p
    assert s.begin_join("a", "p", 0.1) is JoinResult.BUSY
    assert s.begin_join("b", "p", 0.1) is JoinResult.BUSY
    assert s.begin_join("a", "q", 0.1) is JoinResult.BUSY
    s.finish_leave(leaving)
    assert s.begin_join("a", "p", 0.2) is JoinResult.NEW
