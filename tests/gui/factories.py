"""ViewData for panel and export tests, built from the real model but without the trainer.

``make_view`` runs ``RNN.loss_and_grads`` on random tokens, so hidden states, dL/dh_t and
gradients have the shapes and scales the window sees; the training history is synthetic but
shaped like the trainer's. Edge cases (empty history, NaN/Inf, all-zero gradients) are
derived from it, so every panel can be fed what a bad step could hand it.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from rnnviz.core.config import ModelConfig
from rnnviz.core.nn.model import RNN
from rnnviz.core.train.records import Snapshot, ViewData

from rnnviz.core.diagnostics.summary import summarize

VOCAB = list("abcdefgh ")  # small vocabulary with a space, to see whitespace labels drawn


def make_view(*, steps: int = 12, hidden: int = 8, layers: int = 2, cell: str = "tanh",
              history: int = 30, seed: int = 0, clip_mode: str = "norm", status: str = "running",
              diagnostics: bool = True) -> ViewData:
    """A realistic ViewData: T=steps, H=hidden, L=layers, ``history`` recorded steps."""
    rng = np.random.default_rng(seed)
    config = ModelConfig(input_size=len(VOCAB), hidden_size=hidden, output_size=len(VOCAB), cell=cell,
                         num_layers=layers, seed=seed)
    model = RNN(config)
    batch = 4
    inputs = rng.integers(0, len(VOCAB), size=(steps, batch))  # (T, B)
    targets = rng.integers(0, len(VOCAB), size=(steps, batch))  # (T, B)
    loss, grads, trace = model.loss_and_grads(inputs, targets)
    sample = 0
    diag = None
    if diagnostics:
        diag = summarize(model, trace, sample=sample)
    snapshot = Snapshot(
        step=history,
        params={k: v.copy() for k, v in model.params.items()},
        grads={k: v.copy() for k, v in grads.items()},
        hidden=trace.hidden[:, :, sample, :].copy(),  # (T, L, H)
        grad_hidden=trace.grad_hidden[:, :, sample, :].copy(),  # (T, L, H)
        grad_hidden_mean=np.linalg.norm(trace.grad_hidden, axis=-1).mean(axis=2),  # (T, L)
        inputs=inputs[:, sample].copy(),
        targets=targets[:, sample].copy(),
        outputs=trace.outputs[:, sample].copy(),
        labels=[VOCAB[i] for i in inputs[:, sample]],
        diagnostics=diag,
        extras={name: values[:, :, sample].copy() for name, values in trace.extras.items()},  # (T, L, H)
    )
    series, flow_steps, flow = synthetic_history(history, steps, float(loss), rng)
    details = detail_views(model, inputs, targets, history)
    return ViewData(snapshot=snapshot, series=series, flow_steps=flow_steps, flow=flow,
                    connectivity=details.connectivity, units=details.units,
                    distributions=synthetic_distributions(model, grads, trace.hidden, history, rng),
                    baseline=float(np.log(len(VOCAB)) * steps), clip_mode=clip_mode,
                    clip_threshold=1.0 if clip_mode != "none" else None,
                    model_config=config.to_dict(), train_config={"optimizer": "adam", "lr": 1e-3},
                    source_name="random tokens", status=status)


def detail_views(model, inputs, targets, step: int):
    """Connectivity of sample 0, and the units view with unit 0 of layer 0 held at 0 (so the
    with/without comparison exists), from the real core."""
    import copy

    from rnnviz.core.nn.clamp import UnitClamp
    from rnnviz.core.train.views import build as build_details

    held = copy.copy(model)
    held.clamp = UnitClamp(((0, 0),), (0.0,))
    return build_details(held, inputs, targets, None, step, 0, "always", "zero")


def synthetic_distributions(model, grads, hidden, history: int, rng) -> dict:
    """Bands recorded at a few steps, shaped like Trainer.distributions (the last step's
    numbers scaled so the bands move)."""
    from rnnviz.core.train.distributions import Distributions

    dist = Distributions(capacity=64)
    for step in range(1, history + 1, max(1, history // 6)):
        scale = 1.0 + step / max(history, 1)
        dist.record(step, {k: v * scale for k, v in model.params.items()},
                    {k: v / scale for k, v in grads.items()}, hidden * rng.uniform(0.5, 1.0))
    return dist.data()


def synthetic_history(n: int, steps: int, last_loss: float, rng: np.random.Generator):
    """Series shaped like Trainer.history: loss falling with noise, norms, a flow map in
    which the gradient at early timesteps fades over training."""
    s = np.arange(1, n + 1)  # (N,) steps
    loss = last_loss * (1.5 - 0.5 * s / max(n, 1)) * np.exp(0.05 * rng.standard_normal(n))
    smooth = np.copy(loss)
    for i in range(1, n):  # exponential moving average, like the trainer's loss_smooth
        smooth[i] = 0.8 * smooth[i - 1] + 0.2 * loss[i]
    grad = np.exp(rng.standard_normal(n))
    series = {
        "loss": (s, loss),
        "loss_smooth": (s, smooth),
        "val_loss": (s[::5], loss[::5] * 1.1),
        "grad_norm": (s, grad),
        "clipped_norm": (s, np.minimum(grad, 1.0)),
        "clip_fraction": (s, (grad > 1.0).astype(float)),
        "update_ratio": (s, 1e-3 * np.exp(rng.standard_normal(n))),
        "param_norm": (s, 10.0 + 0.01 * s),
        "horizon": (s, np.full(n, steps // 2, dtype=float)),
    }
    flow_steps = s[::3]  # (S,)
    fade = np.exp(-(steps - 1 - np.arange(steps))[None, :] * (0.1 + flow_steps[:, None] / max(n, 1)))
    flow = fade * (0.5 + rng.random((flow_steps.size, steps)))  # (S, T)
    return series, flow_steps, flow


def empty_history_view(**kw) -> ViewData:
    """A model that has not trained yet: every series and the flow map are empty."""
    view = make_view(**kw)
    empty = (np.zeros(0, dtype=int), np.zeros(0))
    series = {name: empty for name in view.series}
    return dataclasses.replace(view, series=series, flow_steps=np.zeros(0, dtype=int),
                               flow=np.zeros((0, view.snapshot.hidden.shape[0])), baseline=None,
                               status="ready")


def _poison(values: np.ndarray) -> np.ndarray:
    values = np.array(values, dtype=float)
    flat = values.reshape(-1)
    if flat.size:
        flat[0] = np.nan
        flat[-1] = np.inf
        if flat.size > 2:
            flat[1] = -np.inf
    return values


def nonfinite_view(**kw) -> ViewData:
    """What a diverging step hands the panels: NaN and +-Inf in every array and series."""
    view = make_view(**kw)
    snap = view.snapshot
    poisoned = dataclasses.replace(
        snap,
        params={k: _poison(v) for k, v in snap.params.items()},
        grads={k: _poison(v) for k, v in snap.grads.items()},
        hidden=_poison(snap.hidden), grad_hidden=_poison(snap.grad_hidden),
        grad_hidden_mean=_poison(snap.grad_hidden_mean), diagnostics=None,
        extras={name: _poison(values) for name, values in snap.extras.items()})
    series = {name: (steps, _poison(values)) for name, (steps, values) in view.series.items()}
    return dataclasses.replace(view, snapshot=poisoned, series=series, flow=_poison(view.flow),
                               status="diverged", divergence="step 30: hidden state, layer 0, t=3")


def zero_gradient_view(**kw) -> ViewData:
    """All gradients exactly zero (a dead ReLU net, or a loss at its minimum): log axes must
    floor them, not warn."""
    view = make_view(**kw)
    snap = view.snapshot
    zeroed = dataclasses.replace(
        snap, grads={k: np.zeros_like(v) for k, v in snap.grads.items()},
        grad_hidden=np.zeros_like(snap.grad_hidden), grad_hidden_mean=np.zeros_like(snap.grad_hidden_mean),
        params={k: np.zeros_like(v) for k, v in snap.params.items()},
        hidden=np.zeros_like(snap.hidden))
    series = dict(view.series)
    for name in ("grad_norm", "clipped_norm", "update_ratio", "loss", "loss_smooth"):
        steps, values = series[name]
        series[name] = (steps, np.zeros_like(values))
    return dataclasses.replace(view, snapshot=zeroed, series=series, flow=np.zeros_like(view.flow))


def spiked_view(baseline: float = 0.167):
    """An exploding start (1e10) that clipping brought down to 0.12, under the baseline."""
    view = make_view(steps=12, hidden=8, layers=1, history=400)
    steps = np.arange(1, 401, dtype=float)
    loss = np.where(steps < 40, 1e10, 0.12)
    series = dict(view.series, loss=(steps, loss), loss_smooth=(steps, loss), val_loss=(steps[::50], loss[::50]))
    flow = np.where(np.arange(40)[:, None] < 4, 1e10, np.linspace(0.01, 1.0, 12)[None, :])  # (S, T)
    return dataclasses.replace(view, series=series, baseline=baseline, flow_steps=np.arange(40) * 10.0 + 1,
                               flow=flow)


DOCK = (420, 300)  # a dock of the 1600 x 1000 window
FIT_DOCK = (400, 280)  # a dock at 1600 x 1000 is ~420 x 300; the canvas gets a little less


def build(qtbot, panel_class, view=None, size=None):
    """A panel of ``panel_class`` owned by qtbot, fed ``view`` when one is given, and laid out
    at ``size`` (see ``lay_out``) when one is given."""
    panel = panel_class()
    qtbot.addWidget(panel)
    if view is not None:
        panel.update_view(view)
    if size is not None:
        lay_out(panel, size)
    return panel


def lay_out(panel, size=DOCK) -> None:
    """Lay the canvas out at ``size`` as the exporter would (it uses EXPORT_SIZE for a canvas
    never shown), so positions are those of a dock."""
    from rnnviz.gui.export import prepared_scene
    from rnnviz.gui.plot import style

    export_size = style.EXPORT_SIZE
    style.EXPORT_SIZE = size
    try:
        prepared_scene(panel)
    finally:
        style.EXPORT_SIZE = export_size


def legend_names(plot) -> list[str]:
    """The names in a plot's legend, in order."""
    return [label.text for _, label in plot.legend.items]
