"""Every user action declared once, with its default shortcut; shortcuts can be remapped.

Like Frescobaldi's action collection: menus, toolbars, context menus, button labels, tooltips and the shortcuts
dialog all read the key from here, so a remap changes every label. Only shortcuts the user changed are saved.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtGui import QAction, QKeySequence

if TYPE_CHECKING:
    from ..settings import Prefs


@dataclass(frozen=True)
class ActionSpec:
    """Declaration of one action."""

    name: str
    text: str
    shortcut: str = ""
    tip: str = ""
    context: Qt.ShortcutContext = Qt.ShortcutContext.WindowShortcut
    checkable: bool = False


SPECS = [
    ActionSpec("buy", "&Buy…", "F1", "Open a buy ticket for the selected instrument"),
    ActionSpec("sell", "&Sell…", "F2", "Open a sell ticket for the selected instrument"),
    ActionSpec("order_book", "&Order book", "F3", "Show the order book"),
    ActionSpec("watchlist", "&Watchlist", "F4", "Show the watchlist"),
    ActionSpec("search", "&Find instrument…", "Ctrl+F", "Search the instrument master and add to the watchlist"),
    ActionSpec("remove_row", "&Remove from watchlist", "Delete", "Remove the selected rows",
               Qt.ShortcutContext.WidgetWithChildrenShortcut),
    ActionSpec("move_up", "Move &up", "Ctrl+Up", "Move the selected row up",
               Qt.ShortcutContext.WidgetWithChildrenShortcut),
    ActionSpec("move_down", "Move &down", "Ctrl+Down", "Move the selected row down",
               Qt.ShortcutContext.WidgetWithChildrenShortcut),
    ActionSpec("alerts", "Price &alerts…", "Ctrl+L", "List, edit and delete price alerts"),
    ActionSpec("positions", "&Positions", "F5", "Show positions and day P&L"),
    ActionSpec("next_pane", "&Next pane", "Ctrl+Tab", "Move the keyboard to the next dock (watchlist, order book, "
               "positions, option chains)"),
    ActionSpec("previous_pane", "Pre&vious pane", "Ctrl+Shift+Tab", "Move the keyboard to the previous dock"),
    ActionSpec("option_chain", "Option &chain…", "F6",
               "Open an option chain for the selected instrument's underlying (NIFTY when it has no options)"),
    ActionSpec("payoff", "&Payoff graph…", "", "Payoff at expiry and today of the open F&O positions of an underlying"),
    ActionSpec("chart_window", "&Chart window", "F7", "Open a chart of the selected instrument in its own window"),
    ActionSpec("guards", "&Guards…", "", "Duplicate, price-band, freeze-quantity and stale-feed checks"),
    ActionSpec("risk_limits", "&Risk limits…", "",
               "Max loss for the day, order counts, lots, order value, premium sold; unlock a locked day"),
    ActionSpec("kill_switch", "&Kill switch…", "Ctrl+Shift+K",
               "Lock the day and flatten every open position at market (asks first)"),
    ActionSpec("protect", "Add &stop / target…", "Ctrl+Shift+S", "Add a stop-loss / target held by this app (not "
               "by the exchange) to the selected position or chain leg"),
    ActionSpec("rearm_triggers", "Re-ar&m paused stops / targets", "Ctrl+Shift+A", "Watch every paused stop / target "
               "again — first check what happened while they were not watched"),
    ActionSpec("rearm_on_start", "Re-arm stops / targets on start (risky: they were not watched while the app was "
               "closed)", "", "Paused stops / targets are watched again at start without asking: a level crossed "
               "while the app was closed fires at the first tick", checkable=True),
    ActionSpec("day_report", "&Day report…", "", "Today's fills, P&L per instrument and estimated charges; earlier "
               "days from the journal"),
    ActionSpec("new_watchlist", "&New watchlist…", "Ctrl+T", "Add a watchlist tab"),
    ActionSpec("rename_watchlist", "Re&name watchlist…", "", "Rename the watchlist tab shown"),
    ActionSpec("delete_watchlist", "De&lete watchlist…", "", "Delete the watchlist tab shown (asks when not empty)"),
    ActionSpec("watchlist_left", "Move watchlist &left", "", "Move the watchlist tab shown one place left"),
    ActionSpec("watchlist_right", "Move watchlist righ&t", "", "Move the watchlist tab shown one place right"),
    ActionSpec("import_csv", "&Import instrument master…", "Ctrl+I",
               "Import your broker's instrument master (Kite, Upstox, Angel One, Dhan, Fyers; file or URL)"),
    ActionSpec("export_orders", "&Export order book CSV…", "Ctrl+E", "Save the order book as CSV"),
    ActionSpec("quit", "&Quit", "Ctrl+Q", "Leave the channel and quit"),
    ActionSpec("reset_layout", "&Reset layout", "", "Put the docks back where they started"),
    ActionSpec("api_key", "&API key…", "", "Enter or replace the API key"),
    ActionSpec("forget_key", "&Forget API key", "", "Delete the API key from the OS keyring"),
    ActionSpec("reconnect", "&Reconnect", "Ctrl+R", "Reconnect now with a fresh token"),
    ActionSpec("shortcuts", "&Keyboard shortcuts", "F12", "List every shortcut"),
    ActionSpec("open_logs", "Open &log folder", "", "Open the folder with the app's log files"),
    ActionSpec("about", "&About AirAlgo Desktop", "", "Version and environment"),
    ActionSpec("notify_fills", "On &fills", "", "Notify when an order is executed", checkable=True),
    ActionSpec("notify_rejections", "On &rejections", "", "Notify when an order is rejected", checkable=True),
    ActionSpec("notify_alerts", "On price &alerts", "", "Notify when a price alert fires", checkable=True),
    ActionSpec("notify_sound", "With &sound", "", "Play a sound with each notification", checkable=True),
]

# View → Notifications: action name → the preference it switches (``Prefs.notify(kind)``)
NOTIFY_ACTIONS = {"notify_fills": "fills", "notify_rejections": "rejections", "notify_alerts": "alerts",
                  "notify_sound": "sound"}


def default_key(name: str) -> str:
    """The declared default shortcut of an action (for widgets built without a registry, e.g. in tests)."""
    return next((spec.shortcut for spec in SPECS if spec.name == name), "")


def key_label(registry: ActionRegistry | None, name: str, text: str) -> str:
    """``Buy (F1)``: ``text`` with the action's current key (its default key without a registry)."""
    if registry is not None:
        return registry.label(name, text)
    key = default_key(name)
    return f"{text} ({key})" if key else text


