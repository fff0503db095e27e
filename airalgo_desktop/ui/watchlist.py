"""Watchlists: a table model with coalesced updates, and the dock that holds several of them as tabs.

Nothing per tick touches a widget: ticks land in the :class:`MarketStore`; about 30 times a second
:meth:`WatchlistModel.refresh` is handed the dirty tokens, rebuilds the cached strings of those rows that are on
screen and emits one ``dataChanged`` for the frame; the view repaints exactly the rows listed in
:attr:`WatchlistModel.frame`, straight from the cache. Rows off screen cost nothing per frame: a row whose quote
changed since it was last built is rebuilt when it is read or scrolled into view.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from itertools import islice
from math import ceil

from PySide6.QtCore import (
    QAbstractTableModel,
    QByteArray,
    QMimeData,
    QModelIndex,
    QPersistentModelIndex,
    QRect,
    QSettings,
    QStringListModel,
    Qt,
    Signal,
)
from PySide6.QtGui import QAction, QColor, QFont, QKeySequence, QPainter, QRegion, QStaticText, QTransform
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCompleter,
    QHeaderView,
    QInputDialog,
    QLineEdit,
    QMenu,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QTableView,
    QTabWidget,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from ..domain.instruments import Instrument, InstrumentMaster
from ..domain.money import format_rupees, percent_change_bp
from ..domain.nsetime import IST, parse_ltt
from ..store.market import MarketStore
from . import theme

COLUMNS = ("Symbol", "LTP (₹)", "Change", "%Change", "LTQ", "LTT")
# ints, not enums: data() runs for every painted cell and role, and PySide enum operations are slow
_DISPLAY = int(Qt.ItemDataRole.DisplayRole.value)
_FOREGROUND = int(Qt.ItemDataRole.ForegroundRole.value)
_BACKGROUND = int(Qt.ItemDataRole.BackgroundRole.value)
_ALIGN = int(Qt.ItemDataRole.TextAlignmentRole.value)
_TOOLTIP = int(Qt.ItemDataRole.ToolTipRole.value)
_LEFT = int((Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter).value)
_RIGHT = int((Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter).value)
_CELL_FLAGS = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemIsDragEnabled
_ROOT_FLAGS = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemIsDropEnabled
_STATE_SELECTED = QStyle.StateFlag.State_Selected
_ALTERNATE = QStyleOptionViewItem.ViewItemFeature.Alternate
SYMBOL, LTP, CHANGE, PCT, LTQ, LTT = range(6)
COLUMN_COUNT = len(COLUMNS)
TOKEN_ROLE = int(Qt.ItemDataRole.UserRole.value) + 1
FLASH_SECONDS = 0.6
MIME = "application/x-airalgo-watchlist-rows"
FIRST_TICK_MARK = "†"

# NIFTY 50 constituents (sample master) + NIFTY FEB 2025 FUT: the first-run watchlist
DEFAULT_TOKENS = (
    "2885", "1333", "4963", "1594", "11536", "3045", "10604", "1660", "11483", "5900", "1922", "1394", "317",
    "236", "10999", "3506", "3351", "11532", "17963", "3787", "7229", "13538", "14977", "11630", "2475", "20374",
    "3499", "3456", "11723", "1363", "1232", "25", "15083", "16675", "16669", "1348", "910", "2031", "881", "694",
    "157", "547", "3432", "5258", "21808", "467", "526", "4306", "1964", "383", "35013",
)


@dataclass(frozen=True, slots=True)
class Frame:
    """What one refresh changed, for the view's exact repaint: ``changed`` rows (every tick column) and ``faded``
    rows (only the LTP flash ended). Both ascending."""

    changed: list[int]
    faded: list[int]


class WatchlistModel(QAbstractTableModel):
    """Rows are tokens; cells are cached strings rebuilt only for rows that changed."""

    tokensChanged = Signal(list, list)

    def __init__(self, name: str, master: InstrumentMaster, store: MarketStore, tokens: Iterable[str] = ()) -> None:
        super().__init__()
        self.name = name
        self.master = master
        self.store = store
        self._tokens: list[str] = []
        self._row: dict[str, int] = {}
        self._cells: list[list[str]] = []
        self._direction: list[int] = []
        self._last_ltp: list[int | None] = []
        self._flash_until: list[float] = []
        self._flashing: set[int] = set()
        self._built_from: list[object] = []  # the quote object each row's strings were built from (freshness)
        self._visible: tuple[int, int] | None = None  # (first, last) row on screen; None = all
        self.frame: Frame | None = None  # set while refresh() emits its dataChanged
        self._ltt_text: dict[str, str] = {}
        self.emissions = 0  # dataChanged signals emitted (tests count them)
        for token in tokens:
            if token not in self._row:
                self._append(token)

    # ---------------------------------------------------------------- structure
    @property
    def tokens(self) -> list[str]:
        """Tokens in row order."""
        return list(self._tokens)

    def _append(self, token: str) -> None:
        self._row[token] = len(self._tokens)
        self._tokens.append(token)
        self._cells.append(self._blank_cells(token))
        self._direction.append(0)
        self._last_ltp.append(None)
        self._flash_until.append(0.0)
        self._built_from.append(None)
        self._fill(len(self._tokens) - 1, time.monotonic(), flash=False)

    def _blank_cells(self, token: str) -> list[str]:
        inst = self.master.get(token)
        return [inst.display if inst else token, "—", "", "", "", ""]

    def _reindex(self) -> None:
        self._row = {t: i for i, t in enumerate(self._tokens)}

    def add(self, token: str) -> bool:
        """Append a token (no duplicates). Returns True if added."""
        if token in self._row:
            return False
        row = len(self._tokens)
        self.beginInsertRows(QModelIndex(), row, row)
        self._append(token)
        self.endInsertRows()
        self.tokensChanged.emit([token], [])
        return True

    def remove_rows(self, rows: Iterable[int]) -> list[str]:
        """Remove rows (any order); returns the tokens removed."""
        removed = []
        for row in sorted(set(rows), reverse=True):
            if 0 <= row < len(self._tokens):
                self.beginRemoveRows(QModelIndex(), row, row)
                removed.append(self._tokens.pop(row))
                for column in (self._cells, self._direction, self._last_ltp, self._flash_until, self._built_from):
                    column.pop(row)
                self.endRemoveRows()
        self._flashing.clear()
        self._reindex()
        if removed:
            self.tokensChanged.emit([], removed)
        return removed

    def move_row(self, src: int, dst: int) -> bool:
        """Move one row so that it ends up at index ``dst``."""
        n = len(self._tokens)
        if not (0 <= src < n and 0 <= dst < n) or src == dst:
            return False
        qt_dst = dst + 1 if dst > src else dst  # Qt's destination is "before this row" in the old order
        if not self.beginMoveRows(QModelIndex(), src, src, QModelIndex(), qt_dst):
            return False
        for column in (self._tokens, self._cells, self._direction, self._last_ltp, self._flash_until,
                       self._built_from):
            column.insert(dst, column.pop(src))
        self._flashing.clear()
        self._reindex()
        self.endMoveRows()
        self.tokensChanged.emit([], [])
        return True

    # ---------------------------------------------------------------- Qt model API
    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._tokens)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole):
        if orientation != Qt.Orientation.Horizontal:
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return COLUMNS[section]
        if role == Qt.ItemDataRole.ToolTipRole and section in (CHANGE, PCT):
            return ("Change against the previous close from the instrument CSV. "
                    f"{FIRST_TICK_MARK} marks rows without one: against the first tick of this session.")
        if role == Qt.ItemDataRole.TextAlignmentRole and section != SYMBOL:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = _DISPLAY):
        row = index.row()
        self.ensure_fresh(row)
        if role == _DISPLAY:
            return self._cells[row][index.column()]
        if role == _FOREGROUND:
            col = index.column()
            return cell_color(col, self._direction[row], self._cells[row][col])
        if role == _ALIGN:
            return _LEFT if index.column() == SYMBOL else _RIGHT
        if role == _BACKGROUND:
            return self.flash_color(row, time.monotonic()) if index.column() == LTP else None
        if role == TOKEN_ROLE:
            return self._tokens[row]
        if role == _TOOLTIP:
            return self._tooltip(row)
        return None

    def _tooltip(self, row: int) -> str:
        token = self._tokens[row]
        inst = self.master.get(token)
        if inst is None:
            return f"Token {token} (not in the instrument master)"
        ref = self._reference(token, inst)
        ref_text = (f"previous close {format_rupees(inst.prev_close)}" if inst.prev_close
                    else f"first tick of this session {format_rupees(ref)}" if ref else "no reference yet")
        return (f"{inst.display} — {inst.name}\n{inst.exchange} · token {token} · lot {inst.lot_size} · "
                f"tick {format_rupees(inst.tick_size)}\nChange against {ref_text}")

    def flags(self, index: QModelIndex | QPersistentModelIndex) -> Qt.ItemFlag:
        return _CELL_FLAGS if index.isValid() else _ROOT_FLAGS

    def supportedDropActions(self) -> Qt.DropAction:
        return Qt.DropAction.MoveAction

    def mimeTypes(self) -> list[str]:
        return [MIME]

    def mimeData(self, indexes: Sequence[QModelIndex]) -> QMimeData:
        mime = QMimeData()
        rows = sorted({i.row() for i in indexes})
        mime.setData(MIME, QByteArray(json.dumps(rows).encode()))
        return mime

    def dropMimeData(self, data: QMimeData, action: Qt.DropAction, row: int, column: int,
                     parent: QModelIndex | QPersistentModelIndex) -> bool:
        if action != Qt.DropAction.MoveAction or not data.hasFormat(MIME):
            return False
        rows = json.loads(bytes(data.data(MIME).data()).decode())
        target = row if row >= 0 else (parent.row() if parent.isValid() else len(self._tokens))
        for offset, src in enumerate(sorted(rows)):
            src_now = src - offset if src < target else src
            dst = target - 1 if src_now < target else target + offset
            self.move_row(src_now, max(0, min(dst, len(self._tokens) - 1)))
        return False  # the move is done; False stops the view from also removing the source rows

    # ---------------------------------------------------------------- values
    def _reference(self, token: str, inst: Instrument | None) -> int:
        if inst is not None and inst.prev_close:
            return inst.prev_close
        return self.store.first.get(token, 0)

    def _fill(self, row: int, now: float, *, flash: bool = True) -> bool:
        """Rebuild one row's cached strings; True when anything shown changed."""
        token = self._tokens[row]
        quote = self.store.quotes.get(token)
        if quote is None:
            return False
        self._built_from[row] = quote
        ltp = quote["ltp"]
        last = self._last_ltp[row]
        if last is not None and ltp != last:
            self._direction[row] = 1 if ltp > last else -1
            if flash:
                self._flash_until[row] = now + FLASH_SECONDS
                self._flashing.add(row)
        self._last_ltp[row] = ltp
        inst = self.master.get(token)
        ref = self._reference(token, inst)
        direction = self._direction[row]
        arrow = "▲ " if direction > 0 else "▼ " if direction < 0 else ""
        cells = self._cells[row]
        before = cells[1:]
        cells[LTP] = arrow + format_rupees(ltp, symbol=False)
        if ref:
            mark = "" if inst is not None and inst.prev_close else FIRST_TICK_MARK
            cells[CHANGE] = format_rupees(ltp - ref, symbol=False, sign=True) + mark
            bp = percent_change_bp(ltp, ref) or 0
            cells[PCT] = f"{'+' if bp > 0 else '-' if bp < 0 else ''}{abs(bp) // 100}.{abs(bp) % 100:02d}%{mark}"
        cells[LTQ] = f"{quote['ltq']:,}"
        cells[LTT] = self._ltt_display(quote.get("ltt"))
        return cells[1:] != before

    def _ltt_display(self, ltt: object) -> str:
        """``"2025-01-09T12:53:00Z"`` → ``"18:23:00"`` IST; one parse per distinct string (they repeat a lot)."""
        if not isinstance(ltt, str):
            return ""
        text = self._ltt_text.get(ltt)
        if text is None:
            moment = parse_ltt(ltt)
            text = moment.astimezone(IST).strftime("%H:%M:%S") if moment else ""
            if len(self._ltt_text) > 4096:
                self._ltt_text.clear()
            self._ltt_text[ltt] = text
        return text

    def flash_color(self, row: int, now: float) -> QColor | None:
        """Background of the row's LTP cell while its flash lasts (green after a rise, red after a fall), else None."""
        if self._flash_until[row] > now:
            return theme.UP_FLASH_LIGHT if self._direction[row] > 0 else theme.DOWN_FLASH_LIGHT
        return None

    def ensure_fresh(self, row: int) -> None:
        """Rebuild an off-screen row whose quote changed since its strings were built (refresh() skips them)."""
        visible = self._visible
        if visible is not None and not visible[0] <= row <= visible[1] \
                and self.store.quotes.get(self._tokens[row]) is not self._built_from[row]:
            self._fill(row, time.monotonic(), flash=False)

    def set_visible_rows(self, first: int, last: int) -> None:
        """The view's visible rows: only these are rebuilt per refresh. Rows that come into view and changed while
        hidden are rebuilt now, before the view paints them."""
        self._visible = (first, last)
        quotes, tokens, built_from = self.store.quotes, self._tokens, self._built_from
        now = time.monotonic()
        shown = [row for row in range(first, min(last, len(tokens) - 1) + 1)
                 if quotes.get(tokens[row]) is not built_from[row] and self._fill(row, now, flash=False)]
        if shown:
            self.dataChanged.emit(self.index(shown[0], LTP), self.index(shown[-1], LTT))

    def refresh(self, dirty: set[str], now: float | None = None) -> int:
        """Rebuild the visible rows among ``dirty`` tokens and end finished flashes, then emit one ``dataChanged``
        spanning them, with :attr:`frame` naming the exact rows. Work is bounded by the rows on screen, not by
        the feed. Returns how many signals were emitted (0 or 1)."""
        now = time.monotonic() if now is None else now
        tokens = self._tokens
        first, last = self._visible if self._visible is not None else (0, len(tokens) - 1)
        last = min(last, len(tokens) - 1)
        changed = [row for row in range(first, last + 1) if tokens[row] in dirty and self._fill(row, now)] \
            if dirty else []
        faded: list[int] = []
        if self._flashing:
            expired = {r for r in self._flashing if self._flash_until[r] <= now}
            if expired:
                self._flashing -= expired
                faded = sorted(expired.difference(changed))  # a flash ending repaints one cell
        if not changed and not faded:
            return 0
        spans = [rows for rows in (changed, faded) if rows]
        top, bottom = min(rows[0] for rows in spans), max(rows[-1] for rows in spans)
        self.frame = Frame(changed, faded)
        try:
            self.dataChanged.emit(self.index(top, LTP), self.index(bottom, LTT if changed else LTP))
        finally:
            self.frame = None
        self.emissions += 1
        return 1

    def refresh_all(self) -> None:
        """Rebuild every row (after a tab switch or an instrument import)."""
        now = time.monotonic()
        for row in range(len(self._tokens)):
            self._cells[row][SYMBOL] = self._blank_cells(self._tokens[row])[SYMBOL]
            self._fill(row, now, flash=False)
        if self._tokens:
            self.dataChanged.emit(self.index(0, 0), self.index(len(self._tokens) - 1, LTT))


