"""The one contract label: traders' form, segment apart, shortened name before year, never strike/type/day."""

from __future__ import annotations

from datetime import date

import pytest

from airalgo_desktop.domain.instruments import Instrument
from airalgo_desktop.domain.labels import (
    LabelParts,
    contract_label,
    fit_label,
    label_parts,
    quantity_text,
    segment_of,
)

CALL = Instrument("1", "NIFTY26DEC23500CE", name="NIFTY", exchange="NFO", instrument_type="CE",
                  expiry=date(2026, 12, 8), strike=2_350_000, lot_size=65)
PUT = Instrument("2", "BANKNIFTY27JUN49500PE", name="BANKNIFTY", exchange="NFO", instrument_type="PE",
                 expiry=date(2027, 6, 29), strike=4_950_050, lot_size=30)
FUT = Instrument("3", "NIFTY26DECFUT", name="NIFTY", exchange="NFO", instrument_type="FUT", expiry=date(2026, 12, 29))
CASH = Instrument("4", "RELIANCE", name="RELIANCE INDUSTRIES")


def chars(text: str) -> int:
    return len(text)


def test_traders_form_year_only_when_not_this_year() -> None:
    assert contract_label(CALL, 2026) == "NIFTY 8 DEC 23500 CE"
    assert contract_label(FUT, 2026) == "NIFTY DEC FUT"
    assert contract_label(CASH, 2026) == "RELIANCE"
    assert contract_label(PUT, 2026) == "BANKNIFTY 29 JUN 2027 49500.5 PE"
    assert contract_label(CALL) == "NIFTY 8 DEC 2026 23500 CE"  # no year given: always with it
    assert segment_of(CALL) == "NFO" and segment_of(CASH) == "NSE"


def test_fit_shortens_the_name_first_then_the_year_never_the_core() -> None:
    parts = label_parts(PUT, 2026)
    full = parts.text()
    assert fit_label(parts, len(full), chars) == full
    assert fit_label(parts, len(full) - 3, chars) == "BANKN… 29 JUN 2027 49500.5 PE"
    # the name down to one letter before the year goes
    assert fit_label(parts, len("B… 29 JUN 2027 49500.5 PE"), chars) == "B… 29 JUN 2027 49500.5 PE"
    # without the year the name can grow again
    room = len("B… 29 JUN 2027 49500.5 PE") - 1
    assert fit_label(parts, room, chars) == "BANKN… 29 JUN 49500.5 PE"
    tiny = fit_label(parts, 3, chars)
    assert tiny == "29 JUN 49500.5 PE"  # nothing fits: the core, whole
    for room in range(0, len(full) + 2):
        text = fit_label(parts, room, chars)
        assert "49500.5" in text and "PE" in text and "29 JUN" in text, (room, text)


def test_fit_cash_and_future() -> None:
    assert fit_label(LabelParts("RELIANCE"), 5, chars) == "RELI…"
    assert fit_label(LabelParts("RELIANCE"), 0, chars) == "R…"
    fut = label_parts(FUT, 2026)
    assert fit_label(fut, len("NI… DEC FUT"), chars) == "NI… DEC FUT"
    assert all("DEC FUT" in fit_label(fut, room, chars) for room in range(20))


@pytest.mark.parametrize(("qty", "lot", "text"), [
    (130, 65, "2 lots · 130"), (65, 65, "1 lot · 65"), (-130, 65, "-2 lots · -130"),
    (98, 65, "98 (1 lot = 65)"), (1500, 1, "1,500"),
])
def test_quantity_in_lots_and_units(qty: int, lot: int, text: str) -> None:
    assert quantity_text(qty, lot) == text
