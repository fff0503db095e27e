"""``python -m airalgo_desktop report``: the day report from the journal, read while the app may hold it."""

from __future__ import annotations

import io
from argparse import Namespace

from airalgo_desktop.cli import report_command
from airalgo_desktop.domain.nsetime import now_ist
from airalgo_desktop.domain.orders import OrderKind, OrderRecord, OrderRequest, OrderStatus, Side
from airalgo_desktop.store.journal import Journal
from tests.desk.fakes import update


def _order(journal: Journal, local_id: str, side: Side, price: int, charges: float) -> None:
    record = OrderRecord(local_id, OrderRequest("2885", side, OrderKind.MARKET, 10), "RELIANCE", now_ist())
    journal.record_sent(record)
    record.status, record.executed_price = OrderStatus.EXECUTED, price
    journal.record_update(record, update("2885", "Executed", side=side, quantity=10, price=price),
                          {"status": "Executed", "net_charges": charges})


def run(**kwargs: object) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    args = Namespace(**{"date": None, "csv": None, "home": None, **kwargs})
    return report_command(args, out, err), out.getvalue(), err.getvalue()


def test_report_reads_the_journal_the_app_holds_and_writes_csv(tmp_path) -> None:
    data = tmp_path / "data"
    journal = Journal.open(data)  # the app is running: the journal is locked
    try:
        _order(journal, "A1", Side.BUY, 1300_00, 12.0)
        _order(journal, "A2", Side.SELL, 1310_00, 13.0)
        csv_path = tmp_path / "day.csv"
        code, out, _err = run(data_dir=str(data), csv=str(csv_path))
    finally:
        journal.close()
    assert code == 0
    assert "2 fills in 1 instrument · gross +₹100.00" in out and "RELIANCE" in out
    raw = csv_path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf") and b",0.25," in raw  # reported charges: 12 + 13 paisa → ₹0.25


def test_report_says_what_is_wrong_in_one_sentence(tmp_path) -> None:
    code, _out, err = run(data_dir=str(tmp_path / "none"))
    assert code == 2 and "no order journal" in err
    code, _out, err = run(data_dir=str(tmp_path), date="06-12-2026")
    assert code == 2 and "is not a date" in err
