"""The HTTP/JSON front end: Agones' REST API (what grpc-gateway serves on 9358) plus `/local/...`.

Every REST route comes from `OPERATIONS`, so it runs the very call the gRPC front end runs, on the
same `SidecarCore`. Bodies are read and replies written as grpc-gateway does (see `_convert`);
errors are `{"code", "message", "details": []}` with grpc-gateway's HTTP status for the gRPC code.
A known path with the wrong method answers 501, an unknown path 404, as the real sidecar does.

`/local/...` (`_control`) is ours (the real sidecar has no such prefix): what only the cluster does.

Before any route, `_guard.refusal` keeps web pages out (JSON bodies only, `Host` and `Origin`
checked): a page in a browser can reach `localhost` too.

aiohttp is the server: asyncio-native, well kept, with streamed (chunked) responses and handler
cancellation when a client goes away, which the watch stream needs. Only this module imports it.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from aiohttp import web
from google.protobuf import json_format
from google.protobuf.message import Message

from aioagones._reading import ReadError, load_json
from aioagones.local._control import CONTROL_ROUTES, BadRequest, ControlRoute
from aioagones.local._convert import from_json, to_json, unknown_fields
from aioagones.local._core import SidecarCore
from aioagones.local._dispatch import dispatch
from aioagones.local._guard import host_name, refusal
from aioagones.local._host import bind_listeners
from aioagones.local._openapi import OPENAPI_PATH, openapi_document
from aioagones.local._operations import OPERATIONS, Operation, Streaming
from aioagones.local._state import SidecarError

__all__ = ["HttpFrontEnd"]

logger = logging.getLogger(__name__)

# gRPC code name -> (code number, HTTP status), as grpc-gateway maps them.
_STATUS = {
    "OK": (0, 200),
    "CANCELLED": (1, 499),
    "UNKNOWN": (2, 500),
    "INVALID_ARGUMENT": (3, 400),
    "DEADLINE_EXCEEDED": (4, 504),
    "NOT_FOUND": (5, 404),
    "ALREADY_EXISTS": (6, 409),
    "PERMISSION_DENIED": (7, 403),
    "RESOURCE_EXHAUSTED": (8, 429),
    "FAILED_PRECONDITION": (9, 400),
    "ABORTED": (10, 409),
    "OUT_OF_RANGE": (11, 400),
    "UNIMPLEMENTED": (12, 501),
    "INTERNAL": (13, 500),
    "UNAVAILABLE": (14, 503),
    "DATA_LOSS": (15, 500),
    "UNAUTHENTICATED": (16, 401),
}

_Handler = Callable[[web.BaseRequest, dict[str, str]], Awaitable[web.StreamResponse]]


def _json(body: object, status: int = 200) -> web.Response:
    return web.Response(
        status=status, text=json.dumps(body, separators=(",", ":"), ensure_ascii=False), content_type="application/json"
    )


def _error(code: str, message: str) -> web.Response:
    number, status = _STATUS[code]
    return _json({"code": number, "message": message, "details": []}, status)


@dataclass(frozen=True)
class _Route:
    method: str
    template: str
    pattern: re.Pattern[str]
    fields: tuple[str, ...]
    handle: _Handler


def _compile(template: str) -> tuple[re.Pattern[str], tuple[str, ...]]:
    fields: list[str] = []
    regex = ""
    for literal, field in re.findall(r"([^{]*)(?:\{([^}]+)\})?", template):
        regex += re.escape(literal)
        if field:
            regex += f"(?P<f{len(fields)}>[^/]+?)"
            fields.append(field)
    return re.compile(regex), tuple(fields)


def parse_body(data: bytes) -> object:
    """A request body as JSON (None when empty), bounded in size and depth by `aioagones._reading`.

    Raises:
        BadRequest: not UTF-8, not JSON, or nested too deeply (grpc-gateway's 400, code 3).
    """
    if not data.strip():
        return None
    try:
        return load_json(data)
    except ReadError as exc:
        raise BadRequest(f"the body is {exc}") from None


def _set_path(msg: Message, path: str, value: str) -> None:
    *parents, last = path.split(".")
    for name in parents:
        msg = getattr(msg, name)
    setattr(msg, last, value)


def _mask_from_body(body: object, message: Message) -> list[str]:
    # grpc-gateway's FieldMaskFromRequestBody: the fields the body names, by proto name.
    if not isinstance(body, dict):
        return []
    fields = message.DESCRIPTOR.fields
    by_name = {f.name: f.name for f in fields} | {f.json_name: f.name for f in fields}
    return [by_name[key] for key in body if key in by_name]


def request_message(
    op: Operation, body: object, params: dict[str, str], mask: str | None = None
) -> tuple[Message, str]:
    """The request message of `op` from a parsed JSON body, path parameters and `update_mask`,
    and a note on the body's keys that name no field (dropped, as grpc-gateway does).

    Raises:
        BadRequest: the body does not fit the message (grpc-gateway's 400, code 3).
    """
    body_type = op.request if op.body in (None, "*") else type(getattr(op.request(), str(op.body)))
    unknown = unknown_fields(body, body_type)
    try:
        if op.body in (None, "*"):
            msg = from_json(body, op.request)
        else:
            msg = op.request()
            getattr(msg, op.body).CopyFrom(from_json(body, type(getattr(msg, op.body))))
            if "update_mask" in op.request.DESCRIPTOR.fields_by_name:
                paths = mask.split(",") if mask else _mask_from_body(body, getattr(msg, op.body))
                with_mask: Any = msg
                with_mask.update_mask.paths.extend(paths)
    except json_format.ParseError as exc:
        raise BadRequest(str(exc)) from None
    for path, value in params.items():
        _set_path(msg, path, value)
    note = ""
    if unknown:
        names = ", ".join(json.dumps(key) for key in unknown)
        known = ", ".join(f.json_name for f in body_type.DESCRIPTOR.fields)
        note = f"the body's {names}: no such field of {body_type.DESCRIPTOR.name}, which has {known}"
        logger.warning("%s: %s (ignored)", op.method, note)
    return msg, note


async def _request_of(op: Operation, request: web.BaseRequest, params: dict[str, str]) -> tuple[Message, str]:
    body = parse_body(await request.read()) if op.body is not None else None
    return request_message(op, body, params, request.query.get("update_mask") or request.query.get("updateMask"))


class HttpFrontEnd:
    """Serves the REST API and `/local/...` over one `SidecarCore` with aiohttp."""

    def __init__(self, core: SidecarCore) -> None:
        self._core = core
        self._routes: list[_Route] = []
        for op in OPERATIONS:
            pattern, fields = _compile(op.http_path)
            self._routes.append(_Route(op.http_method, op.http_path, pattern, fields, self._operation(op)))
        for route in CONTROL_ROUTES:
            pattern = re.compile(re.escape(route.path))
            self._routes.append(_Route(route.method, route.path, pattern, (), self._control(route)))
        self._routes.append(_Route("GET", OPENAPI_PATH, re.compile(re.escape(OPENAPI_PATH)), (), _openapi))
        self._runner: web.ServerRunner | None = None
        self._bound = ""

    @property
    def routes(self) -> list[tuple[str, str]]:
        """Every route served, as (method, path template): what docs/rest.md and the OpenAPI document list."""
        return [(route.method, route.template) for route in self._routes]

    async def start(self, host: str, port: int) -> int:
        """Listen on `host`:`port` (0: a free port, the same on every address of `host`); returns the port.

        Raises:
            OSError: the address cannot be bound.
        """
        self._bound = host_name(host)
        server = web.Server(self._dispatch, handler_cancellation=True, access_log=None)
        runner = web.ServerRunner(server, shutdown_timeout=1.0)
        await runner.setup()
        try:
            sockets = bind_listeners(host, port)
        except OSError:
            await runner.cleanup()
            raise
        for sock in sockets:
            await web.SockSite(runner, sock).start()
        self._runner = runner
        bound: int = sockets[0].getsockname()[1]
        return bound

    async def stop(self) -> None:
        """Stop listening; open requests are cut after a short grace."""
        runner, self._runner = self._runner, None
        if runner is not None:
            await runner.cleanup()

    async def _dispatch(self, request: web.BaseRequest) -> web.StreamResponse:
        refused = refusal(request.headers, self._bound, has_body=request.body_exists, content_type=request.content_type)
        if refused is not None:
            code, status, message = refused
            return _json({"code": _STATUS[code][0], "message": message, "details": []}, status)
        path_matched = False
        for route in self._routes:
            match = route.pattern.fullmatch(request.path)
            if match is None:
                continue
            path_matched = True
            if route.method != request.method:
                continue
            params = {field: match[f"f{i}"] for i, field in enumerate(route.fields)}
            try:
                return await route.handle(request, params)
            except BadRequest as exc:
                return _error("INVALID_ARGUMENT", str(exc))
            except SidecarError as exc:
                return _error(exc.code.name, exc.message)
        if path_matched:
            return _error("UNIMPLEMENTED", "Method Not Allowed")
        return _error("NOT_FOUND", "Not Found")

    def _operation(self, op: Operation) -> _Handler:
        core = self._core

        async def unary(request: web.BaseRequest, params: dict[str, str]) -> web.StreamResponse:
            message, note = await _request_of(op, request, params)
            try:
                return _json(to_json(dispatch(core, op, message, _peer(request))))
            except SidecarError as exc:
                if not note:
                    raise
                # Likely a misspelt field: say so, rather than only what its absence caused.
                raise SidecarError(exc.code, f"{exc.message} ({note})") from None

        async def health(request: web.BaseRequest, params: dict[str, str]) -> web.StreamResponse:
            await _request_of(op, request, params)
            core.connect(_peer(request))
            core.ping()
            return _json({})

        async def watch(request: web.BaseRequest, params: dict[str, str]) -> web.StreamResponse:
            core.connect(_peer(request), acting=False)
            core.record(op.call)
            response = web.StreamResponse(headers={"Content-Type": "application/json"})
            response.enable_chunked_encoding()
            await response.prepare(request)
            peer = request.remote
            logger.info("%s() opened over HTTP by %s (%d watching)", op.method, peer, core.watching + 1)
            changes = core.changes()
            with core.stream():
                try:
                    async for snapshot in changes:
                        line = json.dumps({"result": to_json(snapshot)}, separators=(",", ":"), ensure_ascii=False)
                        await response.write(line.encode() + b"\n")
                finally:
                    await changes.aclose()
                    logger.info("%s() over HTTP closed by %s (%d watching)", op.method, peer, core.watching)
            await response.write_eof()
            return response

        if op.streaming is Streaming.REQUESTS:
            return health
        if op.streaming is Streaming.REPLIES:
            return watch
        return unary

    def _control(self, route: ControlRoute) -> _Handler:
        async def handle(request: web.BaseRequest, params: dict[str, str]) -> web.StreamResponse:
            return _json(route.run(self._core, parse_body(await request.read())))

        return handle


async def _openapi(request: web.BaseRequest, params: dict[str, str]) -> web.StreamResponse:
    return _json(openapi_document())


def _peer(request: web.BaseRequest) -> str | None:
    """The client's connection, `ip:port` (a game process keeps its connection; a new one has a new port)."""
    peername = request.transport.get_extra_info("peername") if request.transport is not None else None
    if not peername:
        return None
    return f"http:{peername[0]}:{peername[1]}"
