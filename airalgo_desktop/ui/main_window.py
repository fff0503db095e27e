"""The main window: watchlist dock (left), order book dock (bottom), instrument panel in the middle, a status
bar with the connection's health, and a banner for problems that need the trader (auth failure, session-only key).

The window is a view: it builds every dock, menu and status-bar widget itself; the presenter
(:mod:`~airalgo_desktop.ui.presenter`) feeds it the desk's notices and the commands
(:mod:`~airalgo_desktop.ui.commands`) act on its intents.
"""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING

from PySide6.QtCore import QByteArray, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QActionGroup, QCloseEvent, QFont, QGuiApplication, QIcon
from PySide6.QtWidgets import (
    QApplication,
    QDockWidget,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QMainWindow,
    QPushButton,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from .. import APP_NAME
from ..api.events import ConnectionState, Metrics, State
from ..domain.instruments import Master
from ..domain.labels import segment_of
from ..domain.money import format_rupees, percent_change_bp
from ..domain.orders import Side
from ..services.mtm import MtmCurve
from ..services.positions import PositionBook
from ..settings import Prefs
from ..store.market import MarketStore
from . import theme
from .actions import NOTIFY_ACTIONS, ActionRegistry
from .banners import BannerStack
from .labels import displayed_labels
from .labels import label as contract_title
from .layout import PRESETS, LayoutPreset, ScreenClass, preset_named
from .orderbook import SYMBOL as ORDER_SYMBOL
from .orderbook import OrderBookModel, OrderBookPanel
from .positions import PositionsModel, PositionsPanel
from .theme import ThemeChoice
from .watchlist import WatchlistPanel
from .widgets import ElidedLabel, fit_into_screen

if TYPE_CHECKING:  # chart.py pulls pyqtgraph and numpy in: imported only once the window is up
    from .chart import BarSource, ChartView, ChartWindow

STATE_COLORS = {
    State.JOINED: "#1a9a4b",
    State.CONNECTING: "#c98a00",
    State.AUTHENTICATING: "#c98a00",
    State.RECONNECTING: "#c98a00",
    State.AUTH_FAILED: "#d83a3a",
    State.DISCONNECTED: "#8a8a8a",
    State.CLOSED: "#8a8a8a",
}


class Banner(QFrame):
    """A strip above the content with a message and one action button."""

    shownChanged = Signal(bool)  # shown or hidden (the chart below gives way while it shows)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("banner")
        self.label = QLabel(self)
        self.label.setObjectName("banner_text")
        self.label.setWordWrap(True)
        self.button = QPushButton(self)
        self.button.setObjectName("banner_button")
        close = QPushButton("✕", self)
        close.setFlat(True)
        close.setFixedWidth(28)
        close.clicked.connect(self.hide)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(10, 6, 6, 6)
        layout.addWidget(self.label, 1)
        layout.addWidget(self.button)
        layout.addWidget(close)
        self._callback = None
        self.button.clicked.connect(lambda: self._callback and self._callback())
        self.hide()

    def show_message(self, text: str, button: str, callback, *, error: bool = True) -> None:  # type: ignore[no-untyped-def]
        """Show ``text`` with a ``button`` that runs ``callback``."""
        color = "#fde8e8" if error else "#fff6dc"
        border = "#d83a3a" if error else "#c98a00"
        self.setStyleSheet(f"#banner {{ background: {color}; border: 1px solid {border}; border-radius: 4px; }}"
                           "#banner QLabel { color: #222; }")
        self.label.setText(text)
        self.button.setText(button)
        self._callback = callback
        self.show()
        # once laid out at its real width (now it may still have a stale one: a wrong, tall minimum would make the
        # window grow past the screen); a resize refits it anyway
        QTimer.singleShot(0, self, self._fit_height)

    def resizeEvent(self, event) -> None:  # type: ignore[no-untyped-def]
        super().resizeEvent(event)
        self._fit_height()

    def showEvent(self, event) -> None:  # type: ignore[no-untyped-def]
        super().showEvent(event)
        self.shownChanged.emit(True)

    def hideEvent(self, event) -> None:  # type: ignore[no-untyped-def]
        super().hideEvent(event)
        self.shownChanged.emit(False)

    def _fit_height(self) -> None:
        # a wrapped message needs more lines than the layout's minimum says (height-for-width is not part of the
        # main window's minimum size, so the panel under it was squeezed): the minimum is what this width needs,
        # and the order book dock or the chart gives way
        layout = self.layout()
        if not self.isVisible():
            return
        need = layout.totalHeightForWidth(self.width()) if layout.hasHeightForWidth() else -1
        if need > 0 and need != self.minimumHeight():
            self.setMinimumHeight(need)


def unknown_token_reason(token: str) -> str:
    """Why a token the master does not know cannot be traded (the Buy/Sell tooltip, F1/F2's message): no lot, tick
    or exchange to check an order against."""
    return (f"Token {token} is not in the instrument master, so it cannot be traded: import a master that lists it "
            "(File → Import instrument master…).")


class InstrumentPanel(QWidget):
    """The selected instrument at a glance: big LTP, change, contract details, Buy/Sell."""

    trade = Signal(str, str)  # token, "B"/"S"

    def __init__(self, master: Master, store: MarketStore, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.master = master
        self.store = store
        self.token: str | None = None
        self.title = QLabel("Select an instrument", self)
        self.title.setObjectName("instrument_title")
        font = self.title.font()
        font.setPointSizeF(font.pointSizeF() * 1.6)
        font.setBold(True)
        self.title.setFont(font)
        self.subtitle = QLabel("", self)
        self.ltp = QLabel("", self)
        self.ltp.setObjectName("instrument_ltp")
        big = QFont(font)
        big.setPointSizeF(font.pointSizeF() * 1.5)
        self.ltp.setFont(big)
        self.change = QLabel("", self)
        self.details = QLabel("", self)
        self.details.setTextFormat(Qt.TextFormat.RichText)
        self.buy = QPushButton("Buy", self)  # the keys are added by MainWindow.relabel (from the action registry)
        self.sell = QPushButton("Sell", self)
        for button, color, side in ((self.buy, theme.BUY, "B"), (self.sell, theme.SELL, "S")):
            button.setMinimumHeight(34)
            button.setStyleSheet(f"QPushButton {{ background: {color.name()}; color: white; font-weight: bold; "
                                 "padding: 4px 18px; } QPushButton:disabled { background: palette(button); "
                                 "color: palette(window-text); }")  # disabled must not look like a live Buy
            button.clicked.connect(lambda _=False, s=side: self.token and self.trade.emit(self.token, s))
        buttons = QHBoxLayout()
        buttons.addWidget(self.buy)
        buttons.addWidget(self.sell)
        buttons.addStretch(1)
        grid = QGridLayout()
        grid.addWidget(self.ltp, 0, 0)
        grid.addWidget(self.change, 0, 1, Qt.AlignmentFlag.AlignBottom)
        grid.setColumnStretch(2, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(16, 12, 16, 12)
        layout.addWidget(self.title)
        layout.addWidget(self.subtitle)
        layout.addLayout(grid)
        layout.addWidget(self.details)
        layout.addLayout(buttons)
        layout.addStretch(1)
        # always its layout's full height (details and buttons whole): with a banner showing, the chart shrinks
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Fixed)

    def show_token(self, token: str | None) -> None:
        """Switch to ``token``."""
        self.token = token
        inst = self.master.get(token) if token else None
        for button in (self.buy, self.sell):  # a token the master does not know: no ticket, and the reason why
            button.setEnabled(inst is not None)
            button.setToolTip(unknown_token_reason(token) if token and inst is None else "")
        if inst is None:  # nothing selected (an empty watchlist): no stale price either
            for label in (self.subtitle, self.details, self.ltp, self.change):
                label.setText("")
            # a selected row whose token the master does not know (none imported yet, or gone from a new one):
            # say which token it is and why it cannot be traded, never "Select an instrument" under a selected row
            self.title.setText(f"Token {token}" if token else "Select an instrument")
            if token:
                self.subtitle.setText("not in the instrument master — File → Import instrument master…")
            return
        self.title.setText(contract_title(inst))
        self.subtitle.setText(f"{inst.name} · {segment_of(inst)} · token {inst.token}")
        expiry = inst.expiry.strftime("%d %b %Y") if inst.expiry else "—"
        close = format_rupees(inst.prev_close) if inst.prev_close else "not in CSV"
        self.details.setText(
            "<table cellspacing=6>"
            f"<tr><td>Previous close</td><td><b>{close}</b></td><td>Lot size</td><td><b>{inst.lot_size}</b></td></tr>"
            f"<tr><td>Tick size</td><td><b>{format_rupees(inst.tick_size)}</b></td><td>Expiry</td>"
            f"<td><b>{expiry}</b></td></tr>"
            f"<tr><td>Type</td><td><b>{inst.api_instrument}</b></td><td>Freeze qty</td>"
            f"<td><b>{inst.freeze_qty or '—'}</b></td></tr></table>")
        self.refresh()

    def refresh(self) -> None:
        """Coalesced repaint of the live numbers."""
        if not self.token:
            return
        inst = self.master.get(self.token)
        ltp = self.store.ltp(self.token)
        if ltp is None:
            self.ltp.setText("—")
            self.change.setText("waiting for a tick")
            return
        if inst is None:  # ticking, but no contract to compare with: the price only
            self.ltp.setText(format_rupees(ltp))
            self.change.setText("")
            return
        ref = inst.prev_close or self.store.first.get(self.token, 0)
        self.ltp.setText(format_rupees(ltp))
        if ref:
            bp = percent_change_bp(ltp, ref) or 0
            color = (theme.UP if ltp > ref else theme.DOWN if ltp < ref else theme.STATUS_COLORS["Sent"]).name()
            arrow = "▲" if ltp > ref else "▼" if ltp < ref else ""
            label = "vs prev close" if inst.prev_close else "vs first tick"
            self.change.setText(f"<span style='color:{color}'>{arrow} {format_rupees(ltp - ref, sign=True)} "
                                f"({bp / 100:+.2f}%)</span> <small>{label}</small>")


class ConnectionStatus(QWidget):
    """Status bar widgets: state, heartbeat latency, ticks/s, last tick age, reconnect countdown."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.state_label = QLabel(self)
        self.state_label.setObjectName("status_state")
        self.latency = QLabel(self)
        self.latency.setObjectName("status_latency")
        self.rate = QLabel(self)
        self.rate.setObjectName("status_rate")
        self.age = QLabel(self)
        self.age.setObjectName("status_age")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        for widget in (self.state_label, self.latency, self.rate, self.age):
            layout.addWidget(widget)
            widget.setMinimumWidth(60)
        self._reconnect_deadline: float | None = None
        self._state = ConnectionState(State.DISCONNECTED)

    def set_state(self, state: ConnectionState, now: float) -> None:
        """New connection state."""
        self._state = state
        self._reconnect_deadline = now + state.delay if state.state is State.RECONNECTING else None
        self.update_figures(None, now)

    def update_figures(self, metrics: Metrics | None, now: float) -> None:
        """Refresh the text (4 times a second)."""
        state = self._state
        color = STATE_COLORS.get(state.state, "#8a8a8a")
        if state.state is State.RECONNECTING and self._reconnect_deadline is not None:
            left = max(0.0, self._reconnect_deadline - now)
            text = f"Reconnecting in {left:.1f} s (attempt {state.attempt})"
        elif state.state is State.JOINED and state.stale:
            text, color = "Joined — feed stale", "#c98a00"
        elif state.state is State.AUTH_FAILED:
            text = "Authentication failed"
        else:
            text = state.state.value
        self.state_label.setText(f"<span style='color:{color}'>●</span> {text}")
        self.state_label.setToolTip(state.describe())
        if metrics is None:
            return
        rtt = metrics.heartbeat_rtt
        self.latency.setText(f"♥ {rtt * 1000:.0f} ms" if rtt is not None else "♥ —")
        self.latency.setToolTip("Heartbeat round trip")
        self.rate.setText(f"{metrics.ticks_per_s:,.0f} ticks/s")
        # quotes for tokens nobody asked for are dropped before the store and the bars (a server streaming what we
        # never subscribed to must not fill memory): the count says so instead of hiding it
        dropped = metrics.unwanted_quotes + metrics.dropped_quotes
        self.rate.setToolTip(f"Ticks applied per second. Dropped: {metrics.unwanted_quotes:,} quotes for tokens "
                             f"nobody subscribed, {metrics.dropped_quotes:,} unreadable." if dropped else
                             "Ticks applied per second.")
        if metrics.unwanted_quotes:
            self.rate.setText(f"{metrics.ticks_per_s:,.0f} ticks/s · {metrics.unwanted_quotes:,} unwanted dropped")
        age = metrics.last_tick_age(now)
        self.age.setText(f"last tick {age:.1f} s ago" if age is not None else "no ticks yet")


class MainWindow(QMainWindow):
    """Docks, menus, status bar. Emits intents; the Application acts on them."""

    buyRequested = Signal(str)
    sellRequested = Signal(str)
    closing = Signal()

    def __init__(self, master: Master, store: MarketStore, prefs: Prefs, *,
                 positions: PositionBook | None = None, demo: bool = False, icon: QIcon | None = None) -> None:
        super().__init__()
        self.setObjectName("main_window")
        self.master = master
        self.store = store
        self.prefs = prefs
        self.demo = demo
        self.setWindowTitle(f"{APP_NAME} — DEMO (simulated market)" if demo else APP_NAME)
        if icon is not None:
            self.setWindowIcon(icon)
        self.setDockOptions(QMainWindow.DockOption.AnimatedDocks | QMainWindow.DockOption.AllowTabbedDocks)
        self.actions_ = ActionRegistry(self, prefs)

        self.banner = BannerStack(Banner, self)  # problems stack: a second one never hides the first
        self.instrument_panel = InstrumentPanel(master, store, self)
        central = QWidget(self)
        central_layout = QVBoxLayout(central)
        central_layout.setContentsMargins(6, 6, 6, 0)
        central_layout.addWidget(self.banner)
        central_layout.addWidget(self.instrument_panel)
        self.chart_host = QVBoxLayout()
        central_layout.addLayout(self.chart_host, 1)
        self.setCentralWidget(central)

        self.watchlist = WatchlistPanel(master, store, prefs, self, actions=self.actions_)
        self.watch_dock = QDockWidget("Watchlist", self)
        self.watch_dock.setObjectName("dock_watchlist")
        self.watch_dock.setWidget(self.watchlist)
        self.addDockWidget(Qt.DockWidgetArea.LeftDockWidgetArea, self.watch_dock)

        self.order_model = OrderBookModel(master)
        self.order_book = OrderBookPanel(self.order_model, self)
        self.book_dock = QDockWidget("Order book", self)
        self.book_dock.setObjectName("dock_order_book")
        self.book_dock.setWidget(self.order_book)
        self.addDockWidget(Qt.DockWidgetArea.BottomDockWidgetArea, self.book_dock)
        self.positions_model = PositionsModel(positions if positions is not None else PositionBook(), master, store)
        self.positions_panel = PositionsPanel(self.positions_model, self)
        self.positions_dock = QDockWidget("Positions", self)
        self.positions_dock.setObjectName("dock_positions")
        self.positions_dock.setWidget(self.positions_panel)
        self.addDockWidget(Qt.DockWidgetArea.BottomDockWidgetArea, self.positions_dock)
        self.tabifyDockWidget(self.book_dock, self.positions_dock)
        self.book_dock.raise_()
        self.setCorner(Qt.Corner.BottomLeftCorner, Qt.DockWidgetArea.LeftDockWidgetArea)
        self._default_state = self.saveState()
        self._default_sizes_pending = False

        self.connection = ConnectionStatus(self)
        self.statusBar().addPermanentWidget(self.connection)
        if demo:
            badge = QLabel(" DEMO ", self)
            badge.setObjectName("demo_badge")
            badge.setStyleSheet("background: #c98a00; color: white; font-weight: bold; border-radius: 3px;")
            self.statusBar().addWidget(badge)
        # elided (whole in its tooltip): a long message never pushes the connection figures over each other
        self.message_label = ElidedLabel("", self)
        self.statusBar().addWidget(self.message_label, 1)
        self.latency_label = QLabel(self)
        self.latency_label.setObjectName("status_order_latency")
        self.statusBar().addPermanentWidget(self.latency_label)
        self.margin_label = QLabel(self)  # the demo account's margin (a real account's is not in the API)
        self.margin_label.setObjectName("status_margin")
        self.margin_label.setVisible(False)
        self.statusBar().addPermanentWidget(self.margin_label)
        self.chain_docks: list[QDockWidget] = []  # open option chains (ui/chain.py)
        self._watch_width_before_chain: int | None = None  # given back when the last chain closes
        self.preset: LayoutPreset = PRESETS[ScreenClass.REGULAR]  # set for the screen by _restore_geometry
        self.chart = None  # built by build_chart() once the window is shown (pyqtgraph stays out of the cold start)
        self.bar_source: BarSource | None = None
        self.chart_windows: list[ChartWindow] = []  # F7 / watchlist → Open chart window

        self._build_menus()
        self.relabel()
        self.actions_.remapped.connect(self.relabel)
        self.watchlist.currentTokenChanged.connect(self.instrument_panel.show_token)
        self.watchlist.message.connect(self.show_message)
        self.watchlist.instrumentActivated.connect(self.buyRequested)
        self.watchlist.tradeRequested.connect(self._trade)
        self.instrument_panel.trade.connect(self._trade)
        self._set_minimums()
        self._restore_geometry()
        # the selected row of the tab shown (restored from the last run): never an instrument that is not on screen
        self.instrument_panel.show_token(self.watchlist.current_token())

    # ---------------------------------------------------------------- menus
    def _build_menus(self) -> None:
        a = self.actions_
        file_menu = self.menuBar().addMenu("&File")
        file_menu.addActions([a["import_csv"], a["export_orders"], a["day_report"]])
        file_menu.addSeparator()
        file_menu.addAction(a["quit"])
        trade = self.menuBar().addMenu("&Trade")
        trade.addActions([a["buy"], a["sell"], a["alerts"], a["guards"], a["risk_limits"], a["kill_switch"]])
        trade.addSeparator()  # stops / targets held by this app (issue 28)
        trade.addActions([a["protect"], a["rearm_triggers"], a["rearm_on_start"]])
        self.positions_panel.actions = a  # its context menu names the keys (again after a remap)
        trade.addSeparator()
        trade.addActions([a["option_chain"], a["payoff"]])
        trade.addSeparator()
        trade.addActions([a["search"], a["new_watchlist"], a["remove_row"], a["move_up"], a["move_down"]])
        watchlists = trade.addMenu("&Watchlist tabs")
        watchlists.addActions([a["new_watchlist"], a["rename_watchlist"], a["delete_watchlist"], a["watchlist_left"],
                               a["watchlist_right"]])
        view = self.menuBar().addMenu("&View")
        # each dock once: the registry's actions (with their keys) show and focus it; its ✕ hides it
        view.addActions([a["watchlist"], a["order_book"], a["positions"], a["chart_window"]])
        view.addActions([a["next_pane"], a["previous_pane"]])
        theme_menu = view.addMenu("&Theme")
        group = QActionGroup(self)
        current = ThemeChoice(self.prefs.theme)
        for choice in ThemeChoice:
            action = QAction(choice.value.capitalize() + (" (follow the OS)" if choice is ThemeChoice.SYSTEM else ""),
                             self)
            action.setCheckable(True)
            action.setChecked(choice is current)
            action.triggered.connect(lambda _=False, c=choice: self.set_theme(c))
            group.addAction(action)
            theme_menu.addAction(action)
        theme_menu.addSeparator()
        safe = theme_menu.addAction("Colour-blind-safe colours (blue up, orange down)")
        safe.setObjectName("colour_blind_action")
        safe.setCheckable(True)
        safe.setChecked(self.prefs.colour_blind)
        safe.toggled.connect(self.set_colour_blind)
        notify_menu = view.addMenu("&Notifications")
        for name, kind in NOTIFY_ACTIONS.items():
            action = a[name]
            action.setChecked(self.prefs.notify(kind))
            action.toggled.connect(lambda on, k=kind: self.prefs.set_notify(k, on))
            notify_menu.addAction(action)
        view.addSeparator()
        layout_menu = view.addMenu("&Layout")
        self.layout_actions: dict[ScreenClass, QAction] = {}
        layout_group = QActionGroup(self)
        for screen_class in ScreenClass:
            action = QAction(screen_class.label, self)
            action.setCheckable(True)
            action.setObjectName(f"layout_{screen_class.value}")
            action.triggered.connect(lambda _=False, c=screen_class: self.use_preset(c))
            layout_group.addAction(action)
            layout_menu.addAction(action)
            self.layout_actions[screen_class] = action
        layout_menu.addSeparator()
        layout_menu.addAction(a["reset_layout"])
        account = self.menuBar().addMenu("&Account")
        account.addActions([a["api_key"], a["forget_key"], a["reconnect"]])
        help_menu = self.menuBar().addMenu("&Help")
        help_menu.addActions([a["shortcuts"], a["open_logs"], a["about"]])
        # the watchlist's own shortcuts act on the focused table
        for name in ("remove_row", "move_up", "move_down"):
            self.watchlist.addAction(a[name])
        a.connect("buy", lambda: self._trade_current(Side.BUY))
        a.connect("sell", lambda: self._trade_current(Side.SELL))
        a.connect("search", self._focus_search)
        a.connect("remove_row", self.watchlist.remove_selected)
        a.connect("move_up", lambda: self.watchlist.move_selected(-1))
        a.connect("move_down", lambda: self.watchlist.move_selected(1))
        a.connect("new_watchlist", self.watchlist.new_watchlist)
        a.connect("rename_watchlist", self.watchlist.rename_watchlist)
        a.connect("delete_watchlist", self.watchlist.delete_watchlist)
        a.connect("watchlist_left", lambda: self.watchlist.move_watchlist(-1))
        a.connect("watchlist_right", lambda: self.watchlist.move_watchlist(1))
        a.connect("order_book", lambda: self.focus_pane(self.book_dock))  # in front of Positions
        a.connect("watchlist", lambda: self.focus_pane(self.watch_dock))
        a.connect("reset_layout", self.reset_layout)
        a.connect("positions", lambda: self.focus_pane(self.positions_dock))
        a.connect("next_pane", lambda: self.cycle_pane(1))
        a.connect("previous_pane", lambda: self.cycle_pane(-1))
        a.connect("quit", self.close)

    def relabel(self, *_args: object) -> None:
        """Key labels of the window's own buttons, from the action registry (again after a remap)."""
        for button, name, text in ((self.instrument_panel.buy, "buy", "Buy"),
                                   (self.instrument_panel.sell, "sell", "Sell")):
            key = self.actions_.key(name)
            button.setText(f"{text}  {key}" if key else text)
        self.watchlist.relabel()

    # ---------------------------------------------------------------- keyboard
    def pane_focus_widget(self, dock: QDockWidget) -> QWidget | None:
        """The widget that takes the keyboard in ``dock``: its table."""
        if dock is self.watch_dock:
            return self.watchlist.current_view()
        if dock is self.book_dock:
            return self.order_book.view
        if dock is self.positions_dock:
            return self.positions_panel.view
        return getattr(dock.widget(), "table", None) or dock.widget()

    def panes(self) -> list[QDockWidget]:
        """The docks Ctrl+Tab cycles through, in order: watchlist, order book, positions, open chains."""
        return [d for d in (self.watch_dock, self.book_dock, self.positions_dock, *self.chain_docks)
                if not d.isHidden()]

    def focus_pane(self, dock: QDockWidget) -> None:
        """Show ``dock`` (in front of its tab group) and give its table the keyboard."""
        dock.show()
        dock.raise_()
        widget = self.pane_focus_widget(dock)
        if widget is not None:
            widget.setFocus(Qt.FocusReason.ShortcutFocusReason)

    def cycle_pane(self, step: int) -> None:
        """Ctrl+Tab / Ctrl+Shift+Tab: the next (previous) dock gets the keyboard."""
        panes = self.panes()
        if not panes:
            return
        focus = QApplication.focusWidget()
        current = next((i for i, d in enumerate(panes) if focus is not None and d.isAncestorOf(focus)), None)
        index = (current + step) % len(panes) if current is not None else (0 if step > 0 else len(panes) - 1)
        self.focus_pane(panes[index])

    def _trade(self, token: str, side: str) -> None:
        (self.buyRequested if side == "B" else self.sellRequested).emit(token)

    def _focus_search(self) -> None:
        self.watch_dock.show()
        self.watchlist.search.setFocus()
        self.watchlist.search.selectAll()

    def add_chain_dock(self, dock: QDockWidget) -> None:
        """Dock an option chain as the layout preset says — a tab over the watchlist on a compact screen; else a
        column on the right when the window has room for one, or a tab beside the order book (several chains stack
        as tabs) — never by widening the window; forgotten when it closes, and the watchlist gets its width back when
        the last one goes."""
        dock.setObjectName(f"dock_chain_{id(dock)}")
        if not self.chain_docks:
            self._watch_width_before_chain = self.watch_dock.width() if self.watch_dock.isVisible() else None
        self.chain_docks.append(dock)
        dock.destroyed.connect(lambda _=None, d=dock: self._chain_closed(d))
        self._place_chain(dock)
        dock.show()
        dock.raise_()
        QTimer.singleShot(0, self, self.fit_to_screen)

    def _place_chain(self, dock: QDockWidget) -> None:
        others = [d for d in self.chain_docks if d is not dock and not d.isFloating()]
        if others:
            self.tabifyDockWidget(others[-1], dock)
            return
        if self.preset.chains_tabbed:  # compact: over the watchlist, with its whole height
            self.addDockWidget(Qt.DockWidgetArea.LeftDockWidgetArea, dock)
            self.watch_dock.show()
            self.tabifyDockWidget(self.watch_dock, dock)
            return
        if not self._room_for_a_column(dock):  # beside the order book, whose width shows every column
            self.addDockWidget(Qt.DockWidgetArea.BottomDockWidgetArea, dock)
            self.book_dock.show()
            self.tabifyDockWidget(self.book_dock, dock)
            return
        watch = self.watch_dock.width()
        self.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, dock)
        # the chain's column comes out of the chart's room, not the watchlist's
        self.resizeDocks([self.watch_dock, dock], [watch, int(self.width() * self.preset.chain_share)],
                         Qt.Orientation.Horizontal)

    def _room_for_a_column(self, dock: QDockWidget) -> bool:
        """Whether a chain column fits in the window as it is, beside the watchlist at its width and the chart at
        its minimum (the window is never widened for it)."""
        central = self.centralWidget()
        need = (central.minimumSizeHint().width() if central is not None else 0) + dock.minimumSizeHint().width()
        if self.watch_dock.isVisible():
            need += self.watch_dock.width()
        return need + 16 <= self.width()  # + the dock separators

    def _chain_closed(self, dock: QDockWidget) -> None:
        # RuntimeError: the window itself is being deleted (its docks go with it): nothing to give back
        with contextlib.suppress(RuntimeError):
            self._forget_chain(dock)

    def _forget_chain(self, dock: QDockWidget) -> None:
        if dock in self.chain_docks:
            self.chain_docks.remove(dock)
        if not self.chain_docks and self._watch_width_before_chain:
            width, self._watch_width_before_chain = self._watch_width_before_chain, None
            QTimer.singleShot(0, self, lambda: self.resizeDocks([self.watch_dock], [width], Qt.Orientation.Horizontal))

    def dock_widgets(self) -> list[QDockWidget]:
        """Every dock of the window (the fixed three and the open option chains)."""
        return self.findChildren(QDockWidget)

    def displayed_labels(self) -> dict[str, list[tuple[str, str]]]:
        """(token, contract label as painted) of every watchlist, order-book and positions row — what the trader
        reads at the current column widths (the screen-fit tests check strike, CE/PE and expiry day survive)."""
        out: dict[str, list[tuple[str, str]]] = {}
        view = self.watchlist.current_view()
        if view is not None:
            model = view.watchlist()
            out["watchlist"] = [(model.tokens[row], view.displayed_symbol(row)) for row in range(model.rowCount())]
        book = self.order_book.view
        out["order_book"] = [(self.order_book.record_at(row).request.token, text)  # type: ignore[union-attr]
                             for row, text in enumerate(displayed_labels(book, ORDER_SYMBOL))]
        positions = self.positions_panel.view
        out["positions"] = [(token, text) for row, text in enumerate(displayed_labels(positions, 0))
                            if (token := self.positions_model.token_at(row)) is not None]
        return out

    def focused_chain_token(self) -> str | None:
        """The option under the cursor of the chain that has the keyboard focus, if any."""
        for dock in self.chain_docks:
            panel = dock.widget()
            table = getattr(panel, "table", None)
            if table is not None and table.hasFocus():
                return panel.current_token()  # type: ignore[union-attr]
        return None

    def selected_position_token(self) -> str | None:
        """The position the trader points at: the focused chain's leg, the positions table's current row, else the
        watchlist's instrument (whether or not it is held: the command says so when it is not)."""
        row = self.positions_panel.view.currentIndex().row()
        return (self.focused_chain_token() or self.positions_model.token_at(row) or self.watchlist.current_token()
                or self.instrument_panel.token)

    def _trade_current(self, side: Side) -> None:
        token = self.focused_chain_token() or self.watchlist.current_token() or self.instrument_panel.token
        if token and self.instrument_panel.master.get(token) is None:
            self.show_message(unknown_token_reason(token))
        elif token:
            (self.buyRequested if side is Side.BUY else self.sellRequested).emit(token)
        else:
            self.show_message("Select an instrument in the watchlist first.")

    def set_theme(self, choice: ThemeChoice) -> None:
        """Apply and remember the theme."""
        self.prefs.theme = choice.value
        self._apply_theme()

    def set_colour_blind(self, on: bool) -> None:
        """Blue/orange instead of green/red for up/down (remembered); applied at once, plots included."""
        self.prefs.colour_blind = on
        self._apply_theme()

    def _apply_theme(self) -> None:
        from PySide6.QtWidgets import QApplication

        app = QApplication.instance()
        if isinstance(app, QApplication):
            theme.apply_theme(app, ThemeChoice(self.prefs.theme), self.prefs.colour_blind)

    # ---------------------------------------------------------------- geometry
    def _set_minimums(self) -> None:
        """Sensible minimums, so that no pane is squeezed to nothing and the sum of them fits a 1280 px screen:
        the watchlist keeps a contract's day, month, strike and CE/PE and the LTP; every summary line elides or
        wraps instead of widening its dock."""
        view = self.watchlist.current_view()
        if view is not None:
            scroll = view.verticalScrollBar().sizeHint().width()
            self.watchlist.setMinimumWidth(view.symbol_minimum() + view.columnWidth(1) + scroll + 2 * view.frameWidth()
                                           + 8)
        self.order_book.setMinimumWidth(320)
        self.positions_panel.setMinimumWidth(320)
        self.order_book.setMinimumHeight(90)
        self.positions_panel.setMinimumHeight(90)

    def _restore_geometry(self) -> None:
        geometry = self.prefs.window_geometry()
        state = self.prefs.window_state()
        screen = QGuiApplication.primaryScreen()
        available = screen.availableGeometry() if screen else None
        # the layout preset: the one chosen, else the one for this screen (first start), remembered
        self.preset = preset_named(self.prefs.layout_preset, available.width() if available is not None else 1280)
        if not self.prefs.layout_preset:
            self.prefs.layout_preset = self.preset.screen.value
        self.layout_actions[self.preset.screen].setChecked(True)
        if isinstance(geometry, QByteArray) and self.restoreGeometry(geometry):
            if isinstance(state, QByteArray):
                self.restoreState(state)
            return
        if available is not None and available.width() > 0:
            # a compact screen needs every pixel (on a 1366×768 laptop 80 % left a 1093 px window); larger ones
            # start at 80 %
            share = 1.0 if self.preset.screen is ScreenClass.COMPACT else 0.8
            width = min(max(int(available.width() * share), 1024), available.width())
            height = min(max(int(available.height() * share), 700), available.height())
        else:
            width, height = 1280, 800
        self.resize(width, height)
        self._default_sizes_pending = True  # applied at the first show, for the size the window really got
        if available is not None:
            self.move(available.center() - self.rect().center())

    def apply_default_sizes(self) -> None:
        """The layout preset's proportions for the window's current size: the watchlist dock wide enough to show
        every column (an F&O name whole, numbers unclipped) within the preset's share of the width; the order book
        its share of the height."""
        width, height = self.width(), self.height()
        preset = self.preset
        view = self.watchlist.current_view()
        wanted = (view.preferred_width() + 16) if view is not None else 0  # + the dock's and panel's margins
        dock = min(max(int(width * preset.watch_min), wanted), int(width * preset.watch_max))
        self.resizeDocks([self.watch_dock], [dock], Qt.Orientation.Horizontal)
        self.resizeDocks([self.book_dock], [int(height * preset.book_height)], Qt.Orientation.Vertical)

    def showEvent(self, event) -> None:  # type: ignore[no-untyped-def]
        super().showEvent(event)
        handle = self.windowHandle()
        if handle is not None and not getattr(self, "_screen_hooked", False):
            self._screen_hooked = True
            # a bound method, not a lambda holding self: the connection must not keep the window alive
            handle.screenChanged.connect(self._screen_changed)
        self.fit_to_screen()
        if self._default_sizes_pending:
            self._default_sizes_pending = False
            self.apply_default_sizes()

    def resizeEvent(self, event) -> None:  # type: ignore[no-untyped-def]
        super().resizeEvent(event)
        # a dock's minimum can make Qt grow the window; it never stays past the screen's edge
        screen = self.screen()
        if screen is not None and self.isVisible() and not screen.availableGeometry().contains(self.frameGeometry()):
            QTimer.singleShot(0, self, self.fit_to_screen)

    def _screen_changed(self, _screen: object) -> None:
        QTimer.singleShot(0, self, self.fit_to_screen)

    def fit_to_screen(self) -> bool:
        """Keep the whole window on its screen's available geometry (shrunk and moved in when a dock or a restored
        geometry made it larger). Returns True when it changed anything."""
        if self.isMaximized() or self.isFullScreen():
            return False
        return fit_into_screen(self)

    def use_preset(self, screen_class: ScreenClass) -> None:
        """View → Layout: switch to (and remember) a preset and lay the window out by it."""
        self.preset = PRESETS[screen_class]
        self.prefs.layout_preset = screen_class.value
        self.layout_actions[screen_class].setChecked(True)
        self.reset_layout()

    def reset_layout(self) -> None:
        """Docks back to where the preset puts them, sized for the window as it is now (the saved start state
        alone would bring back the docks' pre-sizing widths: a watchlist showing only Symbol and LTP); open chains
        too, wherever they had been dragged."""
        chains = [d for d in self.chain_docks if d.isVisible()]
        self.restoreState(self._default_state)
        self.watch_dock.show()
        self.book_dock.show()
        self.positions_dock.show()
        self.book_dock.raise_()
        placed: list[QDockWidget] = []
        for dock in chains:
            dock.setFloating(False)
            self.removeDockWidget(dock)
            self.chain_docks.remove(dock)  # placed again as if opened now
            self._place_chain(dock)
            self.chain_docks.append(dock)
            dock.show()
            placed.append(dock)
        self.fit_to_screen()
        self.apply_default_sizes()
        if placed:
            placed[-1].raise_()

    def save_layout(self) -> None:
        """Geometry, dock state and watchlists to QSettings."""
        self.prefs.save_window(self.saveGeometry(), self.saveState())
        self.watchlist.save()
        self.prefs.sync()

    def build_chart(self, source: BarSource, mtm: MtmCurve) -> None:
        """The live chart under the instrument panel (pyqtgraph and numpy are imported here, after the window is
        shown, to keep them out of the cold start). ``source`` gives the bars (the desk's bar book)."""
        from .chart import ChartPanel

        self.bar_source = source
        self.chart = ChartPanel(self.master, source, mtm, self, prefs=self.prefs)
        self.chart_host.addWidget(self.chart)
        self.chart.yield_height(self.banner.isVisible())
        self.banner.shownChanged.connect(self.chart.yield_height)
        self.chart.set_fills(self.positions_model.book.fills)
        self.chart.show_token(self.instrument_panel.token)

    def open_chart_window(self, token: str) -> ChartWindow | None:
        """A chart of ``token`` in its own window (more than one can be open); None before the chart exists."""
        from .chart import ChartWindow

        if self.bar_source is None:
            return None
        window = ChartWindow(token, self.master, self.bar_source, self.prefs)
        window.view.set_fills(self.positions_model.book.fills)
        window.closed.connect(lambda w: self.chart_windows.remove(w) if w in self.chart_windows else None)
        self.chart_windows.append(window)
        window.show()
        return window

    def chart_views(self) -> list[ChartView]:
        """Every chart on screen: the docked one and each chart window."""
        views = [self.chart.view] if self.chart is not None else []
        return views + [w.view for w in self.chart_windows]

    # ---------------------------------------------------------------- status
    def show_message(self, text: str, timeout_ms: int = 8000) -> None:
        """A transient message in the status bar."""
        self.message_label.setText(text)
        if timeout_ms:
            # the label is the timer's context: a window deleted meanwhile drops the call instead of raising
            label = self.message_label
            QTimer.singleShot(timeout_ms, label, lambda: label.text() == text and label.clear())

    def closeEvent(self, event: QCloseEvent) -> None:
        self.save_layout()
        self.closing.emit()
        event.accept()
