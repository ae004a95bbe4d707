"""The command line of a run: targets, coordinated starts, outputs, and what a new user runs into."""

from __future__ import annotations

import io
import json
import socket
import sys
import time
from pathlib import Path

import pytest

from udp_loadtest import LoadTestError, parse_target, run
from udp_loadtest._cli import main, parse_start_at

from ._faulty import Faults, FaultyServer

QUICK = ["--rate", "200", "--duration", "0.2", "--warmup", "0", "--reply-timeout", "0.2", "--workers", "1", "-q"]


def _closed_port() -> int:
    with socket.socket(socket.AF_INET6, socket.SOCK_DGRAM) as s:
        s.bind(("::1", 0))
        return int(s.getsockname()[1])


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("127.0.0.1:7777", ("127.0.0.1", 7777)),
        ("[::1]:7777", ("::1", 7777)),
        ("localhost:1", ("localhost", 1)),
        (" [fe80::1%lo]:65535 ", ("fe80::1%lo", 65535)),
    ],
)
def test_targets_are_host_colon_port(text: str, expected: tuple[str, int]) -> None:
    assert parse_target(text) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("127.0.0.1", "HOST:PORT"),
        ("::1:7777", "[ADDRESS]:PORT"),
        ("[::1]7777", "[ADDRESS]:PORT"),
        ("127.0.0.1:port", "not a port number"),
        ("[::1]:0", "between 1 and 65535"),
    ],
)
def test_bad_targets_say_how_to_write_them(text: str, message: str) -> None:
    with pytest.raises(LoadTestError, match=message.replace("[", r"\[").replace("]", r"\]")):
        parse_target(text)


