"""Import a master from a path or URL into the store: read → recognise → parse → index → atomic replace.

Runs in a worker thread (CLI: the main thread) and reports progress through a callback; a :class:`Cancel` stops
it between chunks. Whatever goes wrong, the previous master stays as it was and the error is one sentence.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit

import httpx

from ..console import CHILD_ENV
from ..store import instruments as store
from ..transport import HTTP_SCHEMES, UrlError, check_transport
from .catalog import TOKEN_SHARED, Builder, Catalog
from .formats import FORMAT_NAMES, Cancel, ImportCancelled, MasterError, Progress, parse, size_words

log = logging.getLogger("airalgo.instruments")
MAX_DOWNLOAD_BYTES = 512 * 2**20  # the largest public masters are ~60 MB uncompressed JSON
DOWNLOAD_DEADLINE_S = 300.0  # one deadline for the whole download (a read timeout alone never ends a trickle)
_CHUNK = 256 * 1024


@dataclass
class ImportOutcome:
    """What an import kept and skipped, and the new catalog."""

    catalog: Catalog
    source: str
    fmt: str
    kept: int
    skipped: Counter[str] = field(default_factory=Counter)
    examples: dict[str, str] = field(default_factory=dict)
    seconds: float = 0.0

    def lines(self) -> list[str]:
        """Human-readable summary: kept, then skipped by reason (largest first)."""
        kinds = " + ".join(FORMAT_NAMES.get(f, f) for f in self.fmt.split("+"))
        out = [f"{self.kept:,} instruments kept from {kinds} ({self.source})"]
        total = sum(self.skipped.values())
        if total:
            out.append(f"{total:,} rows skipped:")
            for reason, count in self.skipped.most_common():
                example = self.examples.get(reason)
                if reason == TOKEN_SHARED and example:  # every contract lost to a shared token, by name
                    out.append(f"  {count:>9,}  {reason}:")
                    names = example.split("\n")
                    out.extend(f"             {line}" for line in names)
                    if count > len(names):
                        out.append(f"             … and {count - len(names):,} more")
                    continue
                out.append(f"  {count:>9,}  {reason}" + (f"  (e.g. {example})" if example else ""))
        return out


def is_url(source: str) -> bool:
    """``http(s)://…`` (anything else is a path)."""
    return urlsplit(source).scheme.lower() in ("http", "https")


MAX_REDIRECTS = 5
_REDIRECT_CODES = (301, 302, 303, 307, 308)


def _check_hop(url: str, allow_insecure: bool, came_from: str | None = None) -> None:
    """The transport rules for every URL a download dials — the first and each redirect: https, or plain http to
    this machine only (unless allowed), no credentials, ASCII host."""
    kind = f"The redirect from {came_from} to" if came_from else "Master URL"
    try:
        check_transport(url, allow_insecure=allow_insecure, kind=kind, schemes=HTTP_SCHEMES)
    except UrlError as exc:
        tail = "; the previous master is kept." if came_from else ""
        raise MasterError(f"{exc}{tail}") from None


def _shut(stream: object) -> None:
    """Break a connection from another thread: ``shutdown`` wakes a read blocked on the socket (``close`` alone
    may not, on Linux), which then ends at once."""
    get = getattr(stream, "get_extra_info", None)
    sock = get("socket") if get else None
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)


