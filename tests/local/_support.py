"""Shared by the local sidecar's tests: the names they use from `tests/_commands.py`."""

from __future__ import annotations

from .._commands import CLEAN_ENV, free_port, sidecar_command
from .._commands import SIDECAR as COMMAND

__all__ = ["CLEAN_ENV", "COMMAND", "free_port", "sidecar_command"]
