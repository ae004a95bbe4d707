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


def _manifest(data: bytes) -> object:
    from aioagones.local._manifest import game_server_from_manifest, parse_manifest

    doc = parse_manifest(data, "fuzz.yaml")

    def allocate_port(protocol: str, taken: set[int]) -> int:
        return max(taken, default=7000) + 1

    return game_server_from_manifest(
        doc, now=0.0, allocate_port=allocate_port, addresses=["::1"], uid="u", name_suffix="abcde"
    )


def _rest_body(data: bytes) -> object:
    from aioagones.local._http import parse_body, request_message
    from aioagones.local._operations import OPERATIONS

    body = parse_body(data)
    return [request_message(op, body, {}) for op in OPERATIONS if op.body is not None]


def _allocation_file(data: bytes) -> object:
    from aioagones.local._client import parse_allocation

    return parse_allocation(data, "fuzz.yaml")


def _allocation_body(data: bytes) -> object:
    from aioagones.local_allocator._service import parse_rest_body

    return parse_rest_body(data)


def _ticket(data: bytes) -> object:
    from aioagones.tickets import read_ticket

    return read_ticket(b"k" * 32, data, "gs-1", now=1_800_000_000.0)


def _result_file(data: bytes) -> object:
    from udp_loadtest._resultfile import parse_result_bytes

    return parse_result_bytes(data, "fuzz.json")


def _targets_file(data: bytes) -> object:
    from udp_loadtest._targetsfile import parse_targets_bytes

    return parse_targets_bytes(data)


def _gameservers_file(data: bytes) -> object:
    from udp_loadtest._gameservers import parse_gameservers_bytes

    return parse_gameservers_bytes(data)


def _targets() -> dict[str, Target]:
    from aioagones.local._client import _BadInput
    from aioagones.local._control import BadRequest
    from aioagones.local._reader import ManifestError
    from aioagones.local_allocator._select import AllocationError
    from aioagones.tickets import TicketError
    from udp_loadtest._errors import LoadTestError

    return {
        "datagram": Target(_datagram, (), "a UDP datagram or TCP line of the sample server"),
        "manifest": Target(_manifest, (ManifestError,), "a GameServer or Fleet manifest (-f FILE)"),
        "rest_body": Target(_rest_body, (BadRequest,), "a request body of the local sidecar's REST API"),
        "allocation_file": Target(
            _allocation_file, (_BadInput,), "a GameServerAllocation file (agones-local-sidecar allocate -f)"
        ),
        "allocation_body": Target(
            _allocation_body, (AllocationError,), "a POST /gameserverallocation body of the local allocator"
        ),
        "ticket": Target(_ticket, (TicketError,), "a join ticket, as the sample server reads it from JOIN"),
        "result_file": Target(_result_file, (LoadTestError,), "a udp-loadtest --json result (udp-loadtest merge)"),
        "targets_file": Target(_targets_file, (LoadTestError,), "a udp-loadtest --targets file"),
        "gameservers_file": Target(
            _gameservers_file, (LoadTestError,), "a udp-loadtest --gameservers file (kubectl -o json, allocations)"
        ),
    }


TARGETS = _targets()
