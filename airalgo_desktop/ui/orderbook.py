"""The order book: one row per order (keyed by local id), filters Open / Executed / Rejected / All, sortable,
copyable, exportable as CSV."""

from __future__ import annotations

import csv
import enum
import io
from collections.abc import Callable
from datetime import date
from pathlib import Path

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QPersistentModelIndex,
    QSortFilterProxyModel,
    QStandardPaths,
    Qt,
    Signal,
)
from PySide6.QtGui import QGuiApplication, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QButtonGroup,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMenu,
    QRadioButton,
    QStyle,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from ..desk.notices import OrderChanged
from ..domain.instruments import Master
from ..domain.labels import contract_label, label_parts, quantity_text
from ..domain.money import format_plain, format_rupees
from ..domain.nsetime import IST, now_ist
from ..domain.orders import CheckedOutcome, OrderRecord, OrderStatus, Side
from ..domain.wording import plural
from . import theme
from .labels import PARTS_ROLE, ContractLabelDelegate
from .listening import NoticeSource, listen
from .widgets import PriceSpin

COLUMNS = ("Time", "Symbol", "Side", "Type", "Qty", "Price", "Trigger", "Exec. price", "Status", "Message",
           "Order no.", "Latency")
TIME, SYMBOL, SIDE, TYPE, QTY, PRICE, TRIGGER, EXEC, STATUS, MESSAGE, NUMBER, LATENCY = range(len(COLUMNS))
CANCEL_UNAVAILABLE = "Cancel / modify — not available (the AirAlgo API has no cancel or modify)"
CANCEL_HELP = ("AirAlgo can place orders but cannot cancel or modify them. Cancel or modify this order in your "
               "broker's terminal. Trade → Kill switch… lists the open orders it cannot cancel.")
RECORD_ROLE = Qt.ItemDataRole.UserRole + 1
SORT_ROLE = Qt.ItemDataRole.UserRole + 2
NUMERIC = {QTY, PRICE, TRIGGER, EXEC, LATENCY}


class OrderFilter(enum.Enum):
    """The order book's filter buttons."""

    OPEN = "Open"
    EXECUTED = "Executed"
    REJECTED = "Rejected"
    ALL = "All"

    def accepts(self, record: OrderRecord) -> bool:
        """Whether ``record`` shows under this filter (an order the trader marked as checked is not open)."""
        if self is OrderFilter.ALL:
            return True
        if self is OrderFilter.OPEN:
            return record.is_open
        return record.status.value == self.value


def _latency_text(record: OrderRecord) -> str:
    """``12 / 205 ms`` (Send → Pending / Send → final): measured now, or as the journal kept it from an earlier run."""
    parts = [f"{ms:.0f}" for ms in (record.pending_ms, record.final_ms) if ms is not None]
    return " / ".join(parts) + " ms" if parts else ""


def status_text(record: OrderRecord) -> str:
    """The Status cell: the exchange's answer; *Checked: …* for the trader's own statement while the exchange is
    silent (never dressed as an answer); *Expired (day order)*; *Unknown — not confirmed*."""
    if record.settled_by_trader and record.checked is not None:
        return f"Checked: {record.checked.outcome.label}"
    if record.status is OrderStatus.UNKNOWN:
        return "Unknown — not confirmed"
    if record.status is OrderStatus.EXPIRED:
        return "Expired (day order)"
    if record.status is OrderStatus.PENDING and record.request.kind.needs_trigger:
        return "Trigger pending"  # a stop-loss at the exchange waits for its trigger (Kite: TRIGGER PENDING)
    return record.status.value


def message_text(record: OrderRecord) -> str:
    """The Message cell, with the trader's statement where there is one (and after an exchange answer replaced it,
    what it had said)."""
    check = record.checked
    if check is None:
        return record.message
    if record.settled_by_trader:
        return f"{check.describe()} (your statement, not an exchange answer)"
    return f"{record.message} · replaces your check ({check.describe().removeprefix('Checked by you: ')})"


