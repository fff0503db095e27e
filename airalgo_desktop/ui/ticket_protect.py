"""The order ticket's "with stop / target": optional stop, target and trailing levels on an entry order, armed by
the desk's triggers when the entry fills and sized to what filled (``TriggerDesk.protect_entry``). The piece only
asks and checks; the ticket attaches them after the order is sent. It says in plain words who holds them."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QCheckBox, QFormLayout, QLabel, QLineEdit, QVBoxLayout, QWidget

from ..domain.money import MoneyError, parse_rupees
from ..domain.orders import Side
from ..services.triggers import Trigger, TriggerState

HELD_NOTE = ("Held by this app, not by the exchange — not watched while the app is closed or disconnected. "
             "Armed when the entry fills, for the quantity that filled.")


class ProtectBox(QWidget):
    """A switch "With stop / target" and, when on, the stop, target and trail fields with the held-by-app note."""

    edited = Signal()
    """The switch or a level changed (the ticket checks the order again)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.enabled = QCheckBox("With stop / target (held by this app)", self)
        self.enabled.setObjectName("ticket_protect")
        self.enabled.setAccessibleName("With stop / target")
        self.body = QWidget(self)
        self.stop, self.target, self.trail = QLineEdit(self.body), QLineEdit(self.body), QLineEdit(self.body)
        for field, name, hint in ((self.stop, "Stop-loss", "₹ — the loss side"),
                                  (self.target, "Target", "₹ — the profit side (with a stop: OCO)"),
                                  (self.trail, "Trailing by", "₹ points, optional")):
            field.setObjectName(f"ticket_protect_{name.split()[0].split('-')[0].lower()}")
            field.setAccessibleName(f"{name} level")
            field.setPlaceholderText(hint)
            field.textEdited.connect(lambda _text: self.edited.emit())
        self.note = QLabel(HELD_NOTE, self)
        self.note.setObjectName("ticket_protect_note")
        self.note.setWordWrap(True)
        form = QFormLayout(self.body)
        form.setContentsMargins(0, 0, 0, 0)
        form.addRow("Stop-loss (₹)", self.stop)
        form.addRow("Target (₹)", self.target)
        form.addRow("Trailing by (₹)", self.trail)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.enabled)
        layout.addWidget(self.body)
        layout.addWidget(self.note)  # outside the form: a wrapped label in a form row was cut to its first lines
        self.body.setVisible(False)  # the ticket stays as short as it was until the trader asks for levels
        self.note.setVisible(False)
        self.enabled.toggled.connect(self._toggled)

    def _toggled(self, on: bool) -> None:
        self.body.setVisible(on)
        self.note.setVisible(on)
        if on:
            self.stop.setFocus()
        self.edited.emit()

    def reset(self) -> None:
        """A new ticket: off and empty (levels belong to one instrument's prices)."""
        for field in (self.stop, self.target, self.trail):
            field.clear()
        self.enabled.setChecked(False)

    @property
    def wanted(self) -> bool:
        """The trader asked for a stop / target with this entry."""
        return self.enabled.isChecked()

    def levels(self) -> dict[str, int]:
        """The typed levels in paisa (``stop``, ``target``, ``trail``); raises ValueError in one sentence."""
        out: dict[str, int] = {}
        for name, field in (("stop", self.stop), ("target", self.target), ("trail", self.trail)):
            if text := field.text().strip():
                try:
                    out[name] = parse_rupees(text)
                except MoneyError as exc:
                    raise ValueError(f"{name.capitalize()}: {exc}.") from None
                if out[name] <= 0:
                    raise ValueError(f"The {name} must be above zero.")
        return out

    def problems(self, token: str, side: Side, ltp: int | None) -> list[str]:
        """Why the levels cannot protect an entry on ``side`` (empty when off or fine). With the LTP, a level on the
        wrong side of it (it would fire at the fill) is refused before anything is sent."""
        if not self.wanted:
            return []
        try:
            levels = self.levels()
        except ValueError as exc:
            return [str(exc)]
        probe = Trigger(token, side.opposite, 0, state=TriggerState.WAITING, entries=("entry",), **levels)
        return probe.problems(ltp or None)
