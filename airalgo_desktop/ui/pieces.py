"""Views built from named pieces (the order ticket, the chart) keep the names their callers know.

A piece owns its widgets (``ticket.fields.qty``); the view lends the ones its callers and tests reach for under the
old name (``ticket.qty``) with :func:`alias` — a read-only property, so the view's own state stays small and the
piece stays the one place the widget lives.
"""

from __future__ import annotations

from typing import Any


def alias(piece: str, name: str) -> Any:
    """A read-only property for ``self.<piece>.<name>``."""

    def get(self: object) -> Any:
        return getattr(getattr(self, piece), name)

    return property(get, doc=f"``{piece}.{name}`` (the name callers knew before the view was built from pieces).")
