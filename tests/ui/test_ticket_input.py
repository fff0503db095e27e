"""Issue 17: the order ticket as a trader types into it — real key events, paste, clicks (no app, no server:
the ticket with the real master, market store, order validation and guards)."""

from __future__ import annotations

from datetime import date

import pytest
from PySide6.QtCore import QSettings, Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtTest import QTest

from airalgo_desktop.domain.instruments import Instrument, InstrumentMaster
from airalgo_desktop.domain.nsetime import now_ist
from airalgo_desktop.domain.orders import OrderKind, OrderRecord, OrderRequest, OrderStatus, Side
from airalgo_desktop.instruments.demo import load_sample
from airalgo_desktop.services.guards import GuardSettings, evaluate
from airalgo_desktop.services.risk import Exposure, RiskGate, RiskLimits
from airalgo_desktop.settings import Prefs
from airalgo_desktop.store.market import MarketStore
from airalgo_desktop.ui import theme
from airalgo_desktop.ui.orderbook import OrderBookModel, OrderBookPanel
from airalgo_desktop.ui.ticket import OrderTicket
from airalgo_desktop.ui.watchlist import WatchlistPanel

RELIANCE = "2885"
FROZEN = "990100"  # an equity with a freeze quantity (no expiry, so it stays tradable whatever the date)


class Sent(list):
    """The submit callable: remembers what would have gone to the wire."""

    def __call__(self, request: OrderRequest):  # type: ignore[no-untyped-def]
        self.append(request)
        raise RuntimeError("test: not sent")


@pytest.fixture
def ticket(qtbot, tmp_path):
    master = InstrumentMaster([*load_sample(), Instrument(FROZEN, "FROZENEQ", lot_size=1, freeze_qty=500)])
    store = MarketStore()
    store.apply({RELIANCE: {"ltp": 124060, "ltq": 1, "ltt": 0}, FROZEN: {"ltp": 10000, "ltq": 1, "ltt": 0}})
    prefs = Prefs(QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat))
    sent = Sent()

    def guards(req: OrderRequest):  # type: ignore[no-untyped-def]
        return evaluate(req, master.get(req.token), ltp=store.ltp(req.token), tick_age=0.5, recent=(), now=0.0,
                        settings=GuardSettings())

    gate = RiskGate(RiskLimits(), master.get, lambda: date(2026, 12, 4))  # the default limits: ₹10 lakh an order

    def check(req: OrderRequest) -> list[str]:  # as OrderLedger.check: validation, then the gate's preview
        ltp = store.ltp(req.token)
        refusal = gate.assess(req, Exposure(ltp={req.token: ltp} if ltp else {}), 0.0)
        return req.validate(master.get(req.token)) + ([refusal.before_send] if refusal else [])

    t = OrderTicket(master, store, prefs, sent, check, guards=guards)
    t.sent_requests = sent
    t.test_store = store
    qtbot.addWidget(t)
    assert t.open_for(RELIANCE, Side.BUY)
    qtbot.waitExposed(t)
    return t


def type_into(field, text: str) -> None:
    """Select all and type, as a trader does after Tab/click."""
    field.setFocus()
    field.lineEdit().selectAll()
    QTest.keyClicks(field.lineEdit(), text)


@pytest.mark.parametrize("typed, message", [
    ("1.5", "Quantity must be a whole number of lots"),
    ("-5", "Quantity cannot be negative"),
    ("99999999", "Quantity 99,999,999 is above"),
    ("abc", "Quantity 'abc' is not a number"),
])
def test_quantity_text_is_never_changed_into_another_number(ticket, typed, message) -> None:
    type_into(ticket.qty, typed)
    assert ticket.qty.lineEdit().text() == typed  # still exactly what was typed
    assert message in ticket.problems.text() and ticket.problems.isVisible()
    assert not ticket.send_button.isEnabled()
    assert ticket.value_label.text() == "—"  # no order value for a number that is not one
    QTest.keyClick(ticket.qty, Qt.Key.Key_Return)  # Enter does not send it either
    assert ticket.pages.currentIndex() == 0 and not ticket.sent_requests
    ticket.qty.clearFocus()  # focus-out does not "fix" it
    assert ticket.qty.lineEdit().text() == typed


