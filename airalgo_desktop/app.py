"""Composition root: settings, logging, keyring, one qasync loop for Qt and the client, the window, the session.

Everything that talks to the network enters the GUI here, in one place (:meth:`Application._on_event`); ticks go
to the :class:`MarketStore` only, and a ~30 Hz timer hands the dirty tokens to the views.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import os
import signal
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QObject, QSettings, QStandardPaths, QTimer, QUrl
from PySide6.QtGui import QDesktopServices, QGuiApplication, QIcon
from PySide6.QtWidgets import QApplication, QFileDialog, QLabel

from . import APP_NAME, __version__
from . import config as app_config
from .api.client import AirAlgoClient, ClientConfig, InsecureTransportError
from .api.events import ChannelError, ConnectionState, Event, FeedStale, State, StateChanged, Ticks
from .domain.instruments import InstrumentMaster, load_csv, load_sample
from .domain.money import format_rupees
from .domain.nsetime import now_ist
from .domain.orders import OrderRequest, OrderStatus, Side
from .keystore import KeyStore
from .logs import register_secret, setup_file_logging
from .resources import resource_path
from .services.alerts import Alert, AlertBook
from .services.barbook import BarBook, day_pnl_curve
from .services.bars import day_start
from .services.guards import GuardSettings, Verdict
from .services.guards import evaluate as evaluate_guards
from .services.mtm import MtmCurve
from .services.orders import OrderRecord, OrderService
from .services.positions import Fill, PositionBook
from .store.journal import Journal
from .store.market import MarketStore
from .ui import theme
from .ui.alerts import AlertDialog, AlertsDialog
from .ui.dialogs import AboutDialog, ApiKeyDialog, GuardsDialog, ShortcutsDialog
from .ui.main_window import MainWindow
from .ui.notify import Kind, Notifier
from .ui.positions import PositionsModel, PositionsPanel
from .ui.ticket import OrderTicket

log = logging.getLogger("airalgo.app")
REFRESH_MS = 33  # ≈ 30 Hz coalesced repaint
STATUS_MS = 250
DEMO_KEY = "demo"
SMOKE_TIMEOUT_MS = 20_000


@dataclass
class Paths:
    """Where the app writes. ``AIRALGO_HOME`` (or ``--home``) puts everything under one folder."""

    config: Path
    data: Path
    logs: Path
    settings_file: Path | None

    @classmethod
    def resolve(cls, home: str | None = None) -> Paths:
        """Platform folders, or all under ``home``."""
        home = home or os.environ.get("AIRALGO_HOME")
        if home:
            base = Path(home)
            return cls(base / "config", base / "data", base / "logs", base / "config" / "settings.ini")
        return cls(app_config.config_dir(), app_config.data_dir(), app_config.log_dir(), None)

    def settings(self) -> QSettings:
        """QSettings in the platform's place (registry, plist, ini) or the ini under ``home``."""
        if self.settings_file is not None:
            self.settings_file.parent.mkdir(parents=True, exist_ok=True)
            return QSettings(str(self.settings_file), QSettings.Format.IniFormat)
        return QSettings(QSettings.Format.IniFormat, QSettings.Scope.UserScope, "AirAlgo", APP_NAME)


def app_icon() -> QIcon:
    """The app icon (SVG with PNG fallbacks for every size)."""
    icon = QIcon()
    for name in ("icon.svg", "icon-256.png", "icon-64.png", "icon-32.png"):
        path = resource_path(name)
        if path.exists():
            icon.addFile(str(path))
    return icon


@dataclass
class Session:
    """One connection: the client and the order service on top of it."""

    client: AirAlgoClient
    orders: OrderService


