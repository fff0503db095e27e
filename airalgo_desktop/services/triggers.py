"""Protective orders held by this app: stop-loss, target, trailing stop, OCO bracket and a combined stop over an
underlying's option legs. Pure logic, no I/O, no Qt.

The AirAlgo API has an SL order type but no cancel, no modify and no bracket: a resting SL at the exchange can be
neither moved nor withdrawn when the target fills. So these triggers live here, in the app, and are only as good as
the app's watch: every :class:`Trigger` says in :attr:`Trigger.state` whether it is being watched (*armed*), has
fired (and which exit it sent), is *paused* (and why: the app was closed, the connection dropped, the feed went
stale) or was *disarmed*. Nothing here pretends to be held by the exchange (:data:`HELD_BY_APP`).

Rules, one place each:

* **Crossing** (:meth:`Trigger.on_price`): the first tick at or beyond a level fires — a gap through it too. A long
  position's stop fires at ``ltp ≤ stop`` and its target at ``ltp ≥ target``; a short's the other way round. An OCO
  bracket is one trigger with both levels, so when one fires the other is disarmed in the same step.
* **Trailing** by points or by a percentage of the best price seen: the stop ratchets only in the position's
  favour (up for a long, down for a short) — never back.
* **The exit** (:func:`exit_orders`): market, or limit ``buffer_ticks`` beyond the worse of the level and the tick
  that crossed it (so a gap still gets a marketable price), on the tick grid; in freeze-quantity slices of whole
  lots; never more than the position left after the exits already open, so it never opens or reverses one.
* **Manual changes** (:func:`fit_to_position`): a position reduced by hand shrinks its triggers; closed or reversed,
  it disarms them.
* **While away** (:func:`while_away`): after a restart, the day's one-minute bars say whether a level was crossed
  while nobody watched ("the low of 11:42 (₹1,241.00) was below your stop ₹1,245.00").
"""

from __future__ import annotations

import enum
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

from ..domain.bars import Bars
from ..domain.instruments import Instrument
from ..domain.money import Paisa, Rounding, format_rupees, round_to_tick
from ..domain.nsetime import IST
from ..domain.orders import OrderKind, OrderRequest, Side
from ..domain.orders import freeze_slices as slices

HELD_BY_APP = ("Held by this app, not by the exchange: watched only while the app runs and is connected; "
               "the exit is sent when a tick crosses the level.")
NEVER_BELOW = -(10**18)  # a band edge no price reaches
NEVER_ABOVE = 10**18
MAX_BUFFER_TICKS = 1_000
MAX_PRICE = 10**12  # paisa: an implausible level is refused, not stored


class TriggerKind(enum.StrEnum):
    """What a trigger watches (derived from its levels)."""

    STOP = "stop-loss"
    TARGET = "target"
    TRAILING = "trailing stop"
    BRACKET = "stop + target"
    COMBINED = "combined stop"


class TriggerState(enum.StrEnum):
    """Where a trigger stands; only *armed* is watched."""

    WAITING = "waiting for the entry"  # attached to an entry order that has not filled yet
    ARMED = "armed"
    PAUSED = "paused"
    FIRED = "fired"
    DISARMED = "disarmed"

    @property
    def is_live(self) -> bool:
        """Still protecting something (or about to): waiting, armed or paused."""
        return self in (TriggerState.WAITING, TriggerState.ARMED, TriggerState.PAUSED)


class Pause(enum.StrEnum):
    """Why a trigger is not watched."""

    APP_CLOSED = "not watched while the app was closed"
    DISCONNECTED = "not watched: the connection is down"
    STALE = "not watched: the feed is stale"
    TRADER = "paused by you"


@dataclass(frozen=True, slots=True)
class Hit:
    """A level was crossed: ``which`` is ``stop`` or ``target``; ``level`` the trigger's price (or the P&L of a
    combined stop), ``price`` the tick (or P&L) that crossed it."""

    which: str
    level: int
    price: int


def new_id() -> str:
    """A trigger id unique across runs (the journal's key)."""
    return "T" + uuid.uuid4().hex[:10]


