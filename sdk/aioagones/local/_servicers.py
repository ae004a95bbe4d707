"""grpc.aio servicers for the three SDK services: a thin layer over `GameServerRules`.

`SidecarCore` is what every servicer shares: the rules, the names of the calls received, the
watchers, and a wake-up for the timer task. Each call is recorded, run against the rules,
logged in one line, and (if it changed the GameServer) sent to every watcher.

Watchers: each open `WatchGameServer` stream has a short backlog of snapshots. Publishing
appends to every backlog without waiting, so nobody waits for a slow client; a backlog that
overflows drops its oldest snapshots, so a slow watcher skips ahead to the latest states.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import datetime
import logging
import time
from collections.abc import AsyncGenerator, AsyncIterator, Callable, Iterator
from typing import Any, TypeVar

import grpc

from aioagones._pb import alpha_pb2, alpha_pb2_grpc, beta_pb2, beta_pb2_grpc, sdk_pb2, sdk_pb2_grpc
from aioagones.local._rules import Code, GameServerRules, SidecarError

__all__ = ["WATCH_BACKLOG", "AlphaServicer", "BetaServicer", "SDKServicer", "SidecarCore"]

logger = logging.getLogger("aioagones.local")

WATCH_BACKLOG = 32
"""Snapshots kept for a watcher that has not caught up; beyond that it skips to the newest."""

STOPPING = "the local sidecar is stopping"

_T = TypeVar("_T")
_Context = grpc.aio.ServicerContext[Any, Any]


def _rfc3339(unix: float) -> str:
    moment = datetime.datetime.fromtimestamp(unix, datetime.UTC)
    return moment.isoformat(timespec="microseconds").replace("+00:00", "Z")


class _Watcher:
    def __init__(self, first: sdk_pb2.GameServer) -> None:
        self._backlog: collections.deque[sdk_pb2.GameServer] = collections.deque([first], WATCH_BACKLOG)
        self._ready = asyncio.Event()
        self._ready.set()
        self.closed = False

    def put(self, snapshot: sdk_pb2.GameServer) -> None:
        self._backlog.append(snapshot)
        self._ready.set()

    def close(self) -> None:
        self.closed = True
        self._ready.set()

    async def get(self) -> sdk_pb2.GameServer | None:
        """The next snapshot, or None once closed."""
        while not self._backlog and not self.closed:
            self._ready.clear()
            await self._ready.wait()
        return None if self.closed else self._backlog.popleft()


class SidecarCore:
    """The state shared by the servicers and the server: rules, calls received, watchers."""

    def __init__(
        self,
        rules: GameServerRules,
        *,
        clock: Callable[[], float] = time.monotonic,
        wall_clock: Callable[[], float] = time.time,
    ) -> None:
        self.rules = rules
        self.clock = clock
        self.wall_clock = wall_clock
        self.calls: list[str] = []
        self.changed = asyncio.Event()
        """Set whenever the GameServer or a deadline may have changed (wakes the timer task)."""
        self.stopping: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        """Done after `close()`: long-lived streams end with UNAVAILABLE, as when a sidecar goes away."""
        self._watchers: set[_Watcher] = set()
        self._streams = 0
        self._streams_done = asyncio.Event()
        self._streams_done.set()
        self._published = rules.version

    @property
    def open_streams(self) -> int:
        """Watch and health streams being served right now."""
        return self._streams

    async def streams_closed(self) -> None:
        """Return once no watch or health stream is open."""
        await self._streams_done.wait()

    def publish(self) -> None:
        """Send the GameServer to every watcher if it changed since the last time."""
        self.changed.set()
        if self.rules.version == self._published:
            return
        self._published = self.rules.version
        snapshot = self.rules.snapshot()
        for watcher in self._watchers:
            watcher.put(snapshot)

    async def close(self, timeout: float) -> None:  # noqa: ASYNC109
        """End every watch and health stream (clients see UNAVAILABLE); wait up to `timeout` s for them.

        Ending them here, rather than letting the grpc server cancel them, lets each handler finish
        normally, so grpc logs no error for it.
        """
        if not self.stopping.done():
            self.stopping.set_result(None)
        for watcher in self._watchers:
            watcher.close()
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(timeout):
                await self._streams_done.wait()

    @contextlib.contextmanager
    def _stream(self) -> Iterator[None]:
        self._streams += 1
        self._streams_done.clear()
        try:
            yield
        finally:
            self._streams -= 1
            if not self._streams:
                self._streams_done.set()

    async def unary(
        self, context: _Context, call: str, method: str, args: str, run: Callable[[], _T], show: Callable[[_T], str]
    ) -> _T:
        """Record `call`, run it, log `method(args) -> result` and publish a change.

        A `SidecarError` becomes a gRPC error with its code and message.
        """
        self.calls.append(call)
        try:
            result = run()
        except SidecarError as exc:
            logger.info("%s(%s) -> %s: %s", method, args, exc.code.name, exc.message)
            await context.abort(grpc.StatusCode[exc.code.name], exc.message)
        if logger.isEnabledFor(logging.INFO):
            logger.info("%s(%s) -> %s", method, args, show(result))
        self.publish()
        return result

    async def changes(self) -> AsyncGenerator[sdk_pb2.GameServer]:
        """The current GameServer, then every change (skipping ahead if the consumer lags).

        Ends when the sidecar stops.
        """
        if self.stopping.done():
            return
        watcher = _Watcher(self.rules.snapshot())
        self._watchers.add(watcher)
        try:
            while (snapshot := await watcher.get()) is not None:
                yield snapshot
        finally:
            self._watchers.discard(watcher)

    async def watch(self, context: _Context) -> AsyncGenerator[sdk_pb2.GameServer]:
        """`WatchGameServer`: `changes()` until the client goes away or the sidecar stops."""
        self.calls.append("watch")
        peer = context.peer()
        logger.info("WatchGameServer() opened by %s (%d watching)", peer, len(self._watchers) + 1)
        changes = self.changes()
        with self._stream():
            try:
                async for snapshot in changes:
                    yield snapshot
            finally:
                await changes.aclose()
                logger.info("WatchGameServer() closed by %s (%d watching)", peer, len(self._watchers))
        await context.abort(grpc.StatusCode.UNAVAILABLE, STOPPING)

    async def health(self, request_iterator: AsyncIterator[sdk_pb2.Empty], context: _Context) -> None:
        """`Health`: record each ping until the client closes the stream or the sidecar stops."""
        peer = context.peer()
        logger.info("Health() stream opened by %s", peer)
        pings = aiter(request_iterator)
        ping: asyncio.Future[sdk_pb2.Empty | None] | None = None
        with self._stream():
            try:
                while True:
                    ping = asyncio.ensure_future(anext(pings, None))
                    await asyncio.wait((ping, self.stopping), return_when=asyncio.FIRST_COMPLETED)
                    if not ping.done():
                        break
                    if ping.result() is None:
                        return
                    self.calls.append("health")
                    self.rules.health(self.clock())
                    if logger.isEnabledFor(logging.DEBUG):
                        logger.debug("Health() ping from %s", peer)
                    self.publish()
            finally:
                if ping is not None and not ping.done():
                    ping.cancel()
                    await asyncio.gather(ping, return_exceptions=True)
                logger.info("Health() stream closed by %s", peer)
        await context.abort(grpc.StatusCode.UNAVAILABLE, STOPPING)

    def state_line(self, _: object = None) -> str:
        return f"state {self.rules.state.state}"


def _q(text: str) -> str:
    return repr(text)


class SDKServicer(sdk_pb2_grpc.SDKServicer):
    """`agones.dev.sdk.SDK`: lifecycle, metadata, health and watch."""

    def __init__(self, core: SidecarCore) -> None:
        self._core = core

    async def Ready(self, request: sdk_pb2.Empty, context: _Context) -> sdk_pb2.Empty:
        core = self._core
        await core.unary(context, "ready", "Ready", "", lambda: core.rules.ready(core.clock()), core.state_line)
        return sdk_pb2.Empty()

    async def Allocate(self, request: sdk_pb2.Empty, context: _Context) -> sdk_pb2.Empty:
        core = self._core

        def run() -> None:
            core.rules.allocate(core.clock(), timestamp=_rfc3339(core.wall_clock()))

        await core.unary(context, "allocate", "Allocate", "", run, core.state_line)
        return sdk_pb2.Empty()

    async def Shutdown(self, request: sdk_pb2.Empty, context: _Context) -> sdk_pb2.Empty:
        core = self._core
        await core.unary(
            context, "shutdown", "Shutdown", "", lambda: core.rules.shutdown(core.clock()), core.state_line
        )
        return sdk_pb2.Empty()

    async def Reserve(self, request: sdk_pb2.Duration, context: _Context) -> sdk_pb2.Empty:
        core = self._core
        await core.unary(
            context,
            "reserve",
            "Reserve",
            f"seconds={request.seconds}",
            lambda: core.rules.reserve(request.seconds, core.clock()),
            core.state_line,
        )
        return sdk_pb2.Empty()

    async def Health(self, request_iterator: AsyncIterator[sdk_pb2.Empty], context: _Context) -> sdk_pb2.Empty:
        await self._core.health(request_iterator, context)
        return sdk_pb2.Empty()

    async def GetGameServer(self, request: sdk_pb2.Empty, context: _Context) -> sdk_pb2.GameServer:
        core = self._core
        return await core.unary(
            context,
            "gameserver",
            "GetGameServer",
            "",
            core.rules.snapshot,
            lambda gs: f"{gs.object_meta.name}, " + core.state_line(),
        )

    async def WatchGameServer(self, request: sdk_pb2.Empty, context: _Context) -> AsyncIterator[sdk_pb2.GameServer]:
        # grpc.aio needs an async generator function here, not a method returning one.
        watch = self._core.watch(context)
        try:
            async for snapshot in watch:
                yield snapshot
        finally:
            await watch.aclose()

    async def SetLabel(self, request: sdk_pb2.KeyValue, context: _Context) -> sdk_pb2.Empty:
        core = self._core
        await core.unary(
            context,
            "setlabel",
            "SetLabel",
            f"key={_q(request.key)}, value={_q(request.value)}",
            lambda: core.rules.set_label(request.key, request.value),
            lambda _: "ok",
        )
        return sdk_pb2.Empty()

    async def SetAnnotation(self, request: sdk_pb2.KeyValue, context: _Context) -> sdk_pb2.Empty:
        core = self._core
        await core.unary(
            context,
            "setannotation",
            "SetAnnotation",
            f"key={_q(request.key)}, value={_q(request.value)}",
            lambda: core.rules.set_annotation(request.key, request.value),
            lambda _: "ok",
        )
        return sdk_pb2.Empty()


class AlphaServicer(alpha_pb2_grpc.SDKServicer):
    """`agones.dev.sdk.alpha.SDK`: player tracking."""

    def __init__(self, core: SidecarCore) -> None:
        self._core = core

    async def _bool(
        self, context: _Context, call: str, method: str, pid: str, run: Callable[[], bool]
    ) -> alpha_pb2.Bool:
        result = await self._core.unary(context, call, method, f"playerID={_q(pid)}", run, str)
        return alpha_pb2.Bool(bool=result)

    async def PlayerConnect(self, request: alpha_pb2.PlayerID, context: _Context) -> alpha_pb2.Bool:
        rules = self._core.rules
        pid = request.playerID
        return await self._bool(context, "playerconnect", "PlayerConnect", pid, lambda: rules.player_connect(pid))

    async def PlayerDisconnect(self, request: alpha_pb2.PlayerID, context: _Context) -> alpha_pb2.Bool:
        rules = self._core.rules
        pid = request.playerID
        return await self._bool(
            context, "playerdisconnect", "PlayerDisconnect", pid, lambda: rules.player_disconnect(pid)
        )

    async def IsPlayerConnected(self, request: alpha_pb2.PlayerID, context: _Context) -> alpha_pb2.Bool:
        rules = self._core.rules
        pid = request.playerID
        return await self._bool(
            context, "isplayerconnected", "IsPlayerConnected", pid, lambda: rules.is_player_connected(pid)
        )

    async def SetPlayerCapacity(self, request: alpha_pb2.Count, context: _Context) -> alpha_pb2.Empty:
        rules = self._core.rules
        await self._core.unary(
            context,
            "setplayercapacity",
            "SetPlayerCapacity",
            f"count={request.count}",
            lambda: rules.set_player_capacity(request.count),
            lambda _: "ok",
        )
        return alpha_pb2.Empty()

    async def GetPlayerCapacity(self, request: alpha_pb2.Empty, context: _Context) -> alpha_pb2.Count:
        rules = self._core.rules
        count = await self._core.unary(
            context, "getplayercapacity", "GetPlayerCapacity", "", rules.player_capacity, str
        )
        return alpha_pb2.Count(count=count)

    async def GetPlayerCount(self, request: alpha_pb2.Empty, context: _Context) -> alpha_pb2.Count:
        rules = self._core.rules
        count = await self._core.unary(context, "getplayercount", "GetPlayerCount", "", rules.player_count, str)
        return alpha_pb2.Count(count=count)

    async def GetConnectedPlayers(self, request: alpha_pb2.Empty, context: _Context) -> alpha_pb2.PlayerIDList:
        rules = self._core.rules
        return await self._core.unary(
            context,
            "getconnectedplayers",
            "GetConnectedPlayers",
            "",
            rules.connected_players,
            lambda ids: str(list(ids.list)),
        )


def _counter_line(counter: beta_pb2.Counter) -> str:
    return f"{counter.name} {counter.count}/{counter.capacity}"


def _list_line(lst: beta_pb2.List) -> str:
    return f"{lst.name} {list(lst.values)} capacity {lst.capacity}"


class BetaServicer(beta_pb2_grpc.SDKServicer):
    """`agones.dev.sdk.beta.SDK`: counters and lists."""

    def __init__(self, core: SidecarCore) -> None:
        self._core = core

    async def GetCounter(self, request: beta_pb2.GetCounterRequest, context: _Context) -> beta_pb2.Counter:
        rules = self._core.rules
        return await self._core.unary(
            context,
            "getcounter",
            "GetCounter",
            f"name={_q(request.name)}",
            lambda: rules.get_counter(request.name),
            _counter_line,
        )

    async def UpdateCounter(self, request: beta_pb2.UpdateCounterRequest, context: _Context) -> beta_pb2.Counter:
        core = self._core
        update = request.counterUpdateRequest
        count = update.count.value if update.HasField("count") else None
        capacity = update.capacity.value if update.HasField("capacity") else None
        args = [f"name={_q(update.name)}"]
        # Agones' conformance test also expects these finer names for a set count / capacity.
        if capacity is not None:
            core.calls.append("setcapacitycounter")
            args.append(f"capacity={capacity}")
        if count is not None:
            core.calls.append("setcountcounter")
            args.append(f"count={count}")
        if update.countDiff:
            args.append(f"countDiff={update.countDiff:+d}")

        def run() -> beta_pb2.Counter:
            if not request.HasField("counterUpdateRequest"):
                raise SidecarError(Code.INVALID_ARGUMENT, "invalid argument. CounterUpdateRequest cannot be nil")
            return core.rules.update_counter(update.name, count=count, capacity=capacity, count_diff=update.countDiff)

        return await core.unary(context, "updatecounter", "UpdateCounter", ", ".join(args), run, _counter_line)

    async def GetList(self, request: beta_pb2.GetListRequest, context: _Context) -> beta_pb2.List:
        rules = self._core.rules
        return await self._core.unary(
            context, "getlist", "GetList", f"name={_q(request.name)}", lambda: rules.get_list(request.name), _list_line
        )

    async def UpdateList(self, request: beta_pb2.UpdateListRequest, context: _Context) -> beta_pb2.List:
        rules = self._core.rules
        lst = request.list
        paths = list(request.update_mask.paths)
        args = f"name={_q(lst.name)}, mask={paths}, capacity={lst.capacity}, values={list(lst.values)}"

        def run() -> beta_pb2.List:
            if not request.HasField("list") or not request.HasField("update_mask"):
                raise SidecarError(Code.INVALID_ARGUMENT, "invalid argument. List and UpdateMask cannot be nil")
            return rules.update_list(lst.name, paths, capacity=lst.capacity, values=lst.values)

        return await self._core.unary(context, "updatelist", "UpdateList", args, run, _list_line)

    async def AddListValue(self, request: beta_pb2.AddListValueRequest, context: _Context) -> beta_pb2.List:
        rules = self._core.rules
        return await self._core.unary(
            context,
            "addlistvalue",
            "AddListValue",
            f"name={_q(request.name)}, value={_q(request.value)}",
            lambda: rules.add_list_value(request.name, request.value),
            _list_line,
        )

    async def RemoveListValue(self, request: beta_pb2.RemoveListValueRequest, context: _Context) -> beta_pb2.List:
        rules = self._core.rules
        return await self._core.unary(
            context,
            "removelistvalue",
            "RemoveListValue",
            f"name={_q(request.name)}, value={_q(request.value)}",
            lambda: rules.remove_list_value(request.name, request.value),
            _list_line,
        )
