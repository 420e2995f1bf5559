"""What comparing runs shows, as plain data: each run's curves, a seed group's mean and
spread, the results side by side and the settings that differ (no Qt)."""

from __future__ import annotations

import json
import math
import warnings

import numpy as np

from nndesk.data.runs import differences

# The curves drawn: history key -> (plot, validation?). Accuracy is drawn in percent.
CURVES = {"train_loss": ("loss", False), "val_loss": ("loss", True),
          "train_accuracy": ("accuracy", False), "val_accuracy": ("accuracy", True)}
SPREAD = "min–max"  # what a seed group's shaded band spans

REASONS = {"completed": "Finished", "stopped": "Stopped", "early_stopping": "Stopped early",
           "diverged": "Diverged", "failed": "Failed"}


def number(value) -> float:
    try:
        return float(value) if value is not None else math.nan
    except (TypeError, ValueError):
        return math.nan


def percent(value) -> str:
    value = number(value)
    return f"{100 * value:.2f}%" if math.isfinite(value) else "–"


def duration(seconds) -> str:
    seconds = number(seconds)
    if not math.isfinite(seconds) or seconds < 0:
        return "–"
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, secs = divmod(int(round(seconds)), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def epochs(record: dict) -> int:
    done = (record.get("metrics") or {}).get("epochs")
    return int(done) if isinstance(done, (int, float)) else len(history(record).get("epoch") or [])


def history(record: dict) -> dict:
    value = record.get("history")
    return value if isinstance(value, dict) else {}


def reason_text(record: dict) -> str:
    reason = str(record.get("reason") or "")
    return REASONS.get(reason, reason.replace("_", " ").capitalize() or "–")


def labels(records: list[dict], numbers: list[int]) -> list[str]:
    """Each run's name, with its number in the list (``#3``) where names repeat."""
    names = [str(r.get("name") or "untitled") for r in records]
    return [f"{name} #{n}" if names.count(name) > 1 else name for name, n in zip(names, numbers)]


def scale(key: str) -> float:
    return 100.0 if CURVES[key][0] == "accuracy" else 1.0


def curve(record: dict, key: str):
    """(epochs, values) of one history series in the unit drawn, the missing values left out;
    None when the run has none."""
    h = history(record)
    y = np.array([number(v) for v in h.get(key) or ()], dtype=float) * scale(key)
    x = np.array([number(v) for v in h.get("epoch") or ()], dtype=float)
    if len(x) != len(y):
        x = np.arange(1, len(y) + 1, dtype=float)
    keep = np.isfinite(x) & np.isfinite(y)
    return (x[keep], y[keep]) if keep.any() else None


def group_curve(records: list[dict], key: str):
    """(epochs, mean, low, high) of a series over the runs of a group, epoch by epoch (each
    epoch over the runs that reached it); None when none of them has the series."""
    found = [c for c in (curve(r, key) for r in records) if c is not None]
    if not found:
        return None
    x = np.unique(np.concatenate([c[0] for c in found]))
    table = np.full((len(found), len(x)), np.nan)
    for row, (cx, cy) in zip(table, found):
        row[np.searchsorted(x, cx)] = cy
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return x, np.nanmean(table, 0), np.nanmin(table, 0), np.nanmax(table, 0)


def group_label(group: list[dict], run_labels: dict[str, str]) -> str:
    """A group's name in the legend, with its size and seeds."""
    first = run_labels[group[0]["id"]]
    if len(group) == 1:
        return first
    names = {str(r.get("name")) for r in group}
    base = group[0]["name"] if len(names) == 1 else first
    seeds = ", ".join(str(r["spec"].get("seed")) for r in group)
    return f"{base} · mean of {len(group)} (seeds {seeds})"


def result_rows(records: list[dict]) -> list[tuple[str, list[str]]]:
    """The final figures of each run, one row per figure."""
    def metric(key):
        return [percent((r.get("metrics") or {}).get(key)) for r in records]
    return [("test accuracy", metric("test_accuracy")),
            ("validation accuracy", metric("val_accuracy")),
            ("training accuracy", [percent(_last(r, "train_accuracy")) for r in records]),
            ("epochs", [str(epochs(r)) for r in records]),
            ("training time", [duration(r.get("seconds")) for r in records]),
            ("why it ended", [reason_text(r) for r in records])]


def _last(record: dict, key: str):
    values = [v for v in history(record).get(key) or () if v is not None]
    return values[-1] if values else None


def setting_text(value) -> str:
    """A setting's value as written in the table and the CSV ("" where a run has none)."""
    if value is None:
        return ""
    return value if isinstance(value, str) else json.dumps(value)


def difference_rows(records: list[dict]) -> list[tuple[str, list]]:
    return differences([r["spec"] for r in records])


def csv_rows(records: list[dict], run_labels: list[str]) -> list[list[str]]:
    """The differences table as CSV rows: a header with the runs, then one row per setting."""
    rows = [["setting", *run_labels], ["run id", *(r["id"] for r in records)]]
    rows += [[key, *map(setting_text, values)] for key, values in difference_rows(records)]
    return rows
