#!/usr/bin/env bash
# Build the sdist and the wheel, check them, install the wheel into a clean venv and run every
# command from there, away from the source tree: what a user gets from a release, not from a clone.
set -euo pipefail
cd "$(dirname "$0")/.."
python=${PYTHON:-.venv/bin/python}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

"$python" -m build --outdir "$work/dist" . >"$work/build.log" 2>&1 || { cat "$work/build.log"; exit 1; }
"$python" -m twine check --strict "$work"/dist/*
wheel=$(echo "$work"/dist/*.whl)
"$python" - "$wheel" <<'PY'
import sys, zipfile
names = zipfile.ZipFile(sys.argv[1]).namelist()
if not any(n.endswith(".dist-info/licenses/LICENSE") for n in names):
    sys.exit(f"the wheel ships no LICENSE: {sys.argv[1]}")
PY

python3 -m venv "$work/venv"
"$work/venv/bin/pip" install -q "$wheel"
cd "$work"
version=$("$work/venv/bin/python" -c 'import importlib.metadata as m; print(m.version("aioagones"))')
for command in sample-game-server agones-local-sidecar agones-local-allocator udp-loadtest; do
  "$work/venv/bin/$command" --help >/dev/null
  [ "$("$work/venv/bin/$command" --version)" = "$command $version" ] || { echo "$command --version is not $version" >&2; exit 1; }
done
"$work/venv/bin/python" -c "import aioagones, aioagones.testing, sample_server, udp_loadtest"
echo "package check: sdist and wheel build, pass twine check, install and run from a clean venv"
