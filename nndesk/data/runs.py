"""Every training run kept in the person's data folder, to list and compare later.

A run is one JSON file in ``<data folder>/runs/``: its id, name, date, the spec it trained,
the dataset, the history, the final metrics and how long it took (never the weights). A file
that cannot be read is skipped and named in ``RunStore.problems``, never a crash.
"""

from __future__ import annotations

import json
import math
import os
import re
import time
from pathlib import Path

from nndesk import paths

from .fileio import write_atomic

ID_PATTERN = re.compile(r"^[0-9]{8}-[0-9]{9}-[0-9a-f]{4}$")  # date-time+ms-random


def runs_dir() -> Path:
    return paths.data_dir() / "runs"


def _plain(value):
    """JSON can hold no NaN or infinity: they become null."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


class RunStore:
    def __init__(self, folder: str | Path | None = None):
        self.folder = Path(folder) if folder is not None else runs_dir()
        self.problems: list[str] = []

    def _path(self, run_id: str) -> Path:
        if not ID_PATTERN.match(str(run_id)):
            raise KeyError(f"no run {run_id!r}")
        return self.folder / f"{run_id}.json"

    def add(self, *, spec: dict, dataset: str, history: dict, metrics: dict, seconds: float,
            reason: str, name: str | None = None, when: float | None = None) -> dict:
        """Keep a run; returns its record (with its new ``id``)."""
        when = time.time() if when is None else when
        stamp = time.strftime("%Y%m%d-%H%M%S", time.localtime(when))
        run_id = f"{stamp}{int(when * 1000) % 1000:03d}-{os.urandom(2).hex()}"
        record = _plain({"id": run_id, "name": name or spec.get("name") or "untitled",
                         "date": time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(when)),
                         "dataset": dataset, "reason": reason, "seconds": float(seconds),
                         "metrics": metrics, "spec": spec,
                         "history": {k: v for k, v in history.items() if k != "batch_loss"}})
        write_atomic(self._path(run_id), json.dumps(record, indent=1).encode("utf-8"))
        return record

    def runs(self) -> list[dict]:
        """Every readable run, the oldest first."""
        self.problems = []
        found = []
        for path in sorted(self.folder.glob("*.json")) if self.folder.is_dir() else ():
            try:
                found.append(self._read(path))
            except (OSError, ValueError, UnicodeDecodeError, RecursionError) as exc:
                self.problems.append(f"{path.name}: skipped, cannot be read ({exc})")
        return found

    @staticmethod
    def _read(path: Path) -> dict:
        record = json.loads(path.read_text(encoding="utf-8"))
        if not (isinstance(record, dict) and record.get("id") == path.stem
                and ID_PATTERN.match(path.stem) and isinstance(record.get("spec"), dict)
                and isinstance(record.get("name"), str)
                and all(isinstance(record.get(k), dict) for k in ("history", "metrics"))):
            raise ValueError("not a run record")
        return record

    def get(self, key: str) -> dict:
        """A run by id, by name (the newest of that name) or by its number in the list (1 up)."""
        if ID_PATTERN.match(str(key)):
            try:
                return self._read(self._path(key))
            except (OSError, ValueError, UnicodeDecodeError, RecursionError):
                pass  # not there or unreadable: look it up among the others
        runs = self.runs()
        if key.isdigit() and 1 <= int(key) <= len(runs):
            return runs[int(key) - 1]
        for record in reversed(runs):
            if key in (record["id"], record["name"]):
                return record
        raise KeyError(f"no run {key!r}: give its number, id or name (see `nndesk runs`)")

    def rename(self, run_id: str, name: str) -> dict:
        name = name.strip()
        if not name:
            raise ValueError("a run's name cannot be empty")
        record = self.get(run_id)
        record["name"] = name
        write_atomic(self._path(record["id"]), json.dumps(record, indent=1).encode("utf-8"))
        return record

    def delete(self, run_id: str) -> None:
        self._path(self.get(run_id)["id"]).unlink(missing_ok=True)

    def export(self, run_id: str, path: str | Path) -> Path:
        record = self.get(run_id)
        path = Path(path)
        write_atomic(path, json.dumps(record, indent=1).encode("utf-8"))
        return path


def flatten(spec, prefix: str = "") -> dict[str, object]:
    """A spec as dotted paths to its values: ``layers[0].units`` -> 128."""
    out = {}
    if isinstance(spec, dict):
        for key, value in spec.items():
            out.update(flatten(value, f"{prefix}.{key}" if prefix else key))
    elif isinstance(spec, list) and prefix != "input_shape":
        for i, value in enumerate(spec):
            out.update(flatten(value, f"{prefix}[{i}]"))
    else:
        out[prefix] = spec
    return out


def differences(specs: list[dict], ignore=("name", "note")) -> list[tuple[str, list]]:
    """The settings that differ between the specs, each with its value in every spec
    (None where a spec has no such setting)."""
    flat = [flatten(s) for s in specs]
    keys = sorted({k for f in flat for k in f}, key=lambda k: [int(p) if p.isdigit() else p
                                                                  for p in re.split(r"[\[\].]", k)
                                                                  if p])
    rows = []
    for key in keys:
        if key.split(".")[0].split("[")[0] in ignore:
            continue
        values = [f.get(key) for f in flat]
        if any(v != values[0] for v in values[1:]):
            rows.append((key, values))
    return rows


def seed_groups(runs: list[dict]) -> list[list[dict]]:
    """Runs that differ only in their seed, together (groups of one for the others)."""
    groups: dict[str, list[dict]] = {}
    for record in runs:
        spec = {k: v for k, v in record["spec"].items() if k not in ("seed", "name", "note")}
        groups.setdefault(json.dumps([spec, record.get("dataset")], sort_keys=True),
                          []).append(record)
    return list(groups.values())
