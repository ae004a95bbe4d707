"""Reading a targets file (``--targets FILE``): ``HOST:PORT`` words, one per line or separated by blanks."""

from __future__ import annotations

from udp_loadtest._config import parse_target
from udp_loadtest._errors import LoadTestError
from udp_loadtest._input import InputError, decode_text, read_input

__all__ = ["TARGETS_MAX_BYTES", "parse_targets_bytes", "read_targets"]

#: The largest targets file read (about half a million targets).
TARGETS_MAX_BYTES = 16 << 20


def parse_targets_bytes(data: bytes, name: str = "--targets") -> list[tuple[str, int]]:
    """The targets in ``data``: words ``HOST:PORT`` or ``[IPv6]:PORT``; lines starting with ``#`` are comments.

    Raises:
        InputError: too large, not UTF-8, or a word that is not a target; one line naming ``name``.
    """
    if len(data) > TARGETS_MAX_BYTES:
        raise InputError(f"{name} is larger than {TARGETS_MAX_BYTES >> 20} MiB: is it the right file?")
    text = decode_text(data, name)
    words = [w for line in text.splitlines() if not line.lstrip().startswith("#") for w in line.split()]
    try:
        return [parse_target(w) for w in words]
    except LoadTestError as exc:
        raise InputError(f"{name}: {exc}") from None


def read_targets(name: str) -> list[tuple[str, int]]:
    """Read and parse the targets file ``name`` (``-``: stdin)."""
    return parse_targets_bytes(read_input(name, TARGETS_MAX_BYTES, "--targets"), f"--targets {name}")
