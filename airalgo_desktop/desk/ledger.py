"""The order ledger: every order of the run, from the ticket to the exchange's answer, and the fills they make.

It owns the journal, the app-lifetime order records (by local id), the fills booked from them, the trader's word on
unanswered orders (mark-checked), the day-order expiry, the send → answer latency and the trading guards.

**One way in.** :meth:`OrderLedger.place` is the only call that sends an order: the ticket, a chain's Buy/Sell,
and later baskets, protective triggers and strategies all come through it, and the order service (which writes the
frame) is private to the ledger. :meth:`OrderLedger._admit` is the one step every order passes before the journal —
validation, the connection and the risk gate (:meth:`OrderLedger.use_gate`; ``desk/risk.py``), so no path can skip
it. A refused order is journalled as *refused by your limits* (Rejected, never sent) and shown in the order book.
"""

from __future__ import annotations

import contextlib
import logging
from datetime import date

from ..api.client import NotConnectedError, OrderValidationError
from ..domain.money import Paisa
from ..domain.nsetime import IST, now_ist
from ..domain.orders import CheckedOutcome, OrderRecord, OrderRequest, OrderStatus, TraderCheck
from ..services.guards import GuardSettings, Verdict
from ..services.guards import evaluate as evaluate_guards
from ..services.orders import Latency, OrderService, latency_of
from ..services.positions import Fill
from ..services.risk import REFUSED, Gate, OpenGate, OrderRefused, Refusal, Source
from ..store.journal import Journal, JournalWriteError, UnavailableJournal
from .notices import (
    FillsBooked,
    GuardsChanged,
    OrderChanged,
    OrderFilled,
    OrderNotConfirmed,
    OrderRejected,
    Problem,
)
from .part import DeskClient, DeskContext, Part

log = logging.getLogger("airalgo.desk")