class Application(QObject):
    """Owns the window, the session and the timers; turns window intents into service calls."""

    def __init__(self, args: argparse.Namespace, paths: Paths, keystore: KeyStore | None = None) -> None:
        super().__init__()
        self.args = args
        self.paths = paths
        self.keystore = keystore or KeyStore()
        self.settings = paths.settings()
        self.store = MarketStore()
        self.master = self._load_master()
        self.session: Session | None = None
        self.sim = None
        self.smoke = bool(getattr(args, "smoke_test", False))
        self.demo = bool(getattr(args, "demo", False)) or self.smoke
        self._quit = asyncio.Event()
        self._exit_code = 0
        self._screenshot_done = False
        self._first_tick_at: float | None = None
        self._tasks: set[asyncio.Task] = set()  # type: ignore[type-arg]
        self._started = time.monotonic()
        self.window = MainWindow(self.master, self.store, self.settings, demo=self.demo, icon=app_icon())
        self.journal = Journal.open(paths.data)
        self.guard_settings = GuardSettings.from_mapping(self._settings_group("guards"))
        self.ticket = OrderTicket(self.master, self.store, self.settings, self._submit, self._check, self.window,
                                  guards=self._guards)
        self.positions = PositionBook()
        self._filled: set[str] = set()
        # one-minute bars of every ticking token, kept on disk (bars.db) so a restart keeps the day's chart
        self.barbook = BarBook(paths.data, keep_days=int(self.settings.value("charts/keep_days", 30) or 30))
        self.chart_windows: list = []  # ChartWindow instances (F7 / watchlist → Open chart window)
        self.mtm = MtmCurve()
        self.alerts = AlertBook.from_json(self.settings.value("alerts/json"))
        self._alert_tokens = self.alerts.tokens
        self.positions_model = PositionsModel(self.positions, self.master, self.store)
        self.positions_panel = PositionsPanel(self.positions_model, self.window)
        self.window.positions_dock.setWidget(self.positions_panel)
        self.chart = None  # built right after the window is shown: pyqtgraph/numpy stay out of the cold start
        self.notifier = Notifier(self.window, self.settings, app_icon())
        self._notification_menu()
        self.latency_label = QLabel(self.window)
        self.window.statusBar().addPermanentWidget(self.latency_label)
        self._status_ticks = 0
        self._wire_window()
        self.refresh_timer = QTimer(self)
        self.refresh_timer.setInterval(REFRESH_MS)
        self.refresh_timer.timeout.connect(self.refresh)
        self.status_timer = QTimer(self)
        self.status_timer.setInterval(STATUS_MS)
        self.status_timer.timeout.connect(self._update_status)

    # ---------------------------------------------------------------- set-up
    def _settings_group(self, group: str) -> dict[str, object]:
        self.settings.beginGroup(group)
        try:
            return {key: self.settings.value(key) for key in self.settings.childKeys()}
        finally:
            self.settings.endGroup()

    def _show_journal(self) -> None:
        """Today's orders from the journal, in the order book before any connection."""
        if self.journal.notice:
            self.window.banner.show_message(self.journal.notice, "OK", self.window.banner.hide)
        today = now_ist().date()
        self._journaled = self.journal.orders_for(today)
        for j in self._journaled:
            record = OrderRecord.from_journal(j)
            self.window.order_model.upsert(record)
            if j.status is OrderStatus.EXECUTED:
                self._add_fill(record, j.created.timestamp())
        if self._journaled:
            open_count = sum(1 for j in self._journaled if j.status.is_open)
            log.info("journal: %d orders today, %d without a final answer", len(self._journaled), open_count)

    def _guards(self, request: OrderRequest) -> list[Verdict]:
        session = self.session
        now = session.client.now() if session else 0.0
        return evaluate_guards(
            request, self.master.get(request.token), ltp=self.store.ltp(request.token),
            tick_age=session.client.metrics.last_tick_age(now) if session else None,
            recent=session.orders.recent_orders(self.guard_settings.duplicate_window_s) if session else [],
            now=now, settings=self.guard_settings)

    def edit_guards(self) -> None:
        """Trade → Guards…"""
        dialog = GuardsDialog(self.guard_settings, self.window)

        def save(values: GuardSettings) -> None:
            self.guard_settings = values
            for key, value in values.to_dict().items():
                self.settings.setValue(f"guards/{key}", value)
            self.ticket.revalidate()

        dialog.saved.connect(save)
        dialog.open()

    def _load_master(self) -> InstrumentMaster:
        master = load_sample()
        extra = self.settings.value("instruments/csv")
        if extra and Path(str(extra)).is_file():
            try:
                report = load_csv(str(extra))
                master.merge(report.master)
                log.info("instrument CSV %s: %s", extra, report.summary())
            except (OSError, ValueError) as exc:
                log.warning("could not load instrument CSV %s: %s", extra, exc)
        return master

    def _wire_window(self) -> None:
        w = self.window
        a = w.actions_
        w.buyRequested.connect(lambda token: self.open_ticket(token, Side.BUY))
        w.sellRequested.connect(lambda token: self.open_ticket(token, Side.SELL))
        w.closing.connect(self.request_quit)
        a.connect("api_key", lambda: self.ask_for_key())
        a.connect("forget_key", self.forget_key)
        a.connect("reconnect", self.reconnect)
        a.connect("import_csv", self.import_csv)
        a.connect("export_orders", self.export_orders)
        a.connect("shortcuts", lambda: ShortcutsDialog(a.table(), w).open())
        a.connect("open_logs", lambda: QDesktopServices.openUrl(QUrl.fromLocalFile(str(self.paths.logs))))
        a.connect("guards", self.edit_guards)
        a.connect("alerts", self.edit_alerts)
        w.watchlist.alertRequested.connect(self.set_alert)
        w.watchlist.chartRequested.connect(self.open_chart_window)
        a.connect("chart_window", self.open_chart_window)
        w.watchlist.currentTokenChanged.connect(lambda token: self.chart and self.chart.show_token(token))
        self.positions_panel.squareOffRequested.connect(self.square_off)
        a.connect("about", lambda: AboutDialog(self.keystore.backend_name(), str(self.paths.logs), w).open())

    # ---------------------------------------------------------------- life cycle
    async def run(self) -> int:
        """Show the window, connect, run until quit, shut down cleanly. Returns the exit code."""
        app = QApplication.instance()
        if isinstance(app, QApplication):
            app.aboutToQuit.connect(self.request_quit)
        self.window.show()
        if os.environ.get("AIRALGO_STARTUP_MARK"):  # benchmarks: cold start ends when the window is shown
            QApplication.processEvents()
            print(f"startup-mark {time.time()}", flush=True)
        self._build_chart()
        self._show_journal()
        self._spawn(self._restore_bars())
        self.refresh_timer.start()
        self.status_timer.start()
        if self.args.quit_after:
            QTimer.singleShot(int(self.args.quit_after * 1000), self._quit_after)
        if self.smoke:
            QTimer.singleShot(SMOKE_TIMEOUT_MS, self._smoke_timeout)
        try:
            await self._start_connection()
        except Exception:
            log.exception("start-up failed")
            self.window.show_message("Start-up failed; see the log (Help → Open log folder).", 0)
        await self._quit.wait()
        await self.shutdown()
        return self._exit_code

    async def _start_connection(self) -> None:
        if self.demo:
            from .sim.server import SimConfig, SimServer

            self.sim = SimServer(SimConfig(api_keys=(DEMO_KEY,)))
            await self.sim.start()
            await self.connect(ClientConfig(self.sim.ws_url, self.sim.base_http, DEMO_KEY))
            self.window.show_message("Demo mode: an embedded simulator plays the market. No real orders.", 0)
            return
        flags = {"WEBSOCKET_SERVER_URL": self.args.ws_url, "TOKEN_SERVER_URL": self.args.token_url,
                 "API_KEY": self.args.api_key}
        cfg = await asyncio.to_thread(app_config.load_config, flags, keyring_getter=self.keystore.load)
        self.config = cfg
        for line in cfg.describe():
            log.info("config: %s", line)
        if cfg.api_key:
            await self.connect(self._client_config(cfg.api_key))
        else:
            self.ask_for_key()

    def _client_config(self, api_key: str) -> ClientConfig:
        cfg = self.config
        overrides = {}
        if getattr(self.args, "stall_timeout", None) is not None:
            overrides = {"stall_timeout": self.args.stall_timeout, "stall_market_hours_only": False}
        return ClientConfig(cfg.ws_url, cfg.token_url, api_key, allow_insecure=self.args.allow_insecure, **overrides)

    async def connect(self, client_config: ClientConfig) -> None:
        """Replace the session with a new connection."""
        await self._end_session()
        try:
            client = AirAlgoClient(client_config)
        except InsecureTransportError as exc:
            self.window.banner.show_message(str(exc), "Settings…", self.ask_for_key)
            return
        client.add_listener(self._on_event)
        orders = OrderService(client, self.master, journal=self.journal)
        orders.add_listener(self._on_order)
        orders.recover(self.journal.orders_for(now_ist().date()))
        self.session = Session(client, orders)
        self.window.watchlist.set_subscriber(client)
        await client.start()

    async def _end_session(self) -> None:
        session, self.session = self.session, None
        if session is not None:
            self.window.watchlist.set_subscriber(None)
            await session.client.close()

    def request_quit(self) -> None:
        """Leave at the next loop turn (window closed, Quit, OS logout, Ctrl+C)."""
        self._quit.set()

    def _smoke_timeout(self) -> None:
        if self._quit.is_set():
            return
        state = self.session.client.state.describe() if self.session else "no session"
        print(f"smoke test FAILED: no tick within {SMOKE_TIMEOUT_MS // 1000} s ({state})", file=sys.stderr, flush=True)
        self._exit_code = 2
        self.request_quit()

    def _quit_after(self) -> None:
        if self.args.screenshot and not self._screenshot_done:
            self.take_screenshot()
        self.request_quit()

    async def shutdown(self) -> None:
        """Leave the channel, close the socket, stop the simulator; no pending tasks left behind."""
        self.refresh_timer.stop()
        self.status_timer.stop()
        self.window.save_layout()
        await self._end_session()
        if self.sim is not None:
            await self.sim.stop()
            self.sim = None
        self.ticket.close()
        for window in list(self.chart_windows):
            window.close()
        self.window.hide()
        await asyncio.to_thread(self.barbook.close)
        self.journal.close()
        log.info("shut down cleanly")

    # ---------------------------------------------------------------- events (single ingress)
    def _on_event(self, event: Event) -> None:
        if isinstance(event, Ticks):
            self.store.apply(event.quotes)
            self.barbook.on_ticks(event.quotes)
            if self._alert_tokens:
                for token in self._alert_tokens & event.quotes.keys():
                    for alert in self.alerts.on_tick(token, event.quotes[token]["ltp"], time.time()):
                        self._alert_fired(alert)
            if self._first_tick_at is None:
                self._first_tick_at = time.monotonic()
                if self.smoke:
                    print(f"smoke test ok: window shown, simulator up, first tick after "
                          f"{time.monotonic() - self._started:.2f} s", flush=True)
                    self.request_quit()
            return
        w = self.window
        if isinstance(event, StateChanged):
            state = event.state
            w.connection.set_state(state, self.session.client.now() if self.session else 0.0)
            if state.state is State.AUTH_FAILED:
                w.banner.show_message(f"{state.reason}", "Enter API key…",
                                      lambda: self.ask_for_key(state.reason))
            elif state.state is State.JOINED and w.banner.button.text() == "Enter API key…":
                w.banner.hide()
            if state.state is State.JOINED and self.session is not None:
                self._spawn(self._measure_heartbeat(self.session.client))
            if self.ticket.isVisible():
                self.ticket.revalidate()
        elif isinstance(event, FeedStale):
            w.show_message(f"No ticks for {event.seconds:.0f} s: reconnecting with a fresh token.")
        elif isinstance(event, ChannelError):
            w.show_message(f"Server said: {event.reason} ({event.event})")

    def _on_order(self, record: OrderRecord) -> None:
        self.window.order_model.upsert(record)
        records = self.window.order_model.records
        for view in ([self.chart.view] if self.chart is not None else []) + [w.view for w in self.chart_windows]:
            view.set_orders(records)
        self.ticket.follow(record)
        if record.status is OrderStatus.EXECUTED and record.local_id not in self._filled:
            self._add_fill(record, time.time())
            if record.final_at is not None:
                self.notifier.notify(Kind.FILL, f"Executed: {record.symbol}",
                                     f"{record.request.side.label} {record.request.quantity} at "
                                     f"{format_rupees(record.executed_price)}")
        elif record.status is OrderStatus.REJECTED and record.final_at is not None:
            self.notifier.notify(Kind.REJECTION, f"Rejected: {record.symbol}", record.message)
        if record.final_at is not None and record.sent_at is not None:
            log.info("order %s latency: pending %s ms, final %.0f ms", record.local_id,
                     f"{(record.pending_at - record.sent_at) * 1000:.0f}" if record.pending_at else "—",
                     (record.final_at - record.sent_at) * 1000)
            self._update_latency()
        if record.status is OrderStatus.EXECUTED and record.final_at is not None:
            self.window.show_message(f"Executed: {record.request.side.label} {record.request.quantity} "
                                     f"{record.symbol} at {format_rupees(record.executed_price)}")
        elif record.status is OrderStatus.REJECTED:
            self.window.show_message(f"Rejected: {record.symbol}: {record.message}")
        elif record.status is OrderStatus.UNKNOWN:
            self.window.show_message(f"{record.symbol}: order not confirmed (connection lost). It was not resent.")

    # ---------------------------------------------------------------- timers
    def refresh(self) -> None:
        """The coalesced repaint: hand the dirty tokens to the visible views."""
        dirty = self.store.take_dirty()
        if dirty:
            self.window.watchlist.refresh(dirty)
            if self.positions.positions:
                self.positions_model.refresh(dirty)
            panel = self.window.instrument_panel
            if panel.token in dirty:
                panel.refresh()
            if self.ticket.instrument is not None and self.ticket.instrument.token in dirty:
                self.ticket.refresh_ltp()
        else:
            self.window.watchlist.refresh(dirty)  # lets finished flashes fade
        if self.args.screenshot and not self._screenshot_done and self._first_tick_at is not None \
                and time.monotonic() - self._first_tick_at > 1.5:
            self.take_screenshot()
            if not self.args.quit_after:
                self.request_quit()

    async def _measure_heartbeat(self, client: AirAlgoClient) -> None:
        """One heartbeat right after joining, so the status bar has a latency before the 30 s beat."""
        with contextlib.suppress(TimeoutError, ConnectionError, RuntimeError):
            await client.ping()

    def _build_chart(self) -> None:
        from .ui.chart import ChartPanel  # pyqtgraph + numpy: imported once the window is up

        self.chart = ChartPanel(self.master, self.barbook, self.mtm, self.window, settings=self.settings)
        self.window.chart_host.addWidget(self.chart)
        self.chart.set_fills(self.positions.fills)
        self.chart.show_token(self.window.instrument_panel.token)

    async def _restore_bars(self) -> None:
        """Read today's bars back in a worker thread (off the window's critical path), then rebuild the Day P&L
        curve from the journal's fills marked to each bar's close."""
        minutes = await asyncio.to_thread(self.barbook.restore)
        if self.barbook.notice:
            self.window.banner.show_message(self.barbook.notice, "OK", self.window.banner.hide)
        log.info("bars: %d stored minutes of today restored", minutes)
        self.barbook.poll()
        self._rebuild_mtm()
        if self.chart is not None:
            self.chart.view.redraw(force=True)

    def _rebuild_mtm(self) -> None:
        """The Day P&L curve from today's fills and bars; samples taken since start-up are kept after it."""
        fills = self.positions.fills
        if not fills:
            return
        since = day_start(self.barbook.today)
        points = day_pnl_curve(fills, self.barbook.bars, since=since, now=time.time())
        live = [p for p in self.mtm.points if not points or p[0] > points[-1][0]]
        self.mtm.replace(points + live)  # in place: the chart holds this object

    def open_chart_window(self, token: str | None = None) -> None:
        """A chart of ``token`` (or the selected instrument) in its own window."""
        from .ui.chart import ChartWindow

        token = token or self.window.instrument_panel.token
        if not token:
            self.window.show_message("Select an instrument to chart.")
            return
        window = ChartWindow(token, self.master, self.barbook, self.settings)
        window.view.set_fills(self.positions.fills)
        window.view.set_orders(self.window.order_model.records)
        window.closed.connect(lambda w: self.chart_windows.remove(w) if w in self.chart_windows else None)
        self.chart_windows.append(window)
        window.show()

    def _notification_menu(self) -> None:
        """View → Notifications: a switch for each kind and for the sound (saved in the settings)."""
        menu = next((a.menu() for a in self.window.menuBar().actions() if a.text() == "&View"), None)
        if menu is None:
            return
        sub = menu.addMenu("&Notifications")
        for key, label in (("fills", "On &fills"), ("rejections", "On &rejections"), ("alerts", "On price &alerts"),
                           ("sound", "With &sound")):
            action = sub.addAction(label)
            action.setCheckable(True)
            action.setChecked(str(self.settings.value(f"notify/{key}", "true")).lower() != "false")
            action.toggled.connect(lambda on, k=key: self.settings.setValue(f"notify/{k}", "true" if on else "false"))

    def _add_fill(self, record: OrderRecord, at: float) -> None:
        """An executed order enters the positions, the chart's markers and the MTM curve."""
        self._filled.add(record.local_id)
        req = record.request
        if req.quantity <= 0 or record.executed_price <= 0:
            return
        self.positions.add(Fill(req.token, req.side, req.quantity, record.executed_price, at))
        self.positions_model.rebuild()
        if self.chart is not None:
            self.chart.set_fills(self.positions.fills)
        for window in self.chart_windows:
            window.view.set_fills(self.positions.fills)
        self._sample_mtm()

    def _update_latency(self) -> None:
        """Median and worst Send → final of this session's orders, in the status bar."""
        from statistics import median

        finals = sorted((r.final_at - r.sent_at) * 1000 for r in self.window.order_model.records
                        if r.final_at is not None and r.sent_at is not None)
        if finals:
            self.latency_label.setText(f"orders: median {median(finals):.0f} ms, worst {finals[-1]:.0f} ms")
            self.latency_label.setToolTip(f"Send → Executed/Rejected over {len(finals)} orders this session")

    def _sample_mtm(self) -> None:
        if self.positions.positions:
            ltps = {t: q["ltp"] for t in self.positions.positions if (q := self.store.quotes.get(t))}
            self.mtm.add(time.time(), self.positions.total(ltps))

    def _sample_mtm_every_second(self) -> None:
        """The MTM curve once a second (the chart's bars come from the bar book, not from sampling)."""
        if self._status_ticks % 4 == 0:
            self._sample_mtm()

    def _alert_fired(self, alert: Alert) -> None:
        inst = self.master.get(alert.token)
        self.notifier.notify(Kind.ALERT, "Price alert", alert.describe(inst.display if inst else alert.token))
        self._save_alerts()

    def _save_alerts(self) -> None:
        self.settings.setValue("alerts/json", self.alerts.to_json())
        self._alert_tokens = self.alerts.tokens

    def set_alert(self, token: str) -> None:
        """Watchlist → Set price alert…"""
        dialog = AlertDialog(self.master, token, self.store.ltp(token), self.window)
        dialog.saved.connect(lambda alert: (self.alerts.add(alert), self._save_alerts()))
        dialog.open()

    def edit_alerts(self) -> None:
        """Trade → Price alerts…"""
        dialog = AlertsDialog(self.alerts, self.master, self.store.ltp, self.window)
        dialog.changed.connect(self._save_alerts)
        dialog.open()

    def square_off(self, token: str, side: str, quantity: int) -> None:
        """Positions → Square off: a ticket prefilled with the opposite side and the net quantity."""
        self.open_ticket(token, Side(side))
        self.ticket.qty.setValue(quantity)

    def _update_status(self) -> None:
        self._status_ticks += 1
        self.barbook.poll()
        self._sample_mtm_every_second()
        if self.session is not None:
            client = self.session.client
            self.window.connection.update_figures(client.metrics, client.now())
        if self.chart is not None:
            self.chart.redraw()
        for window in self.chart_windows:
            window.view.redraw()

    def take_screenshot(self) -> None:
        """Save a grab of the main window to ``--screenshot``."""
        self._screenshot_done = True
        path = Path(self.args.screenshot)
        path.parent.mkdir(parents=True, exist_ok=True)
        ok = self.window.grab().save(str(path))
        log.info("screenshot %s: %s", path, "saved" if ok else "FAILED")
        if not ok:
            self._exit_code = 1

    # ---------------------------------------------------------------- intents
    def _spawn(self, coro) -> asyncio.Task:  # type: ignore[no-untyped-def, type-arg]
        """Run a coroutine from a slot, keeping a reference and logging its failure."""
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)

        def done(t: asyncio.Task) -> None:  # type: ignore[type-arg]
            self._tasks.discard(t)
            if not t.cancelled() and t.exception() is not None:
                log.error("background task failed", exc_info=t.exception())

        task.add_done_callback(done)
        return task

    def _check(self, request: OrderRequest) -> list[str]:
        if self.session is None:
            return [*request.validate(self.master.get(request.token)), "Not connected."]
        return self.session.orders.check(request)

    def _submit(self, request: OrderRequest) -> OrderRecord:
        if self.session is None:
            raise RuntimeError("not connected")
        return self.session.orders.place(request)

    def open_ticket(self, token: str, side: Side) -> None:
        """F1/F2/double-click/context menu."""
        if not self.ticket.open_for(token, side):
            self.window.show_message(f"Token {token} is not in the instrument master.")
            return
        self.ticket.refresh_ltp()

    def ask_for_key(self, message: str = "") -> None:
        """Open the API key dialog (non-blocking)."""
        if self.demo:
            self.window.show_message("Demo mode uses the simulator's key; restart without --demo to use yours.")
            return
        dialog = ApiKeyDialog(self.window, secure_keyring=self.keystore.secure, message=message)
        dialog.keyEntered.connect(lambda key: self._spawn(self._key_entered(key)))
        dialog.open()

    async def _key_entered(self, key: str) -> None:
        register_secret(key)
        result = await asyncio.to_thread(self.keystore.save, key)
        if not result.persisted:
            self.window.banner.show_message(result.message, "OK", self.window.banner.hide, error=False)
        else:
            self.window.show_message(result.message)
        if not hasattr(self, "config"):
            self.config = app_config.load_config({}, keyring_getter=lambda: None)
        await self.connect(self._client_config(key))

    def forget_key(self) -> None:
        """Delete the key from the keyring and disconnect."""
        async def forget() -> None:
            await asyncio.to_thread(self.keystore.forget)
            await self._end_session()
            self.window.connection.set_state(ConnectionState(State.DISCONNECTED), 0.0)
            self.window.banner.show_message("API key forgotten. Enter a key to connect again.", "Enter API key…",
                                            self.ask_for_key, error=False)

        self._spawn(forget())

    def reconnect(self) -> None:
        """Account → Reconnect."""
        if self.session is not None:
            self.session.client.reconnect()
        else:
            self.ask_for_key()

    def import_csv(self) -> None:
        """File → Import instruments CSV (parsed off the UI thread)."""
        dialog = QFileDialog(self.window, "Import instrument CSV")
        dialog.setNameFilter("CSV files (*.csv);;All files (*)")
        dialog.setFileMode(QFileDialog.FileMode.ExistingFile)
        dialog.fileSelected.connect(lambda path: self._spawn(self.load_instruments(Path(path))))
        dialog.open()

    async def load_instruments(self, path: Path) -> None:
        """Merge an instrument CSV into the master; report junk rows."""
        try:
            report = await asyncio.to_thread(load_csv, path)
        except (OSError, ValueError, UnicodeDecodeError) as exc:
            self.window.banner.show_message(f"Could not import {path.name}: {exc}", "OK", self.window.banner.hide)
            return
        changed = self.master.merge(report.master)
        self.settings.setValue("instruments/csv", str(path))
        for problem in report.problems[:200]:
            log.warning("%s: %s", path.name, problem)
        text = f"{path.name}: {report.summary()} ({changed} new or changed)."
        if report.problems:
            first = "; ".join(str(p) for p in report.problems[:3])
            self.window.banner.show_message(f"{text} Skipped rows — {first}{' …' if len(report.problems) > 3 else ''}"
                                            " (all listed in the log).", "OK", self.window.banner.hide, error=False)
        else:
            self.window.show_message(text)
        for model in self.window.watchlist.models:
            model.refresh_all()

    def export_orders(self) -> None:
        """File → Export order book CSV."""
        dialog = QFileDialog(self.window, "Export order book")
        dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
        dialog.setNameFilter("CSV files (*.csv)")
        dialog.setDefaultSuffix("csv")
        docs = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.DocumentsLocation)
        dialog.selectFile(str(Path(docs) / f"orders-{time.strftime('%Y%m%d')}.csv"))

        def save(path: str) -> None:
            try:
                rows = self.window.order_book.export_csv(Path(path))
                self.window.show_message(f"Exported {rows} orders to {path}.")
            except OSError as exc:
                self.window.banner.show_message(f"Could not write {path}: {exc.strerror}", "OK",
                                                self.window.banner.hide)

        dialog.fileSelected.connect(save)
        dialog.open()


