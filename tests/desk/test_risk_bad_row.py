from airalgo_desktop.desk.risk import trading_today
from airalgo_desktop.store.journal import Journal
from tests.desk.fakes import make_desk


def test_unreadable_lock_row_still_locks_and_does_not_crash_start(tmp_path):
    j = Journal.open(tmp_path)
    j.record_risk(trading_today(), "lock", {"reason": "loss", "at": "09:31"})  # a row this app did not write
    desk, _p, _n = make_desk(j)
    desk.ledger.restore()
    desk.risk.restore()  # ValueError: could not convert string to float -> app.run() dies before connecting
    assert desk.risk.gate.locked is not None
