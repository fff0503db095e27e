"""AirAlgo Desktop: a desktop trading terminal for the AirAlgo WebSocket API (NSE data and orders)."""

from __future__ import annotations

from importlib import metadata

try:
    __version__ = metadata.version("airalgo-desktop")
except metadata.PackageNotFoundError:  # running from a plain checkout or a frozen app without metadata
    __version__ = "0.1.0"

APP_NAME = "AirAlgo Desktop"
APP_ID = "airalgo-desktop"
