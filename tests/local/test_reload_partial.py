"""Reload on edit reads a manifest only once it has stopped changing: a half-written file is never applied."""

from __future__ import annotations

import os
from pathlib import Path

from aioagones.local._manifest import load_game_server
from aioagones.local._reload import SETTLE_SECONDS, ManifestWatcher
from aioagones.local._rules import GameServerRules

MANIFEST = """\
apiVersion: agones.dev/v1
kind: GameServer
metadata:
  name: partial
  labels: {mode: dm}
spec:
  ports:
    - {name: game, portPolicy: None, containerPort: 7654}
  health: {disabled: true}
  counters:
    rooms: {count: 0, capacity: 5}
  lists:
    players: {capacity: 10}
"""

EDITED = MANIFEST.replace("mode: dm", "mode: ctf")
CUT = EDITED.index("  counters:")  # a prefix that is a valid manifest on its own, without counters or lists


def _start(path: Path) -> tuple[ManifestWatcher, GameServerRules]:
    path.write_text(MANIFEST)
    return ManifestWatcher(path), GameServerRules(load_game_server(path), now=0.0)


def test_a_write_in_progress_is_applied_only_once_whole(tmp_path: Path) -> None:
    path = tmp_path / "gs.yaml"
    watcher, rules = _start(path)
    with open(path, "r+", encoding="utf-8") as f:  # a write in place, as `>` and most programs do
        f.truncate(0)
        f.write(EDITED[:CUT])
        f.flush()
        # the poll comes while the writer is half-way through: the prefix parses, but is not applied
        assert watcher.poll(rules, now=1.0) is False
        f.write(EDITED[CUT:])
    assert rules.game_server.labels["mode"] == "dm"
    assert watcher.poll(rules, now=1.25) is False  # a new version: looked at once more before it is read
    assert watcher.poll(rules, now=1.5) is True
    gs = rules.game_server
    assert gs.labels["mode"] == "ctf"
    assert set(gs.counters) == {"rooms"} and set(gs.lists) == {"players"}
    assert watcher.poll(rules, now=1.75) is False  # applied once


def test_a_file_cut_mid_line_waits_to_settle(tmp_path: Path) -> None:
    path = tmp_path / "gs.yaml"
    watcher, rules = _start(path)
    cut = EDITED[: CUT + len("  counters:\n    roo")]  # `roo` parses as a key of its own
    path.write_text(cut)
    assert watcher.poll(rules, now=1.0) is False
    assert watcher.poll(rules, now=1.25) is False  # unchanged, but no newline at the end: not yet
    assert rules.game_server.labels["mode"] == "dm"
    path.write_text(EDITED)
    assert watcher.poll(rules, now=1.5) is False
    assert watcher.poll(rules, now=1.75) is True
    assert set(rules.game_server.counters) == {"rooms"}


def test_a_file_without_a_final_newline_is_applied_once_settled(tmp_path: Path) -> None:
    path = tmp_path / "gs.yaml"
    watcher, rules = _start(path)
    path.write_text(EDITED.rstrip("\n"))
    assert watcher.poll(rules, now=1.0) is False
    assert watcher.poll(rules, now=1.0 + SETTLE_SECONDS / 2) is False
    assert watcher.poll(rules, now=1.0 + SETTLE_SECONDS) is True
    assert rules.game_server.labels["mode"] == "ctf"


def test_a_rename_over_the_file_is_applied(tmp_path: Path) -> None:
    path = tmp_path / "gs.yaml"
    watcher, rules = _start(path)
    staged = tmp_path / "gs.yaml.new"
    staged.write_text(EDITED)
    os.replace(staged, path)  # how editors save: never half-written
    assert watcher.poll(rules, now=1.0) is False
    assert watcher.poll(rules, now=1.25) is True
    assert rules.game_server.labels["mode"] == "ctf"


def test_a_truncated_file_waits_for_its_content(tmp_path: Path) -> None:
    path = tmp_path / "gs.yaml"
    watcher, rules = _start(path)
    path.write_text("")  # the truncate of a write in place, its content still to come
    assert watcher.poll(rules, now=1.0) is False
    assert watcher.poll(rules, now=1.25) is False  # no "edit ignored" for a file that is only empty for now
    path.write_text(EDITED)
    assert watcher.poll(rules, now=1.5) is False
    assert watcher.poll(rules, now=1.75) is True
    assert rules.game_server.labels["mode"] == "ctf"
