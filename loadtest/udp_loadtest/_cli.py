"""``udp-loadtest TARGET [TARGET ...]`` and ``udp-loadtest merge RESULT.json ...``: the command line."""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import IO

from udp_loadtest._config import LoadTestConfig, default_workers, format_address, parse_target
from udp_loadtest._counts import Progress
from udp_loadtest._errors import LoadTestError
from udp_loadtest._gameservers import read_gameservers
from udp_loadtest._merge import merge_results
from udp_loadtest._orchestrate import run
from udp_loadtest._parser import UsageError, build_merge_parser, build_parser, parse_start_at, port_number
from udp_loadtest._plot import load_plotting, write_plot
from udp_loadtest._report import (
    check_output,
    format_header,
    format_table,
    output_path,
    write_json,
)
from udp_loadtest._result import LoadTestResult
from udp_loadtest._resultfile import read_result
from udp_loadtest._targetsfile import read_targets

__all__ = ["build_parser", "main", "merge_main", "parse_start_at"]


class _ProgressLine:
    """Writes a progress line to stderr: rewritten in place on a terminal, once a second otherwise."""

    def __init__(self, total: float, warmup: float = 0.0) -> None:
        self.total = total
        self.warmup = warmup
        self.tty = sys.stderr.isatty()
        self.last = -1.0
        self.width = 0

    def __call__(self, elapsed: float, p: Progress) -> None:
        if not self.tty and elapsed - self.last < 1.0:
            return
        self.last = elapsed
        shown = min(max(0.0, elapsed), self.total)
        text = (
            f"[{shown:5.1f}/{self.total:.1f} s] sent {p.sent:,}  received {p.received:,}"
            f"  lag max {p.max_lag_ns / 1e6:.1f} ms"
            + (f"  late sends {p.late_sends:,}" if p.late_sends else "")
            + ("  (warm-up: not counted)" if elapsed < self.warmup else "")
            + ("  (waiting for the last replies)" if elapsed > self.total else "")
        )
        if self.tty:
            sys.stderr.write("\r" + text.ljust(self.width))
            self.width = len(text)
        else:
            sys.stderr.write(text + "\n")
        sys.stderr.flush()

    def final(self, elapsed: float, result: LoadTestResult) -> None:
        """Write the last line from the final counts, so that it agrees with the table."""
        c = result.counts
        self.last = -1.0
        self(elapsed, Progress(c.sent, c.received, c.late_sends, c.max_lag_ns))
        if self.tty:
            sys.stderr.write("\n")
            self.width = 0

    def close(self) -> None:
        if self.tty and self.width:
            sys.stderr.write("\r" + " " * self.width + "\r")
            sys.stderr.flush()


def _read_targets(args: argparse.Namespace) -> tuple[str, int, list[tuple[str, int]]]:
    """(host, port) of the old HOST PORT form (or ("", 0)) and the targets of the words and files.

    Raises:
        LoadTestError: a bad target or file, or no target at all; GameServers left out are reported first.
    """
    if args.targets_file == "-" and args.gameservers == "-":
        raise LoadTestError("--targets - and --gameservers -: only one of them can read stdin")
    # HOST PORT, the one-target form of before: a second target would have a colon, and a first one
    # in the new form has [brackets] or a single colon (a bare IPv6 address has several).
    words = list(args.targets)
    first_is_target = words[:1] and (words[0].startswith("[") or words[0].count(":") == 1)
    files = args.targets_file or args.gameservers
    if len(words) == 2 and ":" not in words[1] and not first_is_target and not files:
        try:
            return words[0], port_number(words[1]), []
        except argparse.ArgumentTypeError as exc:
            raise LoadTestError(str(exc)) from None
    targets = [parse_target(w) for w in words]
    if args.targets_file:
        targets += read_targets(args.targets_file)
    if args.gameservers:
        aim = read_gameservers(args.gameservers, args.port_name, args.family)
        for line in aim.left_out:
            print(f"udp-loadtest: {line}", file=sys.stderr)
        if not aim.targets and not targets:
            raise LoadTestError(
                f"--gameservers {args.gameservers}: no GameServer with a Pod IP on port {args.port_name!r}"
                f" ({len(aim.left_out)} left out)"
            )
        targets += aim.targets
    if not targets:
        raise LoadTestError("no target: give HOST:PORT (one or more), --targets FILE or --gameservers FILE")
    if args.share:
        i, n = args.share
        total = len(targets)
        targets = targets[i::n]
        if not targets:
            raise LoadTestError(f"--share {i}/{n}: no target left for this share ({total} targets for {n} shares)")
    return "", 0, targets


def _prepare_outputs(args: argparse.Namespace) -> None:
    """Add the suffixes, check that the files can be written and that matplotlib is there: before any load."""
    if args.json:
        args.json = output_path(args.json, ".json")
        check_output(args.json, "--json")
    if args.plot:
        if args.plot == "-":
            raise LoadTestError("--plot -: the plot is a PNG file; give a file name")
        args.plot = output_path(args.plot, ".png")
        check_output(args.plot, "--plot")
        load_plotting()
    raw = getattr(args, "raw_samples", None)
    if raw:
        check_output(raw, "--raw-samples")


