"""Every argument check of the SDK, made before anything is sent, so a mistake names itself.

Argument checks: a value of the wrong type is a `TypeError` and one out of range an
`InvalidArgumentError`, both naming the method and the argument, e.g.
`set_label(): key must be a str, not int (123)`.

Label and annotation rules, as a cluster sidecar applies them: the sidecar stores a key
`k` as `agones.dev/sdk-k`; Kubernetes then requires that whole key to be a qualified name
(so `k` is at most 59 characters of `[-A-Za-z0-9_.]`, starting and ending with an
alphanumeric) and a label value to be at most 63 such characters (empty allowed).
Annotation values may be any text. `label_error` / `annotation_error` return a message
naming what is wrong, or None, so the client and the local sidecar share one rule.
"""

from __future__ import annotations

import math
import operator
import re
from datetime import timedelta
from typing import SupportsIndex

from ._constants import SDK_METADATA_PREFIX
from ._errors import InvalidArgumentError
from ._models import State

SDK_PREFIX = SDK_METADATA_PREFIX
INT64_MAX = 2**63 - 1
_NAME_MAX = 63
_KEY_MAX = _NAME_MAX - len("sdk-")
_NAME = re.compile(r"(?:[A-Za-z0-9](?:[-A-Za-z0-9_.]*[A-Za-z0-9])?)?")
_DNS_LABEL = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?")
_DNS_SUBDOMAIN_MAX = 253
_ANNOTATIONS_MAX_BYTES = 256 * 1024


def _wrong_type(method: str, argument: str, expected: str, value: object) -> TypeError:
    return TypeError(f"{method}(): {argument} must be {expected}, not {type(value).__name__} ({value!r})")


def require_str(method: str, argument: str, value: object) -> str:
    """`value` if it is a str; else a TypeError naming `method` and `argument`."""
    if not isinstance(value, str):
        raise _wrong_type(method, argument, "a str", value)
    return value


def as_int(method: str, argument: str, value: object) -> int:
    """`value` as an int; a TypeError naming `method` and `argument` for a non-integer (a float, a str, a bool)."""
    # An int, or anything that is an integer (numpy's too), but never a float or a bool.
    if isinstance(value, bool) or not isinstance(value, SupportsIndex):
        raise _wrong_type(method, argument, "an int", value)
    return operator.index(value)


def require_int(
    method: str, argument: str, value: object, *, minimum: int = 0, maximum: int = INT64_MAX, hint: str = ""
) -> int:
    """`value` as an int in [minimum, maximum]: a TypeError for a non-integer, else InvalidArgumentError."""
    number = as_int(method, argument, value)
    if not minimum <= number <= maximum:
        bounds = f"{minimum} or more" if maximum == INT64_MAX else f"{minimum} to {maximum}"
        raise InvalidArgumentError(f"{method}(): {argument} must be {bounds}, not {number}{hint}")
    return number


def require_seconds(method: str, argument: str, value: object, *, what: str = "") -> float:
    """`value` (a number or a timedelta) as finite seconds, 0 or more; TypeError or InvalidArgumentError if not."""
    if isinstance(value, timedelta):
        seconds = value.total_seconds()
    elif isinstance(value, int | float) and not isinstance(value, bool):
        seconds = float(value)
    else:
        raise _wrong_type(method, argument, "a number of seconds or a datetime.timedelta", value)
    if not (math.isfinite(seconds) and 0 <= seconds <= INT64_MAX):
        bounds = "at most 2**63 - 1 seconds" if seconds > 0 else "0 or more seconds (and finite)"
        raise InvalidArgumentError(f"{method}(): {what or argument} must be {bounds}, not {seconds:g} s")
    return seconds


def _key_error(kind: str, key: str) -> str | None:
    if not key:
        return f"invalid {kind} key: it is empty"
    if len(key) > _KEY_MAX:
        return (
            f"invalid {kind} key {key!r}: {len(key)} characters; at most {_KEY_MAX}, "
            f"because it is stored as {SDK_PREFIX}<key> (a name of at most {_NAME_MAX})"
        )
    if not _NAME.fullmatch(key):
        return (
            f"invalid {kind} key {key!r}: use letters, digits, '-', '_' and '.', "
            "starting and ending with a letter or digit"
        )
    return None


