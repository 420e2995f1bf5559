"""Seeing inside a convolutional network: its filters as unit images, the feature maps of one
input (a test image or the pad's drawing), conv and batch-norm layers in the Layers tab."""

from __future__ import annotations

import time

import numpy as np
from PySide6.QtCore import QPoint, Qt

from gui_helpers import click, set_small_run
from nndesk import engine

SEVEN = [[(70 + 10 * i, 55) for i in range(15)]
         + [(210 - 5 * i, 55 + 10 * i) for i in range(1, 19)]]


def small_cnn(batchnorm: bool = False) -> dict:
    spec = engine.default_spec()
    conv = {"type": "conv2d", "filters": 4, "kernel_size": 5, "padding": "same"}
    if batchnorm:
        conv["activation"] = "linear"
    layers = [conv] + ([{"type": "batchnorm", "activation": "relu"}] if batchnorm else []) + [
        {"type": "maxpool2d"}, {"type": "conv2d", "filters": 6, "kernel_size": 3},
        {"type": "maxpool2d"}, {"type": "flatten"},
        {"type": "dense", "units": 10, "activation": "softmax", "initializer": "glorot_uniform"}]
    return {**spec, "input_shape": [1, 28, 28], "layers": layers}


def use_spec(qtbot, window, spec: dict) -> None:
    window.form.set_spec(spec)
    assert window.form.spec()["input_shape"] == spec["input_shape"]
    assert not window.train_blocker()


def train(qtbot, window, epochs: int = 1, samples: int = 400) -> None:
    set_small_run(qtbot, window, epochs=epochs, samples=samples)
    with qtbot.waitSignal(window.runEnded, timeout=60000):
        click(qtbot, window.dashboard.train_button)
    assert window.net is not None and window.net.layers[0].kind in ("conv2d", "dense")


def draw(qtbot, canvas, strokes) -> None:
    for points in strokes:
        qtbot.mousePress(canvas, Qt.MouseButton.LeftButton, pos=QPoint(*points[0]))
        for x, y in points[1:]:
            qtbot.mouseMove(canvas, QPoint(x, y))
        qtbot.mouseRelease(canvas, Qt.MouseButton.LeftButton, pos=QPoint(*points[-1]))


def test_filters_are_unit_images_that_follow_training(qtbot, window):
    use_spec(qtbot, window, small_cnn())
    tiles = window.tiles
    window.inspect_tabs.setCurrentWidget(tiles)
    set_small_run(qtbot, window, epochs=100, samples=1000, batch=32)
    click(qtbot, window.dashboard.train_button)
    qtbot.waitUntil(lambda: tiles.redraw_count > 0, timeout=15000)
    assert window.tiles.can_draw()
    assert tiles.tile_shape == (5, 5) and tiles.tile_count == 4  # one 5x5 tile per filter
    qtbot.wait(700)  # the tab's first layout
    first, drawn = tiles.grid.image.image.copy(), tiles.redraw_count
    qtbot.waitUntil(lambda: tiles.redraw_count > drawn + 1, timeout=10000)
    assert first.shape == tiles.grid.image.image.shape
    assert not np.allclose(first, tiles.grid.image.image, equal_nan=True)  # the filters learn
    lo, hi = tiles.grid.bar.levels()
    assert lo == -hi and hi > 0  # centred on zero
    with qtbot.waitSignal(window.runEnded, timeout=10000):
        click(qtbot, window.dashboard.stop_button)

    tiles.timer.stop()  # no redraw (and re-layout) between finding the tile and clicking it
    tiles.select_unit(0)
    with qtbot.waitSignal(tiles.unitSelected, timeout=2000) as selected:
        qtbot.mouseClick(tiles.grid.viewport(), Qt.MouseButton.LeftButton, pos=tiles.tile_pos(2))
    assert selected.args == [2]
    kernels = window.net.get_weights()["layers.0.weight"]
    assert np.allclose(tiles.large.image.image, kernels[2, 0])
    assert "Filter 3</b> of 4" in tiles.info.text() and "5×5 kernel" in tiles.info.text()
    bias = window.net.get_weights()["layers.0.bias"][2]
    assert f"bias {bias:+.3f}" in tiles.info.text()


