"""The look of a paper session: no screenshot of it can be taken for live.

:func:`apply_paper_look` is called once by the composition root in paper mode. It changes nothing of how the
window, the ticket or the order book work — it only adds: "PAPER" in front of every title (kept there when a title
changes), a coloured frame drawn over the window's edge, a PAPER badge first in the status bar, a PAPER strip at the
top of the ticket (so on its entry, confirmation and follow pages), "PAPER" in front of every order book row's
symbol and in the order book's tab, and the title and frame on every dialog the window opens (the day report …).

:func:`show_shadow_fills` (live mode with ``--shadow-fills``) puts each live order's paper twin and its slippage
beside the live fill in the order book, and the day's sum in the status bar.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from PySide6.QtCore import QEvent, QModelIndex, QObject, QPersistentModelIndex, Qt
from PySide6.QtGui import QAction, QColor, QPainter, QPen
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QMainWindow,
    QMenu,
    QMessageBox,
    QSpinBox,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QVBoxLayout,
    QWidget,
)

from ..desk.paper import PaperDesk
from ..desk.shadow import ShadowFilled
from ..domain.money import MoneyError, format_rupees, parse_rupees
from ..services.paper import MAX_SLIPPAGE_TICKS, PaperSettings
from ..services.shadow import ShadowFill
from .listening import NoticeSource, listen

PAPER_COLOUR = "#d35400"  # burnt orange: no state colour of the app (green, red, amber, blue) looks like it
PAPER_PREFIX = "PAPER — "
FRAME_WIDTH = 5


def paper_title(title: str) -> str:
    """``"PAPER — <title>"`` (once)."""
    return title if title.startswith("PAPER") else PAPER_PREFIX + title


class _TitleKeeper(QObject):
    """Puts "PAPER — " back in front of a widget's title whenever the widget changes it; on the main window, also
    marks every dialog it opens (day report, settings …) with the title and the frame as the dialog is first
    shown."""

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        kind = event.type()
        if kind == QEvent.Type.WindowTitleChange and isinstance(watched, QWidget):
            title = watched.windowTitle()
            if not title.startswith("PAPER"):
                watched.setWindowTitle(paper_title(title))
        elif kind == QEvent.Type.ChildPolished and isinstance(watched, QMainWindow):
            child = event.child()  # type: ignore[attr-defined]
            if isinstance(child, QDialog) and not child.property("paper"):
                child.setProperty("paper", True)
                child.setWindowTitle(paper_title(child.windowTitle()))
                child.installEventFilter(_TitleKeeper(child))
                PaperFrame(child)
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
    """Shows "PAPER · " in front of a cell's text (the order book's time column: the symbol column keeps its contract
    label delegate, so the strike, CE/PE and expiry day are never cut for the marker)."""

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
        from .orderbook import TIME

        view.setItemDelegateForColumn(TIME, PaperSymbolDelegate(view))
        view.resizeColumnToContents(TIME)
    dock = getattr(window, "book_dock", None)
    if dock is not None:
        dock.setWindowTitle(f"{dock.windowTitle()} — PAPER")
    if ticket is not None:
        ticket.setProperty("paper", True)  # marked here, with its strip (not again as a dialog of the window)
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


class ShadowExecDelegate(QStyledItemDelegate):
    """The order book's Exec. price cell of a live order with a paper twin: ``"₹1,300.10 · paper ₹1,300.00 · +₹1.00
    (2 t)"`` (``fills``: local id → its pair, the shadow part's own dict)."""

    def __init__(self, parent: QObject, fills: Mapping[str, ShadowFill]) -> None:
        super().__init__(parent)
        self.fills = fills

    def initStyleOption(self, option: QStyleOptionViewItem,
                        index: QModelIndex | QPersistentModelIndex) -> None:
        super().initStyleOption(option, index)
        from .orderbook import RECORD_ROLE

        record = index.data(RECORD_ROLE)
        pair = self.fills.get(getattr(record, "local_id", ""))
        if pair is None or not pair.paper_price:
            return
        text = f"{option.text} · paper {format_rupees(pair.paper_price)}"  # type: ignore[attr-defined]
        if pair.slippage is not None and pair.ticks is not None:
            text += f" · {format_rupees(pair.slippage, sign=True)} ({float(pair.ticks):g} t)"
        option.text = text  # type: ignore[attr-defined]


def show_shadow_fills(window: QMainWindow, desk: NoticeSource, fills: Mapping[str, ShadowFill]) -> QLabel:
    """Live mode with shadow fills: each order book row shows its paper twin and slippage beside the live fill, the
    status bar the day's sum, and each new comparison is said once in the status bar's message."""
    from .orderbook import EXEC

    label = QLabel("Shadow slippage: no order compared yet", window)
    label.setObjectName("shadow_summary")
    window.statusBar().addPermanentWidget(label)
    view = window.order_book.view  # type: ignore[attr-defined]
    view.setItemDelegateForColumn(EXEC, ShadowExecDelegate(view, fills))

    def shown(notice: ShadowFilled) -> None:
        label.setText(notice.summary.describe())
        view.viewport().update()
        if notice.fill.complete:
            window.show_message(notice.fill.describe())  # type: ignore[attr-defined]

    listen(label, desk, {ShadowFilled: shown})
    return label


