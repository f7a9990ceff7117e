"""A bidirectional network's trace, whose [forward, backward] arrays are joined only when read.

Why it exists: a training step needs each direction's states and dL/dh_t only in that
direction's own processing order (its ``parts``). The joined (T, L, B, 2H) arrays in input order,
``[forward, backward]`` on the last axis as PyTorch lays them out, are what the hidden-state map,
the Gates panel and the exports read, from one snapshot every so often. Building them in every
step cost two or more copies of the (T, L, B, 2H) arrays per step (more with the gated cells'
extras); here each is built from the parts the first time anyone reads it, then kept.

The fields stay those of ``Trace``: ``hidden``, ``grad_hidden`` and ``extras`` are properties
that can also be set (``dataclasses.replace`` and ``Trace``'s own ``__init__`` set them), and
None means "join from the parts when first read".
"""

from __future__ import annotations

import numpy as np

from rnnviz.core.nn.model import Trace

LAZY = ("hidden", "grad_hidden", "extras")


def gather_layers(x: np.ndarray, order: np.ndarray | None) -> np.ndarray:
    """x[order[t, b], l, b] for (T, L, B, ...) arrays (the view x[::-1] when ``order`` is None): a
    backward-direction array in processing order put back in input order, or the other way round."""
    if order is None:
        return x[::-1]
    layers, batch = x.shape[1], x.shape[2]
    return x[order[:, None, :], np.arange(layers)[None, :, None], np.arange(batch)[None, None, :]]


class JoinedTrace(Trace):
    """A Trace whose joined arrays are computed from ``parts["forward"]`` and ``parts["backward"]``
    on first read. Construct it with ``hidden=None, grad_hidden=None, extras=None``."""

    def _get(self, name: str):
        value = self.__dict__.get("_" + name)
        if value is None:
            value = self._join(name)
            self.__dict__["_" + name] = value
        return value

    def _set(self, name: str, value) -> None:
        self.__dict__["_" + name] = value

    def _join(self, name: str):
        forward, backward = self.parts["forward"], self.parts["backward"]
        order = None if self.lengths is None else backward.time_index  # (T, B); None: a plain reversal

        def join(ahead: np.ndarray, behind: np.ndarray) -> np.ndarray:  # (T, L, B, H) x 2 -> (T, L, B, 2H)
            return np.concatenate([ahead, gather_layers(behind, order)], axis=-1)

        if name == "extras":
            return {key: join(forward.extras[key], backward.extras[key]) for key in forward.extras}
        return join(getattr(forward, name), getattr(backward, name))

    hidden = property(lambda self: self._get("hidden"), lambda self, v: self._set("hidden", v))  # (T, L, B, 2H)
    grad_hidden = property(lambda self: self._get("grad_hidden"),
                           lambda self, v: self._set("grad_hidden", v))  # (T, L, B, 2H)
    extras = property(lambda self: self._get("extras"), lambda self, v: self._set("extras", v))  # (T, L, B, 2H) each
