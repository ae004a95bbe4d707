"""Every manifest under deploy/ has the shape the API server would accept.

The GameServer, Fleet and FleetAutoscaler schemas are the real Agones CRD schemas, kept in
``schemas/agones`` beside this file (its README says which Agones version and how to refresh them).
On top of plain JSON Schema validation the check also rejects fields the schema does not declare,
as ``kubectl``'s strict field validation does: a typo such as ``portPolcy`` would otherwise be
pruned silently and the port would fall back to ``Dynamic``.

GameServerAllocation has no CRD (Agones' API extension serves it; it is created, never stored), so
a small schema of ours, written from the Agones ``allocation.agones.dev/v1`` types, checks the fields
we use.
"""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
DEPLOY = REPO / "deploy"
SCHEMAS = Path(__file__).resolve().parent / "schemas" / "agones"
# Kubernetes' own kinds (see the README there).
KUBERNETES_SCHEMAS = Path(__file__).resolve().parent / "schemas" / "kubernetes"

Json = dict[str, Any]

_LABEL_VALUE = r"^(([A-Za-z0-9][-A-Za-z0-9_.]{0,61})?[A-Za-z0-9])?$"
_DNS_SUBDOMAIN = r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$"

# (apiVersion, kind) -> its schema file: a name in SCHEMAS (a CRD schema), or a whole-object schema's path.
KINDS: dict[tuple[str, str], str | Path] = {
    ("batch/v1", "Job"): KUBERNETES_SCHEMAS / "job-batch-v1.json",
    ("agones.dev/v1", "GameServer"): "gameserver.agones.dev.v1.openapi.json",
    ("agones.dev/v1", "Fleet"): "fleet.agones.dev.v1.openapi.json",
    ("autoscaling.agones.dev/v1", "FleetAutoscaler"): "fleetautoscaler.autoscaling.agones.dev.v1.openapi.json",
    ("allocation.agones.dev/v1", "GameServerAllocation"): "gameserverallocation.allocation.agones.dev.v1.schema.json",
}


def manifest_paths() -> list[Path]:
    return sorted(p for p in DEPLOY.rglob("*") if p.suffix in {".yaml", ".yml"})


def load_documents(path: Path) -> list[Json]:
    docs = [d for d in yaml.safe_load_all(path.read_text(encoding="utf-8")) if d is not None]
    assert docs, f"{path} holds no document"
    for doc in docs:
        assert isinstance(doc, dict), f"{path}: a document is not a mapping"
    return docs


@pytest.fixture(scope="module")
def schemas() -> dict[tuple[str, str], Json]:
    loaded: dict[tuple[str, str], Json] = {}
    for key, source in KINDS.items():
        if isinstance(source, Path):
            # A complete Kubernetes object schema: it declares apiVersion, kind and metadata itself.
            loaded[key] = json.loads(source.read_text(encoding="utf-8"))
            continue
        raw = json.loads((SCHEMAS / source).read_text(encoding="utf-8"))
        loaded[key] = _with_object_envelope(raw, *key)
    return loaded


def _with_object_envelope(schema: Json, api_version: str, kind: str) -> Json:
    """Add what every Kubernetes object has but a CRD schema leaves implicit: apiVersion, kind, metadata."""
    out = copy.deepcopy(schema)
    props = out.setdefault("properties", {})
    props["apiVersion"] = {"const": api_version}
    props["kind"] = {"const": kind}
    props["metadata"] = {
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "name": {"type": "string", "maxLength": 63, "pattern": _DNS_SUBDOMAIN},
            "generateName": {"type": "string", "maxLength": 58, "pattern": r"^[a-z0-9]([-a-z0-9]*)?$"},
            "namespace": {"type": "string", "pattern": _DNS_SUBDOMAIN},
            "labels": {"type": "object", "additionalProperties": {"type": "string", "pattern": _LABEL_VALUE}},
            "annotations": {"type": "object", "additionalProperties": {"type": "string"}},
        },
    }
    out["required"] = sorted({*out.get("required", []), "apiVersion", "kind", "metadata"})
    return out


