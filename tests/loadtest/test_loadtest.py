"""udp-loadtest against a loopback server that drops, delays, duplicates and reorders on purpose."""

from __future__ import annotations

import json
import socket
from pathlib import Path

import pytest

from udp_loadtest import LoadTestConfig, LoadTestError, LoadTestResult, main, run

from .._commands import LOAD_CLIENT
from ._faulty import Account, Faults, FaultyServer

# 2 clients x 500 datagrams; every fault is chosen by sequence number (0..499 per client).
FAULTS = Faults(
    drop_every=10,  # seq % 10 == 9: 50 per client
    delay_every=20,  # seq % 20 == 3: 25 per client, 30 ms
    delay_at=3,
    delay_s=0.030,
    dup_every=25,  # seq % 25 == 7
    dup_at=7,
    hold_every=50,  # seq % 50 == 12: answered after seq 13
    hold_at=12,
    late_every=1000,  # seq == 30: answered after the reply timeout (0.5 s), long before the run ends
    late_at=30,
    late_s=0.7,
)


def _config(port: int, **kw: object) -> LoadTestConfig:
    base: dict[str, object] = {
        "host": "::1",
        "port": port,
        "clients": 2,
        "rate": 1000.0,
        "duration": 0.5,
        "warmup": 0.0,
        "reply_timeout": 0.5,  # generous: a busy CI machine must not turn a timely reply into a late one
        "workers": 1,
    }
    base.update(kw)
    return LoadTestConfig(**base)  # type: ignore[arg-type]


def _argv(port: int, *extra: str, rate: str = "100", duration: str = "0.1") -> list[str]:
    """`udp-loadtest`'s arguments for a short quiet run on ::1:`port`: one worker, no warm-up, 0.1 s reply timeout."""
    return ["::1", str(port), "--rate", rate, "--duration", duration, "--warmup", "0", "--reply-timeout", "0.1",
            "--workers", "1", "-q", *extra]  # fmt: skip


def _assert_matches(result: LoadTestResult, acc: Account) -> None:
    c = result.counts
    assert result.sent == acc.received
    assert result.received == acc.replies
    assert result.lost == acc.received - acc.replies
    assert c.late_replies == acc.late_sent
    assert c.duplicated == acc.duplicated
    assert c.reordered == acc.reordered
    assert result.errors == 0
    assert sum(c.window_sent) == sum(c.target_sent) == result.sent
    assert sum(c.window_count) == result.received


@pytest.mark.parametrize("workers", [1, 2])
def test_counts_equal_what_the_server_did(workers: int) -> None:
    with FaultyServer(FAULTS) as srv:
        result = run(_config(srv.port, duration=1.0, workers=workers))
    acc = srv.account
    assert result.workers == workers
    assert acc.received == 1000
    assert acc.dropped == 100
    assert acc.late == 2
    assert acc.duplicated == 2 * 20  # seq 7, 32, 57 ...: none of them is also dropped or delayed
    assert acc.reordered > acc.delayed  # each delayed reply overtakes; each held one too
    _assert_matches(result, acc)
    assert result.lost == acc.dropped + acc.late
    assert result.counts.late_replies == 2


def test_latency_percentiles_match_the_injected_delay() -> None:
    with FaultyServer(Faults(delay_every=10, delay_at=4, delay_s=0.030)) as srv:
        result = run(_config(srv.port, duration=1.0))
    acc = srv.account
    _assert_matches(result, acc)
    assert acc.delayed == 100
    lat = result.latency_ms()
    # 10 % are 30 ms late: the 50th percentile is an undelayed reply, the 95th a delayed one. No
    # upper bound on how late a reply may be, as a busy machine decides that (measured: p50 7 ms, max
    # 120 ms while eight other jobs ran on 2 cores), beyond the one the client sets itself: a reply
    # after the reply timeout is counted late, never in the latency figures.
    assert 0 < lat["min"] < 30 <= result.counts.latency.percentile(95) / 1e6
    assert lat["p50"] < 30 <= lat["p99"] <= lat["max"] < 500


def test_warmup_is_not_counted() -> None:
    warmup = 0.2
    with FaultyServer(Faults(drop_every=4, dup_every=9, dup_at=1), warmup_ns=int(warmup * 1e9)) as srv:
        result = run(_config(srv.port, warmup=warmup))
    acc = srv.account
    assert acc.received == 500
    assert result.counts.warmup_sent == 200
    _assert_matches(result, acc)
    assert result.lost == acc.dropped == 2 * 62  # seq 103, 107 ... 347 of the counted 100..349


def test_payload_size_and_ipv4_by_name() -> None:
    with FaultyServer(Faults(), family=socket.AF_INET) as srv:
        result = run(_config(srv.port, host="localhost", payload_size=200, rate=200.0, duration=0.25))
    assert srv.account.sizes == {200}
    assert result.address == f"127.0.0.1:{srv.port}"
    assert result.received == result.sent == 50
    assert result.lost == 0


def test_join_and_leave() -> None:
    with FaultyServer(Faults()) as srv:
        result = run(_config(srv.port, clients=3, rate=300.0, duration=0.2, join=True, workers=2))
    assert (srv.account.joins, srv.account.leaves) == (3, 3)
    assert (result.counts.joined, result.counts.left, result.counts.join_refused) == (3, 3, 0)
    assert result.received == result.sent == 60


def test_join_refused_is_reported(capsys: pytest.CaptureFixture[str]) -> None:
    with FaultyServer(Faults(join_reply=b"ERROR: server full\n")) as srv:
        status = main(_argv(srv.port, "--join", "--clients", "2"))
    out, err = capsys.readouterr()
    assert status == 1
    assert "refused 2" in out and "ERROR: server full" in out
    assert "no client could JOIN" in err


