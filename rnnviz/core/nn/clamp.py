"""Switching hidden units off: units held at a constant (0, or their mean) at every step.

A unit u of layer l held at c is, to everything downstream of it, the constant c: its column
of W_hh, and of whatever reads the layer (the next layer's W_ih, or the readout; both
directions above a bidirectional layer; the bridge and the decoder's input above an encoder:
``rnnviz.core.nn.units.readers``), multiplies c at every step. So the clamped network is
exactly an ordinary network with *effective* parameters: those columns set to 0 and c times
them added to the bias beside them (for the GRU, b_hn sits inside r ⊙ (W_hn h + b_hn), so
this holds there too; the bridge's bias sits inside its tanh, as its product does). The
unit's own update still runs (its recurrent rows zeroed as well, so that it reads nothing)
but reaches nothing: every gradient into it is exactly 0. The initial state's unit u enters
only through the same zeroed columns, so h_0[u] is held at c as well (also a decoder's h_0
from the bridge).

Gradients with respect to the real parameters follow by the chain rule: the zeroed columns
get c times the gradient of the bias that absorbed them; every other gradient is the
effective network's. The trace shows the clamped values (c) for the held units.

``effective_model`` gives the effective network (its cell zeroes the held units' rows and
columns of the step Jacobians, so the Jacobian chain is the clamped network's too);
every shape's ``loss_and_grads`` and ``forward`` call ``clamped_loss_and_grads`` /
``clamped_forward`` when the model has a clamp. Units are numbered over all the stacks of a
layer (``rnnviz.core.nn.units``).
"""

from __future__ import annotations

import copy
from dataclasses import dataclass

import numpy as np

from rnnviz.core.nn.units import locate, own_weights, readers

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


def _uses(model, clamp: UnitClamp) -> dict[tuple[str, str], tuple[list, list]]:
    """{(weight, bias): (columns, values)}: every column that reads a held unit, with its value;
    a unit's own recurrence first among them."""
    uses: dict[tuple[str, str], tuple[list, list]] = {}
    for (layer, unit), value in zip(clamp.units, clamp.values):
        w_hh, b_hh, index = own_weights(model.config, layer, unit)
        for weight, bias, column in [(w_hh, b_hh, index), *readers(model.config, layer, unit)]:
            columns, values = uses.setdefault((weight, bias), ([], []))
            columns.append(column)
            values.append(value)
    return uses


def _own_units(model, clamp: UnitClamp) -> dict[str, list]:
    """{W_hh name: [index of each held unit in that recurrence]}."""
    own: dict[str, list] = {}
    for layer, unit in clamp.units:
        w_hh, _, index = own_weights(model.config, layer, unit)
        own.setdefault(w_hh, []).append(index)
    return own


