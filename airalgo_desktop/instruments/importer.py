"""Import a master from a path or URL into the store: read → recognise → parse → index → atomic replace.

Runs in a worker thread (CLI: the main thread) and reports progress through a callback; a :class:`Cancel` stops
it between chunks. Whatever goes wrong, the previous master stays as it was and the error is one sentence.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from urllib.parse import urlsplit

import httpx

from ..store import instruments as store
from .catalog import TOKEN_SHARED, Builder, Catalog
from .formats import FORMAT_NAMES, Cancel, ImportCancelled, MasterError, Progress, parse, read_path

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


def download(url: str, *, cancel: Cancel | None = None, progress: Progress | None = None,
             allow_insecure: bool = False, timeout: float = 30.0) -> bytes:
    """Stream ``url`` into memory with progress; https required for hosts other than this machine."""
    from ..api.client import InsecureTransportError, check_transport

    try:
        check_transport(url, allow_insecure=allow_insecure, kind="Master URL")
    except InsecureTransportError as exc:
        raise MasterError(str(exc)) from None
    started = time.monotonic()
    chunks: list[bytes] = []
    got = 0
    try:
        with httpx.Client(timeout=timeout, follow_redirects=True) as client, client.stream("GET", url) as resp:
            if resp.status_code != 200:
                raise MasterError(f"{url} answered HTTP {resp.status_code}; the previous master is kept.")
            total = int(resp.headers.get("content-length") or 0)
            for chunk in resp.iter_raw(_CHUNK):  # raw: a .gz stays compressed, we unpack it ourselves
                chunks.append(chunk)
                got += len(chunk)
                if got > MAX_DOWNLOAD_BYTES:
                    raise MasterError(f"{url} is larger than {MAX_DOWNLOAD_BYTES // 2**20} MB: not an instrument "
                                      "master.")
                if time.monotonic() - started > DOWNLOAD_DEADLINE_S:
                    raise MasterError(f"downloading {url} took longer than {DOWNLOAD_DEADLINE_S:.0f} s; "
                                      "try again or download the file and import it from disk.")
                if cancel:
                    cancel.check()
                if progress:
                    fraction = got / total if total else 0.0
                    progress(min(fraction, 1.0) * 0.5, f"downloaded {got / 2**20:.1f} MB"
                             + (f" of {total / 2**20:.1f} MB" if total else ""))
    except httpx.HTTPError as exc:
        raise MasterError(f"the download of {url} failed after {got / 2**20:.1f} MB "
                          f"({type(exc).__name__}: {exc}); the previous master is kept.") from None
    data = b"".join(chunks)
    return data


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
    builder = Builder()
    formats: list[str] = []
    names: list[str] = []
    share = 1.0 / len(sources)
    for number, one in enumerate(sources):
        low = number * share

        def scaled(fraction: float, text: str, low: float = low) -> None:
            report(low + fraction * share * 0.85, text)

        if is_url(one):
            data = download(one, cancel=cancel, progress=scaled, allow_insecure=allow_insecure)
            name = Path(urlsplit(one).path).name or one
            base = 0.5
        else:
            path = Path(one).expanduser()
            scaled(0.0, f"reading {path.name}")
            data = read_path(path)
            name = path.name
            base = 0.0

        def parse_progress(fraction: float, text: str, base: float = base, scaled=scaled) -> None:  # type: ignore[no-untyped-def]
            scaled(base + fraction * (1.0 - base), text)

        _, chosen = parse(data, name, fmt, cancel=cancel, progress=parse_progress, into=builder)
        del data
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
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in (package_root, os.environ.get("PYTHONPATH")) if p)}
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
    if cancelled.is_set():
        raise ImportCancelled("import cancelled")
    if proc.returncode != 0:
        raise MasterError(errors[-1] if errors else f"the import stopped (exit {proc.returncode}); the previous "
                                                    "master is kept.")
    result = json.loads(out.strip().splitlines()[-1])
    catalog = load_stored(data_dir)
    if catalog is None:  # pragma: no cover - the child said it saved
        raise MasterError("the import finished but no master was stored.")
    return ImportOutcome(catalog, result["source"], result["format"], result["kept"], Counter(result["skipped"]),
                         result["examples"], result["seconds"])
