"""What the trader can do: one small method per user action, and one way to run a coroutine from a slot and
report its failure (Anki's ``CollectionOp`` idea: success and failure are handled in one place, not per caller).

Commands act on the desk (orders, alerts, guards, instruments) or on the shell (connect, disconnect); dialogs are
opened with ``open()`` and signals, never ``exec()`` (the app runs on an asyncio loop).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine
from datetime import date
from pathlib import Path
from typing import Any, Protocol

from PySide6.QtCore import Qt, QUrl, SignalInstance
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import QFileDialog, QWidget

from ..desk import KeyNeeded, TradingDesk
from ..desk.notices import KillSwitchDone
from ..desk.triggers import REARM_KEY
from ..domain.nsetime import now_ist
from ..domain.orders import CheckedOutcome, OrderKind, Side
from ..domain.wording import plural
from ..instruments.formats import ImportCancelled, MasterError
from ..keystore import KeyStore
from ..logs import register_secret
from ..services.chain import underlyings_held
from ..services.guards import GuardSettings
from ..services.triggerbook import option_legs
from .alerts import AlertDialog, AlertsDialog
from .chain import ChainDock, ChainPanel
from .day_report import DayReportDialog, desk_report
from .dialogs import AboutDialog, ApiKeyDialog, GuardsDialog, ShortcutsDialog
from .import_master import ImportMasterDialog
from .listening import listen
from .main_window import MainWindow, unknown_token_reason
from .orderbook import MarkCheckedDialog, default_export_path
from .protect import LegsProtectDialog, ProtectDialog, fired_text, protection_state, protection_text
from .risk import KillReportDialog, KillSwitchDialog, RiskLimitsDialog, RiskMeter
from .ticket import OrderTicket

log = logging.getLogger("airalgo.ui.commands")


class Shell(Protocol):
    """What the commands need from the application: the connection life cycle."""

    demo: bool

    async def connect_with_key(self, key: str) -> None: ...
    async def disconnect(self) -> None: ...


class Beats(Protocol):
    """The presenter's clocks a view may listen to itself."""

    statusBeat: SignalInstance  # 4 Hz
    chainsDue: SignalInstance  # 1 Hz, with the tokens ticked since the last one


