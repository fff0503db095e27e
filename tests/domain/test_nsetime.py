from __future__ import annotations

from datetime import UTC, datetime

from airalgo_desktop.domain.nsetime import (
    IST,
    format_ltt,
    format_order_timestamp,
    from_nse_seconds,
    in_market_hours,
    parse_ltt,
    parse_order_timestamp,
    to_nse_seconds,
)


def test_nse_epoch_matches_protocol_notes() -> None:
    assert from_nse_seconds(1421348186) == datetime(2025, 1, 14, 18, 56, 26, tzinfo=IST)
    assert from_nse_seconds("1425133800") == datetime(2025, 2, 27, 14, 30, tzinfo=IST)  # Feb-2025 NIFTY expiry
    assert to_nse_seconds(datetime(2025, 2, 27, 14, 30, tzinfo=IST)) == 1425133800


def test_nse_epoch_none_values() -> None:
    for value in ("0", "0000000000", 0, None, "", "junk", True, -5):
        assert from_nse_seconds(value) is None  # type: ignore[arg-type]


def test_order_timestamp_not_zero_padded() -> None:
    moment = parse_order_timestamp("18:58:5,14-1-2025")
    assert moment == datetime(2025, 1, 14, 18, 58, 5, tzinfo=IST)
    assert format_order_timestamp(moment) == "18:58:5,14-1-2025"
    assert parse_order_timestamp("18:56:26,14-1-2025") == datetime(2025, 1, 14, 18, 56, 26, tzinfo=IST)
    for junk in ("", None, "25:00:00,1-1-2025", "18:58:5 14-1-2025", 42):
        assert parse_order_timestamp(junk) is None  # type: ignore[arg-type]


def test_ltt_iso() -> None:
    moment = parse_ltt("2025-01-09T12:53:00Z")
    assert moment == datetime(2025, 1, 9, 12, 53, tzinfo=UTC)
    assert format_ltt(moment) == "2025-01-09T12:53:00Z"
    assert parse_ltt("2025-01-09T18:23:00+05:30") == moment
    assert parse_ltt("yesterday") is None
    assert parse_ltt(None) is None


def test_market_hours() -> None:
    assert in_market_hours(datetime(2025, 1, 14, 9, 15, tzinfo=IST))
    assert not in_market_hours(datetime(2025, 1, 14, 15, 30, tzinfo=IST))
    assert not in_market_hours(datetime(2025, 1, 18, 11, 0, tzinfo=IST))  # Saturday
    assert in_market_hours(datetime(2025, 1, 14, 4, 0, tzinfo=UTC))  # 09:30 IST
