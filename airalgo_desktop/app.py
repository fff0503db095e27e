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
from .harness import Harness
from .keystore import KeyStore
from .logs import setup_file_logging
from .resources import resource_path
from .settings import Prefs
from .transport import UrlError
from .ui import theme
from .ui.commands import Commands
from .ui.main_window import MainWindow
from .ui.notify import Notifier
from .ui.presenter import Presenter
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
        self.desk = TradingDesk.open(paths.data, self.prefs, demo=self.demo)
        self.allow_insecure = bool(getattr(args, "allow_insecure", False))
        desk = self.desk
        self.window = MainWindow(desk.master, desk.store, self.prefs, positions=desk.pnl.positions, demo=self.demo,
                                 icon=app_icon())
        ledger = desk.ledger  # every order of the app goes through its one place()
        self.ticket = OrderTicket(desk.master, desk.store, self.prefs, ledger.place, ledger.check, self.window,
                                  guards=ledger.guards, actions=self.window.actions_)
        self.notifier = Notifier(self.window, self.prefs, app_icon())
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
        self.desk.risk.restore()  # the day's order count and a lock set earlier today
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

    async def _start_connection(self) -> None:
        if self.demo:
            from .sim.server import SimConfig, SimServer

            self.sim = SimServer(SimConfig(api_keys=(DEMO_KEY,)))
            await self.sim.start()
            engine = self.sim.engine
            self.presenter.margin_source = lambda: (engine.margin_used(DEMO_KEY), engine.margin_limit)
            await self.connect(ClientConfig(self.sim.ws_url, self.sim.base_http, DEMO_KEY))
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
        self.desk.attach(client)
        await client.start()

    async def connect_with_key(self, key: str) -> None:
        """Connect with a key the trader just entered."""
        await self.connect(self._client_config(key))

    async def disconnect(self) -> None:
        """Close the connection (orders in flight become Unknown, never resent)."""
        await self.desk.disconnect()

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
    log.info("%s %s starting (%s)", APP_NAME, __version__, "demo" if args.demo else "live")
    QGuiApplication.setApplicationName(APP_NAME)
    QGuiApplication.setOrganizationName("AirAlgo")
    QGuiApplication.setApplicationVersion(__version__)
    QGuiApplication.setDesktopFileName("airalgo-desktop")
    qt_app = QApplication.instance() or QApplication(sys.argv[:1])
    qt_app.setQuitOnLastWindowClosed(False)  # we quit ourselves, after a clean shutdown
    qt_app.setWindowIcon(app_icon())
    prefs = Prefs(paths.settings())
    theme.apply_theme(qt_app, theme.ThemeChoice(prefs.theme))
    theme.follow_system_changes(qt_app, lambda: theme.ThemeChoice(Prefs(paths.settings()).theme))
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
