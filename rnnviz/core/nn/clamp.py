"""Switching hidden units off: units held at a constant (0, or their mean) at every step.

A unit u of layer l held at c is, to everything downstream of it, the constant c: its column
of W_hh, and of whatever reads the layer (the next layer's W_ih, or the readout), multiplies
c at every step. So the clamped network is exactly an ordinary network with *effective*
parameters: those columns set to 0 and c times them added to the bias beside them (for the
GRU, b_hn sits inside r ⊙ (W_hn h + b_hn), so this holds there too). The unit's own update
still runs (its recurrent rows zeroed as well, so that it reads nothing) but reaches nothing:
every gradient into it is exactly 0. The initial state's
unit u enters only through the same zeroed columns, so h_0[u] is held at c as well.

Gradients with respect to the real parameters follow by the chain rule: the zeroed columns
get c times the gradient of the bias that absorbed them; every other gradient is the
effective network's. The trace shows the clamped values (c) for the held units.

``effective_model`` gives the effective network (its cell zeroes the held units' rows and
columns of the step Jacobians, so the Jacobian chain is the clamped network's too);
``RNN.loss_and_grads`` and ``RNN.forward`` call ``clamped_loss_and_grads`` /
``clamped_forward`` when the model has a clamp.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass

import numpy as np

CLAMP_MODES = ("zero", "mean")


@dataclass(frozen=True)
class UnitClamp:
    """Held units: ``units[i] = (layer, unit)`` is held at ``values[i]``; ``mode`` says how
    the values were chosen ("zero", or "mean": the unit's mean over a batch when switched off)."""

    units: tuple  # ((layer, unit), ...), sorted, no repeats
    values: tuple  # (float, ...), one per unit
    mode: str = "zero"

    def __post_init__(self) -> None:
        units = tuple((int(layer), int(unit)) for layer, unit in self.units)
        values = tuple(float(v) for v in self.values)
        if len(units) != len(values):
            raise ValueError(f"a unit clamp needs one value per unit, got {len(units)} units and {len(values)} values")
        if len(set(units)) != len(units):
            raise ValueError("a unit is switched off twice")
        if not all(np.isfinite(values)):
            raise ValueError("a held unit's value must be a finite number")
        if self.mode not in CLAMP_MODES:
            raise ValueError(f"clamp mode must be one of {', '.join(CLAMP_MODES)}, got {self.mode!r}")
        order = sorted(range(len(units)), key=lambda i: units[i])
        object.__setattr__(self, "units", tuple(units[i] for i in order))
        object.__setattr__(self, "values", tuple(values[i] for i in order))

    def check(self, num_layers: int, hidden_size: int) -> None:
        """ValueError when a unit does not exist in a network of this shape."""
        for layer, unit in self.units:
            if not (0 <= layer < num_layers and 0 <= unit < hidden_size):
                raise ValueError(f"unit {unit} of layer {layer} does not exist (the network has {num_layers} "
                                 f"layer(s) of {hidden_size} units)")

    def by_layer(self) -> dict[int, tuple[np.ndarray, np.ndarray]]:
        """{layer: (units (K,) int, values (K,) float)}."""
        out: dict[int, tuple[list, list]] = {}
        for (layer, unit), value in zip(self.units, self.values):
            out.setdefault(layer, ([], []))
            out[layer][0].append(unit)
            out[layer][1].append(value)
        return {layer: (np.array(u, dtype=np.int64), np.array(v, dtype=np.float64)) for layer, (u, v) in out.items()}

    def masks(self, num_layers: int, hidden_size: int, dtype=np.float64) -> tuple[np.ndarray, np.ndarray]:
        """(keep (L, H) bool, held values (L, H)): h <- where(keep, h, values)."""
        keep = np.ones((num_layers, hidden_size), dtype=bool)
        values = np.zeros((num_layers, hidden_size), dtype=dtype)
        for (layer, unit), value in zip(self.units, self.values):
            keep[layer, unit] = False
            values[layer, unit] = value
        return keep, values


def _consumer(model, layer: int) -> tuple[str, str]:
    """(weight, bias) names of what reads the layer's hidden state: the readout or the next layer."""
    if layer == model.config.num_layers - 1:
        return "out.weight", "out.bias"
    return f"weight_ih_l{layer + 1}", f"bias_ih_l{layer + 1}"


def effective_params(model, clamp: UnitClamp) -> dict[str, np.ndarray]:
    """The parameters of the ordinary network that computes the clamped one (new arrays where changed)."""
    params = dict(model.params)
    for layer, (units, values) in clamp.by_layer().items():
        for weight, bias in ((f"weight_hh_l{layer}", f"bias_hh_l{layer}"), _consumer(model, layer)):
            w = params[weight].copy()  # (G*H, H) or (Y, H)
            b = params[bias] + w[:, units] @ values.astype(w.dtype)  # (G*H,) or (Y,)
            w[:, units] = 0
            params[weight], params[bias] = w, b
        # the held units' own recurrent rows too: their update then reads nothing either, so the
        # Jacobian rows of a held unit are 0 (the chain of the vanilla cells is built from W_hh)
        w_hh = params[f"weight_hh_l{layer}"]
        hid = w_hh.shape[1]
        w_hh[(np.arange(w_hh.shape[0] // hid)[:, None] * hid + units[None, :]).ravel()] = 0
    return params


class _HeldCell:
    """The model's cell, with the held units' rows and columns of every step Jacobian zeroed (a
    held h_t[u] depends on nothing and h_{t-1}[u] reaches nothing). The chain diagnostics pass
    one layer's ``w_hh``; the layer is recognised by that array's identity in the effective
    parameters."""

    def __init__(self, cell, layers: dict, params: dict) -> None:
        self._cell = cell
        self._units = {id(params[f"weight_hh_l{layer}"]): units for layer, (units, _) in layers.items()}

    def __getattr__(self, name):
        return getattr(self._cell, name)

    def step_jacobians(self, w_hh, hidden, state0, extras) -> np.ndarray:
        jac = self._cell.step_jacobians(w_hh, hidden, state0, extras)  # (T, S, S), h first
        units = self._units.get(id(w_hh))
        if units is not None:
            jac[:, units, :] = 0
            jac[:, :, units] = 0
        return jac


def effective_model(model):
    """A shallow copy of ``model`` that computes the clamped network with ordinary code (no
    clamp of its own); ``model`` itself when nothing is held. Parameters it did not change are
    shared with ``model``."""
    clamp = getattr(model, "clamp", None)
    if clamp is None or not clamp.units:
        return model
    twin = copy.copy(model)
    twin.clamp = None
    twin.params = effective_params(model, clamp)
    twin.cell = _HeldCell(model.cell, clamp.by_layer(), twin.params)
    return twin


def _hold_state(state, layer_values: dict) -> None:
    """Write the held values into a state (L, B, H), or into the h of an LSTM pair, in place."""
    h = state[0] if isinstance(state, tuple) else state
    for layer, (units, values) in layer_values.items():
        h[layer][:, units] = values


def clamped_loss_and_grads(model, inputs, targets, h0=None):
    """``model.loss_and_grads`` of the clamped network: loss, gradients of the real parameters, trace."""
    clamp = model.clamp
    twin = effective_model(model)
    loss, grads, trace = twin.loss_and_grads(inputs, targets, h0)
    layers = clamp.by_layer()
    for layer, (units, values) in layers.items():
        for weight, bias in ((f"weight_hh_l{layer}", f"bias_hh_l{layer}"), _consumer(model, layer)):
            # the zeroed columns fed c_u into the bias: dL/dW[:, u] = c_u dL/db
            grads[weight][:, units] = np.outer(grads[bias], values).astype(grads[weight].dtype)
        trace.hidden[:, layer][:, :, units] = values  # (T, B, K) the held values, as the network used them
        trace.h_last[layer][:, units] = values
    _hold_state(trace.state_last, layers)
    return loss, grads, trace


def clamped_forward(model, inputs, h0=None):
    """``model.forward`` of the clamped network: (outputs (T, B, Y), state to carry)."""
    twin = effective_model(model)
    outputs, state = twin.forward(inputs, h0)
    _hold_state(state, model.clamp.by_layer())
    return outputs, state
