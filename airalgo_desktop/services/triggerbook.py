"""The day's protective triggers as one book, indexed for ticks: which tokens have an armed trigger, and the band of
prices a tick must leave before any rule runs. Pure, no I/O (the desk part ``desk/triggers.py`` adds the journal,
the ledger and the notices).

Cost on the tick path: a dict lookup per quoted token with an armed trigger and two comparisons; only a tick
outside its band (a crossing, or a new best price for a trailing stop) reaches :meth:`TriggerBook.look`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from ..domain.bars import Bars
from ..domain.instruments import Instrument
from ..domain.orders import OrderRecord, OrderRequest, OrderStatus, Side
from .positions import PositionBook
from .risk import underlying_key
from .triggers import (
    Hit,
    Pause,
    Trigger,
    TriggerState,
    exit_orders,
    fit_legs,
    fit_to_position,
    leg_exits,
    legs_pnl,
    while_away,
)

LIVE_PAUSES = (Pause.DISCONNECTED.value, Pause.STALE.value)  # paused by the feed, watched again at the next tick


class TriggerBook:
    """Every trigger of the day by id, with the tick index of the armed ones."""

    def __init__(self) -> None:
        self.triggers: dict[str, Trigger] = {}
        self.bands: dict[str, tuple[int, int]] = {}  # token → (below, above): ticks strictly inside do nothing
        self.armed: dict[str, list[Trigger]] = {}  # token → its armed triggers (a combined stop under every leg)
        self.resume: set[str] = set()  # tokens whose triggers a drop or a stale feed paused
        self.moved: set[str] = set()  # trailing stops that moved since :meth:`take_moved`

    def add(self, trigger: Trigger) -> None:
        """Keep ``trigger`` (watched at once when armed)."""
        self.triggers[trigger.id] = trigger
        self.reindex()

    def reindex(self) -> None:
        """Rebuild the tick index after states changed (a few times a day, never per tick)."""
        armed: dict[str, list[Trigger]] = {}
        for t in self.triggers.values():
            if t.state is TriggerState.ARMED:
                for token in t.legs or (t.token,):
                    armed.setdefault(token, []).append(t)
        self.armed = armed
        self.bands = {token: self._band(ts) for token, ts in armed.items()}

    @staticmethod
    def _band(ts: list[Trigger]) -> tuple[int, int]:
        edges = [t.band() for t in ts]
        return max(e[0] for e in edges), min(e[1] for e in edges)

    # ---------------------------------------------------------------- ticks
    def hits(self, quotes: Mapping[str, Mapping[str, Any]]) -> list[str]:
        """Tokens of this push whose tick left its band (usually none)."""
        bands = self.bands
        out: list[str] = []
        if not bands:
            return out
        if len(quotes) <= len(bands):
            for token, quote in quotes.items():
                band = bands.get(token)
                if band is not None and not band[0] < quote["ltp"] < band[1]:
                    out.append(token)
        else:
            for token, band in bands.items():
                quote = quotes.get(token)
                if quote is not None and not band[0] < quote["ltp"] < band[1]:
                    out.append(token)
        return out

    def look(self, token: str, ltp: int, tick: int, pnl_of: Callable[[Trigger], int]) -> list[tuple[Trigger, Hit]]:
        """The rules for one tick outside the band: trailing stops ratchet (remembered in :attr:`moved`); the
        triggers that crossed are returned — still *armed*: the caller fires them (``Trigger.fire``) and then calls
        :meth:`reindex`."""
        crossed: list[tuple[Trigger, Hit]] = []
        for t in self.armed.get(token, ()):
            best = t.best
            hit = t.on_pnl(pnl_of(t)) if t.legs else t.on_price(ltp, tick)
            if hit is not None:
                crossed.append((t, hit))
            elif t.best != best:
                self.moved.add(t.id)
        if not crossed and token in self.armed:
            self.bands[token] = self._band(self.armed[token])
        return crossed

    def take_moved(self) -> list[Trigger]:
        """The trailing stops that moved since the last call (saved a few times a second, not per tick)."""
        moved = [self.triggers[i] for i in self.moved if i in self.triggers]
        self.moved.clear()
        return moved

    # ---------------------------------------------------------------- not watched
    def pause(self, why: Pause, detail: str, at: float) -> list[Trigger]:
        """Every armed trigger paused (a drop, a stale feed); their tokens wake them at their next tick."""
        paused = [t for t in self.triggers.values() if t.pause(why, detail, at)]
        if paused:
            self.resume.update(token for t in paused for token in (t.token, *t.legs))
            self.reindex()
        return paused

    def wake(self, quotes: Iterable[str], at: float) -> list[Trigger]:
        """Triggers the feed paused, watched again because their token ticked (a gap meanwhile fires them now)."""
        tokens = self.resume.intersection(quotes)
        if not tokens:
            return []
        self.resume -= tokens
        woken = [t for t in self.triggers.values() if t.state is TriggerState.PAUSED
                 and t.reason.startswith(LIVE_PAUSES) and tokens.intersection((t.token, *t.legs)) and t.resume(at)]
        if woken:
            self.reindex()
        return woken

    # ---------------------------------------------------------------- the book moved
    def fit(self, nets: Mapping[str, int]) -> list[tuple[Trigger, str]]:
        """Every live trigger brought in line with its position (shrunk, or disarmed); returns what changed."""
        changed = []
        for t in self.triggers.values():
            message = fit_legs(t, nets) if t.legs else fit_to_position(t, nets.get(t.token, 0))
            if message:
                changed.append((t, message))
        if changed:
            self.reindex()
        return changed

    def entry(self, record: OrderRecord, is_final: Callable[[str], bool], connected: bool,
              ltp: int, tick: int) -> list[tuple[Trigger, str, str]]:
        """An entry order changed. Filled: its trigger grows by what filled (partial fills of a sliced entry
        count one by one) and is armed — or paused when the connection is down; every entry final and nothing
        filled: disarmed. Returns (trigger, event kind, text) per change."""
        out: list[tuple[Trigger, str, str]] = []
        for t in self.triggers.values():
            if record.local_id not in t.entries or record.local_id in t.filled or not t.state.is_live:
                continue
            if record.status is OrderStatus.EXECUTED:
                t.filled += (record.local_id,)
                t.quantity += record.request.quantity
                if t.state is TriggerState.WAITING:
                    t.state = TriggerState.ARMED if connected else TriggerState.PAUSED
                    t.reason = "" if connected else Pause.DISCONNECTED.value
                    if not connected:
                        self.resume.add(t.token)
                if ltp or record.executed_price:
                    t.ratchet(ltp or record.executed_price, tick)
                out.append((t, "armed", f"armed for {t.quantity} filled"))
            elif t.quantity == 0 and all(is_final(e) for e in t.entries):
                t.disarm("the entry order was not filled")
                out.append((t, "disarmed", t.reason))
        if out:
            self.reindex()
        return out

    def note_while_away(self, bars_of: Callable[[str], Bars], now: float) -> None:
        """After a restart: what the day's one-minute bars say happened while each trigger was not watched."""
        for t in self.triggers.values():
            if t.state is TriggerState.PAUSED and t.reason == Pause.APP_CLOSED.value:
                t.note = while_away(t, Bars.empty() if t.legs else bars_of(t.token), t.watched_until, now)

    def for_token(self, token: str) -> list[Trigger]:
        """The live triggers protecting ``token`` (a combined stop counts for each leg)."""
        return [t for t in self.triggers.values() if t.state.is_live and token in (t.token, *t.legs)]

    def fired_by(self, local_id: str) -> Trigger | None:
        """The trigger whose exit this order is."""
        return next((t for t in self.triggers.values() if local_id in t.orders), None)


