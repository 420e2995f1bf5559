"""One training step with its real numbers: the step a run took, taken again with the formulas.

A run with ``Trainer.recording`` set keeps what its latest step started from (``last_step``):
the batch, the learning rate, the weights and running statistics, the optimizer and the dropout
generators. ``Replay`` takes that step again on a network of its own, keeping every value:

    forward    for each layer l:  its input a_{l-1}, z_l and a_l = f(z_l)
    loss       L = mean over the batch of the loss of each sample
    backward   g_L = dL/d(output) from the loss;  for l from L down to 1:
                   g_l arrives at layer l;  g_{l-1} = layer_l.backward(g_l)
               (dz = g_l · f'(z_l); dW = a_{l-1}^T dz; db = sum of dz; g_{l-1} = dz W^T)
    update     the optimizer's rule on every parameter (Adam: m, v, m_hat, v_hat)

so that the weights it ends with are the run's (tested). ``unit`` and ``position`` pick out the
numbers of one unit of a dense layer, or one output position of a convolution, for one sample.
"""

from __future__ import annotations

import copy
import inspect

import numpy as np

from .network import Network


def restore_dropout(net, record: dict) -> None:
    """The dropout layers' generators as they were before the step (one copy of them all,
    since the layers share one generator)."""
    rngs = iter(copy.deepcopy(record["dropout_rngs"]))
    for layer in net.layers:
        if layer.kind == "dropout":
            layer.rng = next(rngs)


class Replay:
    def __init__(self, spec: dict, record: dict, dtype=np.float32):
        net = self.net = Network(spec, dtype=dtype, initialize=False)
        for now, before in zip([net.params, *net.buffers()], record["state"]):
            now[...] = before
        restore_dropout(net, record)
        self.record = record
        self.x, self.y, self.lr = record["x"], record["y"], float(record["learning_rate"])
        self.before = net.params.copy()

        self.inputs = []
        a = self.x
        for layer in net.layers:
            self.inputs.append(a)
            a = layer.forward(a, training=True)
        self.out = a
        self.loss = float(net.loss.value(self.out, net.logits, self.y))
        self.arriving = [None] * len(net.layers)  # g_l: dL/d(output of layer l)
        grad = net.loss.delta(self.out, self.y)
        last = len(net.layers) - 1
        for i in range(last, -1, -1):
            self.arriving[i] = grad
            grad = net.layers[i].backward(grad, True, net.fused_output and i == last)
        self.gradients = net.grads.copy()  # before weight decay, as backprop gives them
        self.optimizer = copy.deepcopy(record["optimizer"])
        self.optimizer_before = copy.deepcopy(record["optimizer"])
        self.optimizer.step(net.params, net.grads, self.lr)
        self.used = net.grads  # the gradients the rule used (with L2 decay added)
        self.after = net.params

    # --- where a layer's parameters sit in the flat vectors ----------------------------

    def offset(self, layer: int) -> int:
        return sum(l.param_count for l in self.net.layers[:layer])

    def unit_indices(self, layer: int, unit: int) -> tuple[np.ndarray, int]:
        """The flat indices of one dense unit's incoming weights, and of its bias."""
        lay, off = self.net.layers[layer], self.offset(layer)
        n_in, n_out = lay.input_size, lay.output_size
        return off + np.arange(n_in) * n_out + unit, off + n_in * n_out + unit

    def filter_indices(self, layer: int, f: int) -> tuple[np.ndarray, int]:
        """The flat indices of one convolution filter's kernel (C, kh, kw order), and its bias."""
        lay, off = self.net.layers[layer], self.offset(layer)
        size = lay.weight_count // lay.output_shape[0]
        return off + f * size + np.arange(size), off + lay.weight_count + f

    # --- the numbers of one unit ------------------------------------------------------

    def _backward_of(self, layer: int, sample: int):
        """dL/da arriving at the layer and dz = dL/da · f'(z), for one sample (full rows)."""
        lay = self.net.layers[layer]
        g = self.arriving[layer]
        fused = self.net.fused_output and layer == len(self.net.layers) - 1
        dz = g if fused else lay.activation.backward(g, lay.z, lay.a)
        return g[sample], dz[sample], fused

    def unit(self, layer: int, unit: int, sample: int = 0) -> dict:
        """A dense unit: z = sum_i w_i a_i + b, a = f(z), then its backward pass and update."""
        lay = self.net.layers[layer]
        if lay.kind != "dense":
            raise ValueError(f"layer {layer + 1} is a {lay.kind} layer, not dense")
        w_idx, b_idx = self.unit_indices(layer, unit)
        a_in = self.inputs[layer][sample]
        g, dz, fused = self._backward_of(layer, sample)
        return {"kind": "dense", "layer": layer, "unit": unit, "sample": sample,
                "activation": lay.config.get("activation", "linear"),
                "inputs": a_in.copy(), "weights": self.before[w_idx], "bias": float(self.before[b_idx]),
                "z": float(lay.z[sample, unit]), "a": float(lay.a[sample, unit]),
                "incoming": float(g[unit]), "fused": fused, "dz": float(dz[unit]),
                "dW_sample": a_in * dz[unit],
                "update": self.update(np.append(w_idx, b_idx))}

    def position(self, layer: int, f: int, i: int, j: int, sample: int = 0) -> dict:
        """One output position (f, i, j) of a convolution: its kernel over its input patch."""
        lay = self.net.layers[layer]
        if lay.kind != "conv2d":
            raise ValueError(f"layer {layer + 1} is a {lay.kind} layer, not conv2d")
        f_, oh, ow = lay.output_shape
        flat = (f * oh + i) * ow + j
        w_idx, b_idx = self.filter_indices(layer, f)
        patch = lay.cols[sample, :, i, j]  # (C, kh, kw): the window the kernel sees
        g, dz, fused = self._backward_of(layer, sample)
        return {"kind": "conv2d", "layer": layer, "filter": f, "row": i, "column": j,
                "sample": sample, "activation": lay.config.get("activation", "relu"),
                "patch": np.array(patch), "kernel": self.before[w_idx].reshape(patch.shape),
                "bias": float(self.before[b_idx]), "z": float(lay.z[sample, flat]),
                "a": float(lay.a[sample, flat]), "incoming": float(g[flat]), "fused": fused,
                "dz": float(dz[flat]), "dW_sample": np.array(patch) * dz[flat],
                "update": self.update(np.append(w_idx, b_idx))}

    def softmax(self, sample: int = 0) -> dict:
        """The output's softmax and cross-entropy written out with the real logits."""
        z = self.net.layers[-1].z[sample].astype(np.float64)
        p = np.exp(z - z.max())
        p /= p.sum()
        label = int(self.y[sample])
        return {"logits": z, "probabilities": p, "label": label,
                "loss": float(-np.log(max(p[label], 1e-300))),
                "delta": (p - np.eye(len(z))[label]) / len(self.y)}

    def update(self, indices: np.ndarray) -> dict:
        """What the optimizer did to these parameters: before, gradient, state, after."""
        opt, old = self.optimizer, self.optimizer_before
        out = {"optimizer": type(opt).__name__.lower(), "learning_rate": self.lr, "t": opt.t,
               "before": self.before[indices], "gradient": self.gradients[indices],
               "used_gradient": self.used[indices], "after": self.after[indices].copy()}
        for name, arr in opt.state().items():
            out[f"{name}_before"] = old.state()[name][indices]
            out[name] = arr[indices]
        if "m" in out:
            b1, b2 = opt.settings["beta1"], opt.settings["beta2"]
            out["m_hat"] = out["m"] / (1 - b1 ** opt.t)
            out["v_hat"] = out["v"] / (1 - b2 ** opt.t)
        return out


