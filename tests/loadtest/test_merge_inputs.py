"""``udp-loadtest merge`` counts every run once and reads hostile files as one line and exit 2."""

from __future__ import annotations

import json
import re
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from udp_loadtest import LoadTestError, main
from udp_loadtest._resultfile import parse_result_bytes

from ._faulty import Faults, FaultyServer

Json = dict[str, Any]


@pytest.fixture(scope="module")
def run_json(tmp_path_factory: pytest.TempPathFactory) -> Json:
    """One real run's result (0.2 s), read back as JSON."""
    path = tmp_path_factory.mktemp("run") / "run.json"
    with FaultyServer(Faults()) as srv:
        assert main(["::1", str(srv.port), "--rate", "200", "--duration", "0.2", "--warmup", "0",
                     "--reply-timeout", "0.2", "--workers", "1", "-q", "--label", "pod-0",
                     "--json", str(path)]) == 0  # fmt: skip
    data: Json = json.loads(path.read_text())
    return data


def _write(tmp_path: Path, name: str, data: Json, change: Callable[[Json], None] | None = None) -> str:
    data = json.loads(json.dumps(data))
    if change is not None:
        change(data)
    path = tmp_path / name
    path.write_text(json.dumps(data))
    return str(path)


def _another_pod(data: Json, label: str = "pod-1", later: float = 0.05) -> None:
    data["config"]["label"] = data["label"] = label
    data["labels"] = [label]
    data["started_at"] += later


def _merge(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, list[str]]:
    capsys.readouterr()
    status = main(["merge", *args])
    return status, capsys.readouterr().err.splitlines()


def test_the_same_file_twice_is_refused(tmp_path: Path, run_json: Json, capsys: pytest.CaptureFixture[str]) -> None:
    a = _write(tmp_path, "a.json", run_json)
    assert _merge(capsys, a, a) == (2, [f"udp-loadtest merge: error: {a} is given twice: give each result once"])
    other_name = f"{tmp_path}/./a.json"
    status, err = _merge(capsys, a, other_name)
    assert status == 2 and len(err) == 1 and "are the same file" in err[0]


def test_the_same_run_twice_is_refused(tmp_path: Path, run_json: Json, capsys: pytest.CaptureFixture[str]) -> None:
    a = _write(tmp_path, "a.json", run_json)
    copy = _write(tmp_path, "copy.json", run_json)
    status, err = _merge(capsys, a, copy)
    assert status == 2
    assert len(err) == 1
    assert re.fullmatch(
        rf"udp-loadtest merge: error: {re.escape(copy)} holds the same run as {re.escape(a)}"
        r" \(label pod-0, started 20\d\d-\d\d-\d\dT\d\d:\d\d:\d\d\.\d\d\dZ\): give each run once",
        err[0],
    ), err[0]


def test_a_merge_given_beside_its_parts_is_refused_and_counts_its_parts_otherwise(
    tmp_path: Path, run_json: Json, capsys: pytest.CaptureFixture[str]
) -> None:
    a = _write(tmp_path, "a.json", run_json)
    b = _write(tmp_path, "b.json", run_json, _another_pod)
    c = _write(tmp_path, "c.json", run_json, lambda d: _another_pod(d, "pod-2", 0.1))
    merged = str(tmp_path / "merged.json")
    assert _merge(capsys, a, b, "--json", merged)[0] == 0
    status, err = _merge(capsys, a, b, merged)  # merge *.json after a first merge
    assert status == 2
    assert len(err) == 1 and f"{merged} is a merge that already holds the run of {a}" in err[0]
    status, err = _merge(capsys, merged, b)
    assert status == 2 and f"the run of {b} is already in {merged}, a merge" in err[0]
    final = str(tmp_path / "final.json")
    assert _merge(capsys, merged, c, "--json", final)[0] == 0
    out = json.loads(Path(final).read_text())
    assert out["parts"] == 3
    assert out["sent"] == 3 * run_json["sent"]
    assert out["labels"] == ["pod-0", "pod-1", "pod-2"]