class Commands:
    """Every user action, bound to the window's actions and signals by :meth:`bind`."""

    def __init__(self, shell: Shell, desk: TradingDesk, window: MainWindow, ticket: OrderTicket,
                 keystore: KeyStore, log_dir: Path, beats: Beats | None = None) -> None:
        self.shell = shell
        self.beats = beats  # the presenter's clocks: each chart window and chain panel listens to them itself
        self.desk = desk
        self.window = window
        self.ticket = ticket
        self.keystore = keystore
        self.log_dir = log_dir
        self._tasks: set[asyncio.Task[Any]] = set()
        self.payoff_dialog: QWidget | None = None

    def bind(self) -> None:
        """Connect the window's actions and intents to the commands."""
        w, a = self.window, self.window.actions_
        w.buyRequested.connect(lambda token: self.open_ticket(token, Side.BUY))
        w.sellRequested.connect(lambda token: self.open_ticket(token, Side.SELL))
        w.watchlist.alertRequested.connect(self.set_alert)
        w.watchlist.chainRequested.connect(self.open_chain)
        w.watchlist.chartRequested.connect(self.open_chart)
        w.positions_panel.squareOffRequested.connect(self.square_off)
        w.positions_panel.payoffRequested.connect(self.show_payoff)
        w.positions_panel.protectRequested.connect(self.protect)
        w.positions_panel.legsProtectRequested.connect(self.protect_legs)
        w.positions_model.protection = lambda token: protection_text(self.desk.triggers, token)
        w.positions_model.protection_state = lambda token: protection_state(self.desk.triggers, token)
        w.order_model.origin = lambda local_id: fired_text(self.desk.triggers, local_id)
        w.order_book.markCheckedRequested.connect(self.mark_checked)
        a.connect("protect", lambda: self.protect(w.selected_position_token() or ""))
        a.connect("rearm_triggers", self.rearm_triggers)
        a["rearm_on_start"].setChecked(self.desk.triggers.rearm_on_start)
        a["rearm_on_start"].toggled.connect(lambda on: w.prefs.write_bool(REARM_KEY, on))
        for name, command in (("api_key", self.ask_for_key), ("forget_key", self.forget_key),
                              ("reconnect", self.reconnect), ("import_csv", self.import_master),
                              ("export_orders", self.export_orders), ("shortcuts", self.show_shortcuts),
                              ("open_logs", self.open_logs), ("guards", self.edit_guards),
                              ("alerts", self.edit_alerts), ("about", self.about),
                              ("option_chain", lambda: self.open_chain(w.watchlist.current_token())),
                              ("payoff", lambda: self.show_payoff(None)), ("chart_window", self.open_chart),
                              ("risk_limits", self.edit_risk_limits), ("kill_switch", self.kill_switch),
                              ("day_report", self.day_report)):
            a.connect(name, command)
        # the risk meter in the status bar listens for itself; the kill switch's report opens on its notice
        self.risk_meter = RiskMeter(lambda: self.desk.risk.limits, w)
        w.statusBar().addPermanentWidget(self.risk_meter)
        self.risk_meter.listen_to(self.desk)
        listen(w, self.desk, {KillSwitchDone: self.show_kill_report})

    # ---------------------------------------------------------------- the one way to run work
    def run(self, coro: Coroutine[Any, Any, Any], what: str) -> asyncio.Task[Any]:
        """Run ``coro`` from a slot; keep a reference; on failure log it and tell the trader ``what`` failed."""
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)

        def done(t: asyncio.Task[Any]) -> None:
            self._tasks.discard(t)
            if t.cancelled() or t.exception() is None:
                return
            exc = t.exception()
            log.error("%s failed", what, exc_info=exc)
            self.window.banner.show_message(f"{what} failed: {exc}", "OK", self.window.banner.hide)

        task.add_done_callback(done)
        return task

    # ---------------------------------------------------------------- trading
    def open_ticket(self, token: str, side: Side) -> None:
        """F1/F2/double-click/context menu."""
        if not self.ticket.open_for(token, side):
            self.window.show_message(unknown_token_reason(token))
            return
        self.ticket.refresh_ltp()

    def open_chain(self, token: str | None = None, expiry: date | None = None) -> ChainDock | None:
        """An option chain for the underlying of ``token`` (a stock, an index or one of its contracts; NIFTY when
        it has none) in a new dock."""
        options = self.desk.options.catalog
        name = (options.underlying_of(token) if token else None) or next(iter(options.underlyings()), None)
        if name is None:
            self.window.show_message("The instrument master has no options.")
            return None
        if token and options.underlying_of(token) is None:
            inst = self.desk.master.get(token)
            self.window.show_message(f"{inst.display if inst else token} has no options: showing {name}.")
        chain = self.desk.options.open_chain(name, expiry)
        panel = ChainPanel(chain)
        panel.tradeRequested.connect(lambda t, side: self.open_ticket(t, Side(side)))
        panel.held = lambda t: p.net if (p := self.desk.pnl.positions.positions.get(t)) is not None else 0
        panel.protectRequested.connect(self.protect)
        panel.legsProtectRequested.connect(self.protect_legs)
        if self.beats is not None:
            panel.listen_to(self.beats.chainsDue)
        dock = ChainDock(panel, self.window)
        dock.closed.connect(self.desk.options.close_chain)
        self.window.add_chain_dock(dock)
        panel.table.setFocus()
        return dock

    def show_payoff(self, underlying: str | None) -> None:
        """The payoff graph of the open F&O positions of ``underlying`` (the first one held when None)."""
        held = underlyings_held(self.desk.pnl.positions, self.desk.options.catalog)
        name = underlying or (held[0] if held else None)
        if name is None:
            self.window.show_message("No open option or future positions to draw a payoff for.")
            return
        from .payoff import PayoffDialog  # pyqtgraph stays out of the cold start

        dialog = PayoffDialog(self.desk, name, held, self.window)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose, True)
        dialog.open()
        self.payoff_dialog = dialog

    def square_off(self, token: str, side: str, quantity: int) -> None:
        """Positions → Square off: a Market ticket with the opposite side and the net quantity (never the type last
        picked: an exit must not become a resting stop order)."""
        if not self.ticket.open_for(token, Side(side), OrderKind.MARKET):
            self.window.show_message(unknown_token_reason(token))
            return
        self.ticket.refresh_ltp()
        self.ticket.qty.setValue(quantity)

    def protect(self, token: str) -> None:
        """Positions → Add stop / target…: a trigger held by this app on the open position."""
        position = self.desk.pnl.positions.positions.get(token)
        if position is None or not position.net:
            self.window.show_message("There is no open position to protect.")
            return
        inst = self.desk.master.get(token)
        dialog = ProtectDialog(self.desk.triggers, token, inst.display if inst else token, position.net,
                               self.desk.store.ltp(token), self.window)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose, True)
        dialog.open()

    def rearm_triggers(self) -> None:
        """Trade → Re-arm paused stops / targets: the trader's deliberate step after a restart or a drop."""
        n = len(self.desk.triggers.rearm())
        self.window.show_message(f"{n} stop(s) / target(s) watched again (held by this app)." if n else
                                 "No paused stop / target to re-arm.")

    def protect_legs(self, underlying: str) -> None:
        """Chain / positions → Combined stop on an underlying's option legs (held by this app)."""
        legs = option_legs(self.desk.pnl.positions, self.desk.master.get, underlying)
        if not legs:
            self.window.show_message(f"No open option legs of {underlying} to protect.")
            return
        names = [inst.display if (inst := self.desk.master.get(t)) else t for t in legs]
        dialog = LegsProtectDialog(self.desk.triggers, underlying, names, self.window)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose, True)
        dialog.open()

    def open_chart(self, token: str | None = None) -> None:
        """F7 / watchlist → Open chart window: ``token`` (or the selected instrument) in its own chart window."""
        token = token or self.window.instrument_panel.token
        if not token:
            self.window.show_message("Select an instrument to chart.")
            return
        window = self.window.open_chart_window(token)
        if window is not None:
            window.view.listen_to(self.desk)  # its orders and fills until it is closed (deleted)
            if self.beats is not None:
                self.beats.statusBeat.connect(window.view.redraw)  # Qt disconnects it with the window
            # a chart window streams its instrument even when no watchlist shows it, until it is closed
            owner = f"chart-window-{id(window)}"
            self.desk.subscriptions.want(owner, [token])
            window.closed.connect(lambda _w, o=owner: self.desk.subscriptions.drop(o))

    def mark_checked(self, local_id: str) -> None:
        """Order book → Mark as checked…: the trader's word on an Unknown order (journalled as theirs)."""
        record = self.desk.ledger.records.get(local_id)
        if record is None:
            return
        dialog = MarkCheckedDialog(record, self.desk.store.ltp(record.request.token), self.window)

        def save(lid: str, outcome: str, price: int, note: str) -> None:
            try:
                self.desk.ledger.mark_checked(lid, CheckedOutcome(outcome), price, note)
            except ValueError as exc:  # answered meanwhile, or no price: nothing recorded
                self.window.show_message(f"Not marked: {exc}")

        dialog.checked.connect(save)
        dialog.open()

    def set_alert(self, token: str) -> None:
        """Watchlist → Set price alert…"""
        dialog = AlertDialog(self.desk.master, token, self.desk.store.ltp(token), self.window)
        dialog.saved.connect(self.desk.alerts.add)
        dialog.open()

    def edit_alerts(self) -> None:
        """Trade → Price alerts…"""
        alerts = self.desk.alerts
        dialog = AlertsDialog(alerts.book, self.desk.master, self.desk.store.ltp, self.window)
        dialog.edited.connect(alerts.update)
        dialog.deleted.connect(alerts.remove)
        dialog.open()

    def edit_guards(self) -> None:
        """Trade → Guards…"""
        dialog = GuardsDialog(self.desk.ledger.guard_settings, self.window)

        def save(values: GuardSettings) -> None:
            self.desk.ledger.set_guards(values)

        dialog.saved.connect(save)
        dialog.open()

    def edit_risk_limits(self) -> RiskLimitsDialog:
        """Trade → Risk limits… (and, when today is locked, the typed early unlock, journalled by the desk)."""
        risk = self.desk.risk
        lock = risk.gate.locked
        dialog = RiskLimitsDialog(risk.limits, lock.reason if lock is not None else None, risk.unlock, self.window)
        dialog.saved.connect(risk.set_limits)
        dialog.open()
        return dialog

    def _label(self, token: str) -> str:
        instrument = self.desk.master.get(token)
        return instrument.display if instrument is not None else token

    def kill_switch(self) -> KillSwitchDialog:
        """Trade → Kill switch… (Ctrl+Shift+K): what will happen, then on confirmation lock, flatten and report."""
        exits, still_open = self.desk.risk.kill_plan()
        dialog = KillSwitchDialog(exits, still_open, self._label, self.desk.risk.gate.locked is not None,
                                  self.window)
        dialog.confirmed.connect(self.desk.risk.kill_switch)  # its KillSwitchDone opens the report
        dialog.open()
        return dialog

    def show_kill_report(self, notice: KillSwitchDone) -> None:
        """The kill switch's report (what was sent, what failed, what is still open at the exchange)."""
        self.kill_report = KillReportDialog(notice.report.lines(self._label), self.window)  # type: ignore[attr-defined]
        self.kill_report.open()

    def day_report(self) -> DayReportDialog:
        """File → Day report…"""
        today = now_ist().date()
        shadow = getattr(self.shell, "shadow", None)  # live mode with shadow fills: the report sums the slippage
        dialog = DayReportDialog(lambda day: desk_report(self.desk, day, today, shadow), today, self.window)
        dialog.open()
        return dialog

    # ---------------------------------------------------------------- account
    def ask_for_key(self, message: str = "") -> None:
        """Account → API key… (non-blocking dialog)."""
        if self.shell.demo:
            self.window.show_message("Demo mode uses the simulator's key; restart without --demo to use yours.")
            return
        dialog = ApiKeyDialog(self.window, secure_keyring=self.keystore.secure, message=message)
        dialog.keyEntered.connect(lambda key: self.run(self.key_entered(key), "Connecting with the new key"))
        dialog.open()

    async def key_entered(self, key: str) -> None:
        """Save the key in the OS keyring (saying where it went) and connect with it."""
        register_secret(key)
        result = await asyncio.to_thread(self.keystore.save, key)
        if not result.persisted:
            self.window.banner.show_message(result.message, "OK", self.window.banner.hide, error=False)
        else:
            self.window.show_message(result.message)
        await self.shell.connect_with_key(key)

    def forget_key(self) -> None:
        """Account → Forget API key: delete it from the keyring and disconnect."""
        async def forget() -> None:
            await asyncio.to_thread(self.keystore.forget)
            await self.shell.disconnect()
            self.desk.publish(KeyNeeded("API key forgotten. Enter a key to connect again.", error=False))

        self.run(forget(), "Forgetting the API key")

    def reconnect(self) -> None:
        """Account → Reconnect (with a fresh token); without a connection, ask for a key."""
        if not self.desk.reconnect():
            self.ask_for_key()

    # ---------------------------------------------------------------- files
    def import_master(self, message: str = "") -> ImportMasterDialog:
        """File → Import instrument master (file or URL): imported in the background with progress and Cancel."""
        dialog = ImportMasterDialog(self.window, message, demo=self.shell.demo)
        dialog.importRequested.connect(
            lambda sources, fmt: self.run(self.import_sources(sources, fmt or None, dialog), "Instrument import"))
        dialog.open()
        return dialog

    async def import_sources(self, sources: list[str], fmt: str | None = None,
                             dialog: ImportMasterDialog | None = None) -> bool:
        """Import into the store and swap the master (the presenter reports what was kept and marked). A failure
        is one sentence in the dialog (or the banner) and changes nothing."""
        loop = asyncio.get_running_loop()

        def progress(fraction: float, text: str) -> None:  # called on the worker thread
            if dialog is not None:
                loop.call_soon_threadsafe(dialog.set_progress, fraction, text)

        try:
            await self.desk.instruments.import_master(sources, self.window.watchlist.all_tokens(), fmt,
                                          cancel=dialog.cancel_flag if dialog else None, progress=progress,
                                          allow_insecure=bool(getattr(self.shell, "allow_insecure", False)))
        except ImportCancelled:
            error = "Import cancelled: nothing was changed, the current master is kept."
        except (MasterError, OSError) as exc:
            error = str(exc) if isinstance(exc, MasterError) else f"Could not import: {exc}"
            if "previous master is kept" not in error:
                error += " Nothing was changed."
        else:
            error = None
        if dialog is not None:
            dialog.finished_with(error)
        elif error:
            self.window.banner.show_message(error, "OK", self.window.banner.hide)
        return error is None

    def export_orders(self) -> None:
        """File → Export order book CSV."""
        dialog = QFileDialog(self.window, "Export order book")
        dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
        dialog.setNameFilter("CSV files (*.csv)")
        dialog.setDefaultSuffix("csv")
        default = default_export_path()
        dialog.setDirectory(str(default.parent))
        dialog.selectFile(str(default))

        def save(path: str) -> None:
            try:
                rows = self.window.order_book.export_csv(Path(path))
                self.window.show_message(f"Exported {plural(rows, 'order')} to {path}.")
            except OSError as exc:
                self.window.banner.show_message(f"Could not write {path}: {exc.strerror}", "OK",
                                                self.window.banner.hide)

        dialog.fileSelected.connect(save)
        dialog.open()

    # ---------------------------------------------------------------- help
    def show_shortcuts(self) -> None:
        """Help → Keyboard shortcuts."""
        ShortcutsDialog(self.window.actions_.table(), self.window, registry=self.window.actions_).open()

    def open_logs(self) -> None:
        """Help → Open log folder."""
        QDesktopServices.openUrl(QUrl.fromLocalFile(str(self.log_dir)))

    def about(self) -> None:
        """Help → About."""
        AboutDialog(self.keystore.backend_name(), str(self.log_dir), self.window).open()
