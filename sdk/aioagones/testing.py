"""Test helpers for game developers: an in-process local sidecar and a pytest fixture.

    from aioagones import SDK
    from aioagones.testing import LocalSidecar

    async def test_my_game_goes_ready() -> None:
        async with LocalSidecar(manifest="deploy/gameserver.yaml") as sidecar:
            async with SDK(sidecar.host, sidecar.port) as sdk:
                await sdk.ready()
            assert sidecar.game_server.status.state == "Ready"
            assert "ready" in sidecar.calls
            await sidecar.allocate(labels={"map": "harbor"})  # as a GameServerAllocation would

A `LocalSidecar` also serves Agones' REST API on `http_port` (`http_url`), and acts as the
cluster: `allocate()`, `set_state()`, `stop_health_checking()` / `resume_health_checking()`.

With this package installed, pytest also offers the `local_sidecar` fixture: a running
`LocalSidecar` with `AGONES_SDK_GRPC_HOST` / `AGONES_SDK_GRPC_PORT` / `AGONES_SDK_HTTP_PORT`
pointing at it, so a plain `SDK()` finds it. Override the `local_sidecar_manifest` fixture to start it from a manifest.
The fixture needs pytest-asyncio; without it (or outside pytest) the module still imports.
"""

from __future__ import annotations

import asyncio
import inspect
import os
from collections.abc import AsyncIterator, Callable, Mapping
from pathlib import Path
from typing import Any, Self

from aioagones._constants import ENV_GRPC_HOST, ENV_GRPC_PORT, ENV_HTTP_PORT
from aioagones._models import GameServer, State
from aioagones.local._manifest import load_game_server
from aioagones.local._server import SidecarServer
from aioagones.local._state import Allocation, CounterAction, ListAction

__all__ = ["CounterAction", "ListAction", "LocalSidecar", "Manifest", "local_sidecar", "local_sidecar_manifest"]

Manifest = str | os.PathLike[str] | Mapping[str, Any] | None
"""What `LocalSidecar` starts from: None (the reference default), a YAML/JSON file, or a parsed manifest."""


