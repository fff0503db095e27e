"""One small helper for "call everyone who asked": the client's events, the order service's records and the desk's
notices all go out through a :class:`Listeners` (no hand-written loop per class). Qt-free, no I/O."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable
from typing import Generic, TypeVar

T = TypeVar("T")


class Listeners(Generic[T]):
    """Callables given every value emitted, in the order they were added. A failing listener is logged (with the
    value's type) and the others still run: one broken view never silences the journal or the order book."""

    __slots__ = ("_listeners", "_log", "_what")

    def __init__(self, log: logging.Logger, what: str = "listener") -> None:
        self._listeners: list[Callable[[T], object]] = []
        self._log = log
        self._what = what

    def add(self, listener: Callable[[T], object]) -> None:
        """Call ``listener(value)`` for every value emitted from now on."""
        self._listeners.append(listener)

    def remove(self, listener: Callable[[T], object]) -> None:
        """Stop calling ``listener`` (no error when it was never added or is already gone)."""
        with contextlib.suppress(ValueError):
            self._listeners.remove(listener)

    def emit(self, value: T) -> None:
        """Give ``value`` to every listener (a listener added or removed meanwhile takes effect next time)."""
        for listener in list(self._listeners):
            try:
                listener(value)
            except Exception:
                self._log.exception("%s failed on %s", self._what, type(value).__name__)

    def __len__(self) -> int:
        return len(self._listeners)
