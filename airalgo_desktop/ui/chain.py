"""Option chain window: calls left, strike in the middle, puts right (as Kite, Sensibull and NSE lay it out).

One :class:`ChainPanel` per open chain, each in its own dock (several may be open). The panel shows what a
:class:`~airalgo_desktop.services.chain.ChainState` computes: the underlying and expiry pickers (expiry tabs with
days to expiry), ±N strikes around the at-the-money one (ATM row tinted, its strike marked ▸ ◂, kept in view),
in-the-money legs hatched, per leg LTP, change, IV and delta (gamma, theta, vega on the *Greeks* toggle). Trading:
Enter buys and Shift+Enter sells the leg under the cursor, as do F1/F2, a double-click and a click on a leg's LTP
(buy); the ticket opens at the option's lot size. The panel repaints only when one of its tokens ticked (coalesced
by the presenter's timer).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime

from PySide6.QtCore import (
    QAbstractTableModel,
    QEvent,
    QModelIndex,
    QPersistentModelIndex,
    QPoint,
    QPointF,
    Qt,
    Signal,
    SignalInstance,
)
from PySide6.QtGui import QAction, QBrush, QColor, QFont, QKeyEvent, QPainter, QPalette
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QDockWidget,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMenu,
    QSpinBox,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QTabBar,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from ..domain.money import format_rupees
from ..domain.nsetime import now_ist
from ..services.chain import MAX_WIDTH, MIN_WIDTH, ChainRow, ChainState, ChainView, LegQuote
from . import theme
from .watchlist_paint import TextCache, contiguous_ranges
from .widgets import ElidedLabel

BASIC = ("LTP", "Chg", "IV", "Delta")
GREEKS = ("Gamma", "Theta", "Vega")
DASH = "—"
ATM_MARK = ("▸", "◂")
SIDE_NAMES = {"CE": "Call", "PE": "Put"}
_DISPLAY = int(Qt.ItemDataRole.DisplayRole.value)
_BACKGROUND = int(Qt.ItemDataRole.BackgroundRole.value)
_FOREGROUND = int(Qt.ItemDataRole.ForegroundRole.value)
_OWN_PAINT = QStyle.StateFlag.State_Selected | QStyle.StateFlag.State_HasFocus | QStyle.StateFlag.State_MouseOver
_RESTYLE = (QEvent.Type.FontChange, QEvent.Type.PaletteChange, QEvent.Type.StyleChange)


def _columns(greeks: bool) -> tuple[list[str], list[str]]:
    fields = list(BASIC) + (list(GREEKS) if greeks else [])
    return list(reversed(fields)), fields  # calls read outward from the strike, mirrored


def strike_text(strike: int, atm: bool) -> str:
    """The strike column's text; the ATM strike between small markers, so it is found without seeing its tint."""
    text = format_rupees(strike, symbol=False).removesuffix(".00")
    return f"{ATM_MARK[0]}{text}{ATM_MARK[1]}" if atm else text


def _fmt(field: str, leg: LegQuote) -> str:
    if field == "LTP":
        return format_rupees(leg.ltp, symbol=False) if leg.ltp is not None else DASH
    if field == "Chg":
        return format_rupees(leg.change, symbol=False, sign=True) if leg.change is not None else DASH
    value = {"IV": leg.iv, "Delta": leg.delta, "Gamma": leg.gamma, "Theta": leg.theta, "Vega": leg.vega}[field]
    if value is None:
        return DASH
    if field == "IV":
        return f"{value * 100:.1f}"
    if field == "Gamma":
        return f"{value:.5f}"
    return f"{value:.2f}"


