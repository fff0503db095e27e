"""Issue 26 items 3–5: a master download ends at its deadline (kept by a timer, not by the next chunk), reports
progress from the first byte, follows redirects only through hops that pass the transport rules (at most 5), and
stays within its byte budget. Real HTTP servers on 127.0.0.1 only."""

from __future__ import annotations

import threading
import time
import zlib
from collections.abc import Iterator
from datetime import date
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import pytest

from airalgo_desktop.instruments import importer, text
from airalgo_desktop.instruments.formats import MasterError
from airalgo_desktop.instruments.importer import download_to_file, import_master
from airalgo_desktop.store import instruments as store
from tests.helpers import http_server

FIX = Path(__file__).parent / "fixtures"
TODAY = date(2025, 2, 10)
KITE = (FIX / "kite.csv").read_bytes()
STOP = threading.Event()  # set when a test ends: trickling handlers stop


def _bomb() -> bytes:
    row = b'128083204,500325,RELIANCE,"RELIANCE INDUSTRIES",0,,0,0.05,1,EQ,BSE,BSE\n'
    packer = zlib.compressobj(9, zlib.DEFLATED, 31)
    block = row * (2**20 // len(row))
    return packer.compress(KITE) + b"".join(packer.compress(block) for _ in range(24)) + packer.flush()


BOMB = _bomb()


class _Handler(BaseHTTPRequestHandler):
    def _send(self, body: bytes, code: int = 200, **headers: str) -> None:
        self.send_response(code)
        self.send_header("Content-Length", str(len(body)))
        for key, value in headers.items():
            self.send_header(key.replace("_", "-"), value)
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:
        path = self.path
        if path == "/kite.csv":
            self._send(KITE)
        elif path == "/bomb.csv.gz":
            self._send(BOMB)
        elif path == "/trickle.csv":  # headers at once, then 2 bytes a second for ever
            self.send_response(200)
            self.send_header("Content-Length", str(len(KITE)))
            self.end_headers()
            self._trickle(KITE)
        elif path == "/slow-headers.csv":  # even the status line trickles
            self._trickle(b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n0123456789")
        elif path.startswith("/hop/"):  # /hop/N: N + 1 redirects (relative), then the master
            left = int(path.rsplit("/", 1)[1])
            self._send(b"", 302, Location=f"/hop/{left - 1}" if left else "/kite.csv")
        elif path == "/to-plain-remote":
            self._send(b"", 302, Location="http://192.0.2.1/instruments.csv")
        elif path == "/to-ftp":
            self._send(b"", 301, Location="ftp://127.0.0.1/instruments.csv")
        elif path == "/to-userinfo":
            self._send(b"", 307, Location=f"http://user:pw@127.0.0.1:{self.server.server_address[1]}/kite.csv")
        else:
            self._send(b"", 404)

    def _trickle(self, body: bytes) -> None:
        try:
            for i in range(0, len(body), 2):
                if STOP.wait(0.5):
                    return
                self.wfile.write(body[i:i + 2])
                self.wfile.flush()
        except OSError:
            return

    def log_message(self, *_args: object) -> None:
        pass


@pytest.fixture
def server() -> Iterator[str]:
    STOP.clear()
    try:
        with http_server(_Handler) as url:
            yield url
    finally:
        STOP.set()


def test_a_trickle_ends_at_the_deadline_with_progress_from_the_first_byte(tmp_path: Path, server: str) -> None:
    seen: list[str] = []
    with pytest.raises(MasterError, match=r"took longer than 2 s; try again or download the file"):
        download_to_file(f"{server}/trickle.csv", tmp_path, deadline=2.0, progress=lambda _f, t: seen.append(t))
    assert seen[0].startswith("connecting to 127.0.0.1")
    assert any(t.startswith("downloaded 2 bytes of") for t in seen), seen  # the first piece is shown at once
    assert not list(tmp_path.iterdir())  # the partial download is gone


def test_trickled_headers_end_at_the_deadline_too(tmp_path: Path, server: str) -> None:
    with pytest.raises(MasterError, match="took longer than 1 s"):
        download_to_file(f"{server}/slow-headers.csv", tmp_path, deadline=1.0)


def test_the_import_uses_the_deadline_and_keeps_the_store(tmp_path: Path, server: str,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    import_master(str(FIX / "kite.csv"), tmp_path, today=TODAY)
    before = store.path_in(tmp_path).read_bytes()
    monkeypatch.setattr(importer, "DOWNLOAD_DEADLINE_S", 1.0)
    with pytest.raises(MasterError, match="took longer than 1 s"):
        import_master(f"{server}/trickle.csv", tmp_path, today=TODAY)
    assert store.path_in(tmp_path).read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == [store.FILE_NAME]


def test_redirects_are_followed_through_allowed_hops_only(tmp_path: Path, server: str) -> None:
    outcome = import_master(f"{server}/hop/4", tmp_path, today=TODAY)  # five redirects: followed
    assert outcome.kept == 8
    with pytest.raises(MasterError, match="redirects more than 5 times"):
        import_master(f"{server}/hop/5", tmp_path, today=TODAY)
    started = time.monotonic()
    with pytest.raises(MasterError, match=r"redirect from .*/to-plain-remote to http://192\.0\.2\.1 is not "
                                          r"encrypted.*previous master is kept"):
        import_master(f"{server}/to-plain-remote", tmp_path, today=TODAY)
    assert time.monotonic() - started < 25  # refused before dialling, not after a connect timeout
    with pytest.raises(MasterError, match="must start with https://"):
        import_master(f"{server}/to-ftp", tmp_path, today=TODAY)
    with pytest.raises(MasterError, match="must not carry a user name or password"):
        import_master(f"{server}/to-userinfo", tmp_path, today=TODAY)
    assert import_master(f"{server}/kite.csv", tmp_path, today=TODAY).kept == 8  # the store still works


def test_a_bomb_and_an_oversized_body_over_http_are_refused(tmp_path: Path, server: str,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(text, "BOMB_FLOOR_BYTES", 2**20)
    with pytest.raises(MasterError, match="decompression bomb"):
        import_master(f"{server}/bomb.csv.gz", tmp_path, today=TODAY)
    with pytest.raises(MasterError, match="is larger than 1 KB, the limit for an instrument master"):
        download_to_file(f"{server}/kite.csv", tmp_path, limit=1024)
    assert not list(tmp_path.glob("*.part"))
