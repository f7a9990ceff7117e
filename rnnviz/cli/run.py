"""``rnnviz run``: train without a window, watch the numbers scroll, keep the result.

The same Trainer the window drives, on the same data, with a progress bar on a terminal
(plain periodic lines when the output goes to a file or a pipe) and a summary at the end.
``--save`` writes a session the window (or ``--resume``) can open; ``--export`` writes every
plot. A run that hits NaN/Inf stops, says where on stderr, still saves and exports what it
did up to the last finite step, and exits with code 3.

Flags are read as text and converted here, so that every bad value gives the one-line
``rnnviz: error: ...`` of the dispatcher, naming the flag.

A trained run is never lost. Ctrl-C, SIGTERM and SIGHUP stop after the current step, still
save and export what was done (a signal during the save or the export lets it finish), and
exit with 128 + the signal (130, 143, 129); a second signal stops at once. ``--checkpoint-every
N`` saves the session every N steps. When the session cannot be written where asked (a full
disk, say), it is written to a fallback folder, the message says where, the export still runs,
and the exit code is 2 (``rnnviz.cli.safekeeping``).
"""

from __future__ import annotations

import math
import os
import sys
import time
from pathlib import Path

from rnnviz.cli import weights
from rnnviz.core.config import ARCHS, CELLS, CONTEXTS, DTYPES, INITS, OPTIMIZERS, ModelConfig, TrainConfig
from rnnviz.cli.progress import LoadProgress, Progress
from rnnviz.cli.types import number, positive_whole, whole
from rnnviz import runtime
from rnnviz.cli import forks
from rnnviz.cli import units as units_off
from rnnviz.cli.safekeeping import Checkpoints, on_first_signal, save_with_fallback
from rnnviz.core.errors import UserError
from rnnviz.interrupts import StopOnSignals


# config field -> the flag a person typed, for error messages
FLAGS = {"hidden_size": "--hidden", "num_layers": "--layers", "cell": "--cell", "init": "--init",
         "init_scale": "--init-scale", "recurrent_scale": "--recurrent-scale", "dtype": "--dtype",
         "forget_bias": "--forget-bias", "decoder_hidden_size": "--decoder-hidden", "decoder_cell": "--decoder-cell",
         "seed": "--seed", "optimizer": "--optimizer", "lr": "--lr", "lr_growth": "--lr-growth", "readout_lr": "--readout-lr",
         "batch_size": "--batch",
         "seq_len": "--seq-len", "steps": "--steps", "clip_threshold": "--clip-norm/--clip-value"}
MODEL_FLAGS = ("cell", "hidden", "layers", "init", "init_scale", "recurrent_scale", "forget_bias", "dtype",
               "bidirectional", "arch", "context", "reverse_source", "decoder_hidden", "decoder_cell")


