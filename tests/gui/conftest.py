"""GUI test fixtures: offscreen Qt, settings in a temporary file, dialogs that answer at once,
MNIST and a small trained network."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pytest  # noqa: E402


@pytest.fixture(autouse=True)
def isolated_settings(tmp_path, monkeypatch):
    """Every test gets its own settings file and "my digits" folder, never the person's."""
    path = tmp_path / "settings.ini"
    monkeypatch.setenv("NNDESK_SETTINGS_FILE", str(path))
    monkeypatch.setenv("NNDESK_DATA_DIR", str(tmp_path / "user-data"))
    return path


class Dialogs:
    """Records message boxes and answers them; ``answer`` is what question() returns."""

    def __init__(self):
        from PySide6.QtWidgets import QMessageBox
        self.calls: list[tuple[str, str, str]] = []
        self.answer = QMessageBox.StandardButton.Discard

    def kinds(self) -> list[str]:
        return [c[0] for c in self.calls]

    def texts(self, kind: str) -> list[str]:
        return [c[2] for c in self.calls if c[0] == kind]


@pytest.fixture(autouse=True)
def dialogs(monkeypatch):
    """No test can hang on a modal message box: they are recorded and answered."""
    from PySide6.QtWidgets import QMessageBox
    record = Dialogs()

    def make(kind, result):
        def show(parent, title, text, *args, **kwargs):
            record.calls.append((kind, title, text))
            return record.answer if kind == "question" else result
        return show

    monkeypatch.setattr(QMessageBox, "question", make("question", None))
    monkeypatch.setattr(QMessageBox, "warning", make("warning", QMessageBox.StandardButton.Ok))
    monkeypatch.setattr(QMessageBox, "critical", make("critical", QMessageBox.StandardButton.Ok))
    monkeypatch.setattr(QMessageBox, "information",
                        make("information", QMessageBox.StandardButton.Ok))
    monkeypatch.setattr(QMessageBox, "about", make("about", None))
    return record


@pytest.fixture
def window(qtbot):
    """The real main window, shown offscreen with MNIST loaded (once per process)."""
    from nndesk.gui.main_window import MainWindow
    win = MainWindow()
    qtbot.addWidget(win)
    win.resize(1366, 768)
    win.show()
    qtbot.waitUntil(win.dataset_ready, timeout=20000)
    yield win
    if win.controller.is_running():
        win.controller.shutdown()


@pytest.fixture(scope="session")
def cache_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("cache")


@pytest.fixture(scope="session")
def mnist(cache_dir):
    """The bundled MNIST, loaded once."""
    from nndesk.data import load_dataset

    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("NNDESK_CACHE_DIR", str(cache_dir))
        return load_dataset("mnist")


@pytest.fixture(scope="session")
def trained_net(mnist):
    """A 784-128-10 MLP trained for one epoch on 30,000 MNIST digits with augmentation
    (under 10 s; about 94% test accuracy).

    Augmentation (shifts, rotations, thicker and thinner strokes) makes even this small
    network read the mouse-drawn digits of these tests with over 95% confidence
    (checked with several seeds), as it does for the default preset.
    """
    from nndesk.engine import load_preset
    from nndesk.workflow import model_metadata, prepare

    spec = load_preset("default")
    spec["layers"] = [{"type": "dense", "units": 128, "activation": "relu"},
                      {"type": "dense", "units": 10, "activation": "softmax"}]
    spec["training"].update(epochs=1, batch_size=128, validation_split=0.0, augment=True)
    spec["optimizer"] = {"name": "adam", "learning_rate": 0.002}
    spec["schedule"] = {"name": "constant"}
    spec["seed"] = 0
    prepared = prepare(spec, mnist, subset=30000)
    result = prepared.trainer.run()
    assert result["error"] is None, result["error"]
    net = prepared.net
    net.metadata = model_metadata(mnist, {}, {})
    return net