@dataclass
class Trigger:
    """One protective trigger. Prices in paisa; ``trail_bp`` in basis points of the best price (100 = 1 %).

    A price trigger protects ``quantity`` of ``token``'s position, exited on ``exit_side`` (Sell for a long). A
    combined stop (``legs`` set) protects every leg of an underlying (``token`` is then its name) on their total
    P&L: it fires at ``−max_loss`` (or at ``+target_profit``) and exits every leg."""

    token: str
    exit_side: Side
    quantity: int
    stop: Paisa = 0
    target: Paisa = 0
    trail: Paisa = 0
    trail_bp: int = 0
    best: Paisa = 0
    legs: tuple[str, ...] = ()
    max_loss: Paisa = 0
    target_profit: Paisa = 0
    buffer_ticks: int | None = None  # None: market exit
    id: str = field(default_factory=new_id)
    state: TriggerState = TriggerState.ARMED
    reason: str = ""  # why paused / disarmed, in words
    entries: tuple[str, ...] = ()  # entry orders (local ids) that arm it when they fill
    filled: tuple[str, ...] = ()  # the entries already counted into ``quantity``
    orders: list[str] = field(default_factory=list)  # the exits it sent (local ids)
    fired: str = ""  # "fired by your stop at …" (journalled before the exit is sent)
    failed: str = ""  # why an exit could not be sent (never retried by itself)
    note: str = ""  # what happened while it was not watched (from the bars)
    created: float = 0.0
    day: str = ""  # the IST trading day it belongs to (ISO)
    watched_until: float = 0.0  # the last moment it was known to be watched (for the while-away note)

    # ---------------------------------------------------------------- what it is
    @property
    def kind(self) -> TriggerKind:
        """Derived from the levels set."""
        if self.legs:
            return TriggerKind.COMBINED
        if self.trail or self.trail_bp:
            return TriggerKind.TRAILING
        if self.stop and self.target:
            return TriggerKind.BRACKET
        return TriggerKind.STOP if self.stop else TriggerKind.TARGET

    @property
    def long(self) -> bool:
        """True when it protects a long position (its exit is a sell)."""
        return self.exit_side is Side.SELL

    def problems(self, ltp: Paisa | None = None, lot: int = 1) -> list[str]:
        """Why this trigger cannot be armed, as sentences (empty when it can). With ``ltp``: a level already
        crossed would fire at once, so it is refused; ``lot``: its exit must be whole lots."""
        out: list[str] = []
        if self.quantity <= 0 and not self.entries and not self.legs:
            out.append("There is no position to protect.")
        elif lot > 1 and self.quantity % lot:
            out.append(f"The quantity must be a multiple of the lot size {lot}.")
        if self.legs:
            if self.max_loss <= 0 and self.target_profit <= 0:
                out.append("A combined stop needs a maximum loss or a profit target above zero.")
            return out
        if not (self.stop or self.target or self.trail or self.trail_bp):
            out.append("Give a stop, a target or a trail.")
        for name, value in (("stop", self.stop), ("target", self.target), ("trail", self.trail)):
            if not 0 <= value <= MAX_PRICE:
                out.append(f"The {name} {value} is not a price.")
        if not 0 <= self.trail_bp <= 5_000:
            out.append("A trailing percentage must be between 0 and 50 %.")
        if self.buffer_ticks is not None and not 0 <= self.buffer_ticks <= MAX_BUFFER_TICKS:
            out.append(f"The limit buffer must be 0 to {MAX_BUFFER_TICKS} ticks.")
        if self.stop and self.target and (self.stop >= self.target if self.long else self.stop <= self.target):
            out.append("The stop must be on the losing side of the target (below it for a long, above for a short).")
        if ltp:
            if self.stop and (ltp <= self.stop if self.long else ltp >= self.stop):
                out.append(f"The stop {format_rupees(self.stop)} is already crossed (LTP {format_rupees(ltp)}): it "
                           "would fire at once.")
            if self.target and (ltp >= self.target if self.long else ltp <= self.target):
                out.append(f"The target {format_rupees(self.target)} is already reached (LTP {format_rupees(ltp)}): "
                           "it would fire at once.")
        return out

    # ---------------------------------------------------------------- watching
    def band(self) -> tuple[int, int]:
        """Ticks strictly between the two numbers do nothing (no fire, no ratchet): the part's cheap pre-check.
        A combined stop has no price band (its P&L needs every leg)."""
        if self.state is not TriggerState.ARMED:
            return NEVER_BELOW, NEVER_ABOVE
        if self.legs:
            return NEVER_ABOVE, NEVER_BELOW  # always look
        below, above = NEVER_BELOW, NEVER_ABOVE
        trailing = bool(self.trail or self.trail_bp)
        if self.long:
            if self.stop:
                below = self.stop
            if self.target:
                above = self.target
            if trailing and self.best:
                above = min(above, self.best + 1)  # a new high moves the stop
        else:
            if self.stop:
                above = self.stop
            if self.target:
                below = self.target
            if trailing and self.best:
                below = max(below, self.best - 1)  # a new low moves the stop
        return below, above

    def trail_distance(self, tick: Paisa) -> Paisa:
        """The trail in paisa now: points as given, or the percentage of the best price (on the grid, ≥ a tick)."""
        if self.trail:
            return self.trail
        distance = self.best * self.trail_bp // 10_000
        return max(tick, round_to_tick(distance, tick, Rounding.DOWN)) if tick > 0 else max(1, distance)

    def ratchet(self, ltp: Paisa, tick: Paisa) -> bool:
        """Follow a new best price with the trailing stop, only in the position's favour. True when it moved."""
        if not (self.trail or self.trail_bp):
            return False
        if self.best and (ltp <= self.best if self.long else ltp >= self.best):
            return False
        self.best = ltp
        distance = self.trail_distance(tick)
        if self.long:
            level = ltp - distance
            if tick > 0:
                level = round_to_tick(level, tick, Rounding.DOWN)
            if level > 0 and level > self.stop:
                self.stop = level
                return True
        else:
            level = ltp + distance
            if tick > 0:
                level = round_to_tick(level, tick, Rounding.UP)
            if not self.stop or level < self.stop:
                self.stop = level
                return True
        return False

    def on_price(self, ltp: Paisa, tick: Paisa = 0) -> Hit | None:
        """One tick of the token: ratchet a trailing stop, then the first level crossed (stop first: when a tick is
        beyond both, which cannot happen for a valid bracket, the stop wins)."""
        if self.state is not TriggerState.ARMED or self.legs:
            return None
        self.ratchet(ltp, tick)
        if self.stop and (ltp <= self.stop if self.long else ltp >= self.stop):
            return Hit("stop", self.stop, ltp)
        if self.target and (ltp >= self.target if self.long else ltp <= self.target):
            return Hit("target", self.target, ltp)
        return None

    def on_pnl(self, pnl: Paisa) -> Hit | None:
        """A combined stop: the legs' total P&L now."""
        if self.state is not TriggerState.ARMED or not self.legs:
            return None
        if self.max_loss and pnl <= -self.max_loss:
            return Hit("stop", -self.max_loss, pnl)
        if self.target_profit and pnl >= self.target_profit:
            return Hit("target", self.target_profit, pnl)
        return None

    # ---------------------------------------------------------------- state changes
    def fire(self, hit: Hit, at: float) -> str:
        """Mark it fired (both legs of a bracket at once: the other level is disarmed in the same step) and
        return the sentence journalled before the exit is sent."""
        self.state = TriggerState.FIRED
        word = "your stop" if hit.which == "stop" else "your target"
        if self.legs:
            self.fired = (f"Fired by {word} on the {self.token} legs' P&L {format_rupees(hit.price, sign=True)} "
                          f"(level {format_rupees(hit.level, sign=True)}) at {clock_text(at)}")
        else:
            self.fired = (f"Fired by {word} {format_rupees(hit.level)} at LTP {format_rupees(hit.price)}, "
                          f"{clock_text(at)}")
            if self.kind is TriggerKind.BRACKET:
                other = "target" if hit.which == "stop" else "stop"
                self.fired += f"; the {other} is disarmed with it"
        self.watched_until = at
        return self.fired

    def pause(self, why: Pause, detail: str = "", at: float = 0.0) -> bool:
        """Stop watching it (armed only). True when it changed."""
        if self.state is not TriggerState.ARMED:
            return False
        self.state = TriggerState.PAUSED
        self.reason = why.value + (f" ({detail})" if detail else "")
        if at:
            self.watched_until = at
        return True

    def resume(self, at: float) -> bool:
        """Watch it again (paused only); the while-away note is cleared."""
        if self.state is not TriggerState.PAUSED:
            return False
        self.state = TriggerState.ARMED
        self.reason = ""
        self.note = ""
        self.watched_until = at
        return True

    def disarm(self, why: str) -> bool:
        """It no longer protects anything (a live one only). True when it changed."""
        if not self.state.is_live:
            return False
        self.state = TriggerState.DISARMED
        self.reason = why
        return True

    def describe(self) -> str:
        """One line for the positions table's tooltip and the order book: kind, levels, state."""
        if self.legs:
            parts = []
            if self.max_loss:
                parts.append(f"stop at {format_rupees(-self.max_loss)}")
            if self.target_profit:
                parts.append(f"target at {format_rupees(self.target_profit, sign=True)}")
            levels = f"{self.token} legs' P&L: " + ", ".join(parts)
        else:
            parts = []
            if self.stop:
                parts.append(f"stop {format_rupees(self.stop)}")
            if self.target:
                parts.append(f"target {format_rupees(self.target)}")
            if self.trail:
                parts.append(f"trailing {format_rupees(self.trail)}")
            elif self.trail_bp:
                parts.append(f"trailing {self.trail_bp / 100:g} %")
            levels = f"{self.exit_side.label} {self.quantity}: " + ", ".join(parts)
        exit_ = "market" if self.buffer_ticks is None else f"limit ±{self.buffer_ticks} ticks"
        return f"{self.kind.value.capitalize()} — {levels} ({exit_}) — {self.status_text()}"

    def status_text(self) -> str:
        """*armed* / *fired → order A-3* / *paused: not watched …* / *disarmed: …* — what the state column says."""
        if self.state is TriggerState.FIRED:
            sent = f" → order {', '.join(self.orders)}" if self.orders else ""
            return f"fired{sent}" + (f"; exit not sent: {self.failed}" if self.failed else "")
        if self.state is TriggerState.PAUSED:
            return f"paused: {self.reason}" + (f" — {self.note}" if self.note else "")
        if self.state is TriggerState.DISARMED:
            return f"disarmed: {self.reason}"
        if self.state is TriggerState.WAITING:
            return "waiting for the entry order to fill"
        return "armed"

    # ---------------------------------------------------------------- persistence
    def to_dict(self) -> dict[str, Any]:
        """For the journal (JSON-ready)."""
        data = asdict(self)
        data["exit_side"] = self.exit_side.value
        data["state"] = self.state.value
        data["legs"] = list(self.legs)
        data["entries"] = list(self.entries)
        data["filled"] = list(self.filled)
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Trigger:
        """From the journal. Raises ValueError for a row this app cannot have written (implausible values are
        refused, not loaded)."""
        try:
            trigger = cls(
                token=_text(data["token"]), exit_side=Side(data["exit_side"]), quantity=_int(data["quantity"]),
                stop=_int(data.get("stop", 0)), target=_int(data.get("target", 0)), trail=_int(data.get("trail", 0)),
                trail_bp=_int(data.get("trail_bp", 0)), best=_int(data.get("best", 0)),
                legs=tuple(_text(t) for t in data.get("legs") or ()),
                max_loss=_int(data.get("max_loss", 0)), target_profit=_int(data.get("target_profit", 0)),
                buffer_ticks=None if data.get("buffer_ticks") is None else _int(data["buffer_ticks"]),
                id=_text(data["id"]), state=TriggerState(data["state"]), reason=_text(data.get("reason", "")),
                entries=tuple(_text(t) for t in data.get("entries") or ()),
                filled=tuple(_text(t) for t in data.get("filled") or ()),
                orders=[_text(t) for t in data.get("orders") or ()], fired=_text(data.get("fired", "")),
                failed=_text(data.get("failed", "")), note=_text(data.get("note", "")),
                created=float(data.get("created", 0.0)), day=_text(data.get("day", "")),
                watched_until=float(data.get("watched_until", 0.0)))
        except (KeyError, TypeError, ValueError) as exc:
            raise ValueError(f"unreadable trigger: {exc}") from None
        numbers = (trigger.quantity, trigger.stop, trigger.target, trigger.trail, trigger.best, trigger.max_loss,
                   trigger.target_profit, trigger.buffer_ticks or 0)
        if min(numbers) < 0 or not 0 <= trigger.trail_bp <= 5_000 or (trigger.buffer_ticks or 0) > MAX_BUFFER_TICKS:
            raise ValueError("implausible trigger: a negative or out-of-range level")
        return trigger


