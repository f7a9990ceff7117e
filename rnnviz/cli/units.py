"""``rnnviz run --units-off 0:3,0:17 [--hold mean]``: train with hidden units switched off.

The same hold as the window's (``Trainer.switch_units_off``): each listed unit is held at 0, or
at its mean over a batch of the data (the held-out one when there is one, else the first), at
every step from the first; a resumed run keeps the units its session holds, and these flags
replace them.
"""

from __future__ import annotations

from rnnviz.core.errors import UserError


def add_arguments(group) -> None:
    group.add_argument("--units-off", metavar="L:U,...",
                       help="hold these hidden units (layer:unit, e.g. 0:3,0:17) at a constant while training")
    group.add_argument("--hold", metavar="zero|mean", default=None,
                       help="what --units-off holds them at: 0 (default) or their mean over a batch of the data")


def parse(text: str) -> list[tuple[int, int]]:
    """'0:3,1:7' -> [(0, 3), (1, 7)]; UserError naming the flag otherwise."""
    units = []
    for item in text.split(","):
        parts = item.strip().split(":")
        try:
            layer, unit = (int(p) for p in parts) if len(parts) == 2 else (None, None)
        except ValueError:
            layer = None
        if layer is None:
            raise UserError(f"--units-off takes layer:unit pairs separated by commas (e.g. 0:3,0:17), got {item!r}")
        units.append((layer, unit))
    return units


def apply(trainer, args) -> None:
    """Switch the units of ``--units-off`` off, as ``--hold`` says; UserError for bad values."""
    text, hold = getattr(args, "units_off", None), getattr(args, "hold", None)
    if text is None:
        if hold is not None:
            raise UserError("--hold needs --units-off (the units to hold)")
        return
    if hold not in (None, "zero", "mean"):
        raise UserError(f"--hold must be zero or mean, got {hold!r}")
    try:
        trainer.switch_units_off(parse(text), hold or "zero")
    except ValueError as exc:
        raise UserError(f"--units-off: {exc}") from None
