import json

import pytest

from nndesk.engine import (SpecError, build_network, choices, default_spec, describe, list_presets,
                           load_preset, normalize, validate)


def _paths(spec):
    return {p.path for p in validate(spec)}


def test_default_spec_is_valid_and_json_round_trips():
    spec = default_spec()
    assert validate(spec) == []
    assert json.loads(json.dumps(normalize(spec))) == normalize(spec)


def test_every_problem_is_reported_at_once_with_layer_field_and_values():
    spec = default_spec()
    spec["layers"][0]["units"] = -3
    spec["layers"].insert(1, {"type": "dropout", "rate": 1.5})
    spec["optimizer"]["learning_rate"] = "fast"
    spec["training"]["epochs"] = 0
    problems = validate(spec)
    by_path = {p.path: p for p in problems}
    assert set(by_path) == {"layers[0].units", "layers[1].rate", "optimizer.learning_rate",
                            "training.epochs"}
    units = by_path["layers[0].units"]
    assert (units.layer, units.field) == (0, "units")
    assert "expected a whole number from 1" in units.message and "-3" in units.message
    assert "'fast'" in by_path["optimizer.learning_rate"].message
    assert by_path["training.epochs"].layer is None


@pytest.mark.parametrize("mutate, path", [
    (lambda s: s["layers"][0].update(activation="swish"), "layers[0].activation"),
    (lambda s: s["layers"][0].update(initializer="zeros"), "layers[0].initializer"),
    (lambda s: s["layers"][0].update(type="conv"), "layers[0].type"),
    (lambda s: s["layers"][0].update(colour="red"), "layers[0].colour"),
    (lambda s: s.update(loss="hinge"), "loss"),
    (lambda s: s.update(optimizer={"name": "lbfgs"}), "optimizer.name"),
    (lambda s: s["optimizer"].update(momentum=0.9), "optimizer.momentum"),
    (lambda s: s.update(schedule={"name": "step", "gamma": 2.0}), "schedule.gamma"),
    (lambda s: s["training"].update(validation_split=0.95), "training.validation_split"),
    (lambda s: s["training"].update(batch_size=True), "training.batch_size"),
    (lambda s: s.update(seed=-1), "seed"),
    (lambda s: s.update(input_shape=[0]), "input_shape"),
    (lambda s: s.update(layers=[]), "layers"),
    (lambda s: s["layers"].append({"type": "dropout", "rate": 0.1}), "layers[2].type"),
    (lambda s: s["layers"][-1].update(activation="relu"), "loss"),
])
def test_each_bad_value_is_named(mutate, path):
    spec = default_spec()
    mutate(spec)
    assert path in _paths(spec)


def test_not_a_dict():
    assert [p.path for p in validate([1, 2])] == ["spec"]


def test_build_raises_spec_error_with_all_problems():
    spec = default_spec()
    spec["layers"][0]["units"] = 0
    spec["loss"] = "nope"
    with pytest.raises(SpecError) as info:
        build_network(spec)
    assert len(info.value.problems) == 2
    assert "layers[0].units" in str(info.value)


def test_describe_shapes_params_and_flops():
    spec = default_spec()
    info = describe(spec)
    assert [row["output_shape"] for row in info["layers"]] == [[128], [10]]
    assert info["total_params"] == 784 * 128 + 128 + 128 * 10 + 10
    assert info["total_params"] == build_network(spec).params.size
    assert info["flops_per_sample"] == 2 * (784 * 128 + 128 * 10)  # a multiply and an add per weight
    assert info["memory_bytes"] == 4 * info["total_params"]


def test_choices_lists_every_registry():
    c = choices()
    assert {"sigmoid", "tanh", "relu", "leaky_relu", "elu", "softmax", "linear"} <= set(c["activations"])
    assert set(c["optimizers"]) == {"sgd", "momentum", "nesterov", "rmsprop", "adam", "adamw"}
    assert set(c["schedules"]) == {"constant", "step", "cosine"}
    assert c["layer_types"]["dense"]["units"] is None


def test_every_preset_is_valid_and_has_a_note():
    names = [name for name, _ in list_presets()]
    assert names[0] == "default"
    assert {"default", "xor", "nielsen_sigmoid", "tiny_relu", "deep_relu_gd", "deep_relu_adam",
            "dropout_adam"} <= set(names)
    for name, note in list_presets():
        spec = load_preset(name)
        assert validate(spec) == [] and note and spec["name"] == name
