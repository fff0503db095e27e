"""Orders: what a ticket asks for (:class:`OrderRequest`) and what the exchange answers (:class:`OrderUpdate`).

Validation follows protocol-notes §6 and returns *every* problem in words, so a ticket can show them all
at once. :meth:`OrderUpdate.from_payload` is tolerant: AirAlgo sends numbers as strings, floats for
integers and ``"0000000000"`` for "none", and a terminal must not drop an order answer over a type quirk.
"""

from __future__ import annotations

import enum
import math
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from .instruments import Instrument, parse_token
from .money import Paisa, format_rupees, is_on_tick, parse_price, wire_number
from .nsetime import from_nse_seconds, now_ist, parse_order_timestamp


def trading_today() -> date:
    """Today in IST: the day expiry is judged against (one place, so tests can pin it)."""
    return now_ist().date()

class Side(enum.StrEnum):
    """Buy or sell; values are the wire's ``order_type``."""

    BUY = "B"
    SELL = "S"

    @property
    def label(self) -> str:
        """``Buy`` / ``Sell``."""
        return "Buy" if self is Side.BUY else "Sell"

    @property
    def opposite(self) -> Side:
        """The side that squares this one off."""
        return Side.SELL if self is Side.BUY else Side.BUY

    @classmethod
    def from_buy_sell(cls, value: object) -> Side | None:
        """``order_response.buy_sell``: ``"1"`` buy, ``"2"`` sell (NSE convention); None if unknown."""
        text = str(value).strip()
        if text in ("1", "B", "BUY"):
            return cls.BUY
        if text in ("2", "S", "SELL"):
            return cls.SELL
        return None


class OrderKind(enum.StrEnum):
    """Price type; values are the wire's ``market_limit_sl``."""

    MARKET = "market"
    LIMIT = "limit"
    SL = "sl"
    SLM = "slm"

    @property
    def label(self) -> str:
        """``Market`` / ``Limit`` / ``SL`` / ``SL-M``, as terminals show them."""
        return {"market": "Market", "limit": "Limit", "sl": "SL", "slm": "SL-M"}[self.value]

    @property
    def needs_price(self) -> bool:
        """Limit and SL carry a limit price."""
        return self in (OrderKind.LIMIT, OrderKind.SL)

    @property
    def needs_trigger(self) -> bool:
        """SL and SL-M carry a trigger price."""
        return self in (OrderKind.SL, OrderKind.SLM)


class Validity(enum.StrEnum):
    """Order validity; AirAlgo supports only Day."""

    DAY = "Day"


class OrderStatus(enum.StrEnum):
    """Where an order stands. Sent, Unknown and Expired are local: the exchange never says them (Expired is the
    rule that a Day order does not outlive its trading day, applied to one that never got a final answer)."""

    SENT = "Sent"
    PENDING = "Pending"
    EXECUTED = "Executed"
    REJECTED = "Rejected"
    UNKNOWN = "Unknown"
    EXPIRED = "Expired"

    @property
    def is_final(self) -> bool:
        """Executed, Rejected and Expired end an order's life (a later exchange answer still replaces Expired)."""
        return self in (OrderStatus.EXECUTED, OrderStatus.REJECTED, OrderStatus.EXPIRED)

    @property
    def is_open(self) -> bool:
        """Sent, Pending and Unknown are still open (the order book's *Open* filter)."""
        return not self.is_final

    @classmethod
    def from_wire(cls, value: object) -> OrderStatus | None:
        """Server status text → status; None for a value we do not know (kept raw by the caller)."""
        text = str(value).strip().lower()
        for status in (cls.PENDING, cls.EXECUTED, cls.REJECTED):
            if text == status.value.lower():
                return status
        if text in ("complete", "completed", "traded", "filled"):
            return cls.EXECUTED
        if text in ("open", "trigger pending", "open pending", "validation pending"):
            return cls.PENDING
        return None


