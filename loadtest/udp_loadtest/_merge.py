"""Merging the results of several runs exactly: counts summed, histograms bucket by bucket, time aligned."""

from __future__ import annotations

import copy
import datetime
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from udp_loadtest._config import parse_target
from udp_loadtest._counts import WorkerResult
from udp_loadtest._errors import LoadTestError
from udp_loadtest._histogram import Histogram
from udp_loadtest._result import LoadTestResult, RunKey
from udp_loadtest._schedule import WINDOW_NS

__all__ = ["MAX_SPAN_S", "merge_results"]

#: The longest stretch of time one merged timeline covers (its windows are 100 ms each).
MAX_SPAN_S = 86400.0


def _settings(result: LoadTestResult) -> dict[str, Any]:
    return {
        "histogram precision": result.counts.latency.precision,
        "interval": result.interval_ns / 1e9,
        "payload format": result.payload_format,
    }


def merge_results(
    results: Sequence[LoadTestResult], sources: Sequence[str] | None = None, allow_disjoint: bool = False
) -> LoadTestResult:
    """Merge runs exactly: counts summed, histograms bucket by bucket, timelines aligned on wall-clock time.

    Targets with the same address are one row. The merged run's rate and clients are the sums, its
    duration the longest. Each run is counted once: a run given twice, or given beside a merge that
    already holds it, is refused. So are runs whose measured windows did not overlap in time (they
    never loaded the servers together), unless ``allow_disjoint``.

    Raises:
        LoadTestError: no results, a run twice, runs that did not overlap (or more than a day apart),
            or results with different histogram settings or payload formats.
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
    _check_each_run_once(results, names)
    _check_overlap(results, names, allow_disjoint)
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
        runs=sorted(k for r in results for k in r.run_keys()),
    )


def _describe(key: RunKey) -> str:
    run_id, label, started = key
    parts = [f"run id {run_id}"] if run_id else []
    parts += [f"label {label}"] if label else []
    return ", ".join([*parts, f"started {_utc(started)}"])


def _utc(unix_s: float) -> str:
    try:
        return datetime.datetime.fromtimestamp(unix_s, datetime.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")[:-4] + "Z"
    except (OverflowError, OSError, ValueError):
        return f"{unix_s:.3f} (Unix seconds)"


def _check_each_run_once(results: Sequence[LoadTestResult], names: list[str]) -> None:
    holder: dict[RunKey, int] = {}
    for i, r in enumerate(results):
        for key in r.run_keys():
            j = holder.setdefault(key, i)
            if j == i:
                continue
            if results[i].parts > 1:
                why = f"{names[i]} is a merge that already holds the run of {names[j]}"
            elif results[j].parts > 1:
                why = f"the run of {names[i]} is already in {names[j]}, a merge"
            else:
                why = f"{names[i]} holds the same run as {names[j]}"
            raise LoadTestError(f"{why} ({_describe(key)}): give each run once")


def _check_overlap(results: Sequence[LoadTestResult], names: list[str], allow_disjoint: bool) -> None:
    spans = [(r.started_at + r.config.warmup, r.started_at + r.config.warmup + r.config.duration) for r in results]
    late = max(range(len(spans)), key=lambda i: spans[i][0])
    early = min(range(len(spans)), key=lambda i: spans[i][1])
    if max(e for _, e in spans) - min(s for s, _ in spans) > MAX_SPAN_S:
        raise LoadTestError(
            f"{names[early]} and {names[late]} are more than a day apart: one timeline cannot hold them"
        )
    if spans[late][0] >= spans[early][1] and not allow_disjoint:
        raise LoadTestError(
            f"{names[early]} (measured {_utc(spans[early][0])} to {_utc(spans[early][1])}) and {names[late]}"
            f" (from {_utc(spans[late][0])}) did not overlap in time, so they never loaded the servers together;"
            " --allow-disjoint merges them anyway"
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
