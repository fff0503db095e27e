"""Simulated order engine: validates ``order`` payloads as the exchange would and answers with
``order_response`` payloads carrying every key of the API doc's examples, with the doc's JSON types.

Life of an order: market → Pending, then Executed at the market after ``fill_delay``; limit → Pending,
Executed when the market crosses the price; sl/slm → Pending until the trigger, then as limit/market.
Rejections come as a single ``Rejected`` response (as in the doc's NIFTY example) with the reason in
``error``: "Invalid Symbol", "Margin limit exceeded", or the field that was wrong.

Margin is an account budget (``margin_limit``, ₹50,000 by default), per API key. An order needs the margin its
quantity adds to the account's exposure — a fraction of its value (:data:`MARGIN_RATE`: 20 % for intraday equity,
11.24 % for index futures as in the API doc's NIFTY example, 18 % for stock futures, the premium for an option
buy, 150 % for option writing); an order that reduces a position needs none. Margin in use is that of the
account's open positions (at the current price) plus its pending orders; an order that would take it above the
limit is rejected with "Margin limit exceeded".

The engine reads prices through :class:`Prices` (the simulator's :class:`~airalgo_desktop.sim.market.Market`, or the
paper exchange's view of the live feed, ``services/paper.py``); a market order that finds no price yet waits for the
first one. ``fill_price`` (optional) turns the price a fill would happen at into the price it happens at — the paper
exchange's slippage model.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, time
from typing import Any, Protocol

from ..domain.clock import Clock, process_clock
from ..domain.instruments import Instrument, InstrumentMaster
from ..domain.money import Paisa
from ..domain.nsetime import IST, format_order_timestamp, to_nse_seconds
from .market import Market, limit_crossed, trigger_hit

log = logging.getLogger("airalgo.sim.orders")

MSG_CONFIRM = "Order Entry Confirm"
MSG_EXECUTED = "Your Order has been executed successfully"
MSG_REJECTED = "Order has been Rejected"
ERR_SYMBOL = "Invalid Symbol"
ERR_MARGIN = "Margin limit exceeded"
ERR_FREEZE = "Quantity above the freeze quantity {freeze}"
ERR_EXPIRED = "Contract expired"

FIRST_ORDER_NUMBER = 1300000000111170

# Margin as a fraction of notional: intraday equity leverage 5x; index/stock futures about SPAN+exposure.
MARGIN_RATE = {"EQUITY": 0.20, "FUTIDX": 0.1124, "FUTSTK": 0.18, "OPTIDX": 1.0, "OPTSTK": 1.0}
SHORT_OPTION_EXPIRY_ELM = 0.02


@dataclass(slots=True)
class SimOrder:
    """An order the simulator accepted (or rejected), with what it needs to answer about it."""

    order_number: int
    api_key: str
    request: dict[str, Any]
    instrument: Instrument | None
    buy: bool
    kind: str
    quantity: int
    price: Paisa
    trigger: Paisa
    status: str = "Pending"
    triggered: bool = False
    resting: bool = False  # on the book: a later cross trades at the limit, not at the jumped-to price
    required_margin: float = 0.0
    executed_price: Paisa = 0
    waiting: bool = False  # a market order that found no price: it fills at the first one


class Prices(Protocol):
    """Where the engine reads the market: the last traded price of a token and of a derivative's underlying."""

    def ltp(self, token: str) -> Paisa | None: ...
    def underlying_ltp(self, token: str) -> Paisa | None: ...


def _as_int(value: Any) -> int | None:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and math.isfinite(value) and value == int(value):
        return int(value)
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value.strip())
    return None


