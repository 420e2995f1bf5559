"""Files: open, save, save as, recent models, import and export of specs, and the prompts that
keep unsaved work from being lost.

Closing (or starting over) while training runs asks first; only when the answer is Save and
a file name is chosen does it stop the run, wait until the run's last signals have arrived
(the whole history and the final metrics), and save. Cancel, at either question, leaves the
run going.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QFileDialog, QMessageBox

from nndesk import engine

from .settings import MAX_RECENT, read_list, write_json

MODEL_SUFFIX = ".safetensors"
MODEL_FILTER = "nndesk models (*.safetensors);;All files (*)"
SPEC_FILTER = "Network specs (*.json);;All files (*)"


class FileActions(QObject):
    """The window's file operations on its session; dialogs open over ``window``."""

    recentChanged = Signal()
    modelOpened = Signal(str)
    modelSaved = Signal(str)

    def __init__(self, window, session, controller, form, settings):
        super().__init__(window)
        self.window, self.session, self.controller = window, session, controller
        self.form, self.settings = form, settings

    # --- folders and the recent list ----------------------------------------------------

    def last_dir(self) -> str:
        value = self.settings.value("files/last_dir")
        return value if isinstance(value, str) and os.path.isdir(value) else str(Path.home())

    def remember_dir(self, path: str) -> None:
        self.settings.setValue("files/last_dir", str(Path(path).parent))

    def recent_models(self) -> list[str]:
        return read_list(self.settings, "files/recent")

    def add_recent(self, path: str) -> None:
        path = os.path.abspath(path)
        recent = [p for p in self.recent_models() if p != path]
        write_json(self.settings, "files/recent", [path] + recent[:MAX_RECENT - 1])
        self.settings.sync()
        self.recentChanged.emit()

    def clear_recent(self) -> None:
        write_json(self.settings, "files/recent", [])
        self.recentChanged.emit()

    # --- unsaved work -----------------------------------------------------------------

    def confirm_discard(self, action: str) -> bool:
        """Ask before trained weights that are not saved are thrown away. True: go ahead
        (saved, or discarded); False: keep everything as it is, a live run included."""
        s = self.session
        if not s.unsaved or s.net is None:
            return True
        running = self.controller.is_running()
        text = ("Training is running and its weights are not saved." if running
                else "The trained network has not been saved.")
        answer = QMessageBox.question(
            self.window, "Unsaved trained network", f"{text} Save it before you {action}?",
            QMessageBox.StandardButton.Save | QMessageBox.StandardButton.Discard
            | QMessageBox.StandardButton.Cancel,
            QMessageBox.StandardButton.Save)
        if answer == QMessageBox.StandardButton.Discard:
            return True
        if answer != QMessageBox.StandardButton.Save:
            return False
        path = s.model_path or self._ask_model_path()
        if not path:
            return False  # the file dialog was cancelled: the run goes on
        if running and not self.controller.shutdown():
            QMessageBox.warning(self.window, "Training did not stop",
                                "Training did not stop in time, so nothing was saved. Try again.")
            return False
        return self.save_to(path)

    # --- models -----------------------------------------------------------------------

    def open_dialog(self) -> None:
        if self.controller.is_running() or not self.confirm_discard("open another model"):
            return
        path, _ = QFileDialog.getOpenFileName(self.window, "Open model", self.last_dir(),
                                              MODEL_FILTER)
        if path:
            self.open(path, confirmed=True)

    def open(self, path: str, confirmed: bool = False) -> bool:
        """Open a model file; a bad file leaves everything as it was and says why."""
        if self.controller.is_running():
            return False
        if not confirmed and not self.confirm_discard("open another model"):
            return False
        try:
            net = engine.load_model(path)
        except engine.ModelFileError as exc:
            QMessageBox.warning(self.window, "Cannot open the model", str(exc))
            return False
        except Exception as exc:  # anything else is still the file's fault, never a crash
            QMessageBox.warning(self.window, "Cannot open the model",
                                f"{Path(path).name}: {type(exc).__name__}: {exc}")
            return False
        self.remember_dir(path)
        self.form.reset(net.spec)
        self.session.set_network(net, str(path), history=net.metadata.get("history"),
                                 metrics=net.metadata.get("metrics"), model_path=str(path))
        self.add_recent(str(path))
        self.modelOpened.emit(str(path))
        return True

    def save(self) -> bool:
        if self.session.model_path:
            return self.save_to(self.session.model_path)
        return self.save_as()

    def save_as(self) -> bool:
        path = self._ask_model_path()
        return self.save_to(path) if path else False

    def _ask_model_path(self) -> str:
        net = self.session.net
        if net is None:
            return ""
        suggested = self.session.model_path or str(
            Path(self.last_dir()) / f"{net.spec.get('name') or 'model'}{MODEL_SUFFIX}")
        path, _ = QFileDialog.getSaveFileName(self.window, "Save model", suggested, MODEL_FILTER)
        if path and not Path(path).suffix:
            path += MODEL_SUFFIX
        return path

    def save_to(self, path: str) -> bool:
        s = self.session
        if s.net is None or self.controller.is_running():
            return False
        extra = {}
        if s.run_dataset is not None:  # trained here: describe the data it learned from
            from nndesk.workflow import model_metadata
            extra = model_metadata(s.run_dataset, s.metrics or {}, s.history or {})
        try:
            engine.save_model(s.net, path, **extra)
        except Exception as exc:  # disk full, no permission, ...
            QMessageBox.warning(self.window, "Cannot save the model",
                                f"{Path(path).name}: {exc}\n\nChoose another folder or free some "
                                f"space, then try again.")
            return False
        self.remember_dir(path)
        s.set_model_path(path)
        s.set_unsaved(False)
        self.add_recent(str(path))
        self.window.statusBar().showMessage(f"Saved {path}", 5000)
        self.modelSaved.emit(str(path))
        return True

    # --- specs ------------------------------------------------------------------------

    def import_spec(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self.window, "Import network spec", self.last_dir(),
                                              SPEC_FILTER)
        if not path:
            return
        try:
            spec = engine.parse_spec_text(Path(path).read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, ValueError) as exc:
            QMessageBox.warning(self.window, "Cannot import the spec", f"{Path(path).name}: {exc}")
            return
        self.remember_dir(path)
        self.form.set_spec(spec, f"Import {Path(path).name}")
        n = len(self.form.problems())
        if n:
            self.window.statusBar().showMessage(
                f"Imported {Path(path).name}: {n} problem(s) to fix in the form.", 8000)

    def export_spec(self) -> None:
        spec = self.form.spec()
        suggested = str(Path(self.last_dir()) / f"{spec.get('name') or 'network'}.json")
        path, _ = QFileDialog.getSaveFileName(self.window, "Export network spec", suggested,
                                              SPEC_FILTER)
        if not path:
            return
        if not Path(path).suffix:
            path += ".json"
        try:
            tmp = Path(path).with_name(f".{Path(path).name}.tmp")
            tmp.write_text(json.dumps(spec, indent=2) + "\n", encoding="utf-8")
            os.replace(tmp, path)
        except OSError as exc:
            QMessageBox.warning(self.window, "Cannot export the spec", f"{Path(path).name}: {exc}")
            return
        self.remember_dir(path)
        self.window.statusBar().showMessage(f"Exported {path}", 5000)

    def choose_dataset_path(self) -> None:
        path = QFileDialog.getExistingDirectory(
            self.window, "Choose a folder of IDX files or train.csv and test.csv", self.last_dir())
        if not path:
            path, _ = QFileDialog.getOpenFileName(self.window, "Or choose one CSV file",
                                                  self.last_dir(), "CSV files (*.csv);;All files (*)")
        if path:
            self.remember_dir(path)
            self.form.set_dataset(path)
