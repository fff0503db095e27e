"""A late duplicate answer of an order final since an earlier run is matched by content to a NEW in-flight ticket."""
from airalgo_desktop.api.correlator import OrderCorrelator
from airalgo_desktop.domain.nsetime import now_ist
from airalgo_desktop.domain.orders import OrderKind, OrderRequest, OrderStatus, Side
from airalgo_desktop.store.journal import Journal
from tests.desk.fakes import FakeClient, make_desk


class CorrelatingClient(FakeClient):
    def __init__(self, prefix="A"):
        super().__init__(prefix)
        self.orders = OrderCorrelator()

    def place_order(self, request, instrument, *, local_id=None):
        self.orders.sent(local_id, request, self.clock)
        return super().place_order(request, instrument, local_id=local_id)

    def track_order(self, local_id, request, *, order_number=None):
        self.orders.track(local_id, request, order_number=order_number)
        super().track_order(local_id, request, order_number=order_number)

    def remember_final(self, local_id, request, order_number):
        self.orders.track(local_id, request, order_number=order_number)

    def server_says(self, payload):
        event = self.orders.answer(payload)
        if event is not None:
            self.emit(event)


def payload(status, number, price):
    return {"token_number": "2885", "status": status, "order_number": number, "buy_sell": "1", "volume": 10,
            "market_limit_sl": "market", "executed_price": price, "message": status}


def test_stale_answer_of_earlier_run_does_not_fill_a_new_order(tmp_path):
    # run 1: order A executed at ₹1,200 (order no. 1001)
    j1 = Journal.open(tmp_path)
    desk1, _p, _n = make_desk(j1)
    c1 = CorrelatingClient()
    desk1.attach(c1)
    a = desk1.ledger.place(OrderRequest("2885", Side.BUY, OrderKind.MARKET, 10))
    c1.server_says(payload("Executed", 1001.0, 120_000.0))
    assert a.status is OrderStatus.EXECUTED
    desk1.detach()
    desk1.close()
    # run 2: restore, new connection, trader sends B (same token/side/qty); the server repeats A's answer
    j2 = Journal.open(tmp_path)
    desk2, _p, _n = make_desk(j2)
    desk2.ledger.restore(now_ist().date())
    c2 = CorrelatingClient("B")
    desk2.attach(c2)
    b = desk2.ledger.place(OrderRequest("2885", Side.BUY, OrderKind.MARKET, 10))
    c2.server_says(payload("Executed", 1001.0, 125_000.0))  # A's number, a different price
    assert b.status is OrderStatus.SENT, (b.status, b.order_number, b.executed_price)
    assert desk2.pnl.positions.positions["2885"].net == 10
    desk2.detach()
    desk2.close()
