r"""Orders from ticket to answer: validate → journal → send once → correlate → journal → tell the views.

The service keeps :class:`~airalgo_desktop.domain.orders.OrderRecord`\ s up to date (the order book's rows; the desk
shares its app-lifetime dict with it). Listeners are called with the record after every change, *after* the journal
has it (when a journal is attached).

When the journal fails: a ticket it cannot record is not sent (and leaves no record behind: it never feeds the
duplicate guard); an exchange answer it cannot record still reaches the screen — a fill is never hidden — and
the order says "not journalled" with the reason.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from statistics import median
from typing import Any, Protocol

from ..api.client import NotConnectedError, OrderValidationError
from ..api.events import ConnectionState, Event, LateOrderResponse, OrderEvent, OrderUnknown, OrderWritten
from ..domain.instruments import Instrument, Master
from ..domain.nsetime import now_ist
from ..domain.orders import OrderRecord, OrderRequest, OrderStatus, OrderUpdate
from ..listeners import Listeners
from ..logs import RateLimitFilter

log = logging.getLogger("airalgo.services.orders")
log.addFilter(RateLimitFilter(burst=5, period=10.0))  # a flood of junk answers on a full disk stays a trickle


NOT_JOURNALLED = "not journalled"


@dataclass(frozen=True, slots=True)
class Latency:
    """Send → the exchange's first answer (Pending, or the final answer when it comes first) of a run's orders.

    The first answer, not the fill: a limit order resting for minutes is the market's time, not the link's."""

    median_ms: float
    worst_ms: float
    count: int


def latency_of(records: Iterable[OrderRecord]) -> Latency | None:
    """Median and worst Send → first answer over the orders sent in this run (None before the first answer)."""
    firsts = sorted((min(t for t in (r.pending_at, r.final_at) if t is not None) - r.sent_at) * 1000
                    for r in records if r.sent_at is not None and (r.pending_at is not None or r.final_at is not None))
    if not firsts:
        return None
    return Latency(median(firsts), firsts[-1], len(firsts))


class OrderNotJournalled(RuntimeError):
    """The journal could not record the ticket, so it was not sent. The text says why."""


class OrderClient(Protocol):
    """What the service needs from a connection (``AirAlgoClient`` has it; tests use a fake)."""

    @property
    def state(self) -> ConnectionState: ...
    def now(self) -> float: ...
    def add_listener(self, listener: Callable[[Event], None]) -> None: ...
    def remove_listener(self, listener: Callable[[Event], None]) -> None: ...
    def new_local_id(self) -> str: ...
    def place_order(self, request: OrderRequest, instrument: Instrument | None, *,
                    local_id: str | None = None) -> str: ...
    def track_order(self, local_id: str, request: OrderRequest, *, order_number: str | None = None) -> None: ...


class Journal(Protocol):
    """What the service needs from an order journal (the SQLite one lives in ``store/``). Both methods raise on
    failure (any exception)."""

    def record_sent(self, record: OrderRecord) -> None: ...
    def record_update(self, record: OrderRecord, update: OrderUpdate | None, raw: dict[str, Any] | None) -> None: ...


class OrderService:
    """Places orders through one connection and keeps their records up to date. ``records`` may be shared with an
    owner that outlives the connection (the desk): a new service then follows the open ones (:meth:`follow_open`)."""

    def __init__(self, client: OrderClient, master: Master, journal: Journal | None = None,
                 clock: Callable[[], float] | None = None, records: dict[str, OrderRecord] | None = None) -> None:
        self.client = client
        self.master = master
        self.journal = journal
        self.clock = clock or client.now
        self.records: dict[str, OrderRecord] = {} if records is None else records
        self._by_number: dict[str, str] = {r.order_number: r.local_id for r in self.records.values()
                                           if r.order_number}
        self._listeners: Listeners[OrderRecord] = Listeners(log, "order listener")
        client.add_listener(self._on_client_event)

    def close(self) -> None:
        """Stop listening to the client (the connection is being replaced); the records stay with their owner."""
        self.client.remove_listener(self._on_client_event)

    def follow_open(self) -> int:
        """Ask the client to correlate late answers to every open record (Sent, Pending, Unknown). Nothing is sent,
        nothing is resent. Returns how many."""
        open_records = [r for r in self.records.values() if r.status.is_open]
        for record in open_records:
            self.client.track_order(record.local_id, record.request, order_number=record.order_number)
        return len(open_records)

    def add_listener(self, listener: Callable[[OrderRecord], None]) -> None:
        """Call ``listener(record)`` whenever a record is added or changes."""
        self._listeners.add(listener)

    def _notify(self, record: OrderRecord) -> None:
        self._listeners.emit(record)

    def check(self, request: OrderRequest) -> list[str]:
        """Every reason the ticket cannot be sent now (validation, connection)."""
        problems = request.validate(self.master.get(request.token))
        if not self.client.state.joined:
            problems.append(f"Not connected ({self.client.state.describe()}).")
        return problems

    def place(self, request: OrderRequest) -> OrderRecord:
        """Validate, journal, send once. Raises OrderValidationError / NotConnectedError with nothing sent."""
        instrument = self.master.get(request.token)
        problems = request.validate(instrument)
        if problems:
            raise OrderValidationError(problems)
        if not self.client.state.joined:
            raise NotConnectedError(f"not connected ({self.client.state.describe()}): the order was not sent")
        local_id = self.client.new_local_id()
        record = OrderRecord(local_id, request, instrument.display if instrument else request.token, now_ist(),
                             sent_at=self.clock())
        record.history.append("Sent")
        if self.journal is not None:
            try:
                self.journal.record_sent(record)  # before the frame exists: a crash now still leaves a trace
            except Exception as exc:
                log.error("order %s not sent: the journal could not record it: %s", local_id, exc)
                raise OrderNotJournalled(f"Not sent: the order journal could not record it ({exc}).") from exc
        self.records[local_id] = record  # only a journalled ticket becomes an order (and counts for the guards)
        self.client.place_order(request, instrument, local_id=local_id)
        self._notify(record)
        return record

    def recent_orders(self, window: float) -> list:
        """Orders sent in the last ``window`` seconds (for the duplicate guard)."""
        from .guards import RecentOrder

        now = self.clock()
        return [RecentOrder(r.request.token, r.request.side.value, r.request.quantity, r.request.kind.value,
                            r.sent_at) for r in self.records.values()
                if r.sent_at is not None and now - r.sent_at <= window]

    def _on_client_event(self, event: Event) -> None:
        if isinstance(event, OrderEvent):
            self._on_update(event.local_id, event.update)
        elif isinstance(event, LateOrderResponse):
            self._on_late(event)
        elif isinstance(event, OrderUnknown):
            record = self.records.get(event.local_id)
            if record is not None and record.status is OrderStatus.SENT:
                record.status = OrderStatus.UNKNOWN
                record.message = "Not confirmed: the connection dropped before an answer. Not resent."
                record.history.append("Unknown")
                self._journal_update(record, None, None)
                self._notify(record)
        elif isinstance(event, OrderWritten):
            record = self.records.get(event.local_id)
            if record is not None:
                record.written_at = event.at

    def _on_update(self, local_id: str | None, update: OrderUpdate) -> None:
        if local_id is None and update.order_number:
            local_id = self._by_number.get(update.order_number)
        record = self.records.get(local_id) if local_id else None
        if record is None:
            # an order this session did not place (another terminal, or before a restart): show it anyway
            local_id = f"X{update.order_number or len(self.records) + 1}"
            record = self.records.get(local_id)
            if record is None:
                from ..domain.orders import OrderKind, Side

                request = OrderRequest(update.token, update.side or Side.BUY, update.kind or OrderKind.MARKET,
                                       update.quantity or 0, price=update.price, trigger_price=update.trigger_price)
                inst = self.master.get(update.token)
                record = OrderRecord(local_id, request, inst.display if inst else (update.symbol or update.token),
                                     update.exchange_time or now_ist())
                self.records[local_id] = record
        now = self.clock()
        if update.order_number:
            record.order_number = update.order_number
            self._by_number[update.order_number] = record.local_id
        status = update.status
        if record.status.is_final and status is not None and status.is_final and (
                status is not record.status or (update.executed_price or record.executed_price)
                != record.executed_price):
            # a second final answer that contradicts the first (an order final since an earlier run, which the
            # connection no longer follows): journalled raw, never applied — positions never change silently
            record.history.append(f"{update.status_text or '?'} (late)")
            record.message = (f"A late answer says {update.status_text or '?'!r} after {record.status.value!r}: "
                              "not applied — check this order with your broker.")
            self._journal_update(record, update, update.raw)
            self._notify(record)
            return
        if status is None:
            record.message = f"Unrecognised status {update.status_text!r}: {update.message}"
        elif not (record.status.is_final and not status.is_final):  # never step back from a final state
            record.status = status
            record.message = update.reason if status is OrderStatus.REJECTED else update.message
        if status is OrderStatus.PENDING and record.pending_at is None:
            record.pending_at = now
        if status is not None and status.is_final and record.final_at is None:
            record.final_at = now
        if update.executed_price:
            record.executed_price = update.executed_price
        record.exchange_time = update.exchange_time or record.exchange_time
        record.history.append(update.status_text or "?")
        self._journal_update(record, update, update.raw)
        self._notify(record)  # an exchange answer always reaches the screen, journalled or not

    def _on_late(self, event: LateOrderResponse) -> None:
        """An answer for an order already final: journalled raw, never applied — the final answer stands, so
        positions cannot change silently; one that contradicts it is said on the order for a person to check."""
        record = self.records.get(event.local_id)
        if record is None:
            return
        update = event.update
        record.history.append(f"{update.status_text or '?'} (late)")
        if event.contradicts:
            record.message = (f"A late answer says {update.status_text or '?'!r} after {event.final.status_text!r}: "
                              "not applied — check this order with your broker.")
            log.warning("order %s: late %r after %r not applied", record.local_id, update.status_text,
                        event.final.status_text)
        self._journal_update(record, update, update.raw)
        self._notify(record)

    def _journal_update(self, record: OrderRecord, update: OrderUpdate | None, raw: dict[str, Any] | None) -> None:
        """Journal a change; on failure say "not journalled" on the order (and in the log) instead of hiding it."""
        if self.journal is None:
            return
        try:
            self.journal.record_update(record, update, raw)
        except Exception as exc:
            log.error("order %s: %s answer not journalled: %s", record.local_id, record.status.value, exc)
            note = f"{NOT_JOURNALLED} ({exc})"
            if NOT_JOURNALLED not in record.message:
                record.message = f"{record.message} — {note}" if record.message else note
