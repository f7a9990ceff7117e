"""Vector-to-sequence: a short code vector v generates a whole sequence (the captioning shape).

The decoder stack gets v as its initial state through a bridge (h0 = tanh(bridge.weight v +
bridge.bias), every layer: ``context="init"``), as an extra input at every step (it then acts
as a per-sequence bias: ``"every-step"``), or both. Its input is a constant 1, then v when fed.
The gradient story: ‖∂L_t/∂v‖ against t, how long v's influence survives along the generated
sequence (``vector_gradients``): fed at every step it reaches every t directly; given only
as the start state it must cross t steps of the recurrence.

Parameters: ``decoder.`` + a PyTorch ``nn.RNN/LSTM/GRU`` state_dict (input [1, v] or [1]),
``bridge.weight`` (H, D) and ``bridge.bias`` for "init"/"both", the readout ``out.weight`` (Y, H)
and ``out.bias``. Batches: inputs (U, B, D) floats holding v at every step (only step 0 is read),
targets (U, B, Y) floats (squared error at every step).
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from rnnviz.core.config import ModelConfig
from rnnviz.core.nn import init as initialisers
from rnnviz.core.nn.clamp import clamped_forward, clamped_loss_and_grads, effective_model
from rnnviz.core.nn.losses import squared_error
from rnnviz.core.nn.model import RNN, Trace, _stack_extras, _stack_layers


class Vec2Seq:
    """A decoder stack driven by a code vector, read out at every step."""

    def __init__(self, config: ModelConfig) -> None:
        c = config
        self.config = c
        self.dtype = np.dtype(c.dtype)
        self.fed = c.context in ("every-step", "both")
        self.uses_bridge = c.context in ("init", "both")
        plain = dict(arch="stack", bidirectional=False, pad_id=None, source_length=None, reverse_source=False,
                     decoder_hidden_size=None, decoder_cell=None)
        self.decoder = RNN(replace(c, input_size=1 + (c.input_size if self.fed else 0), **plain))
        self.stacks = {"decoder": self.decoder}
        self.cell = self.decoder.cell
        params = {f"decoder.{k}": v for k, v in self.decoder.params.items() if not k.startswith("out.")}
        if self.uses_bridge:
            rng = np.random.default_rng([c.seed, 2])
            params["bridge.weight"] = np.ascontiguousarray(
                initialisers.normal(rng, (c.hidden_size, c.input_size), 1.0), dtype=self.dtype)
            params["bridge.bias"] = np.zeros(c.hidden_size, dtype=self.dtype)
        params["out.weight"] = self.decoder.params["out.weight"]
        params["out.bias"] = self.decoder.params["out.bias"]
        self.params = params
        self.clamp = None  # rnnviz.core.nn.clamp.UnitClamp: decoder units held, or None

    @property
    def params(self) -> dict:
        return self._params

    @params.setter
    def params(self, params: dict) -> None:
        self._params = params
        own = {k[len("decoder."):]: v for k, v in params.items() if k.startswith("decoder.")}
        own.update({k: v for k, v in params.items() if k.startswith("out.")})
        self.decoder.params = own

    def _vector(self, inputs):
        inputs = np.asarray(inputs)
        c = self.config
        if not np.issubdtype(inputs.dtype, np.floating) or inputs.ndim != 3 or inputs.shape[2] != c.input_size:
            raise ValueError(f"a vector-to-sequence net reads (U, B, {c.input_size}) floats, v at every step; "
                             f"got {inputs.dtype} {inputs.shape}")
        return inputs.shape[0], inputs[0].astype(self.dtype)  # U, v (B, D)

    def _start(self, vector, steps: int):
        """(decoder input (U, B, 1 [+ D]), h0 as h0 is given or None)."""
        batch = vector.shape[0]
        x = np.ones((steps, batch, 1 + (vector.shape[1] if self.fed else 0)), dtype=self.dtype)
        if self.fed:
            x[:, :, 1:] = vector
        h0 = None
        if self.uses_bridge:
            start = np.tanh(vector @ self.params["bridge.weight"].T + self.params["bridge.bias"])  # (B, H)
            first = np.repeat(start[None], self.config.num_layers, axis=0)  # (L, B, H)
            h0 = (first, np.zeros_like(first)) if len(self.cell.state_names) > 1 else first
        return x, h0

    def forward(self, inputs, h0=None):
        if self.clamp is not None:
            return clamped_forward(self, inputs, h0)
        steps, vector = self._vector(inputs)
        x, start = self._start(vector, steps)
        return self.decoder.forward(x, start)[0], None

    def loss(self, inputs, targets) -> float:
        outputs, _ = self.forward(inputs)
        return float(squared_error(outputs, np.asarray(targets, dtype=self.dtype), outputs.shape[1])[0])

    def _backward(self, vector, x, start, states, runs, dtop, grads):
        """Backward from dtop (U, B, H) into the decoder, the bridge and v: fills grads, returns
        (grad_hidden, dstate0, grad_extras, dL/dv (B, D))."""
        dec = self.decoder
        dgrads: dict = {}
        grad_hidden, dstate0, extras, dx = dec.backward_layers(runs, dtop, x, False, dgrads, want_dinputs=self.fed)
        grads.update({f"decoder.{k}": v for k, v in dgrads.items()})
        dvector = np.zeros_like(vector)
        if self.fed:
            dvector += dx[:, :, 1:].sum(axis=0)
        if self.uses_bridge:
            h = start[0][0] if isinstance(start, tuple) else start[0]  # (B, H)
            dpre = sum(d[0] for d in dstate0) * (1 - h * h)
            grads["bridge.weight"] = dpre.T @ vector
            grads["bridge.bias"] = dpre.sum(axis=0)
            dvector += dpre @ self.params["bridge.weight"]
        return grad_hidden, dstate0, extras, dvector

    def loss_and_grads(self, inputs, targets, h0=None):
        if self.clamp is not None:
            return clamped_loss_and_grads(self, inputs, targets, h0)
        if h0 is not None:
            raise ValueError("a vector-to-sequence net starts from its vector: h0 must be None")
        steps, vector = self._vector(inputs)
        targets = np.asarray(targets, dtype=self.dtype)
        batch = vector.shape[0]
        if targets.shape != (steps, batch, self.config.output_size):
            raise ValueError(f"targets must be floats of shape {(steps, batch, self.config.output_size)}, "
                             f"got {targets.shape}")
        dec = self.decoder
        x, start = self._start(vector, steps)
        states = dec._check_state(start, batch)
        runs = dec._run_layers(x, False, states)
        top = runs[-1].hidden  # (U, B, H)
        outputs = dec._readout(top)
        loss, doutputs = squared_error(outputs, targets, batch)
        dflat = doutputs.reshape(-1, doutputs.shape[-1])
        grads = {"out.weight": dflat.T @ top.reshape(-1, top.shape[-1]), "out.bias": dflat.sum(axis=0)}
        dtop = (dflat @ self.params["out.weight"]).reshape(top.shape)
        grad_hidden, dstate0, extras, _ = self._backward(vector, x, start, states, runs, dtop, grads)
        grads = {name: np.ascontiguousarray(grads[name], dtype=self.dtype) for name in self.params}
        part = Trace(hidden=_stack_layers([run.hidden for run in runs]), grad_hidden=grad_hidden,
                     h_last=np.stack([run.state_last[0] for run in runs]), state_last=None, outputs=outputs,
                     target_kind="se_steps",
                     extras=_stack_extras([{**run.extras, **ge} for run, ge in zip(runs, extras)]),
                     state0=dec._per_state(states), dstate0=dec._per_state(dstate0), param_prefix="decoder.")
        trace = Trace(hidden=part.hidden, grad_hidden=part.grad_hidden, h_last=part.h_last, state_last=None,
                      outputs=outputs, target_kind="se_steps", extras=part.extras, parts={"decoder": part})
        return loss, grads, trace

    def vector_gradients(self, inputs, targets) -> np.ndarray:
        """(U, B) ‖∂L_t/∂v‖: each step's own loss, back to the code vector."""
        if self.clamp is not None:
            return effective_model(self).vector_gradients(inputs, targets)
        steps, vector = self._vector(inputs)
        targets = np.asarray(targets, dtype=self.dtype)
        batch = vector.shape[0]
        dec = self.decoder
        x, start = self._start(vector, steps)
        states = dec._check_state(start, batch)
        runs = dec._run_layers(x, False, states)
        outputs = dec._readout(runs[-1].hidden)
        _, doutputs = squared_error(outputs, targets, batch)
        norms = np.empty((steps, batch))
        for t in range(steps):  # U backward sweeps over a short sequence
            dtop = np.zeros_like(runs[-1].hidden)
            dtop[t] = doutputs[t] @ self.params["out.weight"]
            *_, dvector = self._backward(vector, x, start, states, runs, dtop, {})
            norms[t] = np.linalg.norm(dvector, axis=-1)
        return norms