def add_paper_switch(window: QMainWindow, paper: bool, switch: Callable[[bool], None]) -> QAction | None:
    """Account → Paper trading (checked in a paper session): after a confirmation, ``switch(on)`` restarts the app
    in paper mode or back in live mode. None when the window has no Account menu."""
    menu = next((a.menu() for a in window.menuBar().actions() if a.text().replace("&", "") == "Account"), None)
    if not isinstance(menu, QMenu):
        return None
    action = QAction("&Paper trading (restarts the app)", window)
    action.setObjectName("paper_switch")
    action.setCheckable(True)
    action.setChecked(paper)

    def asked(on: bool) -> None:
        action.setChecked(not on)  # unchanged until confirmed (and then the app restarts)
        box = QMessageBox(QMessageBox.Icon.Question, "Paper trading",
                          "Restart in PAPER mode? Prices stay live; orders fill on the paper exchange in this app "
                          "and are never sent. The live journal is not touched." if on else
                          "Restart in LIVE mode? Orders will be sent to the exchange.",
                          QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel, window)
        box.setObjectName("paper_switch_confirm")
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.buttonClicked.connect(
            lambda button: switch(on) if box.standardButton(button) == QMessageBox.StandardButton.Yes else None)
        box.open()  # never exec(): no nested loop under qasync

    action.triggered.connect(asked)
    menu.addSeparator()
    menu.addAction(action)
    return action


def note_demo_feed(window: QMainWindow) -> QLabel:
    """Paper mode outside market hours: a DEMO FEED badge beside PAPER says the prices are the simulator's."""
    label = QLabel(" DEMO FEED ", window)
    label.setObjectName("paper_demo_feed")
    label.setToolTip("The market is closed: prices come from the embedded simulator, not the exchange.")
    label.setStyleSheet("background: #c98a00; color: white; font-weight: bold; border-radius: 3px;")
    window.statusBar().insertWidget(1, label)
    return label


class PaperAccountDialog(QDialog):
    """Account → Paper account…: the capital and the fill model (saved), and a reset. Opened with ``open()``;
    ``paper`` is the desk's paper part (its ``apply`` and ``reset`` refuse implausible values and open positions
    with one sentence, shown here — nothing changes then)."""

    def __init__(self, paper: PaperDesk, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.paper = paper
        self.setObjectName("paper_account_dialog")
        self.setWindowTitle(paper_title("Paper account"))
        settings = paper.settings
        self.capital = QLineEdit(format_rupees(settings.capital, symbol=False), self)
        self.capital.setObjectName("paper_capital")
        self.slippage = QSpinBox(self)
        self.slippage.setObjectName("paper_slippage")
        self.slippage.setRange(0, MAX_SLIPPAGE_TICKS)
        self.slippage.setSuffix(" ticks")
        self.slippage.setSpecialValueText("at LTP")
        self.slippage.setValue(settings.slippage_ticks)
        self.error = QLabel("", self)
        self.error.setObjectName("paper_account_error")
        self.error.setWordWrap(True)
        self.error.setStyleSheet("color: #c0392b;")
        form = QFormLayout()
        form.addRow("Capital (₹)", self.capital)
        form.addRow("Fills", self.slippage)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel,
                                   self)
        self.reset_button = buttons.addButton("Reset account", QDialogButtonBox.ButtonRole.ResetRole)
        self.reset_button.setToolTip("Cancel every open paper order and restore the capital (paper positions must "
                                     "be flat)")
        buttons.accepted.connect(self.save)
        buttons.rejected.connect(self.reject)
        self.reset_button.clicked.connect(self.reset)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.error)
        layout.addWidget(buttons)

    def _settings(self) -> PaperSettings | None:
        try:
            capital = parse_rupees(self.capital.text())
        except MoneyError:
            self.error.setText("Capital: type an amount in rupees, such as 10,00,000.")
            return None
        return PaperSettings(capital, self.slippage.value())

    def save(self) -> None:
        """Apply and keep the settings, or say why not (the dialog stays open)."""
        settings = self._settings()
        if settings is None:
            return
        try:
            self.paper.apply(settings)
        except ValueError as exc:
            self.error.setText(str(exc))
            return
        self.accept()

    def reset(self) -> None:
        """Reset the paper account with the settings shown, or say why not."""
        settings = self._settings()
        if settings is None:
            return
        try:
            cancelled = self.paper.reset(settings)
        except ValueError as exc:
            self.error.setText(str(exc))
            return
        self.error.setStyleSheet("")
        self.error.setText(f"Paper account reset: {cancelled} open order(s) cancelled, {settings.describe()}.")


def add_paper_account(window: QMainWindow, paper: PaperDesk) -> QAction | None:
    """Account → Paper account… (paper mode only). None when the window has no Account menu."""
    menu = next((a.menu() for a in window.menuBar().actions() if a.text().replace("&", "") == "Account"), None)
    if not isinstance(menu, QMenu):
        return None
    action = QAction("Paper &account…", window)
    action.setObjectName("paper_account")

    def opened() -> None:
        dialog = PaperAccountDialog(paper, window)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.open()

    action.triggered.connect(opened)
    menu.addAction(action)
    return action
