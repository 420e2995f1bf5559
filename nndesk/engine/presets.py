"""Presets: spec files shipped in ``resources/presets/``, each with a one-line note."""

from __future__ import annotations

import json

from ..paths import resource_dir
from .spec import check


class UnknownPresetError(ValueError):
    """No preset has that name."""


def _preset_dir():
    return resource_dir() / "presets"


def list_presets() -> list[tuple[str, str]]:
    """(name, note) for every shipped preset, the default first."""
    names = sorted(p.stem for p in _preset_dir().glob("*.json"))
    names.sort(key=lambda n: n != "default")
    return [(n, load_preset(n).get("note", "")) for n in names]


def load_preset(name: str) -> dict:
    path = _preset_dir() / f"{name}.json"
    if not path.is_file():
        known = ", ".join(sorted(p.stem for p in _preset_dir().glob("*.json")))
        raise UnknownPresetError(f"unknown preset {name!r}; the presets are: {known}")
    spec = json.loads(path.read_text(encoding="utf-8"))
    return check(spec)
