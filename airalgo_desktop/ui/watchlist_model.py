"""The watchlist's table model: rows are tokens, cells are cached strings rebuilt only for rows that changed.

Nothing per tick touches a widget: ticks land in the :class:`MarketStore`; at most 30 times a second (the
presenter's frame clock, only when data came) :meth:`WatchlistModel.refresh` is handed the dirty tokens, rebuilds the
cached strings of those rows that are on screen and emits one ``dataChanged`` for the frame, with
:attr:`WatchlistModel.frame` naming the exact rows. Rows off screen cost nothing per frame: a row whose quote changed
since it was last built is rebuilt when it is read or scrolled into view. Painting lives in
:mod:`.watchlist_paint`, the dock in :mod:`.watchlist`.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date

from PySide6.QtCore import QAbstractTableModel, QByteArray, QMimeData, QModelIndex, QPersistentModelIndex, Qt, Signal
from PySide6.QtGui import QColor

from ..domain.instruments import Instrument, Master
from ..domain.labels import LabelParts, contract_label, label_parts, segment_of
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
LEFT = int((Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter).value)
RIGHT = int((Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter).value)
_CELL_FLAGS = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemIsDragEnabled
_ROOT_FLAGS = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemIsDropEnabled
SYMBOL, LTP, CHANGE, PCT, LTQ, LTT = range(6)
COLUMN_COUNT = len(COLUMNS)
TOKEN_ROLE = int(Qt.ItemDataRole.UserRole.value) + 1
FLASH_SECONDS = 0.6
MIME = "application/x-airalgo-watchlist-rows"
FIRST_TICK_MARK = "†"
MARK = "⚠"  # a row whose token vanished, changed meaning or expired: greyed, never silently relabelled
_NO_MARKS: dict[str, str] = {}


def row_label(inst: Instrument, this_year: int) -> str:
    """The symbol cell: the one contract label (:func:`~airalgo_desktop.domain.labels.contract_label`:
    ``RELIANCE``, ``NIFTY 8 DEC 23500 CE``, ``NIFTY DEC FUT``; the year only when it is not this year). The segment
    is painted as a small badge beside it, not a suffix; the tooltip has the full label."""
    return contract_label(inst, this_year)


@dataclass(frozen=True, slots=True)
class Frame:
    """What one refresh changed, for the view's exact repaint: ``changed`` rows (every tick column) and ``faded``
    rows (only the LTP flash ended). Both ascending."""

    changed: list[int]
    faded: list[int]


class WatchlistModel(QAbstractTableModel):
    """Rows are tokens; cells are cached strings rebuilt only for rows that changed."""

    tokensChanged = Signal(list, list)

    def __init__(self, name: str, master: Master, store: MarketStore, tokens: Iterable[str] = ()) -> None:
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
        self.marks: Mapping[str, str] = _NO_MARKS  # token → why its row is marked (the desk's, shared)
        self.labels: Mapping[str, str] = _NO_MARKS  # token → what the row meant when added (the desk's)
        self._year = date.today().year
        self._parts: dict[str, tuple[Instrument, LabelParts, str]] = {}  # token → (contract, label, segment)
        for token in tokens:
            if token not in self._row:
                self._append(token)

    # ---------------------------------------------------------------- structure
    @property
    def tokens(self) -> list[str]:
        """Tokens in row order."""
        return list(self._tokens)

    # ---------------------------------------------------------------- what the painter reads
    @property
    def cell_texts(self) -> list[list[str]]:
        """The cached strings, ``cell_texts[row][column]`` — the painter's read-only view (not a copy: painting
        reads it once per frame; call :meth:`ensure_fresh` for a row first)."""
        return self._cells

    @property
    def directions(self) -> list[int]:
        """Each row's last move (+1 up, -1 down, 0 none), read-only, for the LTP colour."""
        return self._direction

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
        return [self.symbol_text(token), "—", "", "", "", ""]

    def symbol_text(self, token: str) -> str:
        """The symbol cell: the row's label, or — for a marked row — what it meant to the trader, with ⚠."""
        inst = self.master.get(token)
        if token in self.marks:
            before = self.labels.get(token)
            return f"{before or (row_label(inst, self._year) if inst else 'Token ' + token)} {MARK}"
        if inst is None:
            return self.labels.get(token) or token  # master still loading: the remembered label
        return row_label(inst, self._year)

    def symbol_parts(self, row: int) -> tuple[LabelParts, str] | None:
        """The label pieces and segment badge of ``row``'s contract for the painter's width-aware fit; None for a
        marked row or a token the master does not know (their text is painted as it is)."""
        token = self._tokens[row]
        inst = self.master.get(token)
        if inst is None or token in self.marks:
            return None
        cached = self._parts.get(token)
        if cached is None or cached[0] is not inst:  # built once per contract (a new master: built again)
            cached = self._parts[token] = (inst, label_parts(inst, self._year), segment_of(inst))
        return cached[1], cached[2]

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
            return LEFT if index.column() == SYMBOL else RIGHT
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
        mark = self.marks.get(token)
        if mark:
            return f"{MARK} {mark}"
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

    @property
    def fading(self) -> bool:
        """A flash is still showing: a frame is needed when it ends, even if no data comes."""
        return bool(self._flashing)

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
    if col == SYMBOL:
        return theme.MUTED if text.endswith(MARK) else None
    if col == LTP:
        return theme.UP if direction > 0 else theme.DOWN if direction < 0 else None
    if col in (CHANGE, PCT):
        return theme.DOWN if text[:1] == "-" else theme.UP if text[:1] == "+" else None
    return None