def add_arguments(parser, presets: bool = True) -> None:
    """rnnviz run's flags; ``presets=False`` leaves out --preset (rnnviz sweep has its own)."""
    from rnnviz.core.data.tasks import TASK_NAMES
    from rnnviz.core.train.presets import DEFAULT_MODEL, DEFAULT_TASK_LENGTH, DEFAULT_TRAIN, PRESETS

    m, t = _Defaults(ModelConfig, DEFAULT_MODEL), _Defaults(TrainConfig, DEFAULT_TRAIN)
    if presets:
        lesson = parser.add_argument_group("preset (the window's Presets menu)")
        names = "; ".join(f"'{name}'" for name in PRESETS)
        lesson.add_argument("--preset", metavar="NAME",
                            help=f"one of: {names} (any case; 'exploding-clipped' works too). Sets the data, "
                                 "model and training of that lesson; other flags change single settings of it")
    data = parser.add_argument_group("data (default: the sample text)")
    data.add_argument("--data", metavar="FILE", help="a text file (.txt, any other suffix), a series (.csv), or "
                                                     "labelled text to classify (label<TAB>text lines, or a "
                                                     "CSV with text and label columns)")
    data.add_argument("--task", metavar="NAME", help=f"a built-in long-memory task: {', '.join(TASK_NAMES)}")
    data.add_argument("--length", metavar="T", type=whole, help=f"the task's length T (default {DEFAULT_TASK_LENGTH})")
    data.add_argument("--level", choices=("char", "word"), help="read a text by characters (default) or by words")
    data.add_argument("--encoding", metavar="NAME", help="the text file's encoding (default utf-8)")
    model = parser.add_argument_group("model")
    model.add_argument("--cell", choices=CELLS, help=f"recurrent cell (default {m.cell})")
    model.add_argument("--hidden", metavar="H", type=whole, help=f"hidden units per layer (default {m.hidden_size})")
    model.add_argument("--layers", metavar="L", type=whole, help=f"stacked recurrent layers (default {m.num_layers})")
    model.add_argument("--init", choices=INITS, help=f"weight initialisation (default {m.init})")
    model.add_argument("--init-scale", metavar="S", type=number, help=f"initial weight scale (default {m.init_scale})")
    model.add_argument("--recurrent-scale", metavar="SIGMA", type=number,
                       help="rescale each W_hh to this largest singular value: <1 vanishing, >1 exploding")
    model.add_argument("--forget-bias", metavar="B", type=number, help=f"LSTM forget-gate bias at start "
                                                          f"(default {m.forget_bias}: remember by default)")
    model.add_argument("--bidirectional", action="store_const", const=True, default=None,
                       help="add a backward stack (outputs [forward, backward], PyTorch's layout); refused "
                            "on next-token data, where it would read the answer")
    shape = parser.add_argument_group("encoder-decoder (--arch seq2seq, with --task reverse or bottleneck)")
    shape.add_argument("--arch", choices=ARCHS, default=None,
                       help="stack: one recurrent stack (default); seq2seq: an encoder reads the source and its "
                            "last state, the context, drives a decoder")
    shape.add_argument("--context", choices=CONTEXTS, default=None,
                       help="how the context reaches the decoder: its initial state (init, default), an extra "
                            "input at every step, or both")
    shape.add_argument("--reverse-source", action="store_const", const=True, default=None,
                       help="read the source backwards (Sutskever, Vinyals & Le 2014)")
    shape.add_argument("--decoder-hidden", type=whole, default=None, metavar="H",
                       help="the decoder's hidden units (default: --hidden)")
    shape.add_argument("--decoder-cell", choices=CELLS, default=None, help="the decoder's cell (default: --cell)")
    model.add_argument("--dtype", choices=DTYPES, help=f"float precision (default {m.dtype})")
    model.add_argument("--seed", metavar="N", type=whole, help=f"seed for the weights, the batches and the task "
                                                   f"(default {m.seed})")
    train = parser.add_argument_group("training")
    train.add_argument("--optimizer", choices=OPTIMIZERS, help=f"update rule (default {t.optimizer})")
    train.add_argument("--lr", metavar="RATE", type=number, help=f"learning rate (default {t.lr})")
    train.add_argument("--lr-growth", metavar="X", type=number,
                       help=f"multiply the learning rate by X after every update (default {t.lr_growth}: "
                            "constant; e.g. 1.2 for a learning-rate range test, which rises until the loss diverges)")
    train.add_argument("--readout-lr", metavar="RATE", type=number,
                       help="the read-out layer's own learning rate (out.weight, out.bias; default: --lr)")
    train.add_argument("--clip-norm", metavar="C", type=number,
                       help="clip the global gradient norm to C (default: no clipping)")
    train.add_argument("--clip-value", metavar="C", type=number, help="clip each gradient element to [-C, C]")
    train.add_argument("--batch", metavar="B", type=whole, help=f"sequences per batch (default {t.batch_size})")
    train.add_argument("--seq-len", metavar="T", type=whole, help=f"truncated-BPTT window (default {t.seq_len}; "
                                                      "a task uses its own length)")
    train.add_argument("--steps", metavar="N", type=whole, help=f"updates to make (default {t.steps}; with --resume: "
                                                    "this many more, default up to the saved run's target)")
    units_off.add_arguments(train)
    forks.add_arguments(parser.add_argument_group("compare (the window's Runs dock, headless)"))
    files = parser.add_argument_group("files")
    weights.add_arguments(parser.add_argument_group("PyTorch weights"))  # shown after "files"
    files.add_argument("--save", metavar="FILE", help="save the session (.npz) at the end, also when diverged")
    files.add_argument("--resume", metavar="FILE", help="continue a saved session (its data and model)")
    files.add_argument("--export", metavar="DIR", help="write every plot (PNG, SVG, CSV), metadata.json and "
                                                       "history.npz into DIR at the end")
    files.add_argument("--checkpoint-every", metavar="N", type=positive_whole,
                       help="also save the session (--save FILE) every N steps, so a crash loses at most N")
    files.add_argument("--rollback", action="store_true",
                       help="with --resume: go back to the session's last roll-back point before its "
                            "current step (a diverged run resumes from before the blow-up)")
    files.add_argument("--allow-changed-data", action="store_true",
                       help="with --resume: go on although the data file changed since the session was saved")


