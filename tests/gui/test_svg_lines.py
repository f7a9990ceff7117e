"""An exported PNG draws its lines as wide, relative to the figure, as the SVG of the same figure
does in a renderer without a browser: thick enough for a slide, and the two files agree.

Cosmetic pens are device pixels, which the PNG's 2x pixel ratio does not scale: a 2 px curve
was 2 px in a 1920 px picture, half the width the SVG gives it."""

from __future__ import annotations

import contextlib
import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")  # before Qt is imported

import pytest
from PyQt6 import QtGui

from rnnviz.gui import export
from rnnviz.gui.panels.gradients import GradientsPanel
from tests.gui.factories import make_view
from tests.gui.test_svg import grey

resvg_py = pytest.importorskip("resvg_py")


def ink_ratio(folder, name: str) -> float:
    """Ink of the PNG over ink of the SVG rendered at the PNG's size (1.0: the same lines)."""
    png = QtGui.QImage(str(folder / f"{name}.png"))
    rendered = QtGui.QImage.fromData(resvg_py.svg_to_bytes(svg_path=str(folder / f"{name}.svg"),
                                                           width=png.width(), background="#ffffff"))
    return float((1 - grey(png)).sum() / (1 - grey(rendered)).sum())


def write(folder, view) -> None:
    panel = GradientsPanel()
    panel.update_view(view)
    widths = [curve.opts["pen"].widthF() for curve in panel.plot.curves]
    export.export_panel(panel, folder / "gradients.png")
    export.export_panel(panel, folder / "gradients.svg")
    assert [curve.opts["pen"].widthF() for curve in panel.plot.curves] == widths  # the screen's pens are back
    panel.close()


def test_png_lines_are_as_wide_as_the_svg_draws_them(tmp_path, qapp, monkeypatch):
    view = make_view(steps=40, hidden=8, layers=1)  # two curves on white: the lines are most of the ink
    write(tmp_path, view)
    assert 0.8 < ink_ratio(tmp_path, "gradients") < 1.25  # measured 0.87 (text and fills differ a little)
    thin = tmp_path / "thin"
    thin.mkdir()
    monkeypatch.setattr(export, "_widened_pens", lambda scene, factor: contextlib.nullcontext())
    write(thin, view)
    assert ink_ratio(thin, "gradients") < 0.75  # what the PNG was before (measured 0.68): thinner
