"""Training runs as the window shows them: start, pause, stop, a new rate, and the progress.

The runner starts a run from the form's spec, records what the run does in the session
(network, history, metrics, unsaved work, run state) and shows its progress on the dashboard
and in the status bar.
"""

from __future__ import annotations

import html
import time

from PySide6.QtCore import QObject
from PySide6.QtWidgets import QMessageBox

from nndesk import engine
from nndesk.data.mydigits import MyDigits
from nndesk.workflow import keep_run, memory_needed

from .datasets import dataset_title
from .settings import write_json
from .widgets import format_count, format_duration

REASONS = {"completed": "Finished", "stopped": "Stopped",
           "early_stopping": "Stopped early (validation loss stopped improving)",
           "diverged": "Diverged"}


class Runner(QObject):
    def __init__(self, window):
        super().__init__(window)
        self.w = window
        self.session, self.controller = window.session, window.controller
        self._started_at = 0.0
        c = self.controller
        c.trainingStarted.connect(self._on_training_started)
        c.batchesReady.connect(self._on_batches_ready)
        c.epochsEnded.connect(self._on_epochs_ended)
        c.pausedChanged.connect(self._on_paused_changed)
        c.weightsReady.connect(self._on_weights_ready)
        c.trainingFinished.connect(self._on_training_finished)
        c.trainingFailed.connect(self._on_training_failed)
        c.runEnded.connect(self._on_run_ended)

    # --- controls --------------------------------------------------------------------

    def blocker(self) -> str:
        """Why Train is disabled, or '' when it is not."""
        if self.controller.is_running():
            return "Training is running."
        problems = self.w.form.problems()
        if problems:
            first = problems[0]
            where = f"layer {first.layer + 1} {first.field or ''}".strip() if first.layer is not None \
                else first.path
            more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
            return f"Fix the form first: {where}: {first.message}{more}."
        spec, dataset = self.w.form.spec(), self.session.dataset
        name = spec.get("dataset", "")
        if dataset is None:
            if self.session.dataset_error:
                return f"The dataset could not be loaded: {self.session.dataset_error}"
            return f"Loading the {dataset_title(name)} dataset…"
        outputs = (self.w.form.summary() or {}).get("output_units")
        classes = len(dataset.class_names)
        training = spec.get("training") if isinstance(spec.get("training"), dict) else {}
        if training.get("augment") and not dataset.image_shape:
            return ("Augmentation distorts images, and this dataset is not made of images: "
                    "untick 'Distort training images'.")
        if outputs is not None and outputs != classes and not (outputs == 1 and classes == 2):
            return (f"The output layer has {outputs} unit{'s' if outputs != 1 else ''} but "
                    f"{dataset_title(name)} has {classes} classes: give the last layer "
                    f"{classes} units.")
        needs = self._memory_needed()
        return needs.refusal() if needs is not None and needs.too_much else ""

    def _memory_needed(self):
        """The memory the form's run takes (None when the form cannot say)."""
        dataset, subset = self.session.dataset, self.w.dashboard.subset_spin.value()
        samples = min(subset, len(dataset.x_train)) if subset else len(dataset.x_train)
        try:
            return memory_needed(self.w.form.spec(), dataset, samples)
        except (engine.SpecError, ValueError):
            return None

    def start(self) -> None:
        w = self.w
        blocker = w.train_blocker()
        if blocker:
            w.statusBar().showMessage(blocker, 5000)
            return
        needs = self._memory_needed()
        if needs is not None and needs.heavy and QMessageBox.question(
                w, "A heavy run", f"{needs.warning()}\n\nTrain anyway?",
                QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
                QMessageBox.StandardButton.No) != QMessageBox.StandardButton.Yes:
            return
        if not w.files.confirm_discard("train a new network"):
            return
        spec = w.form.spec()
        try:
            net = engine.build_network(spec)
        except engine.SpecError as exc:
            w.dashboard.show_failure(html.escape(str(exc)))
            return
        except MemoryError:
            w.dashboard.show_failure("There is not enough memory for this network. Try fewer or "
                                     "narrower layers.")
            return
        dataset = self.session.dataset
        self.session.set_network(net, "training", run_dataset=dataset)
        w.dashboard.banner.hide()
        w.dashboard.set_learning_rate(net.spec["optimizer"]["learning_rate"])
        write_json(w.settings, "form/spec", spec)
        self._started_at = time.perf_counter()
        mine = MyDigits(w.pad.digits.path) if w.dashboard.mix_check.isChecked() else None
        self.controller.start(net, dataset, w.dashboard.subset_spin.value(), mine)
        self.session.set_unsaved(True)  # a run asked to start is work in progress
        w.set_state("training", "Starting…")

    def toggle_pause(self) -> None:
        if not self.controller.is_running() or self.session.run_state == "stopping":
            return
        if self.controller.is_paused():
            self.controller.resume()
            self.w.set_state("training", "Training")
        else:
            self.controller.pause()
            self.w.set_state("paused", "Pausing…")

    def stop(self) -> None:
        if self.controller.is_running():
            self.controller.stop()
            self.w.set_state("stopping", "Stopping…")

    def set_learning_rate(self, lr: float) -> None:
        if not self.controller.is_running():
            return
        try:
            self.controller.set_learning_rate(lr)
        except ValueError as exc:
            self.w.statusBar().showMessage(str(exc), 5000)
            return
        self.w.statusBar().showMessage(f"Learning rate set to {lr:g} from the next batch.", 4000)

    # --- what the run reports ----------------------------------------------------------

    def _on_training_started(self, event: dict) -> None:
        self.w.dashboard.begin_run(event)
        self.session.set_unsaved(True)
        if self.session.run_state == "training":
            self.w.set_state("training", "Training")

    def _on_batches_ready(self, batches: list) -> None:
        d = self.w.dashboard
        d.plots.add_batches(batches)
        epoch, batch, _, _, lr, sps = batches[-1]
        if d.show_progress(epoch, batch, sps):
            d.set_learning_rate(lr)
            self.w.status_speed.setText(f"{format_count(sps)} samples/s")

    def _on_epochs_ended(self, events: list) -> None:
        d = self.w.dashboard
        for event in events:
            d.plots.add_epoch(event)
        event = events[-1]
        self.session.epochs_done = event["epoch"]
        d.show_epoch(event)
        self.w.status_speed.setText(f"{format_count(event.get('samples_per_second', 0))} samples/s")
        if self.session.run_state == "training":
            self.w.status_state.setText(f"Training · epoch {event['epoch']} of {event['epochs']} done")

    def _on_paused_changed(self, paused: bool) -> None:
        if paused and self.session.run_state == "paused":
            self.w.status_state.setText("Paused")
        self.w.update_actions()

    def _on_weights_ready(self, snapshot: dict) -> None:
        self.session.set_snapshot(snapshot)

    def _on_training_finished(self, result: dict) -> None:
        history = result.get("history")
        metrics = final_metrics(history, result)
        self.session.set_history(history, metrics)
        if self.session.net is not None and self.session.run_dataset is not None:
            keep_run(self.session.net.spec, self.session.run_dataset, result, metrics)
        text = REASONS.get(result.get("reason", "completed"), result.get("reason"))
        seconds = time.perf_counter() - self._started_at
        test = ""
        if metrics.get("test_accuracy") is not None:
            test = f" · test accuracy {100 * metrics['test_accuracy']:.2f}%"
        self.w.dashboard.end_run(f"{text} in {format_duration(seconds)}", test)
        if result.get("reason") == "diverged" and result.get("message"):
            lead, rest = "Training diverged", result["message"]
            rest = rest[len(lead):] if rest.startswith(lead) else f": {rest}"
            self.w.dashboard.show_failure(html.escape(rest), lead)
        self.w.status_state.setText(text)
        self.session.network_trained()
        self.w.trainingFinished.emit(result)

    def _on_training_failed(self, message: str) -> None:
        self.w.dashboard.end_run("Failed")
        self.w.dashboard.show_failure(html.escape(message).replace("\n", "<br>"))
        self.w.status_state.setText("Failed")
        self.session.network_trained()
        self.w.trainingFailed.emit(message)

    def _on_run_ended(self) -> None:
        self.w.dashboard.plots.stop_live()
        text = self.w.status_state.text()
        self.w.set_state("idle", text if text not in ("Training", "Stopping…") else "Idle")
        self.w.runEnded.emit()


def final_metrics(history: dict | None, result: dict) -> dict:
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