@pytest.mark.parametrize("args", [["[::1]:7777", "7778"], ["127.0.0.1:7777", "7778"]])
def test_a_target_then_a_bare_port_is_not_the_old_form(args: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    assert main(args) == 2
    assert "target '7778': write it as HOST:PORT" in capsys.readouterr().err


def test_clients_are_spread_over_the_targets_with_a_row_each(capsys: pytest.CaptureFixture[str]) -> None:
    with FaultyServer(Faults()) as a, FaultyServer(Faults(drop_every=2), family=socket.AF_INET) as b:
        status = main([f"[::1]:{a.port}", f"127.0.0.1:{b.port}", "--clients", "5", *QUICK])
    out = capsys.readouterr().out
    assert status == 0
    rows = {line.split()[0]: line.split() for line in out.splitlines() if line.startswith("  [::1]") or " 127." in line}
    assert rows[f"[::1]:{a.port}"][1:5] == ["3", f"{a.account.received}", f"{a.account.replies}", "0.000"]
    assert rows[f"127.0.0.1:{b.port}"][1:5] == ["2", f"{b.account.received}", f"{b.account.replies}", "50.000"]
    total = next(line.split() for line in out.splitlines() if line.startswith("  total"))
    assert total[1:4] == ["5", str(a.account.received + b.account.received), str(a.account.replies + b.account.replies)]


def test_targets_from_a_file_or_stdin_and_a_share_of_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    with FaultyServer(Faults()) as a, FaultyServer(Faults()) as b, FaultyServer(Faults()) as c:
        listing = f"# the Fleet\n[::1]:{a.port}\n[::1]:{b.port} [::1]:{c.port}\n\n"
        (tmp_path / "targets").write_text(listing)
        assert (
            main(["--targets", str(tmp_path / "targets"), "--clients", "3", *QUICK, "--json", str(tmp_path / "x")]) == 0
        )
        first = json.loads((tmp_path / "x.json").read_text())
        assert first["addresses"] == [f"[::1]:{p}" for p in (a.port, b.port, c.port)]
        monkeypatch.setattr(sys, "stdin", io.StringIO(listing))
        assert main(["--targets", "-", "--share", "1/2", *QUICK, "--json", str(tmp_path / "y")]) == 0
        second = json.loads((tmp_path / "y.json").read_text())
        assert second["addresses"] == [f"[::1]:{b.port}"]  # every 2nd target from the 2nd
    assert main(["127.0.0.1:9", "--share", "1/2"]) == 2
    assert "no target left for this share" in capsys.readouterr().err


def test_json_to_stdout_puts_the_table_on_stderr(capsys: pytest.CaptureFixture[str]) -> None:
    with FaultyServer(Faults()) as srv:
        assert main([f"[::1]:{srv.port}", *QUICK, "--json", "-", "--run-id", "r7", "--label", "pod-0"]) == 0
    out, err = capsys.readouterr()
    data = json.loads(out)  # nothing but the result on stdout
    assert (data["run_id"], data["label"], data["sent"]) == ("r7", "pod-0", 40)
    assert data["targets"][0]["received"] == srv.account.replies
    assert "received" in err and "udp-loadtest [::1]" in err


def test_outputs_get_their_suffix_and_are_announced(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    pytest.importorskip("matplotlib")
    with FaultyServer(Faults()) as srv:
        assert (
            main(["::1", str(srv.port), *QUICK, "--json", str(tmp_path / "out"), "--plot", str(tmp_path / "out")]) == 0
        )
    out = capsys.readouterr().out
    assert f"wrote {tmp_path / 'out.json'}" in out
    assert f"wrote {tmp_path / 'out.png'}" in out
    assert (tmp_path / "out.png").read_bytes().startswith(b"\x89PNG")
    assert json.loads((tmp_path / "out.json").read_text())["sent"] == 40


@pytest.mark.parametrize(
    ("flag", "name", "message"),
    [
        ("--json", "missing-dir/run.json", "does not exist"),
        ("--plot", "missing-dir/plot", "does not exist"),
        ("--json", ".", "that is a directory"),
    ],
)
def test_bad_output_paths_are_reported_before_any_load(
    flag: str,
    name: str,
    message: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.chdir(tmp_path)
    with FaultyServer(Faults()) as srv:
        assert main(["::1", str(srv.port), *QUICK, flag, name]) == 2
        assert srv.account.received == 0
    out, err = capsys.readouterr()
    assert message in err
    assert "received" not in out


def test_the_header_comes_first_and_the_last_progress_line_agrees_with_the_table(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with FaultyServer(Faults(drop_every=4), warmup_ns=100_000_000) as srv:
        args = ["::1", str(srv.port), "--rate", "400", "--duration", "0.5", "--warmup", "0.1", "--reply-timeout", "0.2"]
        assert main([*args, "--workers", "2"]) == 0
    out, err = capsys.readouterr()
    assert out.startswith("udp-loadtest [::1]:")  # the configuration, before the run
    assert out.count("udp-loadtest [::1]:") == 1
    last = err.strip().splitlines()[-1]
    sent = next(line.split()[1] for line in out.splitlines() if line.strip().startswith("sent"))
    received = next(line.split()[1] for line in out.splitlines() if line.strip().startswith("received"))
    assert f"sent {sent}  received {received}" in last
    assert int(sent.replace(",", "")) == srv.account.received


@pytest.mark.parametrize("workers", ["1", "2"])
def test_an_all_refused_start_stops_with_a_clear_message(workers: str, capsys: pytest.CaptureFixture[str]) -> None:
    port = _closed_port()
    started = time.monotonic()
    status = main(["::1", str(port), "--rate", "100", "--duration", "20", "--warmup", "0", "--workers", workers, "-q"])
    assert time.monotonic() - started < 15  # not the whole 20 s
    err = capsys.readouterr().err
    assert status == 1
    assert "every datagram of the first seconds" in err and "--keep-going" in err


def test_one_refusing_target_among_answering_ones_does_not_stop_the_run() -> None:
    from udp_loadtest import LoadTestConfig

    port = _closed_port()
    with FaultyServer(Faults()) as srv:
        # Two workers, one client each: one worker talks only to the closed port, and still runs to the end.
        config = LoadTestConfig(targets=(("::1", srv.port), ("::1", port)), clients=2, rate=40, duration=2.3,
                                warmup=0, reply_timeout=0.2, workers=2)  # fmt: skip
        result = run(config)
    assert not result.counts.refused_stop
    # The sends per target and per window are derived from the schedule, minus the sends that failed.
    assert sum(result.counts.target_sent) == sum(result.counts.window_sent) == result.sent
    rows = result.target_rows()
    assert rows[0].received == rows[0].sent == srv.account.received
    assert rows[1].sent + result.counts.errors.get("ECONNREFUSED", 0) >= 46  # its whole schedule was tried
    assert rows[1].received == 0


def test_sends_per_window_add_up_when_the_run_stops_early() -> None:
    from udp_loadtest import LoadTestConfig

    port = _closed_port()
    result = run(LoadTestConfig("::1", port, rate=300, duration=20, warmup=0.5, workers=1, clients=3))
    assert result.counts.refused_stop
    assert 0 < result.sent < 300 * 3  # stopped after about 2 s of the schedule
    assert sum(result.counts.target_sent) == sum(result.counts.window_sent) == result.sent
    assert sum(result.counts.window_sent[25:]) == 0  # nothing after the stop


def test_keep_going_insists_and_warmup_errors_are_shown_apart(capsys: pytest.CaptureFixture[str]) -> None:
    port = _closed_port()
    status = main(["::1", str(port), "--rate", "100", "--duration", "2.2", "--warmup", "0.3", "--reply-timeout", "0.1",
                   "--workers", "1", "-q", "--keep-going"])  # fmt: skip
    out, err = capsys.readouterr()
    assert status == 1
    assert "no replies from" in err
    assert "during the warm-up, not counted: ECONNREFUSED" in out


def test_join_reply_is_an_option_and_leave_is_sent_even_after_refusals() -> None:
    from udp_loadtest import LoadTestConfig

    with FaultyServer(Faults(join_reply=b"WELCOME\n")) as srv:
        config = LoadTestConfig("::1", srv.port, clients=3, rate=300, duration=0.2, warmup=0, join=True,
                                join_reply="WELCOME", reply_timeout=0.3)  # fmt: skip
        result = run(config)
        assert result.counts.joined == 3
    with FaultyServer(Faults(join_reply=b"ERROR: server full\n")) as srv:
        result = run(LoadTestConfig("::1", srv.port, clients=3, rate=300, duration=0.2, warmup=0, join=True,
                                    reply_timeout=0.3))  # fmt: skip
        assert result.counts.join_refused == 3
        assert srv.account.leaves == 3  # every client says LEAVE, joined or not


@pytest.mark.parametrize(
    ("text", "expected"),
    [("1796050800", 1796050800.0), ("2026-11-30T15:00:00Z", 1796050800.0), ("2026-11-30T16:00:00+01:00", 1796050800.0)],
)
def test_start_at_takes_unix_seconds_or_rfc3339(text: str, expected: float) -> None:
    assert parse_start_at(text) == expected


def test_start_at_without_a_zone_or_in_the_past(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["127.0.0.1:9", "--start-at", "2026-11-30T15:00:00"]) == 2
    assert "no time zone" in capsys.readouterr().err
    with FaultyServer(Faults()) as srv:
        assert main([f"[::1]:{srv.port}", *QUICK, "--start-at", str(time.time() - 5)]) == 0
    assert "--start-at passed" in capsys.readouterr().err


def test_start_at_waits_for_its_instant() -> None:
    with FaultyServer(Faults()) as srv:
        at = time.time() + 1.0
        from udp_loadtest import LoadTestConfig

        result = run(LoadTestConfig("::1", srv.port, rate=200, duration=0.2, warmup=0.1, start_at=at))
    assert abs(result.started_at - at) < 0.02


def _gameserver(name: str, port: int, pod_ips: list[str]) -> dict[str, object]:
    # The node's address is loopback too (127.0.0.3, where nothing listens): were it used, no traffic
    # would leave the machine, and the rows would show it.
    node = [{"type": "InternalIP", "address": "127.0.0.3"}, {"type": "Hostname", "address": "node-a"}]
    return {
        "apiVersion": "agones.dev/v1",
        "kind": "GameServer",
        "metadata": {"name": name, "namespace": "default"},
        "spec": {"ports": [{"name": "default", "portPolicy": "None", "containerPort": port, "protocol": "UDP"}]},
        "status": {
            "state": "Ready",
            "address": "127.0.0.3",
            "addresses": node + [{"type": "PodIP", "address": ip} for ip in pod_ips],
            "ports": [{"name": "default", "port": port}],
            "nodeName": "node-a",
        },
    }


def test_gameservers_are_aimed_at_by_pod_ip_and_those_without_are_reported(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with FaultyServer(Faults()) as a, FaultyServer(Faults(), family=socket.AF_INET) as b:
        listing = {
            "apiVersion": "v1",
            "kind": "List",
            "items": [
                _gameserver("gs-a", a.port, ["::1"]),
                _gameserver("gs-late", a.port, []),
                _gameserver("gs-b", b.port, ["127.0.0.1"]),
            ],
        }
        path = tmp_path / "gameservers.json"
        path.write_text(json.dumps(listing))
        status = main(["--gameservers", str(path), "--clients", "2", *QUICK])
    out, err = capsys.readouterr()
    assert status == 0
    assert "udp-loadtest: GameServer gs-late (state Ready): no Pod IP yet" in err
    rows = [line.split()[0] for line in out.splitlines() if line.startswith(("  [", "  1"))]
    assert rows == [f"[::1]:{a.port}", f"127.0.0.1:{b.port}"]
    assert "127.0.0.3" not in out
    assert a.account.received > 0 and b.account.received > 0


def test_gameservers_from_stdin_with_no_pod_ip_is_one_line_and_exit_2(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    listing = {"kind": "List", "items": [_gameserver("gs-late", 7, [])]}
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(json.dumps(listing).encode())))
    assert main(["--gameservers", "-", *QUICK]) == 2
    err = capsys.readouterr().err.splitlines()
    assert err == [
        "udp-loadtest: GameServer gs-late (state Ready): no Pod IP yet: try again when the Pod has its IPs: left out",
        "udp-loadtest: error: --gameservers -: no GameServer with a Pod IP on port 'default' (1 left out)",
    ]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"[::1]:7777\n\xff\xfe\n", "not UTF-8 text (byte 0xff at offset 11)"),
        (b"[::1]:7777 ::1:7778\n", "target '::1:7778': write an IPv6 target as [ADDRESS]:PORT, e.g. [::1]:7777"),
    ],
)
def test_a_bad_targets_file_is_one_line_and_exit_2(
    data: bytes, message: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "targets"
    path.write_bytes(data)
    assert main(["--targets", str(path), *QUICK]) == 2
    assert capsys.readouterr().err.splitlines() == [f"udp-loadtest: error: --targets {path}: {message}"]
    assert main(["--targets", str(tmp_path / "missing"), *QUICK]) == 2
    assert capsys.readouterr().err.splitlines() == [
        f"udp-loadtest: error: cannot read --targets {tmp_path / 'missing'}: No such file or directory"
    ]