def _install_signal_handlers(app: Application) -> None:
    """Ctrl+C / SIGTERM quit cleanly (the refresh timer gives Python a chance to run the handler)."""
    def handler(_signum: int, _frame: object) -> None:
        app.request_quit()

    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(ValueError, OSError):
            signal.signal(sig, handler)


def main(args: argparse.Namespace) -> int:
    """Start the desktop app."""
    paths = Paths.resolve(getattr(args, "home", None))
    log_file = setup_file_logging(paths.logs, console=bool(os.environ.get("AIRALGO_LOG_CONSOLE")))
    log.info("%s %s starting (%s)", APP_NAME, __version__, "demo" if args.demo else "live")
    QGuiApplication.setApplicationName(APP_NAME)
    QGuiApplication.setOrganizationName("AirAlgo")
    QGuiApplication.setApplicationVersion(__version__)
    QGuiApplication.setDesktopFileName("airalgo-desktop")
    qt_app = QApplication.instance() or QApplication(sys.argv[:1])
    qt_app.setQuitOnLastWindowClosed(False)  # we quit ourselves, after a clean shutdown
    qt_app.setWindowIcon(app_icon())
    settings = paths.settings()
    theme.apply_theme(qt_app, theme.ThemeChoice(str(settings.value("ui/theme", "system"))))
    theme.follow_system_changes(qt_app, lambda: theme.ThemeChoice(str(paths.settings().value("ui/theme", "system"))))
    import qasync

    async def run() -> int:
        application = Application(args, paths)
        _install_signal_handlers(application)
        return await application.run()

    try:
        code = qasync.run(run())
    except Exception:
        log.exception("fatal error")
        print(f"AirAlgo Desktop stopped after an error; details in {log_file}", file=sys.stderr)
        return 1
    log.info("exit %s", code)
    return code