class OrderBookModel(QAbstractTableModel):
    """Rows in arrival order; the proxy sorts (newest first by default) and filters."""

    def __init__(self, master: Master | None = None) -> None:
        super().__init__()
        self._records: list[OrderRecord] = []
        self._row: dict[str, int] = {}
        self.master = master  # the contract label and lot size of each order's token, where the master knows it
        self._year = now_ist().year
        self.origin: Callable[[str], str] | None = None  # who sent an order, when not the trader (a fired stop)

    @property
    def records(self) -> list[OrderRecord]:
        """Every order shown, in arrival order."""
        return list(self._records)

    def upsert(self, record: OrderRecord) -> None:
        """Add a new order or repaint an existing one."""
        row = self._row.get(record.local_id)
        if row is None:
            row = len(self._records)
            self.beginInsertRows(QModelIndex(), row, row)
            self._records.append(record)
            self._row[record.local_id] = row
            self.endInsertRows()
        else:
            self._records[row] = record
            self.dataChanged.emit(self.index(row, 0), self.index(row, len(COLUMNS) - 1))

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._records)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole):
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return COLUMNS[section]
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.ToolTipRole and section == LATENCY:
            return "Send → Pending / Send → Executed or Rejected, in milliseconds"
        return None

    def text(self, record: OrderRecord, col: int) -> str:
        """Display text of one cell (also used for copy and CSV)."""
        req = record.request
        if col == TIME:  # an order of an earlier day (an expired Day order) says which day
            created = record.created.astimezone(IST)
            return created.strftime("%H:%M:%S" if created.date() == now_ist().date() else "%d %b %H:%M:%S")
        inst = self.master.get(req.token) if self.master is not None and col in (SYMBOL, QTY) else None
        if col == SYMBOL:  # the one contract label (the record keeps the name it was sent with, for the CSV)
            return contract_label(inst, self._year) if inst is not None else record.symbol
        if col == SIDE:
            return req.side.label
        if col == TYPE:
            return req.kind.label
        if col == QTY:
            return quantity_text(req.quantity, inst.lot_size) if inst is not None and inst.is_derivative else \
                f"{req.quantity:,}"
        if col == PRICE:
            return format_rupees(req.price, symbol=False) if req.price else "Market" if not req.kind.needs_price else ""
        if col == TRIGGER:
            return format_rupees(req.trigger_price, symbol=False) if req.trigger_price else ""
        if col == EXEC:
            price = record.executed_price if record.status is OrderStatus.EXECUTED else record.fill_price
            return format_rupees(price, symbol=False) if price else ""
        if col == STATUS:
            return status_text(record)
        if col == MESSAGE:
            return message_text(record)
        if col == NUMBER:
            return record.order_number or ""
        if col == LATENCY:
            return _latency_text(record)
        return ""

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole):
        record = self._records[index.row()]
        col = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return self.text(record, col)
        if role == Qt.ItemDataRole.ForegroundRole:
            if col == STATUS:  # a trader's check keeps the Unknown colour: not confirmed by the exchange
                return theme.STATUS_COLORS.get(record.status.value)
            if col == SIDE:
                return theme.BUY_INK if record.request.side is Side.BUY else theme.SELL_INK  # text: 4.5:1
            return None
        if role == Qt.ItemDataRole.TextAlignmentRole:
            align = Qt.AlignmentFlag.AlignRight if col in NUMERIC else Qt.AlignmentFlag.AlignLeft
            return int(align | Qt.AlignmentFlag.AlignVCenter)
        if role == Qt.ItemDataRole.ToolTipRole:
            origin = self.origin(record.local_id) if self.origin is not None else ""
            return " → ".join(record.history) + (f"\n{record.message}" if record.message else "") \
                + (f"\n{origin}" if origin else "")
        if role == RECORD_ROLE:
            return record
        if role == PARTS_ROLE and col == SYMBOL and self.master is not None:
            inst = self.master.get(record.request.token)
            return label_parts(inst, self._year) if inst is not None else None
        if role == SORT_ROLE:
            req = record.request
            return {TIME: record.created.timestamp(), QTY: req.quantity, PRICE: req.price,
                    TRIGGER: req.trigger_price, EXEC: record.executed_price,
                    LATENCY: record.final_ms or 0.0}.get(col, self.text(record, col))
        return None

    def to_csv(self, records: list[OrderRecord] | None = None) -> str:
        """CSV text with plain numbers (rupees with two decimals) for spreadsheets."""
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(["date", "time", "symbol", "token", "side", "type", "quantity", "price", "trigger",
                         "executed_price", "status", "message", "order_number", "local_id", "trader_check"])
        for r in records if records is not None else self._records:
            req = r.request
            created = r.created.astimezone(IST)
            # blank, not 0.00, where there is no such price: a market order has no price of its own, and a
            # pending or rejected order has no execution (a spreadsheet would otherwise sum zeros as prices)
            price = format_plain(req.price) if req.kind.needs_price and req.price else ""
            trigger = format_plain(req.trigger_price) if req.kind.needs_trigger and req.trigger_price else ""
            executed = format_plain(r.executed_price) if r.status is OrderStatus.EXECUTED and r.executed_price else ""
            writer.writerow([created.date().isoformat(), created.strftime("%H:%M:%S"), r.symbol, req.token,
                             req.side.label, req.kind.label, req.quantity, price, trigger, executed, r.status.value,
                             r.message, r.order_number or "", r.local_id,
                             r.checked.describe() if r.checked is not None else ""])
        return out.getvalue()


