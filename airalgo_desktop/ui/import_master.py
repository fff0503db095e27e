"""File → Import instrument master: a file or a URL, imported in the background with progress and Cancel.

The dialog only collects the source and shows progress; the work is the desk's (:meth:`InstrumentBook.import_master`,
which runs the importer in a worker thread). Progress arrives from that thread and is handed to the Qt thread with
``call_soon_threadsafe``; Cancel sets the importer's flag, which it checks between chunks — the previous master is
untouched until the new one is complete.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from ..instruments.formats import FORMAT_NAMES, FORMATS, Cancel

EXAMPLES = ("Kite instruments.csv, Upstox complete.json.gz, Angel One OpenAPIScripMaster.json, Dhan "
            "api-scrip-master.csv, Fyers NSE_CM.csv + NSE_FO.csv — a file, or its https:// address")


DEMO_NOTE = ("<b>Demo mode:</b> the simulator keeps playing its own demo universe. This master replaces the app's "
             "instrument list for the rest of this session (and is saved for runs without --demo): contracts the "
             "simulator does not know get no prices and their orders are rejected, and watchlist rows whose token "
             "now means another contract, or none, are marked ⚠. The next start with --demo uses the demo universe "
             "again.")


class ImportMasterDialog(QDialog):
    """Source (paths or URL) + format, then a progress bar and Cancel while the import runs."""

    importRequested = Signal(list, str)  # sources, format ("" = recognise from the content)

    def __init__(self, parent: QWidget | None = None, message: str = "", *, demo: bool = False) -> None:
        super().__init__(parent)
        self.setWindowTitle("Import instrument master")
        self.setObjectName("import_master_dialog")
        self.setMinimumWidth(620)
        self.cancel_flag: Cancel | None = None
        self._on_cancel: Callable[[], None] | None = None
        layout = QVBoxLayout(self)
        intro = QLabel(message or "Your broker's instrument master tells the app which NSE token is which contract. "
                       "It replaces the current one as a whole once it has been read completely.")
        intro.setWordWrap(True)
        layout.addWidget(intro)
        # in demo mode an import does not feed the simulator: say what it does to the universe being played
        self.demo_note = QLabel(DEMO_NOTE, self)
        self.demo_note.setObjectName("import_demo_note")
        self.demo_note.setWordWrap(True)
        self.demo_note.setVisible(demo)
        layout.addWidget(self.demo_note)
        form = QFormLayout()
        row = QHBoxLayout()
        self.source = QLineEdit(self)
        self.source.setPlaceholderText("path or https:// URL")
        self.source.setToolTip(EXAMPLES)
        self.source.textChanged.connect(self._update_buttons)
        browse = QPushButton("Browse…", self)
        browse.clicked.connect(self._browse)
        row.addWidget(self.source, 1)
        row.addWidget(browse)
        form.addRow("Master:", row)
        self.format = QComboBox(self)
        self.format.addItem("Recognise from the content", "")
        for fmt in FORMATS:
            self.format.addItem(FORMAT_NAMES[fmt], fmt)
        form.addRow("Layout:", self.format)
        layout.addLayout(form)
        hint = QLabel(EXAMPLES)
        hint.setWordWrap(True)
        hint.setEnabled(False)
        layout.addWidget(hint)
        self.progress = QProgressBar(self)
        self.progress.setRange(0, 1000)
        self.progress.setVisible(False)
        self.status = QLabel("", self)
        self.status.setWordWrap(True)
        layout.addWidget(self.progress)
        layout.addWidget(self.status)
        self.buttons = QDialogButtonBox(self)
        self.import_button = self.buttons.addButton("Import", QDialogButtonBox.ButtonRole.AcceptRole)
        self.cancel_button = self.buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        self.import_button.clicked.connect(self._start)
        self.cancel_button.clicked.connect(self._cancel)
        layout.addWidget(self.buttons)
        self._paths: list[str] = []
        self._update_buttons()

    def sources(self) -> list[str]:
        """What to import: the files picked with Browse (several make one master), or the typed path/URL."""
        text = self.source.text().strip()
        if self._paths and text == " + ".join(self._paths):
            return list(self._paths)
        return [text] if text else []

    def _browse(self) -> None:
        dialog = QFileDialog(self, "Choose the instrument master (several files make one master)")
        dialog.setNameFilter("Instrument masters (*.csv *.json *.gz *.zip *.txt);;All files (*)")
        dialog.setFileMode(QFileDialog.FileMode.ExistingFiles)
        dialog.filesSelected.connect(self._picked)
        dialog.open()

    def _picked(self, paths: list[str]) -> None:
        self._paths = list(paths)
        self.source.setText(" + ".join(paths))

    def _update_buttons(self) -> None:
        self.import_button.setEnabled(bool(self.source.text().strip()) and self.cancel_flag is None)

    def _start(self) -> None:
        sources = self.sources()
        if not sources:
            return
        self.cancel_flag = Cancel.new()
        self.progress.setValue(0)
        self.progress.setVisible(True)
        self.status.setText("Starting…")
        self.source.setEnabled(False)
        self.format.setEnabled(False)
        self._update_buttons()
        self.importRequested.emit(sources, str(self.format.currentData() or ""))

    def set_progress(self, fraction: float, text: str) -> None:
        """Progress from the import (call on the Qt thread)."""
        self.progress.setValue(int(max(0.0, min(fraction, 1.0)) * 1000))
        self.status.setText(text)

    def finished_with(self, error: str | None) -> None:
        """The import ended: close on success; on failure say why and allow another try."""
        self.cancel_flag = None
        if error is None:
            self.accept()
            return
        self.progress.setVisible(False)
        self.status.setText(error)
        self.source.setEnabled(True)
        self.format.setEnabled(True)
        self._update_buttons()

    def reject(self) -> None:
        """Esc or the window's close button: while importing, that means Cancel."""
        if self.cancel_flag is not None:
            self._cancel()
            return
        super().reject()

    def _cancel(self) -> None:
        if self.cancel_flag is not None:
            self.cancel_flag.set()  # the worker stops at its next check; finished_with() follows
            self.status.setText("Cancelling… the current master stays as it is.")
            return
        super().reject()
