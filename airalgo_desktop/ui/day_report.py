"""File → Day report…: today's fills, P&L per instrument (live LTPs), the exchange's reported and the estimated
charges, net; earlier days from the journal; Export CSV… (UTF-8 with a BOM, so Excel shows ₹ intact).

The report itself is :mod:`airalgo_desktop.services.report` (pure, also the ``report`` command line); this module
gathers the desk's records (:func:`desk_report`) and shows the result.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

from PySide6.QtCore import QDate, Qt
from PySide6.QtWidgets import (
    QDateEdit,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from ..domain.money import format_rupees
from ..domain.nsetime import IST
from ..domain.orders import OrderRecord
from ..services import charges
from ..services.report import DayReport, build, reported_by_order, write_csv
from ..services.shadow import ShadowFill, ShadowSummary, read_shadow, summarise

COLUMNS = ["Instrument", "Fills", "Net qty", "LTP", "Realised", "Unrealised", "Charges (est.)", "Reported",
           "Net"]


def desk_report(desk: Any, day: date, today: date, shadow: Any = None) -> DayReport:
    """The report of ``day``: today's from the desk's own records with live LTPs, an earlier day from its journal
    (the journal's word as it stands, open quantity at cost). ``shadow`` (the shadow-fills part, live mode with
    shadow fills on) adds the day's slippage summed: :func:`shadow_summary`."""
    journal = desk.ledger.journal
    if day == today:
        records = [r for r in desk.ledger.records.values() if r.created.astimezone(IST).date() == day]
        ltps = {r.request.token: ltp for r in records if (ltp := desk.store.ltp(r.request.token))}
    else:
        rows = journal.orders_for(day) if journal is not None else []
        records = [OrderRecord.from_journal(j, None) for j in rows]
        for record, row in zip(records, rows, strict=True):
            record.status = row.status  # not relabelled "Unknown since restart": the report tells what is known
        ltps = {}
    events_for = getattr(journal, "events_for", None)
    reported = reported_by_order(events_for, (r.local_id for r in records)) if events_for is not None else {}
    report = build(day, records, desk.master.get, ltps, reported)
    if shadow is not None:
        report.shadow, unread = shadow_summary(shadow, day, {r.local_id for r in records} if day == today else None)
        if unread:
            report.notes.append(f"{unread} shadow-fill {'line was' if unread == 1 else 'lines were'} unreadable "
                                "and left out of the slippage.")
    return report


def shadow_summary(shadow: Any, day: date, today_ids: set[str] | None) -> tuple[ShadowSummary, int]:
    """The shadow slippage of ``day`` summed and the kept lines that could not be read: the pairs kept in
    ``shadow.keep`` for that day (earlier runs of the day too), and for today (``today_ids``: the local ids of
    today's records) this run's complete pairs as well — one the disk refused to keep still counts."""
    pairs: dict[str, ShadowFill] = {}
    unread = 0
    if shadow.keep is not None:
        try:
            kept, unread = read_shadow(shadow.keep, day)
        except OSError:  # an unreadable file: this run's pairs still count
            kept = []
        pairs.update((pair.local_id, pair) for pair in kept)
    if today_ids is not None:
        pairs.update((local_id, pair) for local_id, pair in shadow.fills.items()
                     if pair.complete and local_id in today_ids)
    return summarise(pairs.values()), unread


def _money(paisa: int | None, sign: bool = True) -> str:
    return "" if paisa is None else format_rupees(paisa, sign=sign)


