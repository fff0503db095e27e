"""Composition root: paths, logging, keyring, one qasync loop for Qt and the client; builds the desk, the window,
the presenter, the commands and the harness, and owns the connection's life cycle and the clean shutdown.

Every client event enters the desk (:meth:`TradingDesk.on_event`); ticks go to the market store only, and the
presenter's frame clock (at most 30 times a second, in the wake-up that brought the data) hands the dirty tokens to the
views.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import os
import signal
import sys
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QObject, QSettings
from PySide6.QtGui import QGuiApplication, QIcon
from PySide6.QtWidgets import QApplication

from . import APP_NAME, __version__
from . import config as app_config
from .api.client import AirAlgoClient, ClientConfig
from .console import mark_running
from .desk import Problem, TradingDesk
from .desk.paper import PAPER_JOURNAL, SETTINGS_FILE, PaperDesk, archive_paper_journal
from .desk.shadow import ShadowDesk
from .domain.nsetime import in_market_hours, now_ist
from .harness import Harness
from .keystore import KeyStore
from .logs import setup_file_logging
from .resources import resource_path
from .services.shadow import SHADOW_FILE
from .settings import Prefs
from .store.journal import FILE_NAME as LIVE_JOURNAL
from .transport import UrlError
from .ui import theme
from .ui.commands import Commands
from .ui.main_window import MainWindow
from .ui.notify import Notifier
from .ui.presenter import Presenter
from .ui.protect import announce_triggers
from .ui.ticket import OrderTicket

log = logging.getLogger("airalgo.app")
DEMO_KEY = "demo"


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
            return cls(base / "config", app_config.home_data_dir(home), base / "logs", base / "config" / "settings.ini")
        return cls(app_config.config_dir(), app_config.home_data_dir(), app_config.log_dir(), None)

    def settings(self) -> QSettings:
        """QSettings as an ini file (``IniFormat`` everywhere, never the registry or a plist): in the user's
        settings folder (``%APPDATA%\\AirAlgo`` on Windows, ``~/.config/AirAlgo`` elsewhere), or ``settings.ini``
        under ``home``."""
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


class Application(QObject):
    """The composition root: builds the desk and the window and wires them; owns the connection's life cycle and
    the clean shutdown. Everything else lives in its own room: trading state in :class:`TradingDesk`, widget
    updates in :class:`Presenter`, user actions in :class:`Commands`, the smoke/screenshot harness in
    :class:`Harness`."""

    def __init__(self, args: argparse.Namespace, paths: Paths, keystore: KeyStore | None = None) -> None:
        super().__init__()
        self.args = args
        self.paths = paths
        self.keystore = keystore or KeyStore()
        self.prefs = Prefs(paths.settings())
        smoke = bool(getattr(args, "smoke_test", False))
        self.demo = bool(getattr(args, "demo", False)) or smoke
        self.sim = None
        self.config: app_config.Config | None = None
        self._quit = asyncio.Event()
        # paper mode is decided here, once: its own journal (the live one is never opened) and a paper account that
        # every connection is wrapped in (connect), so no order of this run can reach the exchange
        self.paper_mode = bool(getattr(args, "paper", False))
        if self.paper_mode and getattr(args, "paper_reset", False):
            archive_paper_journal(paths.data)
        self.desk = TradingDesk.open(paths.data, self.prefs, demo=self.demo,
                                     journal_name=PAPER_JOURNAL if self.paper_mode else LIVE_JOURNAL)
        self.paper: PaperDesk | None = None
        if self.paper_mode:
            self.paper = self.desk.add_part(PaperDesk(self.desk.context, self.desk.ledger.records,
                                                      settings_file=paths.data / SETTINGS_FILE))
            self.desk.risk.use_canceller(self.paper.cancel_open)  # the kill switch may cancel paper orders
        # live mode with shadow fills: every live order also paper-filled at send time, for the slippage
        self.shadow: ShadowDesk | None = None
        if not self.paper_mode and getattr(args, "shadow_fills", False):
            self.shadow = self.desk.add_part(ShadowDesk(self.desk.context, keep=paths.data / SHADOW_FILE))
        self.allow_insecure = bool(getattr(args, "allow_insecure", False))
        self.relaunch_argv: list[str] | None = None  # set by switch_paper: the app starts again with these
        desk = self.desk
        self.window = MainWindow(desk.master, desk.store, self.prefs, positions=desk.pnl.positions, demo=self.demo,
                                 icon=app_icon())
        ledger = desk.ledger  # every order of the app goes through its one place()
        self.ticket = OrderTicket(desk.master, desk.store, self.prefs, ledger.place, ledger.check, self.window,
                                  guards=ledger.guards, actions=self.window.actions_,
                                  protect=desk.triggers.protect_entry)
        self.notifier = Notifier(self.window, self.prefs, app_icon())
        announce_triggers(self.window, desk, self.notifier)  # firings notified, pauses said (held by this app)
        # the presenter first (the commands give each chain panel its 1 Hz beat); it asks the commands for a key
        # or a master import through late-bound calls
        self.presenter = Presenter(desk, self.window, self.ticket, self.notifier,
                                   lambda message: self.commands.ask_for_key(message),
                                   lambda reason: self.commands.import_master(reason))
        self.commands = Commands(self, desk, self.window, self.ticket, self.keystore, paths.logs,
                                 beats=self.presenter)
        self.commands.bind()
        self.window.closing.connect(self.request_quit)
        # the views that show desk notices register their own handlers (unregistered when destroyed)
        self.window.order_book.listen_to(desk)
        self.window.positions_panel.listen_to(desk)
        self.ticket.listen_to(desk)
        self.harness = Harness(self, smoke=smoke, screenshot=getattr(args, "screenshot", None),
                               quit_after=getattr(args, "quit_after", None))
        if self.paper is not None:
            from .ui.paper import add_paper_account, apply_paper_look

            apply_paper_look(self.window, self.ticket, self.paper.settings.describe())
            add_paper_account(self.window, self.paper)
            self.presenter.margin_source = self.paper.margin
        from .ui.paper import add_paper_switch

        add_paper_switch(self.window, self.paper_mode, self.switch_paper)
        if self.shadow is not None:
            from .ui.paper import show_shadow_fills

            show_shadow_fills(self.window, desk, self.shadow.fills)

    async def run(self) -> int:
        """Show the window, restore the journal, connect, run until quit, shut down cleanly. Returns the exit code."""
        app = QApplication.instance()
        if isinstance(app, QApplication):
            app.aboutToQuit.connect(self.request_quit)
        self.window.show()
        self.harness.window_shown()
        self.window.build_chart(self.desk.pnl.bars, self.desk.pnl.mtm)
        if self.window.chart is not None:
            self.window.chart.listen_to(self.desk)
        self.desk.ledger.restore()
        if self.paper is not None:
            self.paper.restore()  # the paper exchange's margin book from the paper journal's fills
        self.desk.risk.restore()  # the day's order count and a lock set earlier today
        self.desk.triggers.restore()  # today's protective triggers, back paused (the bars' note follows them)
        self.commands.run(self.desk.pnl.restore_bars(), "Reading today's bars")
        self.presenter.start()
        # the stored master is read now, in a worker thread: nothing master-sized happens before the window shows
        self.commands.run(self.desk.instruments.load_master(self.window.watchlist.all_tokens()),
                          "Loading the instrument master")
        try:
            await self._start_connection()
        except Exception:
            log.exception("start-up failed")
            self.window.show_message("Start-up failed; see the log (Help → Open log folder).", 0)
        await self._quit.wait()
        await self.shutdown()
        return self.harness.exit_code

    def paper_on_demo_feed(self) -> bool:
        """Paper mode outside market hours: the live feed is silent, so the embedded simulator's feed is used."""
        return self.paper is not None and not self.demo and not in_market_hours(now_ist())

    async def _start_connection(self) -> None:
        demo_feed = self.paper_on_demo_feed()
        if self.demo or demo_feed:
            from .sim.server import SimConfig, SimServer

            self.sim = SimServer(SimConfig(api_keys=(DEMO_KEY,)))
            await self.sim.start()
            engine = self.sim.engine
            if self.paper is None:
                self.presenter.margin_source = lambda: (engine.margin_used(DEMO_KEY), engine.margin_limit)
            await self.connect(ClientConfig(self.sim.ws_url, self.sim.base_http, DEMO_KEY))
            if demo_feed:
                from .ui.paper import note_demo_feed

                note_demo_feed(self.window)
                self.window.show_message("PAPER on the demo feed: the market is closed, so the embedded simulator "
                                         "plays the prices. Restart with --paper in market hours for live prices.", 0)
            else:
                self.window.show_message("Demo mode: an embedded simulator plays the market. No real orders.", 0)
            return
        flags = {"WEBSOCKET_SERVER_URL": self.args.ws_url, "TOKEN_SERVER_URL": self.args.token_url,
                 "API_KEY": self.args.api_key}
        cfg = await asyncio.to_thread(app_config.load_config, flags, keyring_getter=self.keystore.load)
        self.config = cfg
        for line in cfg.describe():
            log.info("config: %s", line)
        if cfg.warnings:  # a .env problem must not silently send the app to the production URLs
            self.desk.publish(Problem("Settings: " + "; ".join(cfg.warnings[:4])
                                      + (" …" if len(cfg.warnings) > 4 else ""), persistent=True))
        if cfg.api_key:
            await self.connect(self._client_config(cfg.api_key))
            if self.paper is not None:
                self.window.show_message("PAPER: live prices; orders fill on the paper exchange in this app and are "
                                         "never sent.", 0)
        else:
            self.commands.ask_for_key()

    def _client_config(self, api_key: str) -> ClientConfig:
        cfg = self.config or app_config.load_config({}, keyring_getter=lambda: None)
        self.config = cfg
        overrides = {}
        if getattr(self.args, "stall_timeout", None) is not None:
            overrides = {"stall_timeout": self.args.stall_timeout, "stall_market_hours_only": False}
        return ClientConfig(cfg.ws_url, cfg.token_url, api_key, allow_insecure=self.args.allow_insecure, **overrides)

    async def connect(self, client_config: ClientConfig) -> None:
        """Replace the connection with a new one; the desk keeps the day's orders and follows the open ones."""
        await self.disconnect()
        try:
            client = AirAlgoClient(client_config)
        except UrlError as exc:  # malformed or unencrypted: refused once, with the reason
            self.window.banner.show_message(str(exc), "Settings…", self.commands.ask_for_key)
            return
        # paper mode: the desk gets a paper session (the live client's prices, the paper exchange's orders; the client
        # is held without a way to send one)
        self.desk.attach(self.paper.session(client) if self.paper is not None else client)
        await client.start()

    async def connect_with_key(self, key: str) -> None:
        """Connect with a key the trader just entered."""
        await self.connect(self._client_config(key))

    async def disconnect(self) -> None:
        """Close the connection (orders in flight become Unknown, never resent)."""
        await self.desk.disconnect()

    def switch_paper(self, paper: bool) -> None:
        """Account → Paper trading: quit cleanly and start again in paper mode (or back in live mode) with the same
        options. Paper-ness is decided once per run, at composition — a running desk is never re-pointed."""
        argv = [a for a in getattr(self.args, "argv", None) or [] if a not in ("--paper", "--paper-reset")]
        self.relaunch_argv = [*argv, "--paper"] if paper else argv
        self.request_quit()

    def request_quit(self) -> None:
        """Leave at the next loop turn (window closed, Quit, OS logout, Ctrl+C)."""
        self._quit.set()

    async def shutdown(self) -> None:
        """Leave the channel, close the socket, stop the simulator, close the journal; no tasks left behind."""
        self.harness.finished = True
        self.presenter.stop()
        self.window.save_layout()
        await self.disconnect()
        if self.sim is not None:
            await self.sim.stop()
            self.sim = None
        self.ticket.close()
        for window in list(self.window.chart_windows):
            window.close()
        self.window.hide()
        self.desk.close()  # writes the last minute of bars, checkpoints the journal
        log.info("shut down cleanly")


