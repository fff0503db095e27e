"""The stored instrument master: what the catalog's builder writes is what the store insists on reading back."""

from __future__ import annotations

from pathlib import Path

import pytest

from airalgo_desktop.domain.instruments import Instrument
from airalgo_desktop.instruments.catalog import Builder
from airalgo_desktop.store import instruments as store


def test_the_store_checks_exactly_the_columns_the_builder_writes(tmp_path: Path) -> None:
    builder = Builder()
    builder.add_instrument(Instrument("2885", "RELIANCE", "Reliance Industries"))
    arrays = builder.arrays()
    assert set(arrays) == set(store.ARRAY_NAMES)
    store.save(tmp_path, arrays, {"source": "test"})
    loaded = store.load(tmp_path)
    assert loaded is not None and set(loaded[0]) == set(store.ARRAY_NAMES) and loaded[1]["source"] == "test"


def test_a_master_missing_a_column_is_refused_as_another_version(tmp_path: Path) -> None:
    builder = Builder()
    builder.add_instrument(Instrument("22", "ACC"))
    arrays = builder.arrays()
    del arrays["tok_rows"]
    store.save(tmp_path, arrays, {})
    with pytest.raises(store.StoreError, match="another version"):
        store.load(tmp_path)
