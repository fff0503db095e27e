"""Watchlist model and panel: add/remove/reorder/persist, coalesced refresh, honest change labels."""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, QPoint, QRect, QSettings, Qt
from PySide6.QtWidgets import QApplication

from airalgo_desktop.instruments import Catalog
from airalgo_desktop.instruments.demo import load_sample
from airalgo_desktop.services.subscriptions import Subscriptions
from airalgo_desktop.settings import Prefs
from airalgo_desktop.store.market import MarketStore
from airalgo_desktop.ui.watchlist import (
    CHANGE,
    DEFAULT_TOKENS,
    FIRST_TICK_MARK,
    FLASH_SECONDS,
    LTP,
    PCT,
    TOKEN_ROLE,
    WatchlistModel,
    WatchlistPanel,
    contiguous_ranges,
)

MASTER = Catalog(load_sample())


class FakeSubscriber:
    def __init__(self) -> None:
        self.counts: dict[str, int] = {}

    def subscribe(self, tokens) -> None:
        for t in tokens:
            self.counts[t] = self.counts.get(t, 0) + 1

    def unsubscribe(self, tokens) -> None:
        for t in tokens:
            self.counts[t] -= 1

    @property
    def active(self) -> set[str]:
        return {t for t, n in self.counts.items() if n > 0}


def quote(ltp: int) -> dict:
    return {"ltp": ltp, "ltq": 1, "ltt": "2025-01-09T12:53:00Z"}


def test_contiguous_ranges() -> None:
    assert contiguous_ranges({1, 2, 3, 7, 9, 10}) == [(1, 3), (7, 7), (9, 10)]
    assert contiguous_ranges([]) == []


def test_coalesced_refresh_one_signal_per_frame_with_exact_rows(qtbot) -> None:
    store = MarketStore()
    tokens = list(DEFAULT_TOKENS)
    model = WatchlistModel("w", MASTER, store, tokens)
    signals = []

    def seen(a, b, roles=None) -> None:
        frame = model.frame
        signals.append((a.row(), b.row(), frame.changed if frame else None, frame.faded if frame else None))

    model.dataChanged.connect(seen)
    # a burst of 20,000 ticks across every row: nothing touches Qt until refresh
    for i in range(20_000):
        token = tokens[i % len(tokens)]
        store.apply({token: quote(100_000 + (i % 97) * 5)})
    assert signals == []
    assert model.refresh(store.take_dirty(), now=100.0) == 1
    assert signals == [(0, len(tokens) - 1, list(range(len(tokens))), [])]
    # only rows 2, 3 and 10 change: one signal spanning them, the frame names exactly those rows
    signals.clear()
    for row in (2, 3, 10):
        store.apply({tokens[row]: quote(999_995)})
    assert model.refresh(store.take_dirty(), now=100.1) == 1
    assert signals == [(2, 10, [2, 3, 10], [])]
    assert model.frame is None  # only set while the signal is delivered
    # tokens not in this list never cause a signal
    signals.clear()
    store.apply({"99999999": quote(5)})
    assert model.refresh(store.take_dirty(), now=100.2) == 0
    # flashes end: rows that did not change again are "faded" (their LTP cell alone repaints)
    store.apply({tokens[3]: quote(999_990)})
    assert model.refresh(store.take_dirty(), now=100.0 + FLASH_SECONDS + 0.2) == 1
    assert signals[-1][2] == [3] and 3 not in signals[-1][3] and {2, 10} <= set(signals[-1][3])


def test_offscreen_rows_cost_nothing_per_frame_and_are_fresh_when_read(qtbot) -> None:
    store = MarketStore()
    tokens = list(DEFAULT_TOKENS)
    model = WatchlistModel("w", MASTER, store, tokens)
    model.set_visible_rows(0, 9)
    signals = []
    model.dataChanged.connect(lambda a, b, roles=None: signals.append((a.row(), b.row())))
    store.apply({tokens[2]: quote(111_105), tokens[40]: quote(222_205)})
    assert model.refresh(store.take_dirty()) == 1
    assert signals == [(2, 2)]  # row 40 is off screen: not rebuilt, not signalled
    assert model._cells[40][LTP] == "—"
    assert model.data(model.index(40, LTP)) == "2,222.05"  # …but a read sees the latest quote
    store.apply({tokens[41]: quote(333_305)})
    model.refresh(store.take_dirty())
    signals.clear()
    model.set_visible_rows(35, 44)  # scrolled: rows that changed while hidden are rebuilt before painting
    assert model._cells[41][LTP] == "3,333.05" and signals == [(41, 41)]


