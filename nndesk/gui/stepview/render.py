"""The math of one unit in one recorded step, written out with its real numbers (rich text).

``step_html`` takes a ``stepmath.Replay`` and a pick (layer, unit or conv position, sample)
and writes four sections: the forward pass z = Σ w_i a_i + b with its largest terms, the loss
(softmax and cross-entropy in full for the output layer), the backward pass of the unit, and
the optimizer's update of a few of its weights and its bias.
"""

from __future__ import annotations

import numpy as np

from nndesk.engine.stepmath import describe_record

from .fmt import num, rest_of, signed, table, top_terms

UPDATE_ROWS = 4  # weights in the update table, besides the bias

NAMES = {"linear": "linear", "sigmoid": "sigmoid", "tanh": "tanh", "relu": "ReLU",
         "leaky_relu": "leaky ReLU", "elu": "ELU", "softmax": "softmax"}
FORMULAS = {"linear": "z", "sigmoid": "1 / (1 + e<sup>−z</sup>)", "tanh": "tanh(z)",
            "relu": "max(0, z)", "leaky_relu": "z if z &gt; 0, else 0.01·z",
            "elu": "z if z &gt; 0, else e<sup>z</sup> − 1"}
DERIVATIVES = {"linear": "1", "sigmoid": "a·(1 − a)", "tanh": "1 − a²",
               "relu": "1 if z &gt; 0, else 0", "leaky_relu": "1 if z &gt; 0, else 0.01",
               "elu": "1 if z &gt; 0, else a + 1"}
LOSSES = {"softmax_cross_entropy": "L<sub>n</sub> = −log p<sub>y</sub>",
          "mse": "L<sub>n</sub> = mean over the outputs j of (a<sub>j</sub> − t<sub>j</sub>)²",
          "sum_of_squares": "L<sub>n</sub> = ½ Σ<sub>j</sub> (a<sub>j</sub> − t<sub>j</sub>)²"}


def pick_data(replay, layer: int, where, sample: int) -> dict:
    """``Replay.unit`` or ``Replay.position``: ``where`` is a unit, or (filter, row, column)."""
    if replay.net.layers[layer].kind == "dense":
        return replay.unit(layer, int(where), sample)
    f, i, j = where
    return replay.position(layer, f, i, j, sample)


def sample_loss(replay, sample: int) -> float:
    net, s = replay.net, slice(sample, sample + 1)
    logits = net.layers[-1].z
    return float(net.loss.value(replay.out[s], None if logits is None else logits[s],
                                replay.y[s]))


def header_html(replay) -> str:
    return (f"<p>The step of <b>{describe_record(replay.record)}</b> · batch loss "
            f"<b>{num(replay.loss)}</b> · optimizer <b>{type(replay.optimizer).__name__}</b>"
            f"</p><hr>")


def step_html(replay, layer: int, where, sample: int, columns: int = 2) -> str:
    """The four sections, in two columns (forward | loss, backward | update) or in one."""
    d = pick_data(replay, layer, where, sample)
    terms = term_table(replay, d)
    sections = (forward_html(replay, d, terms), loss_html(replay, d),
                backward_html(replay, d, terms), update_html(d, terms))
    if columns == 1:
        return header_html(replay) + "".join(sections)
    cell = '<td width="50%" valign="top" style="padding-right: 28px; padding-bottom: 16px;">'
    return (header_html(replay) + '<table width="100%" cellspacing="0" cellpadding="0"><tr>'
            f"{cell}{sections[0]}</td>{cell}{sections[1]}</td></tr><tr>{cell}{sections[2]}"
            f"</td>{cell}{sections[3]}</td></tr></table>")


# --- forward ---------------------------------------------------------------------------

def term_table(replay, d: dict) -> dict:
    """The unit's inputs, weights and terms w_i a_i, flat, with a label for each."""
    if d["kind"] == "dense":
        a, w = d["inputs"].ravel(), d["weights"].ravel()
        labels = [f"{i}" for i in range(len(a))]
        weight_names = [f"w<sub>{i}</sub>" for i in range(len(a))]
    else:
        lay = replay.net.layers[d["layer"]]
        a, w = d["patch"].ravel(), d["kernel"].ravel()
        c, kh, kw = d["patch"].shape
        (ph, pw), s = lay.pad, lay.stride
        labels, weight_names = [], []
        for ch in range(c):
            for u in range(kh):
                for v in range(kw):
                    r, q = d["row"] * s + u - ph, d["column"] * s + v - pw
                    inside = 0 <= r < lay.input_shape[1] and 0 <= q < lay.input_shape[2]
                    labels.append(f"K[{ch},{u},{v}]&nbsp;·&nbsp;x[{ch},{r},{q}]" if inside
                                  else f"K[{ch},{u},{v}]&nbsp;·&nbsp;padding")
                    weight_names.append(f"K[{ch},{u},{v}]")
    products = w.astype(np.float64) * a.astype(np.float64)
    return {"inputs": a, "weights": w, "terms": products, "labels": labels,
            "weight_names": weight_names, "shown": top_terms(products)}