class OrderEngine:
    """Accepts order payloads, answers through ``respond(api_key, payload)``."""

    def __init__(
        self,
        master: InstrumentMaster,
        market: Market | Prices,
        respond: Callable[[str, dict[str, Any]], None],
        *,
        margin_limit: Paisa = 50_000_00,
        fill_delay: float = 0.2,
        client_id: str = "1234567890",
        user_id: str = "47241",
        clock: Clock = process_clock,
        fill_price: Callable[[SimOrder, Paisa], Paisa] | None = None,
    ) -> None:
        self.clock = clock  # the expiry-day margin and the order timestamps
        self.fill_price = fill_price
        self.master = master
        self.market = market
        self.respond = respond
        self.margin_limit = margin_limit
        self.fill_delay = fill_delay
        self.client_id = client_id
        self.user_id = user_id
        self.open_orders: dict[int, SimOrder] = {}
        self.all_orders: list[SimOrder] = []
        self._numbers = itertools.count(FIRST_ORDER_NUMBER, 10)
        self._transactions = itertools.count(11)
        self._fill_handles: set[asyncio.TimerHandle] = set()
        self.net: dict[str, dict[str, int]] = {}  # api key → token → net executed quantity (the margin book)

    # ------------------------------------------------------------------ intake
    def submit(self, api_key: str, payload: dict[str, Any]) -> SimOrder:
        """Take one ``order`` payload; answers Pending or Rejected at once."""
        token = str(payload.get("token_number", "")).strip()
        inst = self.master.get(token)
        kind = str(payload.get("market_limit_sl", "")).strip().lower()
        side = str(payload.get("order_type", "")).strip().upper()
        qty = _as_int(payload.get("quantity"))
        price = _as_int(payload.get("price"))
        trigger = _as_int(payload.get("trigger_price"))
        order = SimOrder(
            order_number=next(self._numbers),
            api_key=api_key,
            request=dict(payload),
            instrument=inst,
            buy=side != "S",
            kind=kind,
            quantity=qty if qty is not None else 0,
            price=price or 0,
            trigger=trigger or 0,
        )
        self.all_orders.append(order)
        error = self._field_error(order, side, payload)
        if error is None:
            order.required_margin = self._margin(order)
            if self.margin_used(api_key) + order.required_margin > self.margin_limit:
                error = ERR_MARGIN
        if error is None:
            error = self._exchange_rule_error(order)
        if error is not None:
            order.status = "Rejected"
            log.info("order %s rejected: %s", order.order_number, error)
            self._emit(order, "Rejected", MSG_REJECTED, error=error)
            return order
        self.open_orders[order.order_number] = order
        self._emit(order, "Pending", MSG_CONFIRM)
        if kind == "market":
            self._schedule_fill(order)
        else:
            self.on_market()
        return order

    def reinstate(self, api_key: str, payload: dict[str, Any], order_number: int) -> SimOrder | None:
        """Put back an order accepted in an earlier run (the paper exchange after a restart): open again under its
        own number, with its margin blocked, answering nothing now — its next answer is its fill. None when the
        payload no longer passes (the contract is gone from the master, or has expired)."""
        inst = self.master.get(str(payload.get("token_number", "")).strip())
        kind = str(payload.get("market_limit_sl", "")).strip().lower()
        side = str(payload.get("order_type", "")).strip().upper()
        order = SimOrder(order_number=order_number, api_key=api_key, request=dict(payload), instrument=inst,
                         buy=side != "S", kind=kind, quantity=_as_int(payload.get("quantity")) or 0,
                         price=_as_int(payload.get("price")) or 0, trigger=_as_int(payload.get("trigger_price")) or 0,
                         resting=True, waiting=kind == "market")
        if self._field_error(order, side, payload) is not None or self._exchange_rule_error(order) is not None:
            return None
        order.required_margin = self._margin(order)
        self.open_orders[order_number] = order
        self.all_orders.append(order)
        return order

    def cancel_open(self, api_key: str, reason: str) -> list[SimOrder]:
        """Answer every open order of ``api_key`` with a rejection giving ``reason`` (the paper account's reset)."""
        cancelled = [o for o in self.open_orders.values() if o.api_key == api_key]
        for order in cancelled:
            del self.open_orders[order.order_number]
            order.status = "Rejected"
            self._emit(order, "Rejected", MSG_REJECTED, error=reason)
        return cancelled

    def _field_error(self, order: SimOrder, side: str, payload: dict[str, Any]) -> str | None:
        if order.instrument is None:
            return ERR_SYMBOL
        if order.instrument.instrument_type == "INDEX":
            return "Indices are not tradable (trade its futures or options)"
        if side not in ("B", "S"):
            return "Invalid order_type (use B or S)"
        if order.kind not in ("market", "limit", "sl", "slm"):
            return "Invalid market_limit_sl (use market, limit, sl or slm)"
        if payload.get("validity") != "Day":
            return "Invalid validity (only Day is supported)"
        if _as_int(payload.get("quantity")) is None or order.quantity <= 0:
            return "Invalid quantity"
        for key in ("price", "trigger_price", "ltp"):
            value = _as_int(payload.get(key, 0))
            if value is None or value < 0:
                return f"Invalid {key} (integer paisa expected)"
        ltp = _as_int(payload.get("ltp", 0)) or 0
        if order.kind in ("limit", "sl") and order.price <= 0:
            return "Price is required for limit and stop loss orders"
        if order.kind in ("sl", "slm") and order.trigger <= 0:
            return "Trigger price is required for stop loss orders"
        if order.kind != "market" and ltp <= 0:
            return "ltp is required for limit and stop loss orders"
        return None

    def _exchange_rule_error(self, order: SimOrder) -> str | None:
        inst = order.instrument
        assert inst is not None
        if inst.expiry is not None and inst.expiry < self.clock().astimezone(IST).date():
            return ERR_EXPIRED
        if order.quantity % inst.lot_size:
            return f"Quantity not in multiples of lot size {inst.lot_size}"
        if inst.freeze_qty and order.quantity > inst.freeze_qty:
            return ERR_FREEZE.format(freeze=inst.freeze_qty)
        if order.kind in ("limit", "sl") and order.price % inst.tick_size:
            return "Price not in multiples of tick size"
        if order.kind in ("sl", "slm") and order.trigger % inst.tick_size:
            return "Trigger price not in multiples of tick size"
        if order.kind == "sl":
            if order.buy and order.trigger > order.price:
                return "Trigger price must not be above the limit price for a buy stop loss"
            if not order.buy and order.trigger < order.price:
                return "Trigger price must not be below the limit price for a sell stop loss"
        return None

    def _position_margin(self, inst: Instrument, net: int, reference: Paisa) -> float:
        """Margin a net position of ``net`` (negative: short) blocks at ``reference`` paisa."""
        if inst.api_instrument.startswith("OPT"):
            return self._option_margin(inst, net, reference)
        rate = MARGIN_RATE.get(inst.api_instrument, 1.0)
        return abs(net) * reference * rate

    def _margin(self, order: SimOrder) -> float:
        """The margin ``order`` adds: its position after the fill minus the position now (0 when it reduces one)."""
        inst = order.instrument
        assert inst is not None
        reference = order.price or order.trigger or self.market.ltp(inst.token) or inst.prev_close
        net = self.net.get(order.api_key, {}).get(inst.token, 0)
        after = net + (order.quantity if order.buy else -order.quantity)
        return max(0.0, self._position_margin(inst, after, reference) - self._position_margin(inst, net, reference))

    def margin_used(self, api_key: str) -> float:
        """Paisa of the account's margin in use: open positions at the current price plus pending orders."""
        used = sum(o.required_margin for o in self.open_orders.values() if o.api_key == api_key)
        for token, net in self.net.get(api_key, {}).items():
            inst = self.master.get(token)
            if inst is not None and net:
                used += self._position_margin(inst, net, self.market.ltp(token) or inst.prev_close)
        return used

    def margin_available(self, api_key: str) -> float:
        """Paisa of margin left for new orders (never below zero)."""
        return max(0.0, self.margin_limit - self.margin_used(api_key))

    def _option_margin(self, inst: Instrument, net: int, premium: Paisa) -> float:
        """A long option blocks its premium (SEBI's upfront-premium rule, Nov 2024). A short one blocks about what
        the future does (SPAN + exposure on the underlying's notional), plus the extra 2 % ELM SEBI adds to short
        options on their expiry day; the premium received is not netted off, as brokers block it too."""
        if net >= 0:
            return net * premium
        underlying = self.market.underlying_ltp(inst.token) or inst.strike or premium
        rate = MARGIN_RATE["FUTIDX" if inst.api_instrument == "OPTIDX" else "FUTSTK"]
        if inst.expiry is not None and inst.expiry == self.clock().astimezone(IST).date():
            rate += SHORT_OPTION_EXPIRY_ELM
        return -net * underlying * rate

    # ------------------------------------------------------------------ matching
    def _schedule_fill(self, order: SimOrder) -> None:
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            self._fill_market(order)
            return
        handle: asyncio.TimerHandle

        def fire() -> None:
            self._fill_handles.discard(handle)
            if order.order_number in self.open_orders:
                self._fill_market(order)

        handle = loop.call_later(self.fill_delay, fire)
        self._fill_handles.add(handle)

    def _fill_market(self, order: SimOrder) -> None:
        """A market order trades at the current price; with none yet it waits for the first (:meth:`on_market`)."""
        assert order.instrument is not None
        ltp = self.market.ltp(order.instrument.token)
        if ltp:
            self._fill(order, ltp)
        else:
            order.waiting = True

    def active_tokens(self) -> set[str]:
        """Tokens with resting orders: the market must keep walking them even if nobody subscribes."""
        return {o.instrument.token for o in self.open_orders.values() if o.instrument is not None}

    def on_market(self) -> None:
        """Match resting limit and stop orders against the current market."""
        for order in list(self.open_orders.values()):
            if order.instrument is None or (order.kind == "market" and not order.waiting):
                continue
            ltp = self.market.ltp(order.instrument.token)
            if not ltp:
                continue
            if order.kind == "market":
                self._fill(order, ltp)
                continue
            if order.kind in ("sl", "slm") and not order.triggered:
                if not trigger_hit(order.buy, order.trigger, ltp):
                    continue
                order.triggered = True
                if order.kind == "slm":
                    self._fill(order, ltp)
                    continue
            if limit_crossed(order.buy, order.price, ltp):
                # a limit that is marketable on arrival trades at the market; a resting one at its limit
                if order.resting:
                    fill = order.price
                else:
                    fill = min(ltp, order.price) if order.buy else max(ltp, order.price)
                self._fill(order, fill)
            else:
                order.resting = True

    def _fill(self, order: SimOrder, price: Paisa) -> None:
        if self.fill_price is not None:
            price = self.fill_price(order, price)
        self.open_orders.pop(order.order_number, None)
        order.status = "Executed"
        order.executed_price = price
        if order.instrument is not None:
            book = self.net.setdefault(order.api_key, {})
            book[order.instrument.token] = book.get(order.instrument.token, 0) + (
                order.quantity if order.buy else -order.quantity)
        self._emit(order, "Executed", MSG_EXECUTED, executed_price=price)

    def cancel_timers(self) -> None:
        """Stop scheduled market fills (server shutdown)."""
        for handle in self._fill_handles:
            handle.cancel()
        self._fill_handles.clear()

    # ------------------------------------------------------------------ payloads
    def _emit(self, order: SimOrder, status: str, message: str, *, error: str | None = None,
              executed_price: Paisa | None = None) -> None:
        self.respond(order.api_key, self.payload(order, status, message, error=error, executed_price=executed_price))

    def payload(self, order: SimOrder, status: str, message: str, *, error: str | None = None,
                executed_price: Paisa | None = None) -> dict[str, Any]:
        """An ``order_response`` payload with every key and JSON type of the doc's examples."""
        inst = order.instrument
        now = self.clock().astimezone(IST)
        req = order.request
        qty = order.quantity
        derivative = inst is not None and inst.is_derivative
        if inst is not None and inst.expiry is not None:
            expiry = str(to_nse_seconds(datetime.combine(inst.expiry, time(14, 30), tzinfo=IST)))
        else:
            expiry = "0"
        rejected = status == "Rejected"
        margin = order.required_margin if derivative else 0
        return {
            "book_type": "1",
            "buy_sell": "1" if order.buy else "2",
            "client_id": self.client_id,
            "disclosed_volume": qty,
            "entry_modify_cancel": "0",
            "error": error,
            "executed_price": float(executed_price) if executed_price else 0,
            "expiry_date": expiry,
            "good_till_date": "0000000000",
            "instrument": inst.api_instrument if inst else "",
            "last_modified": "0000000000" if rejected else to_nse_seconds(now),
            "market_limit_sl": str(req.get("market_limit_sl", "")),
            "message": message,
            "net_charges": (margin + 0.031) if rejected and margin else 0.025,
            "option_type": inst.api_option_type if inst else "",
            "order_flag": None,
            "order_number": float(order.order_number),
            "pnl": 0,
            "price": float(order.price),
            "required_margin": margin,
            "status": status,
            "strike_price": str(inst.strike // 100 if inst and inst.strike else 0),
            "symbol": (inst.name or inst.symbol) if inst and derivative else (inst.symbol if inst else ""),
            "timestamp": format_order_timestamp(now),
            "token_number": str(req.get("token_number", "")),
            "transaction_id": next(self._transactions),
            "trigger_price": float(order.trigger),
            "user_id": self.user_id,
            "volume": qty,
        }
