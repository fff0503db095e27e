"""Price alerts UI: set one from the watchlist (crosses above / below a price), list and edit them in a small
dialog. The alerts themselves live in :mod:`airalgo_desktop.services.alerts`."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from ..domain.instruments import Master
from ..domain.money import format_rupees
from ..domain.nsetime import IST
from ..services.alerts import Alert, AlertBook, Direction
from .widgets import PriceSpin


def fired_time(alert: Alert, fmt: str = "%d %b %H:%M:%S") -> str:
    """When ``alert`` fired, in IST (``06 Dec 10:42:05``); "time unknown" for an alert a damaged file said had fired
    (kept fired so it never fires again); "" while it waits."""
    if alert.fired_at is None:
        return ""
    if alert.fired_at <= 0:
        return "time unknown"
    return datetime.fromtimestamp(alert.fired_at, IST).strftime(fmt)


class AlertDialog(QDialog):
    """Create or edit one alert; emits ``saved(Alert)``."""

    saved = Signal(object)

    def __init__(self, master: Master, token: str, ltp: int | None, parent: QWidget | None = None,
                 alert: Alert | None = None) -> None:
        super().__init__(parent)
        inst = master.get(token)
        self.setWindowTitle(f"Price alert — {inst.display if inst else token}")
        self.token = token
        self.alert = alert
        self.direction = QComboBox(self)
        self.direction.addItem("Crosses above", Direction.ABOVE.value)
        self.direction.addItem("Crosses below", Direction.BELOW.value)
        self.price = PriceSpin(self, tick=inst.tick_size if inst else 5)
        self.note = QLineEdit(self)
        if alert is not None:
            self.direction.setCurrentIndex(0 if alert.direction is Direction.ABOVE else 1)
            self.price.setValue(alert.price)
            self.note.setText(alert.note)
        elif ltp:
            self.price.setValue(ltp)
        form = QFormLayout()
        form.addRow("When the price", self.direction)
        form.addRow("Price (₹)", self.price)
        form.addRow("Note", self.note)
        form.addRow("LTP now", QLabel(format_rupees(ltp) if ltp else "—", self))
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel,
                                   self)
        buttons.accepted.connect(self._save)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(buttons)

    def _save(self) -> None:
        if self.price.value() <= 0:
            return
        direction = Direction(self.direction.currentData())
        if self.alert is None:
            self.alert = Alert(self.token, direction, self.price.value(), self.note.text().strip())
        else:
            self.alert.direction, self.alert.price = direction, self.price.value()
            self.alert.note, self.alert.fired_at, self.alert.last = self.note.text().strip(), None, None
        self.saved.emit(self.alert)
        self.accept()


class AlertsModel(QAbstractTableModel):
    """The alert list."""

    COLUMNS = ("Symbol", "Condition", "Price", "Note", "Status")

    def __init__(self, book: AlertBook, master: Master) -> None:
        super().__init__()
        self.book = book
        self.master = master

    def reload(self) -> None:
        """Show the book's current alerts."""
        self.beginResetModel()
        self.endResetModel()

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.book.alerts)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.COLUMNS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole):
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return self.COLUMNS[section]
        return None

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole):
        if role != Qt.ItemDataRole.DisplayRole:
            return None
        alert = self.book.alerts[index.row()]
        inst = self.master.get(alert.token)
        return (inst.display if inst else alert.token, f"crosses {alert.direction.value}",
                format_rupees(alert.price), alert.note,
                f"fired {fired_time(alert)}" if alert.fired_at is not None else "waiting")[index.column()]


class AlertsDialog(QDialog):
    """List alerts; edit (double-click) or delete them. The book is only read here: an edit is ``edited(id,
    Alert)``, a deletion ``deleted(ids)`` — the desk's alert watch changes and saves the book."""

    edited = Signal(str, object)  # the alert's id, its new version
    deleted = Signal(list)  # alert ids

    def __init__(self, book: AlertBook, master: Master, ltp_of, parent: QWidget | None = None) -> None:  # type: ignore[no-untyped-def]
        super().__init__(parent)
        self.setWindowTitle("Price alerts")
        self.book, self.master, self.ltp_of = book, master, ltp_of
        self.model = AlertsModel(book, master)
        self.view = QTableView(self)
        self.view.setModel(self.model)
        self.view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.view.verticalHeader().setVisible(False)
        self.view.horizontalHeader().setSectionResizeMode(3, QHeaderView.ResizeMode.Stretch)
        self.view.doubleClicked.connect(self._edit)
        delete = QPushButton("Delete", self)
        delete.clicked.connect(self._delete)
        close = QPushButton("Close", self)
        close.clicked.connect(self.close)
        row = QHBoxLayout()
        row.addWidget(delete)
        row.addStretch(1)
        row.addWidget(close)
        layout = QVBoxLayout(self)
        layout.addWidget(self.view)
        layout.addLayout(row)
        self.resize(560, 320)

    def _edit(self, index: QModelIndex) -> None:
        alert = self.book.alerts[index.row()]
        dialog = AlertDialog(self.master, alert.token, self.ltp_of(alert.token), self, replace(alert))
        dialog.saved.connect(lambda new, i=alert.id: (self.edited.emit(i, new), self.model.reload()))
        dialog.open()

    def _delete(self) -> None:
        rows = sorted({i.row() for i in self.view.selectionModel().selectedRows()})
        self.deleted.emit([self.book.alerts[row].id for row in rows])
        self.model.reload()
