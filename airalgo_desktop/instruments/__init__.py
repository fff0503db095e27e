"""The instrument universe: broker-master importers, the catalog and its one search, the bundled demo universe."""

from __future__ import annotations

from datetime import date

from .catalog import Catalog, search

__all__ = ["Catalog", "bundled_universe", "search"]


def bundled_universe(today: date) -> Catalog:
    """The demo universe of ``today`` (the only place the app gets it from): the sample CSV's cash rows with their
    real tokens, index rows, and futures and options generated for that day, none expired (``instruments.demo``)."""
    from .demo import demo_universe

    return Catalog(demo_universe(today))
