"""The imported instrument master on disk: one file in the data dir, replaced atomically by each import.

Format: an uncompressed ``.npz`` of the catalog's columns plus a JSON ``meta`` (source, format, when it was
imported, what was kept and skipped). A 250,000-row master is tens of MB and takes a noticeable moment to load
(``master_*`` in the README's benchmark table), which is why the app loads it *after* the window is shown, in a
worker thread.

Writing: a new file next to the old one (``instruments.npz.new``), flushed and fsync'd, then ``os.replace`` —
on every platform a reader sees either the old master or the new one, never half of one; a failed or cancelled
import removes its new file and leaves the previous master as it was.
"""

from __future__ import annotations

import contextlib
import logging
import os
import time
from datetime import date, datetime
from pathlib import Path
from typing import Any

import numpy as np
import orjson

from ..domain.nsetime import IST

log = logging.getLogger("airalgo.store.instruments")
FILE_NAME = "instruments.npz"
DOWNLOAD_PREFIX = "instruments.download-"
"""A master being downloaded into the data dir (``instruments.download-….part``; removed when its import ends)."""
STALE_AFTER_S = 900.0
"""A temporary master file untouched this long belongs to an import that was killed (a live one writes its new file
within seconds, and a download ends at its 300 s deadline): :func:`sweep_stale` removes it."""
FORMAT_VERSION = 1
ARRAY_NAMES = ("token", "kind", "expiry", "strike", "tick", "lot", "freeze", "prev", "under", "index", "grp",
               "grp_start",
               "sym_blob", "sym_off", "name_blob", "name_off", "und_blob", "und_off", "und_start",
               "vocab", "post_off", "post", "tok_sorted", "tok_rows")
"""The columns a stored master must hold (what ``instruments.catalog.Builder.arrays`` writes); a file missing one
is from another version and is refused."""


class StoreError(RuntimeError):
    """The stored master cannot be read (it is then ignored, and the user is asked for a new one)."""


def path_in(data_dir: Path) -> Path:
    """Where the master lives in a data dir."""
    return Path(data_dir) / FILE_NAME


def save(data_dir: Path, arrays: dict[str, np.ndarray], meta: dict[str, Any]) -> Path:
    """Write the master atomically; returns its path. On any error the previous file is untouched."""
    target = path_in(data_dir)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(target.name + ".new")
    body = {**meta, "version": FORMAT_VERSION}
    try:
        with open(tmp, "wb") as fh:
            np.savez(fh, meta=np.frombuffer(orjson.dumps(body), dtype=np.uint8), **arrays)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise
    with contextlib.suppress(OSError):  # make the rename itself durable where the OS allows it
        fd = os.open(target.parent, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
    return target


def exists(data_dir: Path) -> bool:
    """True when an imported master is stored."""
    return path_in(data_dir).is_file()


def load(data_dir: Path) -> tuple[dict[str, np.ndarray], dict[str, Any]] | None:
    """(arrays, meta) of the stored master; None when there is none; StoreError when it is unreadable."""
    path = path_in(data_dir)
    if not path.is_file():
        return None
    try:
        with np.load(path, allow_pickle=False) as npz:
            arrays = {name: npz[name] for name in npz.files}
    except (OSError, ValueError, EOFError) as exc:
        raise StoreError(f"the stored instrument master {path} cannot be read ({exc}); import it again") from None
    meta_raw = arrays.pop("meta", None)
    try:
        meta = orjson.loads(meta_raw.tobytes()) if meta_raw is not None else {}
    except orjson.JSONDecodeError:
        meta = {}
    missing = [name for name in ARRAY_NAMES if name not in arrays]
    if missing or meta.get("version") != FORMAT_VERSION:
        raise StoreError(f"the stored instrument master {path} is from another version; import it again")
    return arrays, meta


def meta_now(source: str, fmt: str, kept: int, skipped: dict[str, int]) -> dict[str, Any]:
    """The meta block of a fresh import."""
    now = datetime.now(IST)
    return {"source": source, "format": fmt, "imported_at": now.isoformat(timespec="seconds"),
            "master_date": now.date().isoformat(), "kept": kept, "skipped": dict(skipped)}


def master_date(meta: dict[str, Any]) -> date | None:
    """The day the master was imported (its contracts are what the broker listed that day)."""
    try:
        return date.fromisoformat(str(meta.get("master_date", "")))
    except ValueError:
        return None


def sweep_stale(data_dir: Path, *, now: float | None = None, older_than: float = STALE_AFTER_S) -> list[Path]:
    """Remove what a killed import left in the data dir — a half-written ``instruments.npz.new`` (~30 MB), a
    partial download — once untouched for ``older_than`` seconds (a running import's files are newer: never
    swept from under it). Returns what was removed; called when the master is loaded and before each import."""
    folder = Path(data_dir)
    moment = time.time() if now is None else now
    removed: list[Path] = []
    candidates = [folder / (FILE_NAME + ".new"), *folder.glob(DOWNLOAD_PREFIX + "*.part")]
    for path in candidates:
        try:
            if moment - path.stat().st_mtime < older_than:
                continue
            path.unlink()
        except OSError:  # gone already, or not ours to remove: nothing to do
            continue
        removed.append(path)
        log.info("removed %s, left by an import that did not finish", path.name)
    return removed
