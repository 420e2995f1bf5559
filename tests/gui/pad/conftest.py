"""Fixtures for the drawing-pad tests: a private data folder (MNIST and a trained model are
in ../conftest.py)."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def data_dir(tmp_path, monkeypatch, cache_dir):
    """Every test gets an empty data folder for "my digits" (and a private cache folder),
    never the person's."""
    folder = tmp_path / "data"
    monkeypatch.setenv("NNDESK_DATA_DIR", str(folder))
    monkeypatch.setenv("NNDESK_CACHE_DIR", str(cache_dir))
    return folder