def default_export_path(today: date | None = None) -> Path:
    """Where File → Export order book proposes to save: ``orders-YYYYMMDD.csv`` in the Documents folder when it
    exists, else in the home folder. Nothing is created: a folder the trader never made is not made for them."""
    docs = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.DocumentsLocation)
    folder = Path(docs) if docs and Path(docs).is_dir() else Path.home()
    return folder / f"orders-{(today or now_ist().date()):%Y%m%d}.csv"


class OrderFilterProxy(QSortFilterProxyModel):
    """Filters by :class:`OrderFilter`; sorts on raw values."""

    def __init__(self, source: OrderBookModel) -> None:
        super().__init__()
        self.mode = OrderFilter.ALL
        self.setSourceModel(source)
        self.setSortRole(SORT_ROLE)
        self.setDynamicSortFilter(True)

    def set_mode(self, mode: OrderFilter) -> None:
        """Show only orders matching ``mode``."""
        if hasattr(self, "beginFilterChange"):  # Qt 6.9+: the non-deprecated way
            self.beginFilterChange()
            self.mode = mode
            self.endFilterChange()
        else:
            self.mode = mode
            self.invalidateFilter()

    def filterAcceptsRow(self, row: int, parent: QModelIndex | QPersistentModelIndex) -> bool:
        record = self.sourceModel().index(row, 0, parent).data(RECORD_ROLE)
        return record is not None and self.mode.accepts(record)


class MarkCheckedDialog(QDialog):
    """"Mark as checked…" on an Unknown order: what the trader found out elsewhere, with a note. Emits
    ``checked(local_id, outcome, price, note)``; opened with ``open()``."""

    checked = Signal(str, str, int, str)

    def __init__(self, record: OrderRecord, ltp: int | None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("mark_checked_dialog")
        self.setWindowTitle("Mark as checked")
        self.record = record
        req = record.request
        intro = QLabel(
            f"<b>{req.side.label} {req.quantity:,} {record.symbol}</b> ({req.kind.label}, sent "
            f"{record.created.astimezone(IST):%d %b %H:%M:%S}) has no answer from the exchange, and AirAlgo cannot "
            "be asked about it. What did you find out (broker app, exchange, phone)?<br><small>This is kept as "
            "<i>your statement</i>, not as an exchange answer; if the exchange answers later, its answer is shown "
            "and counted instead.</small>", self)
        intro.setWordWrap(True)
        self.outcomes = QButtonGroup(self)
        form = QFormLayout()
        for outcome in CheckedOutcome:
            button = QRadioButton(outcome.label, self)
            button.setObjectName(f"checked_{outcome.value}")
            self.outcomes.addButton(button)
            button.setProperty("outcome", outcome.value)
            form.addRow(button)
        self.price = PriceSpin(self, label="Executed price")
        self.price.setObjectName("checked_price")
        inst_price = req.price if req.kind.needs_price else 0
        self.price.setValue(inst_price or ltp or 0)
        form.addRow("Executed at (₹)", self.price)
        self.note = QLineEdit(self)
        self.note.setObjectName("checked_note")
        self.note.setPlaceholderText("e.g. seen in the broker's order book at 10:42")
        form.addRow("Note", self.note)
        self.problem = QLabel(self)
        self.problem.setStyleSheet(f"color: {theme.SELL_INK.name()};")
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel,
                                        self)
        self.buttons.accepted.connect(self._save)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addLayout(form)
        layout.addWidget(self.problem)
        layout.addWidget(self.buttons)
        self.outcomes.buttonToggled.connect(self._update)
        self.price.edited.connect(self._update)
        self._update()
        self.setMinimumWidth(420)

    def outcome(self) -> CheckedOutcome | None:
        """The outcome picked, if any."""
        button = self.outcomes.checkedButton()
        return CheckedOutcome(button.property("outcome")) if button is not None else None

    def _problem(self) -> str:
        outcome = self.outcome()
        if outcome is None:
            return "Pick what happened to the order."
        if outcome is CheckedOutcome.EXECUTED:
            return self.price.problem() or ("" if self.price.value() > 0 else "Enter the price it was executed at.")
        return ""

    def _update(self, *_args: object) -> None:
        self.price.setEnabled(self.outcome() is CheckedOutcome.EXECUTED)
        problem = self._problem()
        self.problem.setText(problem)
        self.buttons.button(QDialogButtonBox.StandardButton.Save).setEnabled(not problem)

    def _save(self) -> None:
        outcome = self.outcome()
        if outcome is None or self._problem():
            return
        price = self.price.value() if outcome is CheckedOutcome.EXECUTED else 0
        self.checked.emit(self.record.local_id, outcome.value, price, self.note.text().strip())
        self.accept()


