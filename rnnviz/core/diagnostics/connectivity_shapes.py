"""Connectivity for the network shapes beyond one causal stack: what each output reads of its input.

The same quantity as ``rnnviz.core.diagnostics.connectivity`` (read its docstring first): for
output step t and input step s, the norm of ∂ŷ_t/∂x_s, the logit of the class predicted at t
(classification) or the whole output (regression, Frobenius norm), with x_s a one-hot token
treated as continuous. Computed the same way, exactly: one forward pass of the sample, then
one backward sweep per stack in which the batch dimension holds all R readout rows.

What changes with the shape:
- padded labelled text (one stack or two): the sample is cut to its own real length n first;
  pads come after the end and reach nothing, so the map is n x n.
- bidirectional: ŷ_t reads [forward_t, backward_t], so every input matters to every output;
  the map is full (not causal) and its distance is |t - s|.
- encoder-decoder: only the source is the input of the map, C[u, s] = ||∂ŷ_u/∂x^src_s|| for
  decoder step u and source token s (in source order, also with a reversed source). The decoder's
  own teacher-forced inputs are left out: the question is what crosses the context. Its distance
  is the number of recurrent steps between reading token s and predicting u: the encoder steps
  left after s, then u + 1 decoder steps.
- vector-to-sequence: the input is the code vector v, read once: C[t, 0] = ||∂ŷ_t/∂v||, and
  the distance is t + 1 (the steps v's influence has crossed; fed at every step it also arrives
  directly, which the map shows as a flat column).

Shapes: T steps, R readout rows, L layers, H hidden (per direction), X inputs, V tokens, Y outputs.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from rnnviz.core.diagnostics.connectivity import Connectivity, widened
from rnnviz.core.nn.padding import sequence_lengths
from rnnviz.core.nn.shapes.bidirectional import BiRNN
from rnnviz.core.nn.shapes.seq2seq import Seq2Seq
from rnnviz.core.nn.shapes.vec2seq import Vec2Seq


def _readout_rows(top: np.ndarray, w_out: np.ndarray, b_out: np.ndarray, classify: bool):
    """The readout directions: (out_step (R,), direction (R,), seeds (R, W) = ∂(ŷ·u_r)/∂top)."""
    steps = top.shape[0]
    if classify:
        logits = top @ w_out.T + b_out  # (T, Y)
        direction = np.argmax(np.where(np.isfinite(logits), logits, -np.inf), axis=1)  # (T,) k_t
        out_step = np.arange(steps)
    else:
        direction = np.tile(np.arange(w_out.shape[0]), steps)  # (T*Y,)
        out_step = np.repeat(np.arange(steps), w_out.shape[0])
    return out_step, direction, w_out[direction]


def _seeded(out_step, seeds, steps: int, dtype) -> np.ndarray:
    """(T, R, W) zero but for row r at its output step, which holds its seed."""
    dtop = np.zeros((steps, out_step.size, seeds.shape[1]), dtype=dtype)
    dtop[out_step, np.arange(out_step.size)] = seeds
    return dtop


def _as_input(inputs, dtype):
    """One sample as a batch of one: ((T, 1) ids or (T, 1, X) floats, tokens?)."""
    inputs = np.asarray(inputs)
    tokens = np.issubdtype(inputs.dtype, np.integer)
    return (inputs[:, None] if tokens else inputs[:, None, :].astype(dtype)), tokens


def _stack_forward(stack, x, tokens: bool, states: list, suffix: str = "") -> list:
    """Every layer's cell run of one stack on a batch of one; ``states`` one tuple per layer."""
    runs = []
    for layer in range(stack.config.num_layers):
        xproj, w_hh, b_hh = stack.cell_inputs(x, tokens and layer == 0, layer, suffix)  # (T, 1, G*H)
        runs.append(stack.cell.forward(xproj, w_hh, b_hh, states[layer], overwrite_xproj=True))
        x = runs[-1].hidden  # (T, 1, H)
    return runs