def label_error(key: str, value: str) -> str | None:
    """Why a cluster would refuse label `key` = `value`, or None if it would accept it."""
    if (error := _key_error("label", key)) is not None:
        return error
    if len(value) > _NAME_MAX:
        return f"invalid label value {value!r}: {len(value)} characters; at most {_NAME_MAX}"
    if not _NAME.fullmatch(value):
        return (
            f"invalid label value {value!r}: use letters, digits, '-', '_' and '.', "
            "starting and ending with a letter or digit (or leave it empty)"
        )
    return None


def annotation_error(key: str, value: str) -> str | None:
    """Why a cluster would refuse annotation `key` = `value`, or None if it would accept it."""
    if (error := _key_error("annotation", key)) is not None:
        return error
    if len(value.encode()) > _ANNOTATIONS_MAX_BYTES:
        return f"invalid annotation value: {len(value.encode())} bytes; all annotations together hold 256 KiB"
    return None


def _is_name(text: str) -> bool:
    """Whether `text` is a Kubernetes name part: 1-63 of `[-A-Za-z0-9_.]`, alphanumeric at both ends."""
    return 0 < len(text) <= _NAME_MAX and _NAME.fullmatch(text) is not None


def qualified_name_error(key: str) -> str | None:
    """Why Kubernetes refuses `key` as a label or annotation key (`[prefix/]name`), or None."""
    prefix, slash, name = key.rpartition("/")
    if slash and (
        not prefix
        or len(prefix) > _DNS_SUBDOMAIN_MAX
        or not all(_DNS_LABEL.fullmatch(part) for part in prefix.split("."))
    ):
        return f"key {key!r}: the prefix must be a DNS subdomain (lower case, e.g. example.com/{name})"
    if not _is_name(name):
        return (
            f"key {key!r}: the name must be 1-{_NAME_MAX} letters, digits, '-', '_' or '.', "
            "starting and ending with a letter or digit"
        )
    return None


def label_value_error(value: str) -> str | None:
    """Why Kubernetes refuses `value` as a label value (the whole value, as a cluster stores it), or None."""
    if value and not _is_name(value):
        return (
            f"value {value!r}: at most {_NAME_MAX} letters, digits, '-', '_' or '.', "
            "starting and ending with a letter or digit (or empty)"
        )
    return None


def require_positive_seconds(what: str, value: object, *, none_ok: bool = False) -> float:
    """`value` (a number or a timedelta) as seconds, refused with one message unless positive and finite."""
    allowed = "a positive number of seconds" + (" or None" if none_ok else "")
    seconds = value.total_seconds() if isinstance(value, timedelta) else value
    if not isinstance(seconds, int | float) or isinstance(seconds, bool):
        raise TypeError(f"{what} must be {allowed}, not {type(value).__name__} ({value!r})")
    if not (math.isfinite(seconds) and 0 < seconds <= INT64_MAX):
        raise InvalidArgumentError(f"{what} must be {allowed}, not {value!r}")
    return float(seconds)


def require_state(method: str, name: object) -> State:
    """The `State` named `name` (its value, "Allocated", or its member name, "ALLOCATED")."""
    name = require_str(method, "state", name)
    for state in State:
        if name in (state.value, state.name):
            return state
    known = ", ".join(state.value for state in State)
    raise InvalidArgumentError(f"{method}(): {name!r} is not a GameServer state; one of: {known}")


def qualified_key_error(kind: str, key: str) -> str | None:
    """Why Kubernetes would refuse `key` as a whole `kind` key (e.g. `agones.dev/fleet`), or None."""
    error = qualified_name_error(key)
    return None if error is None else f"invalid {kind} {error}"


def qualified_label_error(key: str, value: str) -> str | None:
    """Why Kubernetes would refuse label `key` = `value` (the key taken whole, no sdk- prefix), or None."""
    if (error := qualified_key_error("label", key)) is not None:
        return error
    error = label_value_error(value)
    return None if error is None else f"invalid label {error} for {key!r}"


def namespace_error(namespace: object) -> str | None:
    """Why `namespace` is not a Kubernetes namespace name (a DNS label, e.g. `default`), or None."""
    if not isinstance(namespace, str) or len(namespace) > _NAME_MAX or not _DNS_LABEL.fullmatch(namespace):
        return f"namespace must be a Kubernetes namespace name (lower-case letters, digits, '-'), not {namespace!r}"
    return None