def download_to_file(url: str, folder: Path, *, cancel: Cancel | None = None, progress: Progress | None = None,
                     allow_insecure: bool = False, timeout: float = 30.0, deadline: float | None = None,
                     limit: int | None = None) -> Path:
    """Stream ``url`` into a new file in ``folder`` and return its path (the caller removes it).

    One deadline for the whole download, kept by a timer that breaks the connection — a server trickling a few
    bytes a second (or its headers) is refused when it passes, not after the next 256 KB. Progress from the first
    byte. Redirects are followed by hand, at most :data:`MAX_REDIRECTS`, each hop checked by the same transport
    rules as the first URL (an https master redirected to plain http on another host is refused before dialling).
    At most ``limit`` bytes (:data:`MAX_DOWNLOAD_BYTES`)."""
    deadline = DOWNLOAD_DEADLINE_S if deadline is None else deadline
    limit = MAX_DOWNLOAD_BYTES if limit is None else limit
    report = progress or (lambda _f, _t: None)
    _check_hop(url, allow_insecure)
    folder.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix=store.DOWNLOAD_PREFIX, suffix=".part", dir=folder)
    path = Path(name)
    expired = threading.Event()
    streams: list[object] = []

    def trace(event: str, info: dict[str, Any]) -> None:
        if event == "connection.connect_tcp.complete":
            streams.append(info.get("return_value"))
            if expired.is_set():
                _shut(streams[-1])

    def on_deadline() -> None:
        expired.set()
        for stream in list(streams):
            _shut(stream)

    def late() -> MasterError:
        return MasterError(f"downloading {url} took longer than {deadline:.0f} s; try again or download the file "
                           "and import it from disk.")

    timer = threading.Timer(deadline, on_deadline)
    timer.daemon = True
    got = 0
    try:
        with os.fdopen(fd, "wb") as fh:
            timer.start()
            try:
                with httpx.Client(timeout=timeout, follow_redirects=False) as client:
                    hop = url
                    for hops in range(MAX_REDIRECTS + 1):
                        report(0.0, f"connecting to {urlsplit(hop).hostname}")
                        with client.stream("GET", hop, extensions={"trace": trace}) as resp:
                            if expired.is_set():
                                raise late()
                            location = resp.headers.get("location")
                            if resp.status_code in _REDIRECT_CODES and location:
                                target = urljoin(hop, location)
                                _check_hop(target, allow_insecure, came_from=hop)
                                if hops == MAX_REDIRECTS:
                                    raise MasterError(f"{url} redirects more than {MAX_REDIRECTS} times; the "
                                                      "previous master is kept.")
                                hop = target
                                continue
                            if resp.status_code != 200:
                                raise MasterError(f"{hop} answered HTTP {resp.status_code}; the previous master "
                                                  "is kept.")
                            total = int(resp.headers.get("content-length") or 0)
                            shown = 0.0
                            # raw: a .gz stays compressed (we unpack it ourselves, within a budget); no chunk size,
                            # so every piece that arrives is written and reported at once
                            for chunk in resp.iter_raw():
                                if expired.is_set():
                                    raise late()
                                fh.write(chunk)
                                got += len(chunk)
                                if got > limit:
                                    raise MasterError(f"{url} is larger than {size_words(limit)}, the limit for an "
                                                      "instrument master; the previous master is kept.")
                                if cancel:
                                    cancel.check()
                                now = time.monotonic()
                                if got == len(chunk) or now - shown >= 0.2:
                                    shown = now
                                    fraction = min(got / total, 1.0) if total else 0.0
                                    report(fraction * 0.5, f"downloaded {size_words(got)}"
                                           + (f" of {size_words(total)}" if total else ""))
                            break
            except httpx.HTTPError as exc:
                if expired.is_set():
                    raise late() from None
                raise MasterError(f"the download of {url} failed after {size_words(got)} "
                                  f"({type(exc).__name__}: {exc}); the previous master is kept.") from None
            if expired.is_set():
                raise late()
    except BaseException:
        _unlink_quietly(path)
        raise
    finally:
        timer.cancel()
    return path


def _unlink_quietly(path: Path) -> None:
    with contextlib.suppress(OSError):
        path.unlink()


def import_master(source: str | Sequence[str], data_dir: Path, fmt: str | None = None, *,
                  today: date | None = None, cancel: Cancel | None = None, progress: Progress | None = None,
                  allow_insecure: bool = False) -> ImportOutcome:
    """Import ``source`` (a path or URL, or several that together make one master — Fyers publishes NSE_CM and
    NSE_FO separately) and replace the stored master. Raises MasterError / ImportCancelled."""
    started = time.perf_counter()
    report = progress or (lambda _f, _t: None)
    sources = [source] if isinstance(source, str) else list(source)
    if not sources:
        raise MasterError("nothing to import.")
    store.sweep_stale(Path(data_dir))
    builder = Builder()
    formats: list[str] = []
    names: list[str] = []
    share = 1.0 / len(sources)
    for number, one in enumerate(sources):
        low = number * share

        def scaled(fraction: float, text: str, low: float = low) -> None:
            report(low + fraction * share * 0.85, text)

        with contextlib.ExitStack() as stack:
            if is_url(one):
                path = download_to_file(one, Path(data_dir), cancel=cancel, progress=scaled,
                                        allow_insecure=allow_insecure)
                stack.callback(_unlink_quietly, path)
                name = Path(urlsplit(one).path).name or one
                base = 0.5
            else:
                path = Path(one).expanduser()
                scaled(0.0, f"reading {path.name}")
                name = path.name
                base = 0.0

            def parse_progress(fraction: float, text: str, base: float = base, scaled=scaled) -> None:  # type: ignore[no-untyped-def]
                scaled(base + fraction * (1.0 - base), text)

            _, chosen = parse(path, name, fmt, cancel=cancel, progress=parse_progress, into=builder)
        formats.append(chosen)
        names.append(name)
    chosen = "+".join(dict.fromkeys(formats))
    name = " + ".join(names)
    source = " + ".join(sources)
    from ..domain.nsetime import now_ist

    builder.drop_expired(today or now_ist().date())
    if not len(builder):
        reasons = ", ".join(f"{count:,} {reason}" for reason, count in builder.skipped.most_common(4)) or "no rows"
        raise MasterError(f"{name} has no NSE cash or F&O contract to keep ({reasons}); the previous master is "
                          "kept.")
    if cancel:
        cancel.check()
    report(0.88, f"indexing {len(builder):,} instruments")
    arrays = builder.arrays()
    if cancel:
        cancel.check()
    report(0.96, "saving")
    meta = store.meta_now(source, chosen, len(builder), builder.skipped)
    store.save(data_dir, arrays, meta)
    report(1.0, "done")
    outcome = ImportOutcome(Catalog.from_arrays(arrays, meta), source, chosen, len(builder), builder.skipped,
                            builder.examples, time.perf_counter() - started)
    log.info("instrument master imported: %s", "; ".join(outcome.lines()))
    return outcome


