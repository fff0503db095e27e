"""Console text for every command-line entry point — UTF-8 whatever the console or pipe says — and the mark of a
running app that the Windows installer checks.

Why: on Windows a piped stdout is in the ANSI code page (cp1252 here); ``doctor``'s "Account → API key…" then
raised ``UnicodeEncodeError`` (exit 1 instead of 3), and the master-import child could not write its result
for a data folder with a non-ASCII name after it had replaced the master. Our output is always UTF-8 — the app
reads its import child's lines as UTF-8 too — and a real Windows console gets it right as well (Python writes
to it with the wide-character API whatever the encoding says)."""

from __future__ import annotations

import contextlib
import sys

CHILD_ENV = {"PYTHONIOENCODING": "utf-8", "PYTHONUTF8": "1"}
"""What a child Python of ours is started with, so its first byte is UTF-8 before :func:`utf8_console` runs."""


def utf8_console() -> None:
    """Make ``sys.stdout`` and ``sys.stderr`` write UTF-8 (unencodable text is replaced, never an exception).
    A windowed app on Windows has no streams (``None``): nothing to do."""
    for stream in (sys.stdout, sys.stderr):
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is None:
            continue
        with contextlib.suppress(ValueError, OSError, AttributeError):
            reconfigure(encoding="utf-8", errors="replace")


RUNNING_MUTEX = "AirAlgoDesktop.Running"
"""The name of the Windows mutex the app holds while it runs; the installer and uninstaller look for it
(``installer/windows/airalgo-desktop.nsi``) and refuse to touch the program's files while it exists."""


def mark_running() -> object | None:
    """On Windows, create :data:`RUNNING_MUTEX` for this process's lifetime (the OS drops it when the process
    ends, however it ends) and return its handle; elsewhere nothing (None). Never fails the start."""
    if sys.platform != "win32":
        return None
    import ctypes

    try:
        kernel32 = ctypes.windll.kernel32  # type: ignore[attr-defined]
        kernel32.CreateMutexW.restype = ctypes.c_void_p
        return kernel32.CreateMutexW(None, False, RUNNING_MUTEX) or None
    except (OSError, AttributeError):
        return None