# ---------------------------------------------------------------------- the command
def main(args) -> int:
    from rnnviz.cli.main import EXIT_BAD_INPUT, EXIT_DIVERGED, EXIT_OK

    weights.check_flags(args)
    if args.save:
        _check_save_target(args.save)
    if args.checkpoint_every is not None and not args.save:
        raise UserError("--checkpoint-every saves the session: give the file with --save FILE")
    if (args.rollback or args.allow_changed_data) and not args.resume:
        flag = "--rollback" if args.rollback else "--allow-changed-data"
        raise UserError(f"{flag} applies to a resumed run: use it with --resume FILE")
    # fail before training, not after; the folders made to prove it are removed again if unused
    exporter, created = _exporter(args.export) if args.export else (None, [])
    save_failed = False
    try:
        if args.resume:
            trainer, steps = _resumed(args)
        else:
            trainer = _fresh(args)
            trainer = weights.with_weights(args, trainer)  # --weights FILE: the user's network instead
            steps = trainer.train_config.steps
        held = units_off.apply(trainer, args)
        if held:  # also a resumed session's: the run is not the network's whole self
            print(held, flush=True)
        trainer = forks.apply(trainer, args)  # --fork, or a resumed session's runs: all of them train
        started = time.perf_counter()
        # standard output is Forgiving (rnnviz.cli.main): a closed terminal or pipe never stops a run
        progress = Progress(steps, trainer.step_count, sys.stdout, trainer.train_config.clip_mode)
        phase = ["training"]  # what a first signal interrupts: the message differs
        batch = trainer.train_config.batch_size
        with StopOnSignals(on_first=lambda signum: on_first_signal(signum, args, phase[0])) as stop:
            checkpoints = Checkpoints(trainer, args.save, args.checkpoint_every)
            with runtime.training_threads(trainer.model.config, batch) as threads:
                trainer.run(steps, on_step=lambda result: (threads(result) and progress.update(result)
                                                           and checkpoints.after(result) and not stop.pressed))
            phase[0] = "finishing"
            progress.close()
            wall_time = time.perf_counter() - started
            interrupted = stop.pressed and trainer.status not in ("diverged", "finished")  # not a late press
            if trainer.status == "diverged":
                rates = "--readout-lr, --lr" if trainer.train_config.readout_lr is not None else "--lr"
                print(f"rnnviz: training diverged at {trainer.divergence}; the weights of step "
                      f"{trainer.step_count} are kept (try a lower {rates} or --clip-norm, or resume with "
                      f"--rollback)", file=sys.stderr, flush=True)
            elif interrupted:
                kept = [what for flag, what in ((args.save, "saving"), (args.export, "exporting")) if flag]
                print(f"rnnviz: interrupted after step {trainer.step_count}"
                      + (f"; {' and '.join(kept)} what was done" if kept else ""), file=sys.stderr, flush=True)
            _summary(trainer, wall_time, interrupted)
            forks.summary(trainer)
            if args.save:
                save_failed = not save_with_fallback(trainer, args.save, args.export)
            if exporter is not None:
                paths = exporter(trainer, args.export, wall_time, status="interrupted" if interrupted else None)
                created = []  # written: the folder is the user's now
                print(f"exported {len(paths)} files to {args.export}", flush=True)
    finally:
        if created:
            from rnnviz.cli.export import remove_empty_folders

            remove_empty_folders(created)
    if save_failed:
        return EXIT_BAD_INPUT
    if trainer.status == "diverged":
        return EXIT_DIVERGED
    return stop.exit_code if stop.pressed else EXIT_OK


