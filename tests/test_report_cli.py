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


def test_report_of_the_paper_account_reads_the_paper_journal_only(tmp_path) -> None:
    data = tmp_path / "data"
    live = Journal.open(data)
    _order(live, "A1", Side.BUY, 1300_00, 12.0)
    live.close()
    paper = Journal.open(data, name="paper-journal.db")
    try:
        _order(paper, "P1", Side.BUY, 1300_00, 0.0)
        _order(paper, "P2", Side.SELL, 1320_00, 0.0)
        csv_path = tmp_path / "paper.csv"
        code, out, _err = run(data_dir=str(data), paper=True, csv=str(csv_path))
    finally:
        paper.close()
    assert code == 0 and out.startswith("PAPER — ")
    assert "2 fills in 1 instrument · gross +₹200.00" in out and "PAPER · " in out
    rows = csv_path.read_text(encoding="utf-8-sig").splitlines()[1:]
    assert [row.split(",")[0] for row in rows if row] == ["PAPER · RELIANCE", "Total"]
    code, out, _err = run(data_dir=str(data))
    assert code == 0 and "PAPER" not in out and "1 fill" in out


def test_the_day_report_sums_the_shadow_slippage(tmp_path) -> None:
    from airalgo_desktop.services.shadow import SHADOW_FILE, ShadowFill, append_shadow

    data = tmp_path / "data"
    journal = Journal.open(data)
    try:
        _order(journal, "A1", Side.BUY, 1300_10, 0.0)
        today = now_ist().date()
        append_shadow(data / SHADOW_FILE, today, ShadowFill("A1", "2885", "RELIANCE", Side.BUY, 10, 5, 1300_00,
                                                            1300_10))
        code, out, _err = run(data_dir=str(data))
    finally:
        journal.close()
    assert code == 0 and "Shadow slippage +₹1.00 over 1 order (avg 2.00 ticks), 2 ticks in all" in out
    paper = Journal.open(data, name="paper-journal.db")
    try:
        _order(paper, "P1", Side.BUY, 1300_00, 0.0)
        code, out, _err = run(data_dir=str(data), paper=True)  # the live account's slippage is not the paper one's
    finally:
        paper.close()
    assert code == 0 and out.startswith("PAPER") and "Shadow slippage" not in out


def test_a_late_answer_does_not_replace_the_charges_of_the_final_one(tmp_path) -> None:
    data = tmp_path / "data"
    journal = Journal.open(data)
    try:
        _order(journal, "A1", Side.BUY, 1300_00, 12.0)  # Executed, ₹0.12 reported
        record = OrderRecord("A1", OrderRequest("2885", Side.BUY, OrderKind.MARKET, 10), "RELIANCE", now_ist(),
                             status=OrderStatus.EXECUTED, executed_price=1300_00)
        # a duplicate of the final answer arrives later (kept in the journal, never applied) with another figure
        journal.record_update(record, update("2885", "Executed", quantity=10, price=1300_00),
                              {"status": "Executed", "net_charges": 99.0})
        csv_path = tmp_path / "day.csv"
        code, _out, _err = run(data_dir=str(data), csv=str(csv_path))
    finally:
        journal.close()
    assert code == 0
    rows = csv_path.read_text(encoding="utf-8-sig").splitlines()
    assert ",0.12," in rows[1] and ",0.99," not in rows[1]
