"""Small widgets: an exact rupee spin box stepping by tick size (paisa inside, never float)."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtGui import QValidator
from PySide6.QtWidgets import QAbstractSpinBox, QWidget

from ..domain.money import MoneyError, Rounding, format_rupees, parse_rupees, round_to_tick


class PriceSpin(QAbstractSpinBox):
    """Edits a price in rupees, holds it in paisa; arrows/PgUp step by the tick size. 0 means "no price"."""

    valueChanged = Signal(int)

    def __init__(self, parent: QWidget | None = None, tick: int = 5) -> None:
        super().__init__(parent)
        self._value = 0
        self._tick = tick
        self.setAccelerated(True)
        self.setCorrectionMode(QAbstractSpinBox.CorrectionMode.CorrectToPreviousValue)
        self.setButtonSymbols(QAbstractSpinBox.ButtonSymbols.UpDownArrows)
        self.lineEdit().textEdited.connect(self._on_edited)
        self._show()

    def tick(self) -> int:
        """Step in paisa."""
        return self._tick

    def setTick(self, tick: int) -> None:
        """Set the step (the instrument's tick size, paisa)."""
        self._tick = max(1, tick)

    def value(self) -> int:
        """Price in paisa (0 when empty)."""
        return self._value

    def setValue(self, paisa: int) -> None:
        """Set the price in paisa."""
        paisa = max(0, int(paisa))
        changed = paisa != self._value
        self._value = paisa
        self._show()
        if changed:
            self.valueChanged.emit(paisa)

    def _show(self) -> None:
        self.lineEdit().setText(format_rupees(self._value, symbol=False) if self._value else "")

    def _on_edited(self, text: str) -> None:
        try:
            value = parse_rupees(text) if text.strip() else 0
        except MoneyError:
            return  # keep the last good value; validate() marks the text as intermediate
        if value >= 0 and value != self._value:
            self._value = value
            self.valueChanged.emit(value)

    def validate(self, text: str, pos: int) -> object:  # type: ignore[override]
        if not text.strip():
            return QValidator.State.Acceptable
        try:
            return QValidator.State.Acceptable if parse_rupees(text) >= 0 else QValidator.State.Invalid
        except MoneyError:
            cleaned = text.replace(",", "").replace("₹", "").strip()
            ok = cleaned.replace(".", "", 1).isdigit() or cleaned in (".", "")
            return QValidator.State.Intermediate if ok else QValidator.State.Invalid

    def fixup(self, text: str) -> str:  # type: ignore[override]
        return format_rupees(self._value, symbol=False) if self._value else ""

    def stepBy(self, steps: int) -> None:
        tick, value = self._tick, self._value
        if value % tick == 0:
            new = value + steps * tick
        elif steps > 0:  # off the grid: the first step lands on the next tick
            new = round_to_tick(value, tick, Rounding.UP) + (steps - 1) * tick
        else:
            new = round_to_tick(value, tick, Rounding.DOWN) + (steps + 1) * tick
        self.setValue(max(0, new))

    def stepEnabled(self) -> QAbstractSpinBox.StepEnabledFlag:
        flags = QAbstractSpinBox.StepEnabledFlag.StepUpEnabled
        if self._value > 0:
            flags |= QAbstractSpinBox.StepEnabledFlag.StepDownEnabled
        return flags
