"""Reading a result file (``udp-loadtest merge``): a ``--json`` file, or the log of a run with ``--json -``."""

from __future__ import annotations

from udp_loadtest._errors import LoadTestError
from udp_loadtest._input import InputError, decode_text, parse_json, read_input
from udp_loadtest._result import LoadTestResult

__all__ = ["RESULT_MAX_BYTES", "RESULT_MAX_DEPTH", "parse_result_bytes", "read_result"]

#: The largest result file read: a day-long run's timeline fits many times over.
RESULT_MAX_BYTES = 256 << 20
#: The deepest nesting of lists and objects in a result (it has 4).
RESULT_MAX_DEPTH = 16


def parse_result_bytes(data: bytes, name: str = "result") -> LoadTestResult:
    """The result in ``data``: a ``--json`` file, or logs holding the one JSON line of ``--json -``.

    Raises:
        LoadTestError: (an :class:`InputError` for bytes that are not a JSON result) with one line
            naming ``name`` and what is wrong.
    """
    if len(data) > RESULT_MAX_BYTES:
        raise InputError(f"{name} is larger than {RESULT_MAX_BYTES >> 20} MiB: is it the right file?")
    text = decode_text(data, name)
    try:
        value = parse_json(text, name, RESULT_MAX_DEPTH)
    except InputError as exc:
        error = exc
        # The log of a load Pod: the result is the one line that is a JSON object.
        for line in text.splitlines():
            if line.startswith("{"):
                try:
                    value = parse_json(line, name, RESULT_MAX_DEPTH)
                    break
                except InputError:
                    continue
        else:
            raise InputError(f"{error}; give the files written by --json, or the logs of --json -") from None
    try:
        return LoadTestResult.from_dict(value, name)
    except RecursionError:  # pragma: no cover - the depth bound comes first
        raise LoadTestError(f"{name}: nested too deep") from None


def read_result(name: str) -> LoadTestResult:
    """Read and parse the result file ``name`` (``-``: stdin).

    Raises:
        LoadTestError: it cannot be read or is not a result; one line.
    """
    return parse_result_bytes(read_input(name, RESULT_MAX_BYTES), name)
