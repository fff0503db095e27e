"""Axes a trader reads: IST ``HH:MM`` and dates at every zoom, never fractional seconds; rupees, never ``0.2``.

The bar chart's x axis is the **bar index** (vnpy's BarManager idea): bars sit side by side, so nights, weekends and
the hours the app was closed leave no empty stretch, and the axis maps each index back to its bar's time. Label
positions are chosen by :func:`bar_ticks` (pure, tested at zooms from 30 seconds to a week): the first bar of each
IST day is labelled with its date, other labels fall on the first bar of each ``step``-minute bucket (1, 2, 5, 10,
15, 30, 60, 120 minutes), the smallest step that keeps labels ``min_px`` apart. When a day is narrower than that,
only dates are shown (every day, every few days, then weeks).

:func:`clock_ticks` does the same for a continuous time axis (the Day P&L curve).
"""

from __future__ import annotations

import math
from datetime import datetime

import numpy as np
import pyqtgraph as pg
from PySide6.QtGui import QFontMetrics, QGuiApplication

from ..domain.bars import DAY, IST_OFFSET
from ..domain.money import format_rupees
from ..domain.nsetime import IST

INTRADAY_STEPS = (1, 2, 5, 10, 15, 30, 60, 120)  # minutes
DAY_STEPS = (1, 2, 5, 10, 20, 40, 60)  # trading days between date labels


def date_label(epoch: float) -> str:
    """``09 Jan`` (IST)."""
    return datetime.fromtimestamp(epoch, IST).strftime("%d %b")


def time_label(epoch: float) -> str:
    """``09:15`` (IST)."""
    return datetime.fromtimestamp(epoch, IST).strftime("%H:%M")


