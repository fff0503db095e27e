"""The risk gate's rules: the trader's limits, checked for every order before it is journalled. Pure logic, no Qt.

The AirAlgo API has no server-side risk controls, no cancel and no positions endpoint, so this app is the only
place a trader's limits can live. Every order — ticket, chain, basket, protective trigger, strategy, local API —
reaches the wire through the order ledger's one ``place``, and ``place`` asks :meth:`RiskGate.assess` first.

What the gate knows of the book is a :class:`Exposure` snapshot (net positions from this app's fills, orders
still open at the exchange, LTPs, the day's P&L), built by its caller; so the rules here are plain functions of
that snapshot and the clock, and can be tested without a desk.

Rules, each optional (``None`` switches it off):

* **max loss for the day** — when the day's P&L (realised + unrealised, optionally net of estimated charges)
  reaches ``−max_day_loss`` the day is *locked*: risk-increasing orders are refused until the next trading day
  (the lock is persisted by the caller; see :class:`DayLock`). Unlocking early is a deliberate, journalled step.
* **orders per minute / per day** — counts of orders this app sent (a sliding 60 s window; the IST trading day).
* **open lots per instrument / per underlying** — the position *after* this order and every open order on the
  same side, in lots (shares for cash).
* **order value** — quantity × (price, else trigger, else LTP, else previous close); no price → refused.
* **net option premium sold per underlying** — Σ (sell value − buy value) of the underlying's options, plus the
  open sells and this order's premium.

An order that only *reduces* a position (the opposite side, no larger than what is left after the exits already
open) is never refused by a count or size limit — a trader must always be able to get out. The day lock refuses
only risk-increasing orders too; the kill switch's own flatten orders are exits by construction.
"""

from __future__ import annotations

import enum
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields
from datetime import date
from typing import Any, Protocol

from ..domain.instruments import Instrument
from ..domain.money import Paisa, format_rupees
from ..domain.nsetime import now_ist
from ..domain.orders import OrderKind, OrderRecord, OrderRequest, OrderStatus, Side, freeze_slices
from ..domain.wording import plural

MENU = "Trade → Risk limits…"
UNLOCK_PHRASE = "UNLOCK"  # what the trader types to lift a day lock early (a deliberate step, not a click)
WARN_AT = 0.8  # the risk meter turns amber at 80 % of a limit
REFUSED = "Refused by your limits"  # how a refusal starts, in the order book and the journal


class Source(enum.StrEnum):
    """Who asked for an order: shown with a refusal and journalled with the order."""

    TICKET = "ticket"
    CHAIN = "chain"
    SQUARE_OFF = "square-off"
    KILL_SWITCH = "kill switch"
    TRIGGER = "trigger"
    BASKET = "basket"
    STRATEGY = "strategy"
    API = "api"


@dataclass
class RiskLimits:
    """The trader's limits; ``None`` = no limit. Money in paisa (the day loss is a positive amount)."""

    max_day_loss: Paisa | None = None
    loss_net_of_charges: bool = False
    max_orders_per_minute: int | None = None
    max_orders_per_day: int | None = None
    max_lots_per_instrument: int | None = None
    max_lots_per_underlying: int | None = None
    max_order_value: Paisa | None = 10_00_000_00  # ₹10 lakh, as the ticket's value guard had it before the move
    max_premium_sold_per_underlying: Paisa | None = None

    def to_dict(self) -> dict[str, Any]:
        """For the settings (``None`` stays ``None``)."""
        return {f.name: getattr(self, f.name) for f in fields(self)}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> RiskLimits:
        """Tolerant read: an unreadable, negative, fractional, boolean or absurd value keeps the default (settings
        are user files)."""
        out = cls()
        for f in fields(cls):
            if f.name not in data:
                continue
            value = data[f.name]
            if f.name == "loss_net_of_charges":
                if isinstance(value, bool) or value in ("true", "false"):
                    out.loss_net_of_charges = value in (True, "true")
                continue
            if value is None or value == "":
                setattr(out, f.name, None)
                continue
            if isinstance(value, bool) or (isinstance(value, float) and not value.is_integer()):
                continue  # JSON true is an int to Python (a ₹0.01 limit); 2.5 lots is not a count: default kept
            try:
                number = int(value)
            except (TypeError, ValueError, OverflowError):
                continue
            if 0 < number <= 10**15:
                setattr(out, f.name, number)
        return out

    def describe(self) -> list[str]:
        """One line per limit that is on, for the day report and the kill-switch confirmation."""
        out = []
        if self.max_day_loss is not None:
            net = " (net of estimated charges)" if self.loss_net_of_charges else ""
            out.append(f"Max loss for the day {format_rupees(self.max_day_loss)}{net}")
        if self.max_orders_per_minute is not None:
            out.append(f"Max {plural(self.max_orders_per_minute, 'order')} a minute")
        if self.max_orders_per_day is not None:
            out.append(f"Max {plural(self.max_orders_per_day, 'order')} a day")
        if self.max_lots_per_instrument is not None:
            out.append(f"Max {plural(self.max_lots_per_instrument, 'lot')} open per instrument")
        if self.max_lots_per_underlying is not None:
            out.append(f"Max {plural(self.max_lots_per_underlying, 'lot')} open per underlying")
        if self.max_order_value is not None:
            out.append(f"Max order value {format_rupees(self.max_order_value)}")
        if self.max_premium_sold_per_underlying is not None:
            out.append(f"Max net option premium sold per underlying "
                       f"{format_rupees(self.max_premium_sold_per_underlying)}")
        return out


