"""The presenter: what is truly window-wide — the status bar, the banner, notifications — and the clocks that
repaint the views.

* window-wide notices: one named handler each, registered with the hub like any view's (``ui/listening.py``);
  a view that shows a notice (order book, positions, the ticket, each chart) registers its own handler instead and
  is unregistered when destroyed — the presenter never loops over them;
* the frame clock (``ui/frames.py``, ≤ 30 Hz, in the wake-up that brought the data, never when nothing changed)
  hands the market store's dirty tokens to the visible views — nothing per tick touches a widget;
* the status timer (4 Hz) lets the desk build bars and sample MTM, updates the connection figures and redraws the
  docked chart; chart windows listen to ``statusBeat`` and chain panels to ``chainsDue`` (1 Hz) themselves.

To show a new kind of notice in a widget: ``listen(widget, desk, {MyNotice: widget.on_my_notice})``.
"""

from __future__ import annotations

import html
import logging
import time
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, Qt, QTimer, Signal

from ..api.events import State
from ..desk import (
    AlertFired,
    ConnectionChanged,
    InstrumentsChanged,
    KeyNeeded,
    MasterNeeded,
    OrderChanged,
    OrderFilled,
    OrderNotConfirmed,
    OrderRejected,
    Problem,
    TradingDesk,
    describe_fill,
)
from ..domain.money import format_rupees
from ..domain.wording import plural
from ..services.chain import greek_totals
from .alerts import fired_time
from .frames import FrameClock
from .listening import listen
from .main_window import MainWindow
from .notify import Kind, Notifier
from .ticket import OrderTicket

SKIP_REASONS_SHOWN = 3  # skip reasons in the import banner's text; every one is behind "Details…"
log = logging.getLogger("airalgo.ui.presenter")
STATUS_MS = 250
CHAIN_EVERY = 4  # option chains repaint every fourth status tick (1 Hz)
WATCHLIST_OWNER = "watchlist"  # the subscription owner name of the active watchlist



def shared_token_contracts(details: list[str]) -> list[str]:
    """The contracts an import summary (``ImportOutcome.lines``) lists as dropped for a token another contract
    has, one per line under that reason."""
    from ..instruments.catalog import TOKEN_SHARED

    out: list[str] = []
    inside = False
    for line in details:
        if line.rstrip().endswith(f"{TOKEN_SHARED}:"):
            inside = True
        elif inside and line.startswith(" " * 13):
            if not line.strip().startswith("…"):  # "… and N more" past the named ones
                out.append(line.strip())
        else:
            inside = False
    return out

