"""Issue 17: the order ticket as a trader types into it — real key events, paste, clicks (no app, no server:
the ticket with the real master, market store, order validation and guards)."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QSettings, Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtTest import QTest

from airalgo_desktop.domain.instruments import load_sample
from airalgo_desktop.domain.orders import OrderRequest, Side
from airalgo_desktop.services.guards import GuardSettings, evaluate
from airalgo_desktop.store.market import MarketStore
from airalgo_desktop.ui.ticket import OrderTicket

RELIANCE = "2885"


class Sent(list):
    """The submit callable: remembers what would have gone to the wire."""

    def __call__(self, request: OrderRequest):  # type: ignore[no-untyped-def]
        self.append(request)
        raise RuntimeError("test: not sent")


@pytest.fixture
def ticket(qtbot, tmp_path):
    master = load_sample()
    store = MarketStore()
    store.apply({RELIANCE: {"ltp": 124060, "ltq": 1, "ltt": 0}})
    settings = QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat)
    sent = Sent()

    def guards(req: OrderRequest):  # type: ignore[no-untyped-def]
        return evaluate(req, master.get(req.token), ltp=store.ltp(req.token), tick_age=0.5, recent=(), now=0.0,
                        settings=GuardSettings())

    t = OrderTicket(master, store, settings, sent, lambda req: req.validate(master.get(req.token)), guards=guards)
    t.sent_requests = sent
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