def test_silent_server_is_total_loss_and_a_clean_exit(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    out_json = tmp_path / "r.json"
    with FaultyServer(Faults(silent=True)) as srv:
        status = main(_argv(srv.port, "--json", str(out_json), rate="200", duration="0.2"))
    out, err = capsys.readouterr()
    assert status == 1
    assert "100.000 %" in out
    assert "no replies from" in err and "Traceback" not in err
    data = json.loads(out_json.read_text())
    assert (data["sent"], data["received"], data["loss_pct"]) == (40, 0, 100.0)


def test_closed_port_says_nothing_listens(capsys: pytest.CaptureFixture[str]) -> None:
    with socket.socket(socket.AF_INET6, socket.SOCK_DGRAM) as s:
        s.bind(("::1", 0))
        port = s.getsockname()[1]
    status = main(_argv(port))
    _, err = capsys.readouterr()
    assert status == 1
    assert "nothing listens" in err


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["::1", "0"], "port must be between 1 and 65535"),
        (["::1", "70000"], "port must be between 1 and 65535"),
        (["::1", "http"], "not a port number"),
        (["::1", "7", "--rate", "0"], "must be more than 0"),
        (["::1", "7", "--tick-rate", "-5"], "must be more than 0"),
        (["::1", "7", "--clients", "0"], "must be more than 0"),
        (["::1", "7", "--duration", "abc"], "not a number"),
        (["::1", "7", "--warmup", "-1"], "cannot be negative"),
        (["::1", "7", "--rate", "10", "--tick-rate", "5"], "not allowed with"),
        (["::1:7777"], "write an IPv6 target as [ADDRESS]:PORT"),
        (["::1", "7", "--bogus=-5"], "unrecognized arguments: --bogus=-5"),
        (["[::1]:7", "--port", "5"], "unrecognized arguments: --port 5"),  # not a prefix of --port-name
        (["::1", "7", "--clients=-5"], "argument --clients: must be more than 0"),
        (["merge", "a.json", "--bogus"], "udp-loadtest merge: error: unrecognized arguments: --bogus (see --help)"),
        (["merge"], "the following arguments are required: RESULT.json"),
    ],
)
def test_bad_arguments(args: list[str], message: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(args) == 2
    err = capsys.readouterr().err
    assert message in err
    assert len(err.splitlines()) == 1, err  # one line: the usage block is for --help


def test_unresolvable_host(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    def fail(*args: object, **kw: object) -> object:
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    monkeypatch.setattr(socket, "getaddrinfo", fail)  # no DNS query leaves this machine
    assert main(["game.example", "7777", "-q"]) == 2
    err = capsys.readouterr().err
    assert "cannot resolve 'game.example'" in err and "Traceback" not in err


def test_config_checks() -> None:
    with pytest.raises(LoadTestError, match="rate"):
        LoadTestConfig("::1", 7, rate=0).check()
    with pytest.raises(LoadTestError, match="payload"):
        LoadTestConfig("::1", 7, payload_size=100_000).check()


def test_plot_without_matplotlib_says_so(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import sys

    # None in sys.modules makes an import fail, even when an earlier test imported matplotlib.
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    monkeypatch.setitem(sys.modules, "matplotlib.pyplot", None)
    with FaultyServer(Faults()) as srv:
        status = main(_argv(srv.port, "--plot", str(tmp_path / "p.png")))
        assert srv.account.received == 0  # said before any load was sent
    out, err = capsys.readouterr()
    assert status == 2
    assert "received" not in out
    assert "--plot needs matplotlib" in err


def test_plot_is_drawn_when_matplotlib_is_installed(tmp_path: Path) -> None:
    pytest.importorskip("matplotlib")
    png = tmp_path / "lat.png"
    with FaultyServer(Faults(delay_every=5, delay_s=0.01)) as srv:
        status = main(_argv(srv.port, "--plot", str(png), rate="200", duration="0.3"))
    assert status == 0
    assert png.read_bytes().startswith(b"\x89PNG")


def test_python_m_entry_point_exits_cleanly() -> None:
    import subprocess

    with socket.socket(socket.AF_INET6, socket.SOCK_DGRAM) as s:
        s.bind(("::1", 0))
        port = s.getsockname()[1]
    proc = subprocess.run([*LOAD_CLIENT, *_argv(port, rate="50")], capture_output=True, text=True, timeout=30)
    assert proc.returncode == 1
    assert "no replies from" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert "lost" in proc.stdout


def test_public_names() -> None:
    import udp_loadtest as lt

    assert lt.__all__ == sorted(lt.__all__)
    assert all(hasattr(lt, name) for name in lt.__all__)


def test_the_load_client_does_not_import_grpc() -> None:
    import subprocess
    import sys

    # Every worker process imports the package again: grpc would cost each one startup time and memory.
    probe = (
        "import sys, pkgutil, importlib, udp_loadtest\n"
        "for m in pkgutil.iter_modules(udp_loadtest.__path__): importlib.import_module('udp_loadtest.' + m.name)\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('grpc', 'aioagones', 'google')))"
    )
    proc = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60, check=True)
    assert proc.stdout.strip() == "[]"
    assert udp_loadtest_uses_protocol()


def udp_loadtest_uses_protocol() -> bool:
    from sample_server import protocol
    from udp_loadtest import _loop

    return _loop.ECHO_PREFIX.startswith(protocol.ACK_PREFIX)
