"""Certificates made per test, and the fake allocator behind a real gRPC socket."""

from __future__ import annotations

from pathlib import Path

import pytest

from ._fake import Certificates, FakeAllocator


@pytest.fixture
def certs(tmp_path: Path) -> Certificates:
    return Certificates.make(tmp_path)


@pytest.fixture
def allocator() -> FakeAllocator:
    return FakeAllocator()