def _zero_states(stack, hidden: int) -> list:
    zero = np.zeros((1, hidden), dtype=stack.dtype)
    return [tuple(zero for _ in stack.cell.state_names) for _ in range(stack.config.num_layers)]


def _stack_backward(stack, runs, dtop, suffix: str = ""):
    """Backward of all R rows through one stack from dtop (T, R, H) at its top layer:
    (∂/∂x (T, R, X) at its input, [∂/∂h0 (R, H) per layer])."""
    steps, rows = dtop.shape[:2]
    dabove, dstarts = dtop, [None] * len(runs)
    for layer in range(len(runs) - 1, -1, -1):
        w_ih, w_hh, _, _ = stack.layer_params(layer, suffix)
        g = stack.cell.backward(widened(runs[layer], rows, steps), dabove, w_hh, overwrite_dhidden=True)
        dstarts[layer] = g.dstate0[0]
        dabove = g.dxproj @ w_ih  # (T, R, H) into the layer below, or (T, R, X) at the input
    return dabove, dstarts


# ----------------------------------------------------------------------------- bidirectional
def bidirectional_gradients(model: BiRNN, inputs, classify: bool):
    """((T_s, R, X) gradients, out_step (R,), direction (R,)) of an unpadded sample (cut it first)."""
    x, tokens = _as_input(inputs, model.dtype)
    hid, steps = model.config.hidden_size, x.shape[0]
    layers = []
    for layer in range(model.config.num_layers):
        x_rev = np.ascontiguousarray(x[::-1])
        runs = []
        for suffix, source in (("", x), ("_reverse", x_rev)):
            xproj, w_hh, b_hh = model.cell_inputs(source, tokens and layer == 0, layer, suffix)
            start = tuple(np.zeros((1, hid), dtype=model.dtype) for _ in model.cell.state_names)
            runs.append(model.cell.forward(xproj, w_hh, b_hh, start, overwrite_xproj=True))
        layers.append(runs)
        x = np.concatenate([runs[0].hidden, runs[1].hidden[::-1]], axis=-1)  # (T, 1, 2H) [forward, backward]
    p = model.params
    out_step, direction, seeds = _readout_rows(x[:, 0], p["out.weight"], p["out.bias"], classify)
    dabove = _seeded(out_step, seeds, steps, model.dtype)  # (T, R, 2H) in input order
    for layer in range(model.config.num_layers - 1, -1, -1):
        dbelow = 0
        for k, suffix in enumerate(("", "_reverse")):
            half = dabove[..., k * hid:(k + 1) * hid]
            arriving = np.ascontiguousarray(half if k == 0 else half[::-1])  # this direction's order
            w_ih, w_hh, _, _ = model.layer_params(layer, suffix)
            g = model.cell.backward(widened(layers[layer][k], arriving.shape[1], steps), arriving, w_hh,
                                    overwrite_dhidden=True)
            dx = g.dxproj @ w_ih  # (T, R, 2H or X) in this direction's order
            dbelow = dbelow + (dx if k == 0 else dx[::-1])
        dabove = dbelow
    return dabove, out_step, direction


