"""The committed generated code is what tools/genproto.py makes from protos/ today."""

from __future__ import annotations

import filecmp
import subprocess
import sys
from pathlib import Path

from google.protobuf import descriptor_pool

import aioagones._pb.allocation_pb2
import aioagones._pb.alpha_pb2
import aioagones._pb.beta_pb2
import aioagones._pb.sdk_pb2

ROOT = Path(__file__).resolve().parents[2]
COMMITTED = ROOT / "sdk" / "aioagones" / "_pb"


def test_regenerated_code_matches_committed(tmp_path: Path) -> None:
    out = tmp_path / "_pb"
    subprocess.run([sys.executable, str(ROOT / "tools" / "genproto.py"), "--out", str(out)], check=True)
    fresh = sorted(p.name for p in out.iterdir())
    committed = sorted(p.name for p in COMMITTED.iterdir() if p.name != "__pycache__")
    assert fresh == committed
    _, mismatch, errors = filecmp.cmpfiles(out, COMMITTED, fresh, shallow=False)
    assert (mismatch, errors) == ([], []), "run: python tools/genproto.py"


def test_protos_are_registered_under_package_qualified_paths() -> None:
    pool = descriptor_pool.Default()
    for path, module in [
        ("agones/dev/sdk/sdk.proto", aioagones._pb.sdk_pb2),
        ("agones/dev/sdk/alpha/alpha.proto", aioagones._pb.alpha_pb2),
        ("agones/dev/sdk/beta/beta.proto", aioagones._pb.beta_pb2),
        ("allocation/allocation.proto", aioagones._pb.allocation_pb2),
    ]:
        assert pool.FindFileByName(path) is module.DESCRIPTOR


def test_method_paths_and_field_numbers_match_agones() -> None:
    pool = descriptor_pool.Default()
    assert [m.full_name for m in pool.FindServiceByName("agones.dev.sdk.SDK").methods] == [
        f"agones.dev.sdk.SDK.{name}"
        for name in (
            "Ready Allocate Shutdown Health GetGameServer WatchGameServer SetLabel SetAnnotation Reserve".split()
        )
    ]
    health = pool.FindMethodByName("agones.dev.sdk.SDK.Health")
    assert (health.client_streaming, health.server_streaming) == (True, False)
    watch = pool.FindMethodByName("agones.dev.sdk.SDK.WatchGameServer")
    assert (watch.client_streaming, watch.server_streaming) == (False, True)
    status = pool.FindMessageTypeByName("agones.dev.sdk.GameServer.Status")
    assert {f.name: f.number for f in status.fields} == {
        "state": 1,
        "address": 2,
        "ports": 3,
        "players": 4,
        "counters": 5,
        "lists": 6,
        "addresses": 7,
    }
    update = pool.FindMessageTypeByName("agones.dev.sdk.beta.CounterUpdateRequest")
    assert {f.name: f.number for f in update.fields} == {"name": 1, "count": 2, "capacity": 3, "countDiff": 4}
    assert pool.FindMessageTypeByName("agones.dev.sdk.alpha.PlayerID").fields[0].name == "playerID"


def test_allocation_service_matches_agones() -> None:
    pool = descriptor_pool.Default()
    service = pool.FindServiceByName("allocation.AllocationService")
    assert [m.full_name for m in service.methods] == ["allocation.AllocationService.Allocate"]
    request = pool.FindMessageTypeByName("allocation.AllocationRequest")
    assert {f.name: f.number for f in request.fields} == {
        "namespace": 1,
        "multiClusterSetting": 2,
        "requiredGameServerSelector": 3,
        "preferredGameServerSelectors": 4,
        "scheduling": 5,
        "metaPatch": 6,
        "metadata": 7,
        "gameServerSelectors": 8,
        "priorities": 9,
        "counters": 10,
        "lists": 11,
    }
    response = pool.FindMessageTypeByName("allocation.AllocationResponse")
    # Declaration order is the JSON order of Agones' REST answer: addresses (8) right after address (4).
    assert [(f.name, f.number) for f in response.fields] == [
        ("gameServerName", 2),
        ("ports", 3),
        ("address", 4),
        ("addresses", 8),
        ("nodeName", 5),
        ("source", 6),
        ("metadata", 7),
        ("counters", 9),
        ("lists", 10),
    ]
    selector = pool.FindMessageTypeByName("allocation.GameServerSelector")
    assert {f.name: f.number for f in selector.fields} == {
        "matchLabels": 1,
        "gameServerState": 2,
        "counters": 4,
        "lists": 5,
        "matchExpressions": 6,
    }
    counter = pool.FindMessageTypeByName("allocation.CounterAction")
    assert [f.message_type.full_name for f in counter.fields if f.message_type is not None] == [
        "google.protobuf.StringValue",
        "google.protobuf.Int64Value",
        "google.protobuf.Int64Value",
    ]
