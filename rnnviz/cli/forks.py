"""``rnnviz run --fork NAME=VALUE``: the run and up to three forks trained side by side, headless.

  rnnviz run --preset 'Seq2seq, source forward' --fork reverse_source=true --export out/
  rnnviz run --preset 'Future marker, one way' --fork bidirectional=true --fork cell=lstm --save runs.npz
  rnnviz run --resume runs.npz --steps 200          # every run saved beside runs.npz goes on

Each ``--fork`` is one setting changed from the run (the Runs dock's settings, named as ``rnnviz
run``'s flags without the dashes); the forks train on the same batches, in turn, as the window's
Runs dock trains them (``rnnviz.core.train.group_trainer.GroupedTrainer``). ``--save`` keeps the
whole group beside the session, ``--export`` adds runs.png/.svg/.csv, and the end of the run
prints one line per run.
"""

from __future__ import annotations

from rnnviz.core.errors import UserError
from rnnviz.core.nn.units import SHORT  # stacks named as the units are
from rnnviz.core.train.group import MAX_RUNS


def add_arguments(group) -> None:
    group.add_argument("--fork", metavar="NAME=VALUE", action="append", default=None,
                       help=f"also train a fork of the run with this setting changed, on the same batches "
                            f"(repeat for up to {MAX_RUNS - 1}): lr=0.001, clip_norm=none, cell=tanh, "
                            "recurrent_scale=0.5, bidirectional=true, reverse_source=true, ... (a changed "
                            "shape or size starts fresh weights); --save keeps every run, --export adds "
                            "runs.png/.svg/.csv")


def apply(trainer, args):
    """The trainer to train: the run alone, or the run with its forks (and, when resumed, the runs
    saved beside the session) as one GroupedTrainer. Raises UserError before anything trains."""
    from rnnviz.core.train.group import RunGroup
    from rnnviz.core.train.group_settings import parse_fork
    from rnnviz.core.train.group_trainer import GroupedTrainer, group_folder, load_group_beside

    texts = list(getattr(args, "fork", None) or [])
    changes = [parse_fork(text, trainer.model_config) for text in texts]  # all checked before the group is made
    grouped = None
    if getattr(args, "resume", None):
        try:
            grouped = load_group_beside(args.resume, trainer)
        except UserError as exc:  # the runs saved beside it would be left behind, stale: say how to go on
            raise UserError(f"{exc}; move {group_folder(args.resume)} away to resume the run alone") from None
    if grouped is None and not changes:
        return trainer
    if grouped is None:
        grouped = GroupedTrainer(RunGroup(trainer))
    if len(grouped.group.members) + len(changes) > MAX_RUNS:
        raise UserError(f"at most {MAX_RUNS} runs side by side: the run and {MAX_RUNS - 1} --fork"
                        + (f" (the resumed session brings {len(grouped.group.members)})"
                           if len(grouped.group.members) > 1 else ""))
    for change in changes:
        grouped.fork(change, index=0)
    labels = ", ".join(f"{k}: {m.label}" for k, m in enumerate(grouped.group.members))
    print(f"comparing {len(grouped.group.members)} runs on the same batches ({labels})", flush=True)
    return grouped


def summary(trainer) -> None:
    """One line per run compared: its shape, steps, smoothed loss and horizons (the core's overlays)."""
    group_view = getattr(trainer, "group_view", None)
    if group_view is None or not hasattr(trainer, "group"):
        return
    view = group_view(force=True)
    for k, (overlay, steps, same) in enumerate(zip(view.overlays, view.steps, view.same_batches)):
        final = overlay.final_losses[0] if overlay.final_losses else float("nan")
        horizons = "horizon " + " \u00b7 ".join(f"{SHORT.get(name, name)} {values[0]}".strip()
                                               for name, values in (overlay.part_horizons or {}).items())
        status = trainer.group.members[k].trainer.status
        shape = "" if overlay.shape in overlay.label else f" ({overlay.shape})"
        print(f"  run {k}: {overlay.label}{shape} \u2014 step {steps}, loss {final:.4g}, {horizons}"
              + (" \u2014 diverged" if status == "diverged" else "")
              + ("" if same else " \u2014 other batches (its batch size or window differs)"), flush=True)