class LocalSidecar:
    """A local Agones sidecar running in this process and event loop, for tests: the in-process class.

    Args:
        manifest: None for the reference default GameServer (as `sdk-server --local` serves it);
            a path to a GameServer manifest (YAML or JSON), applied again on each write to it
            while serving (see docs/local-sidecar.md); or the manifest as a dict.
        host: the address to listen on.
        port: the gRPC port; 0 picks a free port at the first start; later starts reuse it.
        http_port: the REST API's port, likewise (None: no HTTP).

    Raises:
        aioagones.local.ManifestError: the manifest is refused (raised here, not at start).
    """

    def __init__(
        self, manifest: Manifest = None, *, host: str = "127.0.0.1", port: int = 0, http_port: int | None = 0
    ) -> None:
        source = Path(manifest) if isinstance(manifest, os.PathLike) else manifest
        watch_file = source if isinstance(source, str | Path) else None
        self._server = SidecarServer(
            load_game_server(source), host=host, port=port, http_port=http_port, watch_file=watch_file
        )

    @property
    def host(self) -> str:
        """The address it listens on (what to pass to `SDK(host, port)`)."""
        return self._server.host

    @property
    def port(self) -> int:
        """The port it listens on (known once started)."""
        return self._server.port

    @property
    def http_port(self) -> int | None:
        """The REST API's port (known once started), or None without HTTP."""
        return self._server.http_port

    @property
    def http_url(self) -> str | None:
        """`http://host:port` of the REST API (`curl -X POST {http_url}/ready`), or None without HTTP."""
        return self._server.http_url

    @property
    def game_server(self) -> GameServer:
        """The GameServer as it is now."""
        return GameServer.from_pb(self._server.snapshot())

    @property
    def calls(self) -> list[str]:
        """Names of the calls received, in order, as Agones' conformance test records them.

        `ready`, `allocate`, `shutdown`, `reserve`, `health` (one per ping), `gameserver`, `watch`,
        `setlabel`, `setannotation`, the player calls (`playerconnect` ...), `getcounter`,
        `updatecounter` (plus `setcountcounter` / `setcapacitycounter` when it sets them), `getlist`,
        `updatelist`, `addlistvalue`, `removelistvalue`. Refused calls are recorded too. Only the
        latest are kept (10 000 to 20 000), so a sidecar that runs for days does not grow.
        """
        return self._server.calls

    @property
    def open_streams(self) -> int:
        """Watch and health streams it is serving right now: 0 once every client has let go."""
        return self._server.open_streams

    @property
    def running(self) -> bool:
        """Whether it is serving."""
        return self._server.running

    async def start(self) -> None:
        """Start serving (again, on the same port, after `stop()`); the GameServer is kept.

        Raises:
            OSError: the address cannot be bound.
        """
        await self._server.start()

    async def stop(self) -> None:
        """Stop serving at once, as if the sidecar died: open calls and streams are cut. Harmless twice."""
        await self._server.stop(None)

    async def allocate(
        self,
        *,
        labels: Mapping[str, str] | None = None,
        annotations: Mapping[str, str] | None = None,
        counters: Mapping[str, CounterAction] | None = None,
        lists: Mapping[str, ListAction] | None = None,
    ) -> GameServer:
        """Allocate the GameServer as a GameServerAllocation would; returns it as allocated.

        It must be `Ready` (or already `Allocated`). `labels` and `annotations` are merged into its
        metadata; counter and list actions apply as Agones' allocator applies them
        (`CounterAction(action="Increment", amount=1)`, `ListAction(add_values=("p1",))`).
        Actions on a missing counter or list are skipped and logged, as in a cluster.

        Raises:
            aioagones.local.SidecarError: not Ready/Allocated (FAILED_PRECONDITION), or a label,
                annotation or action a cluster would refuse (INVALID_ARGUMENT).
            RuntimeError: the sidecar is not running.
        """
        self._server.allocate(
            Allocation(
                labels=dict(labels or {}),
                annotations=dict(annotations or {}),
                counters=dict(counters or {}),
                lists=dict(lists or {}),
            )
        )
        return self.game_server

    async def set_state(self, state: str | State) -> GameServer:
        """Put the GameServer into any state, as the cluster (or an edit of the GameServer) would.

        Raises:
            aioagones.local.SidecarError: not a GameServer state.
            RuntimeError: the sidecar is not running.
        """
        self._server.set_state(str(state))
        return self.game_server

    async def reset(self) -> GameServer:
        """Start over, as `agones-local-sidecar reset` does: a fresh GameServer from the same manifest.

        Health checking then waits for the game's first call, as after a start.

        Raises:
            RuntimeError: the sidecar is not running.
        """
        self._server.reset()
        return self.game_server

    async def stop_health_checking(self) -> None:
        """Stop the cluster's health checking: the GameServer no longer turns Unhealthy without pings."""
        self._server.set_health_checking(False)

    async def resume_health_checking(self) -> None:
        """Resume health checking, giving the game a whole failure window from now."""
        self._server.set_health_checking(True)

    async def wait_for(self, predicate: Callable[[GameServer], bool], timeout: float = 5.0) -> GameServer:  # noqa: ASYNC109
        """The first GameServer state (now or later) for which `predicate` holds.

        Raises:
            TimeoutError: not within `timeout` seconds; the message names the predicate and the last
                GameServer seen (name, state, labels).
            RuntimeError: the sidecar is not running, or stopped while waiting.
        """
        last: GameServer | None = None
        try:
            async with asyncio.timeout(timeout):
                async for snapshot in self._server.changes():
                    last = GameServer.from_pb(snapshot)
                    if predicate(last):
                        return last
        except TimeoutError:
            raise TimeoutError(f"wait_for({_describe(predicate)}): not within {timeout:g} s; {_seen(last)}") from None
        raise RuntimeError("the local sidecar stopped while waiting")

    async def wait_streams_closed(self, timeout: float = 5.0) -> None:  # noqa: ASYNC109
        """Return once every watch and health stream has ended on the sidecar's side.

        A client that leaves does not wait for the server to notice; tests that check what is
        left running on a shared event loop can wait for this first.

        Raises:
            TimeoutError: streams still open after `timeout` seconds.
        """
        async with asyncio.timeout(timeout):
            await self._server.streams_closed()

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()


def _describe(predicate: Callable[..., object]) -> str:
    name = getattr(predicate, "__qualname__", repr(predicate))
    if name.endswith("<lambda>"):
        try:
            source = inspect.getsource(predicate).strip()
        except (OSError, TypeError):
            return "a lambda"
        # The lambda's own text, as written at the call (good enough to recognise it in a failure).
        start = source.find("lambda")
        return source[start:].rstrip(",)") if start >= 0 else "a lambda"
    return name


def _seen(game_server: GameServer | None) -> str:
    if game_server is None:
        return "no GameServer seen"
    meta, status = game_server.object_meta, game_server.status
    return f"last seen: GameServer {meta.name!r}, state {status.state}, labels {dict(meta.labels)}"


try:
    import pytest
    import pytest_asyncio
except ImportError:  # not under pytest, or without pytest-asyncio: LocalSidecar still works
    pass
else:

    @pytest.fixture
    def local_sidecar_manifest() -> Manifest:
        """The manifest `local_sidecar` starts from: None (the reference default); override it."""
        return None

    @pytest_asyncio.fixture
    async def local_sidecar(
        local_sidecar_manifest: Manifest, monkeypatch: pytest.MonkeyPatch
    ) -> AsyncIterator[LocalSidecar]:
        """A running `LocalSidecar`, with `AGONES_SDK_GRPC_HOST`/`_PORT` (and `AGONES_SDK_HTTP_PORT`) set."""
        async with LocalSidecar(local_sidecar_manifest) as sidecar:
            monkeypatch.setenv(ENV_GRPC_HOST, sidecar.host)
            monkeypatch.setenv(ENV_GRPC_PORT, str(sidecar.port))
            monkeypatch.setenv(ENV_HTTP_PORT, str(sidecar.http_port))
            yield sidecar
