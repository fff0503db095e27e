"""Real, published broker masters (``shared/realmasters`` beside the checkout, with their provenance in its
SOURCES.md) read right: RELIANCE → 2885 where a file has it, the NIFTY contracts SOURCES.md names keep their NSE
token, no vendor id is stored as a token and nothing implausible is stored. Skipped, with the reason, when the
folder is not there. Each file is imported once per module (the largest, ICICI's zip, is 70,000 F&O rows)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import pytest

from airalgo_desktop.instruments.formats import MasterError
from airalgo_desktop.instruments.importer import ImportOutcome, import_master
from airalgo_desktop.instruments.plausible import implausible

EARLY = date(2000, 1, 1)  # nothing in these files has expired on this day: every row is judged


def _realmasters() -> Path | None:
    """``shared/realmasters`` beside the repository (CI: ``../shared``), or beside one of its parent folders
    (a worktree inside the checkout's parent)."""
    repo = Path(__file__).resolve().parents[2]
    for folder in repo.parents:
        candidate = folder / "shared" / "realmasters"
        if (candidate / "SOURCES.md").is_file():
            return candidate
    return None


ROOT = _realmasters()
pytestmark = pytest.mark.skipif(ROOT is None, reason="no shared/realmasters beside the repository (the real "
                                                     "broker masters are kept outside the project)")


@dataclass
class Expect:
    """What a real file must read as: its layout, kept/skipped counts, and contracts by NSE token."""

    fmt: str
    kept: int
    skipped: int
    contracts: dict[str, tuple[str, int, int]] = field(default_factory=dict)  # token -> (display, tick, lot)


RELIANCE = ("RELIANCE", 5, 1)
RELIANCE_10 = ("RELIANCE", 10, 1)  # NSE's price-band tick for RELIANCE since 2025
FILES: dict[str, Expect] = {
    "kite/nikhil-chhabra-pykiteconnect_instruments_2024-04_excerpt.csv": Expect("kite", 504, 3, {
        "2885": RELIANCE, "67093": ("RELIANCE APR 2024 FUT", 5, 250),
        "68114": ("NIFTY 25 APR 2024 22500 CE", 5, 50), "45791": ("NIFTY 4 APR 2024 22500 CE", 5, 50)}),
    "kite/nilanjan-guha_instruments_2026-08_excerpt.csv": Expect("kite", 308, 0, {
        "61897": ("NIFTY 25 AUG 2026 25000 CE", 5, 65), "68407": ("NIFTY SEP 2026 FUT", 10, 65)}),
    "kite/zerodha-pykiteconnect_mock_instruments_all.csv": Expect("kite", 80, 19, {  # options with an empty name
        "47164": ("BANKNIFTY 25 JAN 2018 23500 CE", 5, 40)}),
    "kite/zerodha-pykiteconnect_mock_instruments_nse.csv": Expect("kite", 99, 0),
    "upstox/ShashankJ-oi_watcher_NSE_FO.json": Expect("upstox", 1521, 0, {
        "71474": ("NIFTY 30 JUN 2026 25000 CE", 5, 75), "50971": ("NIFTY 30 DEC 2025 27000 CE", 5, 75)}),
    "upstox/TejasRai09-trading_instruments_nse.csv": Expect("upstox-flat", 2405, 0, {
        "2885": RELIANCE_10, "10999": ("MARUTI", 100, 1)}),
    "angel/Saan40_instruments_angel-scripmaster-as-csv.csv": Expect("angel-csv", 4618, 74, {
        "37799": ("NIFTY 25 JUN 2026 23000 CE", 5, 75), "38526": ("NIFTY 8 MAY 2025 23000 CE", 5, 75)}),
    "dhan/gogoaheadgo-smk_scanner_api-scrip-master.csv": Expect("dhan", 9564, 13552, {"2885": RELIANCE_10}),
    "dhan/devswapnil1995-phantom-pro_api-scrip-master-detailed.csv": Expect("dhan-detailed", 9328, 141, {
        "2885": RELIANCE_10}),
    "dhan/niftyheist-dream_project_api-scrip-master-detailed.csv": Expect("dhan-detailed", 644, 18, {
        "53429": ("RELIANCE JUL 2025 FUT", 10, 500), "53806": ("RELIANCE SEP 2025 FUT", 10, 500)}),
    "dhan/abhi9585-dhan_webhook_api-scrip-master_tsv.csv": Expect("dhan-detailed", 2331, 1, {
        "35000": ("BANKNIFTY 31 JUL 2025 32000 CE", 5, 35)}),
    "fyers/imvickykumar999_NSE_CM_2024-06-25.csv": Expect("fyers", 6694, 75, {"2885": RELIANCE}),
    "fyers/shubh-37_NSE_CM_2025-11-10_excerpt.csv": Expect("fyers", 301, 120, {"2885": RELIANCE_10}),
    "fyers/srikar-kodakandla_NSE_CM_2021-09-23.csv": Expect("fyers", 1844, 60, {"2885": RELIANCE}),
    "icici/deepcranbed-hue-NiftyOptions_SecurityMaster.zip": Expect("icici", 76486, 151, {
        "2885": ("RELIANCE", 1, 1),  # ICICI's cash file gives every stock ₹0.01 (see vendors.parse_icici)
        "61897": ("NIFTY 25 AUG 2026 25000 CE", 5, 65), "68407": ("NIFTY SEP 2026 FUT", 10, 65)}),
    "icici/deepcranbed-hue-NiftyOptions_FONSEScripMaster_excerpt.txt": Expect("icici", 309, 0, {
        "61897": ("NIFTY 25 AUG 2026 25000 CE", 5, 65)}),
    "icici/deepcranbed-hue-NiftyOptions_NSEScripMaster.txt": Expect("icici", 5537, 150, {"2885": ("RELIANCE", 1, 1)}),
    "shoonya/ashkrai_NSE_symbols.txt": Expect("shoonya", 8606, 28, {"2885": RELIANCE_10}),
    "shoonya/ashkrai_NFO_symbols.txt": Expect("shoonya", 37, 0, {"115854": ("IDFCFIRSTB 25 NOV 2025 85 PE", 5, 9275)}),
    "fivepaisa/knightearner-LineBreak_scripmaster-csv-format.csv": Expect("5paisa", 3408, 1, {
        "57630": ("NIFTY 27 OCT 2022 18750 PE", 5, 50)}),
    "kotak/srikrishnagithub_neo_nse_cm_2025-12_excerpt.csv": Expect("kotak-neo", 297, 4, {"2885": RELIANCE_10}),
    "kotak/Pranay27sy_neo_nse_cm_2023-09_excerpt.csv": Expect("kotak-neo", 301, 0, {"2885": RELIANCE}),
    "kotak/murlipatel1_TradeApiInstruments_Cash_excerpt.csv": Expect("kotak-trade", 301, 1, {"2885": RELIANCE}),
    "aliceblue/Fazle-hasan_NSE_2023-07_excerpt.csv": Expect("aliceblue", 284, 17, {"2885": RELIANCE}),
}
REFUSED = {  # files that are not an NSE master, or whose header was invented by the repository's owner
    "fyers/shubh-37_BSE_FO_2025-11-10.csv": "no NSE cash or F&O contract to keep",
    "fyers/murlipatel1_NSE_CM_user-added-header_excerpt.csv": "no token column",
}


@pytest.fixture(scope="module")
def imported(tmp_path_factory: pytest.TempPathFactory) -> dict[str, ImportOutcome]:
    """Every real file imported once for the module."""
    assert ROOT is not None
    out: dict[str, ImportOutcome] = {}
    for number, name in enumerate(FILES):
        out[name] = import_master(str(ROOT / name), tmp_path_factory.mktemp(f"m{number}"), today=EARLY)
    return out


def test_every_real_master_is_accounted_for() -> None:
    assert ROOT is not None
    present = {str(p.relative_to(ROOT)) for p in ROOT.rglob("*") if p.is_file() and p.name != "SOURCES.md"}
    assert present == set(FILES) | set(REFUSED)


@pytest.mark.parametrize("name", list(FILES))
def test_a_real_master_reads_right(imported: dict[str, ImportOutcome], name: str) -> None:
    outcome, expect = imported[name], FILES[name]
    assert (outcome.fmt, outcome.kept, sum(outcome.skipped.values())) == (expect.fmt, expect.kept, expect.skipped)
    cat = outcome.catalog
    for token, (display, tick, lot) in expect.contracts.items():
        inst = cat.get(token)
        assert inst is not None, token
        assert (inst.display, inst.tick_size, inst.lot_size) == (display, tick, lot), token
    # RELIANCE is 2885 wherever it is: never Kite's 738561, BSE's 500325 or Kotak's 1839
    assert {inst.token for inst in cat.search("reliance", 5, today=EARLY) if inst.symbol == "RELIANCE"} <= {"2885"}
    a = cat.columns
    assert int(a["tick"].max()) <= 1_000 and int(a["tick"].min()) >= 1  # no tick above ₹10 (cash's ceiling)
    options = a["kind"] >= 2
    index_options = options & (a["index"] == 1)
    if index_options.any():  # every index strike is an index's: ₹500 … ₹6,00,000 (BANKNIFTY ×10)
        assert int(a["strike"][index_options].min()) >= 50_000 and int(a["strike"][index_options].max()) <= 60_000_000


def test_nothing_implausible_is_stored(imported: dict[str, ImportOutcome]) -> None:
    """The same check the importer refuses with, run again on what every real file stored."""
    from airalgo_desktop.instruments.catalog import Builder

    for name, outcome in imported.items():
        b = Builder()
        for inst in outcome.catalog:
            b.add_instrument(inst)
        assert implausible(b) == [], name


def test_the_same_nifty_contract_has_the_same_token_across_brokers(imported: dict[str, ImportOutcome]) -> None:
    """SOURCES.md: NIFTY 25-Aug-2026 25000 CE is 61897 in Kite and in ICICI; the Sep-2026 future 68407."""
    kite = imported["kite/nilanjan-guha_instruments_2026-08_excerpt.csv"].catalog
    icici = imported["icici/deepcranbed-hue-NiftyOptions_SecurityMaster.zip"].catalog
    for token in ("61897", "68407"):
        assert kite[token].display == icici[token].display and kite[token].lot_size == icici[token].lot_size


def test_a_real_collision_is_named(imported: dict[str, ImportOutcome]) -> None:
    """ICICI's 2026 masters give a PFC option the token of a cash row: the option is listed by name."""
    lines = [line.strip() for line in imported["icici/deepcranbed-hue-NiftyOptions_SecurityMaster.zip"].lines()]
    assert "PFC 29 SEP 2026 355 CE (token 101011 kept for TELEMARINE-BE)" in lines


@pytest.mark.parametrize("name", list(REFUSED))
def test_files_that_are_not_an_nse_master_are_refused(tmp_path: Path, name: str) -> None:
    assert ROOT is not None
    with pytest.raises(MasterError, match=REFUSED[name]):
        import_master(str(ROOT / name), tmp_path, today=EARLY)


@pytest.mark.parametrize(("name", "fmt", "expected"), [
    ("angel/Saan40_instruments_angel-scripmaster-as-csv.csv", "generic", "far from NIFTY's level"),
    ("upstox/TejasRai09-trading_instruments_nse.csv", "upstox-csv", "tradingsymbol column"),
    ("dhan/gogoaheadgo-smk_scanner_api-scrip-master.csv", "generic", "needs a token column"),
])
def test_a_real_master_read_in_the_wrong_layout_is_refused(tmp_path: Path, name: str, fmt: str,
                                                           expected: str) -> None:
    """Forcing the wrong layout (``--format``) never stores a misread master: Angel's paise read as rupees are
    refused by the plausibility check, naming the rows."""
    assert ROOT is not None
    with pytest.raises(MasterError, match=expected):
        import_master(str(ROOT / name), tmp_path, fmt, today=EARLY)


def test_an_option_without_a_name_is_still_an_index_option(imported: dict[str, ImportOutcome]) -> None:
    """Zerodha's own mock leaves ``name`` empty on every option: the underlying comes from the symbol, so a
    BANKNIFTY option is OPTIDX in ``order_response`` terms (it was OPTSTK with the symbol as its underlying)."""
    option = imported["kite/zerodha-pykiteconnect_mock_instruments_all.csv"].catalog["47164"]
    assert option.name == "BANKNIFTY" and option.api_instrument == "OPTIDX" and option.strike == 23500_00
