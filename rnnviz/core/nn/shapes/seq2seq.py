"""The encoder–decoder: every gradient that reaches the source passes through one context vector.

An encoder stack reads the source and emits no output; its top layer's last state is the
context c. The decoder stack, trained with teacher forcing (it reads the previous target,
starting from a go token), gets c as its initial state through a bridge
(h0 = tanh(bridge.weight c + bridge.bias), every decoder layer), as an extra input at every
step ([one-hot token, c], so c acts as a per-sequence bias), or both. ``reverse_source``
feeds the source backwards, which puts its first tokens next to the first outputs
(Sutskever, Vinyals & Le 2014). Encoder and decoder may differ in size and cell.

Parameters: ``encoder.`` + a PyTorch ``nn.RNN/LSTM/GRU`` state_dict (input: one-hot tokens),
``decoder.`` + another (input: one-hot tokens, then c for "every-step"/"both"),
``bridge.weight`` (Hd, He) and ``bridge.bias`` for "init"/"both", and the readout
``out.weight`` (Y, Hd), ``out.bias``.

Batches: inputs (S + U, B) token ids, the S source tokens then the U decoder inputs; targets
(U, B) ids. S is ``ModelConfig.source_length`` (set from the data).

Shapes: S source steps, U decoder steps, B batch, L layers, He / Hd encoder / decoder units,
V tokens (inputs), Y outputs.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from rnnviz.core.config import ModelConfig
from rnnviz.core.nn import init as initialisers
from rnnviz.core.nn.clamp import clamped_forward, clamped_loss_and_grads, effective_model
from rnnviz.core.nn.losses import cross_entropy
from rnnviz.core.nn.model import RNN, Trace, _stack_extras, _stack_layers

STACKS = ("encoder", "decoder")


class Seq2Seq:
    """Encoder and decoder stacks, a bridge for the context, a readout over the decoder."""

    def __init__(self, config: ModelConfig) -> None:
        c = config
        if c.source_length is None:
            raise ValueError("an encoder-decoder needs source_length: how many input steps are the source")
        self.config = c
        self.dtype = np.dtype(c.dtype)
        plain = dict(arch="stack", bidirectional=False, pad_id=None, source_length=None, reverse_source=False,
                     decoder_hidden_size=None, decoder_cell=None)
        self.encoder = RNN(replace(c, output_size=1, **plain))
        fed = c.hidden_size if c.context in ("every-step", "both") else 0  # c joins the decoder's input
        self.decoder = RNN(replace(c, input_size=c.input_size + fed, hidden_size=self.decoder_size,
                                   cell=c.decoder_cell or c.cell, seed=c.seed + 1, **plain))
        self.stacks = {"encoder": self.encoder, "decoder": self.decoder}
        self.cell = self.encoder.cell  # the encoder's, for code that asks a model for one cell
        params = {f"encoder.{k}": v for k, v in self.encoder.params.items() if not k.startswith("out.")}
        params.update({f"decoder.{k}": v for k, v in self.decoder.params.items() if not k.startswith("out.")})
        if self.uses_bridge:
            rng = np.random.default_rng([c.seed, 2])
            params["bridge.weight"] = np.ascontiguousarray(
                initialisers.normal(rng, (self.decoder_size, c.hidden_size), 1.0), dtype=self.dtype)
            params["bridge.bias"] = np.zeros(self.decoder_size, dtype=self.dtype)
        params["out.weight"] = self.decoder.params["out.weight"]
        params["out.bias"] = self.decoder.params["out.bias"]
        self.params = params
        self.clamp = None  # rnnviz.core.nn.clamp.UnitClamp: units of either stack held, or None

    @property
    def decoder_size(self) -> int:
        return self.config.decoder_hidden_size or self.config.hidden_size

    @property
    def uses_bridge(self) -> bool:
        return self.config.context in ("init", "both")

    @property
    def params(self) -> dict:
        return self._params

    @params.setter
    def params(self, params: dict) -> None:
        """One dict in PyTorch names; each stack sees its own entries (the same arrays)."""
        self._params = params
        for name, stack in self.stacks.items():
            own = {k[len(name) + 1:]: v for k, v in params.items() if k.startswith(name + ".")}
            if name == "decoder":
                own.update({k: v for k, v in params.items() if k.startswith("out.")})
            stack.params = own

    # ----------------------------------------------------------------- checking
    def _split(self, inputs, targets=None):
        c = self.config
        inputs = np.asarray(inputs)
        if not np.issubdtype(inputs.dtype, np.integer) or inputs.ndim != 2:
            raise ValueError(f"an encoder-decoder reads token ids (S + U, B), got dtype {inputs.dtype} "
                             f"shape {inputs.shape}")
        steps = inputs.shape[0] - c.source_length
        if steps < 1:
            raise ValueError(f"inputs need the {c.source_length} source steps and at least one decoder step, "
                             f"got {inputs.shape[0]} steps")
        if inputs.size and (inputs.min() < 0 or inputs.max() >= c.input_size):
            raise ValueError(f"token ids must lie in [0, {c.input_size}), got {inputs.min()} .. {inputs.max()}")
        source, read = inputs[:c.source_length], inputs[c.source_length:]  # (S, B), (U, B)
        if c.reverse_source:
            source = source[::-1].copy()
        if targets is not None:
            targets = np.asarray(targets)
            if (not np.issubdtype(targets.dtype, np.integer) or targets.shape != read.shape
                    or (targets.size and (targets.min() < 0 or targets.max() >= c.output_size))):
                raise ValueError(f"targets must be class ids in [0, {c.output_size}) of shape {read.shape} "
                                 f"(one per decoder step), got {targets.dtype} {targets.shape}")
        return source, read, targets

    # ----------------------------------------------------------------- forward
    def _decoder_input(self, read, context):
        """The decoder's input: the token ids (U, B) themselves when the context only starts it (a row
        gather, as any token input), else (U, B, V + He) one-hot tokens then the context at every step."""
        steps, batch = read.shape
        width = self.config.input_size
        fed = self.config.context in ("every-step", "both")
        if not fed:
            return read
        x = np.zeros((steps, batch, width + (context.shape[1] if fed else 0)), dtype=self.dtype)
        x[np.arange(steps)[:, None], np.arange(batch)[None, :], read] = 1.0
        if fed:
            x[:, :, width:] = context
        return x

    def _encode(self, source, hidden_out=None):
        """(encoder runs, context (B, He), the decoder's h0 as h0 is given, or None for zeros).
        ``hidden_out`` (S, L, B, He) or None: where the encoder writes its states."""
        enc = self.encoder
        enc_runs = enc._run_layers(source, True, enc._check_state(None, source.shape[1]), hidden_out=hidden_out)
        context = enc_runs[-1].hidden[-1]  # (B, He) the encoder's last top state
        h0 = None
        if self.uses_bridge:
            start = np.tanh(context @ self.params["bridge.weight"].T + self.params["bridge.bias"])  # (B, Hd)
            names = self.decoder.cell.state_names
            layers = self.config.num_layers
            first = np.repeat(start[None], layers, axis=0)  # (L, B, Hd): every decoder layer starts there
            h0 = (first, np.zeros_like(first)) if len(names) > 1 else first
        return enc_runs, context, h0

    def _run(self, source, read, joined=None):
        """Both stacks forward; ``joined`` (S + U, L, B, H) or None: where they write their states,
        the encoder's in source order, so that the trace's joined states need no copy."""
        s = source.shape[0]
        enc_runs, context, h0 = self._encode(source, None if joined is None else self._in_source_order(joined[:s]))
        x = self._decoder_input(read, context)
        dec = self.decoder
        dec_states = dec._check_state(h0, read.shape[1])
        dec_runs = dec._run_layers(x, x.ndim == 2, dec_states, hidden_out=None if joined is None else joined[s:])
        return enc_runs, context, x, h0, dec_states, dec_runs

    def _in_source_order(self, encoder_steps: np.ndarray) -> np.ndarray:
        """The encoder's (S, ...) array in source order: reversed (a view) when the source is read backwards."""
        return encoder_steps[::-1] if self.config.reverse_source else encoder_steps

    def _joined(self, steps: int, batch: int):
        """A new (S + U, L, B, H) array for both stacks' states when they have the same width, else None."""
        c = self.config
        if self.decoder_size != c.hidden_size:
            return None
        return np.empty((c.source_length + steps, c.num_layers, batch, c.hidden_size), dtype=self.dtype)

    def forward(self, inputs, h0=None):
        """Teacher-forced outputs (U, B, Y) and None."""
        if self.clamp is not None:
            return clamped_forward(self, inputs, h0)
        source, read, _ = self._split(inputs)
        *_, dec_runs = self._run(source, read)
        return self.decoder._readout(dec_runs[-1].hidden), None

    def loss(self, inputs, targets) -> float:
        source, read, targets = self._split(inputs, targets)
        outputs, _ = self.forward(inputs)
        return float(cross_entropy(outputs, targets, read.shape[1])[0])

    def greedy(self, inputs) -> np.ndarray:
        """Greedy decoding: (U, B) ids. The decoder starts from the batch's own first decoder
        input (the go token) and then reads, step by step, its own previous answer."""
        if self.clamp is not None:
            return effective_model(self).greedy(inputs)
        source, read, _ = self._split(inputs)
        steps, batch = read.shape
        _, context, state = self._encode(source)
        token = read[0]  # (B,) the go token
        answer = np.empty((steps, batch), dtype=np.int64)
        for u in range(steps):
            outputs, state = self.decoder.forward(self._decoder_input(token[None].copy(), context), state)
            answer[u] = token = outputs[0].argmax(axis=-1)
        return answer

    # ----------------------------------------------------------------- loss and backward
    def loss_and_grads(self, inputs, targets, h0=None):
        if self.clamp is not None:
            return clamped_loss_and_grads(self, inputs, targets, h0)
        if h0 is not None:
            raise ValueError("an encoder-decoder starts each sequence afresh: h0 must be None")
        source, read, targets = self._split(inputs, targets)
        steps, batch = read.shape
        s = self.config.source_length
        joined_hidden, joined_grad = self._joined(steps, batch), self._joined(steps, batch)  # or None
        enc_runs, context, x, dec_h0, dec_states, dec_runs = self._run(source, read, joined_hidden)
        dec, enc, p = self.decoder, self.encoder, self.params
        top = dec_runs[-1].hidden  # (U, B, Hd)
        outputs = dec._readout(top)  # (U, B, Y)
        loss, doutputs = cross_entropy(outputs, targets, batch)
        dflat = doutputs.reshape(-1, doutputs.shape[-1])  # (U*B, Y)
        grads = {"out.weight": dflat.T @ top.reshape(-1, top.shape[-1]), "out.bias": dflat.sum(axis=0)}
        dtop = (dflat @ p["out.weight"]).reshape(top.shape)  # (U, B, Hd)
        fed = self.config.context in ("every-step", "both")
        dgrads: dict = {}
        dec_gh, dec_d0, dec_ge, dx = dec.backward_layers(dec_runs, dtop, x, x.ndim == 2, dgrads, want_dinputs=fed,
                                                         grad_hidden=None if joined_grad is None else joined_grad[s:])
        dcontext = np.zeros_like(context)  # (B, He)
        if fed:
            dcontext += dx[:, :, self.config.input_size:].sum(axis=0)
        if self.uses_bridge:
            start = dec_h0[0][0] if isinstance(dec_h0, tuple) else dec_h0[0]  # (B, Hd)
            dstart = sum(d[0] for d in dec_d0)  # every layer's dL/dh0
            dpre = dstart * (1 - start * start)  # through the tanh
            grads["bridge.weight"] = dpre.T @ context
            grads["bridge.bias"] = dpre.sum(axis=0)
            dcontext += dpre @ p["bridge.weight"]
        denc = np.zeros_like(enc_runs[-1].hidden)  # (S, B, He): the context is the last top state
        denc[-1] = dcontext
        egrads: dict = {}
        enc_gh, enc_d0, enc_ge, _ = enc.backward_layers(
            enc_runs, denc, source, True, egrads,
            grad_hidden=None if joined_grad is None else self._in_source_order(joined_grad[:s]))
        grads.update({f"decoder.{k}": v for k, v in dgrads.items()})
        grads.update({f"encoder.{k}": v for k, v in egrads.items()})
        grads = {name: np.ascontiguousarray(grads[name], dtype=self.dtype) for name in p}

        order = None
        if self.config.reverse_source:  # processing step i read source token S-1-i
            order = np.repeat((s - 1 - np.arange(s))[:, None], batch, axis=1)
        parts = {
            "encoder": self._part(enc, enc_runs, enc_gh, enc_ge, enc_d0, enc._check_state(None, batch),
                                  outputs, order, "encoder."),
            "decoder": self._part(dec, dec_runs, dec_gh, dec_ge, dec_d0, dec_states, outputs, None, "decoder."),
        }
        encoder, decoder = parts["encoder"], parts["decoder"]
        if joined_hidden is None:  # different widths: joined here, zero-padded
            joined_hidden = _joined_in_time(self._in_source_order(encoder.hidden), decoder.hidden)
            joined_grad = _joined_in_time(self._in_source_order(encoder.grad_hidden), decoder.grad_hidden)
        trace = Trace(
            hidden=joined_hidden,
            grad_hidden=joined_grad,
            h_last=decoder.h_last, state_last=None, outputs=outputs, target_kind="ce_steps", parts=parts,
            extras=_joined_extras(encoder.extras, decoder.extras, order is not None))
        return loss, grads, trace

    @staticmethod
    def _part(stack, runs, grad_hidden, grad_extras, dstate0, states, outputs, order, prefix) -> Trace:
        return Trace(
            hidden=_stack_layers([run.hidden for run in runs]), grad_hidden=grad_hidden,
            h_last=np.stack([run.state_last[0] for run in runs]), state_last=None, outputs=outputs,
            target_kind="ce_steps",
            extras=_stack_extras([{**run.extras, **ge} for run, ge in zip(runs, grad_extras)]),
            state0=stack._per_state(states), dstate0=stack._per_state(dstate0),
            time_index=order, param_prefix=prefix)


def _joined_extras(encoder: dict, decoder: dict, reversed_source: bool) -> dict:
    """The cells' per-step arrays (gates, ...) of both stacks on the one time axis, the encoder's in
    source order; NaN where a stack has no such array or fewer units (cells of two kinds)."""
    joined = {}
    for name in sorted(set(encoder) | set(decoder)):
        enc, dec = encoder.get(name), decoder.get(name)
        enc = None if enc is None else (enc[::-1] if reversed_source else enc)
        ref = enc if enc is not None else dec
        steps = (encoder[next(iter(encoder))].shape[0] if encoder else 0,
                 decoder[next(iter(decoder))].shape[0] if decoder else 0)
        width = max(a.shape[-1] for a in (enc, dec) if a is not None)
        out = np.full((steps[0] + steps[1], *ref.shape[1:-1], width), np.nan, dtype=ref.dtype)
        if enc is not None:
            out[:steps[0], ..., :enc.shape[-1]] = enc
        if dec is not None:
            out[steps[0]:, ..., :dec.shape[-1]] = dec
        joined[name] = out
    return joined


def _joined_in_time(encoder: np.ndarray, decoder: np.ndarray) -> np.ndarray:
    """(S, L, B, He) and (U, L, B, Hd) on one time axis (S + U, L, B, max(He, Hd)), zero-padded units."""
    width = max(encoder.shape[-1], decoder.shape[-1])
    joined = np.zeros((encoder.shape[0] + decoder.shape[0], *encoder.shape[1:-1], width), dtype=encoder.dtype)
    joined[:encoder.shape[0], ..., :encoder.shape[-1]] = encoder
    joined[encoder.shape[0]:, ..., :decoder.shape[-1]] = decoder
    return joined
