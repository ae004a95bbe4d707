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
    "allocation/test_cli.py": "loopback",
    "allocation/test_client.py": "loopback",
    "allocation/test_endpoints.py": "unit",
    "allocation/test_local_allocator.py": "loopback",
    "allocation/test_public_api.py": "unit",
    "allocation/test_request.py": "unit",
    "deploy/test_grafana.py": "unit",
    "deploy/test_image.py": "image",
    "deploy/test_loadtest_job.py": "unit",
    "deploy/test_manifests.py": "unit",
    "loadtest/test_cli.py": "loopback",
    "loadtest/test_distributed.py": "loopback",
    "loadtest/test_gameservers.py": "unit",
    "loadtest/test_histogram.py": "unit",
    "loadtest/test_layout.py": "unit",
    "loadtest/test_loadtest.py": "loopback",
    "loadtest/test_merge_inputs.py": "loopback",
    "loadtest/test_plot.py": "unit",
    "loadtest/test_readers.py": "unit",
    "loadtest/test_schedule.py": "unit",
    "local/test_calls_bound.py": "loopback",
    "local/test_cli.py": "loopback",
    "local/test_cli_reload.py": "loopback",
    "local/test_cluster.py": "loopback",
    "local/test_cluster_actions.py": "unit",
    "local/test_convert.py": "unit",
    "local/test_differences.py": "loopback",
    "local/test_hostile_inputs.py": "loopback",
    "local/test_http.py": "loopback",
    "local/test_http_guard.py": "loopback",
    "local/test_imports.py": "unit",
    "local/test_left_running.py": "loopback",
    "local/test_manifest.py": "unit",
    "local/test_operations.py": "unit",
    "local/test_quick_start.py": "loopback",
    "local/test_reload.py": "loopback",
    "local/test_reload_partial.py": "unit",
    "local/test_requests.py": "loopback",
    "local/test_rest_conformance.py": "loopback",
    "local/test_rest_reference.py": "loopback",
    "local/test_rules.py": "unit",
    "local/test_servicers.py": "loopback",
    "local/test_testing.py": "loopback",
    "local/test_watch_and_timers.py": "loopback",
    "local_allocator/test_allocator.py": "loopback",
    "local_allocator/test_cli.py": "loopback",
    "local_allocator/test_seed.py": "loopback",
    "local_allocator/test_seed_tickets.py": "loopback",
    "local_allocator/test_select.py": "unit",
    "node/test_node_sdk.py": "loopback",
    "sample_server/test_admission.py": "loopback",
    "sample_server/test_admission_netns.py": "netns",
    "sample_server/test_admin_wording.py": "unit",
    "sample_server/test_admission_rules.py": "unit",
    "sample_server/test_cli.py": "loopback",
    "sample_server/test_flags.py": "loopback",
    "sample_server/test_holes.py": "loopback",
    "sample_server/test_loopback.py": "loopback",
    "sample_server/test_metrics.py": "loopback",
    "sample_server/test_players.py": "loopback",
    "sample_server/test_new_user.py": "loopback",
    "sample_server/test_pod_netns.py": "netns",
    "sample_server/test_protocol.py": "unit",
    "sample_server/test_public_api.py": "unit",
    "sample_server/test_replies.py": "loopback",
    "sample_server/test_sessions.py": "unit",
    "sample_server/test_shutdown.py": "loopback",
    "sample_server/test_sockets.py": "loopback",
    "sample_server/test_table.py": "unit",
    "sample_server/test_tcp.py": "loopback",
    "sdk/test_closing.py": "loopback",
    "sdk/test_conformance.py": "loopback",
    "sdk/test_connection_state.py": "loopback",
    "sdk/test_errors.py": "unit",
    "sdk/test_examples.py": "loopback",
    "sdk/test_generated_fresh.py": "unit",
    "sdk/test_mistakes.py": "loopback",
    "sdk/test_models.py": "unit",
    "sdk/test_public_api.py": "unit",
    "sdk/test_reading.py": "unit",
    "sdk/test_sdk_calls.py": "loopback",
    "sdk/test_sdk_lifecycle.py": "loopback",
    "sdk/test_tickets.py": "unit",
    "sdk/test_timer.py": "unit",
    "sdk/test_validation.py": "unit",
    "sdk/test_wait_for_state.py": "loopback",
    "test_cli_errors.py": "loopback",
    "test_docs.py": "loopback",
    "test_docs_site.py": "loopback",
    "test_fuzz_corpus.py": "unit",
    "test_imports.py": "unit",
    "test_module_size.py": "unit",
    "test_release.py": "unit",
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
