"""The version of the aioagones distribution, read from the one place it is set without importing aioagones.

`import aioagones._version` would run aioagones/__init__.py first, and that imports grpc, which the
load client and each of its worker processes stay free of. So the file is found through the import
system (an editable install's finder included) and run on its own.
"""

from __future__ import annotations

import importlib.util
import runpy
from pathlib import Path


def aioagones_version() -> str:
    """`aioagones._version.__version__`, without running `aioagones/__init__.py`."""
    spec = importlib.util.find_spec("aioagones")  # a top-level name: found, not imported
    if spec is None or not spec.submodule_search_locations:
        return "unknown (aioagones is not installed)"
    for folder in spec.submodule_search_locations:
        path = Path(folder, "_version.py")
        if path.is_file():
            return str(runpy.run_path(str(path))["__version__"])
    return "unknown (aioagones/_version.py is missing)"