def exits_for(t: Trigger, hit: Hit, positions: PositionBook, open_orders: Iterable[OrderRequest],
              ltp_of: Callable[[str], int | None], lookup: Callable[[str], Instrument | None]) -> list[OrderRequest]:
    """The exit orders of a trigger that fired, given the book now: no more than each position less the exits
    already open at the exchange (see ``services.triggers.room``)."""
    pending: dict[str, tuple[int, int]] = {}
    for r in open_orders:
        sells, buys = pending.get(r.token, (0, 0))
        pending[r.token] = (sells + r.quantity, buys) if r.side is Side.SELL else (sells, buys + r.quantity)
    nets = {token: p.net for token, p in positions.positions.items()}
    if t.legs:
        return leg_exits(t, nets, pending, {tok: ltp for tok in t.legs if (ltp := ltp_of(tok))}, lookup)
    sells, buys = pending.get(t.token, (0, 0))
    return exit_orders(t, hit, nets.get(t.token, 0), sells if t.exit_side is Side.SELL else buys, lookup(t.token))


def pnl_of_legs(t: Trigger, positions: PositionBook, ltp_of: Callable[[str], int | None]) -> int:
    """A combined stop's legs' total P&L now."""
    book = positions.positions
    values = {tok: (p.sell_value, p.buy_value, p.net) for tok in t.legs if (p := book.get(tok))}
    return legs_pnl(t.legs, values, {tok: ltp for tok in t.legs if (ltp := ltp_of(tok)) is not None})


def option_legs(positions: PositionBook, lookup: Callable[[str], Instrument | None], underlying: str
                ) -> tuple[str, ...]:
    """The open option legs of ``underlying`` (a combined stop's legs), by token."""
    key = underlying.upper()
    return tuple(sorted(t for t, p in positions.positions.items() if p.net and (i := lookup(t)) is not None
                        and i.is_option and underlying_key(i, t) == key))
