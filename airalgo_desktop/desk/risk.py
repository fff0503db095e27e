"""The risk gate as a desk part: the trader's limits on every order, the day lock and the kill switch.

The rules are in :mod:`airalgo_desktop.services.risk` (pure); this part gives them the book — positions from the
day's P&L part, open orders from the ledger's records, LTPs from the market store — and the persistence: the limits
in the preferences, the day lock and its lifting in the journal (a restart the same IST trading day is still
locked). The ledger asks :meth:`RiskDesk.assess` inside its one ``place`` (``OrderLedger.use_gate``), so an order
from any source — ticket, chain, square-off, kill switch, trigger, basket, strategy — passes it before the journal
sees it; a refusal is journalled as *refused by your limits* and never sent.

Notices: :class:`~.notices.RiskChanged` (the meter's figures, when they change), :class:`~.notices.Problem` (the
lock banner), :class:`~.notices.KillSwitchDone` (the kill switch's report).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import date
from typing import Any, Protocol

from ..api.events import Event, Ticks
from ..domain.money import Paisa, format_rupees
from ..domain.nsetime import IST, now_ist, trading_day_on_or_before
from ..domain.orders import OrderRecord, OrderRequest, OrderStatus
from ..services.charges import estimate
from ..services.positions import PositionBook
from ..services.risk import (
    REFUSED,
    DayLock,
    Exposure,
    KillReport,
    OpenOrder,
    Refusal,
    RiskGate,
    RiskLimits,
    Source,
    flatten_orders,
    lock_seconds,
    unbooked_execution,
)
from .notices import KillSwitchDone, Problem, RiskChanged
from .part import DeskContext, Part

log = logging.getLogger("airalgo.desk.risk")

_OPEN_STATES = frozenset(s for s in OrderStatus if s.is_open)


class RiskStore(Protocol):
    """Where the day lock lives across restarts (the order journal; a fake in tests)."""

    def record_risk(self, day: date, kind: str, detail: dict[str, Any]) -> None: ...
    def risk_events(self, day: date) -> list[tuple[str, dict[str, Any], str]]: ...


class RiskPrefs(Protocol):
    """The limits in the preferences."""

    def load_risk_limits(self) -> RiskLimits: ...
    def save_risk_limits(self, limits: RiskLimits) -> None: ...


def trading_today() -> date:
    """The IST trading day of now (a weekend is still Friday's: a lock set on Friday holds until Monday)."""
    return trading_day_on_or_before(now_ist().date())


class RiskDesk(Part):
    """The risk gate part (hub attribute ``risk``)."""

    def __init__(self, ctx: DeskContext, positions: PositionBook, records: dict[str, OrderRecord],
                 store: RiskStore | None, *, today: Callable[[], date] = trading_today) -> None:
        self.ctx = ctx
        self.positions = positions
        self.records = records
        self.store = store
        load = getattr(ctx.prefs, "load_risk_limits", None)
        self.gate = RiskGate(load() if load else RiskLimits(), ctx.master.get, today)
        self._place: Callable[[OrderRequest, Source], OrderRecord] | None = None
        self._meter: RiskChanged | None = None
        self._ticked = -1.0  # when the meter last followed the book
        self._cancel: Callable[[], int] | None = None
        self._charges_of: tuple[list, Paisa] | None = None  # (the fills it was computed for, the estimate)
        self._book_of: tuple[list, dict[str, int], dict[str, int], dict[str, int]] | None = None

    # ---------------------------------------------------------------- wiring and persistence
    def use_canceller(self, cancel: Callable[[], int]) -> None:
        """Paper mode: the kill switch may cancel the open orders (the paper exchange can; the AirAlgo API cannot)."""
        self._cancel = cancel

    def use_placer(self, place: Callable[[OrderRequest, Source], OrderRecord]) -> None:
        """The ledger's ``place`` (the kill switch's exits go through it, and so through this gate too)."""
        self._place = place

    def restore(self) -> None:
        """At start, after the ledger's restore: the day's count of orders sent (refused ones do not count) and a
        lock journalled earlier today (or lifted since) — a restart does not reset either."""
        day = self.gate.today()
        sent_today = sum(1 for r in self.records.values()
                         if trading_day_on_or_before(r.created.astimezone(IST).date()) == day
                         and not r.message.startswith(REFUSED))
        lock: DayLock | None = None
        events: list[tuple[str, dict[str, Any], str]] = []
        if self.store is not None:
            try:
                events = list(self.store.risk_events(day))
            except Exception as exc:  # an unreadable journal must not stop the app: the banner says it already
                log.warning("risk: day lock not read back: %s", exc)
            other = getattr(self.store, "window_risk_events", None)
            if other is not None:
                try:
                    # another window holds the main journal: its lock (and its orders) count here too
                    shared, sent_there = other(day)
                    events = shared + events
                    sent_today += sent_there
                except Exception as exc:  # cannot see the other window's lock: stay on the safe side
                    log.warning("risk: the other window's journal is unreadable: %s", exc)
                    lock = DayLock(day, "the other window's journal could not be read, so its lock is unknown", 0.0)
        for kind, detail, _at in events:
            if kind == "lock":
                lock = DayLock(day, str(detail.get("reason", "locked")), lock_seconds(detail.get("at")))
            elif kind == "unlock":
                lock = None
        self.gate.seed_day(day, sent_today, lock)
        if lock is not None:
            self.ctx.publish(Problem(self._lock_text(lock), persistent=True))
        self._publish_meter(force=True)

    def _journal(self, kind: str, detail: dict[str, Any]) -> None:
        if self.store is None:
            return
        try:
            self.store.record_risk(self.gate.today(), kind, detail)
        except Exception as exc:
            # the lock still holds in memory for this run; the trader is told it will not survive a restart
            log.error("risk: %s not journalled: %s", kind, exc)
            self.ctx.publish(Problem(f"The day lock could not be journalled ({exc}): it holds until you close the "
                                     "app, not after a restart.", persistent=True))

    # ---------------------------------------------------------------- limits
    @property
    def limits(self) -> RiskLimits:
        """The limits in force."""
        return self.gate.limits

    def set_limits(self, limits: RiskLimits) -> None:
        """New limits, saved; a loss already past the new limit locks the day at the next sample."""
        self.gate.limits = limits
        save = getattr(self.ctx.prefs, "save_risk_limits", None)
        if save:
            save(limits)
        self._publish_meter(force=True)

    # ---------------------------------------------------------------- the book as the gate sees it
    def exposure(self, token: str | None = None) -> Exposure:
        """Positions, open orders, LTPs (of ``token`` too, the order's instrument) and the day's P&L now."""
        quotes = self.ctx.store.quotes
        positions = self.positions.positions
        net, sell_value, buy_value = self._book()
        ltps = {t: q["ltp"] for t in positions if (q := quotes.get(t))}
        # a set lookup first: most of a busy day's records are final, and is_open is three properties deep
        open_orders = [OpenOrder(r.request.token, r.request.side, r.request.quantity, r.request.price)
                       for r in self.records.values()
                       if (r.status in _OPEN_STATES and r.is_open) or unbooked_execution(r)]
        for t in [o.token for o in open_orders] + ([token] if token else []):
            if t not in ltps and (q := quotes.get(t)):
                ltps[t] = q["ltp"]
        charges = self._charges() if self.gate.limits.loss_net_of_charges else 0
        # the day's P&L as PositionBook.total has it (exact), from the cached figures; at cost without an LTP
        pnl = sum(sell_value[t] - buy_value[t] + n * ltps.get(t, 0) if t in ltps or not n else positions[t].realised()
                  for t, n in net.items())
        return Exposure(net=net, sell_value=sell_value, buy_value=buy_value, open_orders=open_orders, ltp=ltps,
                        day_pnl=pnl, charges=charges)

    def _book(self) -> tuple[dict[str, int], dict[str, int], dict[str, int]]:
        """Net quantity, sold and bought value per token, built again only when the fills change."""
        fills = self.positions.fills
        if self._book_of is None or self._book_of[0] != fills:  # list ==: identity first, so cheap
            positions = self.positions.positions
            self._book_of = (list(fills), {t: p.net for t, p in positions.items()},
                             {t: p.sell_value for t, p in positions.items()},
                             {t: p.buy_value for t, p in positions.items()})
        return self._book_of[1:]

    def _charges(self) -> Paisa:
        """The estimated charges of the day's fills, computed again only when the fills change (the estimate is
        exact fractions: ~0.6 ms per instrument, too slow to run for every order and every ticket check)."""
        fills = self.positions.fills
        if self._charges_of is None or self._charges_of[0] != fills:  # list ==: identity first, so cheap
            by_token: dict[str, list] = {}
            for fill in fills:
                by_token.setdefault(fill.token, []).append(fill)
            total = sum(estimate(group, self.ctx.master.get(t)).total for t, group in by_token.items())
            self._charges_of = (list(fills), total)
        return self._charges_of[1]

    # ---------------------------------------------------------------- the gate (called by the ledger's place)
    def assess(self, request: OrderRequest, source: Source) -> Refusal | None:
        """None when ``request`` may go; else why not (the ledger journals it as refused, never sends it)."""
        exposure = self.exposure(request.token)
        if self.gate.locked is None and self.gate.breached(exposure):
            self._lock(f"the day's loss reached your limit of {format_rupees(self.gate.limits.max_day_loss or 0)}")
        refusal = self.gate.assess(request, exposure, self.ctx.clock(), source)
        if refusal is not None:
            log.info("risk: %s order refused (%s): %s", source.value, refusal.rule, refusal.message)
        return refusal

    def preview(self, request: OrderRequest) -> Refusal | None:
        """What :meth:`assess` would say of ``request`` now, for the ticket before Send — without side effects: a
        loss past the limit is reported, not locked (the next sample or order locks it)."""
        return self.gate.assess(request, self.exposure(request.token), self.ctx.clock(), Source.TICKET)

    def placed(self, record: OrderRecord) -> None:
        """An order passed the gate and was journalled: it counts."""
        self.gate.sent(self.ctx.clock())
        self._publish_meter()

    # ---------------------------------------------------------------- the day lock
    def _lock_text(self, lock: DayLock) -> str:
        return (f"Trading locked for today: {lock.reason}. Only orders that reduce a position are allowed until the "
                f"next trading day (Trade → Risk limits… to unlock).")

    def _lock(self, reason: str) -> DayLock:
        lock = self.gate.lock_day(reason, self.ctx.clock())
        exposure = self.exposure()
        self._journal("lock", {"reason": reason, "at": lock.at, "day_pnl": exposure.day_pnl})
        self.ctx.publish(Problem(self._lock_text(lock), persistent=True))
        self._publish_meter(force=True)
        return lock

    def unlock(self, typed: str) -> bool:
        """Lift today's lock early: only with the typed phrase; journalled."""
        if self.gate.locked is None:
            return True
        if not self.gate.unlock(typed):
            return False
        self._journal("unlock", {"at": self.ctx.clock()})
        self._publish_meter(force=True)
        return True

    def on_event(self, event: Event) -> None:
        """A position's tick: the meter (and the lock) follow it within a fifth of a second, as the Day P&L does."""
        if isinstance(event, Ticks) and not self.positions.positions.keys().isdisjoint(event.quotes) \
                and self.ctx.clock() - self._ticked >= 0.2:
            self.sample(self.ctx.clock())

    def sample(self, now: float) -> None:
        """Once in a while: a loss that reached the limit locks the day (even with no order in sight)."""
        self._ticked = now
        exposure = self.exposure()
        if self.gate.locked is None and self.gate.breached(exposure):
            self._lock(f"the day's loss reached your limit of {format_rupees(self.gate.limits.max_day_loss or 0)}")
        self._publish_meter(exposure=exposure)

    def _publish_meter(self, *, force: bool = False, exposure: Exposure | None = None) -> None:
        exposure = exposure or self.exposure()
        now = self.ctx.clock()
        notice = RiskChanged(self.gate.loss_figure(exposure), self.gate.limits.max_day_loss,
                             self.gate.orders_in_minute(now), self.gate.limits.max_orders_per_minute,
                             self.gate.orders_today, self.gate.limits.max_orders_per_day,
                             self.gate.locked is not None)
        if force or notice != self._meter:
            self._meter = notice
            self.ctx.publish(notice)

    # ---------------------------------------------------------------- the kill switch
    def kill_plan(self) -> tuple[list[OrderRequest], list[OrderRecord]]:
        """What the kill switch would do now: the exits it would send, the open orders it cannot cancel."""
        exposure = self.exposure()
        return flatten_orders(exposure, self.ctx.master.get), [r for r in self.records.values() if r.is_open]

    def kill_switch(self) -> KillReport:
        """Lock the day, send one market exit per open position (freeze-quantity slices, each at most once: what
        open exits already cover is not sent again) and list what is still open at the exchange."""
        report = KillReport()
        if self.gate.locked is None:
            self._lock("you pressed the kill switch")
            report.locked = True
        else:
            self._journal("kill", {"at": self.ctx.clock()})
        if self._cancel is not None:  # paper: its open orders go first, so the exits are computed without them
            report.cancelled = self._cancel()
        exits, _ = self.kill_plan()
        for request in exits:
            if self._place is None:
                report.failed.append((request, "not connected"))
                continue
            try:
                report.sent.append(self._place(request, Source.KILL_SWITCH))
            except Exception as exc:  # one failed exit must not stop the others
                report.failed.append((request, str(exc) or type(exc).__name__))
        sent_ids = {r.local_id for r in report.sent}
        report.still_open = [r for r in self.records.values() if r.is_open and r.local_id not in sent_ids]
        self.ctx.publish(KillSwitchDone(report))
        return report