def unknown_fields(instance: Any, schema: Json, path: str = "") -> list[str]:
    """Paths of keys that the schema does not declare (what strict field validation refuses)."""
    found: list[str] = []
    if isinstance(instance, dict):
        props: Json | None = schema.get("properties")
        extra = schema.get("additionalProperties")
        for key, value in instance.items():
            where = f"{path}.{key}"
            if props is not None and key in props:
                found += unknown_fields(value, props[key], where)
            elif isinstance(extra, dict):
                found += unknown_fields(value, extra, where)
            elif props is not None and extra is not True and not schema.get("x-kubernetes-preserve-unknown-fields"):
                found.append(where)
    elif isinstance(instance, list) and isinstance(schema.get("items"), dict):
        for index, item in enumerate(instance):
            found += unknown_fields(item, schema["items"], f"{path}[{index}]")
    return found


_QUANTITY = re.compile(r"^(\d+(\.\d+)?)(m|Ki|Mi|Gi|Ti|k|M|G|T)?$")


def quantity_errors(doc: Json) -> list[str]:
    """Resource quantities are bare strings in the CRD schema; check them as Kubernetes parses them."""
    errors: list[str] = []
    # A Job's spec has a Pod template under "template", as a GameServer spec does.
    for spec in gameserver_specs(doc) + ([doc["spec"]] if doc.get("kind") == "Job" else []):
        for container in spec.get("template", {}).get("spec", {}).get("containers", []):
            for section, values in container.get("resources", {}).items():
                for resource, value in values.items():
                    if not _QUANTITY.match(str(value)):
                        errors.append(f"{container['name']}: resources.{section}.{resource}={value!r}")
    return errors


def gameserver_specs(doc: Json) -> list[Json]:
    """The GameServer specs a document carries (its own, or a Fleet's template)."""
    if doc.get("kind") == "GameServer":
        return [doc["spec"]]
    if doc.get("kind") == "Fleet":
        return [doc["spec"]["template"]["spec"]]
    return []


def check(doc: Json, schemas: dict[tuple[str, str], Json]) -> list[str]:
    """Every reason the API server would refuse this document, as readable lines ([] = accepted)."""
    key = (doc.get("apiVersion", ""), doc.get("kind", ""))
    if key not in schemas:
        return [f"no schema for apiVersion={key[0]!r} kind={key[1]!r} (known: {sorted(schemas)})"]
    schema = schemas[key]
    # The Kubernetes schemas name their draft (2020-12); the Agones CRD schemas are OpenAPI v3, close to draft 7.
    validator = jsonschema.validators.validator_for(schema, default=jsonschema.Draft7Validator)(schema)
    errors = [f"{'.'.join(map(str, e.absolute_path)) or '<root>'}: {e.message}" for e in validator.iter_errors(doc)]
    errors += [f"{p}: field not declared in the schema" for p in unknown_fields(doc, schema)]
    errors += quantity_errors(doc)
    return errors


def test_deploy_holds_the_expected_manifests() -> None:
    names = {p.name for p in manifest_paths()}
    assert {"gameserver.yaml", "fleet.yaml", "allocation.yaml"} <= names


@pytest.mark.parametrize("path", manifest_paths(), ids=lambda p: str(p.relative_to(DEPLOY)))
def test_manifest_validates_against_the_crd_schema(path: Path, schemas: dict[tuple[str, str], Json]) -> None:
    for doc in load_documents(path):
        assert check(doc, schemas) == [], f"{path.name} ({doc.get('kind')}) is not valid"


def _gameserver() -> Json:
    return load_documents(DEPLOY / "gameserver.yaml")[0]


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (lambda gs: gs["spec"]["ports"][0].update(portPolicy="none"), "is not one of"),
        (lambda gs: gs["spec"]["ports"][0].update(containerPort=70000), "is greater than the maximum"),
        (lambda gs: gs["spec"]["ports"][0].update(containerPort=0), "is less than the minimum"),
        (lambda gs: gs["spec"]["ports"][0].update(protocol="udp"), "is not one of"),
        (lambda gs: gs["spec"]["ports"][0].update(portPolcy="None"), "not declared"),
        (lambda gs: gs["spec"]["health"].update(failureThreshold=0), "is less than the minimum"),
        (lambda gs: gs["spec"]["lists"]["players"].update(capacity=1001), "is greater than the maximum"),
        (lambda gs: gs["spec"].pop("template"), "'template' is a required property"),
        (lambda gs: gs.update(apiVersion="agones.dev/v1beta1"), "no schema for"),
        (lambda gs: gs["metadata"].update(name="Sample_Server"), "does not match"),
        (
            lambda gs: gs["spec"]["template"]["spec"]["containers"][0]["resources"]["limits"].update(memory="1 GB"),
            "resources.limits.memory",
        ),
    ],
    ids=[
        "portPolicy-none",
        "containerPort-70000",
        "containerPort-0",
        "protocol-lowercase",
        "typo-field",
        "failureThreshold-0",
        "list-capacity-1001",
        "no-template",
        "wrong-apiVersion",
        "bad-name",
        "bad-quantity",
    ],
)
def test_a_wrong_gameserver_is_refused(change: Any, expected: str, schemas: dict[tuple[str, str], Json]) -> None:
    doc = _gameserver()
    assert check(doc, schemas) == []
    change(doc)
    errors = check(doc, schemas)
    assert any(expected in e for e in errors), errors


