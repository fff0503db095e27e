"""The order ticket: F1 buy / F2 sell, prefilled from the watchlist row, validated as you type, Enter sends,
Esc closes, an inline confirmation step (no nested modal loop), then it follows the order live."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QEvent, QSignalBlocker, Qt, Signal
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import (
    QButtonGroup,
    QCheckBox,
    QComboBox,
    QDialog,
    QFormLayout,
    QFrame,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from ..domain.instruments import Instrument, InstrumentMaster
from ..domain.labels import quantity_text
from ..domain.money import Rounding, format_rupees, round_to_tick
from ..domain.orders import OrderKind, OrderRecord, OrderRequest, OrderStatus, Side
from ..services.guards import Level, Verdict
from ..store.market import MarketStore
from . import theme
from .actions import ActionRegistry, default_key, key_label
from .labels import label
from .prefs import Prefs
from .widgets import NumberField, PriceSpin, QuantitySpin

KIND_ORDER = (OrderKind.MARKET, OrderKind.LIMIT, OrderKind.SL, OrderKind.SLM)
NO_PRICE = "no price yet — value unknown"


class OrderTicket(QDialog):
    """Non-modal ticket. ``submit`` is called with the request; it returns the record or raises with a reason."""

    sent = Signal(object)  # OrderRecord

    def __init__(self, master: InstrumentMaster, store: MarketStore, prefs: Prefs,
                 submit: Callable[[OrderRequest], OrderRecord], check: Callable[[OrderRequest], list[str]],
                 parent: QWidget | None = None,
                 guards: Callable[[OrderRequest], list[Verdict]] | None = None,
                 actions: ActionRegistry | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("order_ticket")
        self.setModal(False)
        self.setWindowFlag(Qt.WindowType.Tool, True)
        self.master = master
        self.store = store
        self.prefs = prefs
        self._submit = submit
        self._check = check
        self._guards = guards or (lambda _req: [])
        self.actions = actions  # the source of the Buy/Sell keys (labels follow a remap)
        self.instrument: Instrument | None = None
        self.side = Side.BUY
        self.record: OrderRecord | None = None
        self._build()

    # ---------------------------------------------------------------- layout
    def _build(self) -> None:
        self.header = QLabel(self)
        self.header.setObjectName("ticket_header")
        self.header.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.header.setMinimumHeight(34)
        self.ltp_label = QLabel("LTP —", self)
        self.ltp_label.setObjectName("ticket_ltp")
        self.buy_button = QPushButton(self)
        self.sell_button = QPushButton(self)
        for b in (self.buy_button, self.sell_button):
            b.setCheckable(True)
            b.setAutoDefault(False)
            b.setFocusPolicy(Qt.FocusPolicy.TabFocus)
        sides = QButtonGroup(self)
        sides.addButton(self.buy_button)
        sides.addButton(self.sell_button)
        self.buy_button.clicked.connect(lambda: self.set_side(Side.BUY))
        self.sell_button.clicked.connect(lambda: self.set_side(Side.SELL))
        self.kind = QComboBox(self)
        self.kind.setObjectName("ticket_kind")
        for kind in KIND_ORDER:
            self.kind.addItem(kind.label, kind)
        self.kind.currentIndexChanged.connect(self._kind_changed)
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
        self.problems.setStyleSheet(f"color: {theme.SELL.name()};")
        self.confirm_box = QCheckBox("Confirm before sending", self)
        self.confirm_box.setChecked(self.prefs.ticket_confirm)
        self.confirm_box.toggled.connect(lambda on: setattr(self.prefs, "ticket_confirm", on))
        self.send_button = QPushButton("Send", self)
        self.send_button.setObjectName("ticket_send")
        self.send_button.setDefault(True)
        self.send_button.clicked.connect(self.send)
        cancel = QPushButton("Close (Esc)", self)
        cancel.setAutoDefault(False)
        cancel.clicked.connect(self.close)
        for widget in (self.qty, self.price, self.trigger):
            widget.edited.connect(self.revalidate)  # every keystroke and paste, valid or not
        for widget in (self.price, self.trigger):  # typed or pasted (not set by us): the trader's, never moved
            widget.lineEdit().textEdited.connect(lambda _text, w=widget: self._typed.add(w))
        self._parked: dict[NumberField, str] = {}
        self._typed: set[NumberField] = set()

        form = QFormLayout()
        form.addRow("Type", self.kind)
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
        entry = QWidget(self)
        entry_layout = QVBoxLayout(entry)
        entry_layout.setContentsMargins(0, 0, 0, 0)
        sides_row = QHBoxLayout()
        sides_row.addWidget(self.buy_button)
        sides_row.addWidget(self.sell_button)
        entry_layout.addLayout(sides_row)
        entry_layout.addLayout(form)
        entry_layout.addWidget(self.problems)
        entry_layout.addWidget(self.confirm_box)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(cancel)
        buttons.addWidget(self.send_button)
        entry_layout.addLayout(buttons)

        confirm = QWidget(self)
        confirm_layout = QVBoxLayout(confirm)
        self.confirm_text = QLabel(confirm)
        self.confirm_text.setObjectName("ticket_confirm_text")
        self.confirm_text.setWordWrap(True)
        self.confirm_text.setAlignment(Qt.AlignmentFlag.AlignCenter)
        bigger = self.confirm_text.font()
        bigger.setPointSizeF(bigger.pointSizeF() * 1.25)
        self.confirm_text.setFont(bigger)
        self.confirm_button = QPushButton("Confirm (Enter)", confirm)
        self.confirm_button.setObjectName("ticket_confirm")
        self.confirm_button.setDefault(True)
        self.confirm_button.clicked.connect(self._really_send)
        back = QPushButton("Back (Esc)", confirm)
        back.setAutoDefault(False)
        back.clicked.connect(lambda: self.pages.setCurrentIndex(0))
        row = QHBoxLayout()
        row.addWidget(back)
        row.addWidget(self.confirm_button)
        confirm_layout.addStretch(1)
        confirm_layout.addWidget(self.confirm_text)
        confirm_layout.addLayout(row)
        confirm_layout.addStretch(1)

        follow = QWidget(self)
        follow_layout = QVBoxLayout(follow)
        self.status_label = QLabel(follow)
        self.status_label.setObjectName("ticket_status")
        self.status_label.setWordWrap(True)
        self.status_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        font = self.status_label.font()
        font.setPointSizeF(font.pointSizeF() * 1.2)
        self.status_label.setFont(font)
        another = QPushButton("New order", follow)
        another.setAutoDefault(False)
        another.clicked.connect(lambda: self.open_for(self.instrument.token if self.instrument else "", self.side))
        done = QPushButton("Close (Esc)", follow)
        done.setDefault(True)
        done.clicked.connect(self.close)
        row2 = QHBoxLayout()
        row2.addWidget(another)
        row2.addWidget(done)
        follow_layout.addStretch(1)
        follow_layout.addWidget(self.status_label)
        follow_layout.addLayout(row2)
        follow_layout.addStretch(1)

        self.pages = QStackedWidget(self)
        for page in (entry, confirm, follow):
            self.pages.addWidget(page)
        layout = QVBoxLayout(self)
        layout.addWidget(self.header)
        top = QHBoxLayout()
        top.addWidget(self.ltp_label)
        layout.addLayout(top)
        line = QFrame(self)
        line.setFrameShape(QFrame.Shape.HLine)
        layout.addWidget(line)
        layout.addWidget(self.pages)
        self.relabel()
        if self.actions is not None:
            self.actions.remapped.connect(self.relabel)
        self.setMinimumWidth(340)

    def relabel(self, *_args: object) -> None:
        """Buy/Sell labels from the action registry (again after a remap); the keys follow in :meth:`side_key`."""
        for side, button, name in ((Side.BUY, self.buy_button, "buy"), (Side.SELL, self.sell_button, "sell")):
            button.setText(key_label(self.actions, name, side.label))

    # ---------------------------------------------------------------- state
    def open_for(self, token: str, side: Side) -> bool:
        """Prefill for ``token`` and show. Returns False when the token is unknown."""
        inst = self.master.get(token)
        if inst is None:
            return False
        self.instrument = inst
        self.record = None
        self.side = side
        self.qty.setStep(inst.lot_size)
        self.qty.setValue(inst.lot_size)
        for spin in (self.price, self.trigger):
            spin.setTick(inst.tick_size)
            spin.setEnabled(True)
            spin.clear()
        self._parked = {self.price: "", self.trigger: ""}
        self._typed = set()
        self.pages.setCurrentIndex(0)
        with QSignalBlocker(self.kind):
            self.kind.setCurrentIndex(0)
        self.set_side(side)
        self._kind_changed()
        self.setWindowTitle(f"{side.label} {label(inst)}")
        self.show()
        self.raise_()
        self.activateWindow()
        self.qty.setFocus()
        self.qty.selectAll()
        return True

    def set_side(self, side: Side) -> None:
        """Switch buy/sell (colours follow)."""
        self.side = side
        (self.buy_button if side is Side.BUY else self.sell_button).setChecked(True)
        color = theme.BUY if side is Side.BUY else theme.SELL
        name = label(self.instrument) if self.instrument else ""
        exch = self.instrument.exchange if self.instrument else ""
        self.header.setText(f"{side.label.upper()}  {name}  ·  {exch}")
        self.header.setStyleSheet(f"background: {color.name()}; color: white; font-weight: bold; border-radius: 3px;")
        self.send_button.setText(f"{side.label} (Enter)")
        self._style_send()
        self.setWindowTitle(f"{side.label} {name}")
        self._suggest_stop_prices()
        self.revalidate()

    def _style_send(self) -> None:
        """The side's colour when Send is possible; a flat grey with dim text when it is not — in both themes, so a
        disabled Send never looks like one that will send."""
        color = (theme.BUY if self.side is Side.BUY else theme.SELL).name()
        bg, fg, border = theme.disabled_button_colors()
        self.send_button.setStyleSheet(
            f"QPushButton {{ background: {color}; color: white; font-weight: bold; }}"
            f"QPushButton:disabled {{ background: {bg}; color: {fg}; font-weight: normal;"
            f" border: 1px dashed {border}; }}")

    def changeEvent(self, event) -> None:  # type: ignore[no-untyped-def]
        if event.type() in (QEvent.Type.PaletteChange, QEvent.Type.ApplicationPaletteChange):
            self._style_send()  # View → Theme while the ticket exists
        super().changeEvent(event)

    def current_kind(self) -> OrderKind:
        """Selected order type (Qt hands StrEnum item data back as plain str)."""
        return OrderKind(self.kind.currentData())

    def _kind_changed(self, *_args: object) -> None:
        kind = self.current_kind()
        self._use_field(self.price, kind.needs_price,
                        "at market" if kind is OrderKind.MARKET else "at market once triggered")
        self._use_field(self.trigger, kind.needs_trigger, "no trigger")
        if kind is OrderKind.LIMIT and not self.price.lineEdit().text() and self.instrument is not None:
            ltp = self.store.ltp(self.instrument.token) or self.instrument.prev_close
            if ltp:
                self.price.setValue(round_to_tick(ltp, self.instrument.tick_size))
        self._suggest_stop_prices()
        self.revalidate()

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

    def _suggest_stop_prices(self) -> None:
        """Stop defaults for SL/SL-M: the trigger one tick on the valid side of the live LTP (buy above, sell below);
        SL's limit two ticks beyond the trigger. A default follows the LTP until the trader types in that field (a typed
        value is never moved), so the ticket never opens (or sits) with its own default flagged as wrong. No LTP yet:
        no guess (the previous close may be far from where the market is)."""
        inst = self.instrument
        kind = self.current_kind()
        if inst is None or not kind.needs_trigger:
            return
        ltp = self.store.ltp(inst.token)
        tick = inst.tick_size
        buy = self.side is Side.BUY
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

    def request(self) -> OrderRequest | None:
        """The ticket as an order request (with the live LTP), or None without an instrument."""
        inst = self.instrument
        if inst is None:
            return None
        kind = self.current_kind()
        return OrderRequest(
            token=inst.token,
            side=self.side,
            kind=kind,
            quantity=self.qty.value(),
            price=self.price.value() if kind.needs_price else 0,
            trigger_price=self.trigger.value() if kind.needs_trigger else 0,
            ltp=self.store.ltp(inst.token) or 0,
        )

    def _active_fields(self) -> list[NumberField]:
        """The fields the current order type reads (a market order ignores the greyed price)."""
        kind = self.current_kind()
        return [self.qty, *([self.price] if kind.needs_price else []), *([self.trigger] if kind.needs_trigger else [])]

    def field_problems(self) -> list[str]:
        """What is wrong with the text in the fields themselves ("1.5", "-756"): it stays as typed, and until it
        reads as a number the order is not evaluated further."""
        return [p for field in self._active_fields() if (p := field.problem())]

    def revalidate(self, *_args: object) -> list[str]:
        """Show every problem now; Send is enabled only when there is none."""
        req = self.request()
        if req is None:
            return ["No instrument"]
        inst = self.instrument
        lots = inst is not None and inst.is_derivative and inst.lot_size > 1 and req.quantity > 0
        self.lots_label.setText(quantity_text(req.quantity, inst.lot_size) if lots and inst is not None else "")
        problems = self.field_problems()
        if not problems:
            problems = self._check(req) + [v.message for v in self._guards(req) if v.level is Level.BLOCK]
        # a value the order rejects (quantity 0 or empty, a missing or off-tick price) is marked on its field like
        # text that is not a number: the red border goes where the message points
        rejected = req.invalid_fields(self.instrument)
        kind = req.kind
        for field, name, active in ((self.qty, "quantity", True), (self.price, "price", kind.needs_price),
                                    (self.trigger, "trigger_price", kind.needs_trigger)):
            field.set_rejected(rejected.get(name) if active else None)
        self.problems.setText("\n".join(f"• {p}" for p in problems))
        self.problems.setVisible(bool(problems))
        self.send_button.setEnabled(not problems)
        ltp = self.store.ltp(req.token)
        reference = req.price or req.trigger_price or ltp or 0
        if self.field_problems():
            self.value_label.setText("—")
        elif not reference:
            self.value_label.setText(NO_PRICE)
        else:
            self.value_label.setText(format_rupees(req.quantity * reference) + ("" if req.price else " (approx.)"))
        return problems

    def refresh_ltp(self) -> None:
        """Called on the coalesced UI timer: live LTP, order value, validation (LTP-dependent rules)."""
        if self.instrument is None or not self.isVisible():
            return
        ltp = self.store.ltp(self.instrument.token)
        self.ltp_label.setText(f"LTP {format_rupees(ltp)}" if ltp else "LTP — (waiting for a tick)")
        if self.pages.currentIndex() == 0:
            self._suggest_stop_prices()  # untouched stop defaults stay on the valid side as the LTP moves
            self.revalidate()

    # ---------------------------------------------------------------- sending
    def send(self) -> None:
        """Enter / Send: confirm first when asked to (or when a guard asks), else send. The checks run once and no
        widget is touched on the way to the wire unless there is something to show."""
        page = self.pages.currentIndex()
        if page == 1:
            self._really_send()
            return
        if page != 0:
            return
        req = self.request()
        if req is None:
            return
        if self.field_problems():
            self.revalidate()  # show why
            return
        verdicts = self._guards(req)
        if self._check(req) or any(v.level is Level.BLOCK for v in verdicts):
            self.revalidate()  # show why
            return
        warnings = [v.message for v in verdicts if v.level is Level.CONFIRM]
        if self.confirm_box.isChecked() or warnings:  # a guard asks even when confirmation is switched off
            assert self.instrument is not None
            if req.kind is OrderKind.MARKET:
                price = "order at the market price"
            elif req.kind is OrderKind.SLM:  # SL-M has no price of its own: it becomes a market order when triggered
                price = f"trigger {format_rupees(req.trigger_price)}, then at the market price"
            else:
                price = f"at {format_rupees(req.price)}"
                if req.kind.needs_trigger:
                    price += f", trigger {format_rupees(req.trigger_price)}"
            notes = "".join(f"<br><span style='color:#c98a00'>⚠ {w}</span>" for w in warnings)
            self.revalidate()  # refreshes the value label shown below
            value = self.value_label.text()
            # a market order before the first tick: say so, never "≈ ₹0.00"
            value = f"<b>{value}</b>" if value == NO_PRICE else f"value ≈ {value}"
            self.confirm_text.setText(
                f"<b>{req.side.label.upper()} {req.quantity:,} × {label(self.instrument)}</b><br>"
                f"{req.kind.label} {price}<br>{value}{notes}")
            self.pages.setCurrentIndex(1)
            self.confirm_button.setFocus()
            return
        self._really_send(req)

    def _really_send(self, req: OrderRequest | None = None) -> None:
        req = req or self.request()
        if req is None:
            return
        try:
            record = self._submit(req)
        except Exception as exc:  # validation or connection: nothing was sent, say why
            self.pages.setCurrentIndex(0)
            self.problems.setText(f"• Not sent: {exc}")
            self.problems.setVisible(True)
            return
        self.record = record  # the frame is on the wire; now the ticket catches up
        self.pages.setCurrentIndex(2)
        self.follow(record)
        self.sent.emit(record)

    def follow(self, record: OrderRecord) -> None:
        """Show the order's progress: Sent → Pending → Executed at ₹x / Rejected: reason."""
        if self.record is None or record.local_id != self.record.local_id:
            return
        steps = " → ".join(dict.fromkeys(record.history))
        if record.status is OrderStatus.EXECUTED:
            final = f"Executed at {format_rupees(record.executed_price)}"
        elif record.status is OrderStatus.REJECTED:
            final = f"Rejected: {record.message}"
        elif record.status is OrderStatus.UNKNOWN:
            final = "Unknown — not confirmed (connection lost; not resent)"
        elif record.status is OrderStatus.SENT:  # the line under the steps says what the step means, not it again
            final = "Waiting for the exchange's answer"
        elif record.status is OrderStatus.PENDING:  # a stop waits for its trigger, as Kite says it
            final = "Trigger pending" if record.request.kind.needs_trigger else "Open at the exchange"
        else:
            final = record.status.value
        color = theme.STATUS_COLORS.get(record.status.value, theme.BUY).name()
        self.status_label.setText(f"{steps}<br><b style='color:{color}'>{final}</b>")

    def reject(self) -> None:
        """Esc: back from the confirmation step, otherwise close."""
        if self.pages.currentIndex() == 1:
            self.pages.setCurrentIndex(0)
            self.send_button.setFocus()
            return
        super().reject()

    def side_key(self, side: Side) -> QKeySequence:
        """The key that means Buy / Sell: the main window's buy/sell actions' (F1 / F2 unless remapped)."""
        name = "buy" if side is Side.BUY else "sell"
        return self.actions[name].shortcut() if self.actions is not None else QKeySequence(default_key(name))

    def _side_of_key(self, event) -> Side | None:  # type: ignore[no-untyped-def]
        combo = QKeySequence(event.keyCombination())
        return next((side for side in (Side.BUY, Side.SELL) if self.side_key(side) == combo), None)

    def event(self, event) -> bool:  # type: ignore[no-untyped-def]
        """Inside the ticket the Buy/Sell keys are the ticket's (switch side, as the buttons' labels say). The
        ticket is a tool window of the main window, whose F1/F2 actions would also match: claiming the key here
        (ShortcutOverride) makes it one key, one action, instead of Qt's "ambiguous shortcut" that did nothing."""
        if event.type() == QEvent.Type.ShortcutOverride and self._side_of_key(event) is not None:
            event.accept()
            return True
        return super().event(event)

    def _side_key_pressed(self, side: Side) -> None:
        page = self.pages.currentIndex()
        if page == 0:
            self.set_side(side)
        elif page == 2 and self.instrument is not None:  # after sending: a new order of that side
            self.open_for(self.instrument.token, side)
        # on the confirmation page nothing changes: the trader is confirming exactly what is shown

    def keyPressEvent(self, event) -> None:  # type: ignore[no-untyped-def]
        side = self._side_of_key(event)
        if side is not None:
            self._side_key_pressed(side)
            return
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            if self.pages.currentIndex() == 2:
                self.close()
            else:
                self.send()
            return
        super().keyPressEvent(event)