def _int(value: Any) -> int:
    if type(value) is not int or not -MAX_PRICE <= value <= MAX_PRICE:
        raise ValueError(f"{value!r} is not a whole number in range")
    return value


def _text(value: Any) -> str:
    if not isinstance(value, str) or len(value) > 1_000:
        raise ValueError(f"{value!r} is not text")
    return value


def clock_text(at: float) -> str:
    """``11:42:05`` IST."""
    return datetime.fromtimestamp(at, IST).strftime("%H:%M:%S")


# ---------------------------------------------------------------- the exit
def room(exit_side: Side, net: int, pending_exits: int) -> int:
    """How much an exit on ``exit_side`` may be: what is left of the position after the exits already open; 0 when
    the position is flat or on the other side (an exit must never open or reverse one)."""
    if net == 0 or (net > 0) != (exit_side is Side.SELL):
        return 0
    return max(0, abs(net) - pending_exits)


def exit_price(side: Side, base: Paisa, buffer_ticks: int, tick: Paisa) -> Paisa:
    """A limit ``buffer_ticks`` beyond ``base`` in the exit's direction (lower for a sell, higher for a buy), on the
    tick grid (rounded further that way), at least one tick."""
    tick = tick if tick > 0 else 5
    if side is Side.SELL:
        return max(tick, round_to_tick(base - buffer_ticks * tick, tick, Rounding.DOWN))
    return round_to_tick(base + buffer_ticks * tick, tick, Rounding.UP)


