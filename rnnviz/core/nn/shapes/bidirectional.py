"""A bidirectional recurrent network: one stack reads the sequence forward, another backward.

Why it is here: the gradient reaching h_t then comes from both ends of the sequence, and a
tag that depends on something later becomes learnable. Layout as PyTorch's ``nn.RNN`` /
``nn.LSTM`` / ``nn.GRU`` with ``bidirectional=True``: each layer has ``weight_ih_l{k}`` ...
for the forward direction and ``weight_ih_l{k}_reverse`` ... for the backward one; a layer's
output is ``[forward, backward]`` on the last axis (2H wide), which is what the layer above
and the readout ``out.weight`` (Y, 2H) read.

Padding: a sequence of length n < T is its tokens then pads. The backward direction starts
at each sequence's own last real step: its input is the sequence reversed within its length,
``x[order[s, b], b]`` with ``order[s, b] = n_b - 1 - s`` for s < n_b (pads stay at the end, where
they reach nothing that is scored). That permutation is its own inverse, so the same gather
puts the backward outputs back in input order, and its gradient is the same gather again.

A last-step target reads both directions' final states, as PyTorch's ``h_n``: the forward
direction at the last real step n-1, the backward direction after its last processed step,
which is input step 0.

Nothing of (T, B, 2H) is joined in a step that does not need it: the readout multiplies each
direction by its own half of ``out.weight`` (only the narrow (T, B, Y) product of the backward
direction is reordered), dL/dh of each direction comes from its own product, and the trace keeps
each direction in its processing order (``parts``); its joined ``hidden``, ``grad_hidden`` and
``extras`` are built when first read (``JoinedTrace``). A layer above the first does read the
joined (T, B, 2H) input: that one is an operand of its products.

Shapes: T steps, B batch, L layers, H hidden per direction, X inputs, Y outputs, G gates.
"""

from __future__ import annotations

import numpy as np

from rnnviz.core.config import ModelConfig
from rnnviz.core.nn import init as initialisers
from rnnviz.core.nn.clamp import clamped_forward, clamped_loss_and_grads, effective_model
from rnnviz.core.nn.losses import cross_entropy, squared_error
from rnnviz.core.nn.model import RNN, Trace, _stack_extras, _stack_layers, _sum_rows_by_id, init_layer
from rnnviz.core.nn.padding import sequence_lengths
from rnnviz.core.nn.shapes.joined import JoinedTrace

DIRECTIONS = (("forward", ""), ("backward", "_reverse"))  # (part name, parameter-name suffix)


def reverse_order(steps: int, batch: int, lengths: np.ndarray | None) -> np.ndarray:
    """(T, B) input step read at each backward step: n-1 .. 0 for the real steps, then the pads."""
    t = np.arange(steps)[:, None]  # (T, 1)
    n = np.full((1, batch), steps) if lengths is None else lengths[None, :]  # (1, B)
    return np.where(t < n, n - 1 - t, t)


def gather(x: np.ndarray, order: np.ndarray | None) -> np.ndarray:
    """x[order[t, b], b] for x (T, B, ...): a new array; applied twice it gives x back. ``order``
    None: nothing is padded, every sequence is simply reversed, and this is the view x[::-1]."""
    if order is None:
        return x[::-1]
    return x[order, np.arange(x.shape[1])]


