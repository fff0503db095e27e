"""Banners that stack: every problem that needs the trader keeps its own strip until it is dealt with, so a second
problem (the bar store's) never replaces the first (the journal's "Orders cannot be sent").

:class:`BannerStack` speaks the single banner's language (``show_message``, ``hide``, ``label``, ``button``,
``shownChanged``), so callers written for one banner keep working: a message shows as a new strip on top (the same
text or ``key`` again updates its strip instead of adding one), an "OK" that was the banner's ``hide`` dismisses
only its own strip, and :meth:`BannerStack.dismiss` takes one strip away by its ``key``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

from PySide6.QtCore import QTimer, Signal
from PySide6.QtWidgets import QVBoxLayout, QWidget

MAX_BANNERS = 4  # more than this at once: the oldest goes (each is also in the log)


class BannerRow(Protocol):
    """What one strip is (``main_window.Banner``): a message, one action button, a close button."""

    shownChanged: Any
    label: Any
    button: Any

    def show_message(self, text: str, button: str, callback: Callable[[], object], *, error: bool = True) -> None:
        """Show ``text`` with a ``button`` that runs ``callback``."""

    def hide(self) -> None:
        """Close the strip."""


class BannerStack(QWidget):
    """Strips above the content, newest on top; hidden when there is none."""

    shownChanged = Signal(bool)  # the first strip appeared / the last one went (the chart gives way meanwhile)

    def __init__(self, row_type: Callable[[QWidget], Any], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("banner_stack")
        self._row_type = row_type
        self._rows: list[tuple[str, Any]] = []  # (key, strip), newest first
        self._empty: Any | None = None  # what label/button give while nothing shows
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(4)
        self.hide()

    # ------------------------------------------------------------------ the single banner's language
    def show_message(self, text: str, button: str, callback: Callable[[], object], *, error: bool = True,
                     key: str | None = None) -> Any:
        """Show ``text`` in its own strip on top (the strip of the same ``key`` — by default the same text — is
        updated instead). A ``callback`` that is this stack's :meth:`hide` dismisses only this strip. Returns it."""
        key = key if key is not None else text
        row = self._row(key)
        if row is None:
            row = self._row_type(self)
            # only a strip closed itself counts: a minimised window hides its strips too, and they must come back
            row.shownChanged.connect(lambda shown, r=row: None if shown or not r.isHidden() else self._closed(r))
            self._rows.insert(0, (key, row))
            self.layout().insertWidget(0, row)
            while len(self._rows) > MAX_BANNERS:
                self._rows[-1][1].hide()
        action = (lambda r=row: r.hide()) if callback == self.hide else callback
        row.show_message(text, button, action, error=error)
        if self.isHidden():
            self.show()
            self.shownChanged.emit(True)
        return row

    def hide(self) -> None:
        """Take every strip away."""
        for _key, row in list(self._rows):
            row.hide()
        super().hide()

    def dismiss(self, key: str) -> None:
        """Take the strip of ``key`` away (nothing when it is not showing)."""
        row = self._row(key)
        if row is not None:
            row.hide()

    @property
    def label(self) -> Any:
        """The newest strip's text label (a hidden one when there is none)."""
        return self._newest().label

    @property
    def button(self) -> Any:
        """The newest strip's action button."""
        return self._newest().button

    def texts(self) -> list[str]:
        """Every message showing, newest first."""
        return [row.label.text() for _key, row in self._rows]

    # ------------------------------------------------------------------ inside
    def _row(self, key: str) -> Any | None:
        return next((row for k, row in self._rows if k == key), None)

    def _newest(self) -> Any:
        if self._rows:
            return self._rows[0][1]
        if self._empty is None:  # callers may read an empty stack's label: an empty, hidden strip
            self._empty = self._row_type(self)
            self._empty.hide()
        return self._empty

    def _closed(self, row: Any) -> None:
        if not any(r is row for _k, r in self._rows):
            return
        self._rows = [(k, r) for k, r in self._rows if r is not row]
        row.deleteLater()
        if not self._rows and not self.isHidden():
            super().hide()
            self.shownChanged.emit(False)
        QTimer.singleShot(0, self, self.adjustSize)
