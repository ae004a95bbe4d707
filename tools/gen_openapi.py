"""Write docs/openapi.json: the local sidecar's REST API, made from the tables it serves."""

from __future__ import annotations

from pathlib import Path

from aioagones.local._openapi import openapi_text

OUT = Path(__file__).resolve().parents[1] / "docs" / "openapi.json"

if __name__ == "__main__":
    OUT.write_text(openapi_text(), encoding="utf-8")
    print(f"wrote {OUT}")
