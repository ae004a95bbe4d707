"""What keeps web pages off the sidecar's HTTP port: checks on a request's headers, before any route.

A page in a browser can send requests to `localhost` as well as any program, so the HTTP port
refuses what only a browser sends:

- a body that is not `Content-Type: application/json` (415): a page may POST `text/plain`, a form
  or nothing in particular without the browser asking the server first (no CORS preflight),
  but not JSON; Agones' SDKs and `curl -H 'Content-Type: application/json'` send JSON. A request
  without a body may carry any type (or none), as the SDKs' GETs do.
- an `Origin` header from a page that is not on this host (403): browsers send it with every POST
  from a page; programs send none.
- a `Host` header that does not name this sidecar (403): an IP address, `localhost` (or
  `*.localhost`) or the name it is bound to. DNS rebinding points an attacker's name at
  127.0.0.1 so the page's own origin reaches the sidecar; its requests still say that name.

Pure: headers in, a refusal (gRPC code name, HTTP status, message) or None out.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping

__all__ = ["host_name", "is_loopback", "refusal"]


def host_name(authority: str) -> str:
    """The host of `host[:port]` or `[v6]:port`, lower case, without brackets or a trailing dot."""
    authority = authority.strip().lower()
    if authority.startswith("["):
        return authority[1:].partition("]")[0]
    if authority.count(":") == 1:
        authority = authority.partition(":")[0]
    return authority.rstrip(".")


def _ip(name: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(name.partition("%")[0])
    except ValueError:
        return None


def is_loopback(name: str) -> bool:
    """Whether a host name or address stays on this machine: `localhost`, `*.localhost`, 127/8, `::1`."""
    if name == "localhost" or name.endswith(".localhost"):
        return True
    ip = _ip(name)
    return ip is not None and ip.is_loopback


def refusal(
    headers: Mapping[str, str], bound: str, *, has_body: bool, content_type: str
) -> tuple[str, int, str] | None:
    """Why to refuse a request, as (gRPC code name, HTTP status, message); None: serve it.

    Args:
        headers: the request's headers (case-insensitive mapping).
        bound: the host the sidecar listens on, as `host_name` gives it.
        has_body: whether the request carries a body.
        content_type: its media type, without parameters.
    """
    host = headers.get("Host")
    if host is not None:
        name = host_name(host)
        if not (_ip(name) is not None or is_loopback(name) or name == bound):
            return (
                "PERMISSION_DENIED",
                403,
                f"Host {host!r} does not name this sidecar: use its IP address or localhost",
            )
    origin = headers.get("Origin")
    if origin is not None:
        name = host_name(origin.partition("://")[2].partition("/")[0])
        if not (is_loopback(name) or (name != "" and name == bound)):
            return "PERMISSION_DENIED", 403, f"requests from web pages are refused (Origin {origin!r})"
    if has_body and content_type != "application/json":
        message = f"the body must be JSON, sent with Content-Type: application/json (not {content_type!r})"
        return "INVALID_ARGUMENT", 415, message
    return None
