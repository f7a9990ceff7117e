"""The ``rnnviz`` command: the window by default, and headless subcommands.

  rnnviz [--data FILE | --task NAME | --session FILE] [--preset NAME] [--weights FILE] [--autostart]
  rnnviz run ...            train without a window (see ``rnnviz run --help``)
  rnnviz export SESSION ... write every plot of a saved session
  rnnviz bench              measure speed side by side on this machine
  rnnviz sweep ...          train a grid of settings on Dask (see ``rnnviz sweep --help``)

Each subcommand lives in its own module with ``add_arguments(parser)`` and ``main(args) -> int``;
this file only dispatches, and turns every error a person can fix (a bad flag, a bad file, a
run too big for memory) into exactly one line ``rnnviz: error: ...`` on stderr and exit code 2.
Any other exception is a bug in rnnviz and keeps its traceback.
"""

from __future__ import annotations

import argparse
import importlib
import re
import sys

from rnnviz import __version__, runtime

# rnnviz.core (numpy) is imported inside main(), where a Ctrl-C during the import is caught: the
# ``rnnviz`` script imports this module before any of our code can catch anything

EXIT_OK = 0
EXIT_BAD_INPUT = 2  # bad file, bad setting, unwritable folder, not enough memory: one line on stderr
EXIT_DIVERGED = 3  # training hit NaN/Inf; what came before is kept, saved or exported
EXIT_INTERRUPTED = 130  # Ctrl-C: the shell's convention (128 + SIGINT)
EXIT_HANGUP = 129  # SIGHUP, a closed terminal: 128 + 1; a run saves and exports first, as for Ctrl-C
EXIT_TERMINATED = 143  # SIGTERM (kill, timeout): 128 + 15; likewise

# what exit code 3 means for each command; None: the command never returns it
DIVERGED_MEANING = {
    None: "training diverged (the message names the step and where; earlier work is kept)",
    "run": "training diverged (the message names the step and where; earlier work is kept)",
    "export": "the session's run had diverged (its plots are still written)",
    "bench": None,
    "sweep": None,
}
INTERRUPTED_MEANING = {
    None: "interrupted by Ctrl-C",
    "run": "interrupted by Ctrl-C (the steps done so far are still saved and exported)",
    "export": "interrupted by Ctrl-C",
    "bench": "interrupted by Ctrl-C",
    "sweep": "interrupted by Ctrl-C (pending points cancelled; finished ones kept: run again to resume)",
}
# the flags that size a run's arrays, named when it does not fit in memory
MEMORY_FLAGS = "--hidden, --batch, --seq-len (or a task's --length) or --layers"

# subcommand name -> module holding add_arguments(parser) and main(args)
SUBCOMMANDS = {
    "run": ("rnnviz.cli.run", "train headless, print progress, optionally save and export"),
    "export": ("rnnviz.cli.export", "write every plot (PNG, SVG, CSV) of a saved session, or its network "
                                    "as PyTorch weights"),
    "bench": ("rnnviz.bench.command", "measure speed side by side on this machine and print ratios"),
    "sweep": ("rnnviz.cli.sweep", "train a grid of settings x seeds on Dask; write results.csv and a phase diagram"),
}


def exit_codes(command: str | None) -> str:
    """The 'exit codes' section of one command's --help."""
    codes = [(EXIT_OK, "finished"),
             (EXIT_BAD_INPUT, "bad input or settings, or not enough memory for them "
                              "(one line 'rnnviz: error: ...' on stderr)")]
    if DIVERGED_MEANING.get(command) is not None:
        codes.append((EXIT_DIVERGED, DIVERGED_MEANING[command]))
    codes.append((EXIT_INTERRUPTED, INTERRUPTED_MEANING.get(command, INTERRUPTED_MEANING[None])))
    if command == "run":
        codes[1] = (EXIT_BAD_INPUT, codes[1][1] + "; also when --save could not be written: the run is then "
                                                   "saved to a fallback folder named on stderr")
        codes += [(EXIT_HANGUP, "the terminal was closed (SIGHUP): saved and exported as for Ctrl-C"),
                  (EXIT_TERMINATED, "terminated (SIGTERM, e.g. kill or timeout): saved and exported as for Ctrl-C")]
    return "exit codes:\n" + "".join(f"  {code:>3}  {meaning}\n" for code, meaning in codes)


