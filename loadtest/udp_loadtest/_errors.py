"""The one error of the load client: a problem the user can fix, with a one-line message."""

from __future__ import annotations

__all__ = ["LoadTestError"]


class LoadTestError(Exception):
    """A problem the user can fix (bad address, too many sockets ...); its text is the message."""
