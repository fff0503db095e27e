"""The order ticket: F1 buy / F2 sell, prefilled from the watchlist row, validated as you type, Enter sends,
Esc closes, an inline confirmation step (no nested modal loop), then it follows the order live."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeySequence, QShortcut
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
    QSpinBox,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from ..domain.instruments import Instrument, InstrumentMaster
from ..domain.money import Rounding, format_rupees, round_to_tick
from ..domain.orders import OrderKind, OrderRecord, OrderRequest, OrderStatus, Side
from ..services.guards import Level, Verdict
from ..store.market import MarketStore
from . import theme
from .actions import ActionRegistry, default_key, key_label
from .prefs import Prefs
from .widgets import PriceSpin

KIND_ORDER = (OrderKind.MARKET, OrderKind.LIMIT, OrderKind.SL, OrderKind.SLM)


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
        self.qty = QSpinBox(self)
        self.qty.setObjectName("ticket_qty")
        self.qty.setRange(0, 10_000_000)
        self.qty.setGroupSeparatorShown(True)
        self.qty.setAccelerated(True)
        self.price = PriceSpin(self)
        self.price.setObjectName("ticket_price")
        self.trigger = PriceSpin(self)
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
            widget.valueChanged.connect(self.revalidate)

        form = QFormLayout()
        form.addRow("Type", self.kind)
        form.addRow("Quantity", self.qty)
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
        self.side_keys = {side: QShortcut(self) for side in (Side.BUY, Side.SELL)}
        self.side_keys[Side.BUY].activated.connect(lambda: self.set_side(Side.BUY))
        self.side_keys[Side.SELL].activated.connect(lambda: self.set_side(Side.SELL))
        self.relabel()
        if self.actions is not None:
            self.actions.remapped.connect(self.relabel)
        self.setMinimumWidth(340)

    def relabel(self, *_args: object) -> None:
        """Buy/Sell keys and labels from the action registry (again after a remap)."""
        for side, button, name in ((Side.BUY, self.buy_button, "buy"), (Side.SELL, self.sell_button, "sell")):
            button.setText(key_label(self.actions, name, side.label))
            key = self.actions.key(name) if self.actions is not None else default_key(name)
            self.side_keys[side].setKey(QKeySequence(key))

    # ---------------------------------------------------------------- state
    def open_for(self, token: str, side: Side) -> bool:
        """Prefill for ``token`` and show. Returns False when the token is unknown."""
        inst = self.master.get(token)
        if inst is None:
            return False
        self.instrument = inst
        self.record = None
        self.side = side
        ltp = self.store.ltp(token) or inst.prev_close
        self.kind.setCurrentIndex(0)
        self.qty.setSingleStep(inst.lot_size)
        self.qty.setMinimum(0)
        self.qty.setValue(inst.lot_size)
        for spin in (self.price, self.trigger):
            spin.setTick(inst.tick_size)
        self.price.setValue(round_to_tick(ltp, inst.tick_size) if ltp else 0)
        self.trigger.setValue(0)
        self.pages.setCurrentIndex(0)
        self.set_side(side)
        self._kind_changed()
        self.setWindowTitle(f"{side.label} {inst.display}")
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
        name = self.instrument.display if self.instrument else ""
        exch = self.instrument.exchange if self.instrument else ""
        self.header.setText(f"{side.label.upper()}  {name}  ·  {exch}")
        self.header.setStyleSheet(f"background: {color.name()}; color: white; font-weight: bold; border-radius: 3px;")
        self.send_button.setText(f"{side.label} (Enter)")
        self.send_button.setStyleSheet(f"background: {color.name()}; color: white; font-weight: bold;")
        self.setWindowTitle(f"{side.label} {name}")
        self._suggest_stop_prices()
        self.revalidate()

    def current_kind(self) -> OrderKind:
        """Selected order type (Qt hands StrEnum item data back as plain str)."""
        return OrderKind(self.kind.currentData())

    def _kind_changed(self, *_args: object) -> None:
        kind = self.current_kind()
        self.price.setEnabled(kind.needs_price)
        self.trigger.setEnabled(kind.needs_trigger)
        self._suggest_stop_prices()
        self.revalidate()

    def _suggest_stop_prices(self) -> None:
        """Sensible stop defaults on switching to SL/SL-M: trigger 10 ticks away on the right side of LTP."""
        inst = self.instrument
        kind = self.current_kind()
        if inst is None or not kind.needs_trigger:
            return
        ltp = self.store.ltp(inst.token) or inst.prev_close
        tick = inst.tick_size
        if not ltp:
            return
        away = 10 * tick
        if self.side is Side.BUY:
            trigger = round_to_tick(ltp, tick, Rounding.UP) + away
            price = trigger + 2 * tick
        else:
            trigger = max(tick, round_to_tick(ltp, tick, Rounding.DOWN) - away)
            price = max(tick, trigger - 2 * tick)
        self.trigger.setValue(trigger)
        if kind.needs_price:
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

    def revalidate(self, *_args: object) -> list[str]:
        """Show every problem now; Send is enabled only when there is none."""
        req = self.request()
        if req is None:
            return ["No instrument"]
        problems = self._check(req) + [v.message for v in self._guards(req) if v.level is Level.BLOCK]
        self.problems.setText("\n".join(f"• {p}" for p in problems))
        self.problems.setVisible(bool(problems))
        self.send_button.setEnabled(not problems)
        ltp = self.store.ltp(req.token)
        reference = req.price or req.trigger_price or ltp or 0
        self.value_label.setText(format_rupees(req.quantity * reference) + ("" if req.price else " (approx.)"))
        return problems

    def refresh_ltp(self) -> None:
        """Called on the coalesced UI timer: live LTP, order value, validation (LTP-dependent rules)."""
        if self.instrument is None or not self.isVisible():
            return
        ltp = self.store.ltp(self.instrument.token)
        self.ltp_label.setText(f"LTP {format_rupees(ltp)}" if ltp else "LTP — (waiting for a tick)")
        if self.pages.currentIndex() == 0:
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
        verdicts = self._guards(req)
        if self._check(req) or any(v.level is Level.BLOCK for v in verdicts):
            self.revalidate()  # show why
            return
        warnings = [v.message for v in verdicts if v.level is Level.CONFIRM]
        if self.confirm_box.isChecked() or warnings:  # a guard asks even when confirmation is switched off
            assert self.instrument is not None
            limit = format_rupees(req.price or req.trigger_price)
            price = "order at the market price" if req.kind is OrderKind.MARKET else f"at {limit}"
            if req.kind.needs_trigger:
                price += f", trigger {format_rupees(req.trigger_price)}"
            notes = "".join(f"<br><span style='color:#c98a00'>⚠ {w}</span>" for w in warnings)
            self.revalidate()  # refreshes the value label shown below
            self.confirm_text.setText(
                f"<b>{req.side.label.upper()} {req.quantity:,} × {self.instrument.display}</b><br>"
                f"{req.kind.label} {price}<br>value ≈ {self.value_label.text()}{notes}")
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

    def keyPressEvent(self, event) -> None:  # type: ignore[no-untyped-def]
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            if self.pages.currentIndex() == 2:
                self.close()
            else:
                self.send()
            return
        super().keyPressEvent(event)