def test_runs_that_did_not_overlap_are_refused_unless_asked(
    tmp_path: Path, run_json: Json, capsys: pytest.CaptureFixture[str]
) -> None:
    a = _write(tmp_path, "a.json", run_json)
    later = _write(tmp_path, "later.json", run_json, lambda d: _another_pod(d, later=60.0))
    status, err = _merge(capsys, a, later)
    assert status == 2 and len(err) == 1
    assert f"{a} (measured " in err[0] and "did not overlap in time" in err[0] and "--allow-disjoint" in err[0]
    assert _merge(capsys, a, later, "--allow-disjoint")[0] == 0
    far = _write(tmp_path, "far.json", run_json, lambda d: _another_pod(d, later=3 * 86400.0))
    status, err = _merge(capsys, a, far, "--allow-disjoint")
    assert status == 2 and "more than a day apart" in err[0]


def _png() -> bytes:
    def chunk(kind: bytes, body: bytes) -> bytes:
        return len(body).to_bytes(4, "big") + kind + body + zlib.crc32(kind + body).to_bytes(4, "big")

    header = (1).to_bytes(4, "big") * 2 + bytes([8, 0, 0, 0, 0])
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\0\0")) + chunk(b"IEND", b"")


def test_a_png_is_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    png = tmp_path / "run1.png"
    png.write_bytes(_png())
    assert _merge(capsys, str(png)) == (
        2,
        [f"udp-loadtest merge: error: {png}: not UTF-8 text (byte 0x89 at offset 0)"],
    )


def _set_bucket(index: int) -> Callable[[Json], None]:
    def change(data: Json) -> None:
        data["counts"]["latency"]["buckets"] = [[index, data["counts"]["latency"]["count"]]]

    return change


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (_set_bucket(10**12), "counts.latency.buckets[0][0] is 1000000000000: it must be between 0 and 14335"),
        (_set_bucket(-1), "counts.latency.buckets[0][0] is -1: it must be between 0 and 14335"),
        (
            lambda d: d["counts"]["window_buckets"][0].append([10**12, 1]),
            "counts.window_buckets[0][",
        ),
        (lambda d: d["counts"]["target_latency"][0]["buckets"].append([3, -5]), "][1] is -5"),
        (lambda d: d["counts"].update(sent="12"), "counts.sent must be an integer, not a string"),
        (lambda d: d["counts"].update(errors=[1]), "counts.errors must be an object, not an array"),
        (lambda d: d.update(started_at=None), "started_at must be a number, not null"),
        (lambda d: d["config"].update(clients=0), "config.clients is 0"),
        (lambda d: d["config"].update(rate="fast"), "config.rate must be a number"),
        (lambda d: d["counts"]["window_sent"].append(1), "window_* lists differ in length"),
        (lambda d: d["counts"]["latency"].update(count=10**9), "the buckets hold"),
        (lambda d: d.update(parts=2), "a merge of 2 runs that does not list them"),
        (lambda d: d.pop("counts"), "counts is missing"),
    ],
)
def test_bad_fields_are_named_in_one_line(
    tmp_path: Path, run_json: Json, change: Callable[[Json], None], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = _write(tmp_path, "bad.json", run_json, change)
    status, err = _merge(capsys, bad)
    assert status == 2
    assert len(err) == 1, err
    assert err[0].startswith(f"udp-loadtest merge: error: {bad}: ")
    assert message in err[0]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"[" * 100_000 + b"]" * 100_000, "nested more than 16 deep"),
        (b'{"a":' * 50_000 + b"1" + b"}" * 50_000, "nested more than 16 deep"),
        (b"\xff\xfe\x00{", "not UTF-8"),
        (b'{"format": "udp-loadtest-result/2", "x": NaN}', "not JSON"),
        (b"1" * 5000, "not JSON"),
        (b"", "not JSON"),
        (b"[]", "not a udp-loadtest result"),
    ],
)
def test_hostile_result_bytes_are_one_line(
    data: bytes, message: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(LoadTestError) as err:
        parse_result_bytes(data, "F")
    assert message in str(err.value)
    path = tmp_path / "F.json"
    path.write_bytes(data)
    status, lines = _merge(capsys, str(path))
    assert status == 2 and len(lines) == 1 and message in lines[0], lines
    status, lines = _merge(capsys, str(path), str(path))  # as issue 18 ran it
    assert status == 2 and len(lines) == 1, lines