@dataclass(frozen=True, slots=True)
class OrderRequest:
    """A ticket: everything the ``order`` event needs. Prices in paisa."""

    token: str
    side: Side
    kind: OrderKind
    quantity: int
    price: Paisa = 0
    trigger_price: Paisa = 0
    ltp: Paisa = 0
    validity: Validity = Validity.DAY

    def to_payload(self) -> dict[str, Any]:
        """The ``order`` payload exactly as the API doc shows it (market orders send ltp 0)."""
        return {
            "token_number": self.token,
            "market_limit_sl": self.kind.value,
            "price": self.price if self.kind.needs_price else 0,
            "order_type": self.side.value,
            "trigger_price": self.trigger_price if self.kind.needs_trigger else 0,
            "validity": self.validity.value,
            "quantity": self.quantity,
            "ltp": 0 if self.kind is OrderKind.MARKET else self.ltp,
        }

    @property
    def value(self) -> Paisa:
        """Order value for display and guards: quantity × (price, else trigger, else ltp)."""
        reference = self.price or self.trigger_price or self.ltp
        return self.quantity * reference

    def validate(self, instrument: Instrument | None, today: date | None = None) -> list[str]:
        """Every problem with this ticket, as sentences a trader understands. Empty means sendable.

        ``today`` (IST; default: now) decides expiry: a contract past its expiry day is never sent."""
        return [message for _fields, message in self.problems(instrument, today)]

    def invalid_fields(self, instrument: Instrument | None, today: date | None = None) -> dict[str, str]:
        """The ticket's fields whose value the order rejects (``quantity``, ``price``, ``trigger_price``), each with
        its first reason — what a ticket marks red. Problems of no single field (expiry, no LTP) are not here."""
        out: dict[str, str] = {}
        for fields, message in self.problems(instrument, today):
            for name in fields:
                out.setdefault(name, message)
        return out

    def problems(self, instrument: Instrument | None, today: date | None = None) -> list[tuple[tuple[str, ...], str]]:
        """:meth:`validate`'s sentences, each with the fields it is about (empty when none is)."""
        problems: list[tuple[tuple[str, ...], str]] = []
        if instrument is None:
            problems.append(((), f"Unknown instrument (token {self.token}): import the instrument master that lists "
                                 "it."))
        else:
            expired = instrument.expired_message(today or trading_today())
            if expired:
                problems.append(((), f"{expired}: it can no longer be traded."))
        qty, price, trigger = ("quantity",), ("price",), ("trigger_price",)
        if not isinstance(self.quantity, int) or self.quantity <= 0:
            problems.append((qty, "Quantity must be a whole number above zero."))
        elif instrument is not None and self.quantity % instrument.lot_size:
            problems.append((qty,
                f"Quantity must be a multiple of the lot size {instrument.lot_size} "
                f"(e.g. {max(instrument.lot_size, self.quantity // instrument.lot_size * instrument.lot_size)})."
            ))
        tick = instrument.tick_size if instrument is not None else 0
        kind = self.kind
        if kind.needs_price:
            if self.price <= 0:
                problems.append((price, f"{kind.label} orders need a price above zero."))
            elif tick and not is_on_tick(self.price, tick):
                problems.append((price, f"Price must be a multiple of the tick size {format_rupees(tick)}."))
        elif self.price != 0:
            problems.append((price, f"{kind.label} orders take no price."))
        if kind.needs_trigger:
            if self.trigger_price <= 0:
                problems.append((trigger, f"{kind.label} orders need a trigger price above zero."))
            elif tick and not is_on_tick(self.trigger_price, tick):
                problems.append((trigger, f"Trigger price must be a multiple of the tick size {format_rupees(tick)}."))
        elif self.trigger_price != 0:
            problems.append((trigger, f"{kind.label} orders take no trigger price."))
        if kind is not OrderKind.MARKET and self.ltp <= 0:
            problems.append(((), "No last traded price yet: wait for a tick before a limit or stop-loss order."))
        problems.extend(self._stop_rules())
        return problems

    def _stop_rules(self) -> list[tuple[tuple[str, ...], str]]:
        """Exchange rules for stop-loss orders: buy LTP < trigger ≤ price; sell price ≤ trigger < LTP."""
        if not self.kind.needs_trigger or self.trigger_price <= 0:
            return []
        out: list[tuple[tuple[str, ...], str]] = []
        buy = self.side is Side.BUY
        if self.ltp > 0:
            if buy and not self.trigger_price > self.ltp:
                out.append((("trigger_price",), f"A buy stop-loss trigger must be above the LTP "
                                                f"{format_rupees(self.ltp)}."))
            if not buy and not self.trigger_price < self.ltp:
                out.append((("trigger_price",), f"A sell stop-loss trigger must be below the LTP "
                                                f"{format_rupees(self.ltp)}."))
        if self.kind is OrderKind.SL and self.price > 0:  # either of the two may be the wrong one
            if buy and not self.trigger_price <= self.price:
                out.append((("trigger_price", "price"), "A buy stop-loss trigger must not be above its limit price."))
            if not buy and not self.price <= self.trigger_price:
                out.append((("trigger_price", "price"), "A sell stop-loss trigger must not be below its limit "
                                                         "price."))
        return out


