"""The whole app (window + client + services) on one qasync loop against the simulator."""

from __future__ import annotations

import asyncio
import contextlib
from datetime import date

import keyring.backend
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

from airalgo_desktop.api.events import State
from airalgo_desktop.domain.orders import OrderKind, OrderStatus, Side
from airalgo_desktop.keystore import KeyStore
from airalgo_desktop.services.risk import RiskLimits
from airalgo_desktop.ui.orderbook import MESSAGE, STATUS, OrderFilter
from tests.ui.conftest import app_args, running_app, wait_until


class MemoryKeyring(keyring.backend.KeyringBackend):
    """An in-memory keyring that survives 'restarts' of the app within a test."""

    priority = 1  # type: ignore[assignment]

    def __init__(self) -> None:
        super().__init__()
        self.store: dict[tuple[str, str], str] = {}

    def get_password(self, service, username):
        return self.store.get((service, username))

    def set_password(self, service, username, password):
        self.store[(service, username)] = password

    def delete_password(self, service, username):
        if (service, username) not in self.store:
            raise keyring.errors.PasswordDeleteError("none")
        del self.store[(service, username)]


@contextlib.asynccontextmanager
async def running_sim():
    """A simulator for one scenario. It is stopped inside the scenario's own loop run: a task left alive between
    ``run_until_complete`` calls can be resumed by Qt's event processing while no asyncio loop runs."""
    from airalgo_desktop.sim.server import SimConfig, SimServer

    server = SimServer(SimConfig(api_keys=("sim-key-1",), rate_hz=10, fill_delay=0.05))
    await server.start()
    try:
        yield server
    finally:
        await server.stop()


def joined(app) -> bool:
    return app.desk.client is not None and app.desk.client.state.state is State.JOINED


def test_market_order_from_ticket_reaches_executed(qtbot, qloop, paths) -> None:
    async def scenario() -> None:
        async with running_app(app_args("--demo"), paths) as app:
            await wait_until(lambda: joined(app) and app.desk.store.ltp("2885"))
            ticket = app.ticket
            app.commands.open_ticket("2885", Side.BUY)
            assert ticket.isVisible() and ticket.qty.value() == 1
            ticket.confirm_box.setChecked(False)
            ticket.qty.setValue(10)
            assert ticket.send_button.isEnabled()
            ticket.send()
            await wait_until(lambda: ticket.record and ticket.record.status is OrderStatus.EXECUTED)
            assert "Executed at ₹" in ticket.status_label.text()
            assert "Sent → Pending → Executed" in ticket.status_label.text()
            model = app.window.order_model
            assert model.rowCount() == 1
            record = model.records[0]
            assert record.request.quantity == 10 and record.executed_price > 0
            assert model.data(model.index(0, STATUS)) == "Executed"
            # filters
            proxy = app.window.order_book.proxy
            proxy.set_mode(OrderFilter.OPEN)
            assert proxy.rowCount() == 0
            proxy.set_mode(OrderFilter.EXECUTED)
            assert proxy.rowCount() == 1
            csv_text = model.to_csv()
            assert "RELIANCE" in csv_text and ",Executed," in csv_text

    qloop.run_until_complete(scenario())


def test_rejected_order_shows_reason(qtbot, qloop, paths, feb_2025) -> None:
    async def scenario() -> None:
        async with running_app(app_args("--demo"), paths) as app:
            await wait_until(lambda: joined(app) and app.desk.store.ltp("35013"))
            ticket = app.ticket
            app.desk.risk.set_limits(RiskLimits(max_order_value=None))  # ₹1.7 crore: the value guard would block it
            app.commands.open_ticket("35013", Side.BUY)  # the near-month NIFTY future, lot 65
            ticket.confirm_box.setChecked(False)
            ticket.qty.setValue(650)  # ₹2 lakh+ margin > demo account's ₹50,000
            ticket.send()
            await wait_until(lambda: ticket.record and ticket.record.status is OrderStatus.REJECTED)
            assert "Rejected: Margin limit exceeded" in ticket.status_label.text()
            model = app.window.order_model
            assert model.data(model.index(0, MESSAGE)) == "Margin limit exceeded"

    qloop.run_until_complete(scenario())


