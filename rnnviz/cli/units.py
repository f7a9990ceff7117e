"""``rnnviz run --units-off 0:3,0:17 [--hold mean]``: train with hidden units switched off.

Units are given as the panels and ``units.csv`` name them: ``layer:unit`` numbers, or names
such as ``fwd 3`` / ``bwd 3`` (a bidirectional net), ``enc 3`` / ``dec 3`` (an encoder-decoder,
or a vector-to-sequence net's decoder), ``1:bwd 0`` for a layer above the first.

The same hold as the window's (``Trainer.switch_units_off``): each listed unit is held at 0, or
at its mean over a batch of the data (the held-out one when there is one, else the first), at
every step from the first; a resumed run keeps the units its session holds, and these flags
replace them.
"""

from __future__ import annotations

from rnnviz.core.errors import UserError
from rnnviz.core.nn.units import parse_unit, unit_name


def add_arguments(group) -> None:
    group.add_argument("--units-off", metavar="L:U,...",
                       help="hold these hidden units (layer:unit, e.g. 0:3,0:17, or names such as "
                            "'fwd 3,bwd 0' or 'enc 1,dec 2') at a constant while training")
    group.add_argument("--hold", metavar="zero|mean", default=None,
                       help="what --units-off holds them at: 0 (default) or their mean over a batch of the data")


def parse(text: str, config) -> list[tuple[int, int]]:
    """'0:3,1:7' -> [(0, 3), (1, 7)]; 'fwd 1,1:bwd 0' -> the numbers of those units in a network
    of ``config``'s shape; UserError naming the flag otherwise."""
    units = []
    for item in text.split(","):
        try:
            units.append(parse_unit(config, item))
        except ValueError as exc:
            raise UserError(f"--units-off takes layer:unit pairs or unit names separated by commas (e.g. 0:3,0:17 "
                            f"or 'fwd 3,bwd 0'): {exc}") from None
    return units


def apply(trainer, args) -> str:
    """Switch the units of ``--units-off`` off, as ``--hold`` says; UserError for bad values.
    Returns the line that says which units the run holds (also those of a resumed session), or ""."""
    text, hold = getattr(args, "units_off", None), getattr(args, "hold", None)
    if text is None:
        if hold is not None:
            raise UserError("--hold needs --units-off (the units to hold)")
        return describe(trainer)
    if hold not in (None, "zero", "mean"):
        raise UserError(f"--hold must be zero or mean, got {hold!r}")
    try:
        trainer.switch_units_off(parse(text, trainer.model_config), hold or "zero")
    except ValueError as exc:
        raise UserError(f"--units-off: {exc}") from None
    return describe(trainer)


def describe(trainer) -> str:
    """'units held off (mean): fwd 1 at 0.123, bwd 6 at -0.0456', or "" when every unit is free."""
    clamp = trainer.units_off
    if clamp is None or not clamp.units:
        return ""
    held = ", ".join(f"{unit_name(trainer.model_config, layer, unit)} at {value:.3g}"
                     for (layer, unit), value in zip(clamp.units, clamp.values))
    return f"units held off ({clamp.mode}): {held}"
