"""Where nndesk finds its bundled resources and keeps the user's files.

Resources are looked up through the installed package (a wheel carries them as
``nndesk/resources``); a source checkout falls back to the ``resources/`` folder
beside the package. Nothing here depends on the current directory.
"""

from __future__ import annotations

import os
import sys
from importlib import resources
from pathlib import Path

APP_NAME = "nndesk"


def resource_dir() -> Path:
    """The folder holding ``datasets/`` and ``presets/``."""
    packaged = Path(str(resources.files("nndesk"))) / "resources"
    if packaged.is_dir():
        return packaged
    return Path(__file__).resolve().parent.parent / "resources"


def _platform_dir(env_var: str, mac: str, fallback: str) -> Path:
    if sys.platform == "win32":
        base = Path(os.environ.get("LOCALAPPDATA") or Path.home() / "AppData" / "Local")
        return base / APP_NAME / ("Cache" if env_var == "XDG_CACHE_HOME" else "")
    if sys.platform == "darwin":
        return Path.home() / "Library" / mac / APP_NAME
    return Path(os.environ.get(env_var) or Path.home() / fallback) / APP_NAME


def cache_dir() -> Path:
    """Per-user cache (decoded datasets); safe to delete. ``NNDESK_CACHE_DIR`` overrides it."""
    override = os.environ.get("NNDESK_CACHE_DIR")
    return Path(override) if override else _platform_dir("XDG_CACHE_HOME", "Caches", ".cache")


def data_dir() -> Path:
    """Per-user data (the person's own digits). ``NNDESK_DATA_DIR`` overrides it."""
    override = os.environ.get("NNDESK_DATA_DIR")
    return Path(override) if override else _platform_dir(
        "XDG_DATA_HOME", "Application Support", ".local/share")
