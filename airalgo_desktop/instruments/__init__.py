"""The instrument universe: broker-master importers, the catalog and its one search, the bundled demo universe."""

from __future__ import annotations

from datetime import date

from .catalog import Catalog, search

__all__ = ["Catalog", "bundled_universe", "search"]


def bundled_universe(today: date) -> Catalog:
    """The demo universe (the only place the app gets it from). For now the bundled sample CSV; ``today`` is
    for the generated demo universe with live expiries that replaces it."""
    from ..domain.instruments import load_sample

    del today  # the sample's contracts are fixed (FEB 2025); the generated universe will use it
    return Catalog(load_sample())
