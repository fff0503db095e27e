"""Issue 26 item 5: quotes for tokens nobody subscribed are dropped before the store — and the status bar says how
many, instead of hiding it."""

from __future__ import annotations

from airalgo_desktop.api.events import ConnectionState, Metrics, State
from airalgo_desktop.ui.main_window import ConnectionStatus


def test_the_status_bar_counts_unwanted_quotes(qtbot) -> None:
    status = ConnectionStatus()
    qtbot.addWidget(status)
    metrics = Metrics()
    status.set_state(ConnectionState(State.JOINED), 0.0)
    status.update_figures(metrics, 0.0)
    assert "unwanted" not in status.rate.text()
    metrics.unwanted_quotes = 400_000
    metrics.dropped_quotes = 3
    status.update_figures(metrics, 0.0)
    assert "400,000 unwanted dropped" in status.rate.text()
    assert "400,000 quotes for tokens nobody subscribed, 3 unreadable" in status.rate.toolTip()
