"""Shadow slippage arithmetic: signed against the trader, per unit, per order, in ticks, summed for the day."""

from __future__ import annotations

from fractions import Fraction

import pytest

from airalgo_desktop.domain.orders import Side
from airalgo_desktop.services.shadow import ShadowFill, summarise


def pair(side: Side, paper: int, live: int, qty: int = 10, tick: int = 5) -> ShadowFill:
    return ShadowFill("L-1", "2885", "RELIANCE", side, qty, tick, paper, live)


@pytest.mark.parametrize(("side", "paper", "live", "unit", "total", "ticks"), [
    (Side.BUY, 1300_00, 1300_10, 10, 100, Fraction(2)),  # paid 2 ticks more
    (Side.BUY, 1300_00, 1299_95, -5, -50, Fraction(-1)),  # paid less: negative slippage (price improvement)
    (Side.SELL, 1300_00, 1299_85, 15, 150, Fraction(3)),  # got 3 ticks less
    (Side.SELL, 1300_00, 1300_05, -5, -50, Fraction(-1)),
    (Side.BUY, 1300_00, 1300_02, 2, 20, Fraction(2, 5)),  # off the grid: a fraction of a tick
])
def test_slippage_is_signed_against_the_trader(side: Side, paper: int, live: int, unit: int, total: int,
                                               ticks: Fraction) -> None:
    fill = pair(side, paper, live)
    assert (fill.per_unit, fill.slippage, fill.ticks) == (unit, total, ticks)


def test_an_incomplete_pair_has_no_slippage_and_is_not_summed() -> None:
    half = ShadowFill("L-2", "2885", "RELIANCE", Side.BUY, 10, 5, paper_price=1300_00)
    assert half.slippage is None and half.ticks is None and not half.complete
    assert "live —" in half.describe()
    day = summarise([half, pair(Side.BUY, 1300_00, 1300_10), pair(Side.SELL, 1300_00, 1300_05, qty=4)])
    assert (day.orders, day.slippage, day.ticks, day.mean_ticks) == (2, 100 - 20, Fraction(1), Fraction(1, 2))
    assert day.describe() == "Shadow slippage +₹0.80 over 2 orders (avg 0.50 ticks)"
    assert summarise([]).describe() == "Shadow slippage: no order compared yet"
    # the day report sums the ticks too
    assert day.describe(total_ticks=True) == "Shadow slippage +₹0.80 over 2 orders (avg 0.50 ticks), 1 tick in all"
    off_grid = summarise([pair(Side.BUY, 1300_00, 1300_02), pair(Side.BUY, 1300_00, 1300_10)])
    assert off_grid.describe(total_ticks=True).endswith(", 2.40 ticks in all")


def test_the_description_names_both_fills() -> None:
    assert pair(Side.BUY, 1300_00, 1300_10).describe() == (
        "Shadow: Buy 10 RELIANCE live ₹1,300.10 vs paper ₹1,300.00 — slippage +₹1.00 (2 ticks)")
    assert pair(Side.SELL, 1300_00, 1299_95, qty=1).describe().endswith("slippage +₹0.05 (1 tick)")


def test_kept_pairs_read_back_for_the_day_and_junk_is_left_out(tmp_path) -> None:
    from datetime import date

    from airalgo_desktop.services.shadow import append_shadow, read_shadow

    path = tmp_path / "shadow-fills.jsonl"
    day, other = date(2031, 3, 3), date(2031, 3, 4)
    append_shadow(path, day, pair(Side.BUY, 1300_00, 1300_10))
    append_shadow(path, other, pair(Side.SELL, 1300_00, 1299_95))
    with path.open("a", encoding="utf-8") as out:
        out.write("{not json\n")
        out.write('{"day": "2031-03-03", "local_id": "L-9", "token": "1", "symbol": "X", "side": "B", '
                  '"quantity": -4, "tick": 5, "paper": 100, "live": 105}\n')  # implausible: refused
    fills, bad = read_shadow(path, day)
    assert [f.slippage for f in fills] == [100] and bad == 2
    assert read_shadow(tmp_path / "none.jsonl", day) == ([], 0)