def test_feature_maps_of_a_test_image_and_of_a_drawing(qtbot, window):
    use_spec(qtbot, window, small_cnn())
    train(qtbot, window)
    maps = window.feature_maps
    window.inspect_tabs.setCurrentWidget(maps)
    qtbot.waitUntil(lambda: maps.redraw_count > 0, timeout=3000)
    assert [row.title for row in maps.rows] == ["input", "conv2d 1", "maxpool2d 1", "conv2d 2",
                                                "maxpool2d 2"]
    assert [row.shape for row in maps.rows] == [(1, 28, 28), (4, 28, 28), (4, 14, 14),
                                                (6, 12, 12), (6, 6, 6)]
    assert "conv2d 1</b> · 4 × 28 × 28" in maps.rows[1].caption.text()
    width = maps.scroll.viewport().width()
    for row in maps.rows:
        assert row.isVisible() and row.strip.maps.shape == row.shape  # a map per channel
        assert not row.strip.pixmap().isNull() and row.strip.width() <= width
        assert row.strip.channel_at(1, 1) == 0  # what the tooltip names

    def shown_outputs_of(x):
        outputs = window.net.layer_outputs(x.reshape(1, -1))
        return all(np.allclose(row.strip.maps, x.reshape(row.shape) if row.layer < 0
                               else outputs[row.layer][0], atol=1e-5) for row in maps.rows)

    x_test, y_test = window.dataset.x_test, window.dataset.y_test
    assert maps.image_spin.value() == 0 and shown_outputs_of(x_test[0])
    drawn = maps.redraw_count
    click(qtbot, maps.next_button)
    assert maps.image_spin.value() == 1 and maps.redraw_count > drawn
    assert shown_outputs_of(x_test[1])
    assert maps.info.text().startswith(f"Test digit #1, labelled {y_test[1]} · the network says")

    # The pad is empty: using the drawing says where to draw.
    click(qtbot, maps.drawing_button)
    assert maps.message.isVisible() and "Draw a digit" in maps.message.text()
    assert not maps.scroll.isVisible()
    window.show_page(1)
    draw(qtbot, window.pad.canvas, SEVEN)
    drawing = window.pad.network_input()
    probabilities = window.pad.probabilities()  # the pad predicts with the CNN too
    assert probabilities is not None and abs(probabilities.sum() - 1) < 1e-5
    expected = window.net.predict_proba(drawing.reshape(1, -1))[0]
    assert np.allclose(probabilities, expected, atol=1e-5)
    drawn = maps.redraw_count
    window.show_page(0)
    qtbot.waitUntil(lambda: maps.redraw_count > drawn, timeout=3000)
    assert maps.scroll.isVisible() and not maps.message.isVisible()
    assert shown_outputs_of(drawing) and maps.info.text().startswith("Your drawing")

    maps.choose_image(5)  # a test image again
    assert not maps.drawing_button.isChecked() and shown_outputs_of(x_test[5])


def test_feature_maps_follow_training_a_few_times_a_second(qtbot, window):
    use_spec(qtbot, window, small_cnn())
    maps = window.feature_maps
    window.inspect_tabs.setCurrentWidget(maps)
    assert "Train" in maps.message.text() and maps.message.isVisible()
    set_small_run(qtbot, window, epochs=100, samples=1000, batch=32)
    click(qtbot, window.dashboard.train_button)
    qtbot.waitUntil(lambda: maps.redraw_count > 0, timeout=15000)
    start, drawn, before = time.perf_counter(), maps.redraw_count, maps.rows[1].strip.maps.copy()
    qtbot.waitUntil(lambda: maps.redraw_count >= drawn + 3, timeout=10000)
    qtbot.wait(1000)
    elapsed = time.perf_counter() - start
    assert maps.redraw_count - drawn <= elapsed / 0.25 + 2  # throttled
    assert not np.allclose(before, maps.rows[1].strip.maps)  # the maps change as it learns
    assert 0 < maps.last_redraw_ms
    # The pad predicts with the CNN being trained, as with a dense one.
    window.show_page(1)
    window.pad.load_test_digit(0)
    qtbot.waitUntil(lambda: window.pad.prediction() is not None, timeout=5000)
    assert "being trained" in window.pad.model_label.text()
    with qtbot.waitSignal(window.runEnded, timeout=10000):
        click(qtbot, window.dashboard.stop_button)


def test_layers_tab_shows_conv_kernels_and_batch_norm(qtbot, window):
    use_spec(qtbot, window, small_cnn(batchnorm=True))
    train(qtbot, window)
    view = window.layers_view
    window.inspect_tabs.setCurrentWidget(view)
    titles = [view.layer_combo.itemText(i) for i in range(view.layer_combo.count())]
    assert titles == ["Layer 1 · conv2d 1 → 4 channels, 5×5 (linear)",
                      "Layer 2 · batchnorm, 4 channels",
                      "Layer 4 · conv2d 4 → 6 channels, 3×3 (relu)",
                      "Layer 7 · dense 216 → 10 (softmax)"]
    view.layer_combo.setCurrentIndex(2)
    qtbot.waitUntil(lambda: "6 filters × 4 channels × 3×3" in view.stats.text(), timeout=3000)
    image = view.heatmap.image.image
    assert image.shape == (6 * 4 - 1, 4 * 4 - 1)  # a row per filter, a column per channel
    assert abs(view.weight_bars.getData()[1].sum() - 6 * 4 * 9) < 1e-6
    view.layer_combo.setCurrentIndex(1)
    qtbot.waitUntil(lambda: view.stats.text().startswith("4 channels · scale γ"), timeout=3000)
    weights = window.net.get_weights()
    assert np.allclose(view.heatmap.image.image,
                       np.stack([weights["layers.1.weight"] - 1, weights["layers.1.bias"]]))
    assert "running mean" in view.stats.text()

    maps = window.feature_maps
    window.inspect_tabs.setCurrentWidget(maps)
    qtbot.waitUntil(lambda: maps.redraw_count > 0, timeout=3000)
    assert [row.title for row in maps.rows][:3] == ["input", "conv2d 1", "batchnorm 1"]


def test_a_dense_network_keeps_its_unit_images(qtbot, window):
    train(qtbot, window, samples=300)  # the default: dense layers on 784 inputs
    tiles = window.tiles
    window.inspect_tabs.setCurrentWidget(tiles)
    qtbot.waitUntil(lambda: tiles.grid.image.image is not None, timeout=3000)
    assert tiles.tile_shape == (28, 28) and tiles.tile_count == window.net.layers[0].output_size
    assert "Unit 1</b> of layer 1" in tiles.info.text()
    maps = window.feature_maps
    window.inspect_tabs.setCurrentWidget(maps)
    qtbot.waitUntil(lambda: maps.message.isVisible(), timeout=3000)
    assert maps.rows == [] and not maps.scroll.isVisible()
    assert "Feature maps are for convolutional layers" in maps.message.text()
    assert not maps.drawing_button.isChecked()