MAX_QUANTITY = 10**9
"""The largest quantity accepted from outside (an ``order_response`` volume, a feed's ltq)."""

_MAX_TEXT = 300  # longest server text kept on an order (message, error); a junk frame cannot flood the book


def freeze_slices(quantity: int, instrument: Instrument | None) -> list[int]:
    """``quantity`` in exchange freeze-quantity slices of whole lots (one slice without a freeze limit): how every
    exit the app sends itself — the kill switch's, a trigger's — is cut."""
    if quantity <= 0:
        return []
    freeze = instrument.freeze_qty if instrument is not None and instrument.freeze_qty > 0 else quantity
    lot = instrument.lot_size if instrument is not None and instrument.lot_size > 0 else 1
    if freeze >= lot:
        freeze -= freeze % lot  # a slice is a whole number of lots
    out: list[int] = []
    while quantity > 0:
        out.append(min(quantity, freeze))
        quantity -= out[-1]
    return out


def parse_quantity(value: Any, *, allow_zero: bool = False) -> int | None:
    """A quantity from the wire: a whole number 1‥:data:`MAX_QUANTITY` (0 too with ``allow_zero``) written as an
    int, an integral float or ASCII digits; None for anything else. Never raises."""
    number = wire_number(value)
    if number is None or (type(number) is float and not number.is_integer()):
        return None
    if not (0 if allow_zero else 1) <= number <= MAX_QUANTITY:
        return None
    return int(number)


def _to_int(value: Any, limit: int = 10**18) -> int | None:
    """Integers sent as int, float (``20.0``) or ASCII text (``"20"``), 0‥``limit``; None otherwise."""
    number = wire_number(value)
    if number is None or (type(number) is float and not number.is_integer()) or not 0 <= number <= limit:
        return None
    return int(number)


def _to_paisa(value: Any) -> Paisa:
    """Paisa sent as ``120275.0`` / ``"120275"``; 0 when absent or not a valid price (:func:`parse_price`)."""
    return parse_price(value, allow_zero=True) or 0


def _text(value: Any, limit: int = _MAX_TEXT) -> str:
    """Server text, bounded (callers redact secrets before this cut)."""
    text = str(value) if value is not None else ""
    return text if len(text) <= limit else text[:limit] + "…"


def order_number_text(value: Any) -> str | None:
    """``1300000000111170.0`` → ``"1300000000111170"`` exactly; None when absent, zero or not integral.

    Floats are exact up to 2**53; anything larger that arrives as a float may already have been rounded
    by the JSON parser, so it is refused rather than stored wrong.
    """
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, str):
        text = value.strip()
        if text.endswith(".0"):
            text = text[:-2]
        return text if 0 < len(text) <= 20 and text.isascii() and text.isdigit() and int(text) > 0 else None
    if isinstance(value, float):
        if not math.isfinite(value) or value != int(value) or abs(value) > 2**53:
            return None
        value = int(value)
    if isinstance(value, int) and value > 0:
        return str(value)
    return None