def test_fast_tick_paint_matches_qt_paint(qtbot) -> None:
    """The tick fast path and Qt's own repaint (through the delegate) draw the same pixels."""
    from airalgo_desktop.ui.watchlist import WatchlistView

    store = MarketStore()
    tokens = list(DEFAULT_TOKENS)[:20]
    model = WatchlistModel("w", MASTER, store, tokens)
    view = WatchlistView(model)
    qtbot.addWidget(view)
    view.resize(640, 360)
    view.show()
    qtbot.waitExposed(view)
    view.selectRow(4)
    store.apply({t: quote(100_000 + i * 55) for i, t in enumerate(tokens)})
    model.refresh(store.take_dirty())
    qtbot.wait(50)
    store.apply({t: quote(100_000 + i * 55 + (5 if i % 3 else -5)) for i, t in enumerate(tokens) if i % 2})
    painted = []
    real_fast = view._paint_ticks
    view._paint_ticks = lambda rows: (painted.append(sorted(rows)), real_fast(rows))

    def screen_image():  # what was flushed to the screen (grab() would paint the widget again, through Qt)
        QApplication.processEvents()
        origin = view.viewport().mapTo(view.window(), QPoint(0, 0))
        shot = view.screen().grabWindow(view.window().winId()).toImage()
        return shot.copy(QRect(origin, view.viewport().size()))

    model.refresh(store.take_dirty())
    fast = screen_image()  # the fast path painted exactly the rows the frame named…
    first, last = model._visible
    assert first == 0 and last < len(tokens) - 1  # some rows are below the fold: neither rebuilt nor painted
    assert painted == [[r for r in range(first, last + 1) if r % 2]]
    view.viewport().repaint()  # …and a full repaint through Qt and the delegate looks the same
    slow = screen_image()
    assert len(painted) == 1
    assert fast == slow


def test_display_arrows_colours_and_reference_labels(qtbot) -> None:
    store = MarketStore()
    model = WatchlistModel("w", MASTER, store, ["2885", "2442"])
    store.apply({"2885": quote(124_000), "2442": quote(24_295)})
    model.refresh(store.take_dirty())
    store.apply({"2885": quote(125_000), "2442": quote(24_200)})
    model.refresh(store.take_dirty())
    ltp = model.data(model.index(0, LTP))
    assert ltp == "▲ 1,250.00"  # arrow as well as colour
    assert model.data(model.index(0, CHANGE)) == "+10.00"  # vs previous close ₹1,240.00 from the CSV
    assert model.data(model.index(0, PCT)) == "+0.81%"
    assert model.data(model.index(0, LTP), Qt.ItemDataRole.BackgroundRole) is not None  # flashing
    # the CSV has a close for 2442 too; an instrument without one is measured from the first tick, marked
    store2 = MarketStore()
    from airalgo_desktop.domain.instruments import Instrument, InstrumentMaster

    master = InstrumentMaster([Instrument("1", "NOCLOSE")])
    m2 = WatchlistModel("w", master, store2, ["1"])
    store2.apply({"1": quote(10_000)})
    m2.refresh(store2.take_dirty())
    store2.apply({"1": quote(9_900)})
    m2.refresh(store2.take_dirty())
    assert m2.data(m2.index(0, CHANGE)) == "-1.00" + FIRST_TICK_MARK
    assert m2.data(m2.index(0, LTP)).startswith("▼")
    assert "first tick" in m2.data(m2.index(0, 0), Qt.ItemDataRole.ToolTipRole)
    assert "first tick" in m2.headerData(CHANGE, Qt.Orientation.Horizontal, Qt.ItemDataRole.ToolTipRole)


