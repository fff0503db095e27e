"""Where the app's three settings come from, and which source won.

Precedence: command-line flags > environment (``WEBSOCKET_SERVER_URL``, ``TOKEN_SERVER_URL``, ``API_KEY``) >
``.env`` (working directory, then the platformdirs config dir) > OS keyring (the key only) > defaults (the API
doc's production URLs). :meth:`Config.describe` reports each value's source and never the key itself.
"""

from __future__ import annotations

import io
import logging
import os
import re
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
    warnings: list[str] = field(default_factory=list)
    """What went wrong reading ``.env`` files, in words (also logged): show them, a silent fallback to the
    production URLs is the one thing a developer must not discover by surprise."""

    def describe(self) -> list[str]:
        """Human-readable lines, safe to print: the key shows as set/not set only."""
        key = "set" if self.api_key else "not set"
        return [
            f"WEBSOCKET_SERVER_URL = {self.ws_url}  (from {self.sources.get('WEBSOCKET_SERVER_URL', 'default')})",
            f"TOKEN_SERVER_URL     = {self.token_url}  (from {self.sources.get('TOKEN_SERVER_URL', 'default')})",
            f"API_KEY              = {key}" + (f"  (from {self.sources['API_KEY']})" if self.api_key else ""),
        ]


_ASSIGNMENT = re.compile(r"^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=")


def read_dotenv(path: Path) -> tuple[dict[str, str | None], list[str]]:
    """The values of one ``.env`` file and a warning per problem. A line that is not UTF-8 is skipped with its line
    number — not the whole file (python-dotenv alone drops every line for one bad byte); a key of ours with an
    empty value is reported with its line number."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        return {}, [f"could not read {path}: {exc.strerror or type(exc).__name__}; its settings are not used"]
    warnings: list[str] = []
    lines = data.removeprefix(b"\xef\xbb\xbf").split(b"\n")
    text_lines: list[str] = []
    for number, raw in enumerate(lines, 1):
        try:
            text_lines.append(raw.decode("utf-8"))
        except UnicodeDecodeError:
            text_lines.append("")  # keep the numbering of the lines after it
            warnings.append(f"{path} line {number} is not UTF-8 text and was skipped")
    values: dict[str, str | None] = dict(dotenv_values(stream=io.StringIO("\n".join(text_lines))))
    for number, line in enumerate(text_lines, 1):
        match = _ASSIGNMENT.match(line)
        if match and match.group(1) in KEYS:
            # this line's own value, not the file's last one for the name: a key set twice must blame the line that
            # is empty, never the one with the valid key
            value = dotenv_values(stream=io.StringIO(line)).get(match.group(1))
            if value is None or not value.strip():
                warnings.append(f"{match.group(1)} is empty in {path} line {number}")
    return values, warnings


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
    warnings: list[str] = []
    layers: list[tuple[str, Mapping[str, str | None]]] = [("command-line flag", flags), ("environment", env)]
    for folder in (cwd or Path.cwd(), user_config_dir or config_dir()):
        path = folder / ".env"
        if path.is_file():
            values_in_file, file_warnings = read_dotenv(path)
            layers.append((f".env ({path})", values_in_file))
            warnings += file_warnings
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
    if warnings:  # say where each setting then came from: a fallback to production must never be silent
        for name, default in (("WEBSOCKET_SERVER_URL", DEFAULT_WS_URL), ("TOKEN_SERVER_URL", DEFAULT_TOKEN_URL)):
            if name not in values:
                warnings.append(f"{name} is not set anywhere else: using the production default {default}")
        if "API_KEY" not in values:
            warnings.append("API_KEY is not set anywhere else: no API key")
    for warning in warnings:
        log.warning("configuration: %s", warning)
    return Config(
        ws_url=values.get("WEBSOCKET_SERVER_URL", DEFAULT_WS_URL),
        token_url=values.get("TOKEN_SERVER_URL", DEFAULT_TOKEN_URL),
        api_key=api_key,
        sources={k: sources.get(k, "default") for k in KEYS if k in sources or k != "API_KEY"},
        warnings=warnings,
    )
