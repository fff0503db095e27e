"""The day report: fills per instrument, P&L equal to the positions' figures, charges, CSV with a BOM."""

from __future__ import annotations

import csv
from datetime import date, datetime

from airalgo_desktop.domain.instruments import Instrument
from airalgo_desktop.domain.nsetime import IST
from airalgo_desktop.domain.orders import OrderKind, OrderRecord, OrderRequest, OrderStatus, Side
from airalgo_desktop.services.charges import estimate
from airalgo_desktop.services.positions import Fill, PositionBook
from airalgo_desktop.services.report import (
    build,
    final_charges,
    reported_by_order,
    reported_charges,
    text_lines,
    write_csv,
)

DAY = date(2027, 1, 4)
EXPIRY = date(2027, 1, 28)
INSTRUMENTS = {
    "2885": Instrument("2885", "RELIANCE", "Reliance Industries"),
    "C1": Instrument("C1", "NIFTY27JAN23500CE", "NIFTY", "NSE", "NFO", "CE", EXPIRY, 23500_00, lot_size=65),
}


def record(n: int, token: str, side: Side, qty: int, price: int, status=OrderStatus.EXECUTED) -> OrderRecord:
    return OrderRecord(f"L{n}", OrderRequest(token, side, OrderKind.MARKET, qty), INSTRUMENTS[token].symbol,
                       datetime(2027, 1, 4, 9, 30 + n, tzinfo=IST), status=status,
                       executed_price=price if status is OrderStatus.EXECUTED else 0)


RECORDS = [
    record(1, "2885", Side.BUY, 100, 1300_00),
    record(2, "2885", Side.SELL, 60, 1310_00),
    record(3, "C1", Side.SELL, 65, 120_00),
    record(4, "C1", Side.BUY, 65, 100_00),
    record(5, "C1", Side.SELL, 130, 0, OrderStatus.REJECTED),
]


def test_report_matches_positions_and_charges():
    ltps = {"2885": 1305_00, "C1": 90_00}
    report = build(DAY, RECORDS, INSTRUMENTS.get, ltps, reported={"L3": 2, "L4": 3})
    assert report.orders == 5 and report.rejected == 1
    assert sorted(r.token for r in report.rows) == ["2885", "C1"]
    book = PositionBook([Fill(r.request.token, r.request.side, r.request.quantity, r.executed_price)
                         for r in RECORDS if r.status is OrderStatus.EXECUTED])
    assert report.gross == book.total(ltps)  # the report and Positions agree to the paisa
    rows = {r.token: r for r in report.rows}
    assert rows["C1"].realised == 65 * 20_00 and rows["C1"].reported == 5 and rows["2885"].reported is None
    assert rows["2885"].realised == 60 * 10_00 and rows["2885"].unrealised == 40 * 5_00
    expected = estimate(rows["C1"].fills, INSTRUMENTS["C1"]).total + estimate(rows["2885"].fills,
                                                                              INSTRUMENTS["2885"]).total
    assert report.charges.total == expected and report.net == report.gross - expected
    assert "2 instruments" in report.summary() and any("estimate" in n for n in report.notes)
    assert any("charges" in line for line in text_lines(report))


def test_closed_day_without_prices_counts_open_quantity_at_cost():
    report = build(DAY, RECORDS, INSTRUMENTS.get)
    assert report.gross == 65 * 20_00 + 60 * 10_00
    assert any("at cost" in n for n in report.notes)


def test_csv_has_a_bom_and_rupee_headers_for_excel(tmp_path):
    path = tmp_path / "report.csv"
    write_csv(build(DAY, RECORDS, INSTRUMENTS.get, {"2885": 1305_00, "C1": 90_00}), path)
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf") and "₹".encode() in raw
    rows = list(csv.reader(path.open(encoding="utf-8-sig", newline="")))
    assert rows[0][0] == "Instrument" and rows[-1][0] == "Total" and len(rows) == 4


def test_reported_charges_are_read_tolerantly():
    assert reported_charges({"net_charges": 0.025}) == 0 and reported_charges({"net_charges": "12.6"}) == 13
    assert reported_charges({"net_charges": None}) is None and reported_charges(None) is None
    assert reported_charges({"net_charges": float("nan")}) is None and reported_charges({"net_charges": -1}) is None


def answer(status: str, charges: float, price: float | None = None) -> tuple[str, str, dict]:
    raw = {"token_number": "2885", "status": status, "order_number": "1001", "buy_sell": "1", "volume": 10,
           "market_limit_sl": "market", "net_charges": charges}
    if price is not None:
        raw["executed_price"] = price
    return ("response", "Executed", raw)


def test_the_charges_are_those_of_the_answer_that_made_the_order_final():
    sent = ("sent", "Sent", {"token_number": "2885"})
    final = answer("Executed", 12.0, 1300.0)
    # a late duplicate, a stale Pending and a contradicting Rejected after the final answer: none overrides it
    assert final_charges([sent, answer("Pending", 5.0), final, answer("Executed", 99.0, 1300.0),
                          answer("Pending", 50.0), answer("Rejected", 77.0)]) == 12
    # an Executed without a price is completed by the answer that brings it (as the order is): that one counts
    assert final_charges([answer("Executed", 5.0), answer("Executed", 7.0, 1300.0),
                          answer("Executed", 99.0, 1300.0)]) == 7
    # the final answer carried no figure: a late one does not supply it
    assert final_charges([answer("Pending", 3.0), ("response", "Executed", {"status": "Executed"}),
                          answer("Executed", 99.0)]) is None
    # no exchange answer made it final (the trader checked it): the last figure an answer gave
    assert final_charges([answer("Pending", 3.0), answer("Pending", 4.0), ("local", "Unknown", None)]) == 4
    assert final_charges([("response", "Executed", ["not", "an", "object"])]) is None


def test_reported_by_order_leaves_an_unreadable_order_out():
    events = {"L1": [answer("Executed", 12.0, 1300.0), answer("Executed", 99.0, 1300.0)], "L2": []}

    def events_for(local_id: str):
        if local_id == "L3":
            raise OSError("disk I/O error")
        return events[local_id]

    assert reported_by_order(events_for, ["L1", "L2", "L3"]) == {"L1": 12}