def _where(replay, d: dict) -> str:
    net, layer = replay.net, d["layer"]
    lay = net.layers[layer]
    act = NAMES.get(d["activation"], d["activation"])
    source = "the sample's input values" if layer == 0 else f"the outputs of layer {layer}"
    if d["kind"] == "dense":
        return (f"Unit <b>{d['unit']}</b> of layer {layer + 1} (dense, {lay.input_size} inputs → "
                f"{lay.output_size} units, {act}), sample <b>{d['sample']}</b> "
                f"(label {int(replay.y[d['sample']])}). Its inputs a<sub>i</sub> are {source}.")
    c, kh, kw = d["patch"].shape
    return (f"Filter <b>{d['filter']}</b> of layer {layer + 1} (conv2d, {act}) at output row "
            f"<b>{d['row']}</b>, column <b>{d['column']}</b>, sample <b>{d['sample']}</b> "
            f"(label {int(replay.y[d['sample']])}): its {c}×{kh}×{kw} kernel K over the "
            f"window x of {source} that it sees there.")


def forward_html(replay, d: dict, t: dict) -> str:
    shown = t["shown"]
    rows = [[t["labels"][i], float(t["inputs"][i]), float(t["weights"][i]), float(t["terms"][i])]
            for i in shown]
    dense = d["kind"] == "dense"
    heads = (["i", "a<sub>i</sub>", "w<sub>i</sub>", "w<sub>i</sub>·a<sub>i</sub>"] if dense
             else ["term", "x", "K", "K·x"])
    n_rest, rest_sum, zeros = rest_of(t["terms"], shown)
    total = float(t["terms"][shown].sum())
    parts = [f"<h3>1 · Forward: z = Σ w<sub>i</sub> a<sub>i</sub> + b</h3><p>{_where(replay, d)}</p>",
             f"<p>The {len(shown)} largest of its {len(t['terms'])} terms:</p>",
             table(heads, rows),
             f'<p class="eq">&nbsp;&nbsp;Σ of these {len(shown)} terms = {num(total)}</p>']
    if n_rest:
        zero = (f" ({zeros} of them {'is' if zeros == 1 else 'are'} 0: their input is 0)"
                if zeros else "")
        parts.append(f'<p class="eq">{signed(rest_sum)} &nbsp;the other {n_rest} terms{zero}</p>')
    else:
        parts[1] = f"<p>Its {len(shown)} terms, the largest first:</p>"
    parts.append(f'<p class="eq">{signed(d["bias"])} &nbsp;the bias b</p>')
    parts.append(f'<p class="eq"><b>z = {num(d["z"])}</b></p>')
    name = d["activation"]
    if name == "softmax":
        parts.append(f'<p class="eq">a = softmax(z) for this unit = <b>{num(d["a"])}</b> '
                     f"(all the layer's z are needed: see the loss below)</p>")
    else:
        parts.append(f'<p class="eq">a = {NAMES.get(name, name)}(z) = {FORMULAS.get(name, "f(z)")}'
                     f' = <b>{num(d["a"])}</b></p>')
    return "".join(parts)


# --- loss ------------------------------------------------------------------------------

