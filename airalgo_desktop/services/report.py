"""The day report: every fill of a trading day, realised and unrealised P&L per instrument, the exchange's
reported charges where ``order_response`` carried them, the estimated statutory charges (:mod:`.charges`) and the
net. Pure: built from order records, an instrument lookup and the LTPs known (none for a closed day read from
its journal: open quantity is then shown at cost, and said so).

CSV export is UTF-8 with a byte-order mark, so Excel on Windows shows ₹ and names intact.
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from ..domain.instruments import Instrument
from ..domain.money import Paisa, format_plain, format_rupees
from ..domain.orders import OrderRecord, OrderStatus, OrderUpdate
from .charges import Charges, estimate
from .positions import Fill, Position, round_paisa
from .shadow import ShadowSummary


@dataclass
class ReportRow:
    """One instrument's day."""

    token: str
    label: str
    fills: list[Fill]
    position: Position
    ltp: Paisa | None
    charges: Charges
    reported: Paisa | None  # Σ net_charges the exchange reported for these orders (None: none reported)

    @property
    def realised(self) -> Paisa:
        """Matched quantity × (average sell − average buy)."""
        return self.position.realised()

    @property
    def unrealised(self) -> Paisa:
        """Open quantity at the LTP (0 without an LTP: open quantity counted at cost)."""
        return self.position.unrealised(self.ltp)

    @property
    def gross(self) -> Paisa:
        """Realised + unrealised, exactly as the positions total counts it."""
        return self.position.total_pnl(self.ltp)

    @property
    def net(self) -> Paisa:
        """Gross less the estimated charges."""
        return self.gross - self.charges.total


@dataclass
class DayReport:
    """A trading day's report; :attr:`rows` one per instrument traded."""

    day: date
    rows: list[ReportRow] = field(default_factory=list)
    orders: int = 0
    rejected: int = 0
    notes: list[str] = field(default_factory=list)
    shadow: ShadowSummary | None = None  # live mode with shadow fills: the day's slippage against the paper twins

    @property
    def charges(self) -> Charges:
        """The day's estimated charges, all instruments."""
        total = Charges()
        for row in self.rows:
            total.add(row.charges)
        return total

    @property
    def gross(self) -> Paisa:
        """Σ realised + unrealised."""
        return sum(r.gross for r in self.rows)

    @property
    def net(self) -> Paisa:
        """Gross less estimated charges."""
        return self.gross - self.charges.total

    @property
    def reported(self) -> Paisa | None:
        """Σ charges the exchange reported (None when no order carried any)."""
        figures = [r.reported for r in self.rows if r.reported is not None]
        return sum(figures) if figures else None

    def summary(self) -> str:
        """One line: ``"12 fills in 3 instruments · gross +₹1,240.00 · charges ₹96.20 (est.) · net +₹1,143.80"``."""
        fills = sum(len(r.fills) for r in self.rows)
        return (f"{fills} fill{'s' if fills != 1 else ''} in {len(self.rows)} instrument"
                f"{'s' if len(self.rows) != 1 else ''} · gross {format_rupees(self.gross, sign=True)} · charges "
                f"{format_rupees(self.charges.total)} (est.) · net {format_rupees(self.net, sign=True)}")


def reported_charges(raw: Mapping[str, object] | None) -> Paisa | None:
    """``net_charges`` of an ``order_response`` payload, in paisa (the protocol notes read it as paisa), or None."""
    if not raw:
        return None
    value = raw.get("net_charges")
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        return None
    try:
        number = float(value)
    except ValueError:
        return None
    if not 0 <= number < 1e12:
        return None
    return round(number)


def final_charges(events: Iterable[tuple[str, str | None, Mapping[str, Any] | None]]) -> Paisa | None:
    """The ``net_charges`` of the answer that made an order final, from its journal events ``(kind, status, raw)``
    in journal order — never of a later answer: a duplicate or stale answer after the final one is journalled too
    (every ``order_response`` is kept), and must not replace the figure. As the order itself does (the correlator),
    a later answer of the same final status that brings the price the final one lacked takes its place. An order no
    exchange answer made final (the trader checked it as executed) keeps the last answer's figure."""
    final_status: OrderStatus | None = None
    final_price: Paisa = 0
    final_raw: Mapping[str, Any] | None = None
    last: Paisa | None = None
    for kind, _status, raw in events:
        if kind != "response" or not isinstance(raw, Mapping):
            continue
        if final_status is None and (paisa := reported_charges(raw)) is not None:
            last = paisa
        status = OrderStatus.from_wire(raw.get("status"))
        if status is None or not status.is_final:
            continue
        update = OrderUpdate.from_payload(dict(raw))
        price = update.executed_price if update is not None else 0
        if final_status is None or (status is final_status and final_price <= 0 < price):
            final_status, final_price, final_raw = status, price, raw
    if final_status is None:
        return last
    return reported_charges(final_raw)


