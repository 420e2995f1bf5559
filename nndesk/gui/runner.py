"""Training runs as the window shows them: start, pause, stop, step, a new rate or pace, and
the progress.

The runner starts a run from the form's spec, records what the run does in the session
(network, history, metrics, unsaved work, run state) and shows its progress on the dashboard
and in the status bar.

Step mode: Step from idle trains a new network from the form on the Reference engine (the
same training, the textbook steps) with recording on, taking one batch and pausing; Step on a
paused run takes one more batch, Step epoch the rest of the epoch. Every run on the Reference
engine records its steps, so the step math page has the numbers of the batch it paused after.
"""

from __future__ import annotations

import copy
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
        self._stepping = False  # a Step's batches are being taken; the run pauses after them
        self._epoch_after_first = False  # Step epoch from idle: the rest once batch 1 is done
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

    def step_blocker(self) -> str:
        """Why Step is disabled, or '' when it is not: it needs an idle window with a valid
        form, a paused run, or a run at Slow speed (it pauses after the next batch)."""
        if not self.controller.is_running():
            return self.blocker()
        state = self.session.run_state
        if self._stepping:
            return "A step is being taken."
        if state == "stopping":
            return "The run is stopping."
        if state == "paused" or self.w.dashboard.pace():
            return ""
        return "Pause the run (or train at Slow speed) to step through it."

    def step(self, whole_epoch: bool = False) -> None:
        """Take one batch (``whole_epoch``: the rest of the epoch), then pause."""
        reason = self.step_blocker()
        if reason:
            self.w.statusBar().showMessage(reason, 5000)
            return
        if not self.controller.is_running():
            self.start(steps=1)
            self._epoch_after_first = whole_epoch and self.controller.is_running()
            return
        self._advance(self.w.dashboard.batches_left_in_epoch() if whole_epoch else 1)

    def step_epoch(self) -> None:
        self.step(whole_epoch=True)

    def _advance(self, batches: int) -> None:
        self.controller.advance(batches)
        self._stepping = True
        self.w.set_state("training", f"Stepping {batches} batches…" if batches > 1
                         else "Stepping…")

    def set_pace(self, batches_per_second: float | None) -> None:
        if self.controller.is_running():
            self.controller.set_pace(batches_per_second)
        self.w.update_actions()

    def start(self, steps: int = 0) -> None:
        """Train a new network from the form; with ``steps`` (Step) on the Reference engine,
        pausing after that many batches."""
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
        run_spec = copy.deepcopy(spec)
        if steps:  # the same training, the textbook steps, every number recorded
            run_spec["training"]["engine"] = "reference"
        try:
            net = engine.build_network(run_spec)
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
        c = self.controller
        c.start(net, dataset, w.dashboard.subset_spin.value(), mine)
        c.set_pace(w.dashboard.pace())
        c.set_recording(net.spec["training"]["engine"] == "reference")
        self.session.set_unsaved(True)  # a run asked to start is work in progress
        if steps:
            self._advance(steps)
        else:
            w.set_state("training", "Starting…")

    def toggle_pause(self) -> None:
        if not self.controller.is_running() or self.session.run_state == "stopping":
            return
        if self._stepping:  # stop stepping: pause after the next batch
            self.controller.advance(1)
            self.w.set_state("paused", "Pausing…")
        elif self.controller.is_paused():
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
        if self.session.run_state == "training" and not self._stepping:
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
        d = self.w.dashboard
        if paused and self.controller.is_paused() and self.session.run_state in ("training",
                                                                                 "paused"):
            left = d.batches_left_in_epoch()
            if self._epoch_after_first and left < d.batches_per_epoch:
                self._epoch_after_first = False
                self._advance(left)
                return
            where = d.show_paused()
            self.w.set_state("paused", where if self._stepping else "Paused")
            self._stepping = self._epoch_after_first = False
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
        self._stepping = self._epoch_after_first = False
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
