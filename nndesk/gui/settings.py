"""Where the window keeps what it remembers between runs (QSettings).

The settings live in an INI file in the usual per-user place for the organisation
and application ``nndesk``. Set ``NNDESK_SETTINGS_FILE`` to a path (tests do) to
keep them somewhere else, or pass ``settings=`` to :class:`~nndesk.gui.main_window.MainWindow`.
"""

from __future__ import annotations

import json
import os

from PySide6.QtCore import QSettings

ORGANIZATION = "nndesk"
APPLICATION = "nndesk"
SETTINGS_ENV = "NNDESK_SETTINGS_FILE"
MAX_RECENT = 8


def open_settings(path: str | os.PathLike[str] | None = None) -> QSettings:
    """The settings store: ``path`` if given, else ``$NNDESK_SETTINGS_FILE``, else the user's."""
    path = path or os.environ.get(SETTINGS_ENV)
    if path:
        return QSettings(os.fspath(path), QSettings.Format.IniFormat)
    return QSettings(QSettings.Format.IniFormat, QSettings.Scope.UserScope, ORGANIZATION, APPLICATION)


def read_json(settings: QSettings, key: str, default=None):
    """A JSON value stored as text; ``default`` when missing or unreadable."""
    text = settings.value(key)
    if not isinstance(text, str) or not text:
        return default
    try:
        return json.loads(text)
    except ValueError:
        return default


def write_json(settings: QSettings, key: str, value) -> None:
    settings.setValue(key, json.dumps(value))


def read_list(settings: QSettings, key: str) -> list[str]:
    """A list of strings (QSettings returns a bare string for one item and None for none)."""
    value = read_json(settings, key, [])
    return [str(v) for v in value] if isinstance(value, list) else []
