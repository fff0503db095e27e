"""The look of a paper session: no screenshot of it can be taken for live.

:func:`apply_paper_look` is called once by the composition root in paper mode. It changes nothing of how the
window, the ticket or the order book work — it only adds: "PAPER" in front of every title (kept there when a title
changes), a coloured frame drawn over the window's edge, a PAPER badge first in the status bar, a PAPER strip at the
top of the ticket (so on its entry, confirmation and follow pages), "PAPER" in front of every order book row's
symbol and in the order book's tab.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QModelIndex, QObject, QPersistentModelIndex, Qt
from PySide6.QtGui import QColor, QPainter, QPen
from PySide6.QtWidgets import QLabel, QMainWindow, QStyledItemDelegate, QStyleOptionViewItem, QWidget

PAPER_COLOUR = "#d35400"  # burnt orange: no state colour of the app (green, red, amber, blue) looks like it
PAPER_PREFIX = "PAPER — "
FRAME_WIDTH = 5


def paper_title(title: str) -> str:
    """``"PAPER — <title>"`` (once)."""
    return title if title.startswith("PAPER") else PAPER_PREFIX + title


class _TitleKeeper(QObject):
    """Puts "PAPER — " back in front of a widget's title whenever the widget changes it."""

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.WindowTitleChange and isinstance(watched, QWidget):
            title = watched.windowTitle()
            if not title.startswith("PAPER"):
                watched.setWindowTitle(paper_title(title))
        return False


class PaperFrame(QWidget):
    """A coloured border drawn over the edge of its parent, following its size; clicks pass through it."""

    def __init__(self, parent: QWidget) -> None:
        super().__init__(parent)
        self.setObjectName("paper_frame")
        self.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
        self.setAttribute(Qt.WidgetAttribute.WA_NoSystemBackground)
        parent.installEventFilter(self)
        self.setGeometry(parent.rect())
        self.raise_()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.parent() and event.type() in (QEvent.Type.Resize, QEvent.Type.ChildAdded):
            self.setGeometry(self.parentWidget().rect())
            self.raise_()
        return False

    def paintEvent(self, _event: object) -> None:
        painter = QPainter(self)
        pen = QPen(QColor(PAPER_COLOUR))
        pen.setWidth(FRAME_WIDTH)
        pen.setJoinStyle(Qt.PenJoinStyle.MiterJoin)
        painter.setPen(pen)
        half = FRAME_WIDTH // 2
        painter.drawRect(self.rect().adjusted(half, half, -half - 1, -half - 1))
        painter.end()


class PaperSymbolDelegate(QStyledItemDelegate):
    """Shows "PAPER · " in front of a cell's text (the order book's symbol column)."""

    def initStyleOption(self, option: QStyleOptionViewItem,
                        index: QModelIndex | QPersistentModelIndex) -> None:
        super().initStyleOption(option, index)
        option.text = f"PAPER · {option.text}"  # type: ignore[attr-defined]


def badge(parent: QWidget, tooltip: str) -> QLabel:
    """The status bar's PAPER badge."""
    label = QLabel(" PAPER ", parent)
    label.setObjectName("paper_badge")
    label.setToolTip(tooltip)
    label.setStyleSheet(f"background: {PAPER_COLOUR}; color: white; font-weight: bold; border-radius: 3px;")
    return label


def apply_paper_look(window: QMainWindow, ticket: QWidget | None, describe: str) -> None:
    """Make ``window`` (and ``ticket``) unmistakably paper. ``describe``: the account in words (capital, fills)."""
    keeper = _TitleKeeper(window)
    window.setProperty("paper", True)
    window.setWindowTitle(paper_title(window.windowTitle()))
    window.installEventFilter(keeper)
    PaperFrame(window)
    window.statusBar().insertWidget(0, badge(window, f"Paper trading: {describe}. Orders never reach the exchange."))
    book = getattr(window, "order_book", None)
    view = getattr(book, "view", None)
    if view is not None:
        from .orderbook import SYMBOL

        view.setItemDelegateForColumn(SYMBOL, PaperSymbolDelegate(view))
    dock = getattr(window, "book_dock", None)
    if dock is not None:
        dock.setWindowTitle(f"{dock.windowTitle()} — PAPER")
    if ticket is not None:
        ticket.setWindowTitle(paper_title(ticket.windowTitle()))
        ticket.installEventFilter(_TitleKeeper(ticket))
        strip = QLabel("PAPER — filled by the paper exchange; nothing is sent to the exchange", ticket)
        strip.setObjectName("paper_strip")
        strip.setAlignment(Qt.AlignmentFlag.AlignCenter)
        strip.setStyleSheet(f"background: {PAPER_COLOUR}; color: white; font-weight: bold; padding: 3px;")
        layout = ticket.layout()
        if layout is not None and hasattr(layout, "insertWidget"):
            layout.insertWidget(0, strip)
        PaperFrame(ticket)
