"""``rnnviz`` with no subcommand: the QApplication, pyqtgraph's options, and the main window.

What the command line asks for (``--data``, ``--task``, ``--session``, ``--preset``, ``--weights``) is
checked and loaded BEFORE any window opens: a bad file or an unknown name raises UserError,
which the CLI prints as one line ``rnnviz: error: ...`` on stderr with exit code 2. The person
typed it in a terminal, so the terminal is where the answer goes, and scripts get an exit
code. Once the window is open, a bad file opened from it gives a dialog instead, and the
current run is kept.

With nothing given, the window opens on the default sample text with the last settings used
(or the defaults), ready to train; ``--autostart`` starts training at once.
"""

from __future__ import annotations

import json
import os
import signal
import sys

from rnnviz.core.train import presets
from rnnviz.core.data.files import DEFAULT_SAMPLE
from rnnviz.core.errors import UserError
# settings for the default start, shared with `rnnviz run`: the char-level sample text, a small tanh network
from rnnviz.core.train.presets import DEFAULT_MODEL, DEFAULT_TASK_LENGTH, DEFAULT_TRAIN

DEFAULT_DATA = {"kind": "sample", "name": DEFAULT_SAMPLE}  # the longest, most varied sample text


def start_plan(args, last: dict | None = None):
    """What to open, from the command line (and the last session's settings when the command
    line says nothing): returns (trainer, data choice). Raises UserError on bad input."""
    data_arg, task_arg, session_arg = (getattr(args, name, None) for name in ("data", "task", "session"))
    if sum(value is not None for value in (data_arg, task_arg, session_arg)) > 1:
        raise UserError("give only one of --data, --task and --session")
    _check_weights_flags(args)
    if session_arg is not None:
        if getattr(args, "preset", None):
            raise UserError("--preset cannot be combined with --session (a session has its own settings)")
        from rnnviz.core.train import session

        try:
            trainer = session.load(session_arg)
        except session.DataChangedError as exc:
            raise UserError(f"{exc}; to go on anyway, open it with File > Open session") from None
        return trainer, {"kind": "session", "path": session_arg, "name": os.path.basename(session_arg)}
    last = last or {}
    model = {**DEFAULT_MODEL, **last.get("model", {})}
    train = {**DEFAULT_TRAIN, **last.get("train", {})}
    data = dict(last.get("data") or DEFAULT_DATA)
    if getattr(args, "preset", None):
        preset = presets.get_preset(args.preset)
        model, train, data = dict(preset.model), dict(preset.train), dict(preset.data)
    if data_arg is not None:
        data = {"kind": "file", "path": os.path.abspath(data_arg)}
    elif task_arg is not None:
        data = {"kind": "task", "name": task_arg, "length": DEFAULT_TASK_LENGTH}
    try:
        trainer = presets.make_trainer(model, train, data)
    except UserError:
        if not last or getattr(args, "preset", None) or data_arg or task_arg:
            raise
        # the remembered settings no longer work (a sample renamed, say): start from the defaults
        data = dict(DEFAULT_DATA)
        trainer = presets.make_trainer(DEFAULT_MODEL, DEFAULT_TRAIN, data)
    return trainer, data


def _check_weights_flags(args) -> None:
    weights = getattr(args, "weights", None)
    if weights is None:
        if getattr(args, "prefix", None) or getattr(args, "readout", None):
            raise UserError("--prefix and --readout name tensors in a weights file; use them with --weights FILE")
        return
    for flag in ("session", "preset"):
        if getattr(args, flag, None) is not None:
            raise UserError(f"--weights and --{flag} exclude each other: --{flag} brings its own network")


def weights_plan(args, trainer):
    """With ``--weights``: a run on ``trainer``'s data and training settings that starts from
    those weights instead of ``trainer``'s fresh network (UserError if they do not fit)."""
    if getattr(args, "weights", None) is None:
        return trainer
    from rnnviz.core.nn.exchange import read_weights
    from rnnviz.core.train.imported import trainer_from_weights

    weights = read_weights(args.weights, prefix=getattr(args, "prefix", None), readout=getattr(args, "readout", None))
    return trainer_from_weights(weights, trainer.source, trainer.train_config, source_spec=trainer.source_spec,
                                seed=trainer.model_config.seed)


def _check_display() -> None:
    """Qt aborts the process when it finds no display; say so in one line instead."""
    if sys.platform.startswith("linux") and not any(
            os.environ.get(name) for name in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")):
        raise UserError("no display found (DISPLAY is not set); use 'rnnviz run' to train without a "
                        "window, or set QT_QPA_PLATFORM=offscreen")


def last_settings(settings) -> dict:
    """The model, training and data settings saved when the window last closed ({} if none)."""
    result = {}
    for key, name in (("model", "last_model"), ("train", "last_train"), ("data", "last_data")):
        try:
            value = json.loads(str(settings.value(name, "")))
        except ValueError:
            continue  # never saved, or written by something else: the defaults will do
        if isinstance(value, dict):
            result[key] = value
    return result


def launch(args) -> int:
    """Open the window; returns the application's exit code."""
    _check_display()
    from PyQt6.QtCore import QSettings, QTimer

    from rnnviz.gui import qt_app
    from rnnviz.gui.plot import style
    from rnnviz.gui.window.main import MainWindow

    app = qt_app.application(sys.argv[:1])
    app.setOrganizationName("rnnviz")
    app.setApplicationName("rnnviz")
    style.configure()  # pg.setConfigOptions: white background, antialiasing, row-major images
    settings = QSettings("rnnviz", "rnnviz")
    trainer, data = start_plan(args, last_settings(settings))  # UserError -> exit 2, no window
    trainer = weights_plan(args, trainer)  # the same, before any window
    window = MainWindow(settings)
    if data.get("kind") == "session":  # saved while runs were compared: the whole group
        from rnnviz.gui.window.group import group_saved_beside

        trainer = group_saved_beside(window, data["path"], trainer)
    window.start_with_trainer(trainer, data)
    if getattr(args, "preset", None):
        window.show_lesson(args.preset)  # the story stays above the plots until dismissed
    window.show()
    if getattr(args, "autostart", False):
        QTimer.singleShot(0, window.start_training)
    elif getattr(args, "weights", None) is not None:  # what was read, for confirmation (and mapping)
        QTimer.singleShot(0, lambda: window.open_weights(
            args.weights, args.prefix, args.readout,
            note="The window already shows this network; Cancel keeps it, Open reads the file again with "
                 "the choices above."))
    # Ctrl+C in the terminal closes the window properly (settings saved, worker stopped); the
    # idle timer gives Python a moment every 200 ms to notice the signal while Qt's loop runs
    previous = signal.signal(signal.SIGINT, lambda *_: window.close())
    wake = QTimer()
    wake.timeout.connect(lambda: None)
    wake.start(200)
    # garbage is collected only here, on the GUI thread, between events (pyqtgraph's collector:
    # automatic collection off, a timer instead). Left automatic, a collection may start on the
    # training thread or inside Qt's painting and delete a widget dropped in a reference cycle
    # while Qt is using it (a test worker died so: SIGSEGV, "pure virtual method called")
    import gc

    from pyqtgraph.util.garbage_collector import GarbageCollector

    collector = GarbageCollector(interval=1.0)
    try:
        return app.exec()
    finally:
        collector.timer.stop()
        gc.enable()
        wake.stop()
        signal.signal(signal.SIGINT, previous)
        qt_app.dispose(window)  # before the application goes, whatever ended the loop
        qt_app.dispose_python_widgets(app)  # and any dialog or panel left over
