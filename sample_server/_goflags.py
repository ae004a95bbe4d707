"""Agones' `simple-game-server` flags, in Go's syntax, rewritten to ours before argparse sees them.

Go's `flag` package takes one or two dashes, `-flag=value` or `-flag value`, and booleans as
`-flag` or `-flag=<strconv.ParseBool form>`; upstream's names are camelCase. Each upstream flag is
an alias of one of ours, so a manifest written for `simple-game-server` runs unchanged.
"""

from __future__ import annotations

from collections.abc import Sequence

# Upstream simple-game-server's flags (examples/simple-game-server/main.go) -> ours.
UPSTREAM_FLAGS: dict[str, str] = {
    "port": "--port",
    "passthrough": "--passthrough",
    "ready": "--ready",
    "udp": "--udp",
    "tcp": "--tcp",
    "automaticShutdownDelaySec": "--automatic-shutdown-delay-sec",
    "automaticShutdownDelayMin": "--automatic-shutdown-delay-min",
    "readyDelaySec": "--ready-delay-sec",
    "readyIterations": "--ready-iterations",
    "gracefulTerminationDelaySec": "--graceful-termination-delay-sec",
}
_UPSTREAM_BOOLS = frozenset({"passthrough", "ready", "udp", "tcp"})
_GO_BOOL_VALUES = frozenset({"1", "t", "T", "TRUE", "true", "True", "0", "f", "F", "FALSE", "false", "False"})


def go_flags(argv: Sequence[str]) -> list[str]:
    """Rewrite upstream's Go-style flags (`-readyDelaySec=5`, `-udp`) to ours; the rest is kept.

    Go's syntax: one or two dashes, `-flag=value` or `-flag value`; a boolean takes no separate
    value (`-ready` is true, `-ready=false` false), so a single-dash one is pinned to `=true`
    here and the next word stays a word of its own, as in Go.

    Raises:
        ValueError: a boolean given a value Go would not take.
    """
    out: list[str] = []
    for i, arg in enumerate(argv):
        if arg == "--":
            out.extend(argv[i:])
            break
        if not arg.startswith("-") or arg.startswith("---"):
            out.append(arg)
            continue
        name, eq, value = arg.lstrip("-").partition("=")
        ours = UPSTREAM_FLAGS.get(name)
        if ours is None or (arg.startswith("--") and ours == "--" + name):
            out.append(arg)  # not upstream's, or already our spelling (`--ready false` stays ours)
            continue
        if name in _UPSTREAM_BOOLS:
            if eq and value not in _GO_BOOL_VALUES:
                raise ValueError(
                    f"invalid boolean value {value!r} for flag -{name} (use true or false, 1 or 0, t or f)"
                )
            out.append(f"{ours}={value if eq else 'true'}")
        else:
            out.append(f"{ours}={value}" if eq else ours)
    return out