class Presenter(QObject):
    """Shows what the desk says window-wide; owns the frame clock and the status timer."""

    statusBeat = Signal()  # the 4 Hz status tick: chart windows redraw on it (a no-op when nothing changed)
    chainsDue = Signal(object)  # frozenset of the tokens ticked since the last chain repaint (1 Hz)

    def __init__(self, desk: TradingDesk, window: MainWindow, ticket: OrderTicket, notifier: Notifier,
                 ask_for_key: Callable[[str], None], import_master: Callable[[str], object] | None = None) -> None:
        super().__init__(window)
        self.desk = desk
        self.window = window
        self.ticket = ticket
        self.notifier = notifier
        self.ask_for_key = ask_for_key
        self._chain_dirty: set[str] = set()  # tokens ticked since the chains last repainted
        self._chain_tick = 0
        self.import_master = import_master
        self.auth_banner = False  # the banner is showing the "Enter API key…" problem (hidden once joined)
        # (margin used, account margin) in paisa, where the account's margin is known: the embedded simulator's
        self.margin_source: Callable[[], tuple[float, int]] | None = None
        handlers: dict[type, Callable[[Any], None]] = {
            OrderChanged: self.on_order_changed,
            OrderFilled: self.on_order_filled,
            OrderRejected: self.on_order_rejected,
            OrderNotConfirmed: self.on_order_not_confirmed,
            AlertFired: self.on_alert_fired,
            ConnectionChanged: self.on_connection_changed,
            Problem: self.on_problem,
            InstrumentsChanged: self.on_instruments_changed,
            KeyNeeded: self.on_key_needed,
            MasterNeeded: self.on_master_needed,
        }
        listen(self, desk, handlers)
        watchlist = window.watchlist
        watchlist.activeTokensChanged.connect(lambda tokens: desk.subscriptions.want(WATCHLIST_OWNER, tokens))
        desk.subscriptions.want(WATCHLIST_OWNER, watchlist.active_tokens())
        watchlist.currentTokenChanged.connect(self.focus)
        watchlist.set_meanings(desk.instruments.marks, desk.instruments.labels)
        watchlist.tokensAdded.connect(self.on_tokens_added)
        # the coalesced repaint runs in the wake-up that brought the data, ≤ 30 Hz, never when nothing changed
        self.frames = FrameClock(self.refresh, window.watchlist.fading, self)
        self.status_timer = QTimer(self)
        self.status_timer.setInterval(STATUS_MS)
        self.status_timer.timeout.connect(self.update_status)

    def start(self) -> None:
        """Start the timers (once the window is shown)."""
        self.desk.store.on_apply = self.frames.data_arrived
        self.frames.start()
        self.status_timer.start()

    def stop(self) -> None:
        """Stop the timers (shutdown)."""
        self.desk.store.on_apply = None
        self.frames.stop()
        self.status_timer.stop()

    def focus(self, token: str | None) -> None:
        """The trader picked an instrument: chart it (with its open orders)."""
        if self.window.chart is not None:
            self.window.chart.show_token(token)
            self.window.chart.set_orders(self.desk.ledger.records.values())

    # ---------------------------------------------------------------- orders
    def on_order_changed(self, notice: OrderChanged) -> None:
        """The latency summary in the status bar once an order has its final answer."""
        record = notice.record
        if record.final_at is not None and record.sent_at is not None:
            self.show_latency()

    def on_order_filled(self, notice: OrderFilled) -> None:
        """Notification and status line for a live fill."""
        record = notice.record
        self.notifier.notify(Kind.FILL, f"Executed: {record.symbol}", describe_fill(record))
        self.window.show_message(f"Executed: {record.request.side.label} {record.request.quantity} "
                                 f"{record.symbol} at {format_rupees(record.executed_price)}")

    def on_order_rejected(self, notice: OrderRejected) -> None:
        """Notification and status line for a rejection."""
        record = notice.record
        self.notifier.notify(Kind.REJECTION, f"Rejected: {record.symbol}", record.message)
        self.window.show_message(f"Rejected: {record.symbol}: {record.message}")

    def on_order_not_confirmed(self, notice: OrderNotConfirmed) -> None:
        """An order lost its connection before the answer: say it was not resent."""
        self.window.show_message(f"{notice.record.symbol}: order not confirmed (connection lost). It was not resent.")

    def show_latency(self) -> None:
        """Median and worst Send → first exchange answer of this run's orders, in the status bar (from the desk)."""
        figures = self.desk.ledger.latency()
        if figures is not None:
            label = self.window.latency_label
            label.setText(f"orders: median {figures.median_ms:.0f} ms, worst {figures.worst_ms:.0f} ms")
            label.setToolTip(f"Send → first answer from the exchange (Pending, Executed or Rejected) over "
                             f"{plural(figures.count, 'order')} this session")

    def show_margin(self) -> None:
        """The account's margin used and available, when the app knows it (the demo simulator's account)."""
        label = self.window.margin_label
        if self.margin_source is None:
            label.setVisible(False)
            return
        used, limit = self.margin_source()
        used = round(used)
        label.setText(f"Margin used {format_rupees(used)} · available {format_rupees(max(0, limit - used))}")
        label.setToolTip(f"Demo account margin {format_rupees(limit)}: open positions at the current price plus "
                         "pending orders (intraday equity 20 % of value, index futures 11.24 %)")
        label.setVisible(True)

    # ---------------------------------------------------------------- alerts, guards, instruments
    def on_alert_fired(self, notice: AlertFired) -> None:
        """A price alert fired: the notification says when (a toast read minutes later, or a tray balloon the
        trader comes back to, would otherwise read as "just now")."""
        when = fired_time(notice.alert, "%H:%M:%S")
        self.notifier.notify(Kind.ALERT, "Price alert", f"{notice.text} (at {when})" if when else notice.text)

    def on_instruments_changed(self, notice: InstrumentsChanged) -> None:
        """The master was loaded or replaced: say what was kept/skipped, which rows are marked, whether it is stale;
        redraw the watchlists' symbols (marked rows keep what they meant, greyed with ⚠)."""
        w = self.window
        w.watchlist.set_meanings(self.desk.instruments.marks, self.desk.instruments.labels)
        # the selected row did not change, its meaning may have: the panel reads the new master (name, lot, tick)
        w.instrument_panel.show_token(w.instrument_panel.token)
        parts = []
        reasons: list[str] = []
        if notice.imported:
            parts.append("; ".join(line.strip() for line in notice.details[:1]))
            reasons = [line.strip() for line in notice.details[2:] if not line.startswith(" " * 13)]
            if reasons:
                parts.append("Skipped: " + "; ".join(reasons[:SKIP_REASONS_SHOWN]) + ".")
            shared = shared_token_contracts(notice.details)
            if shared:  # a contract lost to another's token is named: searching for it would just say "no match"
                log.info("instruments not imported (token of another contract): %s", "; ".join(shared))
                parts.append(f"Not imported, their token belongs to another contract: {'; '.join(shared[:5])}"
                             + (f"; and {len(shared) - 5} more (all in the log)" if len(shared) > 5 else "") + ".")
        vanished = [m for m in notice.marks.values() if "not in the instrument master" in m or "now means" in m]
        if vanished:
            parts.append(f"{plural(len(vanished), 'watchlist/position row')} marked ⚠: "
                         f"{vanished[0]}" + (" (all listed on the rows' tooltips)" if len(vanished) > 1 else ""))
        if notice.stale:
            parts.append(notice.stale)
        log.info("instruments: %s", notice.summary)
        if parts:
            row = w.banner.show_message(" ".join(parts), "OK", w.banner.hide, error=bool(vanished or notice.stale))
            if len(reasons) > SKIP_REASONS_SHOWN and row is not None:
                self._offer_every_reason(row, parts, reasons, bool(vanished or notice.stale))
        w.show_message(notice.summary)

    @staticmethod
    def _offer_every_reason(row: Any, parts: list[str], reasons: list[str], error: bool) -> None:
        """More skip reasons than the banner shows: every one on the text's tooltip, and a "Details…" link that
        expands the banner to list them all (it used to end in a cut "…." that hid why rows were skipped)."""
        more = len(reasons) - SKIP_REASONS_SHOWN
        label = row.label
        label.setTextFormat(Qt.TextFormat.RichText)
        label.setText(f"{html.escape(' '.join(parts), quote=False)} And {plural(more, 'more reason')}: "
                      "<a href='details'>Details…</a>")
        label.setToolTip("Skipped:\n" + "\n".join(reasons))
        every = "<br>".join(f"• {html.escape(r, quote=False)}" for r in reasons)
        expanded = " ".join(f"<br>Skipped:<br>{every}<br>" if p.startswith("Skipped: ") else html.escape(p, quote=False)
                            for p in parts)
        label.linkActivated.connect(lambda _link: row.show_message(expanded, "OK", row.hide, error=error))

    def on_master_needed(self, notice: MasterNeeded) -> None:
        """A real account without an imported master: explain and offer the import. A more urgent banner (a
        refused key) is not covered: the request waits until that one is dealt with."""
        w = self.window
        if len(self.desk.master):
            return  # imported meanwhile
        w.show_message("No instrument master: File → Import instrument master…", 0)
        if w.banner.isVisible():
            QTimer.singleShot(2000, self, lambda: self.on_master_needed(notice))  # dies with the presenter
            return
        action = (lambda: self.import_master(notice.reason)) if self.import_master else w.banner.hide
        w.banner.show_message(notice.reason, "Import instrument master…", action)

    def on_tokens_added(self, tokens: list[str]) -> None:
        """Rows the trader added: their current meaning is what they chose."""
        for token in tokens:
            self.desk.instruments.remember(token)

    # ---------------------------------------------------------------- connection and problems
    def on_connection_changed(self, notice: ConnectionChanged) -> None:
        """Status bar and the auth banner (the ticket follows the connection itself)."""
        state = notice.state
        w = self.window
        w.connection.set_state(state, notice.at)
        if state.state is State.JOINED and self.auth_banner:
            w.banner.dismiss("auth")  # only the key's strip: a journal or bar-store problem stays
            self.auth_banner = False

    def on_key_needed(self, notice: KeyNeeded) -> None:
        """The banner asking for an API key (hidden by itself once a connection joins)."""
        self.auth_banner = True
        self.window.banner.show_message(notice.message, "Enter API key…", lambda: self.ask_for_key(notice.message),
                                        error=notice.error, key="auth")

    def on_problem(self, notice: Problem) -> None:
        """A transient problem in the status bar; a persistent one in the banner."""
        if notice.persistent:
            self.window.banner.show_message(notice.message, "OK", self.window.banner.hide)
        else:
            self.window.show_message(notice.message)

    # ---------------------------------------------------------------- timers
    def refresh(self) -> None:
        """The coalesced repaint: hand the dirty tokens to the visible views."""
        w = self.window
        dirty = self.desk.store.take_dirty()
        w.watchlist.refresh(dirty)  # with nothing dirty it still lets finished flashes fade
        if not dirty:
            return
        if self.desk.pnl.positions.positions:
            w.positions_model.refresh(dirty)
            if w.chart is not None and not dirty.isdisjoint(self.desk.pnl.positions.positions):
                w.chart.show_pnl()  # the Day P&L with the chart moves with the positions' total, in the same frame
        if w.chain_docks:
            self._chain_dirty |= dirty
        if w.instrument_panel.token in dirty:
            w.instrument_panel.refresh()
        if self.ticket.instrument is not None and self.ticket.instrument.token in dirty:
            self.ticket.refresh_ltp()

    def update_status(self) -> None:
        """Four times a second: bars and MTM on the desk, connection figures, the charts."""
        desk = self.desk
        desk.sample(time.time())
        if desk.client is not None:
            self.window.connection.update_figures(desk.client.metrics, desk.client.now())
        if self.window.chart is not None:
            self.window.chart.redraw()
        self.statusBeat.emit()  # chart windows
        self.show_margin()
        self.show_option_greeks()
        self.refresh_chains()

    def refresh_chains(self) -> None:
        """Option chains refresh once a second, as Kite's and Sensibull's chains do, and only those with a ticked
        token: a chain's IVs, greeks and repaint cost milliseconds, too much for every frame (what they cost is
        ``chain_cpu_pct`` in the README's benchmark table). A leg's ticket always takes the live LTP, not the
        chain's."""
        self._chain_tick += 1
        if self._chain_tick % CHAIN_EVERY:
            return
        dirty, self._chain_dirty = self._chain_dirty, set()
        if dirty:
            self.chainsDue.emit(frozenset(dirty))  # each chain panel repaints when one of its tokens ticked

    def show_option_greeks(self) -> None:
        """Per-leg greeks and per-underlying totals of the F&O positions (nothing to do without any)."""
        desk = self.desk
        if not any(p.net for p in desk.pnl.positions.positions.values()):
            if self.window.positions_model.greeks:  # all flat now: no greeks left on screen (once, then nothing)
                self.window.positions_model.set_greeks({})
                self.window.positions_panel.show_greek_totals({})
            return
        legs = desk.options.greeks()
        self.window.positions_model.set_greeks(legs)
        self.window.positions_panel.show_greek_totals(greek_totals(legs.values()))
