"""Issue 25 item 5: the app's master-import child and the ``instruments`` CLI under a cp1252 console and a
non-ASCII (Devanagari) data folder — parent and child agree on UTF-8, and the app never keeps the old master in
memory after the child replaced the file."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from airalgo_desktop.instruments import importer
from airalgo_desktop.instruments.formats import MasterError
from airalgo_desktop.instruments.importer import import_in_child, import_master, load_stored
from airalgo_desktop.store import instruments as store

FIX = Path(__file__).parent / "fixtures"
CP1252 = {"PYTHONIOENCODING": "cp1252", "PYTHONUTF8": "0"}


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    """A data folder and masters whose paths are not ASCII (nor cp1252)."""
    home = tmp_path / "डेटा"
    home.mkdir()
    for name in ("kite.csv", "angel.json"):
        shutil.copy(FIX / name, home / f"मास्टर-{name}")
    return home


def test_the_child_reports_in_utf8_from_a_devanagari_folder(folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for key, value in CP1252.items():  # what the app's own environment says; the child is told UTF-8
        monkeypatch.setenv(key, value)
    source = str(folder / "मास्टर-kite.csv")
    seen: list[str] = []
    outcome = import_in_child([source], folder / "data", progress=lambda _f, t: seen.append(t))
    assert outcome.source == source and outcome.fmt == "kite" and outcome.catalog.get("2885") is not None
    assert any("मास्टर-kite.csv" in t for t in seen)  # progress lines cross in UTF-8 as well
    assert outcome.catalog.meta["source"] == source


def _child_that_fails_after_saving() -> list[str]:
    """The real import, then the process dies before the app reads its report (exit 1, nothing on stdout)."""
    code = ("import io, sys; from airalgo_desktop.__main__ import main; real = sys.stdout; sys.stdout = io.StringIO();"
            " main(sys.argv[1:]); sys.exit(1)")
    return [sys.executable, "-c", code]


def test_a_child_that_replaced_the_master_then_failed_is_reloaded(folder: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    data = folder / "data"
    import_master(str(folder / "मास्टर-kite.csv"), data)
    before = load_stored(data)
    assert before is not None and before.get("2885") is not None
    monkeypatch.setattr(importer, "child_command", _child_that_fails_after_saving)
    outcome = import_in_child([str(folder / "मास्टर-angel.json")], data)
    assert outcome.catalog.meta["source"].endswith("मास्टर-angel.json")  # the file on disk, not the old master
    assert outcome.fmt == "angel" and outcome.kept == len(outcome.catalog)
    assert load_stored(data).meta == outcome.catalog.meta  # type: ignore[union-attr]


def test_a_child_that_failed_before_saving_keeps_the_old_master(folder: Path,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    data = folder / "data"
    import_master(str(folder / "मास्टर-kite.csv"), data)
    saved = store.path_in(data).read_bytes()
    monkeypatch.setattr(importer, "child_command", lambda: [sys.executable, "-c", "import sys; sys.exit(9)"])
    with pytest.raises(MasterError, match=r"the import stopped \(exit 9\); the previous master is kept"):
        import_in_child([str(folder / "मास्टर-angel.json")], data)
    assert store.path_in(data).read_bytes() == saved


def test_the_cli_prints_utf8_on_a_cp1252_pipe(folder: Path) -> None:
    env = {**__import__("os").environ, **CP1252, "AIRALGO_HOME": str(folder)}
    root = str(Path(__file__).resolve().parents[2])
    env["PYTHONPATH"] = root + (":" + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    for args in (["import", str(folder / "मास्टर-kite.csv")], ["search", "reliance"], ["show", "2885"]):
        proc = subprocess.run([sys.executable, "-m", "airalgo_desktop", "instruments", *args], env=env,
                              capture_output=True, timeout=120)
        out, err = proc.stdout.decode("utf-8"), proc.stderr.decode("utf-8")
        assert proc.returncode == 0 and "Traceback" not in err, (args, out, err)
        assert "मास्टर-kite.csv" in out + err, (args, out, err)