def exit_orders(trigger: Trigger, hit: Hit, net: int, pending_exits: int, instrument: Instrument | None
                ) -> list[OrderRequest]:
    """The exit of a price trigger that fired: no more than :func:`room`, in :func:`slices`; market, or limit at
    the worse of the level and the crossing tick ± the buffer (so a gap through the level still gets a marketable
    price)."""
    quantity = min(trigger.quantity, room(trigger.exit_side, net, pending_exits))
    side = trigger.exit_side
    base = min(hit.level, hit.price) if side is Side.SELL else max(hit.level, hit.price)
    return [_request(instrument, trigger.token, side, qty, base, hit.price, trigger.buffer_ticks)
            for qty in slices(quantity, instrument)]


def leg_exits(trigger: Trigger, nets: Mapping[str, int], pending: Mapping[str, tuple[int, int]],
              ltps: Mapping[str, Paisa], lookup: Callable[[str], Instrument | None]) -> list[OrderRequest]:
    """The exits of a combined stop: every leg flattened (less its open exits), each in its slices.
    ``pending[token]`` is (open sells, open buys)."""
    out: list[OrderRequest] = []
    for token in trigger.legs:
        net = nets.get(token, 0)
        if net == 0:
            continue
        side = Side.SELL if net > 0 else Side.BUY
        sells, buys = pending.get(token, (0, 0))
        qty = room(side, net, sells if side is Side.SELL else buys)
        ltp = ltps.get(token, 0)
        instrument = lookup(token)
        out.extend(_request(instrument, token, side, q, ltp, ltp, trigger.buffer_ticks)
                   for q in slices(qty, instrument))
    return out


