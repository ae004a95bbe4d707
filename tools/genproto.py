"""Regenerate sdk/aioagones/_pb/ from protos/.

Usage (from the repository root, with the dev extra installed):

    python tools/genproto.py            # rewrite sdk/aioagones/_pb/
    python tools/genproto.py --out DIR  # write somewhere else (the freshness test does)

The .proto files are compiled from a temporary tree laid out by proto package
(agones/dev/sdk/sdk.proto, agones/dev/sdk/alpha/alpha.proto, ...,
allocation/allocation.proto), so they are
registered in protobuf's default descriptor pool under those package-qualified
paths rather than a bare "sdk.proto" that other generated code may also use.
The generated modules are then flattened into one package with relative imports.
"""

from __future__ import annotations

import argparse
import re
import shutil
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PROTOS = ROOT / "protos"
DEFAULT_OUT = ROOT / "sdk" / "aioagones" / "_pb"

# protos/ path -> (path it is compiled and registered as, flat module stem)
LAYOUT = {
    "sdk.proto": ("agones/dev/sdk/sdk.proto", "sdk"),
    "alpha/alpha.proto": ("agones/dev/sdk/alpha/alpha.proto", "alpha"),
    "beta/beta.proto": ("agones/dev/sdk/beta/beta.proto", "beta"),
    # The allocator's protocol (package `allocation`). Nothing in _pb/__init__.py imports it, so
    # `import aioagones` never loads it; only aioagones.allocation does.
    "allocation/allocation.proto": ("allocation/allocation.proto", "allocation"),
}
SUFFIXES = ("_pb2.py", "_pb2.pyi", "_pb2_grpc.py", "_pb2_grpc.pyi")
INIT = '"""Generated protobuf and gRPC code for the Agones protos (see tools/genproto.py)."""\n'


def generate(out: Path) -> None:
    """Compile every proto into `out`, replacing what was there."""
    from grpc_tools import protoc  # only the dev extra has it

    include = Path(protoc.__file__).parent / "_proto"
    with tempfile.TemporaryDirectory() as tmp:
        src, gen = Path(tmp, "src"), Path(tmp, "gen")
        gen.mkdir()
        for rel, (qualified, _) in LAYOUT.items():
            dest = src / qualified
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(PROTOS / rel, dest)
        plugin = Path(sys.executable).parent / "protoc-gen-mypy_grpc"  # from mypy-protobuf
        args = [
            "protoc",
            f"--plugin=protoc-gen-mypy_grpc={plugin}",
            f"-I{src}",
            f"-I{include}",
            f"--python_out={gen}",
            f"--pyi_out={gen}",
            f"--grpc_python_out={gen}",
            f"--mypy_grpc_out={gen}",
            *(str(src / q) for q, _ in LAYOUT.values()),
        ]
        if protoc.main(args) != 0:
            raise SystemExit("protoc failed; see its message above")
        if out.exists():
            shutil.rmtree(out)
        out.mkdir(parents=True)
        (out / "__init__.py").write_text(INIT)
        (out / "py.typed").write_text("")
        for qualified, stem in LAYOUT.values():
            generated = gen / Path(qualified).with_suffix("")
            for suffix in SUFFIXES:
                text = Path(f"{generated}{suffix}").read_text()
                (out / f"{stem}{suffix}").write_text(_relative_imports(text))


def _relative_imports(text: str) -> str:
    """Turn `from agones.dev.sdk[.x] import y_pb2` (or `from allocation import`) into `from . import y_pb2`."""
    return re.sub(r"^from (?:agones\.dev\.sdk(?:\.\w+)*|allocation) import ", "from . import ", text, flags=re.M)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="output package folder")
    args = parser.parse_args(argv)
    generate(args.out)
    print(f"generated {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