def _exporter(out_dir):
    """(export_trainer, the folders created now to prove ``out_dir`` usable)."""
    try:
        import rnnviz.gui.export  # noqa: F401  (Qt, offscreen: the same plot builders as the window)
        from rnnviz.cli.export import export_trainer, make_export_folder
    except ImportError:
        raise UserError("export is not available in this version") from None
    return export_trainer, make_export_folder(out_dir)


def _check_save_target(path) -> None:
    """The session file must be creatable: refuse a folder, or a missing or non-folder parent."""
    target = Path(path)
    if str(path).endswith(("/", os.sep)) or target.is_dir():
        raise UserError(f"cannot save to {path}: it is a folder; give a file name such as "
                        f"{target / 'run.npz'}")
    folder = target.parent
    if folder.exists() and not folder.is_dir():
        raise UserError(f"cannot save to {path}: {folder} is a file, not a folder")
    if not folder.is_dir():
        raise UserError(f"cannot save to {path}: the folder {folder} does not exist")
    if not os.access(folder, os.W_OK):
        raise UserError(f"cannot save to {path}: the folder {folder} is not writable")
    if target.exists() and not target.is_file():
        raise UserError(f"cannot save to {path}: it exists and is not a regular file")
    if target.is_file() and (not os.access(target, os.W_OK) or not target.stat().st_mode & 0o222):
        raise UserError(f"cannot save to {path}: the file is read-only; choose another name or make it writable")


class _Defaults:
    """A config class's field defaults as attributes, with the shared start settings over them."""

    def __init__(self, config_class, shared: dict) -> None:
        self.__dict__.update({**config_class().to_dict(), **shared})


def _preset(args):
    if args.preset is None:
        return None
    if args.resume is not None:
        raise UserError("--preset cannot change a resumed run; start a new run instead")
    if args.data is not None or args.task is not None:
        raise UserError("--preset brings its own data: leave out --data and --task")
    from rnnviz.core.train.presets import get_preset

    return get_preset(args.preset)


def _fresh(args):
    from rnnviz.core.train.presets import DEFAULT_MODEL, DEFAULT_TRAIN
    from rnnviz.core.train.trainer import Trainer

    preset = _preset(args)
    if preset is not None:
        source, spec = _preset_source(args, preset)
        base_model, base_train = dict(preset.model), {**preset.train, "steps": preset.steps}
    else:
        source, spec = _source(args)
        base_model, base_train = dict(DEFAULT_MODEL), dict(DEFAULT_TRAIN)
    seed = _or(args.seed, base_model.get("seed", 0))
    model_settings = dict(cell=args.cell, hidden_size=args.hidden,
                          num_layers=args.layers, init=args.init,
                          init_scale=args.init_scale,
                          recurrent_scale=args.recurrent_scale,
                          forget_bias=args.forget_bias, dtype=args.dtype, seed=seed,
                          bidirectional=args.bidirectional, arch=args.arch, context=args.context,
                          reverse_source=args.reverse_source, decoder_hidden_size=args.decoder_hidden,
                          decoder_cell=args.decoder_cell)
    model_settings = {**base_model, **{k: v for k, v in model_settings.items() if v is not None}}
    model_settings.update(input_size=source.input_size, output_size=source.output_size)
    train_settings = _train_settings(args)
    if args.seed is not None:
        train_settings["seed"] = seed
    train_settings = {**base_train, **train_settings}
    if getattr(source, "sequence_length", None) is not None:
        train_settings.pop("seq_len", None)  # a task sets its own window
    try:
        model_config = ModelConfig(**model_settings)
    except ValueError as exc:
        raise UserError(_flagged(exc, ModelConfig, model_settings)) from None
    try:
        train_config = TrainConfig(**train_settings)
    except ValueError as exc:
        raise UserError(_flagged(exc, TrainConfig, train_settings)) from None
    if args.batch is None:  # a short file gets fewer streams rather than a refusal
        from dataclasses import replace

        from rnnviz.core.train.presets import fit_batch

        streams, note = fit_batch(source, train_config.batch_size, train_config.seq_len)
        if note:
            print(f"rnnviz: {note}", flush=True)
            train_config = replace(train_config, batch_size=streams)
    return Trainer(source, model_config, train_config, source_spec=spec)