def _install_signal_handlers(app: Application) -> None:
    """Ctrl+C / SIGTERM quit cleanly (the presenter's 4 Hz status timer gives Python a chance to run the
    handler)."""
    def handler(_signum: int, _frame: object) -> None:
        app.request_quit()

    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(ValueError, OSError):
            signal.signal(sig, handler)


def main(args: argparse.Namespace) -> int:
    """Start the desktop app."""
    paths = Paths.resolve(getattr(args, "home", None))
    running = mark_running()  # noqa: F841 - held until the process ends: the installer refuses while it exists
    log_file = setup_file_logging(paths.logs, console=bool(os.environ.get("AIRALGO_LOG_CONSOLE")))
    log.info("%s %s starting (%s%s)", APP_NAME, __version__, "demo" if args.demo else "live",
             ", paper" if getattr(args, "paper", False) else "")
    QGuiApplication.setApplicationName(APP_NAME)
    QGuiApplication.setOrganizationName("AirAlgo")
    QGuiApplication.setApplicationVersion(__version__)
    QGuiApplication.setDesktopFileName("airalgo-desktop")
    qt_app = QApplication.instance() or QApplication(sys.argv[:1])
    qt_app.setQuitOnLastWindowClosed(False)  # we quit ourselves, after a clean shutdown
    qt_app.setWindowIcon(app_icon())
    prefs = Prefs(paths.settings())
    theme.apply_theme(qt_app, theme.ThemeChoice(prefs.theme), prefs.colour_blind)
    theme.follow_system_changes(qt_app, lambda: theme.ThemeChoice(Prefs(paths.settings()).theme))
    import qasync

    relaunch: list[list[str]] = []

    async def run() -> int:
        application = Application(args, paths)
        _install_signal_handlers(application)
        code = await application.run()
        if application.relaunch_argv is not None:
            relaunch.append(application.relaunch_argv)
        return code

    try:
        code = qasync.run(run())
    except Exception:
        log.exception("fatal error")
        print(f"AirAlgo Desktop stopped after an error; details in {log_file}", file=sys.stderr)
        return 1
    if relaunch:  # Account → Paper trading: the next run starts once this one let go of its files
        from PySide6.QtCore import QProcess

        from .instruments.importer import child_command

        command = [*child_command(), *relaunch[0]]
        started = QProcess.startDetached(command[0], command[1:])
        log.info("relaunched as %s: %s", " ".join(relaunch[0]) or "live", started)
    log.info("exit %s", code)
    return code