def reported_by_order(events_for: Callable[[str], Iterable[tuple[str, str | None, Mapping[str, Any] | None]]],
                      local_ids: Iterable[str]) -> dict[str, Paisa]:
    """local id → the charges the exchange reported for that order (:func:`final_charges`), read with the journal's
    ``events_for``. An order whose events cannot be read is left out of the figure, never the report."""
    out: dict[str, Paisa] = {}
    for local_id in local_ids:
        try:
            paisa = final_charges(events_for(local_id))
        except Exception:  # an unreadable journal leaves the figure out, never the report
            continue
        if paisa is not None:
            out[local_id] = paisa
    return out


def build(day: date, records: Iterable[OrderRecord], lookup: Callable[[str], Instrument | None],
          ltps: Mapping[str, Paisa] | None = None, reported: Mapping[str, Paisa] | None = None,
          label: Callable[[str], str] | None = None) -> DayReport:
    """The report of ``day`` from its order records (executed ones, or checked by the trader as executed, count as
    fills). ``reported`` maps local id → the charges the exchange reported for that order."""
    report = DayReport(day)
    by_token: dict[str, list[Fill]] = {}
    reported_by_token: dict[str, Paisa] = {}
    for record in records:
        report.orders += 1
        if record.status.value == "Rejected":
            report.rejected += 1
        price = record.fill_price
        if not price:
            continue
        token = record.request.token
        by_token.setdefault(token, []).append(
            Fill(token, record.request.side, record.request.quantity, price, record.created.timestamp()))
        if reported and record.local_id in reported:
            reported_by_token[token] = reported_by_token.get(token, 0) + reported[record.local_id]
    ltps = ltps or {}
    for token, fills in by_token.items():
        position = Position(token)
        for fill in fills:
            position.add(fill)
        instrument = lookup(token)
        name = label(token) if label is not None else (instrument.display if instrument is not None else token)
        report.rows.append(ReportRow(token, name, fills, position, ltps.get(token), estimate(fills, instrument),
                                     reported_by_token.get(token)))
    report.rows.sort(key=lambda r: r.label)
    if any(r.position.net and r.ltp is None for r in report.rows):
        report.notes.append("Open quantity without a price is counted at cost (no unrealised P&L).")
    report.notes.append("Charges are an estimate of statutory charges (STT, exchange, SEBI, stamp duty, GST) "
                        "without brokerage; your contract note is the final word.")
    return report


HEADER = ["Instrument", "Token", "Fills", "Bought", "Sold", "Net", "Avg buy (₹)", "Avg sell (₹)", "LTP (₹)",
          "Realised (₹)", "Unrealised (₹)", "Gross (₹)", "STT (₹)", "Exchange + IPFT (₹)", "SEBI (₹)",
          "Stamp (₹)", "GST (₹)", "Charges est. (₹)", "Reported by exchange (₹)", "Net (₹)"]


def _avg(value: object) -> str:
    return "" if value is None else format_plain(round_paisa(value))  # type: ignore[arg-type]


def write_csv(report: DayReport, path: Path) -> None:
    """The report as CSV, UTF-8 with a BOM (Excel on Windows), rupees as plain decimals, a totals row."""
    with path.open("w", encoding="utf-8-sig", newline="") as fh:
        out = csv.writer(fh)
        out.writerow(HEADER)
        for r in report.rows:
            p, c = r.position, r.charges
            out.writerow([r.label, r.token, len(r.fills), p.bought, p.sold, p.net, _avg(p.avg_buy), _avg(p.avg_sell),
                          "" if r.ltp is None else format_plain(r.ltp), format_plain(r.realised),
                          format_plain(r.unrealised), format_plain(r.gross), format_plain(c.stt),
                          format_plain(c.exchange + c.ipft), format_plain(c.sebi), format_plain(c.stamp),
                          format_plain(c.gst), format_plain(c.total),
                          "" if r.reported is None else format_plain(r.reported), format_plain(r.net)])
        c = report.charges
        total_reported = report.reported
        out.writerow(["Total", "", sum(len(r.fills) for r in report.rows), "", "", "", "", "", "",
                      format_plain(sum(r.realised for r in report.rows)),
                      format_plain(sum(r.unrealised for r in report.rows)), format_plain(report.gross),
                      format_plain(c.stt), format_plain(c.exchange + c.ipft), format_plain(c.sebi),
                      format_plain(c.stamp), format_plain(c.gst), format_plain(c.total),
                      "" if total_reported is None else format_plain(total_reported), format_plain(report.net)])


def text_lines(report: DayReport) -> list[str]:
    """The report as plain text lines (the CLI prints these)."""
    lines = [f"Day report {report.day:%d %b %Y}: {report.orders} orders, {report.rejected} rejected",
             report.summary(), ""]
    for r in report.rows:
        lines.append(f"{r.label:<28} net {r.position.net:>7}  realised {format_rupees(r.realised, sign=True):>14}  "
                     f"unrealised {format_rupees(r.unrealised, sign=True):>14}  charges "
                     f"{format_rupees(r.charges.total):>11}  net {format_rupees(r.net, sign=True):>14}")
    if report.shadow is not None:
        lines.extend(["", report.shadow.describe(total_ticks=True)])
    lines.extend(["", *report.notes])
    return lines