# ----------------------------------------------------------------------------- encoder-decoder
def source_gradients(model: Seq2Seq, inputs):
    """((S, R, V) gradients in source order, out_step (R,), direction (R,)) of one sample (S + U,)."""
    c = model.config
    inputs = np.asarray(inputs)
    source, read = inputs[:c.source_length], inputs[c.source_length:]  # (S,), (U,)
    if c.reverse_source:
        source = source[::-1]
    enc, dec = model.encoder, model.decoder
    enc_runs = _stack_forward(enc, np.ascontiguousarray(source)[:, None], True, _zero_states(enc, c.hidden_size))
    context = enc_runs[-1].hidden[-1]  # (1, He)
    fed, bridge = c.context in ("every-step", "both"), c.context in ("init", "both")
    states = _zero_states(dec, model.decoder_size)
    start = None
    if bridge:
        start = np.tanh(context @ model.params["bridge.weight"].T + model.params["bridge.bias"])  # (1, Hd)
        states = [(start, *state[1:]) for state in states]
    if fed:  # [one-hot token, context] at every decoder step
        x = np.zeros((read.size, 1, c.input_size + context.shape[1]), dtype=model.dtype)  # (U, 1, V + He)
        x[np.arange(read.size), 0, read] = 1.0
        x[:, :, c.input_size:] = context
    else:
        x = read[:, None]
    dec_runs = _stack_forward(dec, x, not fed, states)
    p = model.params
    out_step, direction, seeds = _readout_rows(dec_runs[-1].hidden[:, 0], p["out.weight"], p["out.bias"], True)
    dx, dstarts = _stack_backward(dec, dec_runs, _seeded(out_step, seeds, read.size, model.dtype))
    dcontext = dx[:, :, c.input_size:].sum(axis=0) if fed else 0.0  # (R, He)
    if bridge:
        dpre = sum(dstarts) * (1 - start * start)  # (R, Hd): every decoder layer starts at the bridge
        dcontext = dcontext + dpre @ p["bridge.weight"]
    denc = np.zeros((source.size, out_step.size, c.hidden_size), dtype=model.dtype)  # (S, R, He)
    denc[-1] = dcontext
    grads, _ = _stack_backward(enc, enc_runs, denc)  # (S, R, V) in processing order
    return (grads[::-1] if c.reverse_source else grads), out_step, direction


# ----------------------------------------------------------------------------- vector-to-sequence
def vector_gradients(model: Vec2Seq, inputs, classify: bool = False):
    """((1, R, D) gradients with respect to the code vector, out_step (R,), direction (R,));
    inputs (U, D), v read at step 0 as the model does."""
    c = model.config
    inputs = np.asarray(inputs, dtype=model.dtype)
    steps, vector = inputs.shape[0], inputs[:1]  # U, v (1, D)
    dec = model.decoder
    x = np.ones((steps, 1, 1 + (c.input_size if model.fed else 0)), dtype=model.dtype)  # (U, 1, 1 [+ D])
    if model.fed:
        x[:, :, 1:] = vector
    states = _zero_states(dec, c.hidden_size)
    start = None
    if model.uses_bridge:
        start = np.tanh(vector @ model.params["bridge.weight"].T + model.params["bridge.bias"])  # (1, H)
        states = [(start, *state[1:]) for state in states]
    runs = _stack_forward(dec, x, False, states)
    p = model.params
    out_step, direction, seeds = _readout_rows(runs[-1].hidden[:, 0], p["out.weight"], p["out.bias"], classify)
    dx, dstarts = _stack_backward(dec, runs, _seeded(out_step, seeds, steps, model.dtype))
    dvector = dx[:, :, 1:].sum(axis=0) if model.fed else np.zeros((out_step.size, c.input_size), dtype=model.dtype)
    if model.uses_bridge:
        dvector = dvector + (sum(dstarts) * (1 - start * start)) @ p["bridge.weight"]  # (R, D)
    return dvector[None], out_step, direction


# ----------------------------------------------------------------------------- the maps
def _map(grads, out_step, outputs: int) -> np.ndarray:
    """(T_out, T_in) sqrt of the squared row norms summed per output step (Frobenius for regression)."""
    squared = np.einsum("srx,srx->rs", grads, grads)  # (R, T_in)
    per_step = np.zeros((outputs, grads.shape[0]))
    np.add.at(per_step, out_step, squared)
    return np.sqrt(per_step)


def mean_over(matrix: np.ndarray, distance: np.ndarray) -> np.ndarray:
    """(D,) the mean of the finite entries of ``matrix`` at each distance 0..max (NaN where none)."""
    finite = np.isfinite(matrix)
    d = distance[finite].astype(np.int64)
    size = int(distance.max()) + 1 if distance.size else 0
    counts = np.bincount(d, minlength=size)
    sums = np.bincount(d, weights=matrix[finite], minlength=size)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(counts > 0, sums / np.maximum(counts, 1), np.nan)


