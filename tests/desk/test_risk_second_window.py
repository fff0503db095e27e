"""The day lock does not reach a second window: its journal is a fresh fallback file."""
import pytest

from airalgo_desktop.domain.orders import OrderKind, OrderRequest, Side
from airalgo_desktop.services.risk import OrderRefused
from airalgo_desktop.store.journal import Journal
from tests.desk.fakes import FakeClient, make_desk


def test_day_lock_holds_in_a_second_window(tmp_path):
    j1 = Journal.open(tmp_path)
    desk1, _p, _n = make_desk(j1)
    desk1.ledger.restore()
    desk1.risk.restore()
    desk1.risk.kill_switch()  # locks the day, journalled in journal.db
    assert desk1.risk.gate.locked is not None
    # same day, a second window of the app (the first still open): it journals to journal-<stamp>-<pid>.db
    j2 = Journal.open(tmp_path)
    assert j2.path.name != "journal.db"
    desk2, _p2, _n2 = make_desk(j2)
    desk2.ledger.restore()
    desk2.risk.restore()
    client = FakeClient("W2")
    desk2.attach(client)
    with pytest.raises(OrderRefused):
        desk2.ledger.place(OrderRequest("2885", Side.BUY, OrderKind.MARKET, 1))