@dataclass(frozen=True, slots=True)
class OrderUpdate:
    """One parsed ``order_response`` push. ``raw`` keeps the payload untouched for the journal."""

    token: str
    status: OrderStatus | None
    status_text: str
    message: str
    order_number: str | None
    side: Side | None
    kind: OrderKind | None
    quantity: int | None
    price: Paisa
    trigger_price: Paisa
    executed_price: Paisa
    symbol: str
    error: str | None
    exchange_time: datetime | None
    last_modified: datetime | None
    transaction_id: int | None
    required_margin: float | None
    raw: dict[str, Any] = field(repr=False, compare=False, default_factory=dict)

    @property
    def reason(self) -> str:
        """Why a rejection happened, in the best words the payload has."""
        if self.error:
            return self.error
        return self.message or self.status_text

    @classmethod
    def from_payload(cls, payload: Any) -> OrderUpdate | None:
        """Parse an ``order_response`` payload; None when it is not an object or has no token."""
        if not isinstance(payload, dict):
            return None
        token_text = parse_token(payload.get("token_number"))
        if token_text is None:
            return None
        token_text = token_text.lstrip("0") or "0"  # "022" and 22.0 are token 22
        kind_text = str(payload.get("market_limit_sl", "")).strip().lower()
        try:
            kind: OrderKind | None = OrderKind(kind_text)
        except ValueError:
            kind = None
        error = payload.get("error")
        status_text = _text(payload.get("status", "") or "", 40)
        req_margin = payload.get("required_margin")
        margin_number = wire_number(req_margin)
        margin = float(margin_number) if margin_number is not None and abs(margin_number) < 1e18 else None
        return cls(
            token=token_text,
            status=OrderStatus.from_wire(status_text),
            status_text=status_text,
            message=_text(payload.get("message") or ""),
            order_number=order_number_text(payload.get("order_number")),
            side=Side.from_buy_sell(payload.get("buy_sell")),
            kind=kind,
            quantity=parse_quantity(payload.get("volume")),
            price=_to_paisa(payload.get("price")),
            trigger_price=_to_paisa(payload.get("trigger_price")),
            executed_price=_to_paisa(payload.get("executed_price")),
            symbol=_text(payload.get("symbol") or "", 60),
            error=_text(error) if error not in (None, "", "null") else None,
            exchange_time=parse_order_timestamp(payload.get("timestamp")),
            last_modified=from_nse_seconds(payload.get("last_modified")),
            transaction_id=_to_int(payload.get("transaction_id")),
            required_margin=margin,
            raw=dict(payload),
        )

    def matches(self, request: OrderRequest) -> bool:
        """Protocol-notes §6 first-response correlation: same token, side, quantity and price type."""
        return (
            self.token == request.token
            and self.side is request.side
            and self.quantity == request.quantity
            and self.kind is request.kind
        )


class CheckedOutcome(enum.StrEnum):
    """What a trader found out elsewhere about an order the exchange never answered (broker app, exchange, phone)."""

    EXECUTED = "executed"
    REJECTED = "rejected"
    CANCELLED = "cancelled"
    NEVER_REACHED = "never_reached"

    @property
    def label(self) -> str:
        """``Executed`` / ``Rejected`` / ``Cancelled`` / ``Never reached the exchange``."""
        return {"executed": "Executed", "rejected": "Rejected", "cancelled": "Cancelled",
                "never_reached": "Never reached the exchange"}[self.value]


@dataclass(frozen=True, slots=True)
class TraderCheck:
    """The trader's own statement about an order without an exchange answer ("Mark as checked…"). It is never an
    exchange answer: the order's :attr:`OrderRecord.status` stays what the exchange said (Unknown), and a later
    exchange answer replaces what this says."""

    outcome: CheckedOutcome
    price: Paisa = 0  # the execution price the trader found (EXECUTED only)
    note: str = ""
    at: datetime | None = None

    def describe(self) -> str:
        """``Checked by you: executed at ₹1,240.00 — "seen in the broker app"``."""
        what = self.outcome.label.lower()
        if self.outcome is CheckedOutcome.EXECUTED:
            what += f" at {format_rupees(self.price)}"
        return f"Checked by you: {what}" + (f" — “{self.note}”" if self.note else "")

    def to_json(self) -> dict[str, Any]:
        """For the journal."""
        return {"outcome": self.outcome.value, "price": self.price, "note": self.note,
                "at": self.at.isoformat() if self.at else None}

    @classmethod
    def from_json(cls, data: Any) -> TraderCheck | None:
        """From the journal; None when unreadable."""
        try:
            outcome = CheckedOutcome(data["outcome"])
            price = int(data.get("price") or 0)
            at = datetime.fromisoformat(data["at"]) if data.get("at") else None
        except (KeyError, TypeError, ValueError, AttributeError):
            return None
        return cls(outcome, price if price > 0 else 0, str(data.get("note") or ""), at)


