"""Test tiers: every test belongs to exactly one, so a tier can run alone (`pytest -m unit`).

Each test module's tier is in TIERS below (a test may also carry a tier marker itself). A module
missing from the table stops the run, so no new test file slips out of every tier.
"""

from __future__ import annotations

from pathlib import Path

import pytest

TIER_NAMES = {
    "unit": "pure code; no socket, no child process, no server (seconds for all of them)",
    "loopback": "real sockets on loopback: our sidecar over gRPC/HTTP, UDP/TCP servers, our commands",
    "netns": "network namespaces standing in for another host (needs root and ip)",
    "image": "the container image's build and start, replayed outside a container",
}

TIERS: dict[str, str] = {
    "deploy/test_image.py": "image",
    "deploy/test_loadtest_job.py": "unit",
    "deploy/test_manifests.py": "unit",
    "loadtest/test_cli.py": "loopback",
    "loadtest/test_distributed.py": "loopback",
    "loadtest/test_histogram.py": "unit",
    "loadtest/test_loadtest.py": "loopback",
    "local/test_cli.py": "loopback",
    "local/test_cli_reload.py": "loopback",
    "local/test_cluster.py": "loopback",
    "local/test_convert.py": "unit",
    "local/test_differences.py": "loopback",
    "local/test_http.py": "loopback",
    "local/test_manifest.py": "unit",
    "local/test_quick_start.py": "loopback",
    "local/test_reload.py": "loopback",
    "local/test_requests.py": "loopback",
    "local/test_rest_conformance.py": "loopback",
    "local/test_rules.py": "unit",
    "local/test_servicers.py": "loopback",
    "local/test_testing.py": "loopback",
    "local/test_watch_and_timers.py": "loopback",
    "node/test_node_sdk.py": "loopback",
    "sample_server/test_cli.py": "loopback",
    "sample_server/test_defects.py": "loopback",
    "sample_server/test_flags.py": "loopback",
    "sample_server/test_loopback.py": "loopback",
    "sample_server/test_pod_netns.py": "netns",
    "sample_server/test_protocol.py": "unit",
    "sample_server/test_public_api.py": "unit",
    "sample_server/test_sessions.py": "unit",
    "sample_server/test_sockets.py": "loopback",
    "sample_server/test_table.py": "unit",
    "sdk/test_closing.py": "loopback",
    "sdk/test_conformance.py": "loopback",
    "sdk/test_connection_state.py": "loopback",
    "sdk/test_errors.py": "unit",
    "sdk/test_examples.py": "loopback",
    "sdk/test_generated_fresh.py": "unit",
    "sdk/test_mistakes.py": "loopback",
    "sdk/test_models.py": "unit",
    "sdk/test_public_api.py": "unit",
    "sdk/test_sdk_calls.py": "loopback",
    "sdk/test_sdk_lifecycle.py": "loopback",
    "sdk/test_validation.py": "unit",
    "sdk/test_wait_for_state.py": "loopback",
    "test_docs.py": "loopback",
}

_HERE = Path(__file__).resolve().parent


def pytest_configure(config: pytest.Config) -> None:
    for name, meaning in TIER_NAMES.items():
        config.addinivalue_line("markers", f"{name}: {meaning}")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    unplaced: set[str] = set()
    for item in items:
        own = [m.name for m in item.iter_markers() if m.name in TIER_NAMES]
        if own:
            continue
        module = item.path.resolve().relative_to(_HERE).as_posix()
        tier = TIERS.get(module)
        if tier is None:
            unplaced.add(module)
        else:
            item.add_marker(getattr(pytest.mark, tier))
    if unplaced:
        raise pytest.UsageError(
            f"tests/conftest.py: no tier for {', '.join(sorted(unplaced))}: add each to TIERS "
            f"(one of {', '.join(TIER_NAMES)}) or mark its tests"
        )
