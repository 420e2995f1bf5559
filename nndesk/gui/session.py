"""The session: everything the window knows about the current network and its run.

One object owns the state (the network, its history and final metrics, the model file, whether
there is unsaved work, the dataset the form trains on and the one the network learned from,
and the run's state) and announces every change with a signal. Widgets read it and subscribe
to it; nothing else keeps a copy. In the spirit of MNELAB's ``Model`` and napari's viewer model.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal

RUN_STATES = ("idle", "training", "paused", "stopping")


class Session(QObject):
    # The network changed: (net or None, where it came from: "training", "trained", a model
    # file's path, or "" for none). Its weights keep changing while a run trains it.
    networkChanged = Signal(object, str)
    historyChanged = Signal(object)  # the run's history dict, or None
    metricsChanged = Signal(object)  # the final metrics dict, or None
    modelPathChanged = Signal(str)  # "" when the network has no file
    unsavedChanged = Signal(bool)
    datasetChanged = Signal(object)  # the dataset the form trains on, or None while loading
    runStateChanged = Signal(str)  # one of RUN_STATES
    snapshotChanged = Signal(dict)  # {"weights", "gradients"}: copies taken during a run

    def __init__(self, parent: QObject | None = None):
        super().__init__(parent)
        self.net = None
        self.source = ""
        self.history: dict | None = None
        self.metrics: dict | None = None
        self.model_path: str | None = None
        self.unsaved = False
        self.dataset = None
        self.dataset_name: str | None = None  # the one wanted, loaded or not
        self.dataset_error: str | None = None
        self.run_dataset = None  # what the network was trained on here (None: opened)
        self.run_state = "idle"
        self.snapshot: dict | None = None
        self.epochs_done = 0

    # --- the network -----------------------------------------------------------------

    def set_network(self, net, source: str, *, history=None, metrics=None,
                    model_path: str | None = None, run_dataset=None) -> None:
        """A new network (or None): its history, metrics and file come with it."""
        self.net, self.source = net, source
        self.run_dataset = run_dataset
        self.snapshot = None
        self.epochs_done = 0
        self.set_history(history, metrics)
        self.set_model_path(model_path)
        self.set_unsaved(False)
        self.networkChanged.emit(net, source)

    def network_trained(self) -> None:
        """The run that trained the network has ended: the network is final now."""
        self.source = "trained"
        self.networkChanged.emit(self.net, "trained")

    def set_history(self, history: dict | None, metrics: dict | None = None) -> None:
        self.history, self.metrics = history, metrics
        self.historyChanged.emit(history)
        self.metricsChanged.emit(metrics)

    def set_model_path(self, path: str | None) -> None:
        self.model_path = str(path) if path else None
        self.modelPathChanged.emit(self.model_path or "")

    def set_unsaved(self, unsaved: bool) -> None:
        if unsaved != self.unsaved:
            self.unsaved = unsaved
            self.unsavedChanged.emit(unsaved)

    def set_snapshot(self, snapshot: dict) -> None:
        self.snapshot = snapshot
        self.snapshotChanged.emit(snapshot)

    # --- the dataset -----------------------------------------------------------------

    def want_dataset(self, name: str) -> None:
        self.dataset_name, self.dataset, self.dataset_error = name, None, None
        self.datasetChanged.emit(None)

    def set_dataset(self, name: str, dataset, error: str | None = None) -> None:
        """The dataset ``name`` arrived (or failed with ``error``); ignored if another one is
        wanted by now."""
        if name != self.dataset_name:
            return
        self.dataset, self.dataset_error = dataset, error
        self.datasetChanged.emit(dataset)

    # --- the run ---------------------------------------------------------------------

    def set_run_state(self, state: str) -> None:
        if state not in RUN_STATES:
            raise ValueError(f"expected one of {RUN_STATES}, got {state!r}")
        if state != self.run_state:
            self.run_state = state
            self.runStateChanged.emit(state)

    @property
    def running(self) -> bool:
        return self.run_state != "idle"