class BiRNN(RNN):
    """Stacked bidirectional cells read out by one linear layer from the top layer's [forward, backward]."""

    def __init__(self, config: ModelConfig) -> None:
        super().__init__(config)

    def _initial_params(self) -> dict[str, np.ndarray]:
        c = self.config
        rng = np.random.default_rng(c.seed)
        params: dict[str, np.ndarray] = {}
        for layer in range(c.num_layers):
            fan_in = c.input_size if layer == 0 else 2 * c.hidden_size
            for _, suffix in DIRECTIONS:
                for kind, value in init_layer(self.cell, c, rng, fan_in).items():
                    params[f"{kind}_l{layer}{suffix}"] = value
        params["out.weight"] = initialisers.normal(rng, (c.output_size, 2 * c.hidden_size), 1.0)
        params["out.bias"] = np.zeros(c.output_size)
        return {name: np.ascontiguousarray(value, dtype=self.dtype) for name, value in params.items()}

    # ----------------------------------------------------------------- forward
    def _zero_state(self, batch: int) -> tuple:
        zero = np.zeros((batch, self.config.hidden_size), dtype=self.dtype)  # (B, H)
        return tuple(zero for _ in self.cell.state_names)

    def _no_carry(self, h0) -> None:
        if h0 is not None:
            raise ValueError("a bidirectional network starts each sequence afresh: h0 must be None "
                             "(the backward direction has no state to carry into the next window)")

    def _run(self, inputs, tokens: bool, lengths, offsets=None):
        """Both directions of every layer: (order (T, B), or None for a plain reversal, per-layer
        (x, x_reversed, runs)). Each run's hidden is in its own processing order; a layer above the
        first reads the joined [forward, backward] (T, B, 2H) in input order, the top layer's is
        never joined here (the readout reads each half on its own)."""
        steps, batch = inputs.shape[:2]
        order = None if lengths is None else reverse_order(steps, batch, lengths)  # (T, B), None: plain reversal
        layers = []
        x = inputs  # (T, B) ids or (T, B, X), then (T, B, 2H)
        for layer in range(self.config.num_layers):
            if layer:
                forward, backward = layers[-1][2]
                x = np.concatenate([forward.hidden, gather(backward.hidden, order)], axis=-1)  # (T, B, 2H)
            x_rev = np.ascontiguousarray(gather(x, order))  # a plain operand for the gather or the product
            runs = []
            for (name, suffix), source in zip(DIRECTIONS, (x, x_rev)):
                xproj, w_hh, b_hh = self.cell_inputs(source, tokens and layer == 0, layer, suffix)
                offset = None if offsets is None else offsets[name][:, layer]
                runs.append(self.cell.forward(xproj, w_hh, b_hh, self._zero_state(batch), offset,
                                              overwrite_xproj=True))
            layers.append((x, x_rev, runs))
        return order, layers

    def _final_states(self, layers, lengths, batch: int) -> np.ndarray:
        """(B, 2H) PyTorch's h_n of the top layer: forward at n-1, backward after its last real step."""
        forward, backward = layers[-1][2]
        last = np.full(batch, forward.hidden.shape[0]) if lengths is None else lengths  # (B,)
        cols = np.arange(batch)
        return np.concatenate([forward.hidden[last - 1, cols], backward.hidden[last - 1, cols]], axis=-1)

    def _readout_halves(self, forward: np.ndarray, backward: np.ndarray, order) -> np.ndarray:
        """(T, B, Y) outputs from [forward, backward] without joining them: forward (T, B, H) in input
        order, backward (T, B, H) in its processing order; only the narrow (T, B, Y) is reordered."""
        steps, batch, hid = forward.shape
        w_out = self.params["out.weight"]  # (Y, 2H)
        outputs = (forward.reshape(-1, hid) @ w_out[:, :hid].T).reshape(steps, batch, -1)  # (T, B, Y)
        outputs += gather((backward.reshape(-1, hid) @ w_out[:, hid:].T).reshape(steps, batch, -1), order)
        outputs += self.params["out.bias"]
        return outputs

    def _outputs(self, kind, lengths, layers, order, batch: int):
        """(scored (B, 2H), or None when every step is scored, outputs (T, B, Y) or (B, Y))."""
        if kind.endswith("steps"):
            if lengths is not None:
                raise ValueError("padded sequences are scored at their last real step only, not at every step")
            forward, backward = layers[-1][2]
            return None, self._readout_halves(forward.hidden, backward.hidden, order)
        scored = self._final_states(layers, lengths, batch)  # (B, 2H)
        return scored, self._readout(scored)

    def forward(self, inputs, h0=None):
        """Inference: (outputs (T, B, Y) from [forward, backward] at every step, None)."""
        if self.clamp is not None:  # units held (rnnviz.core.nn.clamp)
            return clamped_forward(self, inputs, h0)
        self._no_carry(h0)
        inputs, tokens = self._check_inputs(inputs)
        lengths = sequence_lengths(inputs, self.config.pad_id) if tokens else None
        order, layers = self._run(inputs, tokens, lengths)
        forward, backward = layers[-1][2]
        return self._readout_halves(forward.hidden, backward.hidden, order), None

    def loss(self, inputs, targets) -> float:
        if self.clamp is not None:
            return effective_model(self).loss(inputs, targets)
        inputs, tokens = self._check_inputs(inputs)
        steps, batch = inputs.shape[:2]
        targets, kind = self._check_targets(targets, steps, batch)
        lengths = sequence_lengths(inputs, self.config.pad_id) if tokens else None
        order, layers = self._run(inputs, tokens, lengths)
        _, outputs = self._outputs(kind, lengths, layers, order, batch)
        loss_fn = cross_entropy if kind.startswith("ce") else squared_error
        return float(loss_fn(outputs, targets, batch)[0])

    # ----------------------------------------------------------------- loss and backward
    def loss_and_grads(self, inputs, targets, h0=None, _hidden_offsets=None, _cell_offsets=None):
        """Loss, exact gradients and the trace. ``_hidden_offsets`` {"forward", "backward"} of
        (T, L, B, H), each in its direction's processing order, probe dL/dh_t in tests."""
        if self.clamp is not None and _hidden_offsets is None:
            return clamped_loss_and_grads(self, inputs, targets, h0)
        self._no_carry(h0)
        if _cell_offsets is not None:
            raise ValueError("cell-state probes are for the single stack")
        inputs, tokens = self._check_inputs(inputs)
        steps, batch = inputs.shape[:2]
        targets, kind = self._check_targets(targets, steps, batch)
        lengths = sequence_lengths(inputs, self.config.pad_id) if tokens else None
        order, layers = self._run(inputs, tokens, lengths, _hidden_offsets)
        p, hid, num_layers = self.params, self.config.hidden_size, self.config.num_layers

        # readout and loss; arriving: dL/dh_t of the top layer from the readout, one (T, B, H) per
        # direction in its own processing order, each new memory the cell may overwrite
        scored, outputs = self._outputs(kind, lengths, layers, order, batch)
        loss_fn = cross_entropy if kind.startswith("ce") else squared_error
        loss, doutputs = loss_fn(outputs, targets, batch)
        dflat = doutputs.reshape(-1, doutputs.shape[-1])  # (T*B or B, Y)
        w_out = p["out.weight"]  # (Y, 2H)
        grads: dict[str, np.ndarray] = {"out.bias": dflat.sum(axis=0)}
        if scored is None:  # every step: each half from its own product, in its direction's order
            forward, backward = layers[-1][2]
            dflat_rev = np.ascontiguousarray(gather(doutputs, order)).reshape(-1, dflat.shape[1])  # (T*B, Y)
            grads["out.weight"] = np.concatenate([dflat.T @ forward.hidden.reshape(-1, hid),
                                                  dflat_rev.T @ backward.hidden.reshape(-1, hid)], axis=1)
            arriving = ((dflat @ w_out[:, :hid]).reshape(steps, batch, hid),
                        (dflat_rev @ w_out[:, hid:]).reshape(steps, batch, hid))
        else:  # h_n: both directions' states after their last real step, n-1 in each one's own order
            grads["out.weight"] = dflat.T @ scored  # (Y, 2H)
            dscored = dflat @ w_out  # (B, 2H)
            last = (np.full(batch, steps) if lengths is None else lengths) - 1  # (B,)
            arriving = (np.zeros((steps, batch, hid), dtype=self.dtype),
                        np.zeros((steps, batch, hid), dtype=self.dtype))
            arriving[0][last, np.arange(batch)] = dscored[:, :hid]
            arriving[1][last, np.arange(batch)] = dscored[:, hid:]

        # each direction's dL/dh_t in its own processing order, contiguous: the cells' per-step writes
        # into a half of one (T, L, B, 2H) array were measured slower than joining the halves once
        grad_parts = {name: np.empty((steps, num_layers, batch, hid), dtype=self.dtype) for name, _ in DIRECTIONS}
        grad_extras = {name: [None] * num_layers for name, _ in DIRECTIONS}
        dstate0 = {name: [None] * num_layers for name, _ in DIRECTIONS}
        for layer in range(num_layers - 1, -1, -1):
            x, x_rev, runs = layers[layer]
            below = []  # per direction: dL/d[forward, backward] of the layer below, in this direction's order
            for (name, suffix), run, darr, source in zip(DIRECTIONS, runs, arriving, (x, x_rev)):
                w_ih, w_hh, _, _ = self.layer_params(layer, suffix)
                g = self.cell.backward(run, darr, w_hh, grad_parts[name][:, layer], overwrite_dhidden=True)
                dstate0[name][layer], grad_extras[name][layer] = g.dstate0, g.extras
                dxproj = g.dxproj.reshape(steps * batch, -1)  # (T*B, G*H)
                grads[f"weight_hh_l{layer}{suffix}"] = g.dw_hh
                grads[f"bias_hh_l{layer}{suffix}"] = g.db_hh
                grads[f"bias_ih_l{layer}{suffix}"] = g.db_hh.copy() if self.cell.sums_biases else dxproj.sum(axis=0)
                if layer == 0 and tokens:
                    grads[f"weight_ih_l0{suffix}"] = _sum_rows_by_id(dxproj, source.reshape(-1), w_ih.shape[1]).T
                else:
                    grads[f"weight_ih_l{layer}{suffix}"] = dxproj.T @ source.reshape(steps * batch, -1)
                if layer > 0:  # the two halves of dL/dx, (T, B, H) each, from products with W_ih's halves
                    below.append(tuple((dxproj @ w_ih[:, half]).reshape(steps, batch, hid)
                                       for half in (slice(0, hid), slice(hid, 2 * hid))))
            if layer > 0:  # into the layer below, each direction in its own order
                (f_to_f, f_to_b), (b_to_f, b_to_b) = below
                arriving = (f_to_f + gather(b_to_f, order), gather(f_to_b, order) + b_to_b)
        grads = {name: np.ascontiguousarray(grads[name], dtype=self.dtype) for name in p}

        parts = {}
        for (name, suffix), k in zip(DIRECTIONS, range(2)):
            per_layer = [layer_runs[2][k] for layer_runs in layers]
            zero = np.zeros((num_layers, batch, hid), dtype=self.dtype)
            state0 = tuple(zero for _ in self.cell.state_names)
            parts[name] = Trace(
                hidden=_stack_layers([run.hidden for run in per_layer]), grad_hidden=grad_parts[name],
                h_last=np.stack([run.state_last[0] for run in per_layer]), state_last=None,
                outputs=outputs, target_kind=kind,
                extras=_stack_extras([{**run.extras, **ge} for run, ge in zip(per_layer, grad_extras[name])]),
                state0=state0 if len(state0) > 1 else state0[0],
                dstate0=self._per_state(dstate0[name]), lengths=lengths,
                time_index=None if suffix == "" else reverse_order(steps, batch, lengths), param_suffix=suffix)
        trace = JoinedTrace(  # hidden, dL/dh_t and extras joined as [forward, backward] when first read
            hidden=None, grad_hidden=None, extras=None,
            h_last=np.concatenate([parts["forward"].h_last, parts["backward"].h_last], axis=-1), state_last=None,
            outputs=outputs, target_kind=kind, lengths=lengths, parts=parts)
        return loss, grads, trace