def _connectivity(matrix, distance, direction, classify, **labels) -> Connectivity:
    with np.errstate(invalid="ignore", divide="ignore"):
        totals = matrix.sum(axis=1, keepdims=True)  # (T_out, 1)
        share = np.where(totals > 0, matrix / np.where(totals > 0, totals, 1.0), np.nan)
    rows = matrix.shape[0]
    return Connectivity(matrix=matrix, by_distance=mean_over(matrix, distance), share=share,
                        readout="predicted logit" if classify else "Frobenius",
                        predicted=direction.astype(np.int64) if classify else np.full(rows, -1, dtype=np.int64),
                        distance=np.broadcast_to(distance, matrix.shape).astype(np.int64), **labels)


def real_steps(model, inputs) -> int:
    """The sample's real length: its tokens before the first pad (all steps when nothing is padded)."""
    inputs = np.asarray(inputs)
    pad = getattr(model.config, "pad_id", None)
    if pad is None or inputs.ndim != 1:
        return inputs.shape[0]
    lengths = sequence_lengths(inputs[:, None], pad)
    return inputs.shape[0] if lengths is None else int(lengths[0])


def shaped_connectivity(model, inputs, state0=None, classify: bool = True) -> Connectivity:
    """The connectivity map of one sample for any shape (see the module docstring); of the
    network with its held units held, as every other view draws it."""
    from rnnviz.core.diagnostics.connectivity import connectivity
    from rnnviz.core.nn.clamp import effective_model

    model = effective_model(model)  # the helpers below read the parameters and stacks directly
    with np.errstate(all="ignore"):
        if isinstance(model, Seq2Seq):
            grads, out_step, direction = source_gradients(model, inputs)
            source, outputs = grads.shape[0], np.asarray(inputs).shape[0] - grads.shape[0]
            matrix = _map(grads, out_step, outputs)
            processed = np.arange(source)[::-1] if model.config.reverse_source else np.arange(source)
            distance = (source - 1 - processed)[None, :] + np.arange(outputs)[:, None] + 1  # (U, S)
            return _connectivity(matrix, distance, direction, True, causal=False, input_axis="source token s",
                                 output_axis="decoder step u",
                                 distance_axis="steps s \u2192 u",
                                 note="encoder-decoder: output step \u00d7 source token, through the context; the distance counts "
                                      "the recurrent steps from reading s to predicting u")
        if isinstance(model, Vec2Seq):
            grads, out_step, direction = vector_gradients(model, inputs, classify)
            steps = np.asarray(inputs).shape[0]
            matrix = _map(grads, out_step, steps)  # (U, 1)
            return _connectivity(matrix, np.arange(steps)[:, None] + 1, direction, classify, causal=False,
                                 input_axis="code vector v", output_axis="generated step t",
                                 distance_axis="steps since v",
                                 note="vector-to-sequence: \u2016\u2202\u0177_t/\u2202v\u2016 along the sequence")
        n = real_steps(model, inputs)
        padded = getattr(model.config, "pad_id", None) is not None
        # no count in the note: the panel shows it as a line of text, laid out again whenever it changes
        cut = "; the sample's real steps only (the pads after it reach nothing)" if padded else ""
        inputs = np.asarray(inputs)[:n]  # pads after the end reach nothing: the map is n x n
        if isinstance(model, BiRNN):
            grads, out_step, direction = bidirectional_gradients(model, inputs, classify)
            matrix = _map(grads, out_step, n)
            distance = np.abs(np.arange(n)[:, None] - np.arange(n)[None, :])
            return _connectivity(matrix, distance, direction, classify, causal=False,
                                 distance_axis="distance |t \u2212 s|",
                                 note="bidirectional: every input reaches every output, from both ends" + cut)
    conn = connectivity(model, inputs, state0, classify)
    return replace(conn, note=("padded text" + cut) if padded else "")
