"""Browsing "my digits": thumbnails, accuracy next to MNIST's, delete, clear, export."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import Qt

from nndesk.data import read_csv, read_idx
from nndesk.data.mydigits import MyDigits
from nndesk.gui.pad import MyDigitsPanel, PadPanel
from pad_helpers import ONE, SEVEN, draw


@pytest.fixture
def collection(mnist):
    """Five real MNIST test digits, the third one labelled wrongly on purpose."""
    digits = MyDigits()
    for i in range(5):
        label = int(mnist.y_test[i]) if i != 2 else (int(mnist.y_test[i]) + 1) % 10
        digits.add(mnist.x_test[i].reshape(28, 28), label)
    return digits


def test_thumbnails_with_labels(qtbot, collection, mnist):
    panel = MyDigitsPanel(collection)
    qtbot.addWidget(panel)
    assert panel.list.count() == 5
    assert panel.list.item(0).text() == str(mnist.y_test[0])
    assert not panel.list.item(0).icon().isNull()
    assert "5 digits" in panel.summary_label.text()
    assert "Train a network or open a model file" in panel.accuracy_text()


def test_accuracy_on_my_digits_next_to_mnist(qtbot, collection, trained_net, mnist):
    panel = MyDigitsPanel(collection)
    qtbot.addWidget(panel)
    panel.set_model(trained_net, "test model")
    panel.show()  # measured when shown
    qtbot.waitExposed(panel)
    predicted = trained_net.predict(collection.x())
    correct = int(np.sum(predicted == collection.labels))
    mnist_accuracy = float(np.mean(trained_net.predict(mnist.x_test) == mnist.y_test))
    text = panel.accuracy_text()
    assert f"{100 * correct / 5:.1f}%</b> on your digits ({correct} of 5)" in text
    assert f"{100 * mnist_accuracy:.1f}%</b> on the MNIST test set" in text
    # The wrongly labelled digit stands out (unless the model agrees with the wrong label).
    assert "seen as" in panel.list.item(2).text() or predicted[2] == collection.labels[2]


def test_recorded_test_accuracy_is_used(qtbot, collection, trained_net):
    import copy

    net = copy.copy(trained_net)
    net.metadata = dict(trained_net.metadata, metrics={"test_accuracy": 0.9876})
    panel = MyDigitsPanel(collection)
    qtbot.addWidget(panel)
    panel.set_model(net, "saved.safetensors")
    panel.refresh()
    assert "98.8%</b> on the MNIST test set" in panel.accuracy_text()


def test_delete_selected_and_clear(qtbot, collection):
    panel = MyDigitsPanel(collection)
    qtbot.addWidget(panel)
    assert not panel.delete_button.isEnabled()
    panel.list.item(1).setSelected(True)
    panel.list.item(3).setSelected(True)
    labels = collection.labels.tolist()
    with qtbot.waitSignal(panel.changed, timeout=1000):
        qtbot.mouseClick(panel.delete_button, Qt.MouseButton.LeftButton)
    assert MyDigits().labels.tolist() == [labels[0], labels[2], labels[4]]
    assert panel.list.count() == 3
    assert panel.clear_all(confirm=False)
    assert len(MyDigits()) == 0 and panel.list.count() == 0
    assert not panel.export_csv_button.isEnabled()


def test_clear_asks_first(qtbot, collection, dialogs):
    from PySide6.QtWidgets import QMessageBox

    panel = MyDigitsPanel(collection)
    qtbot.addWidget(panel)
    dialogs.answer = QMessageBox.StandardButton.Cancel
    qtbot.mouseClick(panel.clear_button, Qt.MouseButton.LeftButton)
    assert len(MyDigits()) == 5 and dialogs.kinds() == ["question"]
    dialogs.answer = QMessageBox.StandardButton.Yes
    qtbot.mouseClick(panel.clear_button, Qt.MouseButton.LeftButton)
    assert len(MyDigits()) == 0


def test_export_idx_and_csv(qtbot, collection, tmp_path):
    panel = MyDigitsPanel(collection)
    qtbot.addWidget(panel)
    images, labels = panel.export_idx_to(tmp_path)
    np.testing.assert_array_equal(read_idx(images), collection.images)
    np.testing.assert_array_equal(read_idx(labels), collection.labels)
    assert "train-images-idx3-ubyte" in panel.status_label.text()
    path = panel.export_csv_to(tmp_path / "mine.csv")
    pixels, csv_labels = read_csv(path)
    np.testing.assert_array_equal(csv_labels, collection.labels)
    assert panel.export_csv_to(path / "inside-a-file.csv") is None
    assert "Could not write" in panel.status_label.text()


def test_pad_opens_the_collection_and_follows_changes(qtbot, trained_net):
    pad = PadPanel()
    qtbot.addWidget(pad)
    pad.set_model(trained_net, "test model")
    draw(qtbot, pad.canvas, SEVEN)
    pad.add_correction(7)
    pad.clear()
    draw(qtbot, pad.canvas, ONE)
    pad.add_correction(4)
    pad.show_digits()
    dialog = pad._dialog
    qtbot.waitExposed(dialog)
    panel = dialog.panel
    assert panel.list.count() == 2
    assert "on your digits (1 of 2)" in panel.accuracy_text()
    panel.list.item(1).setSelected(True)
    with qtbot.waitSignal(pad.collectionChanged, timeout=1000):
        panel.delete_selected()
    assert "My digits (1)" in pad.digits_button.text()
    with qtbot.waitSignal(panel._refresh_timer.timeout, timeout=2000):
        pad.set_model(None, "")  # changes while shown are gathered into one refresh
    assert "Train a network or open a model file" in panel.accuracy_text()
    dialog.close()