class ChainModel(QAbstractTableModel):
    """Rows = strikes of the window; columns = call fields (mirrored), Strike, put fields.

    Every cell's text and colours are worked out once per update (:meth:`set_view`) into per-role tables, so
    ``data()`` — which Qt calls about seven times per cell per paint — is two list lookups.
    """

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[ChainRow] = []
        self.greeks = False
        self._left, self._right = _columns(False)
        self._roles: dict[int, list[list[object]]] = {}
        self._bold = QFont()
        self._bold.setBold(True)
        self._right_align = int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        self._centre = int(Qt.AlignmentFlag.AlignCenter)

    @property
    def strike_column(self) -> int:
        """Index of the Strike column."""
        return len(self._left)

    def set_greeks(self, on: bool) -> None:
        """Show or hide gamma/theta/vega."""
        self.beginResetModel()
        self.greeks = on
        self._left, self._right = _columns(on)
        self._build()
        self.endResetModel()

    def set_view(self, view: ChainView) -> None:
        """New numbers: a repaint of the cells whose text or colours changed when the same strikes are shown (most
        do not, at a 0.1 IV / 0.01 delta precision, and a leg that did not tick keeps its LTP), else a reset."""
        same = [r.strike for r in view.rows] == [r.strike for r in self.rows]
        if same and self.rows:
            old = self._roles
            self.rows = view.rows
            self._build()
            new = self._roles
            for row in range(len(self.rows)):
                columns: set[int] = set()
                for role in (_DISPLAY, _BACKGROUND, _FOREGROUND):
                    before, after = old[role][row], new[role][row]
                    if before != after:
                        columns.update(c for c, (a, b) in enumerate(zip(before, after, strict=True)) if a != b)
                for first, last in contiguous_ranges(columns):
                    self.dataChanged.emit(self.index(row, first), self.index(row, last))
            return
        self.beginResetModel()
        self.rows = view.rows
        self._build()
        self.endResetModel()

    def cell(self, row: int, column: int) -> tuple[str, QBrush | None, QColor | None]:
        """(text, background brush or None, text colour or None) of a cell — what the delegate paints."""
        roles = self._roles
        return (roles[_DISPLAY][row][column], roles[_BACKGROUND][row][column],  # type: ignore[return-value]
                roles[_FOREGROUND][row][column])

    def _build(self) -> None:
        sc = self.strike_column
        texts: list[list[object]] = []
        backs: list[list[object]] = []
        fores: list[list[object]] = []
        for r in self.rows:
            text_row: list[object] = []
            back_row: list[object] = []
            fore_row: list[object] = []
            for side, leg, fields in (("CE", r.call, self._left), ("PE", r.put, self._right)):
                cells_t = [_fmt(f, leg) if leg is not None else "" for f in fields]
                back = theme.ATM_BRUSH if r.atm else (theme.ITM_BRUSH if leg is not None and leg.itm else None)
                cells_f = [(theme.UP if leg.change > 0 else theme.DOWN)
                           if f == "Chg" and leg is not None and leg.change else None for f in fields]
                if side == "CE":
                    text_row += cells_t
                    fore_row += cells_f
                    back_row += [back] * len(fields)
                    text_row.append(strike_text(r.strike, r.atm))
                    back_row.append(theme.ATM_BRUSH if r.atm else theme.STRIKE_BRUSH)
                    fore_row.append(None)
                else:
                    text_row += cells_t
                    fore_row += cells_f
                    back_row += [back] * len(fields)
            texts.append(text_row)
            backs.append(back_row)
            fores.append(fore_row)
        width = len(self._left) + 1 + len(self._right)
        align = [[self._right_align] * sc + [self._centre] + [self._right_align] * (width - sc - 1)] * len(self.rows)
        font = [[None] * sc + [self._bold] + [None] * (width - sc - 1)] * len(self.rows)
        self._roles = {
            int(Qt.ItemDataRole.DisplayRole): texts,
            int(Qt.ItemDataRole.BackgroundRole): backs,
            int(Qt.ItemDataRole.ForegroundRole): fores,
            int(Qt.ItemDataRole.TextAlignmentRole): align,  # type: ignore[dict-item]
            int(Qt.ItemDataRole.FontRole): font,  # type: ignore[dict-item]
        }

    def field_at(self, column: int) -> str:
        """The field a column shows ("LTP", "IV", … or "Strike")."""
        if column < self.strike_column:
            return self._left[column]
        if column == self.strike_column:
            return "Strike"
        return self._right[column - self.strike_column - 1]

    def leg_at(self, row: int, column: int) -> tuple[str, LegQuote | None]:
        """("CE"|"PE", the leg) under a cell; the strike column counts as the call."""
        if not 0 <= row < len(self.rows):
            return "CE", None
        r = self.rows[row]
        return ("PE", r.put) if column > self.strike_column else ("CE", r.call)

    def atm_row(self) -> int | None:
        """Row of the ATM strike."""
        return next((i for i, r in enumerate(self.rows) if r.atm), None)

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._left) + 1 + len(self._right)

    def side_of(self, column: int) -> str:
        """"CE" left of the strike, "PE" right of it, "" on the strike."""
        return "CE" if column < self.strike_column else "PE" if column > self.strike_column else ""

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole):
        if orientation != Qt.Orientation.Horizontal:
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return self.field_at(section)
        if role in (Qt.ItemDataRole.AccessibleTextRole, Qt.ItemDataRole.ToolTipRole):
            # the shown headers repeat LTP, Chg, IV… on both sides (CALLS / PUTS stand above them): said in full
            side = self.side_of(section)
            return f"{SIDE_NAMES[side]} {self.field_at(section)}" if side else "Strike"
        return None

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole):
        if role == Qt.ItemDataRole.AccessibleTextRole:
            return self.spoken(index.row(), index.column())
        table = self._roles.get(role)
        return None if table is None else table[index.row()][index.column()]

    def spoken(self, row: int, column: int) -> str:
        """A cell as a screen reader says it: "Put IV 14.2, strike 23,500, in the money" (the tints' meanings in
        words)."""
        if not 0 <= row < len(self.rows):
            return ""
        r = self.rows[row]
        strike = format_rupees(r.strike, symbol=False).removesuffix(".00")
        if column == self.strike_column:
            return f"Strike {strike}" + (", at the money" if r.atm else "")
        _side, leg = self.leg_at(row, column)
        words = [f"{self.headerData(column, Qt.Orientation.Horizontal, Qt.ItemDataRole.AccessibleTextRole)} "
                 f"{self._roles[_DISPLAY][row][column] or DASH}", f"strike {strike}"]
        if r.atm:
            words.append("at the money")
        elif leg is not None and leg.itm:
            words.append("in the money")
        return ", ".join(words)