@dataclass(frozen=True)
class OpenOrder:
    """An order still open at the exchange (sent, pending or unknown): it may still fill."""

    token: str
    side: Side
    quantity: int
    price: Paisa = 0


@dataclass
class Exposure:
    """What the gate needs of the book at the moment of an order (built by the ledger from its records).

    ``bought``/``sold`` values are paisa × quantity of the day's fills (as :class:`~.positions.Position` keeps
    them), so the option premium rule needs no averages."""

    net: dict[str, int] = field(default_factory=dict)  # token → net quantity from this app's fills
    sell_value: dict[str, int] = field(default_factory=dict)  # token → Σ sold quantity × price
    buy_value: dict[str, int] = field(default_factory=dict)
    open_orders: list[OpenOrder] = field(default_factory=list)
    ltp: dict[str, Paisa] = field(default_factory=dict)
    day_pnl: Paisa = 0  # realised + unrealised, from this app's fills
    charges: Paisa = 0  # estimated charges of the day's fills

    def open_quantity(self, token: str, side: Side) -> int:
        """Quantity of ``token`` still open at the exchange on ``side`` (it may yet fill)."""
        return sum(o.quantity for o in self.open_orders if o.token == token and o.side is side)


@dataclass(frozen=True)
class DayLock:
    """The day is locked: risk-increasing orders are refused until ``day`` is over (IST trading day)."""

    day: date
    reason: str
    at: float  # epoch seconds

    def active(self, today: date) -> bool:
        """True on the trading day it was set for (``today`` is already the trading day on or before)."""
        return self.day == today


@dataclass(frozen=True)
class Refusal:
    """Why the gate refused an order: one sentence the trader reads where the order came from."""

    rule: str
    message: str

    def __str__(self) -> str:
        return self.message

    @property
    def before_send(self) -> str:
        """The sentence as the ticket shows it before Send: the reason alone, capitalised (nothing refused yet)."""
        text = self.message.removeprefix(f"{REFUSED}: ")
        return text[:1].upper() + text[1:]


class OrderRefused(RuntimeError):
    """The risk gate refused an order: it was journalled as refused and never sent. ``str()`` is the sentence."""

    def __init__(self, refusal: Refusal) -> None:
        super().__init__(refusal.message)
        self.refusal = refusal


class Gate(Protocol):
    """What the order ledger's one ``place`` asks before the journal sees an order (``desk.risk.RiskDesk``)."""

    def assess(self, request: OrderRequest, source: Source) -> Refusal | None: ...
    def preview(self, request: OrderRequest) -> Refusal | None: ...
    def placed(self, record: OrderRecord) -> None: ...


class OpenGate:
    """The gate of a bare ledger (tools, tests of other parts): every order may go. The app's desk always has the
    real one."""

    def assess(self, request: OrderRequest, source: Source) -> Refusal | None:
        """Nothing is refused."""
        return None

    def preview(self, request: OrderRequest) -> Refusal | None:
        """Nothing would be refused."""
        return None

    def placed(self, record: OrderRecord) -> None:
        """Nothing is counted."""


def lock_seconds(value: object) -> float:
    """A journalled lock's epoch seconds; anything unreadable is 0 (the lock holds all the same)."""
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return 0.0
    return number if number == number and abs(number) < 1e12 else 0.0