class OrderBookPanel(QWidget):
    """Filter buttons + the table; Ctrl+C copies the selected rows as tab-separated text; right-click an Unknown
    order to mark it as checked (``markCheckedRequested(local_id)``)."""

    markCheckedRequested = Signal(str)

    def __init__(self, model: OrderBookModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model = model
        self.proxy = OrderFilterProxy(model)
        self.view = QTableView(self)
        self.view.setObjectName("order_book_view")
        self.view.setAccessibleName("Order book")
        self.view.horizontalHeader().setAccessibleName("Order book columns")
        self.view.setModel(self.proxy)
        self.view.setSortingEnabled(True)
        self.view.sortByColumn(TIME, Qt.SortOrder.DescendingOrder)
        self.view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.view.setAlternatingRowColors(True)
        self.view.setShowGrid(False)
        self.view.setWordWrap(False)
        self.view.setTabKeyNavigation(False)  # arrows move inside; Tab / Shift+Tab go on to the next pane
        self.view.verticalHeader().setVisible(False)
        header = self.view.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(False)
        header.setSectionResizeMode(MESSAGE, QHeaderView.ResizeMode.Stretch)
        metrics = self.view.fontMetrics()
        status = metrics.horizontalAdvance("Unknown — not confirmed") + 16  # the longest status
        when = metrics.horizontalAdvance("28 Nov 15:29:59") + 16  # an earlier day's order carries its date
        # the widths were set for a 9 pt font at 96 dpi (14 px lines): a larger font (144 dpi without scaling, a
        # bigger system font) widens them, and no column is narrower than its title
        grow = max(1.0, metrics.height() / 14)
        title_room = 2 * header.style().pixelMetric(QStyle.PixelMetric.PM_HeaderMargin) + 6
        symbol = metrics.horizontalAdvance("NIFTY 26 NOV 23500 CE") + 16  # the contract label whole
        quantity = metrics.horizontalAdvance("10 lots · 6,500") + 16  # F&O in lots and units
        self.view.setItemDelegateForColumn(SYMBOL, ContractLabelDelegate(self.view))
        for col, width in ((TIME, when), (SYMBOL, symbol), (SIDE, round(40 * grow)),
                           (TYPE, round(52 * grow)), (QTY, quantity), (PRICE, round(78 * grow)),
                           (TRIGGER, round(64 * grow)), (EXEC, round(78 * grow)), (STATUS, status),
                           (NUMBER, round(128 * grow)), (LATENCY, round(84 * grow))):
            title = str(model.headerData(col, Qt.Orientation.Horizontal) or "")
            header.resizeSection(col, max(width, header.fontMetrics().horizontalAdvance(title) + title_room))
        self.view.verticalHeader().setDefaultSectionSize(max(22, metrics.height() + 8))
        # Status right after Qty on screen (the model, CSV and copy keep their order): in the default layout the
        # dock is ~650 px wide and a status at the far right was cut to "Pendin" / "Unknown —"
        header.moveSection(header.visualIndex(STATUS), header.visualIndex(PRICE))
        self.filters = QButtonGroup(self)
        bar = QHBoxLayout()
        bar.setContentsMargins(0, 0, 0, 0)
        for mode in OrderFilter:
            button = QRadioButton(mode.value, self)
            button.setObjectName(f"order_filter_{mode.name.lower()}")
            theme.clear_indicator(button)
            self.filters.addButton(button)
            button.toggled.connect(lambda on, m=mode: on and self.proxy.set_mode(m))
            bar.addWidget(button)
            if mode is OrderFilter.ALL:
                button.setChecked(True)
        bar.addStretch(1)
        self.summary = QLabel(self)
        bar.addWidget(self.summary)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 2, 4, 4)
        layout.addLayout(bar)
        layout.addWidget(self.view)
        copy = QShortcut(QKeySequence(QKeySequence.StandardKey.Copy), self.view)
        copy.activated.connect(self.copy_selection)
        self.view.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.view.customContextMenuRequested.connect(self._context_menu)
        model.rowsInserted.connect(self._update_summary)
        model.dataChanged.connect(self._update_summary)


    def listen_to(self, desk: NoticeSource) -> None:
        """Show every order record the desk adds or changes, until this panel is destroyed."""
        listen(self, desk, {OrderChanged: lambda notice: self.model.upsert(notice.record)})
    def _update_summary(self, *_args: object) -> None:
        records = self.model.records
        open_count = sum(1 for r in records if r.is_open)
        self.summary.setText(f"{plural(len(records), 'order')} · {open_count} open")

    def record_at(self, row: int) -> OrderRecord | None:
        """The order shown in view row ``row``."""
        return self.proxy.index(row, 0).data(RECORD_ROLE)

    def _context_menu(self, pos) -> None:  # type: ignore[no-untyped-def]
        index = self.view.indexAt(pos)
        self.context_menu(self.record_at(index.row()) if index.isValid() else None).popup(
            self.view.viewport().mapToGlobal(pos))

    def context_menu(self, record: OrderRecord | None) -> QMenu:
        """The right-click menu for ``record`` (None: no row under the mouse)."""
        menu = QMenu(self.view)
        menu.setObjectName("order_book_menu")
        menu.setToolTipsVisible(True)
        if record is not None and record.is_open:
            # a trader looks here first to cancel or modify: say plainly that it cannot be done from this app
            cancel = menu.addAction(CANCEL_UNAVAILABLE)
            cancel.setEnabled(False)
            cancel.setToolTip(CANCEL_HELP)
            menu.addSeparator()
        mark = menu.addAction("Mark as checked…")
        unanswered = record is not None and record.status is OrderStatus.UNKNOWN
        mark.setEnabled(unanswered)
        mark.setToolTip("Record what you found out elsewhere about an order the exchange never answered")
        if record is not None and unanswered:
            local_id = record.local_id
            mark.triggered.connect(lambda: self.markCheckedRequested.emit(local_id))
        menu.addAction("Copy", self.copy_selection)
        return menu

    def copy_selection(self) -> str:
        """Copy the selected rows (visible columns) to the clipboard as TSV; returns the text."""
        rows = sorted({i.row() for i in self.view.selectionModel().selectedRows()})
        lines = ["\t".join(COLUMNS)]
        for row in rows:
            record = self.proxy.index(row, 0).data(RECORD_ROLE)
            lines.append("\t".join(self.model.text(record, c) for c in range(len(COLUMNS))))
        text = "\n".join(lines)
        QGuiApplication.clipboard().setText(text)
        return text

    def export_csv(self, path: Path) -> int:
        """Write every order to ``path``; returns the number of rows. UTF-8 with a byte-order mark: Excel on Windows
        reads a CSV without one in the ANSI code page, and "₹" or a non-English message comes out garbled."""
        records = self.model.records
        path.write_text(self.model.to_csv(records), encoding="utf-8-sig", newline="")
        return len(records)
