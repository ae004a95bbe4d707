"""The secrets `sample-game-server` is given: the admin token and the join-ticket secret, read and checked."""

from __future__ import annotations

from aioagones.tickets import SecretError, read_secret

from ._flagtypes import fail


def join_secret(path: str | None) -> bytes | None:
    """The shared secret of join tickets, read from `path`; None without one."""
    if path is None:
        return None
    try:
        return read_secret(path)
    except SecretError as exc:
        fail(f"--join-secret-file: {exc}")


def admin_token(token: str | None, token_file: str | None) -> str | None:
    """The admin token, surrounding white space stripped (a Secret file ends in a newline); None: none."""
    if token_file is not None:
        if token is not None:
            fail("set --admin-token or --admin-token-file, not both")
        try:
            with open(token_file, encoding="utf-8") as f:
                token = f.read()
        except (OSError, UnicodeDecodeError) as exc:
            fail(f"--admin-token-file: cannot read {token_file!r}: {exc}")
    if token is None:
        return None
    token = token.strip()
    if any(c.isspace() for c in token):
        fail("--admin-token: the token contains white space, so no datagram could carry it; pick one without")
    if token and len(token) < min_token_length(token):
        fail(
            f"--admin-token: {len(token)} characters is too short to hold 128 random bits; use at least "
            f"{MIN_HEX_TOKEN} hex or {MIN_TOKEN} base64 characters (openssl rand -hex 16)"
        )
    return token or None


MIN_HEX_TOKEN = 32
"""Shortest admin token of hex digits only: 32 hex digits are 128 bits."""

MIN_TOKEN = 22
"""Shortest admin token of any other alphabet: 22 base64 characters are 132 bits (`token_urlsafe(16)`)."""

_HEX = frozenset("0123456789abcdefABCDEF")


def min_token_length(token: str) -> int:
    """How long `token` must be to hold 128 random bits, judged by its alphabet (hex or not)."""
    return MIN_HEX_TOKEN if set(token) <= _HEX else MIN_TOKEN
