"""Several udp-loadtest processes, one start, many targets: their merged result is exact."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest

from udp_loadtest import LoadTestResult, main, merge_results

from ._faulty import Faults, FaultyServer

WARMUP = 0.2


def _load(label: str, targets: list[str], out: Path, start_at: float, workers: int) -> subprocess.Popen[str]:
    args = [
        sys.executable, "-m", "udp_loadtest", *targets, "--clients", "4", "--rate", "400", "--duration", "1",
        "--warmup", str(WARMUP), "--reply-timeout", "0.5", "--workers", str(workers), "--start-at",
        f"{start_at:.6f}", "--run-id", "r1", "--label", label, "--json", str(out / f"{label}.json"),
        "--raw-samples", str(out / f"{label}.raw"), "-q",
    ]  # fmt: skip
    return subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _exact_percentile(samples: list[int], pct: float) -> int:
    rank = max(1, -(-len(samples) * pct // 100))  # the same rank rule as Histogram.percentile
    return samples[int(rank) - 1]


def test_three_processes_two_targets_merge_exactly(tmp_path: Path) -> None:
    # Two echo servers that drop on purpose (every 7th and every 5th sequence number of each client) and
    # count what they got; one on IPv6, one on IPv4.
    with (
        FaultyServer(Faults(drop_every=7), warmup_ns=int(WARMUP * 1e9)) as v6,
        FaultyServer(Faults(drop_every=5), warmup_ns=int(WARMUP * 1e9), family=2) as v4,
    ):
        targets = [f"[::1]:{v6.port}", f"127.0.0.1:{v4.port}"]
        start_at = time.time() + 6.0  # time for three interpreters and their workers to start on a busy machine
        procs = [
            _load("a", targets, tmp_path, start_at, 1),
            _load("b", targets, tmp_path, start_at, 2),
            _load("c", targets[::-1], tmp_path, start_at, 1),
        ]
        for proc in procs:
            _, err = proc.communicate(timeout=60)
            assert proc.returncode == 0, err
            assert "Traceback" not in err
        time.sleep(0)  # the servers stop only after every process has finished
    parts = [LoadTestResult.from_dict(json.loads((tmp_path / f"{x}.json").read_text())) for x in "abc"]
    for part in parts:
        assert part.config.run_id == "r1"
        assert abs(part.started_at - start_at) < 0.05  # all began at the shared --start-at
        assert part.sent == 400  # 4 clients x 100 Hz x 1 s, warm-up excluded

    merged_json = tmp_path / "merged"
    png = tmp_path / "merged-plot"
    assert main(["merge", *(str(tmp_path / f"{x}.json") for x in "abc"), "--json", str(merged_json),
                 "--plot", str(png)]) == 0  # fmt: skip
    merged = LoadTestResult.from_dict(json.loads((tmp_path / "merged.json").read_text()))
    assert (tmp_path / "merged-plot.png").read_bytes().startswith(b"\x89PNG")

    # Counts: the merge is the sum of the parts, and the parts are what the servers really did.
    assert merged.parts == 3
    assert merged.labels == ["a", "b", "c"]
    assert merged.sent == sum(p.sent for p in parts) == v6.account.received + v4.account.received
    assert merged.received == sum(p.received for p in parts) == v6.account.replies + v4.account.replies
    assert merged.lost == v6.account.dropped + v4.account.dropped > 0
    rows = {row.address: row for row in merged.target_rows()}
    assert set(rows) == {f"[::1]:{v6.port}", f"127.0.0.1:{v4.port}"}
    for srv, row in ((v6, rows[f"[::1]:{v6.port}"]), (v4, rows[f"127.0.0.1:{v4.port}"])):
        assert row.sent == srv.account.received
        assert row.received == srv.account.replies
        assert row.lost == srv.account.dropped
        assert row.clients == 6  # 3 processes x 2 clients each
    assert merged.counts.latency.count == merged.received
    assert sum(merged.counts.window_sent) == merged.sent
    assert sum(merged.counts.window_count) == merged.received

    # Percentiles of the merged histogram agree with those of every raw sample to within one bucket.
    samples = sorted(int(v) for x in "abc" for v in (tmp_path / f"{x}.raw").read_text().split())
    assert len(samples) == merged.received
    hist = merged.counts.latency
    for pct in (50.0, 90.0, 99.0, 99.9):
        exact = _exact_percentile(samples, pct)
        assert abs(hist.index(hist.percentile(pct)) - hist.index(exact)) <= 1, pct
    assert hist.max == samples[-1] and hist.min == samples[0]


def _result_file(tmp_path: Path, name: str, **change: object) -> Path:
    with FaultyServer(Faults()) as srv:
        path = tmp_path / f"{name}.json"
        assert main(["::1", str(srv.port), "--rate", "200", "--duration", "0.2", "--warmup", "0",
                     "--reply-timeout", "0.2", "--workers", "1", "-q", "--json", str(path)]) == 0  # fmt: skip
    data = json.loads(path.read_text())
    for key, value in change.items():
        if key == "precision":
            data["counts"]["latency"]["precision"] = value
        else:
            data[key] = value
    path.write_text(json.dumps(data))
    return path


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"precision": 7}, "different histogram precision"),
        ({"payload_format": "other"}, "different payload format"),
        ({"format": "something-else"}, "not a udp-loadtest result"),
    ],
)
def test_merge_refuses_results_it_cannot_add_up(
    tmp_path: Path, change: dict[str, object], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    a = _result_file(tmp_path, "a")
    b = _result_file(tmp_path, "b", **change)
    capsys.readouterr()
    assert main(["merge", str(a), str(b)]) == 2
    err = capsys.readouterr().err
    assert message in err
    assert "Traceback" not in err


def test_merge_says_what_is_wrong_with_a_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text("udp-loadtest ::1:7777: 10 clients\n")
    assert main(["merge", str(bad), str(tmp_path / "missing.json")]) == 2
    assert "not JSON" in capsys.readouterr().err
    assert main(["merge", str(tmp_path / "missing.json")]) == 2
    assert "cannot read" in capsys.readouterr().err


def test_merge_aligns_runs_on_wall_clock_time(tmp_path: Path) -> None:
    a = LoadTestResult.from_dict(json.loads(_result_file(tmp_path, "a").read_text()))
    b = LoadTestResult.from_dict(json.loads(_result_file(tmp_path, "b").read_text()))
    b.started_at = a.started_at + 0.5  # five 100 ms windows later
    merged = merge_results([a, b], allow_disjoint=True)  # 0.2 s runs 0.5 s apart
    assert merged.counts.window_sent[:2] == a.counts.window_sent[:2]
    assert merged.counts.window_sent[5:7] == b.counts.window_sent[:2]
    assert len(merged.counts.window_sent) == 5 + len(b.counts.window_sent)
    assert sum(merged.counts.window_sent) == a.sent + b.sent


def test_merge_reads_the_logs_of_runs_with_json_to_stdout(tmp_path: Path) -> None:
    logs = []
    with FaultyServer(Faults()) as srv:
        for label in ("pod-0", "pod-1"):
            proc = subprocess.run(
                [sys.executable, "-m", "udp_loadtest", f"[::1]:{srv.port}", "--rate", "200", "--duration", "0.2",
                 "--warmup", "0", "--reply-timeout", "0.2", "--workers", "1", "--label", label, "--json", "-"],
                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=60, check=True,
            )  # fmt: skip
            log = tmp_path / f"{label}.log"  # what `kubectl logs` gives: both streams in one
            log.write_text(proc.stdout)
            logs.append(str(log))
    # The two runs ran one after the other.
    assert main(["merge", *logs, "--allow-disjoint", "--json", str(tmp_path / "merged.json")]) == 0
    merged = json.loads((tmp_path / "merged.json").read_text())
    assert merged["labels"] == ["pod-0", "pod-1"]
    assert merged["sent"] == srv.account.received == 80
    assert merged["received"] == srv.account.replies
