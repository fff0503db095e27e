from __future__ import annotations

from pathlib import Path

from airalgo_desktop.config import DEFAULT_TOKEN_URL, DEFAULT_WS_URL, load_config


def test_precedence_flag_env_dotenv_keyring_default(tmp_path: Path) -> None:
    cwd = tmp_path / "cwd"
    user = tmp_path / "user"
    cwd.mkdir()
    user.mkdir()
    (cwd / ".env").write_text(
        "WEBSOCKET_SERVER_URL=ws://127.0.0.1:1/socket/websocket\nAPI_KEY=<Paste your API Key here>\n"
    )
    (user / ".env").write_text("TOKEN_SERVER_URL=http://127.0.0.1:2\nAPI_KEY=user-dotenv-key\n")
    cfg = load_config({}, env={}, cwd=cwd, user_config_dir=user, keyring_getter=lambda: "ring-key")
    assert cfg.ws_url == "ws://127.0.0.1:1/socket/websocket"
    assert cfg.sources["WEBSOCKET_SERVER_URL"].startswith(".env (") and str(cwd) in cfg.sources["WEBSOCKET_SERVER_URL"]
    assert cfg.token_url == "http://127.0.0.1:2" and str(user) in cfg.sources["TOKEN_SERVER_URL"]
    assert cfg.api_key == "user-dotenv-key"  # the placeholder in the first .env does not count
    env = {"API_KEY": "env-key", "TOKEN_SERVER_URL": "http://127.0.0.1:3"}
    cfg = load_config({"API_KEY": "flag-key"}, env=env, cwd=cwd, user_config_dir=user, keyring_getter=lambda: None)
    assert (cfg.api_key, cfg.sources["API_KEY"]) == ("flag-key", "command-line flag")
    assert (cfg.token_url, cfg.sources["TOKEN_SERVER_URL"]) == ("http://127.0.0.1:3", "environment")


def test_keyring_then_defaults(tmp_path: Path) -> None:
    cfg = load_config({}, env={}, cwd=tmp_path, user_config_dir=tmp_path, keyring_getter=lambda: "ring-key")
    assert (cfg.api_key, cfg.sources["API_KEY"]) == ("ring-key", "OS keyring")
    assert (cfg.ws_url, cfg.token_url) == (DEFAULT_WS_URL, DEFAULT_TOKEN_URL)
    assert cfg.sources["WEBSOCKET_SERVER_URL"] == "default"
    empty = load_config({}, env={}, cwd=tmp_path, user_config_dir=tmp_path, keyring_getter=lambda: None)
    assert empty.api_key is None


def test_describe_never_shows_the_key(tmp_path: Path) -> None:
    cfg = load_config(
        {"API_KEY": "super-secret-key"}, env={}, cwd=tmp_path, user_config_dir=tmp_path, keyring_getter=lambda: None
    )
    text = "\n".join(cfg.describe())
    assert "super-secret-key" not in text and "API_KEY              = set" in text


# ---------------------------------------------------------------------------------------------- issue 19 item 16
def test_a_non_utf8_line_skips_that_line_only_and_says_so(tmp_path: Path, caplog) -> None:
    (tmp_path / ".env").write_bytes(b"WEBSOCKET_SERVER_URL=ws://127.0.0.1:1/socket/websocket\n"
                                    b"# caf\xe9 latin-1 comment\n"
                                    b"TOKEN_SERVER_URL=http://127.0.0.1:2\n")
    cfg = load_config({}, env={}, cwd=tmp_path, user_config_dir=tmp_path / "none", keyring_getter=lambda: None)
    assert cfg.ws_url == "ws://127.0.0.1:1/socket/websocket"  # the rest of the file still counts
    assert cfg.token_url == "http://127.0.0.1:2"
    warnings = getattr(cfg, "warnings", [])
    assert any("line 2" in w and "UTF-8" in w for w in warnings), warnings
    assert "line 2" in caplog.text


def test_an_empty_value_falling_back_to_production_is_said(tmp_path: Path, caplog) -> None:
    (tmp_path / ".env").write_text("WEBSOCKET_SERVER_URL=\nTOKEN_SERVER_URL=http://127.0.0.1:2\n")
    cfg = load_config({}, env={}, cwd=tmp_path, user_config_dir=tmp_path / "none", keyring_getter=lambda: None)
    assert cfg.ws_url == DEFAULT_WS_URL
    warnings = getattr(cfg, "warnings", [])
    assert any("WEBSOCKET_SERVER_URL is empty" in w and "line 1" in w for w in warnings), warnings
    assert any("production default" in w and DEFAULT_WS_URL in w for w in warnings), warnings
    assert "production default" in caplog.text


def test_a_clean_env_has_no_warnings(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("WEBSOCKET_SERVER_URL=ws://127.0.0.1:1/x\nTOKEN_SERVER_URL=http://127.0.0.1:2\n"
                                   "API_KEY=abc-123\n")
    cfg = load_config({}, env={}, cwd=tmp_path, user_config_dir=tmp_path / "none", keyring_getter=lambda: None)
    assert cfg.warnings == [] and cfg.api_key == "abc-123"


def test_a_key_set_twice_blames_the_empty_line_not_the_valid_one(tmp_path: Path) -> None:
    """Issue 26, item 13: the empty assignment is the one named (the line with the valid key was blamed)."""
    (tmp_path / ".env").write_text("API_KEY=valid-key-4711\nTOKEN_SERVER_URL=http://127.0.0.1:2\nAPI_KEY=\n"
                                   "WEBSOCKET_SERVER_URL=ws://127.0.0.1:1/x\n")
    cfg = load_config({}, env={}, cwd=tmp_path, user_config_dir=tmp_path / "none", keyring_getter=lambda: None)
    empty = [w for w in cfg.warnings if "API_KEY is empty" in w]
    assert len(empty) == 1 and empty[0].endswith("line 3"), cfg.warnings
    (tmp_path / ".env").write_text("API_KEY=\nAPI_KEY=valid-key-4711\n")
    cfg = load_config({}, env={}, cwd=tmp_path, user_config_dir=tmp_path / "none", keyring_getter=lambda: None)
    assert next(w for w in cfg.warnings if "is empty" in w).endswith("line 1") and cfg.api_key == "valid-key-4711"
