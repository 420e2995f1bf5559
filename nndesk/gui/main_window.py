"""The main window: the model builder, the training dashboard and the weights side by side."""

from __future__ import annotations

import html
import json
import math
import os
import threading
import time
from pathlib import Path

from PySide6.QtCore import QByteArray, QObject, Qt, QTimer, Signal, Slot
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QLabel,
    QMainWindow,
    QMessageBox,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QVBoxLayout,
)

import shiboken6

from nndesk import __version__, engine

from nndesk.data.mydigits import MyDigits

from .dashboard import TrainingDashboard
from .pad import PadPanel
from .settings import MAX_RECENT, open_settings, read_json, read_list, write_json
from .spec_form import SpecForm
from .weights_view import LayerWeightsView, UnitTilesView
from .widgets import format_count, format_duration
from .worker import TrainingController

MODEL_SUFFIX = ".safetensors"
MODEL_FILTER = "nndesk models (*.safetensors);;All files (*)"
SPEC_FILTER = "Network specs (*.json);;All files (*)"
KNOWN_INPUT_SIZES = {"mnist": 784, "xor": 3}

STYLE = """
QWidget[invalid="true"] { border: 1px solid #d64545; border-radius: 3px; }
QTabWidget::pane { border-top: 1px solid palette(mid); }
"""

# Datasets stay loaded for the life of the process: switching back and forth costs nothing.
_DATASETS: dict[str, object] = {}
_DATASETS_LOCK = threading.Lock()


class DatasetLoader(QObject):
    """Loads datasets on a background thread (decoding MNIST takes a moment)."""

    loaded = Signal(str, object)
    failed = Signal(str, str)

    def __init__(self, parent: QObject | None = None):
        super().__init__(parent)
        self._pending: set[str] = set()

    def load(self, name: str) -> bool:
        """Start loading ``name``; True if it is already loaded (``loaded`` fires soon either way)."""
        with _DATASETS_LOCK:
            ready = _DATASETS.get(name)
        if ready is not None:
            QTimer.singleShot(0, lambda: self.loaded.emit(name, ready))
            return True
        if name not in self._pending:
            self._pending.add(name)
            threading.Thread(target=self._work, args=(name,), name="nndesk-dataset",
                             daemon=True).start()
        return False

    def is_loading(self, name: str) -> bool:
        return name in self._pending

    def _work(self, name: str) -> None:
        from nndesk.data import load_dataset
        try:
            dataset = load_dataset(name)
        except Exception as exc:  # DataError and anything unexpected: tell the person
            message = str(exc) or type(exc).__name__
            self._emit(self.failed, name, message)
            return
        with _DATASETS_LOCK:
            _DATASETS[name] = dataset
        self._emit(self.loaded, name, dataset)

    def _emit(self, signal, *args) -> None:
        try:
            signal.emit(*args)
        except RuntimeError:  # the window was closed while loading
            pass

    @Slot(str, object)
    def _done(self, name: str, _obj) -> None:
        self._pending.discard(name)


def dataset_title(name: str) -> str:
    return {"mnist": "MNIST", "xor": "XOR"}.get(name, Path(name).name or name)