def test_negative_limit_price_stays_and_is_reported(ticket) -> None:
    ticket.kind.setCurrentIndex(1)  # Limit
    type_into(ticket.price, "-756")
    assert ticket.price.lineEdit().text() == "-756"
    assert "Price cannot be negative" in ticket.problems.text()
    assert not ticket.send_button.isEnabled()
    type_into(ticket.price, "1240.123")
    assert ticket.price.lineEdit().text() == "1240.123" and "more than two decimals" in ticket.problems.text()
    type_into(ticket.price, "1240.60")  # valid again: the problem goes, Send comes back
    assert ticket.price.value() == 124060 and ticket.problems.text() == ""
    assert ticket.send_button.isEnabled()


def test_paste_behaves_like_typing(ticket) -> None:
    QGuiApplication.clipboard().setText("1.5")
    ticket.qty.setFocus()
    ticket.qty.lineEdit().selectAll()
    QTest.keyClick(ticket.qty.lineEdit(), Qt.Key.Key_V, Qt.KeyboardModifier.ControlModifier)
    assert ticket.qty.lineEdit().text() == "1.5"
    assert "whole number of lots" in ticket.problems.text() and not ticket.send_button.isEnabled()
    QGuiApplication.clipboard().setText("25")
    ticket.qty.lineEdit().selectAll()
    QTest.keyClick(ticket.qty.lineEdit(), Qt.Key.Key_V, Qt.KeyboardModifier.ControlModifier)
    assert ticket.qty.value() == 25 and ticket.send_button.isEnabled()


def test_valid_typing_and_arrows_still_work(ticket) -> None:
    type_into(ticket.qty, "7")
    assert ticket.qty.value() == 7 and ticket.send_button.isEnabled()
    QTest.keyClick(ticket.qty, Qt.Key.Key_Up)  # steps by the lot (1 for an equity)
    assert ticket.qty.value() == 8 and ticket.qty.lineEdit().text() == "8"
    type_into(ticket.qty, "1.5")
    QTest.keyClick(ticket.qty, Qt.Key.Key_Up)  # no guessing from invalid text
    assert ticket.qty.lineEdit().text() == "1.5"


# ------------------------------------------------------------------ item 9: ticket polish


