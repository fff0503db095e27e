"""The risk limits in the preferences: saved as JSON, junk keeps the defaults, and the ticket's old order-value
guard becomes the order-value limit on the first load (its ₹ figure, or its switch off)."""

from __future__ import annotations

import logging

from airalgo_desktop.services.risk import RiskLimits
from airalgo_desktop.settings import MemoryStore, Prefs


def test_limits_roundtrip_with_limits_switched_off() -> None:
    prefs = Prefs(MemoryStore())
    limits = RiskLimits(max_day_loss=5_000_00, loss_net_of_charges=True, max_orders_per_day=40, max_order_value=None)
    prefs.save_risk_limits(limits)
    assert Prefs(prefs.store).load_risk_limits() == limits  # type: ignore[arg-type]


def test_default_is_the_value_limit_of_ten_lakh() -> None:
    limits = Prefs(MemoryStore()).load_risk_limits()
    assert limits == RiskLimits() and limits.max_order_value == 10_00_000_00 and limits.max_day_loss is None


def test_the_old_value_guard_moves_into_the_limits() -> None:
    assert Prefs(MemoryStore({"guards/max_order_value": "500000"})).load_risk_limits().max_order_value == 500000
    off = MemoryStore({"guards/max_value_enabled": "false", "guards/max_order_value": "500000"})
    assert Prefs(off).load_risk_limits().max_order_value is None
    # once saved, the risk limits are what counts (the old keys are not read again)
    prefs = Prefs(MemoryStore({"guards/max_order_value": "500000"}))
    prefs.save_risk_limits(RiskLimits(max_order_value=7_00_000_00))
    assert prefs.load_risk_limits().max_order_value == 7_00_000_00


def test_junk_keeps_the_defaults_and_says_so(caplog) -> None:
    with caplog.at_level(logging.WARNING, logger="airalgo.settings"):
        assert Prefs(MemoryStore({"risk/limits": "{not json"})).load_risk_limits() == RiskLimits()
        assert Prefs(MemoryStore({"guards/max_order_value": "1e999"})).load_risk_limits() == RiskLimits()
    assert sum("risk/limits" in r.getMessage() for r in caplog.records) == 1
    assert sum("guards/max_order_value" in r.getMessage() for r in caplog.records) == 1
    odd = Prefs(MemoryStore({"risk/limits": '{"max_day_loss": -5, "max_orders_per_minute": "abc"}'}))
    assert odd.load_risk_limits() == RiskLimits()
