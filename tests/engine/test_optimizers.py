"""Each optimizer against a textbook implementation written independently here."""

import math

import numpy as np
import pytest

from nndesk.engine.optimizers import OPTIMIZERS, make_optimizer
from nndesk.engine.schedules import scheduled_rate


def _reference(name, s, p, grads_seq, lr, decay):
    p = p.copy()
    m = np.zeros_like(p)
    v = np.zeros_like(p)
    for t, g in enumerate(grads_seq, 1):
        g = g.copy()
        wd = s.get("weight_decay", 0.0)
        if name != "adamw":
            g = g + wd * p * decay
        if name == "sgd":
            p -= lr * g
        elif name in ("momentum", "nesterov"):
            m = s["momentum"] * m + g
            p -= lr * (g + s["momentum"] * m) if name == "nesterov" else lr * m
        elif name == "rmsprop":
            v = s["rho"] * v + (1 - s["rho"]) * g * g
            p -= lr * g / (np.sqrt(v) + s["epsilon"])
        else:
            if name == "adamw":
                p -= lr * wd * p * decay
            m = s["beta1"] * m + (1 - s["beta1"]) * g
            v = s["beta2"] * v + (1 - s["beta2"]) * g * g
            mhat = m / (1 - s["beta1"] ** t)
            vhat = v / (1 - s["beta2"] ** t)
            p -= lr * mhat / (np.sqrt(vhat) + s["epsilon"])
    return p


@pytest.mark.parametrize("name", list(OPTIMIZERS))
@pytest.mark.parametrize("weight_decay", [0.0, 0.1])
def test_matches_reference(name, weight_decay):
    rng = np.random.default_rng(0)
    settings = {**OPTIMIZERS[name], "weight_decay": weight_decay}
    p0 = rng.normal(size=20)
    grads = [rng.normal(size=20) for _ in range(7)]
    decay = np.r_[np.ones(15), np.zeros(5)]  # the last 5 act as biases: no decay
    opt = make_optimizer({"name": name, **settings}, 20, np.float64, [slice(0, 15)])
    p = p0.copy()
    for g in grads:
        opt.step(p, g.copy(), 0.01)
    expected = _reference(name, settings, p0, grads, 0.01, decay)
    np.testing.assert_allclose(p, expected, rtol=1e-10, atol=1e-12)


def test_schedules():
    assert scheduled_rate({"name": "constant"}, 0.1, 3.5, 10) == 0.1
    step = {"name": "step", "step_epochs": 2, "gamma": 0.5}
    assert [scheduled_rate(step, 1.0, e, 10) for e in (0, 1.9, 2, 4.5)] == [1.0, 1.0, 0.5, 0.25]
    cos = {"name": "cosine", "min_lr": 0.01}
    assert scheduled_rate(cos, 1.0, 0, 10) == 1.0
    assert math.isclose(scheduled_rate(cos, 1.0, 5, 10), 0.505)
    assert math.isclose(scheduled_rate(cos, 1.0, 10, 10), 0.01)
