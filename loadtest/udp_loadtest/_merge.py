"""Merging the results of several runs exactly: counts summed, histograms bucket by bucket, time aligned."""

from __future__ import annotations

import copy
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from udp_loadtest._config import parse_target
from udp_loadtest._counts import WorkerResult
from udp_loadtest._errors import LoadTestError
from udp_loadtest._histogram import Histogram
from udp_loadtest._result import LoadTestResult
from udp_loadtest._schedule import WINDOW_NS

__all__ = ["merge_results"]


def _settings(result: LoadTestResult) -> dict[str, Any]:
    return {
        "histogram precision": result.counts.latency.precision,
        "interval": result.interval_ns / 1e9,
        "payload format": result.payload_format,
    }


def merge_results(results: Sequence[LoadTestResult], sources: Sequence[str] | None = None) -> LoadTestResult:
    """Merge runs exactly: counts summed, histograms bucket by bucket, timelines aligned on wall-clock time.

    Targets with the same address are one row. The merged run's rate and clients are the sums, its
    duration the longest.

    Raises:
        LoadTestError: no results, or results with different histogram settings or payload formats.
    """
    if not results:
        raise LoadTestError("nothing to merge")
    names = list(sources) if sources is not None else [f"result {i + 1}" for i in range(len(results))]
    first = _settings(results[0])
    for name, r in zip(names[1:], results[1:], strict=True):
        mine = _settings(r)
        for key, value in mine.items():
            if value != first[key]:
                raise LoadTestError(
                    f"cannot merge {name} with {names[0]}: different {key} ({value!r} vs {first[key]!r});"
                    " merge only results of the same udp-loadtest version and settings"
                )
    base = min(r.started_at + r.config.warmup for r in results)
    addresses: list[str] = []
    for r in results:
        addresses.extend(a for a in r.addresses if a not in addresses)
    merged = WorkerResult()
    target_clients = [0] * len(addresses)
    for r in results:
        shift = round((r.started_at + r.config.warmup - base) * 1e9 / WINDOW_NS)
        merged.merge(_remap(r, addresses, target_clients), window_shift=shift)
    # The schedule of a run that started later ends later: last sends are relative to the earliest start.
    merged.last_send_ns = max(
        int(r.counts.last_send_ns + (r.started_at + r.config.warmup - base) * 1e9) for r in results
    )
    head = results[0].config
    config = replace(
        head,
        host="",
        port=0,
        targets=tuple(parse_target(a) for a in addresses),
        clients=sum(r.config.clients for r in results),
        rate=sum(r.config.rate for r in results),
        duration=max(r.config.duration for r in results),
        warmup=max(r.config.warmup for r in results),
        workers=sum(r.workers for r in results),
        join=any(r.config.join for r in results),
        start_at=None,
        run_id="",
        label="",
    )
    run_ids = sorted({i for r in results for i in (r.run_ids or [r.config.run_id]) if i})
    labels = [lb for r in results for lb in (r.labels or [r.config.label]) if lb]
    return LoadTestResult(
        config=config,
        address=", ".join(addresses) if len(addresses) <= 3 else f"{len(addresses)} targets",
        workers=config.workers,
        counts=merged,
        elapsed=max(r.elapsed for r in results),
        started_at=base - config.warmup,
        addresses=addresses,
        target_clients=target_clients,
        parts=sum(r.parts for r in results),
        run_ids=run_ids,
        labels=labels,
    )


def _remap(result: LoadTestResult, addresses: list[str], clients: list[int]) -> WorkerResult:
    """A copy of ``result``'s counts with its per-target lists in the order of ``addresses``."""
    c = copy.deepcopy(result.counts)
    sent = [0] * len(addresses)
    hists = [Histogram(c.latency.precision) for _ in addresses]
    for row in result.target_rows():
        u = addresses.index(row.address)
        sent[u] += row.sent
        hists[u].merge(row.latency)
        clients[u] += row.clients
    c.target_sent, c.target_latency = sent, hists
    return c
