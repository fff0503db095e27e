"""Console text for every command-line entry point: UTF-8 whatever the console or pipe says.

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
