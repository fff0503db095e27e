"""The risk gate's views: Trade → Risk limits… (every limit optional, rupees grouped, the typed early unlock), the
status bar's meter (amber at 80 %, red at the lock, readable), the kill switch's confirmation and report, File → Day
report… — and, in the running demo app, the ticket showing the order-value limit inline with Send disabled."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, timedelta

from PySide6.QtCore import QEvent, Qt
from PySide6.QtGui import QColor, QFocusEvent, QKeySequence
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QDialogButtonBox

from airalgo_desktop.api.events import LateOrderResponse, OrderEvent
from airalgo_desktop.desk.notices import RiskChanged
from airalgo_desktop.desk.shadow import ShadowDesk
from airalgo_desktop.domain.nsetime import IST
from airalgo_desktop.domain.orders import OrderKind, OrderRecord, OrderRequest, OrderStatus, OrderUpdate, Side
from airalgo_desktop.services.report import build, text_lines
from airalgo_desktop.services.risk import RiskLimits
from airalgo_desktop.services.shadow import SHADOW_FILE, ShadowFill, append_shadow
from airalgo_desktop.store.journal import Journal
from airalgo_desktop.ui.day_report import DayReportDialog, desk_report
from airalgo_desktop.ui.risk import METER_STYLE, KillSwitchDialog, RiskLimitsDialog, RiskMeter, meter_text
from tests.desk.fakes import FakeClient, make_desk, ticks, update
from tests.ui.conftest import app_args, running_app, wait_until


def save(dialog: RiskLimitsDialog) -> None:
    button = dialog.findChild(QDialogButtonBox).button(QDialogButtonBox.StandardButton.Save)
    QTest.mouseClick(button, Qt.MouseButton.LeftButton)


def test_limits_dialog_saves_each_limit_optional_in_paisa(qtbot) -> None:
    dialog = RiskLimitsDialog(RiskLimits())
    qtbot.addWidget(dialog)
    saved: list[RiskLimits] = []
    dialog.saved.connect(saved.append)
    dialog.show()
    qtbot.waitExposed(dialog)
    assert dialog.money["max_order_value"].text() == "₹10,00,000.00"  # the old guard's default, grouped
    assert not dialog.boxes["max_day_loss"].isChecked() and not dialog.money["max_day_loss"].isEnabled()
    assert not dialog.net.isEnabled()
    dialog.boxes["max_day_loss"].setChecked(True)
    assert dialog.money["max_day_loss"].isEnabled() and dialog.net.isEnabled()
    field = dialog.money["max_day_loss"]
    field.setFocus()
    QTest.keyClicks(field, "5000")
    QApplication.sendEvent(field, QFocusEvent(QEvent.Type.FocusOut, Qt.FocusReason.TabFocusReason))
    assert field.text() == "₹5,000.00"  # regrouped on leaving, like every amount in the app
    dialog.net.setChecked(True)
    dialog.boxes["max_orders_per_minute"].setChecked(True)
    dialog.counts["max_orders_per_minute"].setValue(10)
    dialog.boxes["max_order_value"].setChecked(False)
    save(dialog)
    assert saved == [RiskLimits(max_day_loss=5_000_00, loss_net_of_charges=True, max_orders_per_minute=10,
                                max_order_value=None)]
    assert not dialog.isVisible()


def test_limits_dialog_refuses_amounts_that_cannot_be_limits(qtbot) -> None:
    for typed, said in (("-5", "above ₹0"), ("0", "above ₹0"), ("12,5O0", "max loss"),
                        ("99999999999999999", "not a plausible")):
        dialog = RiskLimitsDialog(RiskLimits(max_day_loss=1_000_00))
        qtbot.addWidget(dialog)
        saved: list[RiskLimits] = []
        dialog.saved.connect(saved.append)
        dialog.show()
        field = dialog.money["max_day_loss"]
        field.selectAll()
        QTest.keyClicks(field, typed)
        save(dialog)
        assert saved == [] and dialog.isVisible(), typed
        assert said in dialog.error.text(), (typed, dialog.error.text())
        assert field.text() == typed  # what was typed stays, to be corrected


def test_unlock_early_takes_the_typed_phrase(qtbot) -> None:
    typed: list[str] = []

    def unlock(text: str) -> bool:
        typed.append(text)
        return text.strip().upper() == "UNLOCK"

    dialog = RiskLimitsDialog(RiskLimits(), "the day's loss reached your limit of ₹5,000.00", unlock)
    qtbot.addWidget(dialog)
    dialog.show()
    assert dialog.lock_box is not None and dialog.lock_box.isVisible()
    assert not dialog.unlock_button.isEnabled()
    QTest.keyClicks(dialog.unlock_edit, "unlo")
    assert not dialog.unlock_button.isEnabled()
    QTest.keyClicks(dialog.unlock_edit, "ck")
    assert dialog.unlock_button.isEnabled()
    QTest.mouseClick(dialog.unlock_button, Qt.MouseButton.LeftButton)
    assert typed == ["unlock"] and dialog.lock_box.title() == "Unlocked"
    assert RiskLimitsDialog(RiskLimits()).lock_box is None  # no lock, no unlock


def contrast(a: QColor, b: QColor) -> float:
    def lum(c: QColor) -> float:
        def ch(v: float) -> float:
            return v / 12.92 if v <= 0.03928 else ((v + 0.055) / 1.055) ** 2.4
        return 0.2126 * ch(c.redF()) + 0.7152 * ch(c.greenF()) + 0.0722 * ch(c.blueF())
    hi, lo = sorted((lum(a), lum(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


def test_meter_text_levels_and_contrast(qtbot) -> None:
    limits = RiskLimits(max_day_loss=5_000_00, max_orders_per_minute=10)
    meter = RiskMeter(lambda: limits)
    qtbot.addWidget(meter)
    meter.show_figures(RiskChanged(-1_000_00, 5_000_00, 3, 10, 12, None, False))
    assert meter.text() == "Day \u2212₹1,000 of \u2212₹5,000 · 3/10 orders/min" and meter.level == "ok"
    assert meter.styleSheet() == ""
    meter.show_figures(RiskChanged(-4_250_00, 5_000_00, 3, 10, 12, None, False))
    assert meter.text() == "Day \u2212₹4,250 of \u2212₹5,000 · 3/10 orders/min" and meter.level == "warn"
    assert METER_STYLE["warn"][0] in meter.styleSheet()
    meter.show_figures(RiskChanged(-5_100_00, 5_000_00, 3, 10, 12, None, True))
    assert meter.text().startswith("Day \u2212₹5,100") and meter.level == "locked"
    assert "locked for today" in meter.toolTip() and "Orders today: 12" in meter.toolTip()
    assert "Max loss for the day ₹5,000.00" in meter.toolTip() and "Max 10 orders a minute" in meter.toolTip()
    for background, text in METER_STYLE.values():
        assert contrast(QColor(background), QColor(text)) >= 4.5, background
    assert meter_text(RiskChanged(2_500_00, None, 0, None, 4, 40, False)) == "Day ₹2,500 · 0 orders/min"


def test_the_meter_never_shows_the_limit_reached_before_the_lock():
    # −₹4,999.50 rounded would read "−₹5,000 of −₹5,000" on a day that is not locked: the paisa are cut, not rounded
    assert meter_text(RiskChanged(-4_999_50, 5_000_00, 0, None, 1, None, False)) == \
        "Day \u2212₹4,999 of \u2212₹5,000 · 0 orders/min"
    # a limit with paisa is shown with them, so a loss of ₹5,000.20 against ₹5,000.50 cannot read as the limit
    assert meter_text(RiskChanged(-5_000_20, 5_000_50, 0, None, 1, None, False)) == \
        "Day \u2212₹5,000 of \u2212₹5,000.50 · 0 orders/min"
    assert meter_text(RiskChanged(-5_000_00, 5_000_00, 0, None, 1, None, True)).startswith(
        "Day \u2212₹5,000 of \u2212₹5,000 ")
    assert meter_text(RiskChanged(-50, None, 0, None, 0, None, False)) == "Day ₹0 · 0 orders/min"
    assert meter_text(RiskChanged(1_999_99, None, 0, None, 0, None, False)) == "Day ₹1,999 · 0 orders/min"


def request(side: Side, qty: int) -> OrderRequest:
    return OrderRequest("2885", side, OrderKind.MARKET, qty)


def test_kill_switch_confirmation_lists_what_will_happen(qtbot) -> None:
    still = OrderRecord("L7", OrderRequest("1333", Side.BUY, OrderKind.LIMIT, 5, price=1600_00), "HDFCBANK",
                        datetime(2026, 12, 4, 10, 0, tzinfo=IST), status=OrderStatus.PENDING)
    dialog = KillSwitchDialog([request(Side.SELL, 10)], [still], {"2885": "RELIANCE", "1333": "HDFCBANK"}.get,
                              False)
    qtbot.addWidget(dialog)
    text = dialog.text.text()
    assert "Lock the day" in text and "Sell 10 RELIANCE at market" in text
    assert "cannot be cancelled" in text and "Buy 5 HDFCBANK Limit @ ₹1,600.00 — Pending" in text
    fired: list[bool] = []
    dialog.confirmed.connect(lambda: fired.append(True))
    dialog.show()
    QTest.mouseClick(dialog.go, Qt.MouseButton.LeftButton)
    assert fired == [True]


def test_day_report_dialog_table_totals_and_csv_with_bom(qtbot, tmp_path) -> None:
    day = date(2026, 12, 4)
    at = datetime(2026, 12, 4, 10, 0, tzinfo=IST)
    records = [OrderRecord("L1", request(Side.BUY, 10), "RELIANCE", at, status=OrderStatus.EXECUTED,
                           executed_price=1300_00),
               OrderRecord("L2", request(Side.SELL, 4), "RELIANCE", at, status=OrderStatus.EXECUTED,
                           executed_price=1310_00)]
    asked: list[date] = []

    def load(d: date):
        asked.append(d)
        return build(d, records if d == day else [], lambda _t: None, {"2885": 1320_00})

    dialog = DayReportDialog(load, day)
    qtbot.addWidget(dialog)
    assert dialog.table.rowCount() == 2 and dialog.table.item(1, 0).text() == "Total"
    assert dialog.table.item(0, 4).text() == "+₹40.00" and dialog.table.item(0, 5).text() == "+₹120.00"
    assert "estimate" in dialog.notes.text() and "STT" in dialog.rates.toPlainText()
    assert "Finance Act" in dialog.rates.toPlainText()  # each rate with its source
    path = tmp_path / "report.csv"
    assert dialog.export_to(path)
    assert path.read_bytes().startswith(b"\xef\xbb\xbf") and "₹" in path.read_text(encoding="utf-8-sig")
    dialog.date.setDate(dialog.date.date().addDays(-1))  # an earlier day
    assert asked[-1] == date(2026, 12, 3) and "No orders" in dialog.summary.text()
    assert not dialog.export.isEnabled()


def test_the_in_app_day_report_takes_the_charges_of_the_final_answer(tmp_path) -> None:
    journal = Journal.open(tmp_path / "data")
    desk, _prefs, _notices = make_desk(journal)
    client = FakeClient()
    desk.attach(client)
    try:
        client.emit(ticks(t2885=1300_00))
        placed = desk.ledger.place(request(Side.BUY, 10))

        def answer(charges: float) -> OrderUpdate:
            return replace(update("2885", "Executed", quantity=10, price=1300_00),
                           raw={"token_number": "2885", "status": "Executed", "order_number": "1001",
                                "executed_price": 1300.0, "net_charges": charges})

        final = answer(12.0)
        client.emit(OrderEvent(placed.local_id, final))
        client.emit(LateOrderResponse(placed.local_id, answer(99.0), final))  # journalled, never applied
        day = placed.created.astimezone(IST).date()
        assert desk_report(desk, day, day).rows[0].reported == 12  # today, from the desk's records
        assert desk_report(desk, day, day + timedelta(days=1)).rows[0].reported == 12  # a day read from the journal
    finally:
        desk.detach()
        desk.close()


def test_the_in_app_day_report_sums_the_shadow_slippage(qtbot, tmp_path) -> None:
    desk, _prefs, _notices = make_desk()
    keep = tmp_path / SHADOW_FILE
    shadow = desk.add_part(ShadowDesk(desk.context, keep=keep))
    client = FakeClient()
    desk.attach(client)
    client.emit(ticks(t2885=1300_00))
    placed = desk.ledger.place(request(Side.BUY, 10))
    client.emit(OrderEvent(placed.local_id, update("2885", "Executed", quantity=10, price=1300_10)))  # +2 ticks
    assert shadow.fills[placed.local_id].complete
    day = placed.created.astimezone(IST).date()
    # an order of an earlier run of the day, kept in the file: −1 tick on 4 units
    append_shadow(keep, day, ShadowFill("E1", "2885", "RELIANCE", Side.SELL, 4, 5, 1300_00, 1300_05))
    report = desk_report(desk, day, day, shadow)
    assert report.shadow is not None and (report.shadow.orders, report.shadow.slippage) == (2, 100 - 20)
    assert report.shadow.ticks == 1
    dialog = DayReportDialog(lambda d: desk_report(desk, d, day, shadow), day)
    qtbot.addWidget(dialog)
    dialog.show()
    said = "Shadow slippage +₹0.80 over 2 orders (avg 0.50 ticks), 1 tick in all"
    assert dialog.shadow.isVisible() and dialog.shadow.text() == said
    assert said in text_lines(report)
    dialog.date.setDate(dialog.date.date().addDays(-1))  # an earlier day: nothing kept for it, this run's not counted
    assert dialog.shadow.text() == "Shadow slippage: no order compared yet"
    off = DayReportDialog(lambda d: desk_report(desk, d, day), day)  # shadow fills off: no line
    qtbot.addWidget(off)
    off.show()
    assert not off.shadow.isVisible() and off.report is not None and off.report.shadow is None


def test_in_the_app_the_ticket_shows_the_limit_and_the_kill_switch_reports(qtbot, qloop, paths, feb_2025) -> None:
    async def scenario() -> None:
        async with running_app(app_args("--demo"), paths) as app:
            await wait_until(lambda: app.desk.client and app.desk.client.state.joined and app.desk.store.ltp("2885"))
            actions = app.window.actions_
            assert actions["kill_switch"].shortcut() == QKeySequence("Ctrl+Shift+K")
            trade = next(m for m in app.window.menuBar().actions() if m.text() == "&Trade").menu()
            assert actions["risk_limits"] in trade.actions() and actions["kill_switch"] in trade.actions()
            ticket = app.ticket
            app.commands.open_ticket("2885", Side.BUY)
            ticket.confirm_box.setChecked(False)
            ticket.qty.setValue(5000)  # ₹60 lakh+: above the ₹10 lakh order value limit
            await wait_until(lambda: "above your limit" in ticket.problems.text())
            assert not ticket.send_button.isEnabled() and "Trade → Risk limits…" in ticket.problems.text()
            dialog = app.commands.edit_risk_limits()
            dialog.boxes["max_order_value"].setChecked(False)
            save(dialog)
            assert app.desk.risk.limits.max_order_value is None
            ticket.qty.setValue(5)
            await wait_until(lambda: ticket.send_button.isEnabled())
            ticket.send()
            await wait_until(lambda: ticket.record and ticket.record.status is OrderStatus.EXECUTED)
            ticket.close()
            meter = app.commands.risk_meter
            await wait_until(lambda: "orders/min" in meter.text())
            confirm = app.commands.kill_switch()
            assert "Sell 5" in confirm.text.text()
            QTest.mouseClick(confirm.go, Qt.MouseButton.LeftButton)
            await wait_until(lambda: getattr(app.commands, "kill_report", None) is not None)
            report = app.commands.kill_report.text.toPlainText()
            assert "The day is locked" in report and "Sent: Sell 5" in report
            await wait_until(lambda: meter.level == "locked")
            assert app.desk.risk.gate.locked is not None
            unlock = app.commands.edit_risk_limits()
            assert unlock.lock_box is not None
            unlock.close()
            day = app.commands.day_report()
            assert day.table.rowCount() == 2 and "RELIANCE" in day.table.item(0, 0).text()
            day.close()

    qloop.run_until_complete(scenario())
