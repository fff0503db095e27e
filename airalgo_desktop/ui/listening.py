"""Views listen for themselves (Electrum's ``QtEventListener`` idea): a widget that shows a kind of desk notice
registers its own handler with the hub and is unregistered when it is destroyed — nobody loops over the open
windows to hand notices out, and a closed chart window is never called again.

    class OrderBookPanel(QWidget):
        def listen_to(self, desk: NoticeSource) -> None:
            listen(self, desk, {OrderChanged: self.on_order_changed})
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Protocol

from PySide6.QtCore import QObject


class NoticeSource(Protocol):
    """What a view needs of the hub (:class:`~airalgo_desktop.desk.TradingDesk` has it)."""

    def on(self, notice_type: type[Any], handler: Callable[[Any], None]) -> Callable[[object], None]: ...
    def remove_listener(self, listener: Callable[[Any], None]) -> None: ...


def listen(widget: QObject, source: NoticeSource, handlers: Mapping[type[Any], Callable[[Any], None]]) -> None:
    """Call each handler for its notice type until ``widget`` is destroyed (then the hub forgets them)."""
    listeners = [source.on(kind, handler) for kind, handler in handlers.items()]

    def unregister(*_args: object) -> None:  # holds the hub and the listeners, never the widget being destroyed
        while listeners:
            source.remove_listener(listeners.pop())

    widget.destroyed.connect(unregister)
