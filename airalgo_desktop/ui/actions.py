"""Every user action declared once, with its default shortcut; shortcuts can be remapped (saved in QSettings).

Like Frescobaldi's action collection: menus, toolbars, context menus and the shortcuts dialog all read from here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from PySide6.QtCore import QObject, QSettings, Qt
from PySide6.QtGui import QAction, QKeySequence


@dataclass(frozen=True)
class ActionSpec:
    """Declaration of one action."""

    name: str
    text: str
    shortcut: str = ""
    tip: str = ""
    context: Qt.ShortcutContext = Qt.ShortcutContext.WindowShortcut


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
    ActionSpec("chart_window", "&Chart window", "F7", "Open a chart of the selected instrument in its own window"),
    ActionSpec("guards", "&Guards…", "", "Duplicate, price-band, value, freeze-quantity and stale-feed checks"),
    ActionSpec("new_watchlist", "&New watchlist…", "Ctrl+T", "Add a watchlist tab"),
    ActionSpec("import_csv", "&Import instruments CSV…", "Ctrl+I", "Load an instrument master"),
    ActionSpec("export_orders", "&Export order book CSV…", "Ctrl+E", "Save the order book as CSV"),
    ActionSpec("quit", "&Quit", "Ctrl+Q", "Leave the channel and quit"),
    ActionSpec("reset_layout", "&Reset layout", "", "Put the docks back where they started"),
    ActionSpec("api_key", "&API key…", "", "Enter or replace the API key"),
    ActionSpec("forget_key", "&Forget API key", "", "Delete the API key from the OS keyring"),
    ActionSpec("reconnect", "&Reconnect", "Ctrl+R", "Reconnect now with a fresh token"),
    ActionSpec("shortcuts", "&Keyboard shortcuts", "F12", "List every shortcut"),
    ActionSpec("open_logs", "Open &log folder", "", "Open the folder with the app's log files"),
    ActionSpec("about", "&About AirAlgo Desktop", "", "Version and environment"),
]


class ActionRegistry(QObject):
    """Creates the QActions once; ``registry["buy"]`` returns one."""

    def __init__(self, parent: QObject, settings: QSettings | None = None) -> None:
        super().__init__(parent)
        self.settings = settings
        self.specs = {spec.name: spec for spec in SPECS}
        self.actions: dict[str, QAction] = {}
        for spec in SPECS:
            action = QAction(spec.text, parent)
            action.setObjectName(f"action_{spec.name}")
            action.setToolTip(spec.tip)
            action.setStatusTip(spec.tip)
            action.setShortcutContext(spec.context)
            action.setShortcut(QKeySequence(self._saved(spec.name) or spec.shortcut))
            self.actions[spec.name] = action

    def _saved(self, name: str) -> str | None:
        if self.settings is None:
            return None
        value = self.settings.value(f"shortcuts/{name}")
        return str(value) if value else None

    def __getitem__(self, name: str) -> QAction:
        return self.actions[name]

    def connect(self, name: str, slot: Callable[[], object]) -> None:
        """Run ``slot`` when the action triggers."""
        self.actions[name].triggered.connect(lambda _checked=False: slot())

    def remap(self, name: str, shortcut: str) -> None:
        """Change a shortcut and remember it."""
        self.actions[name].setShortcut(QKeySequence(shortcut))
        if self.settings is not None:
            self.settings.setValue(f"shortcuts/{name}", shortcut)

    def table(self) -> list[tuple[str, str]]:
        """(action text, shortcut) for the shortcuts dialog."""
        return [(a.text().replace("&", "").rstrip("…"), a.shortcut().toString(QKeySequence.SequenceFormat.NativeText))
                for a in self.actions.values() if not a.shortcut().isEmpty()]