def loss_html(replay, d: dict) -> str:
    net, s = replay.net, d["sample"]
    loss_name = net.spec["loss"]
    label = int(replay.y[s])
    n = len(replay.y)
    mean = (f"<p>The batch's loss is the mean over its {n} samples: "
            f"L = (1/{n}) Σ<sub>n</sub> L<sub>n</sub> = <b>{num(replay.loss)}</b>.</p>")
    head = f"<h3>2 · Loss of sample {s} (label {label})</h3>"
    output = d["layer"] == len(net.layers) - 1
    if output and loss_name == "softmax_cross_entropy":
        sm = replay.softmax(s)
        z, p = sm["logits"], sm["probabilities"]
        e = np.exp(z - z.max())
        rows = [[f"{k}{' (label)' if k == label else ''}", float(z[k]), float(z[k] - z.max()),
                 float(e[k]), float(p[k])] for k in range(len(z))]
        return (head + "<p>The output layer's logits z<sub>k</sub> through the softmax "
                "p<sub>k</sub> = e<sup>z<sub>k</sub> − max z</sup> / Σ<sub>j</sub> "
                "e<sup>z<sub>j</sub> − max z</sup> (subtracting the largest keeps e<sup>z</sup> "
                "from overflowing):</p>"
                + table(["class k", "z<sub>k</sub>", "z<sub>k</sub> − max z",
                         "e<sup>z<sub>k</sub> − max z</sup>", "p<sub>k</sub>"], rows, label)
                + f'<p class="eq">Σ<sub>j</sub> e<sup>z<sub>j</sub> − max z</sup> = {num(e.sum())}'
                  f"</p><p class=\"eq\">Cross-entropy: L<sub>n</sub> = −log p<sub>{label}</sub> = "
                  f"−log {num(p[label])} = <b>{num(sm['loss'])}</b></p>" + mean)
    formula = LOSSES.get(loss_name, "L<sub>n</sub>")
    if loss_name == "softmax_cross_entropy":
        p = replay.softmax(s)["probabilities"][label]
        formula = f"L<sub>n</sub> = −log p<sub>{label}</sub> = −log {num(p)}"
    where = ("" if output else " The loss reaches this unit through the layers above it: "
             "backprop brings its share down as dL/da (below).")
    return (head + f'<p class="eq">{formula} = <b>{num(sample_loss(replay, s))}</b></p>'
            + f"<p>{where}</p>" + mean)


# --- backward --------------------------------------------------------------------------

def _derivative(replay, d: dict) -> float:
    lay = replay.net.layers[d["layer"]]
    one = np.ones((1, 1))
    return float(lay.activation.backward(one, np.array([[d["z"]]]), np.array([[d["a"]]]))[0, 0])


def backward_html(replay, d: dict, t: dict) -> str:
    net, layer = replay.net, d["layer"]
    last = layer == len(net.layers) - 1
    n = len(replay.y)
    parts = ["<h3>3 · Backward: dL/dz, then dW and db</h3>"]
    if d["fused"]:
        label = int(replay.y[d["sample"]])
        unit = d.get("unit", 0)
        target = 1 if unit == label else 0
        parts.append(f"<p>Softmax and cross-entropy together have the simplest derivative: "
                     f"dL/dz<sub>j</sub> = (p<sub>j</sub> − t<sub>j</sub>) / N, with t the "
                     f"one-hot label.</p><p class=\"eq\">dz = ({num(d['a'])} − {target}) / {n} "
                     f"= <b>{num(d['dz'])}</b></p>")
    else:
        above = (f"from the loss ({net.spec['loss']})" if last
                 else f"by backprop from layer {layer + 2} ({net.layers[layer + 1].kind})")
        name = d["activation"]
        parts.append(f'<p class="eq">dL/da = <b>{num(d["incoming"])}</b> &nbsp;'
                     f'<span class="note">brought down {above}</span></p>')
        if d["incoming"] == 0 and not last and net.layers[layer + 1].kind == "maxpool2d":
            parts.append('<p class="note">Max pooling passes the gradient only to the largest '
                         "value of each window, and this position was not it: pick another "
                         "row or column to follow one that was.</p>")
        if name == "softmax":
            parts.append("<p>A softmax output without cross-entropy: dz<sub>j</sub> = "
                         "a<sub>j</sub> (g<sub>j</sub> − Σ<sub>k</sub> g<sub>k</sub> "
                         f"a<sub>k</sub>)</p><p class=\"eq\">dz = <b>{num(d['dz'])}</b></p>")
        else:
            fp = _derivative(replay, d)
            parts.append(f'<p class="eq">f′(z) = {DERIVATIVES.get(name, "f′(z)")} = '
                         f'<b>{num(fp)}</b></p><p class="eq">dz = dL/da · f′(z) = '
                         f'{num(d["incoming"])} × {num(fp)} = <b>{num(d["dz"])}</b></p>')
    grads = d["update"]["gradient"]
    dw = d["dW_sample"].ravel()
    shown = t["shown"]
    batch = "the batch" if d["kind"] == "dense" else "the batch and every output position"
    rows = [[t["weight_names"][i], float(t["inputs"][i]), float(dw[i]), float(grads[i])]
            for i in shown]
    parts.append(f"<p>Each weight's gradient from this sample is its input times dz; the "
                 f"gradient the optimizer uses sums these over {batch} (the 1/N of the mean "
                 f"is already in dz):</p>")
    parts.append(table(["weight", "input", "this sample: input·dz", f"Σ over {batch}"], rows))
    parts.append(f'<p class="eq">db = Σ dz over {batch} = <b>{num(grads[-1])}</b> '
                 f'<span class="note">(this sample: {num(d["dz"])})</span></p>')
    return "".join(parts)


