"""``nndesk explain`` and the wrong answers of ``nndesk evaluate``: real processes, real files."""

import json
import subprocess
import sys

import numpy as np
import pytest

from nndesk.data import load_dataset
from nndesk.engine import build_network, load_preset, save_model
from nndesk.workflow import MNIST_PREPROCESSING


def _run(*args):
    return subprocess.run([sys.executable, "-m", "nndesk", *args], capture_output=True,
                          text=True, timeout=300)


@pytest.fixture(scope="module")
def mnist():
    return load_dataset("mnist")


@pytest.fixture(scope="module")
def dense_model(tmp_path_factory):
    path = tmp_path_factory.mktemp("model") / "dense.safetensors"
    done = _run("train", "--preset", "deep_relu_adam", "--epochs", "1", "--subset", "4000",
                "--out", str(path))
    assert done.returncode == 0, done.stderr
    return path


def _digit_files(folder, mnist, count):
    from PySide6.QtGui import QImage

    files = []
    for i in range(count):
        pixels = np.ascontiguousarray((mnist.x_test[i].reshape(28, 28) * 255).astype(np.uint8))
        image = QImage(pixels.data, 28, 28, 28, QImage.Format.Format_Grayscale8)
        path = folder / f"digit{i}.png"
        assert image.save(str(path))
        files.append(path)
    return files


def _read_png(path):
    from PySide6.QtGui import QImage

    image = QImage(str(path)).convertToFormat(QImage.Format.Format_RGB888)
    assert not image.isNull(), path
    h, w = image.height(), image.width()
    rows = np.frombuffer(image.constBits(), np.uint8, h * image.bytesPerLine())
    return rows.reshape(h, image.bytesPerLine())[:, :3 * w].reshape(h, w, 3)


def test_explain_writes_both_pictures_and_agrees_with_predict(tmp_path, mnist, dense_model):
    files = _digit_files(tmp_path, mnist, 3)
    out = tmp_path / "out"
    done = _run("explain", str(dense_model), *map(str, files), "--out", str(out))
    assert done.returncode == 0, done.stderr
    lines = [json.loads(line) for line in done.stdout.splitlines()]
    predicted = [json.loads(line) for line in
                 _run("predict", str(dense_model), *map(str, files), "--json").stdout.splitlines()]
    assert len(lines) == 3
    for line, pred, path in zip(lines, predicted, files):
        assert line["prediction"] == pred["prediction"] == line["evidence_for"]
        assert line["probabilities"] == pytest.approx(pred["probabilities"], abs=1e-6)
        assert [layer["kind"] for layer in line["layers"]] == ["dense"] * 4
        assert line["layers"][-1]["max"] == pytest.approx(line["confidence"], rel=1e-5)
        assert 0 <= line["layers"][0]["active_fraction"] <= 1
        for kind in ("layers", "evidence"):
            assert line["images"][kind] == str(out / f"{path.stem}.{kind}.png")
        evidence = _read_png(line["images"]["evidence"]).astype(int)
        red = (evidence[..., 0] > evidence[..., 2] + 60).sum()
        blue = (evidence[..., 2] > evidence[..., 0] + 60).sum()
        assert red > 200 and blue > 50  # both kinds of evidence drawn
        assert _read_png(line["images"]["layers"]).shape[0] > 400  # four layers, top to bottom


def test_explain_shows_every_layer_of_a_convolutional_network(tmp_path, mnist):
    spec = load_preset("cnn_small")
    model = save_model(build_network(spec), tmp_path / "cnn.safetensors", dataset="mnist",
                       class_names=[str(i) for i in range(10)],
                       preprocessing=dict(MNIST_PREPROCESSING))
    files = _digit_files(tmp_path, mnist, 1)
    done = _run("explain", str(model), str(files[0]), "--out", str(tmp_path), "--target", "3")
    assert done.returncode == 0, done.stderr
    line = json.loads(done.stdout)
    assert [layer["kind"] for layer in line["layers"]] == [c["type"] for c in spec["layers"]]
    net = build_network(spec)
    assert [layer["shape"] for layer in line["layers"]] == [list(l.output_shape) for l in net.layers]
    assert line["evidence_for"] == "3"


def test_explain_reports_bad_images_and_arguments(tmp_path, mnist, dense_model):
    files = _digit_files(tmp_path, mnist, 1)
    broken = tmp_path / "broken.png"
    broken.write_bytes(b"no image")
    done = _run("explain", str(dense_model), str(broken), str(files[0]), "--out", str(tmp_path))
    assert done.returncode == 1 and "broken.png" in done.stderr
    assert len(done.stdout.splitlines()) == 1  # the good image was still explained
    bad = _run("explain", str(dense_model), str(files[0]), "--out", str(tmp_path),
               "--target", "eleven")
    assert bad.returncode == 1 and "'eleven' is not one of the model's classes" in bad.stderr
    blocked = tmp_path / "file"
    blocked.write_text("")
    nowhere = _run("explain", str(dense_model), str(files[0]), "--out", str(blocked / "sub"))
    assert nowhere.returncode == 1 and "cannot make the output folder" in nowhere.stderr


def test_evaluate_lists_the_most_confidently_wrong(dense_model, mnist):
    report = json.loads(_run("evaluate", str(dense_model), "--json", "--wrong", "7").stdout)
    wrong = report["most_confidently_wrong"]
    assert len(wrong) == 7
    matrix = np.array(report["confusion_matrix"])
    assert matrix.sum() - np.trace(matrix) >= 7
    for w in wrong:
        assert str(mnist.y_test[w["index"]]) == w["label"] != w["predicted"]
    assert [w["loss"] for w in wrong] == sorted((w["loss"] for w in wrong), reverse=True)
    text = _run("evaluate", str(dense_model), "--wrong", "3").stdout
    assert "most confidently wrong" in text and text.count(" -> ") == 4  # the heading and three digits
    assert _run("evaluate", str(dense_model), "--wrong", "-1").returncode == 1