def test_a_wrong_fleet_is_refused(schemas: dict[tuple[str, str], Json]) -> None:
    fleet = load_documents(DEPLOY / "fleet.yaml")[0]
    fleet["spec"]["template"]["spec"]["ports"][0]["portPolicy"] = "none"
    fleet["spec"]["template"]["spec"]["ports"][0]["containerPort"] = 70000
    errors = check(fleet, schemas)
    assert any("is not one of" in e for e in errors), errors
    assert any("is greater than the maximum" in e for e in errors), errors


def test_a_wrong_allocation_is_refused(schemas: dict[tuple[str, str], Json]) -> None:
    allocation = load_documents(DEPLOY / "allocation.yaml")[0]
    allocation["spec"]["selectors"][0]["gameServerState"] = "Shutdown"
    allocation["spec"]["selector"] = allocation["spec"]["selectors"]
    errors = check(allocation, schemas)
    assert any("is not one of" in e for e in errors), errors
    assert any("Additional properties" in e for e in errors), errors


def all_gameserver_specs() -> list[tuple[str, Json]]:
    return [(p.name, spec) for p in manifest_paths() for doc in load_documents(p) for spec in gameserver_specs(doc)]


@pytest.mark.parametrize(("name", "spec"), all_gameserver_specs(), ids=lambda v: v if isinstance(v, str) else "")
def test_every_port_is_reached_by_pod_ip(name: str, spec: Json) -> None:
    """portPolicy None everywhere: the seed of the project. No hostPort, an explicit containerPort."""
    for port in spec["ports"]:
        assert port["portPolicy"] == "None", name
        assert "hostPort" not in port, name
        assert isinstance(port.get("containerPort"), int), f"{name}: a None port should name its containerPort"
    containers = spec["template"]["spec"]["containers"]
    assert len(containers) == 1, f"{name}: the game container is the only one (Agones adds its sidecar)"
    for container in containers:
        assert "hostPort" not in json.dumps(container.get("ports", [])), name


def test_the_fleet_template_is_the_gameserver() -> None:
    gameserver = _gameserver()
    fleet = load_documents(DEPLOY / "fleet.yaml")[0]
    assert fleet["spec"]["template"]["spec"] == gameserver["spec"]
    assert fleet["spec"]["template"]["metadata"]["labels"] == gameserver["metadata"]["labels"]


def test_the_allocation_selects_the_fleet() -> None:
    fleet = load_documents(DEPLOY / "fleet.yaml")[0]
    allocation = load_documents(DEPLOY / "allocation.yaml")[0]
    assert "name" not in allocation["metadata"], "an allocation is created, not applied: use generateName"
    for selector in allocation["spec"]["selectors"]:
        assert selector["matchLabels"]["agones.dev/fleet"] == fleet["metadata"]["name"]


def test_every_manifest_runs_the_same_image() -> None:
    images = {c["image"] for _, spec in all_gameserver_specs() for c in spec["template"]["spec"]["containers"]}
    assert len(images) == 1, images
    (image,) = images
    assert ":" in image.rsplit("/", 1)[-1] and not image.endswith(":latest"), f"pin a tag: {image}"
    docs = (REPO / "docs" / "deploy.md").read_text(encoding="utf-8")
    assert image in docs, f"docs/deploy.md should build and push {image}"


def test_the_docs_name_only_files_that_exist() -> None:
    docs = (REPO / "docs" / "deploy.md").read_text(encoding="utf-8")
    named = set(re.findall(r"\bdeploy/[\w.-]+\.yaml\b", docs))
    assert named, "docs/deploy.md names no manifest"
    missing = sorted(n for n in named if not (REPO / n).exists())
    assert not missing, f"docs/deploy.md names manifests that do not exist: {missing}"
    assert {p.relative_to(REPO).as_posix() for p in manifest_paths()} <= named, "a manifest is not documented"
