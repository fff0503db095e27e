"""Locate bundled files in ``resources/`` from a source checkout, a wheel or a frozen (PyInstaller) app."""

from __future__ import annotations

import sys
from pathlib import Path


def resources_dir() -> Path:
    """The folder holding icons, the sample instrument CSV and the .desktop template."""
    frozen_root = getattr(sys, "_MEIPASS", None)
    candidates = []
    if frozen_root:
        candidates.append(Path(frozen_root) / "resources")
    here = Path(__file__).resolve().parent
    candidates += [here.parent / "resources", here / "_resources"]
    for candidate in candidates:
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError("resources folder not found next to the airalgo_desktop package")


def resource_path(name: str) -> Path:
    """Path of one bundled resource by file name."""
    return resources_dir() / name
