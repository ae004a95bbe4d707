"""Run the whole benchmark suite and write its figures to ``benchmarks/results/``.

``python benchmarks/run_all.py`` (add ``--quick`` for a try-out in a couple of minutes) runs
``udp_server.py`` and, when they exist, ``sdk_calls.py`` and ``allocation.py``, each in its own
process, echoing their tables, then writes ``results/<name>.json`` for each and ``results/README.md``:
one short Markdown page with the date, the machine's core count and every table. The figures come from whatever machine
this runs on, shared or not: read them as such.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"


def _run(script: Path, args: list[str], timeout: float) -> tuple[int, str]:
    """Run one benchmark script, echoing and returning its standard output."""
    print(f"$ python {script.relative_to(HERE.parent)} {' '.join(args)}", flush=True)
    proc = subprocess.Popen([sys.executable, str(script), *args], stdout=subprocess.PIPE, text=True, cwd=HERE.parent)
    assert proc.stdout is not None
    lines = []
    deadline = time.monotonic() + timeout
    for line in proc.stdout:
        print(line, end="", flush=True)
        lines.append(line)
        if time.monotonic() > deadline:
            proc.kill()
            lines.append(f"(stopped after {timeout:.0f} s)\n")
            break
    try:
        status = proc.wait(timeout=max(1.0, deadline - time.monotonic()))
    except subprocess.TimeoutExpired:
        proc.kill()
        status = proc.wait(timeout=10)
    return status, "".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Run the suite; the exit status is non-zero only when a script could not run at all."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="short runs, to try the suite in a few minutes")
    parser.add_argument("--out", type=Path, default=RESULTS, help="where to write the results")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    quick = ["--quick"] if args.quick else []
    date = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    sections = [
        "# Benchmark results",
        "",
        f"{date}; {os.cpu_count()} cores; Python {platform.python_version()} on {platform.system()} "
        f"{platform.machine()}; {'quick mode' if args.quick else 'full runs'}.",
        "Figures from a shared machine move with whatever else runs there; compare them within one run.",
    ]
    summary: dict[str, object] = {"date": date, "cores": os.cpu_count(), "quick": args.quick}
    failed = 0

    udp_json = args.out / "udp_server.json"
    udp_md = args.out / "udp_server.md"
    status, output = _run(HERE / "udp_server.py", [*quick, "--json", str(udp_json), "--markdown", str(udp_md)], 3600)
    failed += status != 0
    sections += ["", "## UDP echo (`benchmarks/udp_server.py`)", ""]
    sections.append(udp_md.read_text() if status == 0 and udp_md.exists() else f"```\n{output}```\n")
    summary["udp_server"] = json.loads(udp_json.read_text()) if udp_json.exists() else None

    sdk = HERE / "sdk_calls.py"
    if sdk.exists():
        sdk_json = args.out / "sdk_calls.json"
        status, output = _run(sdk, [*quick, "--json", str(sdk_json)], 1800)
        failed += status != 0
        sections += ["", "## SDK calls (`benchmarks/sdk_calls.py`)", "", "```", output.rstrip(), "```", ""]
        summary["sdk_calls"] = json.loads(sdk_json.read_text()) if sdk_json.exists() else None

    allocation = HERE / "allocation.py"
    if allocation.exists():
        allocation_json = args.out / "allocation.json"
        status, output = _run(allocation, [*quick, "--json", str(allocation_json)], 1800)
        failed += status != 0
        sections += ["", "## Allocation client (`benchmarks/allocation.py`)", "", "```", output.rstrip(), "```", ""]
        summary["allocation"] = json.loads(allocation_json.read_text()) if allocation_json.exists() else None

    (args.out / "README.md").write_text("\n".join(sections))
    (args.out / "summary.json").write_text(json.dumps(summary, indent=2) + "\n")
    print(f"\nwritten: {args.out / 'README.md'} and the JSON beside it")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
