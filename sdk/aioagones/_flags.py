"""What every command of the project parses alike: a one-line error for a bad flag, and log levels."""

from __future__ import annotations

import argparse
from typing import NoReturn

__all__ = ["LOG_LEVELS", "OneLineParser", "log_level"]

LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")


class OneLineParser(argparse.ArgumentParser):
    """An argument parser that answers a bad flag with one line and exit 2, not the usage block.

    The usage block of a command with many flags buried the one line that said what was wrong.
    """

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message} (see --help)\n")


def log_level(text: str) -> str:
    """One of `LOG_LEVELS`, in any case."""
    if text.upper() not in LOG_LEVELS:
        raise argparse.ArgumentTypeError(f"{text!r} is not one of {', '.join(LOG_LEVELS)}")
    return text.upper()