class ChainDelegate(QStyledItemDelegate):
    """Paints a chain cell straight from the model's per-role tables with a laid-out text cache: one Python call
    per cell instead of a ``data()`` call for each of the seven roles Qt's delegate asks, then its style's text
    layout (a repaint of two chains was ≈ 4 ms a time, most of it that; benchmarks: ``chain_cpu_pct``). The selected,
    focused or hovered cell — the cursor and the mouse, a cell or two at a time — is left to Qt's delegate, so it
    looks like every other item view in the app, focus frame and hover included."""

    def __init__(self, model: ChainModel, view: QTableView) -> None:
        super().__init__(view)
        self.model = model
        self.view = view
        self._plain = TextCache(1024)
        self._bold = TextCache(256)
        self._fonts: tuple[QFont, QFont] | None = None
        self._ink = QColor()
        self._margin = 3

    def restyle(self) -> None:
        """The view's font or palette changed: fonts, text colour and laid-out texts are taken again (per cell they
        would be copies of the option's font and palette for every cell painted)."""
        self._fonts = None

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: QModelIndex) -> None:  # type: ignore[override]
        if option.state & _OWN_PAINT:  # type: ignore[operator]
            super().paint(painter, option, index)
            return
        if self._fonts is None:
            plain = QFont(self.view.font())
            bold = QFont(plain)
            bold.setBold(True)
            self._plain.use_font(plain)
            self._bold.use_font(bold)
            self._fonts = plain, bold
            self._ink = self.view.palette().color(QPalette.ColorGroup.Active, QPalette.ColorRole.Text)
            # the style's text margin, as Qt's delegate leaves it (3 px under Fusion): the cursor's cell, which Qt's
            # delegate paints, lines up with its neighbours
            self._margin = self.view.style().pixelMetric(QStyle.PixelMetric.PM_FocusFrameHMargin, None, self.view) + 1
        row, column, rect = index.row(), index.column(), option.rect  # type: ignore[attr-defined]
        text, back, fore = self.model.cell(row, column)
        if back is not None:  # over the view's base, as Qt's delegate draws a background brush: a pattern (the ITM
            painter.setBrushOrigin(rect.topLeft())  # hatch) starts at the cell's corner, as Qt's style starts it
            painter.fillRect(rect, back)
        if not text:
            return
        strike = column == self.model.strike_column
        painter.setFont(self._fonts[strike])
        painter.setPen(fore if fore is not None else self._ink)
        static, width, height = (self._bold if strike else self._plain).get(text)
        x, y, w, h = rect.x(), rect.y(), rect.width(), rect.height()
        margin = self._margin
        room = w - 2 * margin
        if height > h:  # a font too tall for the fixed rows: clipped to the cell, as Qt's delegate clips
            painter.save()
            painter.setClipRect(rect)
        if width > room:  # a too-narrow column (the header keeps them wide enough): elided, never cut
            elided = painter.fontMetrics().elidedText(text, Qt.TextElideMode.ElideRight, room)
            align = Qt.AlignmentFlag.AlignCenter if strike else Qt.AlignmentFlag.AlignRight
            painter.drawText(x + margin, y, room, h, int(align | Qt.AlignmentFlag.AlignVCenter), elided)
        else:  # at the fractional position Qt's own delegate would lay the text out at (so the two line up)
            exact = static.size().width()
            painter.drawStaticText(QPointF(x + margin + ((room - exact) / 2 if strike else room - exact),
                                           y + (h - height) // 2), static)
        if height > h:
            painter.restore()


class ChainTable(QTableView):
    """The chain's table: Enter buys, Shift+Enter sells the leg under the cursor."""

    tradeKey = Signal(bool)  # True = buy

    def changeEvent(self, event: QEvent) -> None:
        """A new font, palette or style: the chain's delegate takes them again."""
        if event.type() in _RESTYLE and isinstance(delegate := self.itemDelegate(), ChainDelegate):
            delegate.restyle()
        super().changeEvent(event)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            self.tradeKey.emit(not bool(event.modifiers() & Qt.KeyboardModifier.ShiftModifier))
            event.accept()
            return
        super().keyPressEvent(event)


class ChainPanel(QWidget):
    """One option chain: pickers, info line and the table."""

    tradeRequested = Signal(str, str)  # token, "B"/"S"
    protectRequested = Signal(str)  # token: Add stop / target… on that leg's open position (held by this app)
    legsProtectRequested = Signal(str)  # underlying: one combined stop on all its open option legs

    def __init__(self, chain: ChainState, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.chain = chain
        self.model = ChainModel()
        self.underlying = QComboBox(self)
        self.underlying.setObjectName("chain_underlying")
        self.underlying.addItems(chain.catalog.underlyings())
        self.underlying.setCurrentText(chain.underlying)
        self.expiries = QTabBar(self)
        self.expiries.setObjectName("chain_expiries")
        self.expiries.setExpanding(False)
        self.expiries.setDrawBase(False)
        self.width_box = QSpinBox(self)
        self.width_box.setObjectName("chain_width")
        self.width_box.setRange(MIN_WIDTH, MAX_WIDTH)
        self.width_box.setValue(chain.width)
        self.width_box.setPrefix("± ")
        self.width_box.setSuffix(" strikes")
        self.greeks_box = QCheckBox("Greeks", self)
        self.greeks_box.setObjectName("chain_greeks")
        theme.clear_indicator(self.greeks_box)
        self.info = ElidedLabel("", self)  # a long info line elides (whole in the tooltip), never widens the dock
        self.info.setObjectName("chain_info")
        self.info.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.table = ChainTable(self)
        self.table.setObjectName("chain_table")
        self.table.setModel(self.model)
        self.table.setItemDelegate(ChainDelegate(self.model, self.table))
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setTabKeyNavigation(False)  # arrows move inside; Tab / Shift+Tab go on to the next pane
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectItems)
        self.table.verticalHeader().setVisible(False)
        self.table.verticalHeader().setDefaultSectionSize(21)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        header.setMinimumSectionSize(66)  # a narrow dock scrolls sideways instead of eliding prices to "2..."
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setToolTip("Click a leg's LTP, double-click or Enter: buy · Shift+Enter: sell · F1/F2 as everywhere")
        self.underlying.setAccessibleName("Chain underlying")
        self.expiries.setAccessibleName("Chain expiry")
        self.width_box.setAccessibleName("Strikes shown each side of the ATM strike")
        self.greeks_box.setAccessibleDescription("Show gamma, theta and vega columns")
        self.table.setAccessibleName("Option chain")
        self.table.setAccessibleDescription(
            "Calls left of the strike, puts right. The ATM strike is marked ▸ ◂ and tinted; in-the-money legs are "
            "hatched. Enter buys, Shift+Enter sells the leg under the cursor.")
        header.setAccessibleName("Option chain columns")

        top = QHBoxLayout()
        top.addWidget(self.underlying)
        top.addWidget(self.expiries, 1)
        top.addWidget(self.width_box)
        top.addWidget(self.greeks_box)
        legend = QHBoxLayout()
        calls, puts = QLabel("<b>CALLS</b>", self), QLabel("<b>PUTS</b>", self)
        puts.setAlignment(Qt.AlignmentFlag.AlignRight)
        legend.addWidget(calls)
        legend.addWidget(self.info, 1)
        legend.addWidget(puts)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(top)
        layout.addLayout(legend)
        layout.addWidget(self.table, 1)

        self._fill_expiries()
        self.underlying.currentTextChanged.connect(self._underlying_changed)
        self.expiries.currentChanged.connect(self._expiry_changed)
        self.width_box.valueChanged.connect(self._width_changed)
        self.greeks_box.toggled.connect(self._greeks_toggled)
        self.table.doubleClicked.connect(lambda index: self._trade_at(index.row(), index.column(), True))
        self.table.clicked.connect(self._clicked)
        self.table.tradeKey.connect(self.trade_current)
        self.table.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.table.customContextMenuRequested.connect(self._menu)
        self.held: Callable[[str], int] = lambda _token: 0  # a leg's open net quantity (the commands give it)
        self._last_atm: int | None = None
        theme.follow(self, self.refresh)  # the ATM / ITM tints and the change colours of the new theme
        self.refresh()

    # ------------------------------------------------------------------ pickers
    def _fill_expiries(self) -> None:
        self.expiries.blockSignals(True)
        while self.expiries.count():
            self.expiries.removeTab(0)
        today = now_ist().date()
        for expiry in self.chain.expiries():
            days = (expiry - today).days
            self.expiries.addTab(f"{expiry.day:02d} {expiry.strftime('%b').upper()} · {days}d")
            self.expiries.setTabData(self.expiries.count() - 1, expiry)
        current = self.chain.expiries().index(self.chain.expiry)
        self.expiries.setCurrentIndex(current)
        self.expiries.blockSignals(False)

    def listen_to(self, due: SignalInstance) -> None:
        """Repaint on the chains' beat (``due(tokens ticked since the last one)``, 1 Hz) when one of this chain's
        tokens ticked; Qt disconnects the panel when it is destroyed."""
        due.connect(self._due)

    def _due(self, dirty: frozenset[str]) -> None:
        if not dirty.isdisjoint(self.chain.tokens):
            self.refresh()

    def _underlying_changed(self, name: str) -> None:
        if not name or name == self.chain.underlying:
            return
        self.chain.set_underlying(name)
        self._fill_expiries()
        self._last_atm = None
        self.refresh()

    def _expiry_changed(self, index: int) -> None:
        expiry = self.expiries.tabData(index)
        if isinstance(expiry, date) and expiry != self.chain.expiry:
            self.chain.set_expiry(expiry)
            self._last_atm = None
            self.refresh()

    def _width_changed(self, value: int) -> None:
        self.chain.set_width(value)
        self._last_atm = None
        self.refresh()

    def _greeks_toggled(self, on: bool) -> None:
        current = self.table.currentIndex()
        self.model.set_greeks(on)
        self._last_atm = None
        self.refresh()
        if current.isValid():
            self.table.setCurrentIndex(self.model.index(current.row(), self.model.strike_column))

    # ------------------------------------------------------------------ numbers
    def title(self) -> str:
        """Dock title, the expiry as the contract labels write it: ``NIFTY 8 DEC chain`` (``NIFTY 29 JUN 2027
        chain`` for another year's)."""
        e = self.chain.expiry
        year = "" if e.year == now_ist().year else f" {e.year}"
        return f"{self.chain.underlying} {e.day} {e.strftime('%b').upper()}{year} chain"

    def refresh(self, now: datetime | None = None) -> ChainView:
        """Recompute and repaint; keep the ATM row in view when it moved."""
        now = now or now_ist()
        view = self.chain.compute(now)
        self.model.set_view(view)
        spot = format_rupees(view.spot, symbol=False) if view.spot is not None else DASH
        if view.forward is not None:
            fwd = f"{format_rupees(view.forward.price, symbol=False)} ({view.forward.source})"
        else:
            fwd = DASH
        e = view.expiry  # the expiry as the contract labels write it: "8 DEC" (the year when it is not this one)
        expiry = f"{e.day} {e.strftime('%b').upper()}" + ("" if e.year == now.year else f" {e.year}")
        self.info.setText(f"{view.underlying} {spot} · forward {fwd} · {view.days} days to expiry {expiry}")
        atm_row = self.model.atm_row()
        if atm_row is not None and (view.atm != self._last_atm):
            self._last_atm = view.atm
            self.table.scrollTo(self.model.index(atm_row, self.model.strike_column),
                                QAbstractItemView.ScrollHint.PositionAtCenter)
            if not self.table.currentIndex().isValid():
                self.table.setCurrentIndex(self.model.index(atm_row, self.model.strike_column))
        parent = self.parentWidget()
        if isinstance(parent, QDockWidget):
            parent.setWindowTitle(self.title())
        return view

    # ------------------------------------------------------------------ trading
    def current_token(self) -> str | None:
        """The option under the cursor (the call when the cursor is on the strike)."""
        index = self.table.currentIndex()
        if not index.isValid():
            return None
        _kind, leg = self.model.leg_at(index.row(), index.column())
        return leg.token if leg is not None else None

    def trade_current(self, buy: bool) -> None:
        """Enter / Shift+Enter / F1 / F2."""
        index = self.table.currentIndex()
        if index.isValid():
            self._trade_at(index.row(), index.column(), buy)

    def _clicked(self, index: QModelIndex) -> None:
        """A click on a leg's price opens its ticket (as a click on a price does in Kite's chain); a click anywhere
        else only moves the cursor, so browsing the chain never opens tickets."""
        if self.model.field_at(index.column()) == "LTP":
            self._trade_at(index.row(), index.column(), True)

    def menu_actions(self, row: int, column: int) -> list[QAction]:
        """The context menu of a cell: buy / sell the leg, and — for a leg held — "Add stop / target…" on it and
        one combined stop on all the underlying's option legs (both held by this app, as the positions say)."""
        _kind, leg = self.model.leg_at(row, column)
        actions: list[QAction] = []
        if leg is None:
            return actions
        token = leg.token
        for text, side in (("Buy", "B"), ("Sell", "S")):
            buy = QAction(text, self)
            buy.triggered.connect(lambda _c=False, s=side: self.tradeRequested.emit(token, s))
            actions.append(buy)
        net = self.held(token)
        protect = QAction("Add stop / target… (held by this app)", self)
        protect.setEnabled(bool(net))
        protect.triggered.connect(lambda: self.protectRequested.emit(token))
        legs = QAction(f"Combined stop on {self.chain.underlying} option legs… (held by this app)", self)
        legs.triggered.connect(lambda: self.legsProtectRequested.emit(self.chain.underlying))
        return [*actions, protect, legs]

    def _menu(self, pos: QPoint) -> None:
        index = self.table.indexAt(pos)
        if not index.isValid() or not (actions := self.menu_actions(index.row(), index.column())):
            return
        menu = QMenu(self.table)
        menu.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose, True)
        for action in actions:
            action.setParent(menu)
            menu.addAction(action)
        menu.popup(self.table.viewport().mapToGlobal(pos))

    def _trade_at(self, row: int, column: int, buy: bool) -> None:
        _kind, leg = self.model.leg_at(row, column)
        if leg is not None:
            self.tradeRequested.emit(leg.token, "B" if buy else "S")


class ChainDock(QDockWidget):
    """A dock holding one chain; closing it releases the chain (``closed`` tells the owner)."""

    closed = Signal(object)  # the ChainState

    def __init__(self, panel: ChainPanel, parent: QWidget | None = None) -> None:
        super().__init__(panel.title(), parent)
        self.panel = panel
        self.setWidget(panel)
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose, True)
        self._released = False

    def release(self) -> None:
        """Tell the owner once that this chain is gone."""
        if not self._released:
            self._released = True
            self.closed.emit(self.panel.chain)

    def closeEvent(self, event) -> None:  # type: ignore[no-untyped-def]
        self.release()
        super().closeEvent(event)