def gradient_check(spec: dict, record: dict, indices: np.ndarray, h: float = 1e-5) -> dict:
    """Backprop's gradient of the step's loss for these parameters next to central differences
    (in float64, dropout masks as in the step), with the relative error of each."""
    replay = Replay(spec, record, dtype=np.float64)
    net = Network(spec, dtype=np.float64, initialize=False)
    x, y = np.asarray(record["x"], np.float64), record["y"]

    def loss_at(params):
        net.params[...] = params
        for now, before in zip(net.buffers(), record["state"][1:]):
            now[...] = before
        restore_dropout(net, record)
        out = net.forward(x, training=True)
        return net.loss.value(out, net.logits, y)

    base = np.asarray(record["state"][0], np.float64)
    numeric = np.empty(len(indices))
    for k, i in enumerate(indices):
        up, down = base.copy(), base.copy()
        up[i] += h
        down[i] -= h
        numeric[k] = (loss_at(up) - loss_at(down)) / (2 * h)
    analytic = replay.gradients[indices]
    scale = np.maximum(np.abs(analytic) + np.abs(numeric), 1e-12)
    return {"backprop": analytic, "numeric": numeric,
            "relative_error": np.abs(analytic - numeric) / scale,
            "max_relative_error": float(np.max(np.abs(analytic - numeric) / scale))}


def source(layer) -> str:
    """The reference path's own code of a layer's forward and backward passes."""
    parts = []
    for name in ("forward", "backward", "input_gradient"):
        for klass in type(layer).__mro__:
            if name in vars(klass):
                parts.append(inspect.getsource(vars(klass)[name]))
                break
    return "\n".join(_dedent(p) for p in parts)


def _dedent(text: str) -> str:
    lines = text.splitlines()
    indent = min(len(line) - len(line.lstrip()) for line in lines if line.strip())
    return "\n".join(line[indent:] for line in lines)


def describe_record(record: dict) -> str:
    n = len(record["y"])
    return (f"epoch {record['epoch']}, batch {record['batch']}: {n} sample"
            f"{'s' * (n != 1)}, learning rate {record['learning_rate']:g}")
