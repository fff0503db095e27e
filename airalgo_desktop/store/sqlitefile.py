"""What the app's SQLite files share: moving a damaged database aside (never deleting it) with its WAL files."""

from __future__ import annotations

import time
from pathlib import Path


def stamp() -> str:
    """A timestamp for the names of set-aside or parallel files."""
    return time.strftime("%Y%m%d-%H%M%S")


def move_aside(path: Path) -> Path:
    """Rename ``path`` (and its ``-wal``/``-shm``) to ``<name>.corrupt-<stamp>``; return the new name."""
    aside = path.with_name(f"{path.name}.corrupt-{stamp()}")
    for suffix in ("", "-wal", "-shm"):
        src = Path(str(path) + suffix)
        if src.exists():
            src.rename(Path(str(aside) + suffix))
    return aside
