"""What the app's SQLite files share: telling damage from a full disk or a busy file by SQLite's own verdict, and
moving a damaged database aside (never deleting it) with its WAL files."""

from __future__ import annotations

import contextlib
import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path


def stamp() -> str:
    """A timestamp for the names of set-aside or parallel files."""
    return time.strftime("%Y%m%d-%H%M%S")


# SQLite's own verdicts (sqlite3.Error.sqlite_errorname): only these mean "the file is damaged"
CORRUPT = {"SQLITE_CORRUPT", "SQLITE_NOTADB"}
BUSY = {"SQLITE_BUSY", "SQLITE_LOCKED"}


def sqlite_name(exc: BaseException) -> str:
    """``SQLITE_FULL``, ``SQLITE_READONLY``… (extended codes folded to their primary name)."""
    name = str(getattr(exc, "sqlite_errorname", "") or "")
    for primary in ("SQLITE_CORRUPT", "SQLITE_NOTADB", "SQLITE_BUSY", "SQLITE_LOCKED", "SQLITE_IOERR",
                    "SQLITE_READONLY", "SQLITE_CANTOPEN", "SQLITE_FULL"):
        if name.startswith(primary):
            return primary
    return name


def is_locked(exc: BaseException) -> bool:
    """Another running instance holds the file (busy or locked: not damage)."""
    return sqlite_name(exc) in BUSY or (isinstance(exc, sqlite3.OperationalError) and "locked" in str(exc).lower())


def is_corrupt(exc: BaseException) -> bool:
    """SQLite says the file is damaged (or not a database at all)."""
    return sqlite_name(exc) in CORRUPT or isinstance(exc, DamagedData)


class DamagedData(sqlite3.DatabaseError):
    """Rows that SQLite reads fine but that cannot be what we wrote (a blob of the wrong size)."""


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


@contextlib.contextmanager
def transaction(db: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """``BEGIN IMMEDIATE`` … ``COMMIT``; on any error roll back what is still open and re-raise the *real* error.

    SQLite often rolls a failed transaction back by itself (a full disk, an I/O error do): a second ``ROLLBACK``
    then raises "cannot rollback - no transaction is active" over the real reason. The one place that knows it,
    for the journal and the bar store alike."""
    db.execute("BEGIN IMMEDIATE")
    try:
        yield db
        db.execute("COMMIT")
    except BaseException:
        if db.in_transaction:
            with contextlib.suppress(sqlite3.Error):
                db.execute("ROLLBACK")
        raise


def decode_text(raw: bytes) -> str:
    """The connections' ``text_factory``: UTF-8 text, or :class:`BadText` for bytes that are not (another program
    wrote them). SQLite's default raises for the whole query — one hostile row would hide every other row."""
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return BadText(raw.decode("utf-8", "replace"))


class BadText(str):
    """Text read back that was not valid UTF-8 (shown with replacement characters, never trusted as a value)."""
