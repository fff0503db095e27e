"""An 'Executed' without a price books no fill, and the guard then refuses the answer that carries the price;
the kill switch sends the same exit again."""
from airalgo_desktop.api.events import OrderEvent
from airalgo_desktop.domain.orders import OrderStatus, Side
from tests.desk.fakes import update, with_position


def test_executed_without_price_then_with_price_books_the_fill():
    desk, client, _notices = with_position(quantity=10, price=1250_00)
    assert desk.pnl.positions.positions["2885"].net == 10
    desk.risk.restore()
    report = desk.risk.kill_switch()
    (exit_,) = report.sent
    # the exchange answers the exit Executed, the price field missing (0), then again with the price
    client.emit(OrderEvent(exit_.local_id, update("2885", "Executed", side=Side.SELL, quantity=10, price=0,
                                                  number="7")))
    client.emit(OrderEvent(exit_.local_id, update("2885", "Executed", side=Side.SELL, quantity=10, price=1240_00,
                                                  number="7")))
    assert exit_.status is OrderStatus.EXECUTED
    net = desk.pnl.positions.positions["2885"].net
    second = desk.risk.kill_switch()  # the trader presses again: the position "is still open"
    assert net == 0 and not second.sent, (net, [(r.request.side, r.request.quantity) for r in second.sent],
                                          exit_.message)
