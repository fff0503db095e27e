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
from itertools import islice
from pathlib import Path

MASK = "***"
_lock = threading.Lock()
_secrets: list[str] = []  # longest first, so a secret containing another is masked whole
_fragments: dict[str, None] = {}  # every FRAGMENT-character piece of every secret
FRAGMENT = 8  # a log line may not carry this many consecutive characters of a secret
MAX_MESSAGE = 2_000  # longest log message kept (after redaction); the rest is cut with a count

# structural patterns: any api:<key> topic, api_key=… query strings, "access_token": "…" in JSON
_PATTERNS = [
    (re.compile(r"(api:)[^\s\"',\]}]+"), r"\1" + MASK),
    (re.compile(r"(api_key=)[^\s&\"',]+", re.IGNORECASE), r"\1" + MASK),
    (re.compile(r"((?:\"|')?access_token(?:\"|')?\s*[:=]\s*(?:\"|')?)[^\s\"',}]+", re.IGNORECASE), r"\1" + MASK),
]
_MIN_SECRET = 3  # shorter values would mask ordinary words


def register_secret(value: str | None) -> None:
    """Mask every future occurrence of ``value`` (an API key or access token) — and of any 8-character piece of
    it — in log output. No regular expression is built from secrets: a 20 MB token once cost 2 GB compiling one."""
    if not value or len(value) < _MIN_SECRET:
        return
    global _secrets, _fragments
    with _lock:
        if value in _secrets:
            return
        # new objects swapped in whole: a thread redacting meanwhile sees the old set or the new one, never half
        fragments = dict(_fragments)
        for start in range(len(value) - FRAGMENT + 1):
            fragments[value[start:start + FRAGMENT]] = None
        _secrets = sorted([*_secrets, value], key=len, reverse=True)
        _fragments = fragments


def forget_secrets() -> None:
    """Drop every registered secret (tests)."""
    global _secrets, _fragments
    with _lock:
        _secrets, _fragments = [], {}


def _mask_fragments(text: str, fragments: dict[str, None]) -> str:
    """Replace every run of text made of secret pieces (a cut or partly echoed secret) by the mask."""
    hits = [i for i in range(len(text) - FRAGMENT + 1) if text[i:i + FRAGMENT] in fragments]
    if not hits:
        return text
    out: list[str] = []
    pos = 0
    run_start, run_end = hits[0], hits[0] + FRAGMENT
    for i in hits[1:]:
        if i <= run_end:
            run_end = i + FRAGMENT
            continue
        out += [text[pos:run_start], MASK]
        pos, run_start, run_end = run_end, i, i + FRAGMENT
    out += [text[pos:run_start], MASK, text[run_end:]]
    return "".join(out)


def redact(text: str) -> str:
    """``text`` with every registered secret, every 8-character piece of one, and every secret-shaped fragment
    (``api:…``, ``api_key=…``, ``access_token: …``) replaced by ``***``. Cost grows with the text: cut long text
    with :func:`shorten`, which redacts first."""
    if not text:
        return text
    secrets, fragments = _secrets, _fragments
    for secret in secrets:
        if secret in text:
            text = text.replace(secret, MASK)
    if fragments and len(text) >= FRAGMENT:
        text = _mask_fragments(text, fragments)
    for regex, replacement in _PATTERNS:
        text = regex.sub(replacement, text)
    return text


def shorten(text: str, limit: int) -> str:
    """``text`` redacted, *then* cut to ``limit`` characters (``…(+N chars)`` says how much went). Cutting first
    would leave a piece of a secret that no longer matches the whole one."""
    text = str(text)
    secrets = _secrets
    longest = len(secrets[0]) if secrets else 0
    head = redact(text[:limit + longest + FRAGMENT]) if len(text) > limit else redact(text)
    if len(head) <= limit and len(text) <= limit + longest + FRAGMENT:
        return head
    return head[:limit] + f"…(+{max(len(text) - limit, 1)} chars)"


def redact_value(value: object, limit: int = 300, _depth: int = 0) -> object:
    """A copy of a decoded JSON value with every string redacted and shortened (:func:`shorten`), at most 100
    items per container and 6 levels deep: server text safe to keep, show and journal."""
    if isinstance(value, str):
        return shorten(value, limit)
    if _depth >= 6:
        return "…"
    if isinstance(value, dict):
        return {shorten(str(k), 60): redact_value(v, limit, _depth + 1) for k, v in islice(value.items(), 100)}
    if isinstance(value, list):
        return [redact_value(v, limit, _depth + 1) for v in islice(value, 100)]
    return value


_base_factory = logging.getLogRecordFactory()
_formatter = logging.Formatter()


def _redacting_factory(*args, **kwargs):  # type: ignore[no-untyped-def]
    record = _base_factory(*args, **kwargs)
    try:
        message = record.getMessage()
    except Exception:  # a bad format string must not lose the record
        message = f"{record.msg!r} {record.args!r}"
    record.msg = shorten(message, MAX_MESSAGE)
    record.args = None
    if record.exc_info and not record.exc_text:
        record.exc_text = shorten(_formatter.formatException(record.exc_info), 10 * MAX_MESSAGE)
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
    """Let at most ``burst`` records per ``period`` seconds through for each call site (logger, file, line — the
    template, not the formatted text, so 10,000 junk frames with 10,000 different excerpts share one budget).
    The next record let through after a quiet spell says how many were suppressed. At most ``max_sites`` call
    sites are remembered (the oldest is forgotten first), so the table stays small whatever arrives."""

    def __init__(self, burst: int = 5, period: float = 10.0, max_sites: int = 256) -> None:
        super().__init__()
        self.burst, self.period, self.max_sites = burst, period, max_sites
        self._windows: dict[tuple[str, str, int], list[float]] = {}

    def filter(self, record: logging.LogRecord) -> bool:
        key = (record.name, str(getattr(record, "rate_key", record.pathname)), record.lineno)
        now = time.monotonic()
        windows = self._windows
        window = windows.get(key)
        if window is None:
            if len(windows) >= self.max_sites:
                del windows[next(iter(windows))]
            window = windows[key] = [now, 0.0, 0.0]  # start, passed, suppressed
        if now - window[0] > self.period:
            suppressed, since = int(window[2]), now - window[0]
            window[:] = [now, 0.0, 0.0]
            if suppressed:
                record.msg = f"{record.msg} (+{suppressed} similar suppressed over {since:.0f} s)"
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
