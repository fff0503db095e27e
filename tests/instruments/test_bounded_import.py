"""Issue 26 item 3: a master import is bounded — decompression within a byte budget, bombs refused in one
sentence, the text streamed (never held whole, never copied), the kept rows capped."""

from __future__ import annotations

import gzip
import json
import tracemalloc
import zipfile
import zlib
from datetime import date
from pathlib import Path

import pytest

from airalgo_desktop.instruments import catalog
from airalgo_desktop.instruments import text as text_module
from airalgo_desktop.instruments.formats import MasterError, parse
from airalgo_desktop.instruments.importer import import_master
from airalgo_desktop.store import instruments as store

FIX = Path(__file__).parent / "fixtures"
TODAY = date(2025, 2, 10)
KITE = (FIX / "kite.csv").read_bytes()
HEADER = KITE.split(b"\n")[0] + b"\n"
BSE_ROW = b'128083204,500325,RELIANCE,"RELIANCE INDUSTRIES",0,,0,0.05,1,EQ,BSE,BSE\n'


def _gz_bomb(path: Path, megabytes: int) -> Path:
    """A .gz of ``megabytes`` MB of one repeated CSV row: a few hundred KB on disk."""
    block = BSE_ROW * (2**20 // len(BSE_ROW))
    packer = zlib.compressobj(9, zlib.DEFLATED, 31)
    with open(path, "wb") as fh:
        fh.write(packer.compress(HEADER))
        for _ in range(megabytes):
            fh.write(packer.compress(block))
        fh.write(packer.flush())
    return path


@pytest.fixture
def stored(tmp_path: Path) -> tuple[Path, bytes]:
    data_dir = tmp_path / "data"
    import_master(str(FIX / "kite.csv"), data_dir, today=TODAY)
    return data_dir, store.path_in(data_dir).read_bytes()


def _refused(source: Path, data_dir: Path, before: bytes, expected: str) -> str:
    with pytest.raises(MasterError) as info:
        import_master(str(source), data_dir, today=TODAY)
    message = str(info.value)
    assert expected in message, message
    assert "\n" not in message and len(message) < 400
    assert store.path_in(data_dir).read_bytes() == before
    return message


def test_gz_and_zip_bombs_are_refused_with_a_sentence(tmp_path: Path, stored: tuple[Path, bytes],
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(text_module, "BOMB_FLOOR_BYTES", 2**20)  # judge the ratio after 1 MB (the default is 64 MB)
    bomb = _gz_bomb(tmp_path / "bomb.csv.gz", 48)
    assert bomb.stat().st_size < 2**20 // 2  # small on disk, 48 MB unpacked
    message = _refused(bomb, *stored, "decompression bomb")
    assert "100 times its packed size" in message
    with (zipfile.ZipFile(tmp_path / "bomb.zip", "w", zipfile.ZIP_DEFLATED) as zf, gzip.open(bomb) as unpacked,
          zf.open("instruments.csv", "w", force_zip64=True) as member):
        while piece := unpacked.read(2**20):
            member.write(piece)
    _refused(tmp_path / "bomb.zip", *stored, "decompression bomb")


def test_text_past_the_budget_is_refused_naming_the_limit(tmp_path: Path, stored: tuple[Path, bytes],
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(text_module, "MAX_MASTER_BYTES", 4 * 2**20)
    packed = tmp_path / "big.csv.gz"  # packs ~6× (under the bomb ratio) but unpacks past the 4 MB budget
    rows = [f'{128000000 + i},{500000 + i},BSE{i},"BSE COMPANY {i}",1.5,,0,0.05,1,EQ,BSE,BSE\n' for i in range(120_000)]
    packed.write_bytes(gzip.compress(HEADER + "".join(rows).encode()))
    _refused(packed, *stored, "unpacks to more than 4 MB of text, the limit for an instrument master")
    plain = tmp_path / "big.csv"
    plain.write_bytes(HEADER + "".join(rows).encode())
    _refused(plain, *stored, "MB, more than the 4 MB limit for an instrument master")
    with zipfile.ZipFile(tmp_path / "big.zip", "w", zipfile.ZIP_DEFLATED) as zf:
        zf.write(plain, "instruments.csv")
    _refused(tmp_path / "big.zip", *stored, "more than the 4 MB limit")  # the size the archive declares


def test_kept_rows_are_capped(tmp_path: Path, stored: tuple[Path, bytes], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(catalog, "MAX_ROWS", 5)
    _refused(FIX / "kite.csv", *stored, "lists more than 5 contracts of NSE cash and F&O")


def _mostly_skipped(path: Path, megabytes: int) -> Path:
    with open(path, "wb") as fh:
        fh.write(KITE)  # the fixture's 8 tradable rows first
        row = 0
        while fh.tell() < megabytes * 2**20:
            fh.write("".join(f'{128000000 + row + i},{500000 + row + i},BSE{row + i},"BSE CO",1.5,,0,0.05,1,EQ,BSE,'
                             "BSE\n" for i in range(10_000)).encode())
            row += 10_000
    return path


def test_a_large_file_is_streamed_never_held_whole(tmp_path: Path) -> None:
    """The parse of a 4 MB file whose rows are almost all skipped allocates far less than the file: the text
    is read in pieces (the old reader held bytes, text and a StringIO copy: over three times the file)."""
    big = _mostly_skipped(tmp_path / "big.csv", 4)
    size = big.stat().st_size
    tracemalloc.start()
    try:
        builder, fmt = parse(big, big.name)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert fmt == "kite" and len(builder) < 12 and builder.skipped.total() > 40_000
    assert peak < size / 3, (peak, size)


def test_json_is_read_item_by_item_across_pieces(tmp_path: Path) -> None:
    """A JSON master larger than one read piece, items split across pieces, inside a wrapping object."""
    items = json.loads((FIX / "angel.json").read_text())
    filler = [{"token": str(700000 + i), "symbol": f"X{i}", "exch_seg": "BSE", "instrumenttype": "",
               "pad": "y" * (i % 97)} for i in range(40_000)]
    doc = {"status": True, "message": "SUCCESS", "meta": {"n": [1, 2]}, "data": filler + items}
    (tmp_path / "wrapped.json").write_text(json.dumps(doc, indent=1))
    assert (tmp_path / "wrapped.json").stat().st_size > 3 * text_module._READ_BYTES
    outcome = import_master(str(tmp_path / "wrapped.json"), tmp_path / "data", today=TODAY)
    assert outcome.fmt == "angel" and outcome.catalog.get("43210") is not None
    assert outcome.skipped["exchange BSE (AirAlgo trades NSE cash and NSE F&O)"] >= 40_000
    text = json.dumps(items)
    for damaged, expected in ((text[:-40], "damaged JSON"), (text.replace("},", "} x", 1), "damaged JSON"),
                              ('{"exch_seg": "NSE", "data": 5}', "not a list of instruments"),
                              (text.replace('"NFO"', "NaN", 1), "damaged JSON")):
        (tmp_path / "bad.json").write_text(damaged)
        with pytest.raises(MasterError, match=expected):
            import_master(str(tmp_path / "bad.json"), tmp_path / "data", today=TODAY)


def test_a_cp1252_byte_reads_as_cp1252(tmp_path: Path) -> None:
    text = KITE.replace(b'"RELIANCE INDUSTRIES"', b'"RELIANCE IND\xc9"')  # É in cp1252, not UTF-8
    assert text != KITE
    (tmp_path / "excel.csv").write_bytes(text)
    outcome = import_master(str(tmp_path / "excel.csv"), tmp_path / "data", today=TODAY)
    assert outcome.catalog.get("2885").name == "RELIANCE INDÉ"  # type: ignore[union-attr]
    (tmp_path / "undefined.csv").write_bytes(KITE + b"\x81\n")  # a byte cp1252 does not define either
    with pytest.raises(MasterError, match="not a text file"):
        import_master(str(tmp_path / "undefined.csv"), tmp_path / "data", today=TODAY)
