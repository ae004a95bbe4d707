"""The fuzz targets: one per reader of untrusted input, each a function of bytes.

A target returns normally or raises one of the errors its reader documents; anything else (a
traceback a user would see) is a finding. `run.py` hands them to atheris; the suite replays
every file under `corpus/<target>/` through the same function (`tests/test_fuzz_corpus.py`), so
an input that once crashed a reader stays fixed without a fuzzer in CI.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Target:
    """A reader under test: `read(data)` may raise only `errors`."""

    read: Callable[[bytes], object]
    errors: tuple[type[BaseException], ...]
    what: str


def _datagram(data: bytes) -> object:
    from sample_server.protocol import Parser, classify

    classify(data)
    Parser(b"0123456789abcdef0123456789abcdef").parse(data)
    return Parser(insecure_admin=True).parse(data)


def _targets() -> dict[str, Target]:
    return {
        "datagram": Target(_datagram, (), "a UDP datagram or TCP line of the sample server"),
    }


TARGETS = _targets()
