"""Run one fuzz target under atheris (coverage-guided) for a while.

    pip install -e '.[fuzz]'
    python fuzz/run.py datagram --seconds 600

The target's corpus (`fuzz/corpus/<target>/`) seeds the run; inputs the fuzzer finds worth
keeping go to `fuzz/work/<target>/` (not committed), and a crashing input is written to
`fuzz/crashes/`. Copy a crash that you fix into `fuzz/corpus/<target>/`, so the suite replays it.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import atheris

HERE = Path(__file__).resolve().parent


def main() -> None:
    """Parse the command line and hand the chosen target to atheris."""
    sys.path.insert(0, str(HERE))
    with atheris.instrument_imports():
        from targets import TARGETS

        for target in TARGETS.values():  # import each reader's modules under instrumentation
            try:
                target.read(b"")
            except target.errors:
                pass

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("target", choices=sorted(TARGETS))
    parser.add_argument("--seconds", type=int, default=60, help="how long to run (default 60)")
    parser.add_argument(
        "--max-len",
        type=int,
        default=4096,
        help="longest input to try (default 4096; the corpus's deep inputs are replayed by the suite)",
    )
    args, rest = parser.parse_known_args()
    target = TARGETS[args.target]
    work, crashes = HERE / "work" / args.target, HERE / "crashes"
    work.mkdir(parents=True, exist_ok=True)
    crashes.mkdir(exist_ok=True)
    seeds = HERE / "corpus" / args.target
    seeds.mkdir(parents=True, exist_ok=True)

    def one_input(data: bytes) -> None:
        try:
            target.read(data)
        except target.errors:
            pass

    argv = [
        sys.argv[0],
        f"-max_total_time={args.seconds}",
        f"-max_len={args.max_len}",
        f"-artifact_prefix={crashes}/{args.target}-",
        "-rss_limit_mb=2048",
        *rest,
        str(work),
        str(seeds),
    ]
    atheris.Setup(argv, one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
