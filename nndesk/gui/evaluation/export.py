"""The page's numbers as CSV tables and its plots as PNG images, written atomically.

Every file is written to a temporary file beside the target and then renamed over it, so a
failed export never leaves a half-written file; failures raise OSError with a plain reason.
"""

from __future__ import annotations

import csv
import io
import os
import tempfile
from pathlib import Path

import pyqtgraph as pg
from pyqtgraph.exporters import ImageExporter
from PySide6.QtWidgets import QWidget


def confusion_rows(judgement) -> list[list]:
    names = judgement.class_names
    return [["true \\ predicted", *names]] + [
        [name, *map(int, row)] for name, row in zip(names, judgement.confusion)]


def per_class_rows(judgement) -> list[list]:
    counts = judgement.confusion
    rows = [["class", "samples", "correct", "accuracy"]]
    for i, (name, accuracy) in enumerate(zip(judgement.class_names, judgement.per_class_accuracy)):
        rows.append([name, int(counts[i].sum()), int(counts[i, i]),
                     "" if accuracy is None else accuracy])
    return rows


def coverage_rows(curve: dict) -> list[list]:
    return [["threshold", "coverage", "accuracy"]] + [
        [t, c, "" if a is None else a]
        for t, c, a in zip(curve["threshold"], curve["coverage"], curve["accuracy"])]


def robustness_rows(results: dict) -> list[list]:
    rows = [["distortion", "unit", "level", "accuracy", "samples"]]
    for result in results.values():
        for level, accuracy in zip(result["levels"], result["accuracy"]):
            rows.append([result["kind"], result["unit"], level, accuracy, result["samples"]])
    return rows


def _replace_from_temp(path: Path, write) -> None:
    """Call ``write(temp_path)`` for a temporary file beside ``path``, then rename it over
    ``path``; the temporary file is removed if anything fails."""
    fd, temp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    try:
        write(temp)
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


def write_csv(path, rows: list[list]) -> None:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows(rows)

    def write(temp: str) -> None:
        with open(temp, "w", encoding="utf-8", newline="") as f:
            f.write(buffer.getvalue())

    _replace_from_temp(Path(path), write)


def write_png(path, widget: QWidget) -> None:
    """A pyqtgraph plot through its exporter (at twice its size, for sharp text); any other
    widget as it is drawn on screen."""
    if isinstance(widget, pg.PlotWidget):
        exporter = ImageExporter(widget.getPlotItem())
        exporter.parameters()["width"] = max(2 * widget.width(), 800)
        image = exporter.export(toBytes=True)
    else:
        image = widget.grab().toImage()
    if image.isNull():
        raise OSError(f"{path}: there is nothing to draw yet")

    def write(temp: str) -> None:
        if not image.save(temp, "PNG"):
            raise OSError(f"{path}: the image could not be written")

    _replace_from_temp(Path(path), write)
