"""A kept answer replayed from journal.db.pending after it was already written rolls the order's status back."""

import pytest

from airalgo_desktop.domain.nsetime import now_ist
from airalgo_desktop.domain.orders import OrderKind, OrderRecord, OrderRequest, OrderStatus, Side
from airalgo_desktop.store import journal as jmod
from airalgo_desktop.store.journal import Journal, JournalDeferred


def test_replayed_kept_answer_does_not_roll_back_a_later_status(tmp_path, monkeypatch):
    j = Journal.open(tmp_path)
    rec = OrderRecord("L1", OrderRequest("2885", Side.BUY, OrderKind.MARKET, 5), "RELIANCE", now_ist())
    j.record_sent(rec)
    real_write = Journal._write
    fail = {"on": True}

    def flaky(self, statements, **kw):
        if fail["on"]:
            raise jmod.JournalWriteError("database or disk is full")
        return real_write(self, statements, **kw)

    monkeypatch.setattr(Journal, "_write", flaky)
    rec.status, rec.order_number = OrderStatus.PENDING, "1001"
    with pytest.raises(JournalDeferred):
        j.record_update(rec, None, {"status": "Pending"})  # disk full: kept in journal.db.pending
    fail["on"] = False
    # the disk frees; the Executed answer is written with the kept one — then the app dies before the side
    # file is removed (a crash between COMMIT and unlink, or an unlink Windows refused: both are suppressed)
    monkeypatch.setattr(Journal, "_drop_side_file", lambda self: None)
    rec.status, rec.executed_price = OrderStatus.EXECUTED, 1250_00
    j.record_update(rec, None, {"status": "Executed"})
    assert j.orders_for(now_ist().date())[0].status is OrderStatus.EXECUTED
    j.db.close()
    j.db = None
    j._release()  # the process ends
    monkeypatch.undo()
    j2 = Journal.open(tmp_path)  # replays journal.db.pending
    (row,) = j2.orders_for(now_ist().date())
    assert row.status is OrderStatus.EXECUTED, (row.status, row.executed_price)
    j2.close()
