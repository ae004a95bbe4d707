"""deploy/loadtest-job.yaml: a valid Indexed Job whose Pods run the udp-loadtest that this project ships."""

from __future__ import annotations

import copy
import re
from pathlib import Path
from typing import Any

import pytest

from udp_loadtest._cli import build_parser

from .test_manifests import DEPLOY, REPO, check, load_documents, schemas

__all__ = ["schemas"]  # the fixture, imported for the tests below

Json = dict[str, Any]
JOB = DEPLOY / "loadtest-job.yaml"


def _job() -> Json:
    docs = load_documents(JOB)
    assert len(docs) == 1
    return docs[0]


def _container(job: Json) -> Json:
    containers = job["spec"]["template"]["spec"]["containers"]
    assert len(containers) == 1
    container: Json = containers[0]
    return container


def _expanded_args(container: Json, values: dict[str, str]) -> list[str]:
    """The arguments as the kubelet passes them: $(VAR) replaced by the container's variables."""
    declared = {e["name"] for e in container.get("env", [])}

    def sub(match: re.Match[str]) -> str:
        name = match.group(1)
        assert name in declared, f"$({name}) is not declared in env, so Kubernetes would not expand it"
        return values[name]

    return [re.sub(r"\$\((\w+)\)", sub, a) for a in container["args"]]


def test_the_job_validates_against_the_kubernetes_schema(schemas: dict[tuple[str, str], Json]) -> None:
    assert check(_job(), schemas) == []


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (lambda j: j["spec"].update(completions="four"), "is not of type"),
        (lambda j: j["spec"].update(paralelism=4), "Additional properties"),
        (lambda j: j["spec"]["template"]["spec"]["containers"][0].update(args="--json -"), "is not of type"),
    ],
    ids=["completions-not-a-number", "typo-field", "args-not-a-list"],
)
def test_the_schema_refuses_a_wrong_job(change: Any, expected: str, schemas: dict[tuple[str, str], Json]) -> None:
    job = copy.deepcopy(_job())
    change(job)
    errors = check(job, schemas)
    assert any(expected in e for e in errors), errors


def test_indexed_pods_each_take_one_share_and_start_together() -> None:
    job = _job()
    spec = job["spec"]
    assert spec["completionMode"] == "Indexed"
    assert spec["parallelism"] == spec["completions"]
    container = _container(job)
    assert container["command"] == ["udp-loadtest"]
    args = _expanded_args(
        container,
        {"JOB_COMPLETION_INDEX": "3", "START_AT": "2026-11-30T15:00:00Z", "RUN_ID": "run-1", "POD_NAME": "lt-3"},
    )
    parsed = build_parser().parse_args(args)  # the very parser of the shipped command
    assert parsed.share == (3, spec["completions"])
    assert parsed.start_at == 1796050800.0
    assert parsed.json == "-"  # each Pod's log is its result
    assert (parsed.run_id, parsed.label) == ("run-1", "lt-3")
    mount = container["volumeMounts"][0]
    assert Path(parsed.gameservers).parent == Path(mount["mountPath"])
    volume = job["spec"]["template"]["spec"]["volumes"][0]
    assert volume["name"] == mount["name"]
    assert [i["path"] for i in volume["configMap"]["items"]] == [Path(parsed.gameservers).name]


def test_the_job_runs_the_project_image_with_resources() -> None:
    container = _container(_job())
    fleet = load_documents(DEPLOY / "fleet.yaml")[0]
    game = fleet["spec"]["template"]["spec"]["template"]["spec"]["containers"][0]
    assert container["image"] == game["image"]
    assert f"--image={container['image']}" in (REPO / "docs" / "deploy.md").read_text(encoding="utf-8")
    requests = container["resources"]["requests"]
    assert {"cpu", "memory"} <= set(requests)
    parsed = build_parser().parse_args(
        _expanded_args(container, {"JOB_COMPLETION_INDEX": "0", "START_AT": "0", "RUN_ID": "r", "POD_NAME": "p"})
    )
    assert parsed.workers == int(requests["cpu"])  # one worker per requested core
    assert container["securityContext"]["runAsNonRoot"] is True