def effective_params(model, clamp: UnitClamp) -> dict[str, np.ndarray]:
    """The parameters of the ordinary network that computes the clamped one (new arrays where changed)."""
    params = dict(model.params)
    for (weight, bias), (columns, values) in _uses(model, clamp).items():
        w = params[weight].copy()  # (G*H, H), (G*H, X), (Y, H) ...
        params[bias] = params[bias] + w[:, columns] @ np.array(values, dtype=w.dtype)
        w[:, columns] = 0
        params[weight] = w
    for w_hh, units in _own_units(model, clamp).items():
        # the held units' own recurrent rows too: their update then reads nothing either, so the
        # Jacobian rows of a held unit are 0 (the chain of the vanilla cells is built from W_hh)
        w = params[w_hh]
        hid = w.shape[1]
        w[(np.arange(w.shape[0] // hid)[:, None] * hid + np.array(units)[None, :]).ravel()] = 0
    return params


class _HeldCell:
    """A cell, with the held units' rows and columns of every step Jacobian zeroed (a held
    h_t[u] depends on nothing and h_{t-1}[u] reaches nothing). The chain diagnostics pass one
    layer's ``w_hh``; the layer is recognised by that array's identity in the effective
    parameters."""

    def __init__(self, cell, units_by_id: dict) -> None:
        self._cell = cell
        self._units = units_by_id

    def __getattr__(self, name):
        return getattr(self._cell, name)

    @property
    def held_cell(self):
        """The cell wrapped: the chain applies its Jacobians with ``held_units`` masked."""
        return self._cell

    def held_units(self, w_hh) -> np.ndarray | None:
        """(n,) the units held in the layer whose recurrent weights are ``w_hh`` (None if none):
        the rows and columns of h in that layer's step Jacobians that are zero."""
        return self._units.get(id(w_hh))

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
    shared with ``model``; a network of several stacks gets copies of its stacks, which then
    see the effective parameters."""
    clamp = getattr(model, "clamp", None)
    if clamp is None or not clamp.units:
        return model
    twin = copy.copy(model)
    twin.clamp = None
    stacks = getattr(model, "stacks", None)
    if stacks:
        twin.stacks = {name: copy.copy(stack) for name, stack in stacks.items()}
        for name, stack in twin.stacks.items():
            setattr(twin, name, stack)
    twin.params = effective_params(model, clamp)  # a network of stacks hands each stack its own
    units_by_id = {id(twin.params[w_hh]): np.array(units) for w_hh, units in _own_units(model, clamp).items()}
    for holder in [twin, *(twin.stacks.values() if stacks else ())]:
        holder.cell = _HeldCell(holder.cell, units_by_id)
    return twin


def _hold_state(state, layer_values: dict) -> None:
    """Write the held values into a state (L, B, H), or into the h of an LSTM pair, in place."""
    h = state[0] if isinstance(state, tuple) else state
    for layer, (units, values) in layer_values.items():
        h[layer][:, units] = values


def _hold_trace(model, trace, clamp: UnitClamp) -> None:
    """Write the held values into the trace, in place: the states as the network used them."""
    steps = [part.hidden.shape[0] for part in trace.parts.values()]
    in_time = any(part.param_prefix for part in trace.parts.values()) and len(steps) > 1  # encoder, decoder
    for (layer, unit), value in zip(clamp.units, clamp.values):
        name, index, _ = locate(model.config, unit)
        part = trace.parts.get(name)
        if part is not None:
            part.hidden[:, layer, :, index] = value  # (T_p, B)
            part.h_last[layer][:, index] = value
        if in_time:  # the parts follow each other on the trace's one time axis, units side by side
            span = slice(0, steps[0]) if name == "encoder" else slice(steps[0], None)
            trace.hidden[span, layer, :, index] = value
            if name == "decoder":
                trace.h_last[layer][:, index] = value
        else:  # one stack, or parts side by side in the units
            trace.hidden[:, layer, :, unit] = value  # (T, B)
            trace.h_last[layer][:, unit] = value
    if trace.state_last is not None:
        _hold_state(trace.state_last, clamp.by_layer())


def clamped_loss_and_grads(model, inputs, targets, h0=None):
    """``model.loss_and_grads`` of the clamped network: loss, gradients of the real parameters, trace."""
    clamp = model.clamp
    loss, grads, trace = effective_model(model).loss_and_grads(inputs, targets, h0)
    for (weight, bias), (columns, values) in _uses(model, clamp).items():
        # the zeroed columns fed c_u into the bias: dL/dW[:, u] = c_u dL/db
        grads[weight][:, columns] = np.outer(grads[bias], values).astype(grads[weight].dtype)
    _hold_trace(model, trace, clamp)
    return loss, grads, trace


def clamped_forward(model, inputs, h0=None):
    """``model.forward`` of the clamped network: (outputs (T, B, Y), state to carry or None)."""
    outputs, state = effective_model(model).forward(inputs, h0)
    if state is not None:
        _hold_state(state, model.clamp.by_layer())
    return outputs, state
