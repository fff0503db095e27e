"""Dialogs: API key entry, keyboard shortcuts, about. All opened with ``open()`` (never ``exec()``)."""

from __future__ import annotations

import platform

from PySide6 import __version__ as pyside_version
from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QKeySequenceEdit,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from .. import APP_NAME, __version__
from .actions import ActionRegistry
from .widgets import add_close_keys


class ApiKeyDialog(QDialog):
    """Masked key entry. Emits ``keyEntered(key)``; the caller stores it (keyring or session only)."""

    keyEntered = Signal(str)

    def __init__(self, parent: QWidget | None = None, *, secure_keyring: bool = True, message: str = "") -> None:
        super().__init__(parent)
        self.setObjectName("api_key_dialog")
        self.setWindowTitle("AirAlgo API key")
        self.setModal(True)
        intro = QLabel(
            "Paste the API key from your AirAlgo account. It is stored in the OS keyring "
            "(Credential Locker, Keychain or Secret Service) and never written to a file or a log.", self)
        intro.setWordWrap(True)
        self.message = QLabel(message, self)
        self.message.setObjectName("api_key_message")
        self.message.setWordWrap(True)
        self.message.setStyleSheet("color: #d83a3a;")
        self.message.setVisible(bool(message))
        self.edit = QLineEdit(self)
        self.edit.setObjectName("api_key_edit")
        self.edit.setEchoMode(QLineEdit.EchoMode.Password)
        self.edit.setPlaceholderText("API key")
        show = QAction("Show", self.edit)
        show.setCheckable(True)
        show.toggled.connect(lambda on: self.edit.setEchoMode(
            QLineEdit.EchoMode.Normal if on else QLineEdit.EchoMode.Password))
        self.edit.addAction(show, QLineEdit.ActionPosition.TrailingPosition)
        self.remember = QCheckBox("Remember in the OS keyring", self)
        self.remember.setChecked(secure_keyring)
        self.remember.setEnabled(False)
        if not secure_keyring:
            self.remember.setText("No OS keyring available: the key will be kept for this session only")
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self)
        self.ok = buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.ok.setText("Connect")
        self.ok.setEnabled(False)
        self.edit.textChanged.connect(lambda text: self.ok.setEnabled(bool(text.strip())))
        buttons.accepted.connect(self._accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        for widget in (intro, self.message, self.edit, self.remember, buttons):
            layout.addWidget(widget)
        self.setMinimumWidth(420)

    def _accept(self) -> None:
        key = self.edit.text().strip()
        if key:
            self.edit.clear()  # do not keep the secret in the widget
            self.keyEntered.emit(key)
            self.accept()


class ShortcutsDialog(QDialog):
    """Every shortcut in the action registry. With the registry, a shortcut can be changed: double-click (or Enter
    on) its cell and press the new key; a key another action (or the ticket) already uses is refused with a message,
    Backspace clears it; "Restore defaults" puts every key back. The registry saves only what differs."""

    FIXED = (("Send ticket / confirm", "Enter"), ("Close ticket / back", "Esc"),
             ("Copy order-book rows", "Ctrl+C"), ("Step price by tick", "↑ / ↓ in a price field"))

    def __init__(self, rows: list[tuple[str, str]], parent: QWidget | None = None,
                 registry: ActionRegistry | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Keyboard shortcuts")
        self.registry = registry
        # with a registry every action is listed (one without a key can get one), else the rows given
        self.names = [name for name in registry.actions if not registry.specs[name].checkable] if registry else []
        rows = [(registry.specs[n].text.replace("&", "").rstrip("…"), registry.key(n)) for n in self.names] \
            if registry else rows
        self.table = table = QTableWidget(len(rows) + len(self.FIXED), 2, self)
        table.setObjectName("shortcuts_table")
        table.setHorizontalHeaderLabels(["Action", "Shortcut"])
        for i, (name, key) in enumerate([*rows, *self.FIXED]):
            table.setItem(i, 0, QTableWidgetItem(name))
            table.setItem(i, 1, QTableWidgetItem(key))
        table.verticalHeader().setVisible(False)
        table.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        table.cellDoubleClicked.connect(lambda row, _col: self.edit_row(row))
        table.cellActivated.connect(lambda row, _col: self.edit_row(row))
        self.hint = QLabel("Double-click a shortcut (or press Enter on it), then press the new key; "
                           "Backspace clears it." if registry else "", self)
        self.hint.setWordWrap(True)
        self.hint.setVisible(registry is not None)
        self.problem = QLabel(self)
        self.problem.setObjectName("shortcuts_problem")
        self.problem.setStyleSheet("color: #d83a3a;")
        self.problem.setWordWrap(True)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.rejected.connect(self.close)
        if registry is not None:
            restore = buttons.addButton("Restore defaults", QDialogButtonBox.ButtonRole.ResetRole)
            restore.clicked.connect(self.restore_defaults)
        # no default button: Enter on a row edits it (the table passes the key on after "activated", and a default
        # "Restore defaults" would have wiped every remap)
        for button in buttons.buttons():
            if isinstance(button, QPushButton):
                button.setAutoDefault(False)
                button.setDefault(False)
        layout = QVBoxLayout(self)
        layout.addWidget(table)
        layout.addWidget(self.hint)
        layout.addWidget(self.problem)
        layout.addWidget(buttons)
        self.resize(440, 560)
        add_close_keys(self)

    def keyPressEvent(self, event) -> None:  # type: ignore[no-untyped-def]
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            event.accept()  # handled by the table (edit the row); never a dialog button
            return
        super().keyPressEvent(event)

    def edit_row(self, row: int) -> None:
        """Start recording a new key for the action in ``row`` (the fixed keys at the bottom cannot change)."""
        if self.registry is None or not 0 <= row < len(self.names):
            return
        edit = QKeySequenceEdit(self.table)
        edit.setObjectName("shortcut_edit")
        edit.setMaximumSequenceLength(1)  # one key combination: recording ends with it
        edit.setClearButtonEnabled(False)
        edit.editingFinished.connect(lambda: self._apply(row, edit))
        self.table.setCellWidget(row, 1, edit)
        edit.setFocus()

    def _apply(self, row: int, edit: QKeySequenceEdit) -> None:
        sequence = edit.keySequence()
        self.table.removeCellWidget(row, 1)
        self.table.setFocus()
        if sequence.isEmpty():
            return
        if sequence == QKeySequence(Qt.Key.Key_Backspace):
            sequence = QKeySequence()
        self.remap(self.names[row], sequence.toString(QKeySequence.SequenceFormat.PortableText))

    def remap(self, name: str, key: str) -> bool:
        """Give action ``name`` the shortcut ``key`` ("" clears it). Refused, with the reason shown, when another
        action or a fixed key already has it: one key, one action."""
        assert self.registry is not None
        sequence = QKeySequence(key)
        if not sequence.isEmpty():
            native = sequence.toString(QKeySequence.SequenceFormat.NativeText)
            owner = next((self.table.item(i, 0).text() for i, other in enumerate(self.names)
                          if other != name and self.registry[other].shortcut() == sequence), None)
            owner = owner or next((text for text, fixed in self.FIXED if QKeySequence(fixed) == sequence), None)
            if owner is not None:
                self.problem.setText(f"{native} is already “{owner}”: choose another key (or change that one first).")
                return False
        self.registry.remap(name, key)
        self.table.item(self.names.index(name), 1).setText(self.registry.key(name))
        self.problem.setText("")
        return True

    def restore_defaults(self) -> None:
        """Every action back to its declared key (first all cleared, so swapped keys never collide)."""
        assert self.registry is not None
        for name in self.names:
            self.registry.remap(name, "")
        for name in self.names:
            self.registry.remap(name, self.registry.specs[name].shortcut)
            self.table.item(self.names.index(name), 1).setText(self.registry.key(name))
        self.problem.setText("")


class AboutDialog(QDialog):
    """Version and environment (no secrets)."""

    def __init__(self, keyring_backend: str, log_dir: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(f"About {APP_NAME}")
        text = QLabel(
            f"<h3>{APP_NAME} {__version__}</h3>"
            "<p>Desktop trading terminal for the AirAlgo WebSocket API.</p>"
            f"<p>Python {platform.python_version()} · PySide6 {pyside_version} · {platform.system()} "
            f"{platform.machine()}<br>Keyring: {keyring_backend}<br>Logs: {log_dir}</p>", self)
        text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        text.setWordWrap(True)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.rejected.connect(self.close)
        layout = QVBoxLayout(self)
        layout.addWidget(text)
        layout.addWidget(buttons)


class GuardsDialog(QDialog):
    """Edit the trading guards; emits ``saved(GuardSettings)``."""

    saved = Signal(object)

    def __init__(self, current, parent: QWidget | None = None) -> None:  # type: ignore[no-untyped-def]
        from PySide6.QtWidgets import QDoubleSpinBox, QFormLayout

        from ..services.guards import GuardSettings

        super().__init__(parent)
        self.setWindowTitle("Trading guards")
        self._cls = GuardSettings
        form = QFormLayout()
        self.dup = QCheckBox("Ask before a duplicate order within", self)
        self.dup.setChecked(current.duplicate_enabled)
        self.dup_s = QDoubleSpinBox(self, suffix=" s", minimum=1, maximum=600, value=current.duplicate_window_s)
        self.band = QCheckBox("Ask when price or trigger is further from the LTP than", self)
        self.band.setChecked(current.price_band_enabled)
        self.band_pct = QDoubleSpinBox(self, suffix=" %", minimum=0.1, maximum=50, value=current.price_band_pct)
        self.freeze = QCheckBox("Block quantities above the exchange freeze quantity", self)
        self.freeze.setChecked(current.freeze_enabled)
        self.stale = QCheckBox("Ask before a market order when the last tick is older than", self)
        self.stale.setChecked(current.stale_enabled)
        self.stale_s = QDoubleSpinBox(self, suffix=" s", minimum=1, maximum=3600, value=current.stale_after_s)
        form.addRow(self.dup, self.dup_s)
        form.addRow(self.band, self.band_pct)
        # the order value limit moved to the risk gate, so every order path (not only the ticket) obeys it
        form.addRow(QLabel("The order value limit is in Trade → Risk limits…", self))
        form.addRow(self.freeze)
        form.addRow(self.stale, self.stale_s)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel,
                                   self)
        buttons.accepted.connect(self._save)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(buttons)  # nothing here can be mistyped any more: no error line

    def _save(self) -> None:
        self.saved.emit(self._cls(
            duplicate_enabled=self.dup.isChecked(), duplicate_window_s=self.dup_s.value(),
            price_band_enabled=self.band.isChecked(), price_band_pct=self.band_pct.value(),
            freeze_enabled=self.freeze.isChecked(),
            stale_enabled=self.stale.isChecked(), stale_after_s=self.stale_s.value()))
        self.accept()
