"""The ``rnnviz`` command: the window by default, and headless subcommands.

  rnnviz [--data FILE | --task NAME | --session FILE] [--preset NAME] [--autostart]
  rnnviz run ...            train without a window (see ``rnnviz run --help``)
  rnnviz export SESSION ... write every plot of a saved session
  rnnviz bench              measure speed side by side on this machine

Each subcommand lives in its own module with ``add_arguments(parser)`` and ``main(args) -> int``;
this file only dispatches, and turns a known user error into one line on stderr.
"""

from __future__ import annotations

import argparse
import importlib
import sys

from rnnviz import __version__
from rnnviz.core.errors import UserError

EXIT_OK = 0
EXIT_BAD_INPUT = 2  # bad file, bad setting, unwritable folder: one line on stderr
EXIT_DIVERGED = 3  # training hit NaN/Inf; what came before is kept, saved or exported

EXIT_CODES = f"""exit codes:
  {EXIT_OK}  finished
  {EXIT_BAD_INPUT}  bad input or settings (one line 'rnnviz: error: ...' on stderr)
  {EXIT_DIVERGED}  training diverged (the message names the step and where; earlier work is kept)
"""

# subcommand name -> module holding add_arguments(parser) and main(args)
SUBCOMMANDS = {
    "run": ("rnnviz.cli_run", "train headless, print progress, optionally save and export"),
    "export": ("rnnviz.cli_export", "write every plot (PNG, SVG, CSV) of a saved session"),
    "bench": ("rnnviz.bench", "measure speed side by side on this machine and print ratios"),
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="rnnviz",
        description="Watch vanishing and exploding gradients inside a recurrent network while it trains. "
                    "With no subcommand, opens the window.",
        epilog=EXIT_CODES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"rnnviz {__version__}")
    window = parser.add_argument_group("window")
    window.add_argument("--data", metavar="FILE", help="open a text (.txt) or series (.csv) file")
    window.add_argument("--task", metavar="NAME", help="open a built-in long-memory task")
    window.add_argument("--session", metavar="FILE", help="open a saved session (.npz)")
    window.add_argument("--preset", metavar="NAME", help="load a preset (Vanishing, Exploding, ...)")
    window.add_argument("--autostart", action="store_true", help="start training at once")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, (module_name, help_text) in SUBCOMMANDS.items():
        child = sub.add_parser(name, help=help_text, description=help_text, epilog=EXIT_CODES,
                               formatter_class=argparse.RawDescriptionHelpFormatter)
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name != module_name:
                raise
            child.set_defaults(handler=None, missing=name)
            continue
        module.add_arguments(child)
        child.set_defaults(handler=module.main)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        if args.command is None:
            from rnnviz.gui.app import launch

            return launch(args)
        if args.handler is None:
            raise UserError(f"'rnnviz {args.missing}' is not available in this version")
        return args.handler(args)
    except UserError as exc:
        print(f"rnnviz: error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        print("rnnviz: interrupted", file=sys.stderr)
        return 130