class MainWindow(QMainWindow):
    """nndesk's window. Pass ``settings`` (a QSettings) to keep tests away from the user's."""

    trainingFinished = Signal(dict)
    trainingFailed = Signal(str)
    runEnded = Signal()
    datasetReady = Signal(str)
    modelOpened = Signal(str)
    modelSaved = Signal(str)
    # The network the window holds changed: (net or None, where it came from). The drawing pad
    # (next issue) listens to this; weights keep changing while training runs.
    networkChanged = Signal(object, str)

    def __init__(self, settings=None, restore: bool = True):
        super().__init__()
        self.settings = settings if settings is not None else open_settings()
        self.setWindowTitle("nndesk")
        self.setObjectName("mainWindow")
        self.setStyleSheet(STYLE)
        self.net = None
        self.history: dict | None = None
        self.metrics: dict | None = None
        self.model_path: str | None = None
        self.unsaved = False
        self.dataset = None
        self.dataset_error: str | None = None
        self.last_snapshot: dict | None = None
        self._state = "idle"
        self._run_dataset = None
        self._run_started = 0.0
        self._closed = False
        self._wanted_dataset: str | None = None

        self.form = SpecForm()
        self.form.setObjectName("specForm")
        self.form.setMinimumWidth(380)
        self.dashboard = TrainingDashboard()
        self.dashboard.setMinimumWidth(360)
        self.tiles = UnitTilesView()
        self.layers_view = LayerWeightsView()
        self.inspect_tabs = QTabWidget()
        self.inspect_tabs.setObjectName("inspectTabs")
        self.inspect_tabs.setDocumentMode(True)
        self.inspect_tabs.addTab(self.tiles, "Unit images")
        self.inspect_tabs.addTab(self.layers_view, "Layers")
        self.inspect_tabs.setTabToolTip(0, "What each hidden unit of the first layer looks for")
        self.inspect_tabs.setTabToolTip(1, "Weight heatmap and histograms for any layer")
        self.inspect_tabs.setMinimumWidth(260)

        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.setObjectName("mainSplitter")
        self.splitter.setChildrenCollapsible(False)
        self.splitter.addWidget(self.form)
        self.splitter.addWidget(self.dashboard)
        self.splitter.addWidget(self.inspect_tabs)
        self.splitter.setStretchFactor(0, 0)
        self.splitter.setStretchFactor(1, 1)
        self.splitter.setStretchFactor(2, 0)
        self.splitter.setSizes([510, 500, 356])
        self.pad = PadPanel()
        self.pad.setObjectName("drawingPad")
        self.pages = QTabWidget()
        self.pages.setObjectName("pages")
        self.pages.setDocumentMode(True)
        self.pages.addTab(self.splitter, "Build && train")
        self.pages.addTab(self.pad, "Draw a digit")
        self.pages.setTabToolTip(0, "Build a network, train it and watch it learn (Ctrl+1)")
        self.pages.setTabToolTip(1, "Draw a digit and see what the network thinks (Ctrl+2)")
        self.setCentralWidget(self.pages)
        self._pad_snapshot: dict | None = None
        self._epochs_done = 0

        self.controller = TrainingController(self)
        self.loader = DatasetLoader(self)
        self._build_status_bar()
        self._build_actions()
        self._build_menus()
        self._connect()
        self.tiles.clear()
        self.layers_view.clear()
        self.setMinimumSize(1000, 600)
        self._fit_to_screen()
        if restore:
            self._restore_settings()
        self._on_spec_changed(self.form.spec())
        self._update_actions()

    # --- construction --------------------------------------------------------------------

    def _build_status_bar(self) -> None:
        bar = self.statusBar()
        self.status_dataset = QLabel()
        self.status_params = QLabel()
        self.status_state = QLabel("Idle")
        self.status_speed = QLabel("")
        self.status_dataset.setToolTip("The dataset the form trains on")
        self.status_params.setToolTip("Trainable parameters of the network in the form")
        self.status_state.setToolTip("What training is doing")
        self.status_speed.setToolTip("Training speed in samples per second")
        for w in (self.status_dataset, self.status_params, self.status_state, self.status_speed):
            w.setContentsMargins(6, 0, 6, 0)
            bar.addPermanentWidget(w)

    def _action(self, text: str, slot, shortcut=None, tip: str = "") -> QAction:
        action = QAction(text, self)
        if shortcut is not None:
            if isinstance(shortcut, (list, tuple)):
                action.setShortcuts([QKeySequence(s) for s in shortcut])
            else:
                action.setShortcut(QKeySequence(shortcut))
        if tip:
            action.setStatusTip(tip)
            action.setToolTip(tip)
        action.triggered.connect(slot)
        return action

    def _build_actions(self) -> None:
        S = QKeySequence.StandardKey
        self.new_action = self._action("&New", self.new_model, S.New,
                                       "Start over with the default network")
        self.open_action = self._action("&Open model…", self.open_model_dialog, S.Open,
                                        "Open a saved model: its network, history and weights")
        self.save_action = self._action("&Save model", self.save_model, S.Save,
                                        "Save the trained network to its file")
        self.save_as_action = self._action("Save model &as…", self.save_model_as, S.SaveAs,
                                           "Save the trained network to a new file")
        if not QKeySequence(S.SaveAs).toString():
            self.save_as_action.setShortcut(QKeySequence("Ctrl+Shift+S"))
        self.import_action = self._action("&Import spec…", self.import_spec, "Ctrl+I",
                                          "Load a network spec (JSON) into the form")
        self.export_action = self._action("&Export spec…", self.export_spec, "Ctrl+E",
                                          "Save the form's network spec as JSON")
        self.quit_action = self._action("&Quit", self.close, S.Quit, "Close nndesk")
        if not QKeySequence(S.Quit).toString():
            self.quit_action.setShortcut(QKeySequence("Ctrl+Q"))
        self.undo_action = self.form.undo_stack.createUndoAction(self, "&Undo")
        self.undo_action.setShortcuts(QKeySequence.StandardKey.Undo)
        self.redo_action = self.form.undo_stack.createRedoAction(self, "&Redo")
        self.redo_action.setShortcuts([QKeySequence("Ctrl+Shift+Z"), QKeySequence("Ctrl+Y")])
        self.start_action = self._action("&Start", self.start_training, ["F5", "Ctrl+Return"],
                                         "Train a new network from the form")
        self.pause_action = self._action("&Pause", self.toggle_pause, ["F6", "Ctrl+Shift+P"],
                                         "Pause or resume training")
        self.stop_action = self._action("S&top", self.stop_training, ["Shift+F5", "Ctrl+."],
                                        "Stop training and keep the weights learned so far")
        self.shortcuts_action = self._action("&Keyboard shortcuts", self.show_shortcuts,
                                             ["F1", "Ctrl+/"], "List the keyboard shortcuts")
        self.train_page_action = self._action("&Build and train", lambda: self.show_page(0),
                                              QKeySequence("Ctrl+1"),
                                              "Show the network form and the training dashboard")
        self.draw_page_action = self._action("&Draw a digit", lambda: self.show_page(1),
                                             QKeySequence("Ctrl+2"),
                                             "Draw a digit and see what the network thinks")
        self.about_action = self._action("&About nndesk", self.show_about, None,
                                         "Versions of nndesk, Qt, NumPy and more")
        self.about_action.setMenuRole(QAction.MenuRole.AboutRole)
        self.quit_action.setMenuRole(QAction.MenuRole.QuitRole)

    def _build_menus(self) -> None:
        menu = self.menuBar()
        file_menu = menu.addMenu("&File")
        file_menu.addAction(self.new_action)
        file_menu.addAction(self.open_action)
        self.recent_menu = file_menu.addMenu("Recent &models")
        self.recent_menu.aboutToShow.connect(self._fill_recent_menu)
        file_menu.addSeparator()
        file_menu.addAction(self.save_action)
        file_menu.addAction(self.save_as_action)
        file_menu.addSeparator()
        file_menu.addAction(self.import_action)
        file_menu.addAction(self.export_action)
        file_menu.addSeparator()
        file_menu.addAction(self.quit_action)
        self.file_menu = file_menu
        edit_menu = menu.addMenu("&Edit")
        edit_menu.addAction(self.undo_action)
        edit_menu.addAction(self.redo_action)
        view_menu = menu.addMenu("&View")
        view_menu.addAction(self.train_page_action)
        view_menu.addAction(self.draw_page_action)
        training_menu = menu.addMenu("&Training")
        training_menu.addAction(self.start_action)
        training_menu.addAction(self.pause_action)
        training_menu.addAction(self.stop_action)
        self.training_menu = training_menu
        help_menu = menu.addMenu("&Help")
        help_menu.addAction(self.shortcuts_action)
        help_menu.addAction(self.about_action)
        self._fill_recent_menu()

    def _connect(self) -> None:
        self.form.specChanged.connect(self._on_spec_changed)
        self.form.datasetBrowseRequested.connect(self.choose_dataset_path)
        self.form.undo_stack.indexChanged.connect(self._on_undo_index_changed)
        d = self.dashboard
        d.trainClicked.connect(self.start_training)
        d.pauseClicked.connect(self.toggle_pause)
        d.stopClicked.connect(self.stop_training)
        d.learningRateEdited.connect(self.set_learning_rate)
        d.subset_spin.valueChanged.connect(self._on_undo_index_changed)
        c = self.controller
        c.trainingStarted.connect(self._on_training_started)
        c.batchesReady.connect(self._on_batches)
        c.epochsEnded.connect(self._on_epochs)
        c.pausedChanged.connect(self._on_paused_changed)
        c.weightsReady.connect(self._on_weights)
        c.trainingFinished.connect(self._on_training_finished)
        c.trainingFailed.connect(self._on_training_failed)
        c.runEnded.connect(self._on_run_ended)
        self.loader.loaded.connect(self._on_dataset_loaded)
        self.loader.failed.connect(self._on_dataset_failed)
        self.pages.currentChanged.connect(self._on_page_changed)
        self.pad.collection_changed.connect(self._on_my_digits_changed)
        self.networkChanged.connect(self._on_network_changed)
        self._on_my_digits_changed()

    # --- settings -----------------------------------------------------------------------

    def _fit_to_screen(self) -> None:
        """A first-run size that fits the screen (1366x768 laptops included), frame and all."""
        screen = self.screen()
        if screen is None:
            self.resize(1366, 740)
            return
        available = screen.availableGeometry()
        self.resize(min(1366, available.width()), min(740, max(600, available.height() - 32)))

    def _restore_settings(self) -> None:
        s = self.settings
        geometry = s.value("window/geometry")
        if isinstance(geometry, (QByteArray, bytes)) and geometry:
            self.restoreGeometry(geometry)
        splitter = s.value("window/splitter")
        if isinstance(splitter, (QByteArray, bytes)) and splitter:
            self.splitter.restoreState(splitter)
        spec = read_json(s, "form/spec")
        if isinstance(spec, dict) and isinstance(spec.get("layers"), list):
            self.form.reset(spec)
        try:
            subset = int(s.value("training/subset", 0) or 0)
        except (TypeError, ValueError):
            subset = 0
        self.dashboard.subset_spin.setValue(subset)
        tab = s.value("window/tab")
        if tab is not None:
            try:
                self.inspect_tabs.setCurrentIndex(int(tab))
            except (TypeError, ValueError):
                pass

    def save_settings(self) -> None:
        s = self.settings
        s.setValue("window/geometry", self.saveGeometry())
        s.setValue("window/splitter", self.splitter.saveState())
        s.setValue("window/tab", self.inspect_tabs.currentIndex())
        write_json(s, "form/spec", self.form.spec())
        s.setValue("training/subset", self.dashboard.subset_spin.value())
        s.sync()

    def recent_models(self) -> list[str]:
        return read_list(self.settings, "files/recent")

    def _add_recent(self, path: str) -> None:
        path = os.path.abspath(path)
        recent = [p for p in self.recent_models() if p != path]
        write_json(self.settings, "files/recent", [path] + recent[:MAX_RECENT - 1])
        self.settings.sync()
        self._fill_recent_menu()

    def _fill_recent_menu(self) -> None:
        self.recent_menu.clear()
        recent = self.recent_models()
        for i, path in enumerate(recent):
            action = self.recent_menu.addAction(f"&{i + 1}  {Path(path).name}")
            action.setToolTip(path)
            action.setStatusTip(path)
            action.triggered.connect(lambda _=False, p=path: self.open_model(p))
            action.setEnabled(self.controller is not None and not self.controller.is_running())
        if recent:
            self.recent_menu.addSeparator()
            clear = self.recent_menu.addAction("Clear the list")
            clear.triggered.connect(self._clear_recent)
        else:
            none = self.recent_menu.addAction("No recent models")
            none.setEnabled(False)

    def _clear_recent(self) -> None:
        write_json(self.settings, "files/recent", [])
        self._fill_recent_menu()

    def _last_dir(self) -> str:
        value = self.settings.value("files/last_dir")
        return value if isinstance(value, str) and os.path.isdir(value) else str(Path.home())

    def _remember_dir(self, path: str) -> None:
        self.settings.setValue("files/last_dir", str(Path(path).parent))

    # --- the spec and the dataset -----------------------------------------------------

    def _on_spec_changed(self, spec: dict) -> None:
        name = spec.get("dataset")
        if isinstance(name, str) and name.strip():
            self._use_dataset(name)
        summary = self.form.summary()
        if summary:
            self.status_params.setText(f"{format_count(summary['total_params'])} parameters")
        else:
            n = len(self.form.problems())
            self.status_params.setText(f"{n} problem{'s' if n != 1 else ''} in the form")
        self._update_actions()

    def _use_dataset(self, name: str) -> None:
        """Make ``name`` the dataset to train on, loading it in the background if needed."""
        if name == self._wanted_dataset and (self.dataset is not None or self.dataset_error
                                             or self.loader.is_loading(name)):
            return  # already there, already failed (shown), or on its way
        self._wanted_dataset = name
        self.dataset = None
        self.dataset_error = None
        self.status_dataset.setText(f"Loading {dataset_title(name)}…")
        self.loader.load(name)
        self._update_actions()

    def _on_dataset_loaded(self, name: str, dataset) -> None:
        self.loader._done(name, dataset)
        if name != self._wanted_dataset:
            return
        self.dataset = dataset
        self.dataset_error = None
        n_train, n_test = len(dataset.x_train), len(dataset.x_test)
        self.status_dataset.setText(f"{dataset_title(name)} · {format_count(n_train)} train / "
                                    f"{format_count(n_test)} test")
        self.status_dataset.setToolTip(dataset.note)
        self.dashboard.subset_spin.setMaximum(max(n_train, 1))
        self.form.match_input(dataset.x_train.shape[1])
        self.tiles.set_context(self.net.spec if self.net else None, self._image_shape())
        if dataset.image_shape == (28, 28):
            self.pad.set_test_digits(dataset.x_test, dataset.y_test)
        self._update_actions()
        self.datasetReady.emit(name)

    def _on_dataset_failed(self, name: str, message: str) -> None:
        self.loader._done(name, None)
        if name != self._wanted_dataset:
            return
        self.dataset = None
        self.dataset_error = message
        self.status_dataset.setText(f"{dataset_title(name)}: not loaded")
        self.status_dataset.setToolTip(message)
        self._update_actions()

    def dataset_ready(self) -> bool:
        return self.dataset is not None

    def choose_dataset_path(self) -> None:
        path = QFileDialog.getExistingDirectory(
            self, "Choose a folder of IDX files or train.csv and test.csv", self._last_dir())
        if not path:
            path, _ = QFileDialog.getOpenFileName(self, "Or choose one CSV file", self._last_dir(),
                                                  "CSV files (*.csv);;All files (*)")
        if path:
            self._remember_dir(path)
            self.form.set_dataset(path)

    def _image_shape(self) -> tuple[int, int] | None:
        spec = self.net.spec if self.net is not None else self.form.spec()
        size = math.prod(spec.get("input_shape") or [0])
        ds = self.dataset
        if ds is not None and ds.image_shape and math.prod(ds.image_shape) == size:
            return tuple(ds.image_shape)
        side = math.isqrt(size) if size > 0 else 0
        return (side, side) if side >= 8 and side * side == size else None

    # --- what can be done now ----------------------------------------------------------

    def train_blocker(self) -> str:
        """Why Train is disabled, or '' when it is not."""
        if self.controller.is_running():
            return "Training is running."
        problems = self.form.problems()
        if problems:
            first = problems[0]
            where = f"layer {first.layer + 1} {first.field or ''}".strip() if first.layer is not None \
                else first.path
            more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
            return f"Fix the form first: {where}: {first.message}{more}."
        name = self.form.spec().get("dataset", "")
        if self.dataset is None:
            if self.dataset_error:
                return f"The dataset could not be loaded: {self.dataset_error}"
            return f"Loading the {dataset_title(name)} dataset…"
        summary = self.form.summary() or {}
        outputs = summary.get("output_units")
        classes = len(self.dataset.class_names)
        if spec_training_augment(self.form.spec()) and not self.dataset.image_shape:
            return ("Augmentation distorts images, and this dataset is not made of images: "
                    "untick 'Distort training images'.")
        if outputs is not None and outputs != classes and not (outputs == 1 and classes == 2):
            return (f"The output layer has {outputs} unit{'s' if outputs != 1 else ''} but "
                    f"{dataset_title(name)} has {classes} classes: give the last layer "
                    f"{classes} units.")
        return ""

    def _on_undo_index_changed(self, _index: int) -> None:
        self._update_actions()

    def _update_actions(self) -> None:
        if self._closed or not shiboken6.isValid(self.dashboard):
            return  # late signals from children while the window is being destroyed
        running = self.controller.is_running()
        blocker = self.train_blocker()
        self.dashboard.set_train_enabled(not blocker, "" if running else blocker)
        self.start_action.setEnabled(not blocker)
        self.pause_action.setEnabled(running)
        self.pause_action.setText("&Resume" if self.controller.is_paused() else "&Pause")
        self.stop_action.setEnabled(running)
        has_net = self.net is not None
        self.save_action.setEnabled(has_net and not running)
        self.save_as_action.setEnabled(has_net and not running)
        self.new_action.setEnabled(not running)
        self.open_action.setEnabled(not running)
        self.recent_menu.setEnabled(not running)
        self.setWindowModified(self.unsaved)
        name = self.net.spec.get("name") if self.net is not None else self.form.spec().get("name")
        file = f" — {Path(self.model_path).name}" if self.model_path else ""
        self.setWindowTitle(f"{name or 'untitled'}{file}[*] · nndesk")

    def _set_state(self, state: str, text: str | None = None) -> None:
        self._state = state
        self.dashboard.set_state(state)
        self.status_state.setText(text or state.capitalize())
        self._update_actions()

    @property
    def state(self) -> str:
        return self._state

    # --- training -------------------------------------------------------------------------

    def start_training(self) -> None:
        blocker = self.train_blocker()
        if blocker:
            self.statusBar().showMessage(blocker, 5000)
            return
        if not self.confirm_discard("train a new network"):
            return
        spec = self.form.spec()
        try:
            net = engine.build_network(spec)
        except engine.SpecError as exc:
            self.dashboard.show_failure(html.escape(str(exc)))
            return
        except MemoryError:
            self.dashboard.show_failure("There is not enough memory for this network. Try fewer or "
                                        "narrower layers.")
            return
        dataset = self.dataset
        self.net = net
        self.history = None
        self.metrics = None
        self.model_path = None
        self.unsaved = False
        self._run_dataset = dataset
        self.last_snapshot = None
        self.tiles.set_context(net.spec, self._image_shape())
        self.layers_view.set_context(net.spec)
        self._pick_inspect_tab()
        self.dashboard.banner.hide()
        self.dashboard.set_learning_rate(net.spec["optimizer"]["learning_rate"])
        write_json(self.settings, "form/spec", spec)
        self._run_started = time.perf_counter()
        mine = MyDigits(self.pad.digits.path) if self.dashboard.mix_check.isChecked() else None
        self.controller.start(net, dataset, self.dashboard.subset_spin.value(), mine)
        self._set_state("training", "Starting…")
        self.networkChanged.emit(net, "training")

    def toggle_pause(self) -> None:
        if not self.controller.is_running():
            return
        if self.controller.is_paused():
            self.controller.resume()
            self._set_state("training", "Training")
        else:
            self.controller.pause()
            self._set_state("paused", "Pausing…")

    def stop_training(self) -> None:
        if self.controller.is_running():
            self.controller.stop()
            self._set_state("stopping", "Stopping…")

    def set_learning_rate(self, lr: float) -> None:
        if self.controller.is_running():
            try:
                self.controller.set_learning_rate(lr)
            except ValueError as exc:
                self.statusBar().showMessage(str(exc), 5000)
                return
            self.statusBar().showMessage(f"Learning rate set to {lr:g} from the next batch.", 4000)

    def _pick_inspect_tab(self) -> None:
        """Unit images only make sense for image input; otherwise show the Layers tab."""
        if not self.tiles.can_draw() and self.inspect_tabs.currentWidget() is self.tiles:
            self.inspect_tabs.setCurrentWidget(self.layers_view)

    def _on_training_started(self, event: dict) -> None:
        self.dashboard.begin_run(event)
        self.unsaved = True
        if self._state == "training":
            self._set_state("training", "Training")

    def _on_batches(self, batches: list) -> None:
        self.dashboard.plots.add_batches(batches)
        epoch, batch, _, _, lr, sps = batches[-1]
        if self.dashboard.show_progress(epoch, batch, sps):
            self.dashboard.set_learning_rate(lr)
            self.status_speed.setText(f"{format_count(sps)} samples/s")

    def _on_epochs(self, events: list) -> None:
        for event in events:
            self.dashboard.plots.add_epoch(event)
        event = events[-1]
        self._epochs_done = event["epoch"]
        self.dashboard.show_epoch(event)
        self.status_speed.setText(f"{format_count(event.get('samples_per_second', 0))} samples/s")
        if self._state == "training":
            self.status_state.setText(f"Training · epoch {event['epoch']} of {event['epochs']} done")

    def _on_paused_changed(self, paused: bool) -> None:
        if paused and self._state == "paused":
            self.status_state.setText("Paused")
        self._update_actions()

    def _on_weights(self, snapshot: dict) -> None:
        self.last_snapshot = snapshot
        self.tiles.set_snapshot(snapshot)
        self.layers_view.set_snapshot(snapshot)
        if self.controller.is_running():
            self._pad_snapshot = snapshot
            self._sync_pad()

    # --- the drawing pad ------------------------------------------------------------------

    def show_page(self, index: int) -> None:
        self.pages.setCurrentIndex(index)

    def _on_page_changed(self, _index: int) -> None:
        self._sync_pad()

    def _sync_pad(self) -> None:
        """Hand the pad the newest weights of the run, only while the pad is on screen."""
        snapshot = self._pad_snapshot
        if snapshot is None or self.pages.currentWidget() is not self.pad or self.net is None:
            return
        self._pad_snapshot = None
        epochs = self._epochs_done
        source = (f"the network being trained (after {epochs} epoch{'s' * (epochs != 1)})"
                  if epochs else "the network being trained (first epoch)")
        self.pad.set_snapshot(self.net.spec, snapshot["weights"], source, self._pad_metadata())

    def _pad_metadata(self) -> dict:
        dataset = self._run_dataset or self.dataset
        if dataset is None:
            return {}
        from nndesk.workflow import preprocessing_for
        return {"dataset": dataset.name, "class_names": list(dataset.class_names),
                "preprocessing": preprocessing_for(dataset)}

    def _on_network_changed(self, net, source: str) -> None:
        self._pad_snapshot = None
        if net is None:
            self.pad.clear_model()
        elif source == "training":
            self._epochs_done = 0
            self.pad.clear_model()
        elif source == "trained":
            if not net.metadata:
                net.metadata = self._pad_metadata()
            self.pad.set_model(net, "the network just trained")
        else:
            self.pad.set_model(net, Path(source).name)

    def _on_my_digits_changed(self) -> None:
        count = len(self.pad.digits)
        self.dashboard.mix_check.setText(f"Mix in my digits ({count})")
        self.dashboard.mix_check.setEnabled(count > 0)
        if count == 0:
            self.dashboard.mix_check.setChecked(False)

    def _on_training_finished(self, result: dict) -> None:
        self.history = result.get("history")
        self.metrics = _final_metrics(self.history, result)
        reason = result.get("reason", "completed")
        seconds = time.perf_counter() - self._run_started
        text = {"completed": "Finished", "stopped": "Stopped",
                "early_stopping": "Stopped early (validation loss stopped improving)"}.get(reason, reason)
        test = ""
        if self.metrics.get("test_accuracy") is not None:
            test = f" · test accuracy {100 * self.metrics['test_accuracy']:.2f}%"
        self.dashboard.end_run(f"{text} in {format_duration(seconds)}")
        if test:
            self.dashboard.metrics_label.setText(self.dashboard.metrics_label.text() + test)
        self.status_state.setText(text)
        self.networkChanged.emit(self.net, "trained")
        self.trainingFinished.emit(result)

    def _on_training_failed(self, message: str) -> None:
        self.dashboard.end_run("Failed")
        self.dashboard.show_failure(html.escape(message).replace("\n", "<br>"))
        self.status_state.setText("Failed")
        self.networkChanged.emit(self.net, "trained")
        self.trainingFailed.emit(message)

    def _on_run_ended(self) -> None:
        self.dashboard.plots.stop_live()
        state_text = self.status_state.text()
        self._set_state("idle", state_text if state_text not in ("Training", "Stopping…") else "Idle")
        self.runEnded.emit()

    # --- unsaved work -----------------------------------------------------------------

    def confirm_discard(self, action: str) -> bool:
        """Ask before trained weights that are not saved are thrown away. True: go ahead."""
        if not self.unsaved or self.net is None:
            return True
        running = self.controller.is_running()
        text = ("Training is running and its weights are not saved." if running
                else "The trained network has not been saved.")
        answer = QMessageBox.question(
            self, "Unsaved trained network",
            f"{text} Save it before you {action}?",
            QMessageBox.StandardButton.Save | QMessageBox.StandardButton.Discard
            | QMessageBox.StandardButton.Cancel,
            QMessageBox.StandardButton.Save)
        if answer == QMessageBox.StandardButton.Discard:
            return True
        if answer == QMessageBox.StandardButton.Save:
            if running:
                self.controller.shutdown()
            return self.save_model()
        return False

    # --- files ----------------------------------------------------------------------------

    def new_model(self) -> None:
        if self.controller.is_running() or not self.confirm_discard("start a new one"):
            return
        self.net = None
        self.history = None
        self.metrics = None
        self.model_path = None
        self.unsaved = False
        self.last_snapshot = None
        self.form.reset(engine.default_spec())
        self.dashboard.plots.reset()
        self.dashboard.banner.hide()
        self.dashboard.metrics_label.setText("No training yet.")
        self.tiles.set_context(None, None)
        self.tiles.clear()
        self.layers_view.set_context(None)
        self.layers_view.clear()
        self._set_state("idle", "Idle")
        self.networkChanged.emit(None, "")

    def open_model_dialog(self) -> None:
        if self.controller.is_running() or not self.confirm_discard("open another model"):
            return
        path, _ = QFileDialog.getOpenFileName(self, "Open model", self._last_dir(), MODEL_FILTER)
        if path:
            self.open_model(path, confirmed=True)

    def open_model(self, path: str, confirmed: bool = False) -> bool:
        """Open a model file; a bad file leaves everything as it was and says why."""
        if self.controller.is_running():
            return False
        if not confirmed and not self.confirm_discard("open another model"):
            return False
        try:
            net = engine.load_model(path)
        except engine.ModelFileError as exc:
            QMessageBox.warning(self, "Cannot open the model", str(exc))
            return False
        except Exception as exc:  # anything else is still the file's fault, never a crash
            QMessageBox.warning(self, "Cannot open the model",
                                f"{Path(path).name}: {type(exc).__name__}: {exc}")
            return False
        self._remember_dir(path)
        self.net = net
        self.model_path = str(path)
        self.unsaved = False
        self._run_dataset = None
        self.history = net.metadata.get("history")
        self.metrics = net.metadata.get("metrics")
        self.form.reset(net.spec)
        self.dashboard.plots.load_history(self.history)
        self.dashboard.banner.hide()
        self.dashboard.metrics_label.setText(_metrics_text(Path(path).name, self.metrics))
        self.tiles.set_context(net.spec, self._image_shape())
        self.layers_view.set_context(net.spec)
        self._pick_inspect_tab()
        snapshot = {"weights": net.get_weights(), "gradients": {}}
        self._on_weights(snapshot)
        self._add_recent(str(path))
        self._set_state("idle", "Opened")
        self.networkChanged.emit(net, str(path))
        self.modelOpened.emit(str(path))
        return True

    def save_model(self) -> bool:
        if self.model_path:
            return self._save_to(self.model_path)
        return self.save_model_as()

    def save_model_as(self) -> bool:
        if self.net is None:
            return False
        suggested = self.model_path or str(Path(self._last_dir()) /
                                           f"{self.net.spec.get('name') or 'model'}{MODEL_SUFFIX}")
        path, _ = QFileDialog.getSaveFileName(self, "Save model", suggested, MODEL_FILTER)
        if not path:
            return False
        if not Path(path).suffix:
            path += MODEL_SUFFIX
        return self._save_to(path)

    def _save_to(self, path: str) -> bool:
        if self.net is None or self.controller.is_running():
            return False
        dataset = self._run_dataset
        extra = {}
        if dataset is not None:  # trained here: describe the data it learned from
            from nndesk.workflow import model_metadata
            extra = model_metadata(dataset, self.metrics or {}, self.history or {})
        try:
            engine.save_model(self.net, path, **extra)
        except Exception as exc:  # disk full, no permission, ...
            QMessageBox.warning(self, "Cannot save the model",
                                f"{Path(path).name}: {exc}\n\nChoose another folder or free some "
                                f"space, then try again.")
            return False
        self._remember_dir(path)
        self.model_path = str(path)
        self.unsaved = False
        self._add_recent(str(path))
        self.statusBar().showMessage(f"Saved {path}", 5000)
        self._update_actions()
        self.modelSaved.emit(str(path))
        return True

    def import_spec(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Import network spec", self._last_dir(),
                                              SPEC_FILTER)
        if not path:
            return
        try:
            spec = SpecForm.parse_spec_text(Path(path).read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, ValueError) as exc:
            QMessageBox.warning(self, "Cannot import the spec", f"{Path(path).name}: {exc}")
            return
        self._remember_dir(path)
        self.form.set_spec(spec, f"Import {Path(path).name}")
        n = len(self.form.problems())
        if n:
            self.statusBar().showMessage(f"Imported {Path(path).name}: {n} problem(s) to fix in "
                                         f"the form.", 8000)

    def export_spec(self) -> None:
        spec = self.form.spec()
        suggested = str(Path(self._last_dir()) / f"{spec.get('name') or 'network'}.json")
        path, _ = QFileDialog.getSaveFileName(self, "Export network spec", suggested, SPEC_FILTER)
        if not path:
            return
        if not Path(path).suffix:
            path += ".json"
        try:
            tmp = Path(path).with_name(f".{Path(path).name}.tmp")
            tmp.write_text(json.dumps(spec, indent=2) + "\n", encoding="utf-8")
            os.replace(tmp, path)
        except OSError as exc:
            QMessageBox.warning(self, "Cannot export the spec", f"{Path(path).name}: {exc}")
            return
        self._remember_dir(path)
        self.statusBar().showMessage(f"Exported {path}", 5000)

    # --- help -----------------------------------------------------------------------------

    def shortcut_rows(self) -> list[tuple[str, str]]:
        rows = []
        for action in (self.new_action, self.open_action, self.save_action, self.save_as_action,
                       self.import_action, self.export_action, self.quit_action, self.undo_action,
                       self.redo_action, self.start_action, self.pause_action, self.stop_action,
                       self.shortcuts_action):
            keys = ", ".join(s.toString(QKeySequence.SequenceFormat.NativeText)
                             for s in action.shortcuts())
            if keys:
                rows.append((action.text().replace("&", "").rstrip("…").strip(), keys))
        return rows

    def show_shortcuts(self) -> None:
        dialog = QDialog(self)
        dialog.setWindowTitle("Keyboard shortcuts")
        rows = self.shortcut_rows()
        table = QTableWidget(len(rows), 2)
        table.setHorizontalHeaderLabels(["Action", "Keys"])
        table.verticalHeader().setVisible(False)
        table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        for i, (name, keys) in enumerate(rows):
            table.setItem(i, 0, QTableWidgetItem(name))
            table.setItem(i, 1, QTableWidgetItem(keys))
        table.resizeColumnsToContents()
        table.horizontalHeader().setStretchLastSection(True)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(dialog.reject)
        layout = QVBoxLayout(dialog)
        layout.addWidget(table)
        layout.addWidget(buttons)
        dialog.resize(420, 460)
        dialog.exec()

    def about_text(self) -> str:
        import numpy
        import PySide6
        import pyqtgraph
        from PySide6.QtCore import qVersion
        import platform
        return (f"<h3>nndesk {__version__}</h3>"
                f"<p>Build, train and look inside neural networks written from scratch in NumPy.</p>"
                f"<p>Qt {qVersion()} · PySide6 {PySide6.__version__}<br>"
                f"NumPy {numpy.__version__} · pyqtgraph {pyqtgraph.__version__}<br>"
                f"Python {platform.python_version()}</p>"
                f"<p>MNIST by Yann LeCun, Corinna Cortes and Christopher J.C. Burges.</p>")

    def show_about(self) -> None:
        QMessageBox.about(self, "About nndesk", self.about_text())

    # --- closing ------------------------------------------------------------------------

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802
        if not self.confirm_discard("quit"):
            event.ignore()
            return
        self.controller.shutdown()
        self.dashboard.plots.stop_live()
        self.save_settings()
        self._closed = True
        event.accept()


def _final_metrics(history: dict | None, result: dict) -> dict:
    history = history or {}
    metrics = {}
    for key in ("train_loss", "train_accuracy", "val_loss", "val_accuracy"):
        values = history.get(key) or []
        if values and values[-1] is not None:
            metrics[key] = float(values[-1])
    for key in ("test_loss", "test_accuracy"):
        if result.get(key) is not None:
            metrics[key] = float(result[key])
    metrics["epochs"] = len(history.get("epoch") or [])
    metrics["train_seconds"] = float(result.get("train_seconds", 0.0))
    return metrics


def _metrics_text(name: str, metrics: dict | None) -> str:
    if not metrics:
        return f"Opened <b>{html.escape(name)}</b>."
    parts = []
    for key, label in (("train_accuracy", "train"), ("val_accuracy", "validation"),
                       ("test_accuracy", "test")):
        if metrics.get(key) is not None:
            parts.append(f"{label} accuracy <b>{100 * metrics[key]:.2f}%</b>")
    return f"Opened <b>{html.escape(name)}</b>: " + (", ".join(parts) if parts else "no metrics")


def spec_training_augment(spec: dict) -> bool:
    training = spec.get("training")
    return bool(training.get("augment")) if isinstance(training, dict) else False
