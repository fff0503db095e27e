from __future__ import annotations

from airalgo_desktop.domain.instruments import Instrument
from airalgo_desktop.domain.orders import OrderKind, OrderRequest, Side
from airalgo_desktop.services.guards import GuardSettings, Level, RecentOrder, evaluate

INST = Instrument("2885", "RELIANCE", freeze_qty=1000)
LTP = 120_000


def run(req, *, recent=(), tick_age=1.0, now=100.0, **settings):
    return {v.guard: v for v in evaluate(req, INST, ltp=LTP, tick_age=tick_age, recent=recent, now=now,
                                         settings=GuardSettings(**settings))}


def test_clean_order_has_no_verdicts() -> None:
    assert run(OrderRequest("2885", Side.BUY, OrderKind.MARKET, 10)) == {}


def test_duplicate_within_window_only() -> None:
    req = OrderRequest("2885", Side.BUY, OrderKind.MARKET, 10)
    recent = [RecentOrder("2885", "B", 10, "market", 97.0)]
    assert run(req, recent=recent)["duplicate"].level is Level.CONFIRM
    assert "duplicate" not in run(req, recent=recent, now=110.0)
    assert "duplicate" not in run(req, recent=[RecentOrder("2885", "S", 10, "market", 99.0)])
    assert "duplicate" not in run(req, recent=recent, duplicate_enabled=False)


def test_price_band() -> None:
    far = OrderRequest("2885", Side.BUY, OrderKind.LIMIT, 1, price=130_000, ltp=LTP)
    verdict = run(far)["price_band"]
    assert verdict.level is Level.CONFIRM and "+8.3%" in verdict.message
    assert "price_band" not in run(OrderRequest("2885", Side.BUY, OrderKind.LIMIT, 1, price=124_000, ltp=LTP))
    assert "price_band" not in run(far, price_band_pct=10)


def test_freeze_blocks_and_the_value_limit_is_no_longer_a_guard() -> None:
    assert run(OrderRequest("2885", Side.BUY, OrderKind.MARKET, 1001))["freeze"].level is Level.BLOCK
    # the order value limit moved to the risk gate (tests/services/test_risk.py), which every order path passes
    assert "max_value" not in run(OrderRequest("2885", Side.BUY, OrderKind.MARKET, 999))


def test_stale_feed_market_orders_only() -> None:
    market = OrderRequest("2885", Side.SELL, OrderKind.MARKET, 1)
    assert "last tick is 30 s old" in run(market, tick_age=30)["stale"].message
    assert "no tick" in run(market, tick_age=None)["stale"].message
    assert "stale" not in run(OrderRequest("2885", Side.SELL, OrderKind.LIMIT, 1, price=LTP, ltp=LTP), tick_age=30)


def test_settings_roundtrip_from_qsettings_strings() -> None:
    from airalgo_desktop.settings import MemoryStore, Prefs

    stored = {"duplicate_enabled": "false", "price_band_pct": "2.5", "stale_after_s": "junk"}
    settings = Prefs(MemoryStore({f"guards/{k}": v for k, v in stored.items()})).load_guards()
    assert settings.duplicate_enabled is False and settings.price_band_pct == 2.5
    assert settings.stale_after_s == 10.0
    store = MemoryStore()
    Prefs(store).save_guards(settings)
    assert Prefs(store).load_guards() == settings
