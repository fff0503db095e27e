"""The chart's and the ticket's pieces alone: the bar feed says what changed (no Qt), the ticket's fields park and
prefill by themselves, and the views' old names are read-only windows onto their pieces."""

from __future__ import annotations

import pytest

from airalgo_desktop.domain.bars import Frame
from airalgo_desktop.domain.orders import OrderKind, Side
from airalgo_desktop.instruments.demo import load_sample
from airalgo_desktop.store.market import MarketStore
from airalgo_desktop.ui.chart_feed import BarFeed
from airalgo_desktop.ui.pieces import alias
from airalgo_desktop.ui.ticket_fields import TicketFields
from tests.ui.test_chart import CopyingSource, week_of_bars

RELIANCE = "2885"


def test_the_bar_feed_says_what_changed() -> None:
    source = CopyingSource({RELIANCE: week_of_bars(1), "22": week_of_bars(1, seed=2)})
    feed = BarFeed(source, load_sample())
    assert feed.pull() == "all" and len(feed.bars) == 0  # no instrument yet: nothing to show
    feed.token = RELIANCE
    assert feed.pull() == "all" and len(feed.bars) == 375
    assert feed.pull() is None  # the source did not move: not even asked
    assert feed.pull(force=True) == "all"
    source.version += 1  # another instrument ticked
    assert feed.pull() is None
    live = source.data[RELIANCE]
    live.close[-1] += 5
    source.version += 1
    assert feed.pull() == "live" and feed.bars.close[-1] == live.close[-1]
    live.close[-2] += 5  # a late trade on the minute before
    source.version += 1
    assert feed.pull() == "all"
    feed.frame = Frame.M5
    source.version += 1
    assert feed.pull() == "all" and len(feed.bars) == 75
    assert feed.previous_close() == 124_000  # the master's, as the instrument panel shows it


def test_ticket_fields_prefill_and_park_on_their_own(qtbot) -> None:
    store = MarketStore()
    store.apply({RELIANCE: {"ltp": 124060, "ltq": 1, "ltt": 0}})
    fields = TicketFields(store)
    qtbot.addWidget(fields)
    kinds: list[OrderKind] = []
    fields.kindChanged.connect(lambda: kinds.append(fields.current_kind()))
    inst = load_sample().get(RELIANCE)
    assert inst is not None
    fields.reset(inst)
    assert fields.qty.value() == inst.lot_size and fields.current_kind() is OrderKind.MARKET and not kinds
    fields.kind.setCurrentIndex(1)  # Limit
    fields.use_kind(inst, Side.BUY)
    assert kinds == [OrderKind.LIMIT] and fields.price.value() == 124060  # the live LTP
    fields.price.lineEdit().setText("1,239.00")
    fields.kind.setCurrentIndex(0)  # Market: the price is greyed, what was typed parked
    fields.use_kind(inst, Side.BUY)
    assert not fields.price.isEnabled() and fields.price.lineEdit().text() == ""
    fields.kind.setCurrentIndex(1)
    fields.use_kind(inst, Side.BUY)
    assert fields.price.lineEdit().text() == "1,239.00"
    fields.qty.lineEdit().setText("1.5")
    assert fields.field_problems() and "whole number" in fields.field_problems()[0]


def test_an_alias_reads_the_piece_and_cannot_be_set() -> None:
    class Piece:
        label = "on the piece"

    class View:
        label = alias("piece", "label")

        def __init__(self) -> None:
            self.piece = Piece()

    view = View()
    assert view.label == "on the piece"
    with pytest.raises(AttributeError):
        view.label = "elsewhere"  # type: ignore[misc]
