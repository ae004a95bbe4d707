"""Just enough of the Dockerfile format to read our Dockerfile and replay its steps outside a container.

`parse` reads instructions (continuations, comments, exec-form JSON) into stages. `IgnoreRules`
applies `.dockerignore` as the Docker builder does: patterns in order, `**` for any depth, a pattern
matches a path or any of its parents, the last match wins, `!` re-includes.
"""

from __future__ import annotations

import json
import re
import shlex
import shutil
from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class Instruction:
    keyword: str  # upper case: FROM, RUN, COPY, ...
    flags: tuple[str, ...]  # leading --name=value options (RUN --mount=..., COPY --from=...)
    args: str  # the rest, as written (continuations joined)
    line: int

    def exec_form(self) -> list[str] | None:
        """The JSON array of an exec-form ENTRYPOINT/CMD/RUN, or None for the shell form."""
        text = self.args.strip()
        if not text.startswith("["):
            return None
        value = json.loads(text)
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise ValueError(f"line {self.line}: {self.keyword} is not a JSON array of strings")
        return value

    def env(self) -> dict[str, str]:
        """The variables an ENV instruction sets."""
        words = shlex.split(self.args)
        if words and "=" not in words[0]:  # legacy form: ENV KEY value with spaces
            return {words[0]: " ".join(words[1:])}
        return dict(word.partition("=")[::2] for word in words)

    def flag(self, name: str) -> str | None:
        for item in self.flags:
            key, _, value = item[2:].partition("=")
            if key == name:
                return value
        return None


@dataclass
class Stage:
    base: str
    name: str | None
    instructions: list[Instruction] = field(default_factory=list)

    def all(self, keyword: str) -> list[Instruction]:
        return [i for i in self.instructions if i.keyword == keyword]

    def last(self, keyword: str) -> Instruction | None:
        found = self.all(keyword)
        return found[-1] if found else None

    def env(self) -> dict[str, str]:
        """Every ENV of the stage, in order (later values win)."""
        values: dict[str, str] = {}
        for instruction in self.all("ENV"):
            values.update(instruction.env())
        return values

    def exposed(self) -> set[str]:
        """EXPOSE entries as `port/protocol` (protocol lower case, tcp by default)."""
        ports: set[str] = set()
        for instruction in self.all("EXPOSE"):
            for word in instruction.args.split():
                port, _, protocol = word.partition("/")
                ports.add(f"{int(port)}/{(protocol or 'tcp').lower()}")
        return ports


@dataclass
class Dockerfile:
    global_args: dict[str, str]
    stages: list[Stage]

    @property
    def final(self) -> Stage:
        return self.stages[-1]

    def stage(self, name: str) -> Stage:
        for stage in self.stages:
            if stage.name == name:
                return stage
        raise KeyError(f"no stage named {name!r}")


def _logical_lines(text: str) -> list[tuple[int, str]]:
    """Join backslash continuations; drop comments and blank lines (inside continuations too)."""
    lines: list[tuple[int, str]] = []
    pending: list[str] = []
    start = 0
    for number, raw in enumerate(text.splitlines(), start=1):
        stripped = raw.strip()
        if stripped.startswith("#") or (not stripped and not pending):
            continue
        if not pending:
            start = number
        if stripped.endswith("\\"):
            pending.append(stripped[:-1].strip())
            continue
        pending.append(stripped)
        lines.append((start, " ".join(p for p in pending if p)))
        pending = []
    if pending:
        lines.append((start, " ".join(pending)))
    return lines


def _substitute(text: str, values: dict[str, str]) -> str:
    return re.sub(r"\$\{(\w+)\}|\$(\w+)", lambda m: values.get(m.group(1) or m.group(2), m.group(0)), text)


def parse(text: str) -> Dockerfile:
    global_args: dict[str, str] = {}
    stages: list[Stage] = []
    for line, content in _logical_lines(text):
        keyword, _, rest = content.partition(" ")
        keyword = keyword.upper()
        rest = rest.strip()
        flags: list[str] = []
        while rest.startswith("--"):
            flag, _, rest = rest.partition(" ")
            flags.append(flag)
            rest = rest.strip()
        instruction = Instruction(keyword, tuple(flags), rest, line)
        if keyword == "ARG" and not stages:
            arg, _, default = rest.partition("=")
            global_args[arg] = default
        elif keyword == "FROM":
            words = _substitute(rest, global_args).split()
            stage_name = words[2] if len(words) == 3 and words[1].upper() == "AS" else None
            stages.append(Stage(base=words[0], name=stage_name))
        elif not stages:
            raise ValueError(f"line {line}: {keyword} before the first FROM")
        else:
            stages[-1].instructions.append(instruction)
    if not stages:
        raise ValueError("no FROM")
    return Dockerfile(global_args, stages)


def _pattern_regex(pattern: str) -> re.Pattern[str]:
    """A .dockerignore pattern (Go filepath.Match plus `**`) as a regex over a /-separated path."""
    out = []
    i = 0
    while i < len(pattern):
        if pattern.startswith("**/", i):
            out.append("(?:.*/)?")
            i += 3
        elif pattern.startswith("**", i):
            out.append(".*")
            i += 2
        elif pattern[i] == "*":
            out.append("[^/]*")
            i += 1
        elif pattern[i] == "?":
            out.append("[^/]")
            i += 1
        elif pattern[i] == "[":
            end = pattern.index("]", i)
            out.append("[" + pattern[i + 1 : end].replace("!", "^", 1) + "]")
            i = end + 1
        else:
            out.append(re.escape(pattern[i]))
            i += 1
    return re.compile("^" + "".join(out) + "$")


class IgnoreRules:
    """The rules of a `.dockerignore` file."""

    def __init__(self, text: str) -> None:
        self.rules: list[tuple[bool, re.Pattern[str]]] = []
        for raw in text.splitlines():
            line = raw.strip()
            if not line or line.startswith("#"):
                continue
            negate = line.startswith("!")
            pattern = line[1:].strip() if negate else line
            pattern = pattern.strip("/") if pattern not in {"/", ""} else pattern
            pattern = re.sub(r"/+", "/", pattern).removeprefix("./")
            self.rules.append((negate, _pattern_regex(pattern)))

    def excluded(self, relative: str) -> bool:
        parts = relative.strip("/").split("/")
        prefixes = ["/".join(parts[: n + 1]) for n in range(len(parts))]
        result = False
        for negate, regex in self.rules:
            if any(regex.match(p) for p in prefixes):
                result = not negate
        return result

    def copy_into(self, context: Path, source: str, destination: Path) -> None:
        """COPY `source` (relative to the build context) into `destination`, leaving out ignored files."""
        origin = context / source.strip("/")
        if not origin.exists() or self.excluded(source):
            raise FileNotFoundError(f"COPY {source}: not in the build context (missing, or excluded by .dockerignore)")
        if origin.is_file():
            destination.mkdir(parents=True, exist_ok=True)
            shutil.copy2(origin, destination / origin.name)
            return
        for path in sorted(origin.rglob("*")):
            relative = path.relative_to(context).as_posix()
            if path.is_file() and not self.excluded(relative):
                target = destination / path.relative_to(origin)
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(path, target)
