"""The contract label in a table cell: a delegate that fits :func:`~airalgo_desktop.domain.labels.fit_label` to the
cell's width (the underlying's name shortened first, then the year; never the strike, CE/PE or the expiry day),
used by the order book and the positions (the watchlist has its own painter, same fit).

A model opts in by answering :data:`PARTS_ROLE` on its symbol column with the row's
:class:`~airalgo_desktop.domain.labels.LabelParts` (None: the cell's text is painted as it is).
"""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QFont, QFontMetrics, QPainter
from PySide6.QtWidgets import QApplication, QStyle, QStyledItemDelegate, QStyleOptionViewItem, QTableView, QWidget

from ..domain.instruments import Instrument
from ..domain.labels import LabelParts, contract_label, fit_label
from ..domain.nsetime import now_ist

PARTS_ROLE = int(Qt.ItemDataRole.UserRole.value) + 40
CELL_MARGIN = 12  # the style's text margins each side and a pixel of slack


def label(inst: Instrument) -> str:
    """The contract label for titles and messages: ``NIFTY 8 DEC 23500 CE`` (the year when it is not this one)."""
    return contract_label(inst, now_ist().year)


class ContractLabelDelegate(QStyledItemDelegate):
    """Paints a symbol cell with the contract label fitted to the cell; other cells as Qt does."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._cache: dict[tuple[LabelParts, int, str], str] = {}

    def fitted(self, index: QModelIndex | QPersistentModelIndex, width: int, font: QFont) -> str:
        """What the cell at ``index`` shows when ``width`` px wide in ``font``."""
        parts = index.data(PARTS_ROLE)
        text = str(index.data(Qt.ItemDataRole.DisplayRole) or "")
        if not isinstance(parts, LabelParts):
            return text
        key = (parts, width, font.key())
        label = self._cache.get(key)
        if label is None:
            if len(self._cache) > 2048:
                self._cache.clear()
            label = self._cache[key] = fit_label(parts, width - CELL_MARGIN, QFontMetrics(font).horizontalAdvance)
        return label

    def initStyleOption(self, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex) -> None:
        super().initStyleOption(option, index)
        if isinstance(index.data(PARTS_ROLE), LabelParts):
            option.text = self.fitted(index, option.rect.width(), option.font)

    def paint(self, painter: QPainter, option: QStyleOptionViewItem,  # type: ignore[override]
              index: QModelIndex | QPersistentModelIndex) -> None:
        opt = QStyleOptionViewItem(option)
        self.initStyleOption(opt, index)
        widget = opt.widget  # type: ignore[attr-defined]
        style = widget.style() if widget is not None else QApplication.style()
        style.drawControl(QStyle.ControlElement.CE_ItemViewItem, opt, painter, widget)


def displayed_labels(view: QTableView, column: int) -> list[str]:
    """The label each row of ``view`` shows in ``column`` at its current width (the screen-fit tests read the
    trader's view back through this)."""
    model = view.model()
    delegate = view.itemDelegateForColumn(column)
    out = []
    for row in range(model.rowCount()):
        index = model.index(row, column)
        if isinstance(delegate, ContractLabelDelegate):
            out.append(delegate.fitted(index, view.columnWidth(column), view.font()))
        else:
            out.append(str(index.data() or ""))
    return out
