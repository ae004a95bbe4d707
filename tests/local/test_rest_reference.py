"""docs/rest.md and the OpenAPI document list exactly the routes the sidecar serves; the committed copy is fresh."""

from __future__ import annotations

import json
import re
from pathlib import Path

import aiohttp

from aioagones.local import default_game_server
from aioagones.local._core import SidecarCore
from aioagones.local._http import HttpFrontEnd
from aioagones.local._openapi import openapi_document, openapi_text
from aioagones.local._rules import GameServerRules
from aioagones.testing import LocalSidecar

ROOT = Path(__file__).resolve().parents[2]
PAGE = ROOT / "docs" / "rest.md"
COMMITTED = ROOT / "docs" / "openapi.json"
_ROW = re.compile(r"^\| (GET|POST|PUT|PATCH|DELETE) \| `([^`]+)` \|", re.MULTILINE)


async def _served() -> set[tuple[str, str]]:
    core = SidecarCore(GameServerRules(default_game_server(0)))
    routes = HttpFrontEnd(core).routes
    assert len(routes) == len(set(routes))
    return set(routes)


async def test_the_openapi_document_lists_every_route_served() -> None:
    paths = openapi_document()["paths"]
    documented = {(method.upper(), path) for path, methods in paths.items() for method in methods}
    assert documented == await _served()


async def test_the_rest_page_lists_every_route_served() -> None:
    rows = _ROW.findall(PAGE.read_text(encoding="utf-8"))
    assert len(rows) == len(set(rows)), "a route is listed twice"
    assert set(rows) == await _served()


def test_the_committed_openapi_document_is_fresh() -> None:
    assert COMMITTED.read_text(encoding="utf-8") == openapi_text(), "run: python tools/gen_openapi.py"


def test_every_reference_resolves() -> None:
    document = openapi_document()
    text = json.dumps(document)
    for ref in set(re.findall(r'"\$ref": "#/components/schemas/([^"]+)"', text)):
        assert ref in document["components"]["schemas"], ref


async def test_the_sidecar_serves_the_document() -> None:
    async with (
        LocalSidecar() as sidecar,
        aiohttp.ClientSession() as http,
        http.get(f"{sidecar.http_url}/local/openapi.json") as reply,
    ):
        assert reply.status == 200
        assert await reply.json() == openapi_document()


def test_the_readme_links_both_from_its_rest_paragraph() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    paragraph = readme.split("**REST**", 1)[1].split("\n\n", 1)[0]
    assert "(docs/rest.md)" in paragraph
    assert "(docs/openapi.json)" in paragraph
