"""Legend entries that follow what is drawn: a line with nothing to show has no entry."""

from __future__ import annotations

import pyqtgraph as pg


def legend_entry(plot: pg.PlotItem, item, name: str, show: bool) -> None:
    """Keep ``item`` in the plot's legend only while it has something to show (a baseline
    that exists, clipping that is on), so the legend never names an invisible line."""
    legend = plot.legend
    if legend is None:
        return
    labels = [label for sample, label in legend.items if sample.item is item]
    if labels and (not show or labels[0].text != name):
        legend.removeItem(item)
        labels = []
    if show and not labels:
        legend.addItem(item, name)
