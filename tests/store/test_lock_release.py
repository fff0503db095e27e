"""Issue 25 item 5: on Windows the journal's lock is undone with ``LK_UNLCK`` before its file is closed (read from
the code path with a stand-in ``msvcrt``; this machine is not Windows)."""

from __future__ import annotations

import os
import sys
import types
from pathlib import Path

import pytest

from airalgo_desktop.store import journal


def test_the_windows_lock_is_unlocked_before_close(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[tuple[str, int, int]] = []

    def locking(fd: int, mode: int, nbytes: int) -> None:
        os.fstat(fd)  # still open: an unlock after the close would be no unlock at all
        calls.append(("lock" if mode == 2 else "unlock" if mode == 0 else "?", os.lseek(fd, 0, os.SEEK_CUR), nbytes))

    fake = types.SimpleNamespace(locking=locking, LK_NBLCK=2, LK_UNLCK=0)
    monkeypatch.setitem(sys.modules, "msvcrt", fake)
    monkeypatch.setattr(journal.os, "name", "nt")
    lock = journal._HeldLock(tmp_path / "journal.db.lock")
    assert lock.acquire()
    os.lseek(lock._fd, 5, os.SEEK_SET)  # wherever the position is, the unlock covers the byte the lock took
    lock.release()
    assert calls == [("lock", 0, 1), ("unlock", 0, 1)]
    assert lock._fd is None