def unbooked_execution(record: OrderRecord) -> bool:
    """Executed by the exchange but not in positions (its answer had no price): the gate and the kill switch count
    it as still open, or a second press would send its exit again."""
    return record.status is OrderStatus.EXECUTED and record.fill_price <= 0 and record.request.quantity > 0


def refused_record(local_id: str, request: OrderRequest, instrument: Instrument | None,
                   refusal: Refusal) -> OrderRecord:
    """The record of an order the limits refused: Rejected, never sent (no send time), the sentence as its message."""
    record = OrderRecord(local_id, request, instrument.display if instrument else request.token, now_ist(),
                         status=OrderStatus.REJECTED, message=refusal.message)
    record.history.append(REFUSED)
    return record


def underlying_key(instrument: Instrument | None, token: str) -> str:
    """The name positions are grouped under: a derivative's underlying name, a cash row's symbol."""
    if instrument is None:
        return token
    if instrument.is_derivative:
        return (instrument.name or instrument.symbol).upper()
    return instrument.symbol.upper()


def signed(side: Side, quantity: int) -> int:
    """+quantity for a buy, −quantity for a sell."""
    return quantity if side is Side.BUY else -quantity


def is_reducing(request: OrderRequest, exposure: Exposure) -> bool:
    """True when the order only brings the position toward flat: the opposite side of the net position and no
    more than what is left of it after the exits already open (two exits of the whole position are not both
    exits)."""
    net = exposure.net.get(request.token, 0)
    if net == 0 or (net > 0) == (request.side is Side.BUY):
        return False
    return request.quantity <= abs(net) - exposure.open_quantity(request.token, request.side)


def _lots(quantity: int, instrument: Instrument | None) -> float:
    lot = instrument.lot_size if instrument is not None and instrument.lot_size > 0 else 1
    return quantity / lot


def _reference_price(request: OrderRequest, instrument: Instrument | None, ltp: Paisa | None) -> Paisa:
    price = request.price or request.trigger_price or ltp or 0
    if not price and instrument is not None:
        price = instrument.prev_close
    return price