def _resumed(args):
    from rnnviz.core.train.session import load

    if args.preset is not None:
        raise UserError("--preset cannot change a resumed run; start a new run instead")
    given = [f"--{name.replace('_', '-')}" for name in MODEL_FLAGS if getattr(args, name) is not None]
    given += [flag for flag, value in (("--data", args.data), ("--task", args.task), ("--length", args.length),
                                       ("--level", args.level), ("--encoding", args.encoding),
                                       ("--seed", args.seed)) if value is not None]
    if given:
        raise UserError(f"{', '.join(given)} cannot change a resumed run (its data and model come from "
                        f"{args.resume}); start a new run instead")
    from rnnviz.core.train.session import DataChangedError

    try:
        trainer = load(_session_path(args.resume, "--resume"), allow_changed_data=args.allow_changed_data)
    except DataChangedError as exc:
        raise UserError(f"{exc}; add --allow-changed-data to go on anyway") from None
    changes = _train_settings(args)
    _refuse_one_run_changes_in_a_group(args, changes)
    if args.rollback:
        was = trainer.step_count
        now = trainer.rollback()
        print(f"rolled back from step {was} to step {now}" if now < was
              else f"no roll-back point before step {was}: resuming from it", flush=True)
    _refuse_seq_len_for_task(args, trainer.source)
    more = changes.pop("steps", None)
    if more is None:
        more = max(0, trainer.train_config.steps - trainer.step_count)
    try:
        trainer.update_train_config(steps=trainer.step_count + more, **changes)
    except ValueError as exc:
        raise UserError(_flagged(exc, TrainConfig, changes)) from None
    return trainer, more


def _refuse_one_run_changes_in_a_group(args, changes: dict) -> None:
    """--rollback and changed training settings apply to the session's own run only: with runs
    compared beside it, they would leave the others on other batches. UserError then."""
    from rnnviz.core.train.group_trainer import group_folder

    folder = group_folder(args.resume)
    settings = sorted(name for name in changes if name != "steps")
    given = (["--rollback"] if args.rollback else []) + ([f"new training settings ({', '.join(settings)})"]
                                                         if settings else [])
    if given and (folder / "group.json").is_file():
        raise UserError(f"{' and '.join(given)} would change only the first of the runs compared in {folder}; "
                        f"resume them as saved, or move {folder} away to resume the run alone")


def _train_settings(args) -> dict:
    if args.clip_norm is not None and args.clip_value is not None:
        raise UserError("--clip-norm and --clip-value exclude each other: choose one")
    settings = dict(optimizer=args.optimizer, lr=args.lr, lr_growth=args.lr_growth, readout_lr=args.readout_lr,
                    batch_size=args.batch,
                    seq_len=args.seq_len, steps=args.steps)
    if args.clip_norm is not None:
        settings.update(clip_mode="norm", clip_threshold=args.clip_norm)
    elif args.clip_value is not None:
        settings.update(clip_mode="value", clip_threshold=args.clip_value)
    return {k: v for k, v in settings.items() if v is not None}


def _preset_source(args, preset):
    """(source, spec) of a preset's data; ``--length`` and ``--seed`` still apply to its task."""
    from rnnviz.core.data.build import build_source

    if args.level is not None or args.encoding is not None:
        raise UserError("--level and --encoding apply to text files, not to a preset")
    spec = dict(preset.data)
    if spec.get("kind") == "task":
        spec["length"] = _or(args.length, spec.get("length"))
        spec["seed"] = _or(args.seed, 0)
    elif args.length is not None:
        raise UserError("--length sets a task's length; this preset trains on a text")
    source = build_source(spec)
    _refuse_seq_len_for_task(args, source)
    return source, spec