def cell_color(col: int, direction: int, text: str):  # type: ignore[no-untyped-def]
    """Text colour of a watchlist cell: LTP by its last move (▲ green / ▼ red), change columns by sign; None for
    the palette's own text colour."""
    if col == LTP:
        return theme.UP if direction > 0 else theme.DOWN if direction < 0 else None
    if col in (CHANGE, PCT):
        return theme.DOWN if text[:1] == "-" else theme.UP if text[:1] == "+" else None
    return None


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


def draw_cell_text(painter: QPainter, cache: TextCache, x: int, y: int, w: int, h: int, col: int, text: str) -> None:
    """Draw one cell's text, left-aligned for the symbol and right-aligned for numbers, 4 px in from each side;
    text wider than the cell is clipped by ``drawText`` as the default delegate would."""
    if not text:
        return
    static, width, height = cache.get(text)
    room = w - 8
    if width > room:
        painter.drawText(x + 4, y, room, h, _LEFT if col == SYMBOL else _RIGHT, text)
        return
    painter.drawStaticText(x + 4 if col == SYMBOL else x + 4 + room - width, y + (h - height) // 2, static)


class CachedRowDelegate(QStyledItemDelegate):
    """Paints watchlist cells straight from the model's cached strings: one Python call per painted cell instead
    of ``data()`` for every role Qt's default delegate asks (about seven per cell)."""

    def __init__(self, model: WatchlistModel, cache: TextCache, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model = model
        self.cache = cache

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
        text = model._cells[row][col]
        color = palette.highlightedText().color() if selected else cell_color(col, model._direction[row], text)
        painter.setPen(color if color is not None else palette.text().color())
        self.cache.use_font(option.font)
        painter.setFont(option.font)
        draw_cell_text(painter, self.cache, rect.x(), rect.y(), rect.width(), rect.height(), col, text)


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
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.setAlternatingRowColors(True)
        self.setShowGrid(False)
        self.setWordWrap(False)
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
        for col, width in ((LTP, 96), (CHANGE, 80), (PCT, 72), (LTQ, 56), (LTT, 68)):
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
        cells, direction, flash_color = model._cells, model._direction, model.flash_color
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

    def resizeEvent(self, event) -> None:  # type: ignore[no-untyped-def]
        super().resizeEvent(event)
        self._report_visible()

    def showEvent(self, event) -> None:  # type: ignore[no-untyped-def]
        super().showEvent(event)
        self._report_visible()

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


class WatchlistPanel(QWidget):
    """Search box + tabs of watchlists. Subscribes the active tab's tokens through ``subscriber``."""

    instrumentActivated = Signal(str)
    tradeRequested = Signal(str, str)
    currentTokenChanged = Signal(str)
    alertRequested = Signal(str)  # token: "Set price alert…" from the context menu
    chartRequested = Signal(str)  # token: "Open chart window" from the context menu

    def __init__(self, master: InstrumentMaster, store: MarketStore, settings: QSettings,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.master = master
        self.store = store
        self.settings = settings
        self.subscriber = None  # anything with subscribe(tokens) / unsubscribe(tokens)
        self._subscribed: list[str] = []
        self.search = QLineEdit(self)
        self.search.setObjectName("watchlist_search")
        self.search.setPlaceholderText("Search & add: symbol, name or token (Ctrl+F)")
        self.search.setClearButtonEnabled(True)
        self._completion_model = QStringListModel(self)
        self._completion_tokens: list[str] = []
        self.completer = QCompleter(self._completion_model, self)
        self.completer.setCompletionMode(QCompleter.CompletionMode.UnfilteredPopupCompletion)
        self.completer.setMaxVisibleItems(12)
        self.search.setCompleter(self.completer)
        self.search.textEdited.connect(self._update_completions)
        self.completer.activated[str].connect(self._completion_chosen)
        self.search.returnPressed.connect(self._search_enter)
        self.tabs = QTabWidget(self)
        self.tabs.setObjectName("watchlist_tabs")
        self.tabs.setDocumentMode(True)
        self.tabs.setMovable(True)
        self.tabs.setTabsClosable(False)
        add_tab = QToolButton(self)
        add_tab.setText("+")
        add_tab.setToolTip("New watchlist (Ctrl+T)")
        add_tab.clicked.connect(self.new_watchlist)
        self.tabs.setCornerWidget(add_tab, Qt.Corner.TopRightCorner)
        self.tabs.currentChanged.connect(self._on_tab_changed)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.setSpacing(4)
        layout.addWidget(self.search)
        layout.addWidget(self.tabs)
        self.models: list[WatchlistModel] = []
        self._loading = False
        self._load()

    # ---------------------------------------------------------------- persistence
    def _load(self) -> None:
        # read everything first: adding tabs fires currentChanged, which would save over what we read
        self._loading = True
        active = int(self.settings.value("watchlists/active", 0) or 0)
        raw = self.settings.value("watchlists/lists")
        lists: list[dict] = []
        if raw:
            try:
                lists = [d for d in json.loads(str(raw)) if isinstance(d, dict)]
            except (ValueError, TypeError):
                lists = []
        if not lists:
            lists = [{"name": "NIFTY 50", "tokens": [t for t in DEFAULT_TOKENS if t in self.master]},
                     {"name": "Watchlist 2", "tokens": []}]
        for entry in lists:
            self._add_tab(str(entry.get("name", "Watchlist")), [str(t) for t in entry.get("tokens", [])])
        self.tabs.setCurrentIndex(min(max(active, 0), self.tabs.count() - 1))
        self._loading = False

    def save(self) -> None:
        """Write the tabs, their tokens and the active tab to QSettings."""
        if self._loading:
            return
        order = [self.tabs.widget(i) for i in range(self.tabs.count())]
        lists = [{"name": v.watchlist().name, "tokens": v.watchlist().tokens} for v in order]  # type: ignore[union-attr]
        self.settings.setValue("watchlists/lists", json.dumps(lists))
        self.settings.setValue("watchlists/active", self.tabs.currentIndex())

    def _add_tab(self, name: str, tokens: list[str]) -> WatchlistView:
        model = WatchlistModel(name, self.master, self.store, tokens)
        view = WatchlistView(model, self.tabs)
        view.doubleClicked.connect(lambda index: self.instrumentActivated.emit(model.data(index, TOKEN_ROLE)))
        view.customContextMenuRequested.connect(lambda pos, v=view: self._context_menu(v, pos))
        view.selectionModel().currentRowChanged.connect(
            lambda cur, _prev: cur.isValid() and self.currentTokenChanged.emit(model.data(cur, TOKEN_ROLE)))
        model.tokensChanged.connect(lambda added, removed, m=model: self._on_tokens_changed(m, added, removed))
        self.models.append(model)
        self.tabs.addTab(view, name)
        return view

    # ---------------------------------------------------------------- subscriptions
    def set_subscriber(self, subscriber: object | None) -> None:
        """Switch to a new client (or None); subscribes the active watchlist on it."""
        if self.subscriber is not None and self._subscribed:
            self.subscriber.unsubscribe(self._subscribed)  # type: ignore[attr-defined]
        self.subscriber = subscriber
        self._subscribed = []
        self._subscribe_active()

    def _subscribe_active(self) -> None:
        view = self.current_view()
        wanted = view.watchlist().tokens if view else []
        if self.subscriber is not None:
            old, new = set(self._subscribed), set(wanted)
            if new - old:
                self.subscriber.subscribe(sorted(new - old))  # type: ignore[attr-defined]
            if old - new:
                self.subscriber.unsubscribe(sorted(old - new))  # type: ignore[attr-defined]
        self._subscribed = wanted

    def _on_tab_changed(self, _index: int) -> None:
        self._subscribe_active()
        view = self.current_view()
        if view is not None:
            view.watchlist().refresh_all()
        self.save()

    def _on_tokens_changed(self, model: WatchlistModel, added: list[str], removed: list[str]) -> None:
        view = self.current_view()
        if view is not None and view.watchlist() is model:
            self._subscribe_active()
        self.save()

    # ---------------------------------------------------------------- actions
    def current_view(self) -> WatchlistView | None:
        """The visible watchlist's view."""
        return self.tabs.currentWidget()  # type: ignore[return-value]

    def current_token(self) -> str | None:
        """Token of the current row of the visible watchlist."""
        view = self.current_view()
        return view.current_token() if view else None

    def add_token(self, token: str) -> bool:
        """Add to the visible watchlist and select it."""
        view = self.current_view()
        if view is None or token not in self.master:
            return False
        model = view.watchlist()
        added = model.add(token)
        row = model.tokens.index(token)
        view.selectRow(row)
        view.scrollTo(model.index(row, 0))
        return added

    def remove_selected(self) -> list[str]:
        """Delete the selected rows of the visible watchlist."""
        view = self.current_view()
        return view.watchlist().remove_rows(view.selected_rows()) if view else []

    def move_selected(self, delta: int) -> None:
        """Move the current row up (-1) or down (+1)."""
        view = self.current_view()
        if view is None:
            return
        row = view.currentIndex().row()
        if row >= 0 and view.watchlist().move_row(row, row + delta):
            view.selectRow(row + delta)

    def new_watchlist(self, name: str | None = None) -> None:
        """Add an empty tab (asks for a name when none is given)."""
        if name is None:
            dialog = QInputDialog(self)
            dialog.setWindowTitle("New watchlist")
            dialog.setLabelText("Name:")
            dialog.setTextValue(f"Watchlist {self.tabs.count() + 1}")
            dialog.textValueSelected.connect(lambda text: self.new_watchlist(text.strip() or "Watchlist"))
            dialog.open()  # never exec(): the app runs on an asyncio loop
            return
        view = self._add_tab(name, [])
        self.tabs.setCurrentWidget(view)
        self.save()

    def refresh(self, dirty: set[str]) -> int:
        """Coalesced refresh of the visible watchlist (the others refresh when shown)."""
        view = self.current_view()
        return view.watchlist().refresh(dirty) if view else 0

    def _update_completions(self, text: str) -> None:
        results = self.master.search(text, limit=15)
        self._completion_tokens = [i.token for i in results]
        self._completion_model.setStringList(
            [f"{i.display}  ·  {i.name}  ·  {i.exchange} ({i.token})" for i in results])

    def _completion_chosen(self, text: str) -> None:
        token = text.rsplit("(", 1)[-1].rstrip(")") if "(" in text else None
        if token and token in self.master:
            self.add_token(token)
            self.search.clear()

    def _search_enter(self) -> None:
        results = self.master.search(self.search.text(), limit=1)
        if results:
            self.add_token(results[0].token)
            self.search.clear()

    def _context_menu(self, view: WatchlistView, pos) -> None:  # type: ignore[no-untyped-def]
        index = view.indexAt(pos)
        token = view.watchlist().data(index, TOKEN_ROLE) if index.isValid() else None
        menu = QMenu(view)
        if token:
            buy = QAction("Buy (F1)", menu)
            buy.triggered.connect(lambda: self.tradeRequested.emit(token, "B"))
            sell = QAction("Sell (F2)", menu)
            sell.triggered.connect(lambda: self.tradeRequested.emit(token, "S"))
            alert = QAction("Set price alert…", menu)
            alert.triggered.connect(lambda: self.alertRequested.emit(token))
            chart = QAction("Open chart window (F7)", menu)
            chart.triggered.connect(lambda: self.chartRequested.emit(token))
            menu.addActions([buy, sell, alert, chart])
            menu.addSeparator()
        remove = QAction("Remove", menu)
        remove.setShortcut(QKeySequence(QKeySequence.StandardKey.Delete))
        remove.triggered.connect(self.remove_selected)
        remove.setEnabled(bool(view.selected_rows()))
        menu.addAction(remove)
        menu.popup(view.viewport().mapToGlobal(pos))