class RiskGate:
    """The limits and the state they need (the day lock, the counts of orders sent), without I/O.

    ``lookup`` gives the instrument of a token (None when the master does not know it); ``today`` the IST trading
    day now. The caller persists the lock (:attr:`lock`) and reseeds the day's count at start
    (:meth:`seed_day`)."""

    def __init__(self, limits: RiskLimits, lookup: Callable[[str], Instrument | None],
                 today: Callable[[], date]) -> None:
        self.limits = limits
        self.lookup = lookup
        self.today = today
        self.lock: DayLock | None = None
        self._minute: deque[float] = deque()  # epoch seconds of orders sent in the last minute
        self._day: date | None = None
        self._day_count = 0

    # ---------------------------------------------------------------- state
    def seed_day(self, day: date, count: int, lock: DayLock | None) -> None:
        """At start: the orders already sent today (from the journal) and a lock persisted earlier today."""
        self._day, self._day_count = day, count
        self.lock = lock if lock is not None and lock.active(day) else None

    def _roll(self) -> None:
        day = self.today()
        if self._day != day:
            self._day, self._day_count = day, 0
            self._minute.clear()
        if self.lock is not None and not self.lock.active(day):
            self.lock = None

    @property
    def locked(self) -> DayLock | None:
        """The lock in force now (None after the day it was set for)."""
        self._roll()
        return self.lock

    def orders_in_minute(self, now: float) -> int:
        """Orders sent in the 60 s up to ``now``."""
        while self._minute and now - self._minute[0] >= 60.0:
            self._minute.popleft()
        return len(self._minute)

    @property
    def orders_today(self) -> int:
        """Orders sent this trading day (across restarts, once seeded)."""
        self._roll()
        return self._day_count

    def sent(self, now: float) -> None:
        """Count one order that passed the gate and was journalled."""
        self._roll()
        self._minute.append(now)
        self._day_count += 1

    def loss_figure(self, exposure: Exposure) -> Paisa:
        """The day's P&L the loss limit is measured against (net of charges when the trader asked for it)."""
        return exposure.day_pnl - (exposure.charges if self.limits.loss_net_of_charges else 0)

    def breached(self, exposure: Exposure) -> bool:
        """True when the day's loss has reached the limit (the caller then locks the day)."""
        limit = self.limits.max_day_loss
        return limit is not None and self.loss_figure(exposure) <= -limit

    def lock_day(self, reason: str, now: float) -> DayLock:
        """Lock the rest of today's trading day."""
        self._roll()
        self.lock = DayLock(self.today(), reason, now)
        return self.lock

    def unlock(self, typed: str) -> bool:
        """Lift today's lock early: only when the trader typed :data:`UNLOCK_PHRASE` (case and spaces ignored)."""
        if typed.strip().upper() != UNLOCK_PHRASE:
            return False
        self.lock = None
        return True

    # ---------------------------------------------------------------- the check
    def assess(self, request: OrderRequest, exposure: Exposure, now: float, source: Source = Source.TICKET
               ) -> Refusal | None:
        """None when the order may go; else the first rule it breaks, as one sentence."""
        self._roll()
        if is_reducing(request, exposure):
            return None  # exits are never blocked by counts or sizes, nor by the lock
        if self.lock is not None:
            return Refusal("day_lock", f"{REFUSED}: the day is locked ({self.lock.reason}); only "
                                       f"orders that reduce a position are allowed until the next trading day.")
        if self.breached(exposure):
            assert self.limits.max_day_loss is not None
            return Refusal("day_loss", f"{REFUSED}: the day's P&L "
                                       f"{format_rupees(self.loss_figure(exposure), sign=True)} has reached your max "
                                       f"loss of {format_rupees(self.limits.max_day_loss)}.")
        limits = self.limits
        if limits.max_orders_per_minute is not None and self.orders_in_minute(now) >= limits.max_orders_per_minute:
            return Refusal("per_minute", f"{REFUSED}: {plural(self.orders_in_minute(now), 'order')} "
                                         f"in the last minute; your limit is {limits.max_orders_per_minute} "
                                         f"({MENU}).")
        if limits.max_orders_per_day is not None and self._day_count >= limits.max_orders_per_day:
            return Refusal("per_day", f"{REFUSED}: {plural(self._day_count, 'order')} today; your "
                                      f"limit is {limits.max_orders_per_day} a day ({MENU}).")
        instrument = self.lookup(request.token)
        for check in (self._value, self._instrument_lots, self._underlying_lots, self._premium):
            refusal = check(request, instrument, exposure)
            if refusal is not None:
                return refusal
        return None

    def _value(self, request: OrderRequest, instrument: Instrument | None, exposure: Exposure) -> Refusal | None:
        limit = self.limits.max_order_value
        if limit is None:
            return None
        price = _reference_price(request, instrument, exposure.ltp.get(request.token))
        if not price:
            return Refusal("max_value", f"{REFUSED}: no price yet, so the order value cannot be "
                                        f"checked against your limit {format_rupees(limit)}; wait for the first "
                                        f"tick.")
        value = request.quantity * price
        if value > limit:
            # say when the value is an estimate: a market order before the first tick is valued at the last close
            at_close = "" if request.price or request.trigger_price or exposure.ltp.get(request.token) \
                else " (at the previous close: no price yet)"
            return Refusal("max_value", f"{REFUSED}: order value {format_rupees(value)}{at_close} is above "
                                        f"your limit {format_rupees(limit)} ({MENU}).")
        return None

    def _after(self, token: str, side: Side, quantity: int, exposure: Exposure) -> int:
        """Net quantity of ``token`` if this order and every open order on its side filled."""
        return exposure.net.get(token, 0) + signed(side, quantity + exposure.open_quantity(token, side))

    def _instrument_lots(self, request: OrderRequest, instrument: Instrument | None,
                         exposure: Exposure) -> Refusal | None:
        limit = self.limits.max_lots_per_instrument
        if limit is None:
            return None
        lots = _lots(abs(self._after(request.token, request.side, request.quantity, exposure)), instrument)
        if lots > limit:
            return Refusal("lots_instrument", f"{REFUSED}: {lots:g} lots open in this instrument "
                                              f"after this order; your limit is {limit} ({MENU}).")
        return None

    def _underlying_tokens(self, key: str, exposure: Exposure, extra: str) -> set[str]:
        tokens = set(exposure.net) | {o.token for o in exposure.open_orders} | {extra}
        return {t for t in tokens if underlying_key(self.lookup(t), t) == key}

    def _underlying_lots(self, request: OrderRequest, instrument: Instrument | None,
                         exposure: Exposure) -> Refusal | None:
        limit = self.limits.max_lots_per_underlying
        if limit is None:
            return None
        key = underlying_key(instrument, request.token)
        total = 0.0
        for token in self._underlying_tokens(key, exposure, request.token):
            qty = request.quantity if token == request.token else 0
            after = self._after(token, request.side, qty, exposure) if qty else exposure.net.get(token, 0)
            total += _lots(abs(after), self.lookup(token))
        if total > limit:
            return Refusal("lots_underlying", f"{REFUSED}: {total:g} lots open in {key} after this "
                                              f"order; your limit is {limit} ({MENU}).")
        return None

    def _premium(self, request: OrderRequest, instrument: Instrument | None, exposure: Exposure) -> Refusal | None:
        limit = self.limits.max_premium_sold_per_underlying
        if limit is None or instrument is None or not instrument.is_option or request.side is Side.BUY:
            return None
        key = underlying_key(instrument, request.token)
        credit = 0
        for token in self._underlying_tokens(key, exposure, request.token):
            inst = self.lookup(token)
            if inst is None or not inst.is_option:
                continue
            credit += exposure.sell_value.get(token, 0) - exposure.buy_value.get(token, 0)
            credit += sum(o.quantity * (o.price or exposure.ltp.get(token, 0)) for o in exposure.open_orders
                          if o.token == token and o.side is Side.SELL)
        premium = request.quantity * _reference_price(request, instrument, exposure.ltp.get(request.token))
        if request.kind is OrderKind.MARKET and not premium:
            premium = 0
        if credit + premium > limit:
            return Refusal("premium", f"{REFUSED}: net option premium sold in {key} would be "
                                      f"{format_rupees(credit + premium)}; your limit is {format_rupees(limit)} "
                                      f"({MENU}).")
        return None


