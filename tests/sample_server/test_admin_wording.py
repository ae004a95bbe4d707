"""README, `--help` and docs/sample-server.md tell how to send an admin command in the same words."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from sample_server._options import build_parser

REPO = Path(__file__).resolve().parents[2]
FORM = "ADMIN <token> <command>"
WRITTEN = [REPO / "README.md", REPO / "docs" / "sample-server.md", REPO / "docs" / "deploy.md"]


def help_text() -> str:
    return build_parser().format_help()


@pytest.mark.parametrize("path", [p.relative_to(REPO).as_posix() for p in WRITTEN[:2]])
def test_the_docs_give_the_form_of_the_help(path: str) -> None:
    assert f"`{FORM}`" in (REPO / path).read_text(encoding="utf-8")


def test_the_help_gives_the_form_on_one_line() -> None:
    assert any(FORM in line for line in help_text().splitlines())
    assert "--admin-token <token>" in help_text()


@pytest.mark.parametrize("path", [p.relative_to(REPO).as_posix() for p in WRITTEN])
def test_no_placeholder_reads_as_a_literal_word(path: str) -> None:
    """Issue 15 (13): `ADMIN TOKEN <command>` reads as the word TOKEN (and `ADMIN TOKEN READY` is refused).

    After `ADMIN` (and `--admin-token`) comes `<token>`, an example token visibly cut short (`3f9c...`)
    or a command that makes one, never a capitalised word or letter that a reader would type as it is.
    """
    text = (REPO / path).read_text(encoding="utf-8")
    words = re.findall(r"`ADMIN (\S+)", text) + re.findall(r"--admin-token (\S+?)[`)\s]", text)
    assert words, path
    for word in words:
        example = word.endswith("...") and word == word.lower()
        generated = word.startswith('"$(')  # a shell command line: --admin-token "$(openssl rand -hex 16)"
        assert word == "<token>" or example or generated, (path, word)
