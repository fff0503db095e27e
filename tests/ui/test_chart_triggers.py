"""The chart's stop/target lines: drawn for the charted instrument's triggers, dragged to move them (snapped to
the tick grid), a refused move snaps back and says why."""

from __future__ import annotations

from airalgo_desktop.ui.chart import ChartView
from tests.desk.fakes import with_position


def test_trigger_lines_drag_to_move_and_snap_back_when_refused(qtbot) -> None:
    desk, _client, _notices = with_position()
    view = ChartView(desk.pnl.bars, desk.master)
    qtbot.addWidget(view)
    view.set_token("2885")
    view.listen_to(desk)
    assert view.trigger_lines.items == []
    t = desk.triggers.protect("2885", stop=1245_00, target=1280_00)
    lines = view.trigger_lines
    assert [(which, line.value()) for line, _id, which in lines.items] == [("stop", 1245.0), ("target", 1280.0)]
    assert "held by this app" in lines.items[0][0].label.toPlainText()
    stop_line = lines.items[0][0]
    stop_line.setValue(1247.12)  # dropped between ticks: the nearest tick
    lines.dropped(stop_line, t.id, "stop")
    assert t.stop == 1247_10 and lines.items[0][0].value() == 1247.1
    refused: list[str] = []
    lines.moveRefused.connect(refused.append)
    stop_line = lines.items[0][0]
    stop_line.setValue(1260.0)  # above the LTP of a long: it would fire at once
    lines.dropped(stop_line, t.id, "stop")
    assert t.stop == 1247_10 and lines.items[0][0].value() == 1247.1 and "already crossed" in refused[0]
    view.set_token("3045")
    assert lines.items == []