class OrderLedger(Part):
    """The run's orders and fills; sends through the one :meth:`place`."""

    def __init__(self, ctx: DeskContext, journal: Journal | UnavailableJournal | None) -> None:
        self.ctx = ctx
        self.journal = journal
        self.records: dict[str, OrderRecord] = {}  # app-lifetime, by local id (the order book's rows)
        self.guard_settings = ctx.prefs.load_guards()
        self.client: DeskClient | None = None
        self._service: OrderService | None = None  # private: nothing sends an order except place()
        self._fill_of: dict[str, Fill] = {}  # local id → its booked fill (to take it out again)
        self._filled: set[str] = set()  # local ids already booked (restore and live never count one twice)
        self._announced: set[str] = set()  # local ids whose rejection was announced
        self._day = now_ist().date()  # the trading day the records belong to (a new day expires Day orders)
        self._gate: Gate = OpenGate()

    def use_gate(self, gate: Gate) -> None:
        """The risk gate every order passes inside :meth:`place` (the hub gives it at start)."""
        self._gate = gate

    # ---------------------------------------------------------------- the one restore path
    def restore(self, day: date | None = None) -> list[OrderRecord]:
        """Read the journal once: today's orders become records (those without a final answer *Unknown — not
        confirmed*), executed ones become fills; earlier days' unanswered orders expire. Publishes an
        :class:`OrderChanged` per record. The next connection follows the open ones (:meth:`attached`)."""
        if self.journal is None:
            return []
        if self.journal.notice:
            self.ctx.publish(Problem(self.journal.notice, persistent=True))
        today = day or now_ist().date()
        self._day = today
        journaled = self.journal.orders_for(today)
        records: list[OrderRecord] = []
        fills: list[Fill] = []
        # earlier days' orders that never got a final answer: Day orders, expired at their close — shown once as
        # such (and journalled as expired), never left "Unknown" forever
        for j in self.journal.unanswered_before(today):
            record = OrderRecord.from_journal(j, today)
            self.records[record.local_id] = record
            records.append(record)
            with contextlib.suppress(JournalWriteError):  # a full disk: kept and written later (the journal says)
                self.journal.record_update(record, None, None)
            self.ctx.publish(OrderChanged(record))
        for j in journaled:
            record = OrderRecord.from_journal(j, today)
            self.records[record.local_id] = record
            records.append(record)
            if record.fill_price and (fill := self._book(record, j.created.timestamp())) is not None:
                fills.append(fill)
            self.ctx.publish(OrderChanged(record))
        if fills:
            self.ctx.publish(FillsBooked(tuple(fills)))
        if (unread := self.journal.read_problem()) is not None:  # rows left out: listed, the rest loaded
            self.ctx.publish(Problem(unread, persistent=True))
        if journaled:
            log.info("journal: %d orders today, %d without a final answer", len(journaled),
                     sum(1 for j in journaled if j.status.is_open))
        return records

    # ---------------------------------------------------------------- connections
    def attached(self, client: DeskClient) -> None:
        """Follow every open record on ``client`` (a late answer still resolves it; nothing is resent)."""
        self.client = client
        service = OrderService(client, self.ctx.master, journal=self.journal, records=self.records)
        service.add_listener(self._on_record)
        followed = service.follow_open()
        if followed:
            log.info("following %d open orders on the new connection", followed)
        self._service = service

    def detached(self) -> None:
        """Stop listening to the old connection; the records stay."""
        self.client = None
        if self._service is not None:
            self._service.close()
            self._service = None

    def sample(self, now: float) -> None:
        """At a new IST day, the day's orders still open expire (the app ran past midnight)."""
        today = now_ist().date()
        if today != self._day:
            self._day = today
            self.expire_day_orders(today)
        if self.journal is not None:
            self.journal.retry_pending()  # answers a full disk refused go in once it takes them (rate-limited)

    def close(self) -> None:
        """Flush and close the journal (after the last connection is detached)."""
        if self.journal is not None:
            self.journal.close()

    # ---------------------------------------------------------------- the ticket's three calls
    def check(self, request: OrderRequest) -> list[str]:
        """Every reason ``request`` cannot be sent now (validation, connection, the trader's limits — as the gate
        would refuse it, without counting or locking anything)."""
        if self._service is None:
            problems = [*request.validate(self.ctx.master.get(request.token)), "Not connected."]
        else:
            problems = self._service.check(request)
        refusal = self._gate.preview(request)
        if refusal is not None:
            problems.append(refusal.before_send)
        return problems

    def guards(self, request: OrderRequest) -> list[Verdict]:
        """The trading guards' verdicts on ``request`` (duplicates are looked for across connections)."""
        client = self.client
        now = client.now() if client is not None else 0.0
        recent = self._service.recent_orders(self.guard_settings.duplicate_window_s) if self._service else []
        return evaluate_guards(
            request, self.ctx.master.get(request.token), ltp=self.ctx.store.ltp(request.token),
            tick_age=client.metrics.last_tick_age(now) if client is not None else None,
            recent=recent, now=now, settings=self.guard_settings)

    def place(self, request: OrderRequest, source: Source = Source.TICKET) -> OrderRecord:
        """The one way an order is sent, whoever sends it (``source``): admit (validation, connection, the risk
        gate), journal, send once. Raises (nothing sent) when invalid, not connected, refused by the trader's limits
        (:class:`OrderRefused`, journalled as such) or when the journal cannot record it."""
        service = self._admit(request, source)
        record = service.place(request)
        self._gate.placed(record)
        return record

    def _admit(self, request: OrderRequest, source: Source) -> OrderService:
        """The step every order passes before the journal sees it. Raises with nothing sent; returns the service
        that journals and sends it."""
        if self._service is None:
            raise NotConnectedError("not connected: the order was not sent")
        problems = request.validate(self.ctx.master.get(request.token))
        if problems:
            raise OrderValidationError(problems)
        refusal = self._gate.assess(request, source)
        if refusal is not None:
            self._refuse(request, refusal, source)
            raise OrderRefused(refusal)
        return self._service

    def _refuse(self, request: OrderRequest, refusal: Refusal, source: Source) -> None:
        """Journal and show an order the trader's limits refused: Rejected, never sent, the reason as its message."""
        client = self.client
        assert client is not None
        instrument = self.ctx.master.get(request.token)
        record = OrderRecord(client.new_local_id(), request, instrument.display if instrument else request.token,
                             now_ist(), status=OrderStatus.REJECTED, message=refusal.message)
        record.history.append(REFUSED)
        if self.journal is not None:
            try:
                self.journal.record_update(record, None, {REFUSED: refusal.message, "rule": refusal.rule,
                                                          "source": source.value, "order": request.to_payload()})
            except Exception as exc:  # refused either way; the order book still shows it
                log.error("refused order %s not journalled: %s", record.local_id, exc)
        self.records[record.local_id] = record
        self.ctx.publish(OrderChanged(record))

    def set_guards(self, settings: GuardSettings) -> None:
        """New guard settings, saved."""
        self.guard_settings = settings
        self.ctx.prefs.save_guards(settings)
        self.ctx.publish(GuardsChanged(settings))

    def latency(self) -> Latency | None:
        """Median and worst Send → first answer over the orders sent in this run (None before the first answer)."""
        return latency_of(self.records.values())

    # ---------------------------------------------------------------- the trader's word on unanswered orders
    def mark_checked(self, local_id: str, outcome: CheckedOutcome, price: Paisa = 0, note: str = "") -> OrderRecord:
        """Record what the trader found out elsewhere about an order the exchange has not answered (Unknown):
        journalled as the trader's statement — never as an exchange answer — and positions follow it. A later
        exchange answer still wins. Raises ValueError when the order has an answer or the price is missing."""
        record = self.records.get(local_id)
        if record is None:
            raise ValueError(f"no order {local_id}")
        if record.status is not OrderStatus.UNKNOWN:
            raise ValueError(f"the order is {record.status.value}: only an Unknown order can be marked as checked")
        if outcome is CheckedOutcome.EXECUTED and price <= 0:
            raise ValueError("an execution needs the price it was executed at")
        record.checked = TraderCheck(outcome, price if outcome is CheckedOutcome.EXECUTED else 0, note.strip(),
                                     now_ist())
        record.history.append(f"Checked: {outcome.label}")
        if self.journal is not None:
            self.journal.record_check(record)  # before anyone is told
        self._rebook(record)
        self.ctx.publish(OrderChanged(record))
        return record

    def expire_day_orders(self, today: date) -> int:
        """Orders of an earlier trading day still without a final answer (the app ran past midnight): expired."""
        count = 0
        for record in self.records.values():
            if record.status.is_open and record.created.astimezone(IST).date() < today:
                record.expire()
                if self.journal is not None:
                    with contextlib.suppress(JournalWriteError):  # kept and written later; the rest still expire
                        self.journal.record_update(record, None, None)
                self._rebook(record)
                self.ctx.publish(OrderChanged(record))
                count += 1
        return count

    # ---------------------------------------------------------------- answers and fills
    def _on_record(self, record: OrderRecord) -> None:
        publish = self.ctx.publish
        publish(OrderChanged(record))
        if record.checked is not None and record.status.is_final:
            # the exchange answered an order the trader had marked as checked: its answer wins, positions follow it
            self._rebook(record)
            if record.status is OrderStatus.EXECUTED and record.local_id in self._fill_of:
                publish(OrderFilled(record, self._fill_of[record.local_id]))
            elif record.status is OrderStatus.REJECTED:
                publish(OrderRejected(record))
            return
        if record.status is OrderStatus.EXECUTED and record.local_id not in self._filled:
            fill = self._book(record, self.ctx.clock())
            if fill is not None:
                publish(FillsBooked((fill,)))
                if record.final_at is not None:
                    publish(OrderFilled(record, fill))
        elif record.status is OrderStatus.REJECTED and record.final_at is not None \
                and record.local_id not in self._announced:
            self._announced.add(record.local_id)  # a late answer after the rejection is not a second rejection
            publish(OrderRejected(record))
        elif record.status is OrderStatus.UNKNOWN:
            publish(OrderNotConfirmed(record))
        if record.status.is_final and record.final_at is not None and record.sent_at is not None:
            log.info("order %s latency: pending %s ms, final %.0f ms", record.local_id,
                     f"{(record.pending_at - record.sent_at) * 1000:.0f}" if record.pending_at else "—",
                     (record.final_at - record.sent_at) * 1000)

    def _book(self, record: OrderRecord, at: float) -> Fill | None:
        """An executed order's fill, booked once — at the exchange's price, or at the price the trader checked
        while the exchange is silent (:attr:`OrderRecord.fill_price`). None when there is nothing to book."""
        self._filled.add(record.local_id)
        req = record.request
        price = record.fill_price
        if req.quantity <= 0 or price <= 0:
            return None
        fill = Fill(req.token, req.side, req.quantity, price, at)
        self._fill_of[record.local_id] = fill
        return fill

    def _rebook(self, record: OrderRecord) -> None:
        """The fills follow a changed view of one order (a trader's check, or the exchange answer that replaces
        it): its fill is taken out and put back as it now stands."""
        old = self._fill_of.pop(record.local_id, None)
        self._filled.discard(record.local_id)
        added = self._book(record, old.at if old is not None else self.ctx.clock())
        if old is None and added is None:
            return
        self.ctx.publish(FillsBooked(replaced=tuple(self._fill_of.values())))