def load_stored(data_dir: Path) -> Catalog | None:
    """The stored master as a catalog (None when none was imported). Raises StoreError when unreadable."""
    store.sweep_stale(Path(data_dir))
    loaded = store.load(data_dir)
    if loaded is None:
        return None
    arrays, meta = loaded
    return Catalog.from_arrays(arrays, meta)


def child_command() -> list[str]:
    """How to start this program again (source checkout, installed package or the frozen app)."""
    if getattr(sys, "frozen", False):
        return [sys.executable]
    return [sys.executable, "-m", "airalgo_desktop"]


def import_in_child(sources: Sequence[str], data_dir: Path, fmt: str | None = None, *, cancel: Cancel | None = None,
                    progress: Progress | None = None, allow_insecure: bool = False) -> ImportOutcome:
    """:func:`import_master` in a separate process (``instruments import --machine``), then load the new store.

    Why: parsing 250,000 rows needs ~120 MB of short-lived Python objects that the allocator does not hand back
    to the OS; in a child process that memory goes away with it, and the app keeps only the ~30 MB catalog.
    Cancel terminates the child (the store is only ever replaced by a complete, renamed file)."""
    cmd = [*child_command(), "instruments", "--data-dir", str(data_dir), "import", *sources, "--machine"]
    if fmt:
        cmd += ["--format", fmt]
    if allow_insecure:
        cmd.append("--allow-insecure")
    package_root = str(Path(__file__).resolve().parents[2])
    env = {**os.environ, **CHILD_ENV,
           "PYTHONPATH": os.pathsep.join(p for p in (package_root, os.environ.get("PYTHONPATH")) if p)}
    before = _stamp(data_dir)
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
                            encoding="utf-8", errors="replace")
    cancelled = threading.Event()

    def watch() -> None:
        while proc.poll() is None:
            if cancel is not None and cancel.event.wait(0.1):
                cancelled.set()
                proc.terminate()
                return
            if cancel is None:
                time.sleep(0.1)

    watcher = threading.Thread(target=watch, name="import-cancel", daemon=True)
    watcher.start()
    errors: list[str] = []
    assert proc.stderr is not None and proc.stdout is not None
    for line in proc.stderr:
        if line.startswith("progress ") and progress:
            _, fraction, text = [*line.rstrip("\n").split(" ", 2), ""][:3]
            with contextlib.suppress(ValueError):
                progress(float(fraction), text)
        elif line.startswith("error: "):
            errors.append(line[7:].strip())
    out = proc.stdout.read()
    proc.wait()
    watcher.join(1)
    result: dict[str, Any] | None = None
    with contextlib.suppress(ValueError, IndexError):
        parsed = json.loads(out.strip().splitlines()[-1])
        result = parsed if isinstance(parsed, dict) else None
    if proc.returncode == 0 and result is not None:
        catalog = load_stored(data_dir)
        if catalog is None:  # pragma: no cover - the child said it saved
            raise MasterError("the import finished but no master was stored.")
        return ImportOutcome(catalog, result["source"], result["format"], result["kept"], Counter(result["skipped"]),
                             result["examples"], result["seconds"])
    if _stamp(data_dir) != before:
        # the child replaced the master and then failed to say so (killed, or its report was lost): the file is
        # what is stored now, so the app takes it — never the old master in memory beside a new one on disk
        log.warning("instrument import: the child exited %s after replacing the master; loading it",
                    proc.returncode)
        catalog = load_stored(data_dir)
        if catalog is not None:
            meta = catalog.meta
            return ImportOutcome(catalog, str(meta.get("source", " + ".join(sources))),
                                 str(meta.get("format", "generic")), int(meta.get("kept", len(catalog))),
                                 Counter(meta.get("skipped") or {}), {}, 0.0)
    if cancelled.is_set():
        raise ImportCancelled("import cancelled")
    if errors:
        raise MasterError(errors[-1])
    raise MasterError(f"the import stopped (exit {proc.returncode}); the previous master is kept.")


def _stamp(data_dir: Path) -> tuple[int, int, int] | None:
    """Which stored master file is there (changed by every save: a new file renamed over the old one)."""
    try:
        st = store.path_in(data_dir).stat()
    except OSError:
        return None
    return st.st_mtime_ns, st.st_size, st.st_ino