# --- the update ------------------------------------------------------------------------

OPTIMIZERS = {"sgd": "SGD", "momentum": "Momentum", "nesterov": "Nesterov",
              "rmsprop": "RMSProp", "adam": "Adam", "adamw": "AdamW"}
RULES = {
    "sgd": "w ← w − lr · g",
    "momentum": "v ← μ v + g<br>w ← w − lr · v",
    "nesterov": "v ← μ v + g<br>w ← w − lr · (g + μ v)",
    "rmsprop": "s ← ρ s + (1 − ρ) g²<br>w ← w − lr · g / (√s + ε)",
    "adam": "m ← β₁ m + (1 − β₁) g &nbsp;&nbsp; v ← β₂ v + (1 − β₂) g²<br>"
            "m̂ = m / (1 − β₁<sup>t</sup>) &nbsp;&nbsp; v̂ = v / (1 − β₂<sup>t</sup>)<br>"
            "w ← w − lr · m̂ / (√v̂ + ε)",
}
RULES["adamw"] = "w ← w − lr · wd · w, then<br>" + RULES["adam"]
STATES = {"v": "v", "s": "s", "m": "m", "m_hat": "m̂", "v_hat": "v̂"}


def update_html(d: dict, t: dict) -> str:
    u = d["update"]
    name = u["optimizer"]
    picks = list(t["shown"][:UPDATE_ROWS]) + [len(u["before"]) - 1]  # a few weights, the bias
    names = [t["weight_names"][i] for i in picks[:-1]] + ["b"]
    quantities = [("before", u["before"]), ("g", u["used_gradient"])]
    quantities += [(STATES[k], u[k]) for k in ("m", "v", "s", "m_hat", "v_hat") if k in u]
    quantities += [("step", u["after"].astype(np.float64) - u["before"]), ("after", u["after"])]
    rows = [[f"<b>{label}</b>", *[float(values[i]) for i in picks]] for label, values in quantities]
    decay = ""
    if not np.array_equal(u["used_gradient"], u["gradient"]):
        decay = " g includes the L2 weight decay wd·w (on the weights, not the bias)."
    return (f"<h3>4 · Update: {OPTIMIZERS.get(name, name)}, learning rate {num(u['learning_rate'])}, step t = "
            f"{u['t']}</h3><p class=\"eq\">{RULES.get(name, '')}</p>"
            f"<p>Before and after, for the {len(picks) - 1} weights above with the largest "
            f"terms and the bias:{decay}</p>" + table([""] + names, rows, len(rows) - 1))


def check_html(result: dict, names: list[str], kinks: bool) -> str:
    """Backprop's gradients next to central differences, with their relative errors."""
    rows = [[n, float(b), float(c), float(e)] for n, b, c, e in
            zip(names, result["backprop"], result["numeric"], result["relative_error"])]
    worst = result["max_relative_error"]
    verdict = ('<span class="good">they agree</span>' if worst < 1e-4
               else '<span class="bad">they differ</span>')
    note = ""
    if worst >= 1e-4 and kinks:
        note = ("<p class=\"note\">Max pooling and ReLU have kinks: where the blank background "
                "gives equal values, a nudge of ±h can change which input wins, and the "
                "difference quotient then straddles the kink.</p>")
    return ("<h3>5 · Gradient check</h3><p>The central difference (L(w + h) − L(w − h)) / 2h "
            f"with h = 10<sup>−5</sup>, in float64, for {len(names) - 1} of the unit's weights "
            "(those with the largest gradients) and its bias, next to backprop's gradient g; "
            "relative error |g − g′| / (|g| + |g′|).</p>"
            + table(["parameter", "backprop", "central difference", "relative error"], rows)
            + f"<p>Largest relative error <b>{num(worst, 2)}</b>: {verdict}.</p>{note}")

