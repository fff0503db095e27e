"""The order book: one row per order (keyed by local id), filters Open / Executed / Rejected / All, sortable,
copyable, exportable as CSV."""

from __future__ import annotations

import csv
import enum
import io
from datetime import date
from pathlib import Path

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QPersistentModelIndex,
    QSortFilterProxyModel,
    QStandardPaths,
    Qt,
)
from PySide6.QtGui import QGuiApplication, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QButtonGroup,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QRadioButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from ..domain.money import format_plain, format_rupees
from ..domain.nsetime import IST, now_ist
from ..domain.orders import OrderRecord, OrderStatus, Side
from ..domain.wording import plural
from . import theme

COLUMNS = ("Time", "Symbol", "Side", "Type", "Qty", "Price", "Trigger", "Exec. price", "Status", "Message",
           "Order no.", "Latency")
TIME, SYMBOL, SIDE, TYPE, QTY, PRICE, TRIGGER, EXEC, STATUS, MESSAGE, NUMBER, LATENCY = range(len(COLUMNS))
RECORD_ROLE = Qt.ItemDataRole.UserRole + 1
SORT_ROLE = Qt.ItemDataRole.UserRole + 2
NUMERIC = {QTY, PRICE, TRIGGER, EXEC, LATENCY}


class OrderFilter(enum.Enum):
    """The order book's filter buttons."""

    OPEN = "Open"
    EXECUTED = "Executed"
    REJECTED = "Rejected"
    ALL = "All"

    def accepts(self, status: OrderStatus) -> bool:
        """Whether an order with ``status`` shows under this filter."""
        if self is OrderFilter.ALL:
            return True
        if self is OrderFilter.OPEN:
            return status.is_open
        return status.value == self.value


def _latency_text(record: OrderRecord) -> str:
    if record.sent_at is None:
        return ""
    parts = []
    if record.pending_at is not None:
        parts.append(f"{(record.pending_at - record.sent_at) * 1000:.0f}")
    if record.final_at is not None:
        parts.append(f"{(record.final_at - record.sent_at) * 1000:.0f}")
    return " / ".join(parts) + " ms" if parts else ""


class OrderBookModel(QAbstractTableModel):
    """Rows in arrival order; the proxy sorts (newest first by default) and filters."""

    def __init__(self) -> None:
        super().__init__()
        self._records: list[OrderRecord] = []
        self._row: dict[str, int] = {}

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
        if col == TIME:
            return record.created.astimezone(IST).strftime("%H:%M:%S")
        if col == SYMBOL:
            return record.symbol
        if col == SIDE:
            return req.side.label
        if col == TYPE:
            return req.kind.label
        if col == QTY:
            return f"{req.quantity:,}"
        if col == PRICE:
            return format_rupees(req.price, symbol=False) if req.price else "Market" if not req.kind.needs_price else ""
        if col == TRIGGER:
            return format_rupees(req.trigger_price, symbol=False) if req.trigger_price else ""
        if col == EXEC:
            return format_rupees(record.executed_price, symbol=False) if record.executed_price else ""
        if col == STATUS:
            return "Unknown — not confirmed" if record.status is OrderStatus.UNKNOWN else record.status.value
        if col == MESSAGE:
            return record.message
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
            if col == STATUS:
                return theme.STATUS_COLORS.get(record.status.value)
            if col == SIDE:
                return theme.BUY if record.request.side is Side.BUY else theme.SELL
            return None
        if role == Qt.ItemDataRole.TextAlignmentRole:
            align = Qt.AlignmentFlag.AlignRight if col in NUMERIC else Qt.AlignmentFlag.AlignLeft
            return int(align | Qt.AlignmentFlag.AlignVCenter)
        if role == Qt.ItemDataRole.ToolTipRole:
            return " → ".join(record.history) + (f"\n{record.message}" if record.message else "")
        if role == RECORD_ROLE:
            return record
        if role == SORT_ROLE:
            req = record.request
            return {TIME: record.created.timestamp(), QTY: req.quantity, PRICE: req.price,
                    TRIGGER: req.trigger_price, EXEC: record.executed_price,
                    LATENCY: (record.final_at or 0) - (record.sent_at or 0)}.get(col, self.text(record, col))
        return None

    def to_csv(self, records: list[OrderRecord] | None = None) -> str:
        """CSV text with plain numbers (rupees with two decimals) for spreadsheets."""
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(["date", "time", "symbol", "token", "side", "type", "quantity", "price", "trigger",
                         "executed_price", "status", "message", "order_number", "local_id"])
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
                             r.message, r.order_number or "", r.local_id])
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
        return record is not None and self.mode.accepts(record.status)


class OrderBookPanel(QWidget):
    """Filter buttons + the table; Ctrl+C copies the selected rows as tab-separated text."""

    def __init__(self, model: OrderBookModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model = model
        self.proxy = OrderFilterProxy(model)
        self.view = QTableView(self)
        self.view.setObjectName("order_book_view")
        self.view.setModel(self.proxy)
        self.view.setSortingEnabled(True)
        self.view.sortByColumn(TIME, Qt.SortOrder.DescendingOrder)
        self.view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.view.setAlternatingRowColors(True)
        self.view.setShowGrid(False)
        self.view.setWordWrap(False)
        self.view.verticalHeader().setVisible(False)
        self.view.verticalHeader().setDefaultSectionSize(22)
        header = self.view.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(False)
        header.setSectionResizeMode(MESSAGE, QHeaderView.ResizeMode.Stretch)
        for col, width in ((TIME, 64), (SYMBOL, 128), (SIDE, 40), (TYPE, 52), (QTY, 52), (PRICE, 78),
                           (TRIGGER, 64), (EXEC, 78), (STATUS, 92), (NUMBER, 128), (LATENCY, 84)):
            header.resizeSection(col, width)
        self.filters = QButtonGroup(self)
        bar = QHBoxLayout()
        bar.setContentsMargins(0, 0, 0, 0)
        for mode in OrderFilter:
            button = QRadioButton(mode.value, self)
            button.setObjectName(f"order_filter_{mode.name.lower()}")
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
        model.rowsInserted.connect(self._update_summary)
        model.dataChanged.connect(self._update_summary)

    def _update_summary(self, *_args: object) -> None:
        records = self.model.records
        open_count = sum(1 for r in records if r.is_open)
        self.summary.setText(f"{plural(len(records), 'order')} · {open_count} open")

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
        """Write every order to ``path``; returns the number of rows."""
        records = self.model.records
        path.write_text(self.model.to_csv(records), encoding="utf-8", newline="")
        return len(records)
