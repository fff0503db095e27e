"""The order ticket's fields: order type, quantity, price, trigger, validity and the order value, with their
validation wiring — a field the order type does not read is greyed and what was typed in it is parked, the stop
defaults follow the live LTP until the trader types, a value the order rejects is marked on its field, and every
problem with the order is listed under them."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from PySide6.QtCore import QSignalBlocker, Signal
from PySide6.QtWidgets import QComboBox, QFormLayout, QHBoxLayout, QLabel, QVBoxLayout, QWidget

from ..domain.instruments import Instrument
from ..domain.labels import quantity_text
from ..domain.money import Rounding, round_to_tick
from ..domain.orders import OrderKind, Side
from ..store.market import MarketStore
from . import theme
from .widgets import NumberField, PriceSpin, QuantitySpin

KIND_ORDER = (OrderKind.MARKET, OrderKind.LIMIT, OrderKind.SL, OrderKind.SLM)


class TicketFields(QWidget):
    """The ticket's form. It says when the trader changed something (:attr:`edited`, :attr:`kindChanged`); the
    ticket decides what that means for the order (:meth:`OrderTicket.revalidate`)."""

    edited = Signal()
    """Quantity, price or trigger text changed — every keystroke and paste, valid or not."""
    kindChanged = Signal()
    """Another order type was picked."""

    def __init__(self, store: MarketStore, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.store = store  # the live LTP the price defaults come from
        self.kind = QComboBox(self)
        self.kind.setObjectName("ticket_kind")
        for kind in KIND_ORDER:
            self.kind.addItem(kind.label, kind)
        self.kind.currentIndexChanged.connect(lambda _index: self.kindChanged.emit())
        self.qty = QuantitySpin(self)
        self.qty.setObjectName("ticket_qty")
        self.price = PriceSpin(self, label="Price")
        self.price.setObjectName("ticket_price")
        self.trigger = PriceSpin(self, label="Trigger price")
        self.trigger.setObjectName("ticket_trigger")
        self.validity = QComboBox(self)
        self.validity.addItem("Day")
        self.validity.setEnabled(False)
        self.validity.setToolTip("AirAlgo supports Day orders only")
        self.value_label = QLabel(self)
        self.value_label.setObjectName("ticket_value")
        self.problems = QLabel(self)
        self.problems.setObjectName("ticket_problems")
        self.problems.setWordWrap(True)
        self.problems.setStyleSheet(f"color: {theme.SELL_INK.name()};")
        self.problems.hide()  # until there is one (so the ticket first opens as tall as it needs, no taller)
        for widget in (self.qty, self.price, self.trigger):
            widget.edited.connect(self.edited)  # every keystroke and paste, valid or not
        for widget in (self.price, self.trigger):  # typed, pasted or stepped (not set by us): the trader's, never moved
            widget.lineEdit().textEdited.connect(lambda _text, w=widget: self._typed.add(w))
            widget.stepped.connect(lambda w=widget: self._typed.add(w))
        self._parked: dict[NumberField, str] = {}
        self._typed: set[NumberField] = set()

        form = QFormLayout()
        form.addRow("Type", self.kind)
        self.qty.setAccessibleName("Quantity")  # in a row with its lots label: the form's label is no buddy of it
        self.lots_label = QLabel(self)  # F&O: the quantity in lots and units ("2 lots · 130")
        self.lots_label.setObjectName("ticket_lots")
        quantity_row = QHBoxLayout()
        quantity_row.addWidget(self.qty, 1)
        quantity_row.addWidget(self.lots_label)
        form.addRow("Quantity", quantity_row)
        form.addRow("Price (₹)", self.price)
        form.addRow("Trigger (₹)", self.trigger)
        form.addRow("Validity", self.validity)
        form.addRow("Order value", self.value_label)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(form)
        layout.addWidget(self.problems)

    def reset(self, inst: Instrument, kind: OrderKind = OrderKind.MARKET) -> None:
        """A fresh ticket for ``inst``: one lot, empty prices on its tick, nothing parked or typed, order type ``kind``
        (picked quietly: the ticket applies the type itself once the side is set)."""
        self.qty.setStep(inst.lot_size)
        self.qty.setValue(inst.lot_size)
        for spin in (self.price, self.trigger):
            spin.setTick(inst.tick_size)
            spin.setEnabled(True)
            spin.clear()
        self._parked = {self.price: "", self.trigger: ""}
        self._typed = set()
        with QSignalBlocker(self.kind):
            self.kind.setCurrentIndex(KIND_ORDER.index(kind))

    def current_kind(self) -> OrderKind:
        """Selected order type (Qt hands StrEnum item data back as plain str)."""
        return OrderKind(self.kind.currentData())

    def use_kind(self, inst: Instrument | None, side: Side) -> None:
        """After the type changed: the fields it does not read greyed (their text parked), an empty limit price
        prefilled with the live LTP, the stop defaults suggested."""
        kind = self.current_kind()
        self._use_field(self.price, kind.needs_price,
                        "at market" if kind is OrderKind.MARKET else "at market once triggered")
        self._use_field(self.trigger, kind.needs_trigger, "no trigger")
        if kind is OrderKind.LIMIT and not self.price.lineEdit().text() and inst is not None:
            ltp = self.store.ltp(inst.token) or inst.prev_close
            if ltp:
                self.price.setValue(round_to_tick(ltp, inst.tick_size))
        self.suggest_stop_prices(inst, side)

    def _use_field(self, field: NumberField, used: bool, placeholder: str) -> None:
        """A field the order type does not read is emptied and greyed (a stale price there reads like a price the
        order will use); what was typed in it is parked and comes back when the type needs it again."""
        if not used:
            field.lineEdit().setPlaceholderText(placeholder)
        if used == field.isEnabled():
            return
        if used:
            field.setEnabled(True)
            field.lineEdit().setPlaceholderText("")
            field.lineEdit().setText(self._parked.get(field, ""))
        else:
            self._parked[field] = field.lineEdit().text()
            field.clear()
            field.setEnabled(False)

    def suggest_stop_prices(self, inst: Instrument | None, side: Side) -> None:
        """Stop defaults for SL/SL-M: the trigger one tick on the valid side of the live LTP (buy above, sell below);
        SL's limit two ticks beyond the trigger. A default follows the LTP until the trader types or steps in that
        field (their value is never moved), so the ticket never opens (or sits) with its own default flagged as
        wrong. No LTP yet: no guess (the previous close may be far from where the market is)."""
        kind = self.current_kind()
        if inst is None or not kind.needs_trigger:
            return
        ltp = self.store.ltp(inst.token)
        tick = inst.tick_size
        buy = side is Side.BUY
        if self.trigger not in self._typed:
            if not ltp:
                self.trigger.clear()
            else:  # strictly above (buy) / below (sell) the LTP, on the tick grid
                trigger = round_to_tick(ltp + 1, tick, Rounding.UP) if buy else \
                    max(tick, round_to_tick(ltp - 1, tick, Rounding.DOWN))
                if self.trigger.value() != trigger:
                    self.trigger.setValue(trigger)
        if kind.needs_price and self.price not in self._typed and self.trigger.value() and not self.trigger.problem():
            trigger = self.trigger.value()
            price = trigger + 2 * tick if buy else max(tick, trigger - 2 * tick)
            if self.price.value() != price:
                self.price.setValue(price)

    def _active_fields(self) -> list[NumberField]:
        """The fields the current order type reads (a market order ignores the greyed price)."""
        kind = self.current_kind()
        return [self.qty, *([self.price] if kind.needs_price else []), *([self.trigger] if kind.needs_trigger else [])]

    def show_lots(self, inst: Instrument | None, quantity: int) -> None:
        """The quantity in lots and units beside the field, for a contract traded in lots."""
        lots = inst is not None and inst.is_derivative and inst.lot_size > 1 and quantity > 0
        self.lots_label.setText(quantity_text(quantity, inst.lot_size) if lots and inst is not None else "")

    def field_problems(self) -> list[str]:
        """What is wrong with the text in the fields themselves ("1.5", "-756"): it stays as typed, and until it
        reads as a number the order is not evaluated further."""
        return [p for field in self._active_fields() if (p := field.problem())]

    def show_problems(self, problems: Sequence[str]) -> None:
        """Every problem with the order, one bullet each, under the fields (hidden when there is none)."""
        self.problems.setText("\n".join(f"• {p}" for p in problems))
        self.problems.setVisible(bool(problems))

    def mark_rejected(self, rejected: Mapping[str, str], kind: OrderKind) -> None:
        """A value the order rejects (quantity 0 or empty, a missing or off-tick price) is marked on its field like
        text that is not a number: the red border goes where the message points. ``rejected`` maps the request's
        field names to the reason."""
        for field, name, active in ((self.qty, "quantity", True), (self.price, "price", kind.needs_price),
                                    (self.trigger, "trigger_price", kind.needs_trigger)):
            field.set_rejected(rejected.get(name) if active else None)
