"""The numbers behind each view, as a table, without Qt.

Each view of the window (and of ``rnnviz run --export``) has a CSV of exactly what it plots;
the functions here turn a ``ViewData`` (rnnviz.core.train.records) into that table, a header
and rows, so the command line writes CSVs without building a widget, and a panel's CSV is the
core's table of the view it shows. ``table(name, view)`` is the one entry point.
"""

from __future__ import annotations

from rnnviz.core.tables import gradients, history, network, others, prediction

TABLES = {
    "loss": history.loss, "hidden": network.hidden, "gradients": gradients.gradients,
    "chain": gradients.chain, "flow": history.flow, "weights": network.weights,
    "spectrum": network.spectrum, "norms": history.norms, "gates": network.gates,
    "connectivity": gradients.connectivity, "distributions": history.distributions, "units": gradients.units,
}
OTHER_TABLES = {  # the window's views of something else than one run's ViewData
    "runs": others.runs, "text": prediction.text, "phase": others.phase, "success": others.success,
}


def has_table(name: str) -> bool:
    return name in TABLES or name in OTHER_TABLES


def table(name: str, view, **options) -> tuple[list[str], list[list]]:
    """(header, rows) of the view ``name`` of ``view`` (a ViewData, or None for an empty table;
    for OTHER_TABLES, what that view shows). ``options`` are the view's own settings that change
    the table (the loss view's ``log_y``)."""
    header, rows = {**TABLES, **OTHER_TABLES}[name](view, **options)
    return list(header), [list(row) for row in rows]
