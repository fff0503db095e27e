"""Small wording helpers shared by the UI and the desk: counts with the right noun form."""

from __future__ import annotations


def plural(count: int, noun: str, many: str | None = None) -> str:
    """``plural(1, "order")`` → ``"1 order"``; ``plural(3, "order")`` → ``"3 orders"`` (Indian digit grouping is
    not needed for counts this small; thousands get a plain comma)."""
    word = noun if count == 1 else (many or noun + "s")
    return f"{count:,} {word}"