class ActionRegistry(QObject):
    """Creates the QActions once; ``registry["buy"]`` returns one. ``remapped(name)`` after a shortcut changed."""

    remapped = Signal(str)

    def __init__(self, parent: QObject, prefs: Prefs | None = None) -> None:
        super().__init__(parent)
        self.prefs = prefs
        self.specs = {spec.name: spec for spec in SPECS}
        self.actions: dict[str, QAction] = {}
        for spec in SPECS:
            action = QAction(spec.text, parent)
            action.setObjectName(f"action_{spec.name}")
            action.setStatusTip(spec.tip)
            action.setShortcutContext(spec.context)
            action.setCheckable(spec.checkable)
            action.setShortcut(QKeySequence((prefs.shortcut(spec.name) if prefs else None) or spec.shortcut))
            self.actions[spec.name] = action
            self._update_tooltip(spec.name)

    def key(self, name: str) -> str:
        """The action's current shortcut as the OS writes it (``F1``, ``Ctrl+F``), or ``""``."""
        return self.actions[name].shortcut().toString(QKeySequence.SequenceFormat.NativeText)

    def label(self, name: str, text: str) -> str:
        """``text`` with the action's current key: ``label("buy", "Buy")`` → ``"Buy (F1)"`` (just ``text`` when the
        action has no key). Buttons and menus use it so a remap changes every label."""
        key = self.key(name)
        return f"{text} ({key})" if key else text

    def _update_tooltip(self, name: str) -> None:
        spec, action = self.specs[name], self.actions[name]
        key = self.key(name)
        action.setToolTip(f"{spec.tip} ({key})" if key and spec.tip else spec.tip)

    def __getitem__(self, name: str) -> QAction:
        return self.actions[name]

    def connect(self, name: str, slot: Callable[[], object]) -> None:
        """Run ``slot`` when the action triggers."""
        self.actions[name].triggered.connect(lambda _checked=False: slot())

    def remap(self, name: str, shortcut: str) -> None:
        """Change a shortcut; remember it only when it differs from the default (a remap back forgets it)."""
        self.actions[name].setShortcut(QKeySequence(shortcut))
        self._update_tooltip(name)
        if self.prefs is not None:
            default = QKeySequence(self.specs[name].shortcut)
            self.prefs.set_shortcut(name, None if QKeySequence(shortcut) == default else shortcut)
        self.remapped.emit(name)

    def table(self) -> list[tuple[str, str]]:
        """(action text, shortcut) for the shortcuts dialog."""
        return [(a.text().replace("&", "").rstrip("…"), a.shortcut().toString(QKeySequence.SequenceFormat.NativeText))
                for a in self.actions.values() if not a.shortcut().isEmpty()]