class CommandParser(argparse.ArgumentParser):
    """argparse with the command's own error format: one line, exit code 2, no usage block.

    argparse makes each subcommand's parser with the class of the root parser, so every
    subcommand inherits this. ``help_details`` may be set to a function returning extra help
    text that needs a slow import (the view names need Qt): it is called only when help is shown.
    """

    help_details = None
    command_parsers: dict = {}  # subcommand name -> its parser (set on the root by build_parser)

    def error(self, message: str):
        self.exit(EXIT_BAD_INPUT, f"rnnviz: error: {one_line(message)} (see {self.prog} --help)\n")

    def format_help(self) -> str:
        if self.help_details is not None:
            details, self.help_details = self.help_details, None
            self.epilog = f"{details()}\n\n{self.epilog or ''}"
        return super().format_help()


def one_line(text: str) -> str:
    return " ".join(str(text).split())


def build_parser() -> CommandParser:
    parser = CommandParser(
        prog="rnnviz",
        description="Watch vanishing and exploding gradients inside a recurrent network while it trains. "
                    "With no subcommand, opens the window.",
        epilog=exit_codes(None),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"rnnviz {__version__}")
    window = parser.add_argument_group("window")
    window.add_argument("--data", metavar="FILE", help="open a text (.txt) or series (.csv) file")
    window.add_argument("--task", metavar="NAME", help="open a built-in long-memory task")
    window.add_argument("--session", metavar="FILE", help="open a saved session (.npz)")
    from rnnviz.core.train.presets import PRESET_NAMES

    every_name = "; ".join(f"'{name}'" for name in PRESET_NAMES)  # --help lists each by its exact name
    window.add_argument("--preset", metavar="NAME",
                        help=f"load a preset: {every_name} (any case; 'exploding-clipped' works too)")
    window.add_argument("--autostart", action="store_true", help="start training at once")
    window.add_argument("--weights", metavar="FILE", help="start from a PyTorch network's weights (.safetensors, "
                                                          "or .pt/.pth with PyTorch), on --data/--task or the sample")
    window.add_argument("--prefix", metavar="NAME", help="with --weights: the recurrent module's name (default rnn.)")
    window.add_argument("--readout", metavar="NAME", help="with --weights: the nn.Linear readout's name (default out.)")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, (module_name, help_text) in SUBCOMMANDS.items():
        child = sub.add_parser(name, help=help_text, description=help_text, epilog=exit_codes(name),
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
    parser.command_parsers = dict(sub.choices)
    return parser


def parse(parser: CommandParser, argv: list[str] | None):
    """parse_args, except that a flag the subcommand does not know is reported by that
    subcommand's parser (``see rnnviz run --help``), not by the root's."""
    args, extras = parser.parse_known_args(argv)
    if extras:
        owner = parser.command_parsers.get(args.command, parser)
        owner.error(f"unrecognized arguments: {' '.join(extras)}")
    return args


def main(argv: list[str] | None = None) -> int:
    try:  # Ctrl-C while the modules load (the first fraction of a second): no traceback either
        from rnnviz.core.errors import UserError

        parser = build_parser()
        args = parse(parser, argv)
    except KeyboardInterrupt:
        print("rnnviz: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    runtime.keep_freed_memory()  # the application's choice, never the library's: see rnnviz.runtime
    try:
        if args.command is None:
            from rnnviz.gui.app import launch

            return launch(args)
        if args.handler is None:
            raise UserError(f"'rnnviz {args.missing}' is not available in this version")
        from rnnviz.cli.safekeeping import forgiving_stdout

        with forgiving_stdout():  # a reader that goes away (``| head``) must not cost a run its save
            return args.handler(args)
    except UserError as exc:
        print(f"rnnviz: error: {one_line(exc)}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except MemoryError as exc:  # numpy's _ArrayMemoryError too: the settings, not rnnviz, are at fault
        print(f"rnnviz: error: {memory_message(args.command, exc)}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt as exc:  # rnnviz.interrupts.Interrupted carries SIGTERM's / SIGHUP's code
        print("rnnviz: interrupted", file=sys.stderr)
        return getattr(exc, "exit_code", EXIT_INTERRUPTED)


def memory_message(command: str | None, exc: MemoryError) -> str:
    """One line: how much was asked for (numpy says it) and which settings to lower."""
    found = re.search(r"allocate ([\d.]+)\s*([KMGTPE]?i?B)", str(exc))
    asked = f" (an array of {found.group(1).rstrip('.')} {found.group(2)} did not fit)" if found else ""
    if command == "run":
        return f"these settings need more memory than this machine has{asked}; lower {MEMORY_FLAGS}"
    if command == "export":
        return (f"this session needs more memory to draw than this machine has{asked}; "
                "export it on a machine with more memory")
    return f"this needs more memory than this machine has{asked}"