def bar_ticks(times: np.ndarray, lo: float, hi: float, pixels: float, bar_minutes: int = 1,
              min_px: float = 70.0) -> list[tuple[int, str]]:
    """(bar index, label) for the visible index range ``lo…hi`` drawn over ``pixels``; ``times`` are the bars'
    start times (epoch seconds, ascending)."""
    n = len(times)
    if n == 0 or hi <= lo or pixels <= 0:
        return []
    i0, i1 = max(0, math.ceil(lo)), min(n - 1, math.floor(hi))
    if i1 < i0:
        return []
    px_per_bar = pixels / (hi - lo)
    need = min_px / px_per_bar  # bars between labels at least
    local = (times[i0:i1 + 1] + IST_OFFSET) // 60  # IST minutes since the epoch
    day = local // 1440
    new_day = np.r_[i0 == 0 or (times[i0 - 1] + IST_OFFSET) // DAY != day[0], day[1:] != day[:-1]]
    ticks: list[tuple[int, str]] = []
    last = -math.inf
    step = next((s for s in INTRADAY_STEPS if s >= bar_minutes and s / bar_minutes >= need), None)
    if step is not None and bar_minutes < 1440:
        bucket = (local % 1440) // step
        starts = new_day | np.r_[False, bucket[1:] != bucket[:-1]]
        for k in np.flatnonzero(starts).tolist():
            index = i0 + k
            if new_day[k]:
                if ticks and index - ticks[-1][0] < need:  # the date wins over the time just before it
                    ticks.pop()
                ticks.append((index, date_label(float(times[index]))))
                last = index
            elif index - last >= need:
                ticks.append((index, time_label(float(times[index]))))
                last = index
        return ticks or [(i0, time_label(float(times[i0])))]  # zoomed inside one bucket: still say when
    # a day is narrower than a label: dates only, every k-th trading day
    first_of_day = [i0 + k for k in np.flatnonzero(new_day).tolist()]
    days_visible = max(1, len(first_of_day))
    bars_per_day = (i1 - i0 + 1) / days_visible
    every = next((s for s in DAY_STEPS if s * bars_per_day >= need), DAY_STEPS[-1])
    for index in first_of_day:
        number = int((times[index] + IST_OFFSET) // DAY)
        if (number % every == 0 or every == 1) and index - last >= need:
            ticks.append((index, date_label(float(times[index]))))
            last = index
    return ticks


CLOCK_STEPS = (60, 120, 300, 600, 900, 1800, 3600, 7200, 14_400, 86_400, 2 * 86_400, 7 * 86_400)


def clock_ticks(lo: float, hi: float, pixels: float, min_px: float = 70.0) -> list[tuple[float, str]]:
    """(epoch second, label) for a continuous IST time axis: whole minutes at least, dates at midnight."""
    if hi <= lo or pixels <= 0:
        return []
    per_px = (hi - lo) / pixels
    step = next((s for s in CLOCK_STEPS if s / per_px >= min_px), CLOCK_STEPS[-1])
    first = math.ceil((lo + IST_OFFSET) / step) * step - IST_OFFSET
    out = []
    t = first
    while t <= hi:
        midnight = (t + IST_OFFSET) % DAY == 0
        out.append((float(t), date_label(t) if midnight or step >= 86_400 else time_label(t)))
        t += step
    return out


class BarTimeAxis(pg.AxisItem):
    """Bottom axis of a bar-index plot: labels from :func:`bar_ticks`."""

    def __init__(self) -> None:
        super().__init__("bottom")
        self.times = np.zeros(0, np.int64)
        self.bar_minutes = 1
        self._labels: dict[int, str] = {}

    def set_times(self, times: np.ndarray, bar_minutes: int) -> None:
        """The bars' start times (the index → time map). The axis is re-laid out only when the map changed: a
        live bar changing its price leaves the labels as they are."""
        old = self.times
        if bar_minutes == self.bar_minutes and len(old) == len(times) and (
                not len(times) or (old[0] == times[0] and old[-1] == times[-1])):
            self.times = times
            return
        self.times, self.bar_minutes = times, bar_minutes
        self.picture = None
        self.update()

    def ticks_for(self, lo: float, hi: float, pixels: float) -> list[tuple[int, str]]:
        """What the axis shows for a range (tests read this)."""
        return bar_ticks(self.times, lo, hi, pixels, self.bar_minutes)

    def tickValues(self, minVal: float, maxVal: float, size: float) -> list:
        ticks = self.ticks_for(minVal, maxVal, size)
        self._labels = dict(ticks)
        return [(1.0, [float(i) for i, _ in ticks])]

    def tickStrings(self, values: list[float], scale: float, spacing: float) -> list[str]:
        return [self._labels.get(round(v), "") for v in values]


class ClockAxis(pg.AxisItem):
    """Bottom axis in epoch seconds: labels from :func:`clock_ticks`."""

    def __init__(self) -> None:
        super().__init__("bottom")
        self._labels: dict[float, str] = {}

    def tickValues(self, minVal: float, maxVal: float, size: float) -> list:
        ticks = clock_ticks(minVal, maxVal, size)
        self._labels = dict(ticks)
        return [(1.0, [t for t, _ in ticks])]

    def tickStrings(self, values: list[float], scale: float, spacing: float) -> list[str]:
        return [self._labels.get(v, "") for v in values]


def rupee_step(span: float, pixels: float, min_px: float = 22.0) -> float:
    """A 1-2-5 step in rupees (at least ₹0.05) that keeps labels ``min_px`` apart."""
    if span <= 0 or pixels <= 0:
        return 1.0
    raw = span / pixels * min_px
    exp = math.floor(math.log10(raw))
    for mult in (1, 2, 5, 10):
        step = mult * 10 ** exp
        if step >= raw:
            return max(step, 0.05)
    return max(10 ** (exp + 1), 0.05)


def compact_count(value: float) -> str:
    """Volume labels: ``0``, ``850``, ``12.5K``, ``20K``, ``3.2M``."""
    for unit, size in (("M", 1e6), ("K", 1e3)):
        if value >= size:
            return f"{value / size:.1f}".removesuffix(".0") + unit
    return f"{value:.0f}"


AXIS_MIN_WIDTH = 78  # px at 96 dpi and the default font
PRICE_SAMPLE = "8,88,888.88"  # the widest price label the axis must hold (MRF is above ₹1 lakh)
PNL_SAMPLE = "+₹88,88,888.88"


def axis_width(sample: str = PRICE_SAMPLE) -> int:
    """A vertical axis wide enough for ``sample`` in the app's font as it is on this screen: at 144 dpi without
    scaling (or a larger font) the labels grow, and a fixed 78 px would drop them all."""
    app = QGuiApplication.instance()
    if app is None:
        return AXIS_MIN_WIDTH
    return max(AXIS_MIN_WIDTH, QFontMetrics(QGuiApplication.font()).horizontalAdvance(sample) + 16)


class VolumeAxis(pg.AxisItem):
    """The volume pane's axis: zero and one round level (1-2-5) under the top, in compact units."""

    def __init__(self) -> None:
        super().__init__("right")
        self.setWidth(axis_width())  # as wide as the price axis above it: the panes line up

    def tickValues(self, minVal: float, maxVal: float, size: float) -> list:
        if maxVal <= 0:
            return [(1.0, [0.0])]
        exp = math.floor(math.log10(maxVal * 0.8))
        level = max((m * 10 ** exp for m in (1, 2, 5) if m * 10 ** exp <= maxVal * 0.9), default=10 ** exp)
        level = max(level, 1)  # quantities are whole
        return [(level, [0.0, float(level)])]

    def tickStrings(self, values: list[float], scale: float, spacing: float) -> list[str]:
        return [compact_count(v) for v in values]


class RupeeAxis(pg.AxisItem):
    """Left/right axis in rupees: 1-2-5 steps, never finer than 5 paise, labels as the app writes money
    (``2,450.50``; with a sign and ₹ for P&L)."""

    def __init__(self, orientation: str = "right", *, pnl: bool = False) -> None:
        super().__init__(orientation)
        self.pnl = pnl
        self.min_px = 22.0  # between labels stacked one above the other
        if orientation in ("left", "right"):  # a bottom axis (the payoff's prices) takes its own height
            self.setWidth(axis_width(PNL_SAMPLE if pnl else PRICE_SAMPLE))
        else:  # side by side, labels need their own width apart: "23,000  23,500", never "23,00023,500"
            self.min_px = float(axis_width("8,88,888") - 16 + 24)

    def tickValues(self, minVal: float, maxVal: float, size: float) -> list:
        step = rupee_step(maxVal - minVal, size, self.min_px)
        first = math.ceil(minVal / step) * step
        count = int((maxVal - first) / step) + 1
        return [(step, [round(first + k * step, 2) for k in range(max(0, min(count, 200)))])]

    def tickStrings(self, values: list[float], scale: float, spacing: float) -> list[str]:
        decimals = 0 if spacing >= 1 else 2
        out = []
        for v in values:
            paisa = round(v * 100)
            text = format_rupees(paisa, symbol=self.pnl, sign=self.pnl)
            if decimals == 0 and text.endswith(".00"):
                text = text[:-3]
            out.append(text)
        return out
