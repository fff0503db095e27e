"""What the app's SQLite files share: moving a damaged database aside (never deleting it) with its WAL files."""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path


def stamp() -> str:
    """A timestamp for the names of set-aside or parallel files."""
    return time.strftime("%Y%m%d-%H%M%S")


def is_locked(exc: BaseException) -> bool:
    """SQLite's "database is locked": another running instance holds the file (not damage)."""
    return isinstance(exc, sqlite3.OperationalError) and "locked" in str(exc).lower()


def parallel_path(path: Path) -> Path:
    """``journal.db`` → ``journal-<stamp>.db``: this session's own file while another instance holds the usual."""
    return path.with_name(f"{path.stem}-{stamp()}{path.suffix}")


def move_aside(path: Path) -> Path:
    """Rename ``path`` (and its ``-wal``/``-shm``) to ``<name>.corrupt-<stamp>``; return the new name."""
    aside = path.with_name(f"{path.name}.corrupt-{stamp()}")
    for suffix in ("", "-wal", "-shm"):
        src = Path(str(path) + suffix)
        if src.exists():
            src.rename(Path(str(aside) + suffix))
    return aside
