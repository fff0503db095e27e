"""Fixtures of the desk's tests."""

from __future__ import annotations

import pytest

from airalgo_desktop.store.journal import Journal


@pytest.fixture
def journal(tmp_path):  # type: ignore[no-untyped-def]
    j = Journal.open(tmp_path / "data")
    yield j
    j.close()