@dataclass
class JournalRow:
    """What a journal remembers of an order (``store.journal.JournaledOrder`` adds its event count)."""

    local_id: str
    request: OrderRequest
    symbol: str
    created: datetime
    status: OrderStatus
    message: str
    order_number: str | None
    executed_price: int
    checked: TraderCheck | None = None
    pending_ms: float | None = None
    final_ms: float | None = None


@dataclass
class OrderRecord:
    """One order through its life, as the journal stores it, the order service updates it and the order book,
    ticket and positions show it. Times ``*_at`` are on the client's clock (latency); ``created`` is IST."""

    local_id: str
    request: OrderRequest
    symbol: str
    created: datetime
    status: OrderStatus = OrderStatus.SENT
    message: str = ""
    order_number: str | None = None
    executed_price: Paisa = 0
    exchange_time: datetime | None = None
    sent_at: float | None = None
    written_at: float | None = None
    pending_at: float | None = None
    final_at: float | None = None
    history: list[str] = field(default_factory=list)
    checked: TraderCheck | None = None  # the trader's statement while the exchange has not answered
    journal_pending_ms: float | None = None  # latency measured in an earlier run (from the journal)
    journal_final_ms: float | None = None

    @property
    def is_open(self) -> bool:
        """Sent, Pending or Unknown — and not settled by the trader's own check."""
        return self.status.is_open and not self.settled_by_trader

    @property
    def settled_by_trader(self) -> bool:
        """The exchange has not answered, and the trader recorded what they found (:class:`TraderCheck`)."""
        return self.checked is not None and not self.status.is_final

    @property
    def fill_price(self) -> Paisa:
        """The price positions count this order at: the exchange's execution, else the execution the trader
        checked while the exchange is silent; 0 when it is not an execution."""
        if self.status is OrderStatus.EXECUTED:
            return self.executed_price
        if self.settled_by_trader and self.checked is not None and self.checked.outcome is CheckedOutcome.EXECUTED:
            return self.checked.price
        return 0

    @property
    def pending_ms(self) -> float | None:
        """Send → Pending in ms: measured now, else as the journal remembers it from an earlier run."""
        if self.sent_at is not None and self.pending_at is not None:
            return (self.pending_at - self.sent_at) * 1000
        return self.journal_pending_ms

    @property
    def final_ms(self) -> float | None:
        """Send → Executed/Rejected in ms: measured now, else as the journal remembers it."""
        if self.sent_at is not None and self.final_at is not None:
            return (self.final_at - self.sent_at) * 1000
        return self.journal_final_ms

    @classmethod
    def from_journal(cls, j: JournalRow, today: date | None = None) -> OrderRecord:
        """A record from a journal row (``store.journal.JournaledOrder``). One without a final answer is *Unknown —
        not confirmed* until an answer arrives — unless it is a Day order of an earlier trading day than ``today``:
        that one has expired at its day's close (*Expired (day order)*)."""
        record = cls(j.local_id, j.request, j.symbol, j.created, status=j.status, message=j.message,
                     order_number=j.order_number, executed_price=j.executed_price, checked=j.checked,
                     journal_pending_ms=j.pending_ms, journal_final_ms=j.final_ms)
        record.history.append(j.status.value)
        if j.status.is_open:
            if today is not None and j.created.date() < today and j.request.validity is Validity.DAY:
                record.expire()
            else:
                record.status = OrderStatus.UNKNOWN
                record.message = "Not confirmed since the app restarted; waiting for an answer. Not resent."
                record.history.append("Unknown")
        return record

    def expire(self) -> None:
        """A Day order that never got a final answer and whose trading day is over."""
        self.status = OrderStatus.EXPIRED
        self.message = (f"Day order of {self.created:%d %b %Y} with no final answer from the exchange: it expired "
                        "at that day's close.")
        self.history.append("Expired")