class DayReportDialog(QDialog):
    """The day report of one day (today first); a date picker for earlier days; Export CSV…"""

    def __init__(self, load: Callable[[date], DayReport], today: date, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Day report")
        self.setObjectName("day_report_dialog")
        self._load = load
        self.report: DayReport | None = None
        self.date = QDateEdit(QDate(today.year, today.month, today.day), self)
        self.date.setObjectName("day_report_date")
        self.date.setCalendarPopup(True)
        self.date.setDisplayFormat("dd MMM yyyy")
        self.date.setMaximumDate(QDate(today.year, today.month, today.day))
        self.date.dateChanged.connect(lambda _d: self.refresh())
        self.summary = QLabel(self)
        self.summary.setObjectName("day_report_summary")
        self.summary.setWordWrap(True)
        self.shadow = QLabel(self)  # live mode with shadow fills: the day's slippage against the paper twins
        self.shadow.setObjectName("day_report_shadow")
        self.shadow.hide()
        self.table = QTableWidget(0, len(COLUMNS), self)
        self.table.setObjectName("day_report_table")
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.verticalHeader().hide()
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.table.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.notes = QLabel(self)
        self.notes.setObjectName("day_report_notes")
        self.notes.setWordWrap(True)
        self.notes.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        # the rates with their sources and dates: all there, scrolled, so the table keeps the room
        self.rates = QPlainTextEdit("Rates used:\n" + "\n".join(f"• {s}" for s in charges.sources()), self)
        self.rates.setObjectName("day_report_rates")
        self.rates.setReadOnly(True)
        self.rates.setMaximumHeight(96)
        self.export = QPushButton("Export CSV…", self)
        self.export.setObjectName("day_report_export")
        self.export.clicked.connect(self.ask_export)
        top = QHBoxLayout()
        top.addWidget(QLabel("Day:", self))
        top.addWidget(self.date)
        top.addStretch(1)
        top.addWidget(self.export)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.summary)
        layout.addWidget(self.shadow)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.notes)
        layout.addWidget(self.rates)
        layout.addWidget(buttons)
        self.resize(900, 500)
        self.refresh()

    @property
    def day(self) -> date:
        """The day shown."""
        d = self.date.date()
        return date(d.year(), d.month(), d.day())

    def refresh(self) -> None:
        """Build and show the report of the day picked."""
        try:
            report = self._load(self.day)
        except Exception as exc:  # a journal that cannot be read: one sentence, the dialog stays
            self.report = None
            self.table.setRowCount(0)
            self.summary.setText(f"The journal of {self.day:%d %b %Y} could not be read: {exc}")
            self.shadow.hide()
            self.export.setEnabled(False)
            return
        self.report = report
        self.export.setEnabled(bool(report.rows))
        self.summary.setText(f"{report.orders} orders, {report.rejected} rejected · {report.summary()}"
                             if report.orders else f"No orders on {report.day:%d %b %Y}.")
        self.shadow.setText(report.shadow.describe(total_ticks=True) if report.shadow is not None else "")
        self.shadow.setVisible(report.shadow is not None)
        self.table.setRowCount(len(report.rows) + (1 if report.rows else 0))
        for i, r in enumerate(report.rows):
            self._row(i, [r.label, str(len(r.fills)), str(r.position.net), _money(r.ltp, sign=False),
                          _money(r.realised), _money(r.unrealised), _money(r.charges.total, sign=False),
                          _money(r.reported, sign=False), _money(r.net)])
        if report.rows:
            self._row(len(report.rows), ["Total", str(sum(len(r.fills) for r in report.rows)), "", "",
                                         _money(sum(r.realised for r in report.rows)),
                                         _money(sum(r.unrealised for r in report.rows)),
                                         _money(report.charges.total, sign=False),
                                         _money(report.reported, sign=False), _money(report.net)], bold=True)
        self.table.resizeColumnsToContents()
        self.table.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.notes.setText("\n".join(report.notes))

    def _row(self, row: int, cells: list[str], bold: bool = False) -> None:
        for col, text in enumerate(cells):
            item = QTableWidgetItem(text)
            if col:
                item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            if bold:
                font = item.font()
                font.setBold(True)
                item.setFont(font)
            self.table.setItem(row, col, item)

    def ask_export(self) -> None:
        """Export CSV…: a save dialog (opened, not exec'd), then :meth:`export_to`."""
        dialog = QFileDialog(self, "Export day report")
        dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
        dialog.setNameFilter("CSV files (*.csv)")
        dialog.setDefaultSuffix("csv")
        dialog.selectFile(f"day-report-{self.day.isoformat()}.csv")
        dialog.fileSelected.connect(lambda path: self.export_to(Path(path)))
        dialog.open()

    def export_to(self, path: Path) -> bool:
        """Write the report shown as CSV (UTF-8 with a BOM); the outcome in one sentence under the table."""
        if self.report is None:
            return False
        try:
            write_csv(self.report, path)
        except OSError as exc:
            self.summary.setText(f"Could not write {path}: {exc.strerror or exc}")
            return False
        self.summary.setText(f"{self.report.summary()} · exported to {path}")
        return True
