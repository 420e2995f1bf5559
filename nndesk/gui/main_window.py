"""The main window: it wires the session, the pages, the menus and the background work.

The state lives in the session (``session.py``); files in ``files.py``; training runs in
``runner.py``; the menus in ``menus.py``. The window builds the pages, subscribes them to the
session and says what can be done now.
"""

from __future__ import annotations

from pathlib import Path

import shiboken6
from PySide6.QtCore import QByteArray, Signal
from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import QLabel, QMainWindow

from nndesk import engine

from . import help as help_windows
from . import menus, pages
from .datasets import DatasetLoader, dataset_title
from .files import FileActions
from .pad_link import PadLink
from .runner import Runner
from .session import Session
from .settings import open_settings, read_json, write_json
from .widgets import format_count
from .worker import TrainingController

STYLE = """
QWidget[invalid="true"] { border: 1px solid #d64545; border-radius: 3px; }
QTabWidget::pane { border-top: 1px solid palette(mid); }
"""


class MainWindow(QMainWindow):
    """nndesk's window. Pass ``settings`` (a QSettings) to keep tests away from the user's."""

    trainingFinished = Signal(dict)
    trainingFailed = Signal(str)
    runEnded = Signal()
    datasetReady = Signal(str)
    modelOpened = Signal(str)
    modelSaved = Signal(str)
    networkChanged = Signal(object, str)  # the session's, for whoever holds only the window

    def __init__(self, settings=None, restore: bool = True):
        super().__init__()
        self.settings = settings if settings is not None else open_settings()
        self.setWindowTitle("nndesk")
        self.setObjectName("mainWindow")
        self.setStyleSheet(STYLE)
        self._closed = False
        self.session = Session(self)
        pages.build(self)
        self.controller = TrainingController(self)
        self.loader = DatasetLoader(self)
        self.files = FileActions(self, self.session, self.controller, self.form, self.settings)
        self.runner = Runner(self)
        self.pad_link = PadLink(self.session, self.pad, self.pages, self.dashboard)
        self._build_status_bar()
        menus.build_actions(self)
        menus.build_menus(self)
        self.step_page.add_actions([self.step_action, self.step_epoch_action])
        self._connect()
        self.setMinimumSize(1000, 600)
        self._fit_to_screen()
        if restore:
            self._restore_settings()
        self._on_spec_changed(self.form.spec())
        self.update_actions()

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

    def _connect(self) -> None:
        self.inspect_tabs.connect_training(self.controller)
        self.inspect_tabs.set_form(self.form)
        self.inspect_tabs.hintArrived.connect(
            lambda hint: self.statusBar().showMessage(f"Hint: {hint['message']}", 8000))
        self.form.specChanged.connect(self._on_spec_changed)
        self.form.datasetBrowseRequested.connect(self.files.choose_dataset_path)
        self.form.undo_stack.indexChanged.connect(self._on_undo_index_changed)
        d = self.dashboard
        d.trainClicked.connect(self.runner.start)
        d.pauseClicked.connect(self.runner.toggle_pause)
        d.stopClicked.connect(self.runner.stop)
        d.learningRateEdited.connect(self.runner.set_learning_rate)
        d.stepClicked.connect(self.runner.step)
        d.stepEpochClicked.connect(self.runner.step_epoch)
        d.paceChanged.connect(self.runner.set_pace)
        self.controller.stepRecorded.connect(self.step_page.set_record)
        d.subset_spin.valueChanged.connect(self.update_actions)  # the memory a run needs
        d.subset_spin.valueChanged.connect(self._on_undo_index_changed)
        s = self.session
        s.networkChanged.connect(self._on_network_changed)
        s.networkChanged.connect(self.networkChanged)
        s.unsavedChanged.connect(self.update_actions)
        s.modelPathChanged.connect(self.update_actions)
        s.datasetChanged.connect(self._on_dataset_changed)
        self.loader.loaded.connect(lambda name, ds: self.session.set_dataset(name, ds))
        self.loader.failed.connect(lambda name, msg: self.session.set_dataset(name, None, msg))
        self.files.recentChanged.connect(lambda: menus.fill_recent_menu(self))
        self.files.modelOpened.connect(self.modelOpened)
        self.files.modelSaved.connect(self.modelSaved)
        self.inspect_tabs.padRequested.connect(lambda: self.show_page(1))
        self.inspector.padRequested.connect(lambda: self.show_page(1))
        self.evaluation.inspectRequested.connect(self._inspect_test_digit)
        self.evaluation.thresholdChanged.connect(self.pad.set_threshold)

    def _inspect_test_digit(self, index: int) -> None:
        self.inspector.show_test_digit(index)
        self.show_page(self.pages.indexOf(self.inspector))

    def _fit_to_screen(self) -> None:
        """A first-run size that fits the screen (1366x768 laptops included), frame and all."""
        screen = self.screen()
        if screen is None:
            self.resize(1366, 740)
            return
        available = screen.availableGeometry()
        self.resize(min(1366, available.width()), min(740, max(600, available.height() - 32)))

    # --- settings -----------------------------------------------------------------------

    def _restore_settings(self) -> None:
        s = self.settings
        for key, restore in (("window/geometry", self.restoreGeometry),
                             ("window/splitter", self.splitter.restoreState)):
            value = s.value(key)
            if isinstance(value, (QByteArray, bytes)) and value:
                restore(value)
        spec = read_json(s, "form/spec")
        if isinstance(spec, dict) and isinstance(spec.get("layers"), list):
            self.form.reset(spec)
        try:
            self.dashboard.subset_spin.setValue(int(s.value("training/subset", 0) or 0))
            tab = s.value("window/tab")
            if tab is not None:
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

    # --- the session, read through the window ---------------------------------------

    net = property(lambda self: self.session.net)
    history = property(lambda self: self.session.history)
    metrics = property(lambda self: self.session.metrics)
    model_path = property(lambda self: self.session.model_path)
    unsaved = property(lambda self: self.session.unsaved)
    dataset = property(lambda self: self.session.dataset)
    dataset_error = property(lambda self: self.session.dataset_error)
    last_snapshot = property(lambda self: self.session.snapshot)
    state = property(lambda self: self.session.run_state)

    def dataset_ready(self) -> bool:
        return self.session.dataset is not None

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
        self.update_actions()

    def _use_dataset(self, name: str) -> None:
        """Make ``name`` the dataset to train on, loading it in the background if needed."""
        s = self.session
        if name == s.dataset_name and (s.dataset is not None or s.dataset_error
                                       or self.loader.is_loading(name)):
            return  # already there, already failed (shown), or on its way
        s.want_dataset(name)
        self.status_dataset.setText(f"Loading {dataset_title(name)}…")
        self.loader.load(name)
        self.update_actions()

    def _on_dataset_changed(self, dataset) -> None:
        name = self.session.dataset_name or ""
        if dataset is None:
            error = self.session.dataset_error
            if error:
                self.status_dataset.setText(f"{dataset_title(name)}: not loaded")
                self.status_dataset.setToolTip(error)
            self.update_actions()
            return
        n_train, n_test = len(dataset.x_train), len(dataset.x_test)
        self.status_dataset.setText(f"{dataset_title(name)} · {format_count(n_train)} train / "
                                    f"{format_count(n_test)} test")
        self.status_dataset.setToolTip(dataset.note)
        self.dashboard.subset_spin.setMaximum(max(n_train, 1))
        self.form.match_input(dataset.x_train.shape[1], dataset.image_shape)
        if dataset.image_shape == (28, 28):
            self.pad.set_test_digits(dataset.x_test, dataset.y_test)
        self.update_actions()
        self.datasetReady.emit(name)

    # --- the network ------------------------------------------------------------------

    def _on_network_changed(self, net, source: str) -> None:
        if source == "trained":
            self.update_actions()
            return
        if net is None:
            self.dashboard.plots.reset()
            self.dashboard.banner.hide()
            self.dashboard.show_metrics_text("No training yet.")
            self.set_state("idle", "Idle")
        elif source != "training":  # a model file
            self.dashboard.plots.load_history(self.history)
            self.dashboard.banner.hide()
            self.dashboard.show_opened(Path(source).name, self.metrics)
            self.session.set_snapshot({"weights": net.get_weights(), "gradients": {}})
            self.set_state("idle", "Opened")
        self.update_actions()

    # --- what can be done now ----------------------------------------------------------

    def train_blocker(self) -> str:
        """Why Train is disabled, or '' when it is not."""
        return self.runner.blocker()

    def _on_undo_index_changed(self, _index: int) -> None:
        self.update_actions()

    def update_actions(self, *_args) -> None:
        if self._closed or not shiboken6.isValid(self.dashboard):
            return  # late signals from children while the window is being destroyed
        running = self.controller.is_running()
        blocker = self.train_blocker()
        self.dashboard.set_train_enabled(not blocker, "" if running else blocker)
        self.start_action.setEnabled(not blocker)
        self.pause_action.setEnabled(running and self.session.run_state != "stopping")
        self.pause_action.setText("&Resume" if self.controller.is_paused() else "&Pause")
        self.stop_action.setEnabled(running)
        step_blocker = self.runner.step_blocker()
        self.dashboard.set_step_enabled(step_blocker)
        for action in (self.step_action, self.step_epoch_action):
            action.setEnabled(not step_blocker)
        has_net = self.net is not None
        for action in (self.save_action, self.save_as_action):
            action.setEnabled(has_net and not running)
        for item in (self.new_action, self.open_action, self.recent_menu):
            item.setEnabled(not running)
        self.setWindowModified(self.unsaved)
        name = self.net.spec.get("name") if self.net is not None else self.form.spec().get("name")
        file = f" — {Path(self.model_path).name}" if self.model_path else ""
        self.setWindowTitle(f"{name or 'untitled'}{file}[*] · nndesk")

    def set_state(self, state: str, text: str | None = None) -> None:
        self.session.set_run_state(state)
        self.dashboard.set_state(state)
        self.status_state.setText(text or state.capitalize())
        self.update_actions()

    # --- commands ---------------------------------------------------------------------

    def start_training(self) -> None:
        self.runner.start()

    def toggle_pause(self) -> None:
        self.runner.toggle_pause()

    def stop_training(self) -> None:
        self.runner.stop()

    def set_learning_rate(self, lr: float) -> None:
        self.runner.set_learning_rate(lr)

    def new_model(self) -> None:
        if self.controller.is_running() or not self.files.confirm_discard("start a new one"):
            return
        self.form.reset(engine.default_spec())
        self.session.set_network(None, "")

    def open_model(self, path: str, confirmed: bool = False) -> bool:
        return self.files.open(path, confirmed)

    def save_model(self) -> bool:
        return self.files.save()

    def save_model_as(self) -> bool:
        return self.files.save_as()

    def confirm_discard(self, action: str) -> bool:
        return self.files.confirm_discard(action)

    def recent_models(self) -> list[str]:
        return self.files.recent_models()

    def show_page(self, index: int) -> None:
        self.pages.setCurrentIndex(index)

    def shortcut_rows(self) -> list[tuple[str, str]]:
        return help_windows.shortcut_rows(menus.shortcut_actions(self))

    def show_shortcuts(self) -> None:
        help_windows.show_shortcuts(self, self.shortcut_rows())

    def show_about(self) -> None:
        help_windows.show_about(self)

    # --- closing ------------------------------------------------------------------------

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802
        if not self.files.confirm_discard("quit"):
            event.ignore()
            return
        self.controller.shutdown()
        self.loader.shutdown()  # a thread still running when the window goes takes the process down
        self.evaluation.shutdown()
        self.inspector.shutdown()
        self.step_page.shutdown()
        self.dashboard.plots.stop_live()
        self.save_settings()
        self._closed = True
        event.accept()
