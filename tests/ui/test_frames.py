"""The frame clock: frames in the wake-up that brought the data, none while idle (no timing is asserted)."""

from __future__ import annotations

from PySide6.QtWidgets import QApplication

from airalgo_desktop.store.market import MarketStore
from airalgo_desktop.ui.frames import FrameClock


def quote(ltp: int) -> dict:
    return {"ltp": ltp, "ltq": 1, "ltt": "2025-01-09T12:53:00Z"}


def test_idle_desk_runs_no_frames(qtbot) -> None:
    frames: list[set[str]] = []
    store = MarketStore()
    clock = FrameClock(lambda: frames.append(store.take_dirty()))
    store.on_apply = clock.data_arrived
    clock.start()
    qtbot.waitUntil(lambda: len(frames) == 1)  # the first frame, for whatever was stored before the start
    qtbot.wait(300)  # nothing arrives: nothing runs (a 30 Hz timer would have run about nine frames)
    assert len(frames) == 1
    clock.stop()


def test_data_runs_a_frame_in_its_own_wake_up_and_early_data_waits(qtbot) -> None:
    frames: list[set[str]] = []
    store = MarketStore()
    clock = FrameClock(lambda: frames.append(store.take_dirty()))
    store.on_apply = clock.data_arrived
    clock.start()
    qtbot.waitUntil(lambda: len(frames) == 1)
    qtbot.wait(60)  # the last frame is old enough now
    store.apply({"22": quote(100)})
    store.apply({"2885": quote(200)})  # the same socket read: one frame for both
    QApplication.processEvents()  # no sleep in between: the frame ran in the same wake-up
    assert frames[1:] == [{"22", "2885"}]
    store.apply({"22": quote(105)})  # too soon after that frame: waits for more data or the fallback
    assert len(frames) == 2
    qtbot.waitUntil(lambda: len(frames) == 3, timeout=2000)
    assert frames[2] == {"22"}
    clock.stop()
    store.apply({"22": quote(110)})
    qtbot.wait(120)
    assert len(frames) == 3  # stopped: no frames


def test_fading_flash_gets_frames_until_it_ends(qtbot) -> None:
    runs: list[int] = []
    fading = [True]
    clock = FrameClock(lambda: runs.append(1), lambda: fading[0])
    clock.start()
    qtbot.waitUntil(lambda: len(runs) >= 3, timeout=3000)  # no data, but a flash still has to end
    fading[0] = False
    count = len(runs) + 1  # at most the frame already armed
    qtbot.wait(300)
    assert len(runs) <= count
    clock.stop()
