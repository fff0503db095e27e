"""Layout presets per screen class (Qt-free): how much of the window the watchlist and the order book take, and
where an option chain opens — beside the chart on a screen with room for it, as a tab over the watchlist on a
compact one (a third column would squeeze everything on 1366 px).

The first start picks the preset for the screen (:func:`preset_for_width`); View → Layout switches it.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

COMPACT_MAX_WIDTH = 1366
"""Widest screen (logical px) still laid out as compact: the 1366×768 laptop and 1920×1080 at 150 % (1280 px)."""
WIDE_MIN_WIDTH = 1920


class ScreenClass(enum.Enum):
    """The three layouts."""

    COMPACT = "compact"
    REGULAR = "regular"
    WIDE = "wide"

    @property
    def label(self) -> str:
        """Menu text."""
        return {ScreenClass.COMPACT: "Compact (≤ 1366 px wide)", ScreenClass.REGULAR: "Regular",
                ScreenClass.WIDE: "Wide (1920 px and more)"}[self]


@dataclass(frozen=True, slots=True)
class LayoutPreset:
    """Proportions of one layout: the watchlist dock's share of the window's width (between ``watch_min`` and
    ``watch_max``), the order book's share of its height, and whether option chains open as a tab over the
    watchlist (else in a column on the right, ``chain_share`` of the width)."""

    screen: ScreenClass
    watch_min: float
    watch_max: float
    book_height: float
    chains_tabbed: bool
    chain_share: float


PRESETS = {
    ScreenClass.COMPACT: LayoutPreset(ScreenClass.COMPACT, 0.34, 0.50, 0.34, True, 0.0),
    ScreenClass.REGULAR: LayoutPreset(ScreenClass.REGULAR, 0.30, 0.50, 0.38, False, 0.36),
    ScreenClass.WIDE: LayoutPreset(ScreenClass.WIDE, 0.25, 0.50, 0.40, False, 0.34),
}


def preset_for_width(width: int) -> LayoutPreset:
    """The preset for a screen ``width`` logical px wide (its available geometry)."""
    if width <= COMPACT_MAX_WIDTH:
        return PRESETS[ScreenClass.COMPACT]
    return PRESETS[ScreenClass.WIDE if width >= WIDE_MIN_WIDTH else ScreenClass.REGULAR]


def preset_named(name: str, width: int) -> LayoutPreset:
    """The preset saved as ``name``, or the one for the screen when none (or junk) is saved."""
    for screen in ScreenClass:
        if screen.value == name:
            return PRESETS[screen]
    return preset_for_width(width)
