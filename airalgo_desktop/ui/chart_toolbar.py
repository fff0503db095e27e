"""A chart's top row: the instrument's title, then the timeframe buttons (1m … 1D), Line and Follow."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QButtonGroup, QHBoxLayout, QLabel, QToolButton, QWidget

from ..domain.bars import Frame


class ChartToolbar(QWidget):
    """The title and the buttons; it says what was clicked (:attr:`framePicked`, :attr:`lineToggled`,
    :attr:`followClicked`) and the chart decides (the keys 1–7, L and F do the same there)."""

    framePicked = Signal(object)
    """A frame button was clicked (:class:`Frame`)."""
    lineToggled = Signal(bool)
    """Line was switched on or off."""
    followClicked = Signal()

    def __init__(self, frame: Frame, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        bar = QHBoxLayout(self)
        bar.setContentsMargins(0, 0, 0, 0)
        bar.setSpacing(2)  # as the chart's rows (the row was once a layout inside the chart's, and took its spacing)
        self.title = QLabel("Chart", self)
        self.title.setObjectName("chart_title")
        bar.addWidget(self.title)
        bar.addStretch(1)
        self.frame_buttons = QButtonGroup(self)
        self.frame_buttons.setExclusive(True)
        for number, each in enumerate(Frame, start=1):
            button = QToolButton(self)
            button.setText(each.label)
            button.setCheckable(True)
            button.setChecked(each is frame)
            button.setToolTip(f"{each.label} bars (key {number})")
            button.setObjectName(f"frame_{each.label}")
            button.setAccessibleName(f"{each.label} bars")
            self.frame_buttons.addButton(button, number)
            bar.addWidget(button)
        self.frame_buttons.idClicked.connect(lambda number: self.framePicked.emit(list(Frame)[number - 1]))
        self.line_button = QToolButton(self)
        self.line_button.setText("Line")
        self.line_button.setCheckable(True)
        self.line_button.setToolTip("Close line instead of candles (L)")
        self.line_button.toggled.connect(self.lineToggled)
        self.follow_button = QToolButton(self)
        self.follow_button.setText("Follow")
        self.follow_button.setCheckable(True)
        self.follow_button.setChecked(True)
        self.follow_button.setToolTip("Keep the newest bar in view (F); zooming or panning by hand stops it")
        self.follow_button.clicked.connect(lambda _on=False: self.followClicked.emit())
        bar.addWidget(self.line_button)
        bar.addWidget(self.follow_button)

    def check_frame(self, frame: Frame) -> None:
        """Show ``frame`` as the checked button (when the frame was picked by key)."""
        button = self.frame_buttons.button(list(Frame).index(frame) + 1)
        if button is not None and not button.isChecked():
            button.setChecked(True)
