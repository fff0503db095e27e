"""Issue 19, the window side of items 8, 11 and 16: an unusable journal, a second window on the same data dir and a
broken ``.env`` are each a clear message in the window (and the log) — never exit 1, never silence."""

from __future__ import annotations

import pytest

from airalgo_desktop.domain.orders import OrderKind, OrderRequest, OrderStatus, Side
from tests.store.test_journal_faults import fill_disk, small_fs
from tests.ui.conftest import app_args, running_app, wait_until


def test_an_unusable_journal_is_a_banner_not_an_exit(qtbot, qloop, paths) -> None:
    paths.data.parent.mkdir(parents=True, exist_ok=True)
    paths.data.write_text("a file where the data folder should be")  # no journal can live here

    async def scenario() -> None:
        async with running_app(app_args("--demo"), paths) as app:
            await wait_until(lambda: app.window.banner.isVisible())
            text = " ".join(app.window.banner.texts())  # the bar store's strip may already be on top of it
            assert "order journal" in text and "cannot be used" in text and "Orders cannot be sent" in text
            await wait_until(lambda: app.desk.client is not None and app.desk.client.state.joined)
            # issue 26, item 12: the bar store's banner (no bars.db here either) joins it, never replaces it
            await wait_until(lambda: any("bar store" in t for t in app.window.banner.texts()))
            texts = app.window.banner.texts()
            assert any("Orders cannot be sent" in t for t in texts) and app.window.banner.isVisible(), texts
            # market data works; orders are refused, unsent, with the reason
            with pytest.raises(Exception, match=r"(?i)not sent.*is a file, not a folder"):
                app.desk.ledger.place(OrderRequest("2885", Side.BUY, OrderKind.MARKET, 1))
            assert app.desk.ledger.records == {}

    qloop.run_until_complete(scenario())
    assert paths.data.read_text() == "a file where the data folder should be"  # left exactly as it was


def test_a_second_window_on_the_same_data_dir_says_so(qtbot, qloop, paths) -> None:
    async def scenario() -> None:
        async with running_app(app_args("--demo"), paths) as first, running_app(app_args("--demo"), paths) as second:
            await wait_until(lambda: second.window.banner.isVisible())
            assert "in use by another AirAlgo Desktop window" in second.window.banner.label.text()
            assert second.desk.ledger.journal.path != first.desk.ledger.journal.path
            assert first.desk.ledger.journal.path.name == "journal.db"

    qloop.run_until_complete(scenario())


def test_a_broken_env_line_is_shown_in_the_window(qtbot, qloop, paths, tmp_path, monkeypatch) -> None:
    work = tmp_path / "work"
    work.mkdir()
    (work / ".env").write_bytes(b"WEBSOCKET_SERVER_URL=ws://127.0.0.1:9/socket/websocket\n"
                                b"TOKEN_SERVER_URL=http://127.0.0.1:9\n"
                                b"# r\xe9sum\xe9 in latin-1\n"
                                b"API_KEY=env-key-4711\n")
    monkeypatch.chdir(work)
    monkeypatch.setattr("airalgo_desktop.config.config_dir", lambda: tmp_path / "no-user-config")
    for name in ("WEBSOCKET_SERVER_URL", "TOKEN_SERVER_URL", "API_KEY"):
        monkeypatch.delenv(name, raising=False)

    async def scenario() -> None:
        async with running_app(app_args(), paths) as app:
            await wait_until(lambda: app.window.banner.isVisible())
            text = app.window.banner.label.text()
            assert "line 3 is not UTF-8" in text, text
            assert app.config is not None and app.config.api_key == "env-key-4711"  # the other lines still count

    qloop.run_until_complete(scenario())


def test_fills_shown_during_a_full_disk_are_there_after_a_restart(qtbot, qloop, paths) -> None:
    """Issue 26, item 1: five orders execute while the data folder's disk is full — on screen at once, kept — and
    the journal takes them once space is freed (the desk's timer retries), so the next start shows the same five
    fills in positions (they came back "Unknown" and dropped out before)."""
    with small_fs(paths.data, "2m") as mnt:
        ids: list[str] = []

        async def full_session() -> None:
            async with running_app(app_args("--demo"), paths) as app:
                await wait_until(lambda: app.desk.client is not None and app.desk.client.state.joined)
                app.sim.engine.fill_delay = 1.0
                ids.extend(app.desk.ledger.place(OrderRequest("2885", Side.BUY, OrderKind.MARKET, q)).local_id
                           for q in range(1, 6))
                fill_disk(mnt)
                await wait_until(lambda: all(app.desk.ledger.records[i].status is OrderStatus.EXECUTED for i in ids))
                assert app.desk.pnl.positions.positions["2885"].net == 15  # the screen shows every fill
                assert "not journalled" in app.desk.ledger.records[ids[0]].message
                assert len(app.desk.ledger.journal.pending) >= 5
                (mnt / "filler").unlink()  # space is freed while the app runs
                await wait_until(lambda: not app.desk.ledger.journal.pending, timeout=15)

        async def restart() -> None:
            async with running_app(app_args("--demo"), paths) as app:
                await wait_until(lambda: all(i in app.desk.ledger.records for i in ids))
                assert [app.desk.ledger.records[i].status for i in ids] == [OrderStatus.EXECUTED] * 5
                assert app.desk.pnl.positions.positions["2885"].net == 15

        qloop.run_until_complete(full_session())
        qloop.run_until_complete(restart())
