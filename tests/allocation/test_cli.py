"""`agones-allocate` as a process against the fake allocator: outputs, exit codes, one-line errors."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import sys
from pathlib import Path

import grpc
import pytest

from aioagones._version import __version__

from .._commands import free_port
from ._fake import Certificates, FakeAllocator, reply, serve

COMMAND = [sys.executable, "-m", "aioagones.allocation"]


async def run(*args: str | Path) -> tuple[int, str, str]:
    proc = await asyncio.create_subprocess_exec(
        *COMMAND, *map(str, args), stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
    )
    async with asyncio.timeout(30):
        out, err = await proc.communicate()
    assert proc.returncode is not None
    return proc.returncode, out.decode(), err.decode()


def mtls(certs: Certificates) -> list[str | Path]:
    return ["--ca", certs.ca, "--cert", certs.client_cert, "--key", certs.client_key]


async def test_text_output_names_the_game_server_and_the_endpoints(
    certs: Certificates, allocator: FakeAllocator
) -> None:
    async with serve(allocator, certs) as port:
        code, out, err = await run(
            f"127.0.0.1:{port}", *mtls(certs), "--fleet", "f", "--selector", "mode=ctf", "--label", "match=m1"
        )
    assert (code, err) == (0, "")
    assert out.splitlines() == [
        "GameServer gs-1 (node node-local)",
        "endpoints: [2001:db8:1::a]:7777 198.51.100.10:7777",
    ]
    [sent] = allocator.requests
    assert sent.namespace == "default"
    assert dict(sent.gameServerSelectors[0].matchLabels) == {"mode": "ctf", "agones.dev/fleet": "f"}
    assert dict(sent.metadata.labels) == {"match": "m1"}


async def test_json_output_is_the_rest_answer_plus_endpoints(allocator: FakeAllocator) -> None:
    async with serve(allocator) as port:
        code, out, _ = await run(
            f"127.0.0.1:{port}", "--plaintext", "--json", "--namespace", "games", "--annotation", "a.io/t=x y"
        )
    assert code == 0
    document = json.loads(out)
    assert document["gameServerName"] == "gs-1" and document["nodeName"] == "node-local"
    assert document["address"] == "198.51.100.1"
    assert {"type": "PodIP", "address": "2001:db8:1::a"} in document["addresses"]
    assert document["endpoints"] == ["[2001:db8:1::a]:7777", "198.51.100.10:7777"]
    assert allocator.requests[0].namespace == "games"
    assert dict(allocator.requests[0].metadata.annotations) == {"a.io/t": "x y"}


async def test_no_pod_ip_yet_is_reported_not_replaced_by_the_node(allocator: FakeAllocator) -> None:
    allocator.default = reply("gs-late", pod_ips=())
    async with serve(allocator) as port:
        code, out, err = await run(f"127.0.0.1:{port}", "--plaintext", "--json")
    assert code == 0
    assert json.loads(out)["endpoints"] == []
    assert "no Pod IP yet" in err and len(err.splitlines()) == 1


async def test_a_reader_that_left_gets_no_traceback(allocator: FakeAllocator) -> None:
    read, write = os.pipe()
    os.close(read)  # as `agones-allocate ... | head -0` would
    async with serve(allocator) as port:
        proc = await asyncio.create_subprocess_exec(
            *COMMAND, f"127.0.0.1:{port}", "--plaintext", "--json", stdout=write, stderr=asyncio.subprocess.PIPE
        )
        os.close(write)
        async with asyncio.timeout(30):
            _, err = await proc.communicate()
    assert (proc.returncode, err) == (0, b"")


async def test_nothing_to_allocate_exits_3(allocator: FakeAllocator) -> None:
    allocator.default = grpc.StatusCode.RESOURCE_EXHAUSTED
    async with serve(allocator) as port:
        code, out, err = await run(f"127.0.0.1:{port}", "--plaintext", "--fleet", "f")
    assert (code, out) == (3, "")
    assert err.splitlines() == [
        "agones-allocate: no GameServer available to allocate (there is no available GameServer to allocate)"
    ]


async def test_refused_certificate_exits_1_naming_it(certs: Certificates, allocator: FakeAllocator) -> None:
    async with serve(allocator, certs) as port:
        code, _, err = await run(
            f"127.0.0.1:{port}", "--ca", certs.ca, "--cert", certs.rogue_cert, "--key", certs.rogue_key
        )
        wrong_ca = await run(
            f"127.0.0.1:{port}", "--ca", certs.rogue_ca, "--cert", certs.client_cert, "--key", certs.client_key
        )
    assert code == 1 and len(err.splitlines()) == 1
    assert "TLS handshake" in err and str(certs.rogue_cert) in err
    assert wrong_ca[0] == 1 and len(wrong_ca[2].splitlines()) == 1
    assert "certificate is not signed" in wrong_ca[2] and str(certs.rogue_ca) in wrong_ca[2]


async def test_unreachable_exits_1() -> None:
    code, _, err = await run(f"127.0.0.1:{free_port()}", "--plaintext", "--timeout", "0.5")
    assert code == 1
    assert err.startswith("agones-allocate: the allocator at 127.0.0.1:") and "unreachable" in err
    assert len(err.splitlines()) == 1


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["127.0.0.1:1", "--plaintext", "--selector", "novalue"], "'novalue' is not KEY=VALUE"),
        (["127.0.0.1:1", "--plaintext", "--label", "bad key=v"], "invalid label key 'bad key'"),
        (["127.0.0.1:1", "--cert", "c.pem"], "--cert and --key go together"),
        (["127.0.0.1:1", "--plaintext", "--ca", "ca.pem"], "--plaintext takes no --ca"),
        (["127.0.0.1:1", "--ca", "/nonexistent/ca.pem"], "cannot read the ca file '/nonexistent/ca.pem'"),
        (["127.0.0.1:1", "--plaintext", "--timeout", "0"], "'0' is not a number of seconds"),
        (["127.0.0.1:1", "--plaintext", "--namespace", "Not_A_NS"], "namespace must be"),
        (["localhost", "--plaintext"], "endpoint must be HOST:PORT"),
        ([], "the following arguments are required: ENDPOINT"),
    ],
)
async def test_bad_input_is_one_line_and_exit_code_2(args: list[str], says: str) -> None:
    code, out, err = await run(*args)
    assert (code, out) == (2, "")
    assert says in err and len(err.splitlines()) == 1, err
    assert "usage:" not in err


async def test_version_and_console_script() -> None:
    code, out, _ = await run("--version")
    assert (code, out.strip()) == (0, f"agones-allocate {__version__}")
    script = shutil.which("agones-allocate", path=str(Path(sys.executable).parent))
    assert script is not None
    proc = await asyncio.create_subprocess_exec(script, "--help", stdout=asyncio.subprocess.PIPE)
    async with asyncio.timeout(30):
        help_text, _ = await proc.communicate()
    assert proc.returncode == 0
    for (
        flag
    ) in "--ca --cert --key --plaintext --namespace --selector --fleet --label --annotation --timeout --json".split():
        assert flag in help_text.decode()