def test_ticket_validation_inline_and_send_disabled(qtbot, qloop, paths, feb_2025) -> None:
    async def scenario() -> None:
        async with running_app(app_args("--demo"), paths) as app:
            await wait_until(lambda: joined(app) and app.desk.store.ltp("2885"))
            ticket = app.ticket
            app.desk.risk.set_limits(RiskLimits(max_order_value=None))  # one NIFTY lot (₹17 lakh): above the limit
            app.commands.open_ticket("35013", Side.SELL)
            ticket.qty.setValue(80)  # not a multiple of 65
            assert not ticket.send_button.isEnabled()
            assert "lot size 65" in ticket.problems.text()
            ticket.qty.setValue(65)
            ticket.kind.setCurrentIndex(1)  # Limit
            ticket.price.setValue(ticket.price.value() + 3)  # off the tick grid
            assert "tick size" in ticket.problems.text() and not ticket.send_button.isEnabled()
            ticket.price.stepBy(1)  # the first step lands back on the grid
            assert ticket.price.value() % 5 == 0 and ticket.send_button.isEnabled()
            stepped = ticket.price.value()
            ticket.kind.setCurrentIndex(2)  # SL: the price the trader stepped stays theirs (issue 24 item 6c)
            assert ticket.price.value() == stepped
            app.commands.open_ticket("35013", Side.SELL)  # a fresh ticket: a stop type is never remembered
            assert ticket.current_kind() is OrderKind.MARKET
            ticket.kind.setCurrentIndex(2)  # SL on a fresh ticket
            req = ticket.request()  # sensible stop defaults on the right side of the LTP
            assert req.kind is OrderKind.SL and req.trigger_price < req.ltp and req.price <= req.trigger_price
            assert ticket.send_button.isEnabled(), ticket.problems.text()
            # not joined → Send disabled with the reason
            await app.desk.client.close()
            ticket.revalidate()
            assert not ticket.send_button.isEnabled() and "Not connected" in ticket.problems.text()

    qloop.run_until_complete(scenario())


def test_keyboard_only_order_entry(qtbot, qloop, paths) -> None:
    async def scenario() -> None:
        async with running_app(app_args("--demo"), paths) as app:
            window = app.window
            await wait_until(lambda: joined(app) and app.desk.store.ltp("1333"))
            window.activateWindow()
            view = window.watchlist.current_view()
            view.setFocus()
            QTest.keyClick(view, Qt.Key.Key_Home)  # row 0: RELIANCE
            QTest.keyClick(view, Qt.Key.Key_Down)  # row 1: HDFCBANK
            await asyncio.sleep(0.05)
            assert view.current_token() == "1333"
            QTest.keyClick(window, Qt.Key.Key_F2)  # sell ticket
            ticket = app.ticket
            await wait_until(lambda: ticket.isVisible())
            assert ticket.side is Side.SELL and ticket.instrument.token == "1333"
            QTest.keyClick(ticket, Qt.Key.Key_F1)  # F1 inside the ticket flips it to buy
            assert ticket.side is Side.BUY
            ticket.qty.setFocus()
            ticket.qty.selectAll()
            QTest.keyClicks(ticket.qty, "7")
            assert ticket.qty.value() == 7
            QTest.keyClick(ticket, Qt.Key.Key_Return)  # → confirmation
            assert ticket.pages.currentIndex() == 1 and "BUY 7 × HDFCBANK" in ticket.confirm_text.text()
            QTest.keyClick(ticket, Qt.Key.Key_Escape)  # back
            assert ticket.pages.currentIndex() == 0
            QTest.keyClick(ticket, Qt.Key.Key_Return)
            QTest.keyClick(ticket, Qt.Key.Key_Return)  # confirm → sent
            await wait_until(lambda: ticket.record and ticket.record.status is OrderStatus.EXECUTED)
            QTest.keyClick(ticket, Qt.Key.Key_Escape)
            assert not ticket.isVisible()
            assert app.window.order_model.records[0].request.quantity == 7

    qloop.run_until_complete(scenario())


def test_auth_failure_banner_and_key_dialog(qtbot, qloop, paths) -> None:
    async def scenario() -> None:
        async with running_sim() as sim:
            await auth_failure(sim)

    async def auth_failure(sim) -> None:
        args = app_args("--ws-url", sim.ws_url, "--token-url", sim.base_http, "--api-key", "wrong-key-9")
        async with running_app(args, paths, KeyStore(backend=MemoryKeyring())) as app:
            banner = app.window.banner
            # a live start without an imported master asks for one too; the refused key replaces that banner
            await wait_until(lambda: banner.isVisible() and "API key was refused" in banner.label.text())
            assert banner.button.text() == "Enter API key…"
            assert "wrong-key-9" not in banner.label.text()
            assert "Authentication failed" in app.window.connection.state_label.text()

    qloop.run_until_complete(scenario())


