"""What the drawing pad predicts with: the session's network, followed while it trains."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QObject


class PadLink(QObject):
    """Hands the pad the session's network: a trained or opened one as it is, and the newest
    weights of a run (only while the pad is on screen)."""

    def __init__(self, session, pad, pages, dashboard):
        super().__init__(pad)
        self.session, self.pad, self.pages, self.dashboard = session, pad, pages, dashboard
        self._pending: dict | None = None  # the newest snapshot of a run, not yet shown
        session.networkChanged.connect(self._on_network_changed)
        session.snapshotChanged.connect(self._on_snapshot_changed)
        pages.currentChanged.connect(self._on_page_changed)
        pad.collectionChanged.connect(self._on_my_digits_changed)
        self._on_my_digits_changed()

    def _on_snapshot_changed(self, snapshot: dict) -> None:
        if self.session.running:
            self._pending = snapshot
            self._sync()

    def _on_page_changed(self, _index: int) -> None:
        self._sync()

    def _sync(self) -> None:
        snapshot, net = self._pending, self.session.net
        if snapshot is None or self.pages.currentWidget() is not self.pad or net is None:
            return
        self._pending = None
        epochs = self.session.epochs_done
        source = (f"the network being trained (after {epochs} epoch{'s' * (epochs != 1)})"
                  if epochs else "the network being trained (first epoch)")
        self.pad.set_snapshot(net.spec, snapshot["weights"], source, self.metadata())

    def metadata(self) -> dict:
        """What a model file would say of the data: the pad needs the class names."""
        dataset = self.session.run_dataset or self.session.dataset
        if dataset is None:
            return {}
        from nndesk.workflow import preprocessing_for
        return {"dataset": dataset.name, "class_names": list(dataset.class_names),
                "preprocessing": preprocessing_for(dataset)}

    def _on_network_changed(self, net, source: str) -> None:
        self._pending = None
        if net is None or source == "training":
            self.pad.clear_model()
        elif source == "trained":
            if not net.metadata:
                net.metadata = self.metadata()
            self.pad.set_model(net, "the network just trained")
        else:
            self.pad.set_model(net, Path(source).name)

    def _on_my_digits_changed(self) -> None:
        count = len(self.pad.digits)
        check = self.dashboard.mix_check
        check.setText(f"Mix in my digits ({count})")
        check.setEnabled(count > 0)
        if count == 0:
            check.setChecked(False)
