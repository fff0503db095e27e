"""The watchlist dock: a search box and tabs of watchlists. The model is in :mod:`.watchlist_model`, painting in
:mod:`.watchlist_paint`; which tabs exist and what they hold is saved by the Qt-free
:class:`~airalgo_desktop.services.watchlists.WatchlistBook`, and which tokens stream is decided by the desk's
:class:`~airalgo_desktop.services.subscriptions.Subscriptions` (the panel only says what the active tab wants).
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, QStringListModel, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QCompleter,
    QInputDialog,
    QLineEdit,
    QMenu,
    QMessageBox,
    QTabWidget,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from ..domain.instruments import Master
from ..domain.wording import plural
from ..instruments import Catalog
from ..services.watchlists import DEFAULT_TOKENS, WatchlistBook, WatchlistEntry
from ..settings import Prefs
from ..store.market import MarketStore
from .actions import ActionRegistry, default_key, key_label
from .watchlist_model import (
    CHANGE,
    COLUMNS,
    FIRST_TICK_MARK,
    FLASH_SECONDS,
    LTP,
    LTQ,
    LTT,
    PCT,
    SYMBOL,
    TOKEN_ROLE,
    Frame,
    WatchlistModel,
    cell_color,
)
from .watchlist_paint import CachedRowDelegate, TextCache, WatchlistView, contiguous_ranges, draw_cell_text

__all__ = [  # the watchlist's public names, wherever they live
    "CHANGE", "COLUMNS", "DEFAULT_TOKENS", "FIRST_TICK_MARK", "FLASH_SECONDS", "LTP", "LTQ", "LTT", "PCT", "SYMBOL",
    "TOKEN_ROLE", "CachedRowDelegate", "Frame", "TextCache", "WatchlistModel", "WatchlistPanel", "WatchlistView",
    "cell_color", "contiguous_ranges", "draw_cell_text",
]


class WatchlistPanel(QWidget):
    """Search box + tabs of watchlists. ``activeTokensChanged(tokens)`` whenever the tokens to stream change (tab
    switch, rows added or removed); :meth:`active_tokens` says what they are now."""

    activeTokensChanged = Signal(list)
    instrumentActivated = Signal(str)
    tradeRequested = Signal(str, str)
    currentTokenChanged = Signal(str)
    alertRequested = Signal(str)  # token: "Set price alert…" from the context menu
    chainRequested = Signal(str)  # token: "Option chain" from the context menu
    chartRequested = Signal(str)  # token: "Open chart window" from the context menu
    tokensAdded = Signal(list)  # tokens the trader just put on a watchlist (their meaning is remembered)
    message = Signal(str)  # for the status bar (a search that found nothing)

    def __init__(self, master: Master, store: MarketStore, prefs: Prefs,
                 parent: QWidget | None = None, *, actions: ActionRegistry | None = None) -> None:
        super().__init__(parent)
        self.master = master if isinstance(master, Catalog) else Catalog(master)  # the one search lives there
        self.store = store
        self.book = WatchlistBook(prefs, self.master)
        self.marks: dict[str, str] = {}  # set by the presenter to the desk's (shared) marks and labels
        self.labels: dict[str, str] = {}
        self.actions = actions  # the source of key labels (search, new tab, Buy/Sell, Remove)
        self.search = QLineEdit(self)
        self.search.setObjectName("watchlist_search")
        self.search.setClearButtonEnabled(True)
        self.search.setAccessibleName("Find instrument")
        self.search.setAccessibleDescription("Type a symbol or name; Enter or a suggestion adds it to the watchlist")
        self._completion_model = QStringListModel(self)
        self._completion_tokens: list[str] = []
        self.completer = QCompleter(self._completion_model, self)
        self.completer.setCompletionMode(QCompleter.CompletionMode.UnfilteredPopupCompletion)
        self.completer.setMaxVisibleItems(12)
        self.search.setCompleter(self.completer)
        self.search.textEdited.connect(self._update_completions)
        self.completer.activated[str].connect(self._completion_chosen)
        self.search.returnPressed.connect(self._search_enter)
        self.search.installEventFilter(self)
        self.tabs = QTabWidget(self)
        self.tabs.setObjectName("watchlist_tabs")
        self.tabs.setDocumentMode(True)
        self.tabs.setMovable(True)
        self.tabs.setTabsClosable(False)
        self.add_tab_button = QToolButton(self)
        self.add_tab_button.setText("+")
        self.add_tab_button.setAccessibleName("New watchlist")
        self.tabs.tabBar().setAccessibleName("Watchlists")
        # clicked(bool) would hand its "checked" flag to new_watchlist as the name (TypeError in addTab)
        self.add_tab_button.clicked.connect(lambda _checked=False: self.new_watchlist())
        self.tabs.setCornerWidget(self.add_tab_button, Qt.Corner.TopRightCorner)
        self.relabel()
        self.tabs.currentChanged.connect(self._on_tab_changed)
        self.tabs.tabBar().tabMoved.connect(self._on_tab_moved)  # dragged or moved from a menu: keep that order
        self.tabs.tabBar().setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.tabs.tabBar().customContextMenuRequested.connect(self._tab_menu)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.setSpacing(4)
        layout.addWidget(self.search)
        layout.addWidget(self.tabs)
        self.models: list[WatchlistModel] = []
        self._loading = False
        self._load()

    def relabel(self) -> None:
        """Key labels from the action registry (the main window calls this again after a remap)."""
        self.search.setPlaceholderText(key_label(self.actions, "search", "Search & add: symbol, name or token"))
        self.add_tab_button.setToolTip(key_label(self.actions, "new_watchlist", "New watchlist"))

    # ---------------------------------------------------------------- persistence
    def _load(self) -> None:
        # read everything first: adding tabs fires currentChanged, which would save over what we read
        self._loading = True
        lists, active = self.book.load()
        for entry in lists:
            view = self._add_tab(entry.name, entry.tokens)
            tokens = view.watchlist().tokens
            if tokens:  # the row selected when the app was closed (else the first): the current instrument is a row
                view.selectRow(tokens.index(entry.selected) if entry.selected in tokens else 0)
                view.reveal_current = True  # scrolled into view once the view has a size
        self.tabs.setCurrentIndex(active)
        self._loading = False

    def save(self) -> None:
        """Remember the tabs, their tokens and the active tab."""
        if self._loading:
            return
        order = [self.tabs.widget(i) for i in range(self.tabs.count())]
        lists = [WatchlistEntry(v.watchlist().name, v.watchlist().tokens, v.current_token())  # type: ignore[union-attr]
                 for v in order]
        self.book.save(lists, self.tabs.currentIndex())

    def _add_tab(self, name: str, tokens: list[str]) -> WatchlistView:
        model = WatchlistModel(name, self.master, self.store, tokens)
        model.marks, model.labels = self.marks, self.labels
        if self.marks or self.labels:
            model.refresh_all()
        view = WatchlistView(model, self.tabs)
        view.doubleClicked.connect(lambda index: self.instrumentActivated.emit(model.data(index, TOKEN_ROLE)))
        view.customContextMenuRequested.connect(lambda pos, v=view: self._context_menu(v, pos))
        view.selectionModel().currentRowChanged.connect(
            lambda cur, _prev: cur.isValid() and self.currentTokenChanged.emit(model.data(cur, TOKEN_ROLE)))
        model.tokensChanged.connect(lambda added, removed, m=model: self._on_tokens_changed(m, added, removed))
        self.models.append(model)
        self.tabs.addTab(view, name)
        return view

    # ---------------------------------------------------------------- subscriptions
    def active_tokens(self) -> list[str]:
        """The tokens to stream now: the visible watchlist's (the others refresh when shown)."""
        view = self.current_view()
        return view.watchlist().tokens if view else []

    def _on_tab_changed(self, _index: int) -> None:
        self.activeTokensChanged.emit(self.active_tokens())
        view = self.current_view()
        if view is not None:
            view.watchlist().refresh_all()
            # the instrument panel (and F1/F2) follow the tab shown: its selected row, else its first, else none
            if view.current_token() is None and view.watchlist().tokens:
                view.selectRow(0)  # emits currentTokenChanged
            else:
                self.currentTokenChanged.emit(view.current_token() or "")
        self.save()

    def set_meanings(self, marks: dict[str, str], labels: dict[str, str]) -> None:
        """Share the desk's row marks and remembered labels with every tab, then redraw the symbols."""
        self.marks, self.labels = marks, labels
        for model in self.models:
            model.marks, model.labels = marks, labels
            model.refresh_all()

    def all_tokens(self) -> set[str]:
        """Every token on any tab."""
        return {t for model in self.models for t in model.tokens}

    def _on_tab_moved(self, _from: int, _to: int) -> None:
        self.models = [self.tabs.widget(i).watchlist() for i in range(self.tabs.count())]  # type: ignore[union-attr]
        self.save()

    # ---------------------------------------------------------------- the tabs themselves
    def _view_at(self, index: int | None) -> WatchlistView | None:
        view = self.tabs.widget(self.tabs.currentIndex() if index is None else index)
        return view if isinstance(view, WatchlistView) else None

    def _tab_menu(self, pos) -> None:  # type: ignore[no-untyped-def]
        """Right-click on a tab: rename, move, delete that tab; new watchlist."""
        bar = self.tabs.tabBar()
        index = bar.tabAt(pos)
        menu = QMenu(bar)
        menu.setObjectName("watchlist_tab_menu")
        if index >= 0:
            menu.addAction("Rename…", lambda: self.rename_watchlist(index))
            left = menu.addAction("Move left", lambda: self.move_watchlist(-1, index))
            left.setEnabled(index > 0)
            right = menu.addAction("Move right", lambda: self.move_watchlist(1, index))
            right.setEnabled(index < self.tabs.count() - 1)
            delete = menu.addAction("Delete…", lambda: self.delete_watchlist(index))
            delete.setEnabled(self.tabs.count() > 1)
            menu.addSeparator()
        menu.addAction(key_label(self.actions, "new_watchlist", "New watchlist…"), lambda: self.new_watchlist())
        menu.popup(bar.mapToGlobal(pos))

    def rename_watchlist(self, index: int | None = None, name: str | None = None) -> None:
        """Rename a tab (the one shown by default); asks for the name when none is given."""
        view = self._view_at(index)
        if view is None:
            return
        if name is None:
            dialog = QInputDialog(self)
            dialog.setObjectName("rename_watchlist_dialog")
            dialog.setWindowTitle("Rename watchlist")
            dialog.setLabelText("Name:")
            dialog.setTextValue(view.watchlist().name)
            dialog.textValueSelected.connect(
                lambda text: text.strip() and self.rename_watchlist(self.tabs.indexOf(view), text.strip()))
            dialog.open()
            return
        view.watchlist().name = name
        self.tabs.setTabText(self.tabs.indexOf(view), name)
        self.save()

    def delete_watchlist(self, index: int | None = None, *, confirmed: bool = False) -> bool:
        """Delete a tab (the one shown by default). A list with instruments in it is deleted only after the trader
        says yes; the last tab stays. Returns True when it was deleted now."""
        view = self._view_at(index)
        if view is None or self.tabs.count() <= 1:
            return False
        model = view.watchlist()
        if model.tokens and not confirmed:
            box = QMessageBox(QMessageBox.Icon.Question, "Delete watchlist",
                              f"Delete the watchlist “{model.name}” with {plural(len(model.tokens), 'instrument')}?",
                              QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel, self)
            box.setObjectName("delete_watchlist_box")
            box.setDefaultButton(QMessageBox.StandardButton.Cancel)
            box.finished.connect(lambda result: result == QMessageBox.StandardButton.Yes and
                                 self.delete_watchlist(self.tabs.indexOf(view), confirmed=True))
            box.open()
            return False
        self.tabs.removeTab(self.tabs.indexOf(view))
        self.models.remove(model)
        view.deleteLater()
        self.save()
        return True

    def move_watchlist(self, delta: int, index: int | None = None) -> None:
        """Move a tab (the one shown by default) ``delta`` places (-1 left, +1 right)."""
        index = self.tabs.currentIndex() if index is None else index
        target = index + delta
        if 0 <= index < self.tabs.count() and 0 <= target < self.tabs.count():
            self.tabs.tabBar().moveTab(index, target)  # tabMoved → _on_tab_moved saves

    def _on_tokens_changed(self, model: WatchlistModel, added: list[str], removed: list[str]) -> None:
        if added:
            self.tokensAdded.emit(added)
        view = self.current_view()
        if view is not None and view.watchlist() is model:
            self.activeTokensChanged.emit(self.active_tokens())
        self.save()

    # ---------------------------------------------------------------- actions
    def current_view(self) -> WatchlistView | None:
        """The visible watchlist's view."""
        return self.tabs.currentWidget()  # type: ignore[return-value]

    def current_token(self) -> str | None:
        """Token of the current row of the visible watchlist."""
        view = self.current_view()
        return view.current_token() if view else None

    def add_token(self, token: str) -> bool:
        """Add to the visible watchlist and select it."""
        view = self.current_view()
        if view is None or token not in self.master:
            return False
        model = view.watchlist()
        added = model.add(token)
        row = model.tokens.index(token)
        view.selectRow(row)
        view.scrollTo(model.index(row, 0))
        return added

    def remove_selected(self) -> list[str]:
        """Delete the selected rows of the visible watchlist."""
        view = self.current_view()
        return view.watchlist().remove_rows(view.selected_rows()) if view else []

    def move_selected(self, delta: int) -> None:
        """Move the current row up (-1) or down (+1)."""
        view = self.current_view()
        if view is None:
            return
        row = view.currentIndex().row()
        if row >= 0 and view.watchlist().move_row(row, row + delta):
            view.selectRow(row + delta)

    def new_watchlist(self, name: str | None = None) -> None:
        """Add an empty tab (asks for a name when none is given)."""
        if name is None:
            dialog = QInputDialog(self)
            dialog.setWindowTitle("New watchlist")
            dialog.setLabelText("Name:")
            dialog.setTextValue(f"Watchlist {self.tabs.count() + 1}")
            dialog.textValueSelected.connect(lambda text: self.new_watchlist(text.strip() or "Watchlist"))
            dialog.open()  # never exec(): the app runs on an asyncio loop
            return
        view = self._add_tab(name, [])
        self.tabs.setCurrentWidget(view)
        self.save()

    def refresh(self, dirty: set[str]) -> int:
        """Coalesced refresh of the visible watchlist (the others refresh when shown)."""
        view = self.current_view()
        return view.watchlist().refresh(dirty) if view else 0

    def fading(self) -> bool:
        """The visible watchlist still has a flash to end (it needs a frame even without new data)."""
        view = self.current_view()
        return view is not None and view.watchlist().fading

    def _update_completions(self, text: str) -> None:
        results = self.master.search(text, limit=15, ltp=self.store.ltp)
        self._completion_tokens = [i.token for i in results]
        self._completion_model.setStringList(
            [f"{i.display}  ·  {'NSE' if i.instrument_type == 'EQ' else 'NFO'}  ·  {i.name} ({i.token})"
             for i in results])

    def _completion_chosen(self, text: str) -> None:
        token = text.rsplit("(", 1)[-1].rstrip(")") if "(" in text else None
        if token and token in self.master:
            self.add_token(token)
        # QLineEdit writes the chosen completion into itself after this slot: clear once that is done, so the
        # box is empty and ready for the next search
        QTimer.singleShot(0, self.search.clear)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        """Esc in the search box clears it (a second Esc, on an empty box, goes on to the window as before)."""
        if watched is self.search and event.type() == QEvent.Type.KeyPress and \
                event.key() == Qt.Key.Key_Escape and self.search.text():  # type: ignore[attr-defined]
            self.search.clear()
            self.completer.popup().hide()
            return True
        return super().eventFilter(watched, event)

    def _search_enter(self) -> None:
        if self.search.text() in self._completion_model.stringList():
            return  # Enter on a suggestion: the completer adds it (_completion_chosen); the text is not a query
        results = self.master.search(self.search.text(), limit=1, ltp=self.store.ltp)
        if results:
            self.add_token(results[0].token)
            self.search.clear()
        elif self.search.text().strip():  # say so; the text stays to be corrected
            self.message.emit(f"No instrument matches “{self.search.text().strip()}”.")

    def _context_menu(self, view: WatchlistView, pos) -> None:  # type: ignore[no-untyped-def]
        index = view.indexAt(pos)
        token = view.watchlist().data(index, TOKEN_ROLE) if index.isValid() else None
        menu = QMenu(view)
        if token:
            buy = QAction(key_label(self.actions, "buy", "Buy"), menu)
            buy.triggered.connect(lambda: self.tradeRequested.emit(token, "B"))
            sell = QAction(key_label(self.actions, "sell", "Sell"), menu)
            sell.triggered.connect(lambda: self.tradeRequested.emit(token, "S"))
            alert = QAction("Set price alert…", menu)
            alert.triggered.connect(lambda: self.alertRequested.emit(token))
            chain = QAction(key_label(self.actions, "option_chain", "Option chain"), menu)
            chain.triggered.connect(lambda: self.chainRequested.emit(token))
            chart = QAction(key_label(self.actions, "chart_window", "Open chart window"), menu)
            chart.triggered.connect(lambda: self.chartRequested.emit(token))
            menu.addActions([buy, sell, alert, chain, chart])
            menu.addSeparator()
        remove = QAction("Remove", menu)
        remove.setShortcut(QKeySequence(self.actions.key("remove_row") if self.actions else default_key("remove_row")))
        remove.triggered.connect(self.remove_selected)
        remove.setEnabled(bool(view.selected_rows()))
        menu.addAction(remove)
        menu.popup(view.viewport().mapToGlobal(pos))