def meter_level(used: float) -> str:
    """``ok`` / ``warn`` (≥ 80 % of a limit) / ``locked`` for the status bar's risk meter."""
    if used >= 1.0:
        return "locked"
    if used >= WARN_AT:
        return "warn"
    return "ok"


def flatten_orders(exposure: Exposure, lookup: Callable[[str], Instrument | None]) -> list[OrderRequest]:
    """The kill switch's exits: one market order per open position, in freeze-quantity slices, less what open
    exits already cover (so a second press, or a press after a reconnect, never sends a position's exit twice)."""
    out: list[OrderRequest] = []
    for token, net in sorted(exposure.net.items()):
        if net == 0:
            continue
        side = Side.SELL if net > 0 else Side.BUY
        left = abs(net) - exposure.open_quantity(token, side)
        out.extend(OrderRequest(token, side, OrderKind.MARKET, qty, ltp=exposure.ltp.get(token, 0))
                   for qty in freeze_slices(left, lookup(token)))
    return out



@dataclass
class KillReport:
    """What the kill switch did: the exits sent, the ones that failed and why, and what is still open at the
    exchange that this app cannot cancel (the AirAlgo API has no cancel)."""

    sent: list[OrderRecord] = field(default_factory=list)
    failed: list[tuple[OrderRequest, str]] = field(default_factory=list)
    still_open: list[OrderRecord] = field(default_factory=list)
    cancelled: int = 0  # paper mode only: open paper orders the kill switch cancelled
    locked: bool = False

    def lines(self, label: Callable[[str], str]) -> list[str]:
        """The report as sentences, for the dialog and the log."""
        out = ["The day is locked: only orders that reduce a position are allowed until the next trading day."
               if self.locked else "The day was already locked."]
        if self.cancelled:
            out.append(f"Cancelled {plural(self.cancelled, 'open paper order')} (paper trading: this app's own "
                       "exchange can cancel).")
        if not self.sent and not self.failed:
            out.append("No open position to flatten.")
        for r in self.sent:
            out.append(f"Sent: {r.request.side.label} {r.request.quantity} {label(r.request.token)} at market "
                       f"(order {r.local_id}).")
        for req, why in self.failed:
            out.append(f"Failed: {req.side.label} {req.quantity} {label(req.token)} — {why}")
        if self.still_open:
            out.append(f"{plural(len(self.still_open), 'order')} still open at the exchange — the AirAlgo API "
                       "cannot cancel them; cancel them in your broker's terminal:")
            for r in self.still_open:
                price = f" @ {format_rupees(r.request.price)}" if r.request.price else ""
                out.append(f"  {r.request.side.label} {r.request.quantity} {label(r.request.token)} "
                           f"{r.request.kind.label}{price} — {r.status.value}"
                           f"{f', exchange no. {r.order_number}' if r.order_number else ''}")
        return out
