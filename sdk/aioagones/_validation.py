"""What a cluster sidecar accepts as a label or annotation, checked before anything is sent.

The sidecar stores a key `k` as `agones.dev/sdk-k`; Kubernetes then requires that whole
key to be a qualified name (so `k` is at most 59 characters of `[-A-Za-z0-9_.]`, starting
and ending with an alphanumeric) and a label value to be at most 63 such characters
(empty allowed). Annotation values may be any text. The functions return a message
naming what is wrong, or None, so the client and the local sidecar share one rule.
"""

from __future__ import annotations

import re

SDK_PREFIX = "agones.dev/sdk-"
_NAME_MAX = 63
_KEY_MAX = _NAME_MAX - len("sdk-")
_NAME = re.compile(r"(?:[A-Za-z0-9](?:[-A-Za-z0-9_.]*[A-Za-z0-9])?)?")
_ANNOTATIONS_MAX_BYTES = 256 * 1024


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
