"""Logging with secrets redacted at the source.

The API key, access tokens and ``api:<key>`` topics must never reach a log file, the console, a crash
report or a test's captured output. Redaction therefore happens when a record is *created* (a record
factory), not in one handler's formatter: every handler — our rotating file, the console, pytest's
caplog — only ever sees the redacted text, including formatted tracebacks.
"""

from __future__ import annotations

import logging
import logging.handlers
import re
import threading
import time
from pathlib import Path

MASK = "***"
_lock = threading.Lock()
_secrets: set[str] = set()
_secret_re: re.Pattern[str] | None = None

# structural patterns: any api:<key> topic, api_key=… query strings, "access_token": "…" in JSON
_PATTERNS = [
    (re.compile(r"(api:)[^\s\"',\]}]+"), r"\1" + MASK),
    (re.compile(r"(api_key=)[^\s&\"',]+", re.IGNORECASE), r"\1" + MASK),
    (re.compile(r"((?:\"|')?access_token(?:\"|')?\s*[:=]\s*(?:\"|')?)[^\s\"',}]+", re.IGNORECASE), r"\1" + MASK),
]
_MIN_SECRET = 3  # shorter values would mask ordinary words


def register_secret(value: str | None) -> None:
    """Mask every future occurrence of ``value`` (an API key or access token) in log output."""
    global _secret_re
    if not value or len(value) < _MIN_SECRET:
        return
    with _lock:
        if value in _secrets:
            return
        _secrets.add(value)
        alternatives = sorted(_secrets, key=len, reverse=True)
        _secret_re = re.compile("|".join(re.escape(s) for s in alternatives))


def forget_secrets() -> None:
    """Drop every registered secret (tests)."""
    global _secret_re
    with _lock:
        _secrets.clear()
        _secret_re = None


def redact(text: str) -> str:
    """``text`` with every registered secret and secret-shaped fragment replaced by ``***``."""
    if not text:
        return text
    pattern = _secret_re
    if pattern is not None:
        text = pattern.sub(MASK, text)
    for regex, replacement in _PATTERNS:
        text = regex.sub(replacement, text)
    return text


_base_factory = logging.getLogRecordFactory()
_formatter = logging.Formatter()


def _redacting_factory(*args, **kwargs):  # type: ignore[no-untyped-def]
    record = _base_factory(*args, **kwargs)
    try:
        message = record.getMessage()
    except Exception:  # a bad format string must not lose the record
        message = f"{record.msg!r} {record.args!r}"
    record.msg = redact(message)
    record.args = None
    if record.exc_info and not record.exc_text:
        record.exc_text = redact(_formatter.formatException(record.exc_info))
    if record.stack_info:
        record.stack_info = redact(record.stack_info)
    return record


# Libraries whose DEBUG output dumps frames or bytes: a truncated dump can carry the tail of a token that no
# longer matches the whole secret, so these never log below INFO.
_FRAME_DUMPERS = ("websockets", "httpcore", "hpack")


def install_redaction() -> None:
    """Route every log record in the process through :func:`redact` (idempotent), and keep frame-dumping
    libraries at INFO or above."""
    if logging.getLogRecordFactory() is not _redacting_factory:
        logging.setLogRecordFactory(_redacting_factory)
    for name in _FRAME_DUMPERS:
        logger = logging.getLogger(name)
        if logger.level == logging.NOTSET or logger.level < logging.INFO:
            logger.setLevel(logging.INFO)


class RateLimitFilter(logging.Filter):
    """Let at most ``burst`` records per ``period`` seconds through for each (logger, message template);
    a summary of how many were suppressed follows when the window reopens. For junk-frame floods."""

    def __init__(self, burst: int = 5, period: float = 10.0) -> None:
        super().__init__()
        self.burst, self.period = burst, period
        self._windows: dict[tuple[str, str], list[float]] = {}

    def filter(self, record: logging.LogRecord) -> bool:
        key = (record.name, str(getattr(record, "rate_key", record.msg))[:60])
        now = time.monotonic()
        window = self._windows.setdefault(key, [now, 0.0, 0.0])  # start, passed, suppressed
        if now - window[0] > self.period:
            suppressed = int(window[2])
            window[:] = [now, 0.0, 0.0]
            if suppressed:
                record.msg = f"{record.msg} (+{suppressed} similar suppressed)"
        if window[1] < self.burst:
            window[1] += 1
            return True
        window[2] += 1
        return False


FORMAT = "%(asctime)s %(levelname)-7s %(name)s: %(message)s"


def setup_console_logging(level: str | int = "INFO") -> None:
    """Console logging for command-line tools (simulator, doctor, stream). The frame-dumping libraries follow
    ``level`` too (so WARNING keeps their INFO chatter out of a tool's output), but never go below INFO."""
    install_redaction()
    logging.basicConfig(level=level, format=FORMAT)
    floor = max(logging.INFO, logging.getLevelName(level) if isinstance(level, str) else level)
    for name in _FRAME_DUMPERS:
        logging.getLogger(name).setLevel(floor)


def setup_file_logging(log_dir: Path, level: str | int = "INFO", *, console: bool = False) -> Path:
    """Rotating file log in ``log_dir`` (5 × 2 MB); returns the file path."""
    install_redaction()
    log_dir.mkdir(parents=True, exist_ok=True)
    path = log_dir / "airalgo-desktop.log"
    root = logging.getLogger()
    root.setLevel(level)
    handler = logging.handlers.RotatingFileHandler(path, maxBytes=2_000_000, backupCount=5, encoding="utf-8")
    handler.setFormatter(logging.Formatter(FORMAT))
    root.addHandler(handler)
    if console:
        stream = logging.StreamHandler()
        stream.setFormatter(logging.Formatter(FORMAT))
        root.addHandler(stream)
    return path


install_redaction()
