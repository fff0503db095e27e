"""The order ticket: F1 buy / F2 sell, prefilled from the watchlist row, validated as you type, Enter sends,
Esc closes, an inline confirmation step (no nested modal loop), then it follows the order live."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QEvent, Qt, Signal
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import QDialog, QFrame, QLabel, QStackedWidget, QVBoxLayout, QWidget

from ..desk.notices import ConnectionChanged, GuardsChanged, InstrumentsChanged, OrderChanged
from ..domain.instruments import Instrument, Master
from ..domain.money import format_rupees
from ..domain.orders import OrderKind, OrderRecord, OrderRequest, Side
from ..services.guards import Level, Verdict
from ..settings import Prefs
from ..store.market import MarketStore
from . import theme
from .actions import ActionRegistry, default_key
from .labels import label
from .listening import NoticeSource, listen
from .pieces import alias
from .ticket_fields import TicketFields
from .ticket_protect import HELD_NOTE, ProtectBox
from .ticket_steps import APPROX, NO_PRICE, ConfirmStep, FollowStep, SendBar, SideToggle, TicketHeader


def ticket_group(inst: Instrument) -> str:
    """The kind of instrument the ticket remembers an order type for: ``equity``, ``futures`` or ``options``."""
    return "options" if inst.is_option else "futures" if inst.is_derivative else "equity"


class OrderTicket(QDialog):
    """Non-modal ticket. ``submit`` is called with the request; it returns the record or raises with a reason."""

    sent = Signal(object)  # OrderRecord

    def __init__(self, master: Master, store: MarketStore, prefs: Prefs,
                 submit: Callable[[OrderRequest], OrderRecord], check: Callable[[OrderRequest], list[str]],
                 parent: QWidget | None = None,
                 guards: Callable[[OrderRequest], list[Verdict]] | None = None,
                 actions: ActionRegistry | None = None,
                 protect: Callable[..., object] | None = None) -> None:
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
        # "with stop / target": the desk's TriggerDesk.protect_entry (levels armed when the entry fills)
        self._protect = protect
        self.instrument: Instrument | None = None
        self.side = Side.BUY
        self.record: OrderRecord | None = None
        self._build()

    # the pieces' widgets under the names the ticket's callers and tests use
    header = alias("head", "header")
    ltp_label = alias("head", "ltp_label")
    buy_button = alias("sides", "buy_button")
    sell_button = alias("sides", "sell_button")
    kind = alias("fields", "kind")
    qty = alias("fields", "qty")
    price = alias("fields", "price")
    trigger = alias("fields", "trigger")
    value_label = alias("fields", "value_label")
    lots_label = alias("fields", "lots_label")
    problems = alias("fields", "problems")
    confirm_box = alias("send_bar", "confirm_box")
    send_button = alias("send_bar", "send_button")
    confirm_text = alias("confirm", "confirm_text")
    confirm_button = alias("confirm", "confirm_button")
    status_label = alias("progress", "status_label")

    # ---------------------------------------------------------------- layout
    def _build(self) -> None:
        """The pieces (created in tab order), wired to the ticket, on three pages: entry, confirm, follow."""
        self.head = TicketHeader(self)
        self.sides = SideToggle(self.actions, self)
        self.sides.picked.connect(self.set_side)
        self.fields = TicketFields(self.store, self)
        self.fields.kindChanged.connect(self._kind_changed)
        self.fields.edited.connect(self.revalidate)
        self.protect_box = ProtectBox(self)
        self.protect_box.edited.connect(self.revalidate)
        self.protect_box.setVisible(self._protect is not None)
        # the levels and the note shown or hidden: the ticket grows or shrinks to fit them (nothing cut off)
        self.protect_box.enabled.toggled.connect(lambda _on: self.isVisible() and self.adjustSize())
        self.send_bar = SendBar(self.prefs, self)
        self.send_bar.sendClicked.connect(self.send)
        self.send_bar.closeClicked.connect(self.close)
        self.confirm = ConfirmStep(self)
        self.confirm.confirmed.connect(self._really_send)
        self.confirm.back.connect(lambda: self.pages.setCurrentIndex(0))
        self.progress = FollowStep(self)
        self.progress.another.connect(
            lambda: self.open_for(self.instrument.token if self.instrument else "", self.side))
        self.progress.done.connect(self.close)

        entry = QWidget(self)
        entry_layout = QVBoxLayout(entry)
        entry_layout.setContentsMargins(0, 0, 0, 0)
        for piece in (self.sides, self.fields, self.protect_box, self.send_bar):
            entry_layout.addWidget(piece)
        self.pages = QStackedWidget(self)
        for page in (entry, self.confirm, self.progress):
            self.pages.addWidget(page)
        layout = QVBoxLayout(self)
        layout.addWidget(self.head)
        line = QFrame(self)
        line.setFrameShape(QFrame.Shape.HLine)
        layout.addWidget(line)
        layout.addWidget(self.pages)
        # after sending: what became of the stop / target asked for with the entry (waiting for the fill, or why not)
        self.protect_status = QLabel(self)
        self.protect_status.setObjectName("ticket_protect_status")
        self.protect_status.setWordWrap(True)
        self.protect_status.setVisible(False)
        layout.addWidget(self.protect_status)
        self.setMinimumWidth(340)

    # ---------------------------------------------------------------- state
    def open_for(self, token: str, side: Side, kind: OrderKind | None = None) -> bool:
        """Prefill for ``token`` and show, as order type ``kind`` (square-off: Market) or the type last picked for
        this kind of instrument — Market or Limit only: a remembered stop would turn the next ticket, an exit
        included, into a resting stop order. Returns False when the token is unknown."""
        inst = self.master.get(token)
        if inst is None:
            return False
        self.instrument = inst
        self.record = None
        self.side = side
        if kind is None:
            kind = self.prefs.ticket_kind(ticket_group(inst))
            kind = kind if kind in (OrderKind.MARKET, OrderKind.LIMIT) else OrderKind.MARKET
        self.fields.reset(inst, kind)
        self.protect_box.reset()
        self.protect_status.setVisible(False)
        self.pages.setCurrentIndex(0)
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
        self.send_bar.style_send(side)
        self.setWindowTitle(f"{side.label} {name}")
        self.fields.suggest_stop_prices(self.instrument, side)
        self.revalidate()

    def changeEvent(self, event) -> None:  # type: ignore[no-untyped-def]
        if event.type() in (QEvent.Type.PaletteChange, QEvent.Type.ApplicationPaletteChange):
            self.send_bar.style_send(self.side)  # View → Theme while the ticket exists
        super().changeEvent(event)

    def current_kind(self) -> OrderKind:
        """Selected order type."""
        return self.fields.current_kind()

    def _kind_changed(self) -> None:
        """Another order type: the fields follow it, then the order is checked again; the next ticket for this kind
        of instrument opens with it (the trader's habit differs: market for equity, SL for options...)."""
        if self.instrument is not None:
            self.prefs.set_ticket_kind(ticket_group(self.instrument), self.current_kind())
        self.fields.use_kind(self.instrument, self.side)
        self.revalidate()

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
        self.fields.show_lots(self.instrument, req.quantity)
        problems = self.fields.field_problems()
        if not problems:
            problems = self._check(req) + [v.message for v in self._guards(req) if v.level is Level.BLOCK]
            problems += self._protect_problems(req)
        self.fields.mark_rejected(req.invalid_fields(self.instrument), req.kind)
        self.fields.show_problems(problems)
        self.send_button.setEnabled(not problems)
        ltp = self.store.ltp(req.token)
        reference = req.price or req.trigger_price or ltp or 0
        if self.fields.field_problems():
            self.value_label.setText("—")
        elif not reference:
            self.value_label.setText(NO_PRICE)
        else:
            self.value_label.setText(format_rupees(req.quantity * reference) + ("" if req.price else APPROX))
        return problems

    def refresh_ltp(self) -> None:
        """Called on the coalesced UI timer: live LTP, order value, validation (LTP-dependent rules)."""
        if self.instrument is None or not self.isVisible():
            return
        ltp = self.store.ltp(self.instrument.token)
        self.ltp_label.setText(f"LTP {format_rupees(ltp)}" if ltp else "LTP — (waiting for a tick)")
        if self.pages.currentIndex() == 0:
            # untouched stop defaults stay on the valid side as the LTP moves
            self.fields.suggest_stop_prices(self.instrument, self.side)
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
        if self.fields.field_problems():
            self.revalidate()  # show why
            return
        verdicts = self._guards(req)
        if self._check(req) or any(v.level is Level.BLOCK for v in verdicts) or self._protect_problems(req):
            self.revalidate()  # show why
            return
        warnings = [v.message for v in verdicts if v.level is Level.CONFIRM]
        if self.confirm_box.isChecked() or warnings:  # a guard asks even when confirmation is switched off
            assert self.instrument is not None
            self.revalidate()  # refreshes the value label shown below
            self.confirm.ask(req, label(self.instrument), self.value_label.text(), warnings)
            if self._protect is not None and self.protect_box.wanted:
                self.confirm_text.setText(self.confirm_text.text() + "<br>with a stop / target held by this app")
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
        self._attach_protection(record)
        self.pages.setCurrentIndex(2)
        self.follow(record)
        self.sent.emit(record)

    def _protect_problems(self, req: OrderRequest) -> list[str]:
        """Why the stop / target asked for cannot protect this entry (nothing when not asked for)."""
        if self._protect is None:
            return []
        return self.protect_box.problems(req.token, req.side, self.store.ltp(req.token))

    def _attach_protection(self, record: OrderRecord) -> None:
        """The entry is sent: its stop / target waits for the fill (armed then, for what filled). A refusal is said
        on the follow page; the order itself stands (it was sent once and is not touched)."""
        if self._protect is None or not self.protect_box.wanted:
            self.protect_status.setVisible(False)
            return
        try:
            trigger = self._protect([record], **self.protect_box.levels())
            text = f"{getattr(trigger, 'describe', lambda: 'Stop / target attached')()}. {HELD_NOTE}"
        except Exception as exc:  # the order went; its protection did not: say so plainly (exit or protect by hand)
            text = f"The stop / target was NOT attached: {exc} Add it from Positions once the order fills."
        self.protect_status.setText(text)
        self.protect_status.setVisible(True)

    def listen_to(self, desk: NoticeSource) -> None:
        """Follow the desk until the ticket is destroyed: its order's answers, and a fresh check of the open ticket
        when the guards, the master (name, lot, tick) or the connection (Send) change."""
        listen(self, desk, {OrderChanged: lambda notice: self.follow(notice.record),
                            GuardsChanged: self.revalidate,
                            InstrumentsChanged: self.revalidate,
                            ConnectionChanged: lambda _n: self.isVisible() and self.revalidate()})

    def follow(self, record: OrderRecord) -> None:
        """Show the order's progress: Sent → Pending → Executed at ₹x / Rejected: reason."""
        if self.record is None or record.local_id != self.record.local_id:
            return
        self.progress.show_record(record)

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
