"""The runs kept in the data folder: added, listed, found, renamed, deleted, compared."""

import json

import pytest

from nndesk.data.runs import RunStore, differences, flatten, seed_groups
from nndesk.engine import load_preset


def _add(store, spec, when, accuracy=0.9, name=None):
    history = {"epoch": [1, 2], "train_loss": [0.5, float("nan")], "batch_loss": [1.0, 0.5]}
    return store.add(spec=spec, dataset="mnist", history=history, seconds=1.5, reason="completed",
                     metrics={"test_accuracy": accuracy}, name=name, when=when)


def test_runs_are_kept_listed_and_found(tmp_path):
    store = RunStore(tmp_path)
    first = _add(store, load_preset("default"), 1000.0)
    second = _add(store, load_preset("lenet"), 2000.0, name="my cnn")
    runs = store.runs()
    assert [r["id"] for r in runs] == [first["id"], second["id"]]  # the oldest first
    assert runs[0]["history"]["train_loss"] == [0.5, None]  # JSON has no NaN
    assert "batch_loss" not in runs[0]["history"]
    assert store.get("2")["name"] == "my cnn" and store.get("my cnn")["id"] == second["id"]
    assert store.get(first["id"])["spec"]["name"] == "default"
    with pytest.raises(KeyError, match="no run 'nope'"):
        store.get("nope")


def test_rename_delete_and_export(tmp_path):
    store = RunStore(tmp_path / "runs")
    run = _add(store, load_preset("default"), 1000.0)
    store.rename(run["id"], "  baseline ")
    assert RunStore(tmp_path / "runs").get(run["id"])["name"] == "baseline"
    with pytest.raises(ValueError, match="cannot be empty"):
        store.rename(run["id"], "   ")
    out = store.export(run["id"], tmp_path / "out" / "run.json")
    assert json.loads(out.read_text())["id"] == run["id"]
    store.delete(run["id"])
    assert store.runs() == []


def test_unreadable_files_are_skipped_and_named(tmp_path):
    store = RunStore(tmp_path)
    _add(store, load_preset("default"), 1000.0)
    (tmp_path / "20200101-000000000-abcd.json").write_text("{ not json")
    (tmp_path / "20200101-000000001-abcd.json").write_text('{"id": "other"}')
    assert len(store.runs()) == 1
    assert len(store.problems) == 2 and "cannot be read" in store.problems[0]


def test_differences_name_every_setting_that_differs():
    a, b = load_preset("default"), load_preset("default")
    b["optimizer"]["learning_rate"] = 0.01
    b["layers"][1]["units"] = 300
    b["name"] = "renamed"
    rows = dict(differences([a, b]))
    assert rows == {"layers[1].units": [200, 300], "optimizer.learning_rate": [0.002, 0.01]}
    assert flatten({"input_shape": [1, 28, 28]}) == {"input_shape": [1, 28, 28]}


def test_runs_that_differ_only_in_the_seed_are_grouped(tmp_path):
    store = RunStore(tmp_path)
    for seed in (0, 1, 2):
        spec = load_preset("default")
        spec["seed"] = seed
        _add(store, spec, 1000.0 + seed)
    other = load_preset("default")
    other["optimizer"]["learning_rate"] = 0.1
    _add(store, other, 1010.0)
    groups = seed_groups(store.runs())
    assert sorted(len(g) for g in groups) == [1, 3]


def test_odd_files_never_break_the_store(tmp_path):
    store = RunStore(tmp_path)
    good = _add(store, load_preset("default"), 1000.0, name="good")
    (tmp_path / "20200101-000000002-abcd.json").write_text("[" * 100000 + "]" * 100000)
    nameless = {**json.loads((tmp_path / f"{good['id']}.json").read_text()),
                "id": "20200101-000000003-abcd"}
    del nameless["name"]
    (tmp_path / "20200101-000000003-abcd.json").write_text(json.dumps(nameless))
    odd = {**nameless, "id": "odd", "name": "odd"}
    (tmp_path / "odd.json").write_text(json.dumps(odd))
    assert [r["name"] for r in store.runs()] == ["good"]
    assert len(store.problems) == 3
    store.rename("good", "still good")
    assert store.get("still good")["id"] == good["id"]