def test_key_entry_stored_restart_read_back_forget(qtbot, qloop, paths) -> None:
    ring = MemoryKeyring()

    async def scenario() -> None:
        async with running_sim() as sim:
            await store_restart_forget(sim)

    async def store_restart_forget(sim) -> None:
        args = app_args("--ws-url", sim.ws_url, "--token-url", sim.base_http)
        async with running_app(args, paths, KeyStore(backend=ring)) as app:
            from airalgo_desktop.ui.dialogs import ApiKeyDialog

            await wait_until(lambda: app.window.findChild(ApiKeyDialog) is not None)
            dialog = app.window.findChild(ApiKeyDialog)
            assert dialog.edit.echoMode() == dialog.edit.EchoMode.Password
            dialog.edit.setText("sim-key-1")
            dialog.ok.click()
            await wait_until(lambda: joined(app))
        assert ring.store == {("airalgo-desktop", "api-key"): "sim-key-1"}
        # restart: the key comes from the keyring, no dialog
        async with running_app(args, paths, KeyStore(backend=ring)) as app:
            await wait_until(lambda: joined(app))
            app.commands.forget_key()
            await wait_until(lambda: app.desk.client is None)
            assert ring.store == {}

    qloop.run_until_complete(scenario())


def test_guards_block_and_force_confirmation(qtbot, qloop, paths, feb_2025) -> None:
    async def scenario() -> None:
        async with running_app(app_args("--demo"), paths) as app:
            await wait_until(lambda: joined(app) and app.desk.store.ltp("2885"))
            ticket = app.ticket
            app.commands.open_ticket("35013", Side.BUY)
            ticket.qty.setValue(650)
            assert not ticket.send_button.isEnabled() and "above your limit" in ticket.problems.text()
            app.commands.open_ticket("2885", Side.BUY)
            ticket.confirm_box.setChecked(False)  # even with confirmation off …
            ticket.send()
            await wait_until(lambda: ticket.record and ticket.record.status is OrderStatus.EXECUTED)
            app.commands.open_ticket("2885", Side.BUY)
            ticket.send()  # … the same order again within 5 s asks first
            assert ticket.pages.currentIndex() == 1 and "Same order" in ticket.confirm_text.text()
            ticket.reject()
            ticket.kind.setCurrentIndex(1)
            ticket.price.setValue(app.desk.store.ltp("2885") * 2 // 5 * 5)
            ticket.send()
            assert "from the LTP" in ticket.confirm_text.text()

    qloop.run_until_complete(scenario())


def test_ticket_refuses_an_expired_contract(qtbot, qloop, paths) -> None:
    """Issue 17 item 6: a NIFTY FEB 2025 future (expired on 27 Feb 2025) — never sent; its watchlist row is greyed
    and marked, and search does not offer it. The demo universe has no expired contract (it is generated for the
    day), so the test puts one in, as a master imported before an expiry would have it."""
    from airalgo_desktop.domain.instruments import Instrument
    from airalgo_desktop.instruments import Catalog

    expired = Instrument("35099", "NIFTY25FEBFUT", name="NIFTY", exchange="NFO", segment="NFO-FUT",
                         instrument_type="FUT", expiry=date(2025, 2, 27), lot_size=75, prev_close=2_348_000)

    async def scenario() -> None:
        async with running_app(app_args("--demo"), paths) as app:
            await wait_until(lambda: joined(app) and app.desk.store.ltp("35013"))
            app.desk.master.replace(Catalog([*app.desk.master, expired]))
            app.window.watchlist.add_token("35099")
            await app.desk.instruments.load_master(app.window.watchlist.models[0].tokens)  # recheck + the notice
            ticket = app.ticket
            app.commands.open_ticket("35099", Side.BUY)
            ticket.qty.setValue(75)
            assert not ticket.send_button.isEnabled()
            assert "NIFTY FEB 2025 FUT expired on 27 Feb 2025" in ticket.problems.text()
            ticket.send()
            assert ticket.record is None and not app.desk.ledger.records  # nothing reached the wire
            model = app.window.watchlist.models[0]
            row = model.tokens.index("35099")
            symbol = model.data(model.index(row, 0))
            assert symbol.endswith("⚠") and "NIFTY" in symbol
            assert model.data(model.index(row, 0), Qt.ItemDataRole.ForegroundRole) is not None  # greyed
            assert "expired on 27 Feb 2025" in model.data(model.index(row, 0), Qt.ItemDataRole.ToolTipRole)
            assert all(i.token != "35099" for i in app.desk.master.search("nifty fut"))

    qloop.run_until_complete(scenario())