def test_disabled_send_looks_different_from_enabled_in_both_themes(ticket, qapp) -> None:
    style, palette, dark = qapp.style().name(), qapp.palette(), qapp.property("airalgo_dark")
    try:
        for choice in (theme.ThemeChoice.LIGHT, theme.ThemeChoice.DARK):
            theme.apply_theme(qapp, choice)
            type_into(ticket.qty, "3")
            assert ticket.send_button.isEnabled()
            enabled = ticket.send_button.grab().toImage()
            type_into(ticket.qty, "0")
            assert not ticket.send_button.isEnabled()
            disabled = ticket.send_button.grab().toImage()
            assert enabled != disabled, choice
            # and clearly so: the button's face (left of the label) is not the side colour any more
            face = disabled.pixelColor(4, disabled.height() // 2)
            assert face != enabled.pixelColor(4, enabled.height() // 2), choice
    finally:
        qapp.setStyle(style)
        qapp.setPalette(palette)
        qapp.setProperty("airalgo_dark", dark)


def test_slm_confirm_names_the_trigger_and_no_price(ticket) -> None:
    ticket.kind.setCurrentIndex(3)  # SL-M
    assert ticket.send_button.isEnabled(), ticket.problems.text()
    QTest.keyClick(ticket.qty, Qt.Key.Key_Return)
    assert ticket.pages.currentIndex() == 1
    text = ticket.confirm_text.text()
    assert "SL-M trigger ₹1,240.65, then at the market price" in text
    assert "SL-M at" not in text
    price = ticket.price.lineEdit()
    assert price.text() == "" and price.placeholderText() == "at market once triggered"


def test_freeze_quantity_listed_once(ticket) -> None:
    assert ticket.open_for(FROZEN, Side.BUY)
    type_into(ticket.qty, "600")
    lines = [line for line in ticket.problems.text().splitlines() if "freeze" in line]
    assert lines == ["• Quantity 600 is above the exchange freeze quantity 500."]


def test_value_limit_points_to_the_menu_that_exists(ticket) -> None:
    type_into(ticket.qty, "1000")  # ₹12.4 lakh > ₹10 lakh
    assert "(Trade → Risk limits…)" in ticket.problems.text()  # the value limit moved there from the guards


def test_new_stop_tickets_default_the_trigger_one_tick_on_the_valid_side(ticket) -> None:
    ticket.kind.setCurrentIndex(3)  # SL-M buy, LTP 1,240.60, tick 0.05
    assert ticket.trigger.value() == 124065 and ticket.problems.text() == ""
    QTest.keyClick(ticket, Qt.Key.Key_F2)  # sell: one tick below
    assert ticket.side is Side.SELL and ticket.trigger.value() == 124055 and ticket.problems.text() == ""
    ticket.test_store.apply({RELIANCE: {"ltp": 124000, "ltq": 1, "ltt": 0}})  # the market moves below it
    ticket.refresh_ltp()
    assert ticket.trigger.value() == 123995 and ticket.problems.text() == ""  # an untouched default follows
    type_into(ticket.trigger, "1230")  # the trader's own trigger is never moved
    ticket.test_store.apply({RELIANCE: {"ltp": 122000, "ltq": 1, "ltt": 0}})
    ticket.refresh_ltp()
    assert ticket.trigger.lineEdit().text() == "1230" and "must be below the LTP" in ticket.problems.text()
    ticket.kind.setCurrentIndex(2)  # SL sell: limit two ticks below the trigger
    assert ticket.trigger.lineEdit().text() == "1230"


def test_market_ticket_shows_no_stale_price(ticket) -> None:
    assert ticket.current_kind() is OrderKind.MARKET
    assert ticket.price.lineEdit().text() == "" and not ticket.price.isEnabled()
    assert ticket.price.lineEdit().placeholderText() == "at market"
    ticket.test_store.apply({RELIANCE: {"ltp": 125000, "ltq": 1, "ltt": 0}})
    ticket.kind.setCurrentIndex(1)  # Limit: the live LTP, not the one from when the ticket opened
    assert ticket.price.value() == 125000
    type_into(ticket.price, "1249.95")
    ticket.kind.setCurrentIndex(0)
    assert ticket.price.lineEdit().text() == ""
    ticket.kind.setCurrentIndex(1)  # what was typed comes back
    assert ticket.price.lineEdit().text() == "1249.95"


def test_order_count_grammar(qtbot) -> None:
    model = OrderBookModel()
    panel = OrderBookPanel(model)
    qtbot.addWidget(panel)
    model.upsert(OrderRecord("L1", OrderRequest(RELIANCE, Side.BUY, OrderKind.MARKET, 1), "RELIANCE", now_ist(),
                             status=OrderStatus.PENDING))
    assert panel.summary.text() == "1 order · 1 open"
    model.upsert(OrderRecord("L2", OrderRequest(RELIANCE, Side.BUY, OrderKind.MARKET, 1), "RELIANCE", now_ist(),
                             status=OrderStatus.EXECUTED))
    assert panel.summary.text() == "2 orders · 1 open"


def test_search_box_clears_on_pick_and_on_escape(qtbot, tmp_path) -> None:
    master = load_sample()
    panel = WatchlistPanel(master, MarketStore(), Prefs(QSettings(str(tmp_path / "w.ini"),
                                                                  QSettings.Format.IniFormat)))
    qtbot.addWidget(panel)
    panel.show()
    qtbot.waitExposed(panel)
    panel.search.setFocus()
    QTest.keyClicks(panel.search, "ACC")  # (the sample's NIFTY futures expired in 2025: search no longer offers them)
    popup = panel.completer.popup()
    qtbot.waitUntil(popup.isVisible)
    QTest.keyClick(popup, Qt.Key.Key_Down)
    QTest.keyClick(popup, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: panel.search.text() == "")
    assert panel.models[0].tokens[-1] == "22"  # ACC was added
    QTest.keyClicks(panel.search, "RELI")
    qtbot.waitUntil(popup.isVisible)
    QTest.keyClick(popup, Qt.Key.Key_Escape)  # the first Esc closes the list of matches …
    QTest.keyClick(panel.search, Qt.Key.Key_Escape)  # … the next one clears the box
    assert panel.search.text() == ""


# ------------------------------------------------------------------ item 3: no price yet


def test_market_order_without_a_price_says_value_unknown_in_the_confirm_step(ticket) -> None:
    assert ticket.open_for("3045", Side.BUY)  # SBIN: no tick in the store yet
    assert ticket.test_store.ltp("3045") is None
    assert ticket.value_label.text() == "no price yet — value unknown"
    QTest.keyClick(ticket.qty, Qt.Key.Key_Return)
    assert ticket.pages.currentIndex() == 1
    text = ticket.confirm_text.text()
    assert "no price yet — value unknown" in text and "₹0.00" not in text


def test_market_order_without_a_price_still_meets_the_value_limit(ticket) -> None:
    assert ticket.open_for("3045", Side.BUY)  # SBIN, previous close ₹7xx: 2,000 of them is ₹14 lakh+
    type_into(ticket.qty, "2000")
    assert "at the previous close: no price yet" in ticket.problems.text()
    assert not ticket.send_button.isEnabled()
    QTest.keyClick(ticket.qty, Qt.Key.Key_Return)
    assert ticket.pages.currentIndex() == 0 and not ticket.sent_requests


def test_a_typed_limit_price_survives_switching_to_sl_and_the_trigger_still_gets_its_default(ticket) -> None:
    ticket.kind.setCurrentIndex(1)  # Limit (buy), LTP ₹1,240.60
    type_into(ticket.price, "1241.50")
    ticket.kind.setCurrentIndex(2)  # SL
    assert ticket.price.lineEdit().text() == "1241.50"  # typed: kept
    assert ticket.trigger.value() == 124065  # not typed: one tick above the LTP
    assert ticket.problems.text() == "" and ticket.send_button.isEnabled()


def test_the_followed_order_names_its_state_once(ticket) -> None:
    """After sending, the ticket read "Sent → Pending" over "Pending" (and "Sent" over "Sent"): the second line now
    says what the state means."""
    request = OrderRequest(RELIANCE, Side.BUY, OrderKind.LIMIT, 1, price=1_230_00)
    record = OrderRecord("L1", request, "RELIANCE", now_ist(), status=OrderStatus.SENT, history=["Sent"])
    ticket.record = record
    ticket.follow(record)
    text = ticket.status_label.text()
    assert text.count("Sent") == 1 and "Waiting for the exchange's answer" in text
    record.history.append("Pending")
    record.status = OrderStatus.PENDING
    ticket.follow(record)
    text = ticket.status_label.text()
    assert text.count("Pending") == 1 and "Sent → Pending" in text and "Open at the exchange" in text


def red(field) -> bool:
    """The field shows the red border of an invalid input."""
    return field.property("invalid") is True and "#d83a3a" in field.styleSheet()


def clear_by_keys(field) -> None:
    field.setFocus()
    field.lineEdit().selectAll()
    QTest.keyClick(field.lineEdit(), Qt.Key.Key_Backspace)


@pytest.mark.parametrize("kind, field, typed, message", [
    (0, "qty", "0", "Quantity must be a whole number above zero"),
    (0, "qty", "", "Quantity must be a whole number above zero"),
    (1, "price", "", "Limit orders need a price above zero"),
    (1, "price", "0", "Limit orders need a price above zero"),
    (1, "price", "1240.03", "Price must be a multiple of the tick size"),
    (2, "trigger", "1200", "A buy stop-loss trigger must be above the LTP"),
])
def test_every_rejected_field_gets_the_red_border_with_its_message(ticket, kind, field, typed, message) -> None:
    ticket.kind.setCurrentIndex(kind)
    widget = getattr(ticket, field)
    if typed:
        type_into(widget, typed)
    else:
        clear_by_keys(widget)
    assert widget.lineEdit().text() == typed and message in ticket.problems.text()
    assert not ticket.send_button.isEnabled()
    assert red(widget), (field, typed, widget.styleSheet())
    assert message.split(" must")[0].split(" need")[0] in widget.toolTip() or message in widget.toolTip()
    others = [w for w in (ticket.qty, ticket.price, ticket.trigger) if w is not widget and w.isEnabled()]
    assert not any(red(w) for w in others)  # only the field that is wrong
    good = {"qty": "3", "price": "1240.05", "trigger": "1245"}[field]
    type_into(widget, good)  # fixed: the border goes with the message
    if field == "trigger":  # the limit price followed the wrong trigger (1200.10): now the pair is wrong, both red
        assert "must not be above its limit price" in ticket.problems.text() and red(ticket.price)
        type_into(ticket.price, "1250")
    assert not red(widget) and message not in ticket.problems.text(), ticket.problems.text()
    assert widget.toolTip() == ""
