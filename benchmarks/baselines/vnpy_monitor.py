"""A vnpy-style tick monitor, written as a careful engineer would write that style (vnpy/trader/ui/widget.py,
``BaseMonitor``): every tick is delivered as its own queued Qt signal; the monitor looks up the row and calls
``setText`` on each cell whose text changed. Sorting is off (the careful version: vnpy re-sorts per tick).
It formats the same columns as our watchlist so both do the same work per tick."""

from __future__ import annotations

from datetime import datetime

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QAbstractItemView, QTableWidget, QTableWidgetItem

from airalgo_desktop.domain.money import format_rupees, percent_change_bp
from airalgo_desktop.domain.nsetime import IST

HEADERS = ("Symbol", "LTP (₹)", "Change", "%Change", "LTQ", "LTT")


class VnpyStyleMonitor(QTableWidget):
    """One QTableWidgetItem per cell; ``signal_tick`` carries one (token, quote) per tick, queued."""

    signal_tick = Signal(object)

    def __init__(self, tokens: list[str], reference: dict[str, int]) -> None:
        super().__init__(len(tokens), len(HEADERS))
        self.setHorizontalHeaderLabels(HEADERS)
        self.setSortingEnabled(False)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.verticalHeader().setVisible(False)
        self.reference = reference
        self.cells: dict[str, list[QTableWidgetItem]] = {}
        self.processed = 0  # ticks taken in (the benchmark compares it with the ticks offered)
        for row, token in enumerate(tokens):
            items = [QTableWidgetItem(token if col == 0 else "") for col in range(len(HEADERS))]
            for col, item in enumerate(items):
                if col:
                    item.setTextAlignment(int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter))
                self.setItem(row, col, item)
            self.cells[token] = items
        self.signal_tick.connect(self.process_event, Qt.ConnectionType.QueuedConnection)

    def process_event(self, data: tuple[str, dict]) -> None:
        """Update one row from one tick (vnpy's ``update_old_row``)."""
        self.processed += 1
        token, quote = data
        items = self.cells.get(token)
        if items is None:
            return
        ltp = quote["ltp"]
        ref = self.reference.get(token, 0)
        bp = percent_change_bp(ltp, ref) or 0
        ltt = datetime.fromisoformat(quote["ltt"].replace("Z", "+00:00")).astimezone(IST).strftime("%H:%M:%S")
        texts = (format_rupees(ltp, symbol=False), format_rupees(ltp - ref, symbol=False, sign=True),
                 f"{bp / 100:+.2f}%", f"{quote['ltq']:,}", ltt)
        for item, text in zip(items[1:], texts, strict=True):
            if item.text() != text:
                item.setText(text)
