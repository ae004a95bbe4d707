"""Sessions for every supported Python: `nox` runs lint and types once and the tests on 3.11, 3.12, 3.13.

    nox -s lint types            # ruff, mypy --strict (on the first Python below)
    nox -s tests                 # the suite on each Python found; a missing one is skipped and said so
    nox -s tests-3.12 -- -m unit # one Python, with pytest's own arguments after --
    nox -s docs                  # mkdocs build --strict into a temporary folder

An interpreter is found on PATH as python3.X (with pyenv, `pyenv shell 3.11.7 3.12.1 3.13.0` puts all
three there); a missing one is skipped and named, never downloaded. `--reuse-venv=yes` keeps each
session's venv between runs, so only the first run installs. CI (`.ci/run`) finds them itself.
"""

from __future__ import annotations

import tempfile

import nox

PYTHONS = ["3.11", "3.12", "3.13"]

nox.options.sessions = ["lint", "types", "tests", "docs"]
nox.options.download_python = "never"  # an interpreter comes from this machine, never from the network
nox.options.error_on_missing_interpreters = False


@nox.session(python=PYTHONS[0])
def lint(session: nox.Session) -> None:
    """ruff check and ruff format --check."""
    session.install("ruff>=0.6")
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")


@nox.session(python=PYTHONS[0])
def types(session: nox.Session) -> None:
    """mypy --strict (pyproject.toml has the settings); it checks for 3.11, the oldest supported."""
    session.install("-e", ".[dev]")
    session.run("mypy")


@nox.session(python=PYTHONS)
def tests(session: nox.Session) -> None:
    """The whole test suite (pytest arguments after --)."""
    session.install("-e", ".[dev]")
    session.run("pytest", *session.posargs)


@nox.session(python=PYTHONS[0])
def docs(session: nox.Session) -> None:
    """Build the documentation site with mkdocs build --strict; the built site is thrown away."""
    session.install("-e", ".[docs]")
    with tempfile.TemporaryDirectory() as site:
        session.run("mkdocs", "build", "--strict", "--site-dir", site)