def test_add_remove_reorder(qtbot) -> None:
    model = WatchlistModel("w", MASTER, MarketStore(), ["22", "2885", "3045"])
    changes = []
    model.tokensChanged.connect(lambda a, r: changes.append((a, r)))
    assert model.add("1594") and not model.add("22")
    assert model.tokens == ["22", "2885", "3045", "1594"]
    assert model.move_row(0, 2) and model.tokens == ["2885", "3045", "22", "1594"]
    assert model.move_row(3, 0) and model.tokens == ["1594", "2885", "3045", "22"]
    assert not model.move_row(0, 9)
    assert model.remove_rows([1, 3]) == ["22", "2885"]
    assert model.tokens == ["1594", "3045"]
    assert model.data(model.index(1, 0), TOKEN_ROLE) == "3045"
    assert changes[0] == (["1594"], [])


def test_drag_and_drop_moves_rows(qtbot) -> None:
    model = WatchlistModel("w", MASTER, MarketStore(), ["22", "2885", "3045", "1594"])
    mime = model.mimeData([model.index(0, 0)])
    assert model.dropMimeData(mime, Qt.DropAction.MoveAction, 3, 0, QModelIndex()) is False  # view must not delete
    assert model.tokens == ["2885", "3045", "22", "1594"]


def test_panel_persists_and_subscribes_active_tab(qtbot, settings: QSettings) -> None:
    panel = WatchlistPanel(MASTER, MarketStore(), Prefs(settings))
    qtbot.addWidget(panel)
    assert [m.name for m in panel.models] == ["NIFTY 50", "Watchlist 2"]  # first-run default
    assert panel.models[0].tokens[-1] == "35013" and len(panel.models[0].tokens) == 51
    sub = FakeSubscriber()
    subscriptions = Subscriptions()
    subscriptions.attach(sub)
    panel.activeTokensChanged.connect(lambda tokens: subscriptions.want("watchlist", tokens))
    subscriptions.want("watchlist", panel.active_tokens())
    assert sub.active == set(panel.models[0].tokens)
    panel.tabs.setCurrentIndex(1)
    assert sub.active == set()
    assert panel.add_token("22") and sub.active == {"22"}
    panel.add_token("2885")
    view = panel.current_view()
    view.selectRow(0)
    assert panel.remove_selected() == ["22"] and sub.active == {"2885"}
    panel.new_watchlist("Banks")
    panel.add_token("1333")
    panel.save()
    again = WatchlistPanel(MASTER, MarketStore(), Prefs(settings))
    qtbot.addWidget(again)
    assert [m.name for m in again.models] == ["NIFTY 50", "Watchlist 2", "Banks"]
    assert again.models[1].tokens == ["2885"] and again.models[2].tokens == ["1333"]
    assert again.tabs.currentIndex() == 2


def test_search_completer_adds_ranked_result(qtbot, settings: QSettings) -> None:
    panel = WatchlistPanel(MASTER, MarketStore(), Prefs(settings))
    qtbot.addWidget(panel)
    panel.tabs.setCurrentIndex(1)
    panel._update_completions("sbi")
    first = panel._completion_model.stringList()[0]
    assert first.startswith("SBIN") and "(3045)" in first
    panel._completion_chosen(first)
    assert panel.models[1].tokens == ["3045"]
    panel.search.setText("acc")
    panel._search_enter()
    assert panel.models[1].tokens == ["3045", "22"]


def test_search_enter_without_a_match_says_so_in_the_status_bar(qtbot, settings: QSettings) -> None:
    from PySide6.QtTest import QTest

    from airalgo_desktop.ui.main_window import MainWindow

    window = MainWindow(MASTER, MarketStore(), Prefs(settings))
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    search = window.watchlist.search
    rows = list(window.watchlist.current_view().watchlist().tokens)
    search.setFocus()
    QTest.keyClicks(search, "zzzz")
    QTest.keyClick(search, Qt.Key.Key_Return)
    assert window.message_label.text() == "No instrument matches “zzzz”."
    assert search.text() == "zzzz" and window.watchlist.current_view().watchlist().tokens == rows