def _request(instrument: Instrument | None, token: str, side: Side, quantity: int, base: Paisa, ltp: Paisa,
             buffer_ticks: int | None) -> OrderRequest:
    if buffer_ticks is None or not base:
        return OrderRequest(token, side, OrderKind.MARKET, quantity, ltp=ltp)
    tick = instrument.tick_size if instrument is not None else 0
    return OrderRequest(token, side, OrderKind.LIMIT, quantity, price=exit_price(side, base, buffer_ticks, tick),
                        ltp=ltp)


# ---------------------------------------------------------------- the position moved
def fit_to_position(trigger: Trigger, net: int, pending_exits: int = 0) -> str | None:
    """Bring a live price trigger in line with its position after a change it did not make: shrunk to what is
    left, disarmed when the position is closed or reversed. Returns what changed, in words (None: nothing)."""
    if not trigger.state.is_live or trigger.legs or trigger.state is TriggerState.WAITING:
        return None
    if net == 0 or (net > 0) != trigger.long:
        word = "closed" if net == 0 else "reversed"
        trigger.disarm(f"the position was {word}")
        return f"{trigger.kind.value.capitalize()} on {trigger.token} disarmed: the position was {word}."
    left = abs(net)
    if trigger.quantity > left:
        trigger.quantity = left
        return f"{trigger.kind.value.capitalize()} on {trigger.token} shrunk to {left}: the position was reduced."
    return None


