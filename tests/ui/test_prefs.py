"""Hand-edited settings never stop the app (issue 19 item 12): every stored value is read through the typed prefs
with a fallback and one log line; junk never switches a guard off."""

from __future__ import annotations

import logging

import pytest
from PySide6.QtCore import QSettings

from airalgo_desktop.instruments import Catalog
from airalgo_desktop.instruments.demo import load_sample
from airalgo_desktop.services.guards import GuardSettings
from airalgo_desktop.services.risk import RiskLimits
from airalgo_desktop.settings import MemoryStore, Prefs
from airalgo_desktop.store.market import MarketStore
from airalgo_desktop.ui.main_window import MainWindow
from airalgo_desktop.ui.theme import ThemeChoice
from airalgo_desktop.ui.watchlist import WatchlistPanel
from tests.ui.conftest import app_args, running_app, wait_until

MASTER = Catalog(load_sample())
BAD_ALERTS = ('[{"token": "2885", "direction": "above", "price": 1e999}, '
              '{"token": "1333", "direction": "below", "price": 150000}]')


@pytest.fixture
def warnings(caplog):
    caplog.set_level(logging.WARNING, logger="airalgo")
    return caplog


def logged(caplog, text: str) -> int:
    return sum(text in r.getMessage() for r in caplog.records)


def test_active_watchlist_abc(qtbot, settings: QSettings, warnings) -> None:
    settings.setValue("watchlists/active", "abc")
    panel = WatchlistPanel(MASTER, MarketStore(), Prefs(settings))
    qtbot.addWidget(panel)
    assert panel.tabs.currentIndex() == 0 and logged(warnings, "watchlists/active") == 1


def test_watchlist_tokens_5(qtbot, settings: QSettings, warnings) -> None:
    settings.setValue("watchlists/lists", '[{"name": "Odd", "tokens": 5}, {"name": "Banks", "tokens": ["1333"]}]')
    panel = WatchlistPanel(MASTER, MarketStore(), Prefs(settings))
    qtbot.addWidget(panel)
    assert [(m.name, m.tokens) for m in panel.models] == [("Odd", []), ("Banks", ["1333"])]
    assert logged(warnings, "tokens of 'Odd'") == 1


def test_theme_purple(qtbot, settings: QSettings, warnings) -> None:
    settings.setValue("ui/theme", "purple")
    assert ThemeChoice(Prefs(settings).theme) is ThemeChoice.SYSTEM
    window = MainWindow(MASTER, MarketStore(), Prefs(settings))
    qtbot.addWidget(window)
    assert logged(warnings, "ui/theme") >= 1


def test_max_order_value_1e999_keeps_the_limit(settings: QSettings, warnings) -> None:
    settings.setValue("guards/max_order_value", "1e999")  # the old guard's key, read once into the risk limits
    limits = Prefs(settings).load_risk_limits()
    assert limits.max_order_value == RiskLimits().max_order_value
    assert logged(warnings, "guards/max_order_value") == 1


def test_alert_price_1e999_is_skipped(settings: QSettings, warnings) -> None:
    settings.setValue("alerts/json", BAD_ALERTS)
    book = Prefs(settings).load_alerts()
    assert [a.token for a in book.alerts] == ["1333"] and logged(warnings, "saved alert") == 1


@pytest.mark.parametrize("key", ["price_band_pct", "duplicate_enabled", "freeze_enabled", "stale_after_s"])
def test_nan_never_switches_a_guard_off(key: str, warnings) -> None:
    guards = Prefs(MemoryStore({f"guards/{key}": "nan"})).load_guards()
    assert guards == GuardSettings() and logged(warnings, f"guards/{key}") == 1


def test_good_values_still_read() -> None:
    prefs = Prefs(MemoryStore({"guards/duplicate_enabled": "false", "guards/price_band_pct": "2.5",
                               "guards/max_order_value": "500000", "watchlists/active": "2", "ui/theme": "Dark"}))
    guards = prefs.load_guards()
    assert not guards.duplicate_enabled and guards.price_band_pct == 2.5
    assert prefs.load_risk_limits().max_order_value == 500000
    assert prefs.active_watchlist == 2 and prefs.theme == "dark"
    saved = MemoryStore()
    Prefs(saved).save_guards(guards)
    assert Prefs(saved).load_guards() == guards


def test_the_app_starts_with_every_bad_value(qloop, paths) -> None:
    settings = paths.settings()
    for key, value in (("watchlists/active", "abc"), ("ui/theme", "purple"), ("guards/max_order_value", "1e999"),
                       ("guards/price_band_pct", "nan"), ("alerts/json", BAD_ALERTS),
                       ("watchlists/lists", '[{"name": "Odd", "tokens": 5}]'), ("ticket/confirm", "maybe"),
                       ("notify/fills", "perhaps")):
        settings.setValue(key, value)
    settings.sync()

    async def scenario() -> None:
        async with running_app(app_args("--demo"), paths) as app:
            await wait_until(lambda: app.desk.client and app.desk.client.state.joined)
            assert app.desk.ledger.guard_settings == GuardSettings() and len(app.desk.alerts.book.alerts) == 1
            assert app.ticket.confirm_box.isChecked() and app.window.actions_["notify_fills"].isChecked()

    qloop.run_until_complete(scenario())
