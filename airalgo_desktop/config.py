"""Where the app's three settings come from, and which source won.

Precedence: command-line flags > environment (``WEBSOCKET_SERVER_URL``, ``TOKEN_SERVER_URL``, ``API_KEY``) >
``.env`` (working directory, then the platformdirs config dir) > OS keyring (the key only) > defaults (the API
doc's production URLs). :meth:`Config.describe` reports each value's source and never the key itself.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import platformdirs
from dotenv import dotenv_values

from . import APP_ID
from .logs import register_secret

log = logging.getLogger("airalgo.config")

DEFAULT_WS_URL = "wss://api.airalgo.com/socket/websocket"
DEFAULT_TOKEN_URL = "https://api.airalgo.com"
KEYRING_SERVICE = "airalgo-desktop"
KEYRING_USER = "api-key"
KEYS = ("WEBSOCKET_SERVER_URL", "TOKEN_SERVER_URL", "API_KEY")
PLACEHOLDER_KEYS = {"", "<Paste your API Key here>"}


def config_dir() -> Path:
    """Per-user config folder (``~/.config/airalgo-desktop`` on Linux)."""
    return platformdirs.user_config_path(APP_ID, appauthor=False)


def data_dir() -> Path:
    """Per-user data folder (journal, watchlists)."""
    return platformdirs.user_data_path(APP_ID, appauthor=False)


def home_data_dir(home: str | None = None) -> Path:
    """The data folder the app uses: ``<home>/data`` with ``--home``/``AIRALGO_HOME``, else :func:`data_dir`."""
    home = home or os.environ.get("AIRALGO_HOME")
    return Path(home) / "data" if home else data_dir()


def log_dir() -> Path:
    """Per-user log folder."""
    return platformdirs.user_log_path(APP_ID, appauthor=False)


def keyring_get() -> str | None:
    """The stored API key, or None (no backend, nothing stored, or the backend failed)."""
    try:
        import keyring

        return keyring.get_password(KEYRING_SERVICE, KEYRING_USER)
    except Exception as exc:  # no backend, locked collection, D-Bus missing…
        log.info("keyring unavailable: %s", type(exc).__name__)
        return None


@dataclass
class Config:
    """Resolved settings plus the source of each (``"flag"``, ``"environment"``, ``".env (path)"``…)."""

    ws_url: str
    token_url: str
    api_key: str | None
    sources: dict[str, str] = field(default_factory=dict)

    def describe(self) -> list[str]:
        """Human-readable lines, safe to print: the key shows as set/not set only."""
        key = "set" if self.api_key else "not set"
        return [
            f"WEBSOCKET_SERVER_URL = {self.ws_url}  (from {self.sources.get('WEBSOCKET_SERVER_URL', 'default')})",
            f"TOKEN_SERVER_URL     = {self.token_url}  (from {self.sources.get('TOKEN_SERVER_URL', 'default')})",
            f"API_KEY              = {key}" + (f"  (from {self.sources['API_KEY']})" if self.api_key else ""),
        ]


def load_config(
    flags: Mapping[str, str | None] | None = None,
    *,
    env: Mapping[str, str] | None = None,
    cwd: Path | None = None,
    user_config_dir: Path | None = None,
    keyring_getter: Callable[[], str | None] = keyring_get,
) -> Config:
    """Resolve the three settings by precedence. ``flags`` uses the env names as keys."""
    flags = flags or {}
    env = os.environ if env is None else env
    layers: list[tuple[str, Mapping[str, str | None]]] = [("command-line flag", flags), ("environment", env)]
    for folder in (cwd or Path.cwd(), user_config_dir or config_dir()):
        path = folder / ".env"
        if path.is_file():
            try:
                layers.append((f".env ({path})", dotenv_values(path)))
            except (OSError, UnicodeDecodeError) as exc:
                log.warning("could not read %s: %s", path, type(exc).__name__)
    values: dict[str, str] = {}
    sources: dict[str, str] = {}
    for name in KEYS:
        for source, layer in layers:
            value = layer.get(name)
            if value is not None and value.strip() and not (name == "API_KEY" and value.strip() in PLACEHOLDER_KEYS):
                values[name] = value.strip()
                sources[name] = source
                break
    if "API_KEY" not in values:
        stored = keyring_getter()
        if stored:
            values["API_KEY"] = stored
            sources["API_KEY"] = "OS keyring"
    api_key = values.get("API_KEY")
    register_secret(api_key)
    return Config(
        ws_url=values.get("WEBSOCKET_SERVER_URL", DEFAULT_WS_URL),
        token_url=values.get("TOKEN_SERVER_URL", DEFAULT_TOKEN_URL),
        api_key=api_key,
        sources={k: sources.get(k, "default") for k in KEYS if k in sources or k != "API_KEY"},
    )
