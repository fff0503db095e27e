"""Painting the watchlist: a bounded cache of laid-out texts, a delegate that paints cells straight from the
model's cached strings, and a view whose fast path repaints only the cells a refresh changed, in one Python call
per frame. The painter reads the model through its public accessors (``cell_texts``, ``directions``,
``flash_color``, ``ensure_fresh``, ``frame``).
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from itertools import islice
from math import ceil

from PySide6.QtCore import QRect, Qt
from PySide6.QtGui import QColor, QFont, QFontMetrics, QPainter, QRegion, QStaticText, QTransform
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QTableView,
    QWidget,
)

from ..domain.labels import LabelParts, fit_label
from . import theme
from .watchlist_model import (
    CHANGE,
    COLUMN_COUNT,
    COLUMNS,
    LEFT,
    LTP,
    LTQ,
    LTT,
    PCT,
    RIGHT,
    SYMBOL,
    TOKEN_ROLE,
    WatchlistModel,
    cell_color,
)

_STATE_SELECTED = QStyle.StateFlag.State_Selected
_ALTERNATE = QStyleOptionViewItem.ViewItemFeature.Alternate


def contiguous_ranges(rows: Iterable[int]) -> list[tuple[int, int]]:
    """``{1, 2, 3, 7, 9, 10}`` → ``[(1, 3), (7, 7), (9, 10)]``."""
    ranges: list[tuple[int, int]] = []
    for row in sorted(rows):
        if ranges and row == ranges[-1][1] + 1:
            ranges[-1] = (ranges[-1][0], row)
        else:
            ranges.append((row, row))
    return ranges


class TextCache:
    """Laid-out text per distinct string (``QStaticText`` plus its size). Prices, quantities and times repeat, so a
    ticking cell is drawn without laying its text out again: about 2.4 µs a cell instead of 5.2 µs for
    ``drawText`` on the benchmark machine (a miss costs about 12.6 µs). Bounded: about 1.4 KB an entry, so 4,096
    entries ≈ 6 MB; when full, the older half goes; everything goes when the font changes."""

    def __init__(self, limit: int = 4096) -> None:
        self.limit = limit
        self._items: dict[str, tuple[QStaticText, int, int]] = {}
        self._font: QFont | None = None

    def use_font(self, font: QFont) -> None:
        """Forget everything laid out in another font."""
        if font != self._font:
            self._font = QFont(font)
            self._items.clear()

    def get(self, text: str) -> tuple[QStaticText, int, int]:
        """(static text, width, height) of ``text`` in the current font."""
        item = self._items.get(text)
        if item is None:
            if len(self._items) >= self.limit:  # forget the older half (insertion order): recent prices stay
                for old in list(islice(self._items, self.limit // 2)):
                    del self._items[old]
            static = QStaticText(text)
            static.setTextFormat(Qt.TextFormat.PlainText)
            static.prepare(QTransform(), self._font or QFont())
            size = static.size()
            item = self._items[text] = (static, ceil(size.width()), ceil(size.height()))
        return item


# The widest text each number column shows (Indian grouping, arrows, signs), and the F&O name a symbol column should
# hold whole at the default layout: the columns are sized from these in the view's font, not in pixels.
WIDEST = {LTP: "▲ 1,00,000.00", CHANGE: "+10,000.00", PCT: "+1000.00%", LTQ: "1,00,000", LTT: "00:00:00"}
SYMBOL_SAMPLE = "BANKNIFTY 26 NOV 49500 PE"  # a long label (its segment badge shows where there is room)
SYMBOL_CORE_SAMPLE = "29 NOV 49500 PE"  # what a symbol cell never gives up (the name and the year go first)
PADDING = 8  # 4 px each side, as draw_cell_text leaves


def column_widths(metrics: QFontMetrics) -> dict[int, int]:
    """Width of each number column for ``metrics``: its widest text (or header) and the padding."""
    return {col: max(metrics.horizontalAdvance(text), metrics.horizontalAdvance(COLUMNS[col])) + PADDING + 4
            for col, text in WIDEST.items()}


def elided_symbol(metrics: QFontMetrics, text: str, room: int) -> str:
    """A symbol that does not fit, elided in the middle: ``NIFTY 27 FEB 2025 23500 CE`` → ``NIFTY 2…23500 CE``
    keeps the underlying and the strike/type at the end (the full name is in the row's tooltip)."""
    return metrics.elidedText(text, Qt.TextElideMode.ElideMiddle, room)


BADGE_GAP = 6  # px between a label and its segment badge


class SymbolFitter:
    """The symbol cell's contract label fitted to its width (:func:`~airalgo_desktop.domain.labels.fit_label`: the
    name shortened first, then the year, never strike, CE/PE or expiry day) and the segment badge when there is
    room beside the whole label. Cached per (label, width) and cleared when the font changes: the fit measures
    text, the painting of a tick does not come here (it paints only the number columns)."""

    def __init__(self, limit: int = 2048) -> None:
        self.limit = limit
        self._items: dict[tuple[LabelParts, str, int], tuple[str, str]] = {}
        self._font: QFont | None = None
        self.metrics = QFontMetrics(QFont())
        self.badge_font = QFont()
        self.badge_metrics = QFontMetrics(self.badge_font)

    def use_font(self, font: QFont) -> None:
        """Measure in ``font`` (the badge in a smaller one)."""
        if font != self._font:
            self._font = QFont(font)
            self._items.clear()
            self.metrics = QFontMetrics(font)
            self.badge_font = QFont(font)
            self.badge_font.setPointSizeF(max(6.0, font.pointSizeF() * 0.8))
            self.badge_metrics = QFontMetrics(self.badge_font)

    def fit(self, parts: LabelParts, segment: str, width: int) -> tuple[str, str]:
        """(label, badge) for a cell ``width`` px wide; the badge is "" when the whole label and it do not both
        fit (the contract comes first; the tooltip names the segment)."""
        key = (parts, segment, width)
        item = self._items.get(key)
        if item is None:
            if len(self._items) >= self.limit:
                self._items.clear()
            room = width - PADDING
            full = parts.text()
            badge_width = self.badge_metrics.horizontalAdvance(segment) + BADGE_GAP
            if self.metrics.horizontalAdvance(full) + badge_width <= room:
                item = (full, segment)
            else:
                item = (fit_label(parts, room, self.metrics.horizontalAdvance), "")
            self._items[key] = item
        return item


def draw_cell_text(painter: QPainter, cache: TextCache, x: int, y: int, w: int, h: int, col: int, text: str) -> None:
    """Draw one cell's text, left-aligned for the symbol and right-aligned for numbers, 4 px in from each side.
    A symbol wider than the cell is elided in the middle; a number that does not fit shows its ellipsis rather
    than silently losing digits (the layout sizes number columns so that does not happen)."""
    if not text:
        return
    static, width, height = cache.get(text)
    room = w - PADDING
    if width > room:
        metrics = painter.fontMetrics()
        if col == SYMBOL:
            painter.drawText(x + 4, y, room, h, LEFT, elided_symbol(metrics, text, room))
        else:
            painter.drawText(x + 4, y, room, h, RIGHT, metrics.elidedText(text, Qt.TextElideMode.ElideRight, room))
        return
    painter.drawStaticText(x + 4 if col == SYMBOL else x + 4 + room - width, y + (h - height) // 2, static)


class CachedRowDelegate(QStyledItemDelegate):
    """Paints watchlist cells straight from the model's cached strings: one Python call per painted cell instead
    of ``data()`` for every role Qt's default delegate asks (about seven per cell)."""

    def __init__(self, model: WatchlistModel, cache: TextCache, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model = model
        self.cache = cache
        self.symbols = SymbolFitter()

    def symbol_texts(self, row: int, width: int, font: QFont) -> tuple[str, str] | None:
        """(label, badge) the symbol cell of ``row`` shows at ``width`` px, or None for a row painted as its text
        (marked, or not in the master)."""
        info = self.model.symbol_parts(row)
        if info is None:
            return None
        self.symbols.use_font(font)
        return self.symbols.fit(info[0], info[1], width)

    def paint(self, painter, option, index) -> None:  # type: ignore[no-untyped-def]
        model, row, col, rect = self.model, index.row(), index.column(), option.rect
        model.ensure_fresh(row)
        palette = option.palette
        selected = bool(option.state & _STATE_SELECTED)
        if selected:
            painter.fillRect(rect, palette.highlight())
        else:
            painter.fillRect(rect, palette.alternateBase() if option.features & _ALTERNATE else palette.base())
            if col == LTP and (flash := model.flash_color(row, time.monotonic())) is not None:
                painter.fillRect(rect, flash)
        text = model.cell_texts[row][col]
        color = palette.highlightedText().color() if selected else cell_color(col, model.directions[row], text)
        painter.setPen(color if color is not None else palette.text().color())
        self.cache.use_font(option.font)
        painter.setFont(option.font)
        fitted = self.symbol_texts(row, rect.width(), option.font) if col == SYMBOL else None
        if fitted is None:
            draw_cell_text(painter, self.cache, rect.x(), rect.y(), rect.width(), rect.height(), col, text)
            return
        label, badge = fitted
        painter.drawText(rect.x() + 4, rect.y(), rect.width() - PADDING, rect.height(), LEFT, label)
        if badge:  # small and muted at the cell's right end: a badge, not part of the name
            if not selected:
                painter.setPen(theme.MUTED)
            painter.setFont(self.symbols.badge_font)
            painter.drawText(rect.x() + 4, rect.y(), rect.width() - PADDING, rect.height(), RIGHT, badge)


class WatchlistView(QTableView):
    """A compact, keyboard-friendly table for one watchlist."""

    def __init__(self, model: WatchlistModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setModel(model)
        self.text_cache = TextCache()
        self.setItemDelegate(CachedRowDelegate(model, self.text_cache, self))
        self._tick_region = QRegion()
        self._tick_rows: dict[int, bool] = {}  # row → every tick column (True) or only the LTP cell (False)
        self.setObjectName(f"watchlist_view_{model.name}")
        self.setAccessibleName(f"Watchlist {model.name}")
        self.setAccessibleDescription("Changes carry a sign and an arrow besides their colour")
        self.horizontalHeader().setAccessibleName("Watchlist columns")
        self.reveal_current = False  # scroll the current row into view at the first resize (a restored selection)
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.setAlternatingRowColors(True)
        self.setShowGrid(False)
        self.setWordWrap(False)
        self.setTabKeyNavigation(False)  # arrows move inside; Tab / Shift+Tab go on to the next pane
        self.setSortingEnabled(False)  # row order is the trader's; never re-sort per tick
        self.setDragEnabled(True)
        self.setAcceptDrops(True)
        self.setDropIndicatorShown(True)
        self.setDragDropMode(QAbstractItemView.DragDropMode.InternalMove)
        self.setDefaultDropAction(Qt.DropAction.MoveAction)
        self.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.verticalHeader().setVisible(False)
        self.verticalHeader().setDefaultSectionSize(22)
        self.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)  # uniform rows: y = top + n·h
        header = self.horizontalHeader()
        header.setSectionResizeMode(SYMBOL, QHeaderView.ResizeMode.Stretch)
        for col, width in column_widths(self.fontMetrics()).items():
            header.setSectionResizeMode(col, QHeaderView.ResizeMode.Interactive)
            header.resizeSection(col, width)
        header.setHighlightSections(False)
        self.verticalScrollBar().valueChanged.connect(self._report_visible)
        model.rowsInserted.connect(self._report_visible)
        model.rowsRemoved.connect(self._report_visible)
        model.rowsMoved.connect(self._report_visible)

    def dataChanged(self, top_left, bottom_right, roles=()) -> None:  # type: ignore[no-untyped-def]
        """Repaint exactly the cells a refresh changed (the model's :attr:`~WatchlistModel.frame`). Qt's own
        handler would repaint the whole span of the signal and the rows around it."""
        frame = self.watchlist().frame
        if frame is None or not self.isVisible():
            super().dataChanged(top_left, bottom_right, roles)
            return
        height = self.viewport().height()
        row_height = self.rowHeight(0)
        tick_rows = self._tick_rows
        for rows, full in ((frame.changed, True), (frame.faded, False)):
            if not rows:
                continue
            left = self.columnViewportPosition(LTP)
            right = self.columnViewportPosition(LTT) + self.columnWidth(LTT) if full else \
                left + self.columnWidth(LTP)
            for start, end in contiguous_ranges(rows):
                top = self.rowViewportPosition(start)
                bottom = top + (end - start + 1) * row_height
                if bottom < 0 or top > height:
                    continue  # off screen
                self._tick_region += QRect(left, top, right - left, bottom - top)
                for row in range(start, end + 1):
                    tick_rows[row] = full or tick_rows.get(row, False)
        self.viewport().update(self._tick_region)

    def paintEvent(self, event) -> None:  # type: ignore[no-untyped-def]
        """Fast path: a repaint made only of tick updates is painted here, straight from the cache, with one
        Python call per frame. Anything else (scrolling, selection, drag, focus) goes through Qt."""
        region = event.region()
        ticks, self._tick_region = self._tick_region, QRegion()
        rows, self._tick_rows = self._tick_rows, {}
        if ticks.isEmpty() or not region.subtracted(ticks).isEmpty() or self.state() != self.State.NoState:
            super().paintEvent(event)
            return
        self._paint_ticks(rows)

    def _paint_ticks(self, rows: dict[int, bool]) -> None:
        """Paint the tick cells of ``rows`` with as few calls into Qt as possible: a background fill per row, the
        flash, then the texts grouped by colour (one pen change per colour) from the laid-out text cache."""
        model = self.watchlist()
        painter = QPainter(self.viewport())
        palette = self.palette()
        base, alternate, highlight = palette.base(), palette.alternateBase(), palette.highlight()
        text_color, highlighted_text = palette.text().color(), palette.highlightedText().color()
        font = self.font()
        cache = self.text_cache
        cache.use_font(font)
        painter.setFont(font)
        columns = [(self.columnViewportPosition(c), self.columnWidth(c)) for c in range(COLUMN_COUNT)]
        x_ltp, w_ltp = columns[LTP]
        x_end = columns[LTT][0] + columns[LTT][1]
        selected = {index.row() for index in self.selectionModel().selectedRows()}
        count = model.rowCount()
        cells, direction, flash_color = model.cell_texts, model.directions, model.flash_color
        now = time.monotonic()
        h = self.rowHeight(0)
        height = self.viewport().height()
        first_row = self.rowAt(0)
        y_first = self.rowViewportPosition(first_row) if first_row >= 0 else 0
        by_color: dict[int, tuple[QColor, list[tuple[int, int, int, str]]]] = {}  # id(colour) → (colour, cells)
        for row, full in rows.items():
            if row >= count:
                continue
            y = y_first + (row - first_row) * h
            if y + h < 0 or y > height:
                continue
            is_selected = row in selected
            background = highlight if is_selected else alternate if row % 2 else base
            painter.fillRect(x_ltp, y, (x_end if full else x_ltp + w_ltp) - x_ltp, h, background)
            if not is_selected and (flash := flash_color(row, now)) is not None:
                painter.fillRect(x_ltp, y, w_ltp, h, flash)
            d = direction[row]
            texts = cells[row]
            for col in range(LTP, LTT + 1 if full else LTP + 1):
                text = texts[col]
                color = highlighted_text if is_selected else cell_color(col, d, text) or text_color
                by_color.setdefault(id(color), (color, []))[1].append((col, y, columns[col][0], text))
        for color, items in by_color.values():
            painter.setPen(color)
            for col, y, x, text in items:
                draw_cell_text(painter, cache, x, y, columns[col][1], h, col, text)
        painter.end()

    def _report_visible(self, *_args: object) -> None:
        model = self.watchlist()
        count = model.rowCount()
        if count == 0:
            return
        height = self.viewport().height()
        first = max(self.rowAt(0), 0)
        last = self.rowAt(height - 1)
        if last < 0:  # below the last row, or not laid out yet: estimate from the row height
            last = min(count - 1, first + height // max(1, self.verticalHeader().defaultSectionSize()) + 1)
        model.set_visible_rows(first, last)

    def symbol_minimum(self) -> int:
        """The narrowest the symbol column gets: an option's day, month, strike and CE/PE whole."""
        return self.fontMetrics().horizontalAdvance(SYMBOL_CORE_SAMPLE) + PADDING + 4

    def _fit_symbol_column(self) -> None:
        # the symbol column stretches into the room the numbers leave; in a narrow dock it keeps its minimum and the
        # numbers scroll sideways instead of the contract's strike and type being squeezed out
        header = self.horizontalHeader()
        others = sum(self.columnWidth(c) for c in range(1, COLUMN_COUNT) if not self.isColumnHidden(c))
        need = self.symbol_minimum()
        stretch = self.viewport().width() - others >= need
        mode = QHeaderView.ResizeMode.Stretch if stretch else QHeaderView.ResizeMode.Interactive
        if header.sectionResizeMode(SYMBOL) != mode:
            header.setSectionResizeMode(SYMBOL, mode)
        if not stretch and self.columnWidth(SYMBOL) != need:
            header.resizeSection(SYMBOL, need)

    def resizeEvent(self, event) -> None:  # type: ignore[no-untyped-def]
        super().resizeEvent(event)
        self._fit_symbol_column()
        if self.reveal_current and self.viewport().height() > 0 and self.currentIndex().isValid():
            self.reveal_current = False  # once: the restored selection is on screen, later scrolling is the trader's
            self.scrollTo(self.currentIndex(), QAbstractItemView.ScrollHint.PositionAtCenter)
        self._report_visible()

    def showEvent(self, event) -> None:  # type: ignore[no-untyped-def]
        super().showEvent(event)
        self._report_visible()

    def preferred_width(self) -> int:
        """Width that shows every column whole: the number columns, a symbol column holding an F&O name such as
        :data:`SYMBOL_SAMPLE`, the scroll bar and the frame (the default and reset layouts size the dock to it)."""
        metrics = self.fontMetrics()
        numbers = sum(column_widths(metrics).values())
        symbol = metrics.horizontalAdvance(SYMBOL_SAMPLE) + PADDING + 4
        return numbers + symbol + self.verticalScrollBar().sizeHint().width() + 2 * self.frameWidth()

    def displayed_symbol(self, row: int) -> str:
        """The symbol cell's text as painted at the column's current width (label and badge): what the trader
        reads, for the screen-fit tests."""
        delegate = self.itemDelegate()
        fitted = delegate.symbol_texts(row, self.columnWidth(SYMBOL), self.font())  # type: ignore[attr-defined]
        if fitted is None:
            text = self.watchlist().cell_texts[row][SYMBOL]
            return elided_symbol(self.fontMetrics(), text, self.columnWidth(SYMBOL) - PADDING)
        return " ".join(t for t in fitted if t)

    def watchlist(self) -> WatchlistModel:
        """The model shown."""
        return self.model()  # type: ignore[return-value]

    def selected_rows(self) -> list[int]:
        """Selected row numbers, ascending."""
        return sorted({i.row() for i in self.selectionModel().selectedRows()})

    def current_token(self) -> str | None:
        """Token of the current row (keyboard focus), else None."""
        index = self.currentIndex()
        return self.model().data(index, TOKEN_ROLE) if index.isValid() else None
