"""The command line as a person uses it: real processes, real files."""

import json
import subprocess
import sys

import pytest

from nndesk.cli import main


def _run(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "nndesk", *args], capture_output=True, text=True,
                          cwd=cwd, timeout=300)


def test_train_xor_json_summary_and_evaluate(tmp_path):
    out = tmp_path / "xor.safetensors"
    done = _run("train", "--preset", "xor", "--json", "--out", str(out), cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    lines = [json.loads(line) for line in done.stdout.splitlines()]
    summary = lines[-1]
    assert summary["event"] == "summary" and summary["test_accuracy"] == 1.0
    assert summary["epochs"] == 2000 and summary["model_file"] == str(out)
    assert summary["train_seconds"] > 0 and summary["samples_per_second"] > 0
    assert sum(1 for line in lines if line["event"] == "epoch") == 2000

    ev = _run("evaluate", str(out), "--json")
    assert ev.returncode == 0, ev.stderr
    report = json.loads(ev.stdout)
    assert report["accuracy"] == 1.0 and report["per_class_accuracy"] == [1.0, 1.0]
    assert report["confusion_matrix"] == [[2, 0], [0, 2]]


def test_train_mnist_subset_text_output(tmp_path, capsys):
    code = main(["train", "--preset", "deep_relu_adam", "--epochs", "1", "--subset", "3000",
                 "--out", str(tmp_path / "m.safetensors")])
    text = capsys.readouterr().out
    assert code == 0
    assert "epoch   1/1" in text and "test accuracy" in text and "saved to" in text
    assert main(["evaluate", str(tmp_path / "m.safetensors")]) == 0
    table = capsys.readouterr().out
    assert "per-class accuracy" in table and "confusion matrix" in table


def test_presets_lists_names_and_notes(capsys):
    assert main(["presets"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("default") and any(line.startswith("xor ") for line in lines)


@pytest.mark.parametrize("args, message", [
    (["train", "--epochs", "many"], "invalid int value: 'many'"),
    (["train", "--preset", "nope"], "unknown preset 'nope'"),
    (["train", "--preset", "xor", "--epochs", "0"], "training.epochs"),
    (["train", "--preset", "xor", "--dataset", "mnist"], "784"),
    (["train", "--dataset", "/no/such/folder"], "no such file or folder"),
    (["evaluate", "missing.safetensors"], "cannot read the file"),
    (["frobnicate"], "unknown command 'frobnicate'"),
])
def test_errors_are_one_line_on_stderr(tmp_path, args, message):
    done = _run(*args, cwd=tmp_path)
    assert done.returncode != 0
    assert done.stderr.count("\n") == 1 and "Traceback" not in done.stderr
    assert message in done.stderr


def test_bad_spec_file_lists_every_problem(tmp_path):
    spec = tmp_path / "spec.json"
    spec.write_text(json.dumps({"input_shape": [784], "layers": [{"type": "dense", "units": -1}],
                                "loss": "softmax_cross_entropy", "optimizer": {"name": "sgd"}}))
    done = _run("train", "--spec", str(spec))
    assert done.returncode == 1 and done.stderr.count("\n") == 1
    assert "layers[0].units" in done.stderr and "softmax output layer" in done.stderr
    spec.write_text("{not json")
    done = _run("train", "--spec", str(spec))
    assert "not valid JSON (line 1" in done.stderr


def test_non_finite_training_is_an_error_with_advice(tmp_path):
    spec = tmp_path / "s.json"
    spec.write_text(json.dumps({"input_shape": [3], "dataset": "xor",
                                "layers": [{"type": "dense", "units": 4, "activation": "linear"},
                                           {"type": "dense", "units": 1, "activation": "linear"}],
                                "loss": "mse", "optimizer": {"name": "sgd", "learning_rate": 90},
                                "training": {"batch_size": 0, "epochs": 500}}))
    done = _run("train", "--spec", str(spec), "--json")
    assert done.returncode == 1
    assert "smaller learning rate (it was 90)" in done.stderr
    assert json.loads(done.stdout.splitlines()[-1])["reason"] == "diverged"


def test_a_diverged_run_exits_non_zero_and_saves_nothing_unless_asked_to_keep_going(tmp_path):
    out = tmp_path / "m.safetensors"
    args = ("train", "--preset", "default", "--lr", "100", "--subset", "2000", "--epochs", "2",
            "--json", "--out", str(out))
    done = _run(*args)
    summary = json.loads(done.stdout.splitlines()[-1])
    assert done.returncode == 1 and summary["reason"] == "diverged"
    assert "diverged" in done.stderr and "Nothing was saved" in done.stderr and not out.exists()
    assert summary["model_file"] is None and "learning rate" in summary["error"]

    kept = _run(*args, "--keep-going")
    summary = json.loads(kept.stdout.splitlines()[-1])
    assert kept.returncode == 0 and summary["reason"] == "completed" and out.exists()
    assert summary["epochs"] == 2 and len(summary["warnings"]) == 1
    assert "warning: The run is diverging" in kept.stderr


def test_a_network_beyond_the_machines_memory_is_refused_before_it_is_built(tmp_path):
    from nndesk.engine import default_spec

    spec = default_spec()
    spec["layers"] = [{"type": "dense", "units": 65536, "activation": "relu"}] * 6 + [
        {"type": "dense", "units": 10, "activation": "softmax"}]  # 21.5 billion parameters
    (tmp_path / "huge.json").write_text(json.dumps(spec))
    done = _run("train", "--spec", str(tmp_path / "huge.json"), "--epochs", "1")
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert "Not enough memory" in done.stderr and "this machine has" in done.stderr
    assert "21,527,265,290 parameters" in done.stderr


def test_a_convolution_on_the_full_training_set_in_one_batch_is_refused_with_its_memory(tmp_path):
    from nndesk.engine import load_preset

    spec = load_preset("lenet")
    spec["layers"][0]["filters"] = spec["layers"][2]["filters"] = 64
    (tmp_path / "cnn.json").write_text(json.dumps(spec))
    done = _run("train", "--spec", str(tmp_path / "cnn.json"), "--batch-size", "0")
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert "Not enough memory" in done.stderr and "activations" in done.stderr
    assert "smaller batch size" in done.stderr


def _save_digit(path, image28, dark_on_light, scale=9, pad=(30, 0, 0, 50)):
    import numpy as np
    from PySide6.QtGui import QImage

    ink = (image28 * 255).astype(np.uint8)
    pixels = 255 - ink if dark_on_light else ink
    big = np.kron(pixels, np.ones((scale, scale), np.uint8))
    big = np.pad(big, ((pad[0], pad[1]), (pad[2], pad[3])), constant_values=255 if dark_on_light else 0)
    big = np.ascontiguousarray(big)
    image = QImage(big.data, big.shape[1], big.shape[0], big.shape[1], QImage.Format.Format_Grayscale8)
    assert image.save(str(path))


def test_predict_reads_png_and_jpeg_of_either_polarity_and_reports_bad_files(tmp_path):
    from nndesk.data import load_dataset

    model = tmp_path / "m.safetensors"
    assert main(["train", "--preset", "deep_relu_adam", "--epochs", "2", "--subset", "10000",
                 "--out", str(model)]) == 0
    mnist = load_dataset("mnist")
    files = []
    for i, (suffix, dark) in enumerate([("png", True), ("jpg", False), ("png", False)]):
        path = tmp_path / f"digit{i}.{suffix}"
        _save_digit(path, mnist.x_test[i].reshape(28, 28), dark)
        files.append(path)
    broken = tmp_path / "broken.png"
    broken.write_bytes(b"not an image at all")
    done = _run("predict", str(model), str(files[0]), str(broken), str(files[1]), str(files[2]),
                "--json")
    assert done.returncode == 1  # one file could not be read
    assert done.stderr.count("\n") == 1 and "broken.png" in done.stderr
    results = [json.loads(line) for line in done.stdout.splitlines()]
    assert [r["file"] for r in results] == [str(files[0]), str(files[1]), str(files[2])]
    assert [r["prediction"] for r in results] == [str(d) for d in mnist.y_test[:3]]
    for r in results:
        assert set(r["probabilities"]) == {str(d) for d in range(10)}
        assert abs(sum(r["probabilities"].values()) - 1) < 1e-4

    text = _run("predict", str(model), str(files[0]))
    assert text.returncode == 0 and text.stdout.startswith(f"{files[0]}: {mnist.y_test[0]} ")


@pytest.mark.parametrize("spec, message", [
    ({"input_shape": [3], "layers": [{"type": "dense", "units": 2}], "loss": "mse",
      "optimizer": {"name": "sgd"}, "training": 5}, "training: expected an object"),
    ({"input_shape": [3], "layers": [{"type": "dense", "units": 2}], "loss": "mse",
      "optimizer": "sgd"}, "optimizer: expected an object"),
])
def test_overrides_on_a_malformed_spec_give_one_line_errors(tmp_path, spec, message):
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(spec))
    done = _run("train", "--spec", str(path), "--epochs", "3", "--lr", "0.1")
    assert done.returncode == 1 and message in done.stderr
    assert "Traceback" not in done.stderr and len(done.stderr.strip().splitlines()) == 1


def test_a_spec_nested_two_thousand_levels_is_one_line_error(tmp_path):
    path = tmp_path / "deep.json"
    path.write_text('{"layers": ' + "[" * 2000 + "]" * 2000 + "}")
    done = _run("train", "--spec", str(path))
    assert done.returncode == 1 and "nested more than 32 levels" in done.stderr
    assert "Traceback" not in done.stderr


@pytest.mark.parametrize("subset", ["0", "-3"])
def test_a_subset_of_zero_or_fewer_samples_is_an_error(subset):
    done = _run("train", "--preset", "xor", "--subset", subset)
    assert done.returncode == 1 and "--subset: expected a positive number" in done.stderr


def test_a_subset_larger_than_the_data_trains_on_all_of_it_and_says_so():
    done = _run("train", "--preset", "xor", "--epochs", "5", "--subset", "1000000000", "--json")
    assert done.returncode == 0, done.stderr
    assert "not smaller than the 4 training samples there are: training on all of them" in done.stderr
    assert json.loads(done.stdout.splitlines()[-1])["reason"] == "completed"
