"""The payoff dialog's words: extremes that never call a profit a loss (issue 26, small items)."""

from __future__ import annotations

from airalgo_desktop.domain.options import PayoffLeg, payoff_summary
from airalgo_desktop.ui.payoff import extremes_text


def test_a_book_in_profit_at_every_price_shows_min_profit_not_max_loss() -> None:
    # a put spread bought for less than nothing after a booked gain: ≥ +₹50 at every settlement price
    booked = PayoffLeg("PE", 0, 200_00)
    long_put = PayoffLeg.opened("PE", 1, 100_00, strike=23_500_00)
    short_put = PayoffLeg.opened("PE", -1, 50_00, strike=23_400_00)
    summary = payoff_summary([booked, long_put, short_put])
    assert summary.max_loss == 150_00 and summary.max_profit == 250_00
    text = extremes_text(summary)
    assert "max loss" not in text and "min profit <b>+₹150.00</b>" in text and "max profit <b>+₹250.00</b>" in text


def test_a_book_losing_at_every_price_shows_min_loss_not_max_profit() -> None:
    booked = PayoffLeg("CE", 0, -500_00)
    call = PayoffLeg.opened("CE", 1, 100_00, strike=23_500_00)
    short = PayoffLeg.opened("CE", -1, 150_00, strike=23_400_00)  # a bear call spread worth at most ₹100 - ₹50 credit
    summary = payoff_summary([booked, call, short])
    text = extremes_text(summary)
    assert summary.max_profit is not None and summary.max_profit < 0
    assert "max profit" not in text and "min loss <b>-₹450.00</b>" in text and "max loss <b>-₹550.00</b>" in text


def test_an_ordinary_book_keeps_max_profit_and_max_loss() -> None:
    summary = payoff_summary([PayoffLeg.opened("CE", 65, 120_00, strike=23_400_00)])
    assert extremes_text(summary) == "max profit <b>unlimited</b> · max loss <b>-₹7,800.00</b>"
