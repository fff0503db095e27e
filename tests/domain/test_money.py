from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from airalgo_desktop.domain.money import (
    MoneyError,
    Rounding,
    format_plain,
    format_rupees,
    is_on_tick,
    parse_rupees,
    percent_change_bp,
    round_to_tick,
)


@pytest.mark.parametrize(
    ("text", "paisa"),
    [
        ("2,208.05", 220805),
        ("2208.05", 220805),
        ("₹2,208.05", 220805),
        ("₹ 2208", 220800),
        ("2208.5", 220850),
        (".5", 50),
        ("0.05", 5),
        ("1,23,45,678.90", 1234567890),
        ("12,345,678.90", 1234567890),
        ("-12.30", -1230),
        ("  243 ", 24300),
    ],
)
def test_parse_rupees_exact(text: str, paisa: int) -> None:
    assert parse_rupees(text) == paisa


@pytest.mark.parametrize("text", ["", "abc", "12.345", "1..2", ",12", "12,", "1,,2", "1.2,3", "-", ".", "12a"])
def test_parse_rupees_rejects_junk_with_message(text: str) -> None:
    with pytest.raises(MoneyError) as info:
        parse_rupees(text)
    assert str(info.value)


def test_parse_never_goes_through_float() -> None:
    # 0.1 + 0.2 style drift would turn this into 30000000000000003-ish; exact parsing must not
    assert parse_rupees("300000000000000.03") == 30000000000000003


@pytest.mark.parametrize(
    ("paisa", "text"),
    [
        (220805, "₹2,208.05"),
        (1234567890, "₹1,23,45,678.90"),
        (5, "₹0.05"),
        (0, "₹0.00"),
        (99999, "₹999.99"),
        (100000, "₹1,000.00"),
        (-1234567, "-₹12,345.67"),
        (10000000000, "₹10,00,00,000.00"),
    ],
)
def test_format_indian_grouping(paisa: int, text: str) -> None:
    assert format_rupees(paisa) == text


def test_format_variants() -> None:
    assert format_rupees(1200, sign=True) == "+₹12.00"
    assert format_rupees(-1200, sign=True) == "-₹12.00"
    assert format_rupees(220805, symbol=False) == "2,208.05"
    assert format_plain(-5) == "-0.05"
    with pytest.raises(TypeError):
        format_rupees(1.5)  # type: ignore[arg-type]


@given(st.integers(min_value=-(10**15), max_value=10**15))
def test_parse_format_roundtrip(paisa: int) -> None:
    assert parse_rupees(format_rupees(paisa)) == paisa
    assert parse_rupees(format_plain(paisa)) == paisa


@given(st.integers(min_value=1, max_value=10**9), st.integers(min_value=1, max_value=500))
def test_round_to_tick_properties(paisa: int, tick: int) -> None:
    down = round_to_tick(paisa, tick, Rounding.DOWN)
    up = round_to_tick(paisa, tick, Rounding.UP)
    near = round_to_tick(paisa, tick, Rounding.NEAREST)
    assert down <= paisa <= up
    assert up - down in (0, tick)
    assert near in (down, up)
    assert all(is_on_tick(v, tick) for v in (down, up, near))
    assert abs(near - paisa) * 2 <= tick


def test_round_to_tick_examples() -> None:
    assert round_to_tick(220803, 5) == 220805
    assert round_to_tick(220802, 5) == 220800
    assert round_to_tick(220802, 5, Rounding.UP) == 220805
    assert round_to_tick(220804, 5, Rounding.DOWN) == 220800
    with pytest.raises(ValueError):
        round_to_tick(100, 0)


def test_percent_change_basis_points() -> None:
    assert percent_change_bp(110, 100) == 1000
    assert percent_change_bp(90, 100) == -1000
    assert percent_change_bp(100, 0) is None
    assert percent_change_bp(220805, 220800) == 0  # 0.0023% rounds to 0 bp