def _write_outputs(args: argparse.Namespace, result: LoadTestResult, human: IO[str]) -> int:
    try:
        if args.json == "-":
            # One line, so that it stays whole among the other lines of `kubectl logs`.
            sys.stdout.write(json.dumps(result.to_dict(), separators=(",", ":")) + "\n")
            sys.stdout.flush()
        elif args.json:
            write_json(result, args.json)
            print(f"wrote {args.json}", file=human)
        if args.plot:
            write_plot(result, args.plot)
            print(f"wrote {args.plot}", file=human)
        raw = getattr(args, "raw_samples", None)
        if raw:
            Path(raw).write_text("".join(f"{v}\n" for v in result.counts.raw_ns))
            print(f"wrote {raw}", file=human)
    except LoadTestError as exc:
        print(f"udp-loadtest: error: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:
        print(f"udp-loadtest: error: cannot write {exc.filename}: {exc.strerror}", file=sys.stderr)
        return 2
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``udp-loadtest``; return the exit status (0 when replies came back, 1 when none, 2 bad input)."""
    args_list = list(sys.argv[1:] if argv is None else argv)
    if args_list[:1] == ["merge"]:
        return merge_main(args_list[1:])
    try:
        args = build_parser().parse_args(args_list)
    except UsageError as exc:
        print(f"udp-loadtest: error: {exc} (see --help)", file=sys.stderr)
        return 2
    try:
        host, port, targets = _read_targets(args)
    except LoadTestError as exc:
        print(f"udp-loadtest: error: {exc}", file=sys.stderr)
        return 2
    if args.rate is not None:
        rate = args.rate
    else:
        rate = (args.tick_rate if args.tick_rate is not None else 60.0) * args.clients
    config = LoadTestConfig(
        host=host,
        port=port,
        targets=tuple(targets),
        clients=args.clients,
        rate=rate,
        duration=args.duration,
        warmup=args.warmup,
        payload_size=args.payload_size,
        workers=args.workers if args.workers is not None else default_workers(),
        reply_timeout=args.reply_timeout,
        join=args.join,
        join_reply=args.join_reply,
        keep_going=args.keep_going,
        keep_raw=bool(args.raw_samples),
        start_at=args.start_at,
        run_id=args.run_id,
        label=args.label,
    )
    human = sys.stderr if args.json == "-" else sys.stdout
    try:
        config.check()
        _prepare_outputs(args)
    except LoadTestError as exc:
        print(f"udp-loadtest: error: {exc}", file=sys.stderr)
        return 2
    all_targets = config.all_targets()
    if len(all_targets) > 1:
        where = f"{len(all_targets)} targets"
    else:
        where = format_address(*all_targets[0])
    print(format_header(config, where, min(config.workers, config.clients)), file=human, flush=True)

    def notice(text: str) -> None:
        print(f"udp-loadtest: {text}", file=sys.stderr, flush=True)

    line = None if args.quiet else _ProgressLine(config.warmup + config.duration, config.warmup)
    try:
        result = run(config, line, notice)
    except LoadTestError as exc:
        if line is not None:
            line.close()
        print(f"udp-loadtest: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("\nudp-loadtest: interrupted", file=sys.stderr)
        return 130
    if line is not None:
        line.final(config.warmup + config.duration, result)
    print("\n".join(format_table(result).splitlines()[1:]), file=human, flush=True)
    status = _write_outputs(args, result, human)
    if result.counts.refused_stop:
        print(
            f"udp-loadtest: error: stopped: every datagram of the first seconds to {result.address} was refused"
            " ('port unreachable': nothing listens on that UDP port); --keep-going to insist",
            file=sys.stderr,
        )
        return 1
    if result.received == 0:
        refused = result.counts.errors.get("ECONNREFUSED", 0) + result.counts.warmup_errors.get("ECONNREFUSED", 0)
        why = (
            "the host answered 'port unreachable': nothing listens on that UDP port"
            if refused
            else "is the server running, and is the address and port right?"
        )
        print(f"udp-loadtest: error: no replies from {result.address} ({why})", file=sys.stderr)
        return 1
    if config.join and result.counts.joined == 0:
        print("udp-loadtest: error: no client could JOIN", file=sys.stderr)
        return 1
    return status


def _check_distinct_files(names: Sequence[str]) -> None:
    """Refuse a file given twice (also under another name), before reading any."""
    seen: dict[str, str] = {}
    for name in names:
        key = name if name == "-" else os.path.realpath(name)
        if key in seen:
            same = "twice" if seen[key] == name else f"twice ({seen[key]} and {name} are the same file)"
            raise LoadTestError(f"{name} is given {same}: give each result once")
        seen[key] = name


def merge_main(argv: Sequence[str]) -> int:
    """``udp-loadtest merge``: merge results, print the table, write --json and --plot."""
    try:
        args = build_merge_parser().parse_args(list(argv))
    except UsageError as exc:
        print(f"udp-loadtest merge: error: {exc} (see --help)", file=sys.stderr)
        return 2
    human = sys.stderr if args.json == "-" else sys.stdout
    try:
        _prepare_outputs(args)
        _check_distinct_files(args.results)
        results = [read_result(name) for name in args.results]
        merged = merge_results(results, args.results, allow_disjoint=args.allow_disjoint)
    except LoadTestError as exc:
        print(f"udp-loadtest merge: error: {exc}", file=sys.stderr)
        return 2
    print(format_table(merged), file=human, flush=True)
    return _write_outputs(args, merged, human)
