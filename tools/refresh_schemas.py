"""Refresh the Agones CRD schemas in tests/deploy/schemas/agones from an Agones install manifest.

    python tools/refresh_schemas.py install.yaml

`install.yaml` is the manifest an Agones release ships (`install/yaml/install.yaml` in its source,
or the release asset of the same name). Each CustomResourceDefinition we validate against is
written as `<singular>.<group>.<version>.openapi.json`: its `openAPIV3Schema`, keys sorted, so a
refresh shows as a readable diff. The GameServerAllocation schema is ours (Agones serves that kind
from its API extension, not from a CRD) and is left alone.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

import yaml

OUT = Path(__file__).resolve().parents[1] / "tests" / "deploy" / "schemas" / "agones"
WANTED = {"gameservers.agones.dev", "fleets.agones.dev", "fleetautoscalers.autoscaling.agones.dev"}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("install_yaml", type=Path, help="an Agones install manifest (install.yaml)")
    args = parser.parse_args(argv)
    try:
        docs: list[Any] = list(yaml.safe_load_all(args.install_yaml.read_text(encoding="utf-8")))
    except (OSError, yaml.YAMLError) as exc:
        parser.error(f"cannot read {args.install_yaml}: {exc}")
    found = set()
    for doc in docs:
        if not isinstance(doc, dict) or doc.get("kind") != "CustomResourceDefinition":
            continue
        name = doc["metadata"]["name"]
        if name not in WANTED:
            continue
        spec = doc["spec"]
        for version in spec["versions"]:
            schema = version["schema"]["openAPIV3Schema"]
            path = OUT / f"{spec['names']['singular']}.{spec['group']}.{version['name']}.openapi.json"
            path.write_text(json.dumps(schema, indent=0, sort_keys=True) + "\n", encoding="utf-8")
            print(f"wrote {path.relative_to(OUT.parents[3])}")
        found.add(name)
    missing = WANTED - found
    if missing:
        print(f"refresh_schemas: error: {args.install_yaml} has no CRD {', '.join(sorted(missing))}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