def fit_legs(trigger: Trigger, nets: Mapping[str, int]) -> str | None:
    """A combined stop whose legs are all flat is disarmed."""
    if not trigger.state.is_live or not trigger.legs:
        return None
    if all(nets.get(t, 0) == 0 for t in trigger.legs):
        trigger.disarm("every leg was closed")
        return f"Combined stop on {trigger.token} disarmed: every leg was closed."
    return None


def legs_pnl(legs: Iterable[str], values: Mapping[str, tuple[int, int, int]], ltps: Mapping[str, Paisa]) -> int:
    """Total P&L of ``legs``: Σ (sell value − buy value + net × LTP); ``values[token]`` is (sell value, buy value,
    net). A leg without an LTP counts at cost (its realised part only)."""
    total = 0
    for token in legs:
        sold, bought, net = values.get(token, (0, 0, 0))
        ltp = ltps.get(token)
        total += sold - bought + (net * ltp if ltp is not None else 0)
    return total


# ---------------------------------------------------------------- while away
def while_away(trigger: Trigger, bars: Bars, since: float, until: float) -> str:
    """What the day's one-minute bars say about a price trigger's levels between ``since`` and ``until`` (epoch
    seconds): the first minute that crossed one, or that nothing did — in one sentence."""
    if trigger.legs:
        return "the legs' P&L was not watched meanwhile: check it before re-arming"
    start = int(since) // 60 * 60
    times = bars.time
    rows = [i for i in range(len(bars)) if start <= int(times[i]) < until]
    if not rows:
        return "no prices were recorded meanwhile: check the chart before re-arming"
    for i in rows:
        low, high = int(bars.low[i]), int(bars.high[i])
        minute = datetime.fromtimestamp(int(times[i]), IST).strftime("%H:%M")
        if trigger.long:
            if trigger.stop and low <= trigger.stop:
                return f"the low of {minute} ({format_rupees(low)}) was below your stop {format_rupees(trigger.stop)}"
            if trigger.target and high >= trigger.target:
                return (f"the high of {minute} ({format_rupees(high)}) reached your target "
                        f"{format_rupees(trigger.target)}")
        else:
            if trigger.stop and high >= trigger.stop:
                return (f"the high of {minute} ({format_rupees(high)}) was above your stop "
                        f"{format_rupees(trigger.stop)}")
            if trigger.target and low <= trigger.target:
                return f"the low of {minute} ({format_rupees(low)}) reached your target {format_rupees(trigger.target)}"
    lows = min(int(bars.low[i]) for i in rows)
    highs = max(int(bars.high[i]) for i in rows)
    return (f"no level was crossed meanwhile (low {format_rupees(lows)}, high {format_rupees(highs)}); "
            "the app did not see every tick")
