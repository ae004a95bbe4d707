"""The value types of `sample-game-server`'s flags and environment variables, and the one-line failure."""

from __future__ import annotations

import argparse
import sys
from typing import NoReturn

PROG = "sample-game-server"


def fail(message: str) -> NoReturn:
    """Exit 2 with one line on stderr (a bad value where the usage would not help)."""
    print(f"{PROG}: error: {message}", file=sys.stderr)
    raise SystemExit(2)


# Go's strconv.ParseBool forms, plus the words our environment variables always accepted.
_TRUE = frozenset({"1", "t", "true", "yes", "on"})
_FALSE = frozenset({"0", "f", "false", "no", "off"})


def boolean(text: str) -> bool:
    """Go's boolean forms and yes/no/on/off."""
    value = text.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise argparse.ArgumentTypeError(f"not a boolean: {text!r} (use true or false)")


def port_number(text: str) -> int:
    """A port, 0-65535."""
    value = count(text)
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"not a port: {text!r}")
    return value


def count(text: str) -> int:
    """An integer, 0 or more."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an integer: {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"must not be negative: {text!r}")
    return value


def seconds(text: str) -> float:
    """A finite number of seconds, 0 or more."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of seconds: {text!r}") from None
    if not value >= 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"must be 0 or more seconds: {text!r}")
    return value


def minutes(text: str) -> float:
    """A number of minutes, as seconds."""
    try:
        return seconds(text) * 60
    except argparse.ArgumentTypeError:
        raise argparse.ArgumentTypeError(f"must be 0 or more minutes: {text!r}") from None
