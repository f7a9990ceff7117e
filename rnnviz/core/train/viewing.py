"""What a Trainer hands to whoever watches: snapshots and the views' data, as copies, and the
units switched off.

A mixin of ``Trainer`` (rnnviz.core.train.trainer), kept apart so that the training loop reads
on its own. A snapshot describes one network: the last batch is run again through the weights
as they are now (or, when those overflow on it, the last finite state is shown and says so).
"""

from __future__ import annotations

import copy
import time

import numpy as np

from rnnviz.core.diagnostics import summary as diagnostics
from rnnviz.core.nn.clamp import effective_model
from rnnviz.core.nn.shapes import shape_name
from rnnviz.core.nn.shapes.parts import trim
from rnnviz.core.train import divergence as blowup
from rnnviz.core.train import views as detail_views
from rnnviz.core.train.history import SERIES
from rnnviz.core.train.parts import part_steps
from rnnviz.core.train.records import LastBatch, Snapshot, ViewData


class Viewing:
    """``Trainer``'s snapshots, view data and held units (see the module docstring)."""

    # ------------------------------------------------------------------ copies for the views
    @property
    def sample_count(self) -> int:
        """How many sequences the last batch holds: the samples a snapshot can show (before any
        step, the snapshot previews a batch of the configured size)."""
        if self._last is None:
            return int(self.train_config.batch_size)
        return int(np.shape(self._last.inputs)[1])

    def snapshot(self, sample: int = 0, views=None) -> Snapshot:
        """Copies of the weights, and of the last batch run through them (its gradients and one
        sample's trace), with diagnostics: everything in it describes the current network.
        ``views``: the views that will read it (None: all), see ``summary.summarize``."""
        if self._last is None:
            self._last = self._preview()
        elif not self._last_is_current:
            # The step's trace was made before its update: run the same batch through the weights
            # as they are now, so that diagnostics (chain, spectrum, regime) describe one network.
            current = self._trace_batch(self._last.inputs, self._last.targets, self._last.h0)
            if blowup.finite_pass(current) or not blowup.finite_pass(self._last):
                self._last, self.view_note = current, ""
            else:  # an update threw the weights so far that this batch overflows: show the last finite pass
                self.view_note = (f"last finite state: step {self.step_count}'s own pass, before its update "
                                  "(the weights after it overflow to NaN/Inf on this batch)")
        self._last_is_current = True
        with np.errstate(all="ignore"):
            if not self.view_note or self._last_updates is None:
                return self._snapshot(sample, views)
            # the last finite state is the weights before the update that threw them: show those
            params = self.model.params
            now = {name: value.copy() for name, value in params.items()}
            try:
                for name, delta in self._last_updates.items():
                    params[name] += delta
                return self._snapshot(sample, views)
            finally:
                for name, value in now.items():
                    params[name][...] = value

    def _snapshot(self, sample: int, views=None) -> Snapshot:
        inputs, targets, trace, grads = self._last.inputs, self._last.targets, self._last.trace, self._last.grads
        inputs, targets = np.asarray(inputs), np.asarray(targets)
        s = min(max(int(sample), 0), inputs.shape[1] - 1)
        scored_steps = trace.target_kind.endswith("steps")
        if trace.lengths is not None:  # a padded sample: its plots end at its own last step
            trace = trim(trace, int(trace.lengths[s]))
        steps = trace.hidden.shape[0]  # the sample's own, when padded
        part_mean = self._last.part_grad_mean
        sample_inputs = inputs[:steps, s].copy()
        return Snapshot(
            step=self.step_count,
            params={n: p.copy() for n, p in self.model.params.items()},
            grads={n: g.copy() for n, g in grads.items()},
            hidden=trace.hidden[:, :, s].copy(),  # (T, L, H)
            grad_hidden=trace.grad_hidden[:, :, s].copy(),  # (T, L, H)
            grad_hidden_mean=self._last.grad_mean[:steps].copy(),  # (T, L)
            inputs=sample_inputs,
            targets=np.array(targets[:, s] if scored_steps else targets[s]),  # (T,) (T, Y) () or (Y,)
            outputs=np.array(trace.outputs[:, s] if scored_steps else trace.outputs[s]),  # (T, Y) or (Y,)
            labels=list(self.source.token_labels(sample_inputs)),
            # with units held, the network that runs: its chain and spectrum (rnnviz.core.nn.clamp)
            diagnostics=diagnostics.summarize(effective_model(self.model), trace, s, views),
            extras={n: a[:, :, s].copy() for n, a in trace.extras.items()},
            parts=tuple(trace.parts),
            part_grad_mean=None if part_mean is None else part_mean[:steps].copy(),  # (T, L, P)
            part_steps=part_steps(trace),
            decoded=self._decoded(inputs, s),
            vector_grads=self._vector_grads(inputs, targets, s),
            shape=shape_name(self.model_config),
            note=self.view_note,
        )

    def _decoded(self, inputs, sample: int):
        """The sample's greedy decoding (U,) ids for a network that decodes, else None."""
        if not hasattr(self.model, "greedy"):
            return None
        return self.model.greedy(np.asarray(inputs)[:, sample:sample + 1])[:, 0]

    def _vector_grads(self, inputs, targets, sample: int):
        """The sample's ‖∂L_t/∂v‖ (U,) for a net generating from a code vector v, else None."""
        if not hasattr(self.model, "vector_gradients"):
            return None
        return self.model.vector_gradients(inputs[:, sample:sample + 1], targets[:, sample:sample + 1])[:, 0]

    def view_data(self, sample: int = 0, ranking: str = "auto", views=None) -> ViewData:
        """Everything one redraw or one export needs, as copies. ``ranking`` ("auto", "always",
        "never"): whether to rank the units by the loss change when each is switched off ("auto":
        when that costs about as much as a few training steps). ``views``: the names of the views
        in sight, whose numbers it must hold (None: every view, as an export needs)."""
        tc = self.train_config
        flow_steps, flow = self.history.flow()
        snapshot = self.snapshot(sample, views)
        inputs, targets, h0 = self._last.inputs, self._last.targets, self._last.h0
        previous = self._recent_ranking() if ranking == "auto" else None
        with np.errstate(all="ignore"):
            details = detail_views.build(self.model, inputs, targets, h0, snapshot.step, sample, ranking,
                                         self.units_mode, previous)
        if details.units.ranking is not None and details.units.ranking is not previous:
            self._ranked = (time.monotonic(), self.units_off, self.units_mode, details.units.ranking)
        return ViewData(
            snapshot=snapshot,
            connectivity=details.connectivity, units=details.units,
            distributions=self.distributions.data(),
            series={name: self.history.series(name) for name in SERIES},
            flow_steps=flow_steps, flow=flow,
            baseline=self.source.baseline(tc.seq_len),
            clip_mode=tc.clip_mode,
            clip_threshold=None if tc.clip_mode == "none" else tc.clip_threshold,
            model_config=self.model_config.to_dict(), train_config=tc.to_dict(),
            source_name=self.source.name, status=self.status, divergence=self.divergence)

    def _preview(self):
        """A batch to show before the first step: the held-out one, else a training batch drawn
        without moving the source's cursor or the training generator."""
        tc = self.train_config
        batch = self.source.validation_batch(tc.batch_size, tc.seq_len)
        if batch is None:
            state = copy.deepcopy(self.source.get_state())
            batch = self.source.train_batch(tc.batch_size, tc.seq_len, np.random.default_rng(tc.seed))
            self.source.set_state(state)
        return self._trace_batch(*batch, None)

    def _trace_batch(self, inputs, targets, h0) -> LastBatch:
        with np.errstate(all="ignore"):
            _, grads, trace = self.model.loss_and_grads(inputs, targets, h0)
        return LastBatch(inputs, targets, h0, trace, grads)

    # ------------------------------------------------------------------ units switched off
    units_mode = "zero"  # how the next units switched off are held: "zero" or "mean"
    _ranked = None  # (time, clamp, mode, UnitRanking) of the last ranking made
    RANKING_SECONDS = 5.0  # "auto" views rank the units again at most this often (~30 ms at H=64, T=25)

    def _recent_ranking(self):
        """The last ranking, when it is younger than RANKING_SECONDS and of the same held units."""
        if self._ranked is None:
            return None
        made, clamp, mode, ranked = self._ranked
        fresh = time.monotonic() - made < self.RANKING_SECONDS
        return ranked if fresh and clamp == self.units_off and mode == self.units_mode else None

    @property
    def units_off(self):
        """The held units, a rnnviz.core.nn.clamp.UnitClamp, or None."""
        return getattr(self.model, "clamp", None)

    def switch_units_off(self, units, mode: str | None = None):
        """Hold ``units`` [(layer, unit), ...] at 0 or at their mean over the last batch from the
        next step on (an empty list frees every unit); training goes on with them held. Units
        already held keep their value. Raises ValueError for a unit the network lacks."""
        mode = self.units_mode if mode is None else mode
        if self._last is None:
            self._last = self._preview()
        last = self._last
        clamp = detail_views.clamp_for(self.model, (last.inputs, last.targets, last.h0), units, mode)
        self.model.clamp = clamp
        self.units_mode = mode
        self._last_is_current = False  # the next view runs the last batch with the units held
        return clamp