def _source(args):
    """(source, spec) from --data / --task / the default sample text."""
    from rnnviz.core.data.build import build_source

    if args.data is not None and args.task is not None:
        raise UserError("--data and --task exclude each other: choose one")
    if args.length is not None and args.task is None:
        raise UserError("--length sets a task's length; use it with --task")
    if args.level is not None and args.level not in ("char", "word"):
        raise UserError(f"--level must be char or word, got {args.level!r}")
    if args.task is not None:
        if args.level is not None or args.encoding is not None:
            raise UserError("--level and --encoding apply to text files, not to --task")
        from rnnviz.core.train.presets import DEFAULT_TASK_LENGTH

        spec = {"kind": "task", "name": args.task, "length": _or(args.length, DEFAULT_TASK_LENGTH),
                "seed": _or(args.seed, 0)}
        task = build_source(spec)
        _refuse_seq_len_for_task(args, task)
        return task, spec
    if args.data is not None:
        path = Path(args.data)
        if path.is_dir():
            raise UserError(f"--data {path} is a folder, not a file: give a .txt or .csv file inside it")
        if not path.exists():
            raise UserError(f"data file not found: {path}")
        if not path.is_file():
            from rnnviz.core.data.textfile import special_kind

            raise UserError(f"--data {path} is {special_kind(path.stat().st_mode)}, not a file: give a .txt "
                            f"or .csv file")
        spec = {"kind": "file", "path": str(path.resolve()), "level": args.level,
                "encoding": args.encoding or "utf-8"}
        progress = LoadProgress(path, sys.stdout)
        source = build_source(spec, progress)
        progress.close()
        return source, spec
    if args.encoding is not None:
        raise UserError("--encoding applies to --data files; the sample text is read as utf-8")
    spec = {"kind": "sample", "name": None, "level": args.level or "char"}
    return build_source(spec), spec


def _refuse_seq_len_for_task(args, source) -> None:
    """A task's sequences have the task's own length, and the window follows it: a --seq-len
    would be silently ignored, so it is refused with the flag that does what was meant."""
    length = getattr(source, "sequence_length", None)
    if args.seq_len is not None and length is not None:
        hint = ("use --length to change it" if args.resume is None
                else "the length of a resumed task is fixed; start a new run with --length to change it")
        raise UserError(f"--seq-len does not apply to a task: {source.name} sets its own window "
                        f"({length} steps); {hint}")


def _or(value, default):
    return default if value is None else value


def _flagged(exc: ValueError, settings_class, settings: dict) -> str:
    """The settings' error led by the flag of the first setting that is invalid on its own (found
    by checking it alone, not by reading the message); the bare error when none is."""
    for field, value in settings.items():
        if field not in FLAGS:
            continue
        try:
            settings_class(**{field: value})
        except (ValueError, TypeError):
            return f"{FLAGS[field]}: {exc}"
    return str(exc)


def _session_path(text: str, flag: str) -> Path:
    """The session file a flag names, or a UserError saying what the path is instead."""
    path = Path(text)
    if path.is_dir():
        raise UserError(f"{flag} {path} is a folder, not a session file (.npz)")
    return path










# ---------------------------------------------------------------------- output
def _summary(trainer, wall_time: float, interrupted: bool = False) -> None:
    history, tc = trainer.history, trainer.train_config
    done = trainer.step_count
    status = "interrupted" if interrupted else trainer.status
    steps = f"{done} of {tc.steps} steps" if interrupted else _count(done, "step")
    lines = [f"{status}: {steps} on {trainer.source.name} in {wall_time:.1f} s"]
    loss, smooth, val = history.last("loss"), trainer.loss_smooth, history.last("val_loss")
    if loss is not None:
        part = f"loss {loss:.4g} (smoothed {smooth:.4g})"
        if val is not None:
            part += f", validation {val:.4g}"
        lines.append(part)
    baseline = trainer.source.baseline(tc.seq_len)
    uniform = getattr(trainer.source, "uniform_baseline", None)
    refs = []
    if baseline is not None:
        refs.append(f"memoryless baseline {baseline:.4g}")
    if uniform is not None:
        refs.append(f"uniform guess {uniform(tc.seq_len):.4g}")
    if refs:
        lines.append(", ".join(refs))
    norm, horizon = history.last("grad_norm"), history.last("horizon")
    if norm is not None:
        finite_horizon = horizon is not None and math.isfinite(horizon)
        lines.append(f"gradient norm {norm:.3g}"
                     + (f", gradient horizon {_count(round(horizon), 'step')}" if finite_horizon else ""))
    if trainer.status == "diverged":
        lines.append(f"diverged at {trainer.divergence}")
    note = trainer.snapshot().note if trainer.step_count else ""
    if note:
        lines.append(f"plots show the {note}")
    print("\n".join(lines), flush=True)


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" + ("" if n == 1 else "s")
