"""Positions dock: net quantity, averages, realised / unrealised / total P&L per instrument, a totals row;
coloured, refreshed on the coalesced UI timer; right-click → a ticket that squares the position off."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt, Signal
from PySide6.QtGui import QAction, QFont
from PySide6.QtWidgets import QAbstractItemView, QLabel, QMenu, QTableView, QVBoxLayout, QWidget

from ..desk.notices import PositionsChanged, TriggersChanged
from ..domain.instruments import Master
from ..domain.labels import contract_label, label_parts, quantity_text
from ..domain.money import format_rupees
from ..domain.nsetime import now_ist
from ..services.chain import LegGreeks
from ..services.positions import PositionBook, round_paisa
from ..store.market import MarketStore
from . import theme
from .actions import ActionRegistry, key_label
from .labels import PARTS_ROLE, ContractLabelDelegate
from .listening import NoticeSource, listen

COLUMNS = ("Symbol", "Net qty", "Avg buy", "Avg sell", "LTP", "Realised", "Unrealised", "P&L", "Delta", "Theta/day",
           "Vega", "Protection")
PNL_COLUMNS = {5, 6, 7}
GREEK_COLUMNS = {8: "delta", 9: "theta", 10: "vega"}  # of the whole position: units, ₹ a day, ₹ a vol point
PROTECTION = COLUMNS.index("Protection")  # the app-held stops / targets of the row, in words


class PositionsModel(QAbstractTableModel):
    """One row per instrument traded today plus a totals row."""

    def __init__(self, book: PositionBook, master: Master, store: MarketStore) -> None:
        super().__init__()
        self.book = book
        self.master = master
        self.store = store
        self._tokens: list[str] = []
        self._rows: list[list[object]] = []
        self.greeks: dict[str, LegGreeks] = {}
        self._year = now_ist().year
        self.protection: Callable[[str], str] | None = None  # a row's protective triggers, for its tooltip
        self.protection_state: Callable[[str], str] | None = None  # …and their state in words, for its column
        self.rebuild()

    def set_greeks(self, greeks: dict[str, LegGreeks]) -> None:
        """Greeks of the F&O positions (the presenter recomputes them a few times a second)."""
        self.greeks = greeks
        if self._tokens:
            self.dataChanged.emit(self.index(0, 8), self.index(len(self._tokens) - 1, len(COLUMNS) - 1))

    def protection_changed(self) -> None:
        """The triggers changed (armed, paused, fired…): the Protection column and the tooltips say it again."""
        if self._tokens:
            self.dataChanged.emit(self.index(0, 0), self.index(len(self._tokens) - 1, len(COLUMNS) - 1))

    def rebuild(self) -> None:
        """Recompute every row (after a fill)."""
        self.beginResetModel()
        self._tokens = list(self.book.positions)
        self._rows = [self._row(t) for t in self._tokens]
        self.endResetModel()

    def refresh(self, dirty: set[str]) -> None:
        """Coalesced repaint: only positions whose LTP moved, then the totals row."""
        changed = [i for i, t in enumerate(self._tokens) if t in dirty]
        for i in changed:
            self._rows[i] = self._row(self._tokens[i])
        if changed:
            self.dataChanged.emit(self.index(min(changed), 4), self.index(len(self._tokens), len(COLUMNS) - 1))

    def _row(self, token: str) -> list[object]:
        p = self.book.positions[token]
        ltp = self.store.ltp(token)
        inst = self.master.get(token)
        return [contract_label(inst, self._year) if inst else token, p.net, p.avg_buy, p.avg_sell, ltp, p.realised(),
                p.unrealised(ltp), p.total_pnl(ltp)]

    def token_at(self, row: int) -> str | None:
        """Token of a row (None for the totals row)."""
        return self._tokens[row] if 0 <= row < len(self._tokens) else None

    def totals(self) -> tuple[int, int, int]:
        """(realised, unrealised, total) over every position."""
        return (sum(int(r[5]) for r in self._rows), sum(int(r[6]) for r in self._rows),  # type: ignore[call-overload]
                sum(int(r[7]) for r in self._rows))  # type: ignore[call-overload]

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._tokens) + (1 if self._tokens else 0)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole):
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return COLUMNS[section]
        return None

    def _value(self, row: int, col: int) -> object:
        if row == len(self._tokens):  # totals
            realised, unrealised, total = self.totals()
            return {0: "Total", 5: realised, 6: unrealised, 7: total}.get(col)
        if col == PROTECTION:
            return self.protection_state(self._tokens[row]) if self.protection_state is not None else ""
        if col in GREEK_COLUMNS:
            leg = self.greeks.get(self._tokens[row])
            return getattr(leg, GREEK_COLUMNS[col]) if leg is not None else None
        return self._rows[row][col]

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole):
        row, col = index.row(), index.column()
        value = self._value(row, col)
        if role == Qt.ItemDataRole.DisplayRole:
            if col in GREEK_COLUMNS and row < len(self._tokens):
                inst = self.master.get(self._tokens[row])
                if inst is not None and inst.instrument_type in ("CE", "PE", "FUT") and inst.expiry is not None:
                    return "—" if value is None else f"{value:+,.2f}"
                return ""
            if value is None:
                return "" if col else "—"
            if col in (0, PROTECTION):
                return str(value)
            if col == 1:
                inst = self.master.get(self._tokens[row])
                if value and inst is not None and inst.is_derivative:
                    return quantity_text(value, inst.lot_size)  # type: ignore[arg-type]
                return f"{value:+,}" if value else "0"
            if col in (2, 3):
                return format_rupees(round_paisa(value), symbol=False)  # type: ignore[arg-type]
            return format_rupees(int(value), symbol=False, sign=col in PNL_COLUMNS)  # type: ignore[call-overload]
        if role == PARTS_ROLE and col == 0 and row < len(self._tokens):
            inst = self.master.get(self._tokens[row])
            return label_parts(inst, self._year) if inst is not None else None
        if role == Qt.ItemDataRole.ForegroundRole and col in PNL_COLUMNS and isinstance(value, int) and value:
            return theme.UP if value > 0 else theme.DOWN
        if role == Qt.ItemDataRole.ToolTipRole and self.protection is not None and row < len(self._tokens):
            return self.protection(self._tokens[row]) or None
        if role == Qt.ItemDataRole.TextAlignmentRole:
            align = Qt.AlignmentFlag.AlignLeft if col in (0, PROTECTION) else Qt.AlignmentFlag.AlignRight
            return int(align | Qt.AlignmentFlag.AlignVCenter)
        if role == Qt.ItemDataRole.FontRole and row == len(self._tokens):
            font = QFont()
            font.setBold(True)
            return font
        return None


class PositionsPanel(QWidget):
    """The table; right-click a position → square off."""

    squareOffRequested = Signal(str, str, int)
    payoffRequested = Signal(str)  # underlying
    protectRequested = Signal(str)  # token: Add stop / target… (held by this app)
    legsProtectRequested = Signal(str)  # underlying: one combined stop on all its open option legs

    def __init__(self, model: PositionsModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model = model
        self.actions: ActionRegistry | None = None  # the keys its menu names (the window's registry)
        self.view = QTableView(self)
        self.view.setObjectName("positions_view")
        self.view.setAccessibleName("Positions")
        self.view.horizontalHeader().setAccessibleName("Positions columns")
        self.view.setModel(model)
        self.view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.view.setTabKeyNavigation(False)  # arrows move inside; Tab / Shift+Tab go on to the next pane
        self.view.verticalHeader().setVisible(False)
        self.view.verticalHeader().setDefaultSectionSize(22)
        header = self.view.horizontalHeader()
        header.setMinimumSectionSize(40)
        header.setStretchLastSection(True)
        # widths from the font, for the widest values a day brings; on screen the columns a trader reads first come
        # first (Symbol, Net qty, LTP, P&L — as in Kite's positions), the model keeps its order. With eight 92 px
        # columns the default ~650 px dock showed "RELIA…" and cut the P&L to "-1".
        metrics = self.view.fontMetrics()
        samples = ("NIFTY 26 NOV 23500 CE", "-10 lots · -650", "1,23,456.65", "1,23,456.65", "1,23,456.65",
                   "-1,23,456.78", "-1,23,456.78", "-1,23,456.78")
        for col, sample in enumerate(samples):
            header.resizeSection(col, metrics.horizontalAdvance(sample) + 16)
        # the app-held stop / target's state is read with the P&L (armed, paused: why, fired → order …)
        header.resizeSection(PROTECTION, metrics.horizontalAdvance("stop ₹1,245.00, target ₹1,280.00: armed") + 16)
        for position, name in enumerate(("Symbol", "Net qty", "LTP", "P&L", "Protection")):
            header.moveSection(header.visualIndex(COLUMNS.index(name)), position)
        self.view.setItemDelegateForColumn(0, ContractLabelDelegate(self.view))  # never cuts strike or CE/PE
        self.view.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.view.customContextMenuRequested.connect(self._menu)
        self.greek_totals = QLabel(self)  # per underlying: Δ, Θ, V of its F&O positions
        self.greek_totals.setObjectName("positions_greek_totals")
        self.greek_totals.setTextFormat(Qt.TextFormat.RichText)
        self.greek_totals.setVisible(False)
        self.greek_totals.setWordWrap(True)  # several underlyings wrap instead of widening the dock
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 2, 4, 4)
        layout.addWidget(self.view)
        layout.addWidget(self.greek_totals)


    def listen_to(self, desk: NoticeSource) -> None:
        """Rebuild the table when the desk's positions change (fills live or restored) and say the triggers' state
        again when they change, until destroyed."""
        listen(self, desk, {PositionsChanged: lambda _n: self.model.rebuild(),
                            TriggersChanged: lambda _n: self.model.protection_changed()})
    def show_greek_totals(self, totals: dict[str, tuple[float | None, float | None, float | None]]) -> None:
        """One line per underlying held in F&O: net delta, theta a day and vega a vol point."""
        def num(value: float | None, money: bool) -> str:
            if value is None:
                return "—"
            return f"{'+' if value >= 0 else '−'}₹{abs(value):,.0f}" if money else f"{value:+,.1f}"

        parts = [f"<b>{name}</b> Δ {num(d, False)} · Θ {num(t, True)}/day · Vega {num(v, True)}"
                 for name, (d, t, v) in sorted(totals.items())]
        self.greek_totals.setText("&nbsp;&nbsp;|&nbsp;&nbsp;".join(parts))
        self.greek_totals.setVisible(bool(parts))

    def _menu(self, pos) -> None:  # type: ignore[no-untyped-def]
        token = self.model.token_at(self.view.indexAt(pos).row())
        position = self.model.book.positions.get(token) if token else None
        close = position.square_off() if position else None
        menu = QMenu(self.view)
        action = QAction(f"Square off ({close[0].label} {close[1]})" if close else "Square off (flat)", menu)
        action.setEnabled(close is not None)
        if close is not None and token is not None:
            action.triggered.connect(lambda: self.squareOffRequested.emit(token, close[0].value, close[1]))
        menu.addAction(action)
        protect = QAction(key_label(self.actions, "protect", "Add stop / target…") + " — held by this app", menu)
        protect.setEnabled(close is not None)
        if close is not None and token is not None:
            protect.triggered.connect(lambda: self.protectRequested.emit(token))
        menu.addAction(protect)
        inst = self.model.master.get(token) if token else None
        if inst is not None and inst.expiry is not None and inst.name:
            payoff = QAction(f"Payoff graph of {inst.name} positions…", menu)
            payoff.triggered.connect(lambda: self.payoffRequested.emit(inst.name))
            menu.addAction(payoff)
        if inst is not None and inst.is_option and inst.name and close is not None:
            legs = QAction(f"Combined stop on {inst.name} option legs… (held by this app)", menu)
            legs.triggered.connect(lambda: self.legsProtectRequested.emit(inst.name))
            menu.addAction(legs)
        menu.popup(self.view.viewport().mapToGlobal(pos))
