"""Protective triggers as a desk part (hub attribute ``triggers``), held by this app — honestly. The rules are in
``services/triggers.py``, the tick index in ``services/triggerbook.py`` (both pure).

A crossing fires once: the decision is journalled (*fired by your stop …*) **before** the exit goes through the
ledger's one ``place`` (``Source.TRIGGER``: through the risk gate), and a fired trigger is never evaluated again —
not after a reconnect, not after a kill -9 (it comes back *fired*). Not watched = said so: a drop or a stale feed
pauses every armed trigger (watched again from its token's next tick; a gap meanwhile fires it then); after a
restart they come back *paused* with what the day's bars say happened meanwhile, until the trader re-arms them.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from datetime import date
from typing import Any, Protocol

from ..api.events import Event, FeedStale, State, StateChanged, Ticks
from ..domain.bars import Bars
from ..domain.orders import OrderRecord, OrderRequest, Side
from ..services.barbook import BarBook
from ..services.positions import PositionBook
from ..services.risk import Source
from ..services.triggerbook import TriggerBook, exits_for, option_legs, pnl_of_legs
from ..services.triggers import Hit, Pause, Trigger, TriggerState
from .notices import BarsRestored, OrderChanged, PositionsChanged, Problem, TriggerFired, TriggersChanged
from .part import DeskClient, DeskContext, Part
from .risk import trading_today

log = logging.getLogger("airalgo.desk.triggers")
REARM_KEY = "triggers/rearm_on_start"
DOWN = (State.RECONNECTING, State.DISCONNECTED, State.CLOSED, State.AUTH_FAILED)


class TriggerStore(Protocol):
    """Where triggers live across restarts (the order journal; a fake in tests)."""

    def save_triggers(self, day: date, rows: list[tuple[str, str, dict[str, Any], str, str]]) -> None: ...
    def triggers_for(self, day: date) -> list[dict[str, Any]]: ...


class TriggerDesk(Part):
    """The app-held protective triggers of the day."""

    def __init__(self, ctx: DeskContext, positions: PositionBook, records: dict[str, OrderRecord],
                 store: TriggerStore | None, bars: BarBook | None = None, *,
                 today: Callable[[], date] = trading_today) -> None:
        self.ctx, self.positions, self.records, self.store, self.bars = ctx, positions, records, store, bars
        self.today = today
        self.day = today()
        self.book = TriggerBook()
        self.triggers = self.book.triggers  # by id: every trigger of the day, whatever its state
        self._place: Callable[[OrderRequest, Source], OrderRecord] | None = None
        self._connected = False
        self._pnl = lambda t: pnl_of_legs(t, positions, ctx.store.ltp)  # a combined stop's legs' P&L now
        ctx.on(OrderChanged, self._on_order)
        ctx.on(PositionsChanged, lambda _n: self.fit())
        ctx.on(BarsRestored, lambda _n: self._note_while_away())

    def use_placer(self, place: Callable[[OrderRequest, Source], OrderRecord]) -> None:
        """The ledger's ``place``: every exit goes through it (and so through the risk gate)."""
        self._place = place

    # ---------------------------------------------------------------- the trader's calls
    def protect(self, token: str, *, stop: int = 0, target: int = 0, trail: int = 0, trail_bp: int = 0,
                quantity: int | None = None, buffer_ticks: int | None = None) -> Trigger:
        """Arm a stop / target / bracket / trailing stop on ``token``'s open position (all of it unless
        ``quantity``). Raises ValueError with the reasons when it cannot be armed (nothing is kept)."""
        if not (net := p.net if (p := self.positions.positions.get(token)) is not None else 0):
            raise ValueError("There is no open position to protect.")
        qty = abs(net) if quantity is None else min(quantity, abs(net))
        trigger = Trigger(token, Side.SELL if net > 0 else Side.BUY, qty, stop=stop, target=target, trail=trail,
                          trail_bp=trail_bp, buffer_ticks=buffer_ticks)
        ltp = self.ctx.store.ltp(token)
        problems = trigger.problems(ltp, getattr(self.ctx.master.get(token), "lot_size", 1)) + (
            ["A trailing stop starts from the LTP: wait for a tick."] if (trail or trail_bp) and not ltp else [])
        if problems:
            raise ValueError(" ".join(problems))
        if ltp and (trail or trail_bp):
            trigger.ratchet(ltp, self._tick(token))
        return self._add(trigger)

    def protect_entry(self, entries: Iterable[OrderRecord], *, stop: int = 0, target: int = 0, trail: int = 0,
                      trail_bp: int = 0, buffer_ticks: int | None = None) -> Trigger:
        """Attach a trigger to entry orders (a ticket's slices): armed when they fill, sized to what filled."""
        records = list(entries)
        if not records or len({(r.request.token, r.request.side) for r in records}) != 1:
            raise ValueError("A trigger attaches to the orders of one instrument and side.")
        first = records[0].request
        trigger = Trigger(first.token, first.side.opposite, 0, stop=stop, target=target, trail=trail,
                          trail_bp=trail_bp, buffer_ticks=buffer_ticks, state=TriggerState.WAITING,
                          entries=tuple(r.local_id for r in records))
        if problems := trigger.problems():
            raise ValueError(" ".join(problems))
        self._add(trigger)
        for record in records:  # an entry that filled already counts at once
            self._on_order(OrderChanged(record))
        return trigger

    def protect_legs(self, underlying: str, *, max_loss: int = 0, target_profit: int = 0,
                     buffer_ticks: int | None = None) -> Trigger:
        """One combined stop on the total P&L of an underlying's open option legs; when it fires every leg exits."""
        key, legs = underlying.upper(), option_legs(self.positions, self.ctx.master.get, underlying)
        trigger = Trigger(key, Side.SELL, 0, legs=legs, max_loss=max_loss, target_profit=target_profit,
                          buffer_ticks=buffer_ticks)
        if problems := trigger.problems() if legs else [f"No open option legs of {key} to protect."]:
            raise ValueError(" ".join(problems))
        return self._add(trigger)

    def move(self, trigger_id: str, *, stop: int | None = None, target: int | None = None) -> Trigger:
        """Move a live trigger's levels (the chart's drag; allowed, because they are ours). Raises ValueError."""
        t = self.triggers[trigger_id]
        if not t.state.is_live or t.legs:
            raise ValueError(f"This trigger is {t.state.value}: it cannot be moved.")
        old = (t.stop, t.target)
        t.stop, t.target = old[0] if stop is None else stop, old[1] if target is None else target
        if problems := t.problems(self.ctx.store.ltp(t.token) if t.state is TriggerState.ARMED else None):
            t.stop, t.target = old
            raise ValueError(" ".join(problems))
        self._changed([t], "moved", t.describe())
        return t

    def disarm(self, trigger_id: str, why: str = "disarmed by you") -> None:
        """Stop and forget a live trigger (journalled)."""
        if (t := self.triggers[trigger_id]).disarm(why):
            self._changed([t], "disarmed", why)

    def rearm(self, trigger_id: str | None = None) -> list[Trigger]:
        """Watch paused triggers again (one, or all): the trader's deliberate step after a restart."""
        now = self.ctx.clock()
        ts = [t for t in ([self.triggers[trigger_id]] if trigger_id else self.triggers.values()) if t.resume(now)]
        if ts:
            if not self._connected:  # armed means watched: until the connection is back it says it is not
                self.book.pause(Pause.DISCONNECTED, "", now)
            self._changed(ts, "re-armed", "re-armed by you")
        return ts

    @property
    def rearm_on_start(self) -> bool:
        """The trader's "re-arm on start" setting (off unless chosen, knowing the risk)."""
        return bool(getattr(self.ctx.prefs, "read_bool", lambda _key, default: default)(REARM_KEY, False))

    # ---------------------------------------------------------------- restart
    def restore(self) -> list[Trigger]:
        """At start, after the ledger's restore: today's triggers from the journal. Live ones come back *paused:
        not watched while the app was closed* with what the bars say about that time (unless "re-arm on start");
        fired ones stay fired — never sent again."""
        for data in self.store.triggers_for(self.day) if self.store is not None else []:
            try:
                t = Trigger.from_dict(data)
            except ValueError as exc:
                log.error("trigger left out: %s", exc)
                continue
            self.triggers[t.id] = t
            if t.state is TriggerState.FIRED and not t.orders and not t.failed:
                t.failed = "the app stopped before the exit was confirmed sent; check the order book and position"
        for record in [r for t in list(self.triggers.values()) for e in t.entries if (r := self.records.get(e))]:
            self._on_order(OrderChanged(record))  # entries that filled while the app was away count now
        for t in self.triggers.values():  # …but nothing is watched again without the trader's word
            if t.state is TriggerState.ARMED or t.state is TriggerState.PAUSED:
                t.state, t.reason = TriggerState.PAUSED, Pause.APP_CLOSED.value
        self.book.resume.clear()
        self._note_while_away()
        self.fit()
        if self.rearm_on_start:
            self.rearm()
        if paused := [t for t in self.triggers.values() if t.reason == Pause.APP_CLOSED.value]:
            self.ctx.publish(Problem(f"{len(paused)} protective trigger(s) paused: {Pause.APP_CLOSED.value}. Check "
                                     "what happened meanwhile and re-arm them (Positions → Add stop / target…).", True))
        self._changed(list(self.triggers.values()), "", "")
        return list(self.triggers.values())

    def _note_while_away(self) -> None:
        bars = self.bars
        self.book.note_while_away(lambda tok: bars.bars(tok) if bars is not None else Bars.empty(), self.ctx.clock())

    # ---------------------------------------------------------------- the desk's hooks
    def attached(self, client: DeskClient) -> None:
        """Connected: paused triggers are watched again from their token's next tick."""
        self._connected = True

    def detached(self) -> None:
        """Disconnected: nothing is watched; every armed trigger says so."""
        self._connected = False
        self._pause(Pause.DISCONNECTED, "")

    def on_event(self, event: Event) -> None:
        """Ticks: the band pre-check, the rules only for a tick outside it. A stale feed pauses everything."""
        if type(event) is Ticks:
            quotes = event.quotes
            book = self.book
            if book.resume and self._connected and (woken := book.wake(quotes, self.ctx.clock())):
                self.ctx.publish(TriggersChanged(tuple(t.id for t in woken), "watched again"))
            if book.bands:
                for token in book.hits(quotes):
                    crossed = book.look(token, quotes[token]["ltp"], self._tick(token), self._pnl)
                    for t, hit in crossed:
                        self._fire(t, hit)
                    if crossed:
                        book.reindex()
        elif type(event) is FeedStale:
            self._pause(Pause.STALE, f"no tick for {event.seconds:.0f} s")
        elif type(event) is StateChanged:  # the connection dropped (it reconnects by itself): not watched meanwhile
            self._connected = event.state.state is State.JOINED
            if event.state.state in DOWN:
                self._pause(Pause.DISCONNECTED, "")

    def sample(self, now: float) -> None:
        """A new trading day disarms what is left of the last one; moved trailing stops are saved."""
        today = self.today()
        if today != self.day:
            ended = [t for t in self.triggers.values() if t.disarm("the trading day ended")]
            if ended:
                self._changed(ended, "disarmed", "the trading day ended", "the trading day ended")
            self.day = today
        self._save(self.book.take_moved(), "trailed", "")  # trailing stops that moved (nothing when none did)

    def close(self) -> None:
        """Shutdown: the live triggers are saved with the moment they were last watched (the while-away note)."""
        live = [t for t in self.triggers.values() if t.state.is_live]
        for t in (t for t in live if t.state is TriggerState.ARMED):
            t.watched_until = self.ctx.clock()
        self._save(live, "app closed", "")

    # ---------------------------------------------------------------- watching and firing
    def _fire(self, t: Trigger, hit: Hit) -> None:
        text = t.fire(hit, self.ctx.clock())
        if not self._save([t], "fired", text):  # not journalled → not sent (the trader is told to act)
            t.failed = "the firing could not be journalled, so no exit was sent: exit by hand"
            self.ctx.publish(Problem(f"{text}, but {t.failed}.", persistent=True))
        else:
            requests = exits_for(t, hit, self.positions, [r.request for r in self.records.values() if r.is_open],
                                 self.ctx.store.ltp, self.ctx.master.get)
            if not requests:
                t.failed = "no position was left to exit"
            for request in requests:
                try:
                    if self._place is None:
                        raise RuntimeError("not connected")
                    t.orders.append(self._place(request, Source.TRIGGER).local_id)
                except Exception as exc:  # one failed slice must not stop the others; never retried by itself
                    t.failed = str(exc) or type(exc).__name__
                    log.error("trigger %s: exit not sent: %s", t.id, t.failed)
            self._save([t], "sent", ", ".join(t.orders) + (f"; failed: {t.failed}" if t.failed else ""))
        self.ctx.publish(TriggerFired(t, text))
        self.ctx.publish(TriggersChanged((t.id,), text))

    # ---------------------------------------------------------------- following the book
    def _on_order(self, notice: OrderChanged) -> None:
        record, token = notice.record, notice.record.request.token
        if any(record.local_id in t.entries for t in self.triggers.values()):
            ltp = self.ctx.store.ltp(token) or 0
            for t, kind, text in self.book.entry(record, self._final, self._connected, ltp, self._tick(token)):
                self._changed([t], kind, text)

    def _final(self, local_id: str) -> bool:
        return (r := self.records.get(local_id)) is not None and r.status.is_final

    def fit(self) -> None:
        """The positions changed: a trigger larger than what is left shrinks, one whose position closed or
        reversed is disarmed (each journalled and said once)."""
        for t, message in self.book.fit({tok: p.net for tok, p in self.positions.positions.items()}):
            self._changed([t], "position changed", message, message)

    # ---------------------------------------------------------------- bookkeeping
    def _add(self, t: Trigger) -> Trigger:
        t.created = t.watched_until = self.ctx.clock()
        t.day = self.day.isoformat()
        if not self._save([t], "created", t.describe()):
            raise ValueError("The trigger could not be journalled, so it is not armed.")
        self.triggers[t.id] = t
        self._changed([t], "", "")
        return t

    def _pause(self, why: Pause, detail: str) -> None:
        if paused := self.book.pause(why, detail, self.ctx.clock()):
            self.ctx.publish(TriggersChanged(tuple(t.id for t in paused), f"{len(paused)} protective trigger(s) "
                                             f"{paused[0].reason}: they fire only while watched."))

    def _changed(self, ts: list[Trigger], kind: str, text: str, message: str = "") -> None:
        if kind:
            self._save(ts, kind, text)
        self.book.reindex()
        self.ctx.subscriptions.want("triggers", [tok for t in self.triggers.values() if t.state.is_live
                                                 for tok in (t.legs or (t.token,))])
        self.ctx.publish(TriggersChanged(tuple(t.id for t in ts), message))

    def _save(self, ts: list[Trigger], kind: str, text: str) -> bool:
        if self.store is None or not ts:
            return True
        try:
            self.store.save_triggers(self.day, [(t.id, t.state.value, t.to_dict(), kind, text) for t in ts])
            return True
        except Exception as exc:  # the caller decides: not armed, or fired but not sent
            log.error("triggers not journalled (%s): %s", kind, exc)
            return False

    def _tick(self, token: str) -> int:
        return getattr(self.ctx.master.get(token), "tick_size", 0)
