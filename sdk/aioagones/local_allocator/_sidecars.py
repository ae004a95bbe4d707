"""The local sidecars, driven over their HTTP `/local` surface (see `aioagones.local._http`).

`GET /local/gameserver` reads a GameServer; `POST /local/allocate` applies an allocation's metadata,
counter and list actions and makes it Allocated. A sidecar that does not answer is skipped, with
one log line when it goes away and one when it is back.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from typing import Any

import aiohttp
import grpc

from aioagones._constants import format_host_port
from aioagones._pb import allocation_pb2 as pb
from aioagones.local_allocator._select import AllocationError, LocalGameServer

__all__ = ["SidecarGone", "Sidecars", "parse_sidecar"]

logger = logging.getLogger(__name__)

REQUEST_TIMEOUT_SECONDS = 5.0
_FAILED_PRECONDITION = 9
_INVALID_ARGUMENT = 3


class SidecarGone(Exception):
    """The sidecar did not answer, or its GameServer can no longer be allocated."""


def parse_sidecar(text: str) -> tuple[str, int]:
    """`HOST:PORT` (`[::1]:9358` for an IPv6 address) as (host, port).

    Raises:
        ValueError: naming what is wrong.
    """
    host, sep, port_text = text.rpartition(":")
    host = host.removeprefix("[").removesuffix("]")
    if not sep or not host or not port_text.isdigit() or not 0 < int(port_text) <= 65535:
        raise ValueError(f"{text!r} is not HOST:HTTP_PORT (e.g. localhost:9358 or [::1]:9358)")
    return host, int(port_text)


def _url(sidecar: str, path: str) -> str:
    host, port = parse_sidecar(sidecar)
    return f"http://{format_host_port(host, port)}{path}"


def _spec(request: pb.AllocationRequest) -> dict[str, Any]:
    # `metadata` wins over the deprecated `metaPatch`, as in Agones' converter.
    meta = request.metadata if request.HasField("metadata") else request.metaPatch
    counters: dict[str, Any] = {}
    for name, action in request.counters.items():
        counters[name] = {
            key: getattr(action, key).value for key in ("action", "amount", "capacity") if action.HasField(key)
        }
    lists: dict[str, Any] = {}
    for name, list_action in request.lists.items():
        lists[name] = {"addValues": list(list_action.addValues), "deleteValues": list(list_action.deleteValues)}
        if list_action.HasField("capacity"):
            lists[name]["capacity"] = list_action.capacity.value
    return {
        "metadata": {"labels": dict(meta.labels), "annotations": dict(meta.annotations)},
        "counters": counters,
        "lists": lists,
    }


class Sidecars:
    """An HTTP client for a fixed set of local sidecars (`HOST:HTTP_PORT` each)."""

    def __init__(self, sidecars: Sequence[str]) -> None:
        for sidecar in sidecars:
            parse_sidecar(sidecar)
        self.addresses = tuple(dict.fromkeys(sidecars))
        self._session: aiohttp.ClientSession | None = None
        self._down: set[str] = set()

    def _client(self) -> aiohttp.ClientSession:
        if self._session is None:
            self._session = aiohttp.ClientSession(
                timeout=aiohttp.ClientTimeout(total=REQUEST_TIMEOUT_SECONDS), raise_for_status=False
            )
        return self._session

    async def close(self) -> None:
        """Close the HTTP connections."""
        session, self._session = self._session, None
        if session is not None:
            await session.close()

    async def _call(self, sidecar: str, method: str, path: str, body: object = None) -> Any:
        try:
            async with self._client().request(method, _url(sidecar, path), json=body) as reply:
                data = await reply.json(content_type=None)
                status = reply.status
        except (aiohttp.ClientError, TimeoutError, ValueError) as exc:
            if sidecar not in self._down:
                self._down.add(sidecar)
                logger.warning("sidecar %s: skipped, it does not answer (%s)", sidecar, str(exc) or type(exc).__name__)
            raise SidecarGone(sidecar) from None
        if sidecar in self._down:
            self._down.discard(sidecar)
            logger.info("sidecar %s: answering again", sidecar)
        if status != 200:
            code = data.get("code") if isinstance(data, dict) else None
            message = data.get("message") if isinstance(data, dict) else None
            if code == _INVALID_ARGUMENT:
                raise AllocationError(grpc.StatusCode.INVALID_ARGUMENT, f"sidecar {sidecar}: {message}")
            if code != _FAILED_PRECONDITION:
                logger.warning("sidecar %s: %s %s answered HTTP %d: %s", sidecar, method, path, status, message)
            raise SidecarGone(sidecar)
        return data

    async def read(self, sidecar: str) -> LocalGameServer:
        """The sidecar's GameServer now.

        Raises:
            SidecarGone: the sidecar did not answer with a GameServer.
        """
        data = await self._call(sidecar, "GET", "/local/gameserver")
        try:
            return LocalGameServer.from_json(data, sidecar, parse_sidecar(sidecar)[0])
        except ValueError as exc:
            logger.warning("sidecar %s: skipped, /local/gameserver answered %s", sidecar, exc)
            raise SidecarGone(sidecar) from None

    async def read_all(self, exclude: set[str] | frozenset[str] = frozenset()) -> list[LocalGameServer]:
        """Every answering sidecar's GameServer, in the order the sidecars were given."""
        wanted = [s for s in self.addresses if s not in exclude]
        results = await asyncio.gather(*(self.read(s) for s in wanted), return_exceptions=True)
        found: list[LocalGameServer] = []
        for result in results:
            if isinstance(result, LocalGameServer):
                found.append(result)
            elif not isinstance(result, SidecarGone):
                raise result
        return found

    async def allocate(self, sidecar: str, request: pb.AllocationRequest) -> LocalGameServer:
        """Apply `request`'s metadata and actions on `sidecar`; returns its GameServer afterwards.

        Raises:
            SidecarGone: the sidecar did not answer, or its GameServer is no longer Ready or Allocated.
            AllocationError: INVALID_ARGUMENT when the sidecar refuses the metadata or actions.
        """
        reply = await self._call(sidecar, "POST", "/local/allocate", _spec(request))
        for warning in reply.get("warnings") or () if isinstance(reply, dict) else ():
            logger.warning("sidecar %s: %s", sidecar, warning)
        return await self.read(sidecar)
