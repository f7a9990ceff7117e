"""Curves end at the plot box in an exported SVG, as they do on screen and in the PNG.

Qt's SVG Tiny writer drops every clip: a loss spike above the axis (which follows the recent
steps) ran over the title in every renderer. The export now writes SVG 1.1 clip paths in page
coordinates; a renderer without a browser (resvg) must draw the band above the plot box as the
PNG does."""

from __future__ import annotations

import dataclasses
import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")  # before Qt is imported

import numpy as np
import pytest
from PyQt6 import QtGui

from rnnviz.gui.export import export_panel
from rnnviz.gui.panels.loss import LossPanel
from rnnviz.gui.plot.svg import page_coordinates
from tests.gui.factories import make_view
from tests.gui.test_svg import blocks, grey

resvg_py = pytest.importorskip("resvg_py")

TOP_BAND = 36  # px of the figure above the plot box (which starts ~40 px down): the title row


@pytest.fixture(scope="module")
def spiked_loss(tmp_path_factory, qapp):
    """A loss panel whose first steps are a spike a million times the rest: off the top of the axis."""
    view = make_view(steps=12, hidden=8, layers=1, history=200)
    steps, loss = view.series["loss"]
    loss = np.array(loss, dtype=float)
    loss[:20] = 1e6 * loss[:20]
    series = {**view.series, "loss": (steps, loss)}
    panel = LossPanel()
    panel.update_view(dataclasses.replace(view, series=series))
    out = tmp_path_factory.mktemp("clip")
    export_panel(panel, out / "loss.png")
    export_panel(panel, out / "loss.svg")
    panel.close()
    return out


def coloured(image: QtGui.QImage, rows: int) -> int:
    """Pixels in the top ``rows`` with a hue (curves are coloured; text, axes and grid are grey)."""
    image = image.convertToFormat(QtGui.QImage.Format.Format_RGB32)
    pixels = np.frombuffer(image.constBits().asstring(image.sizeInBytes()), dtype=np.uint8)
    rgb = pixels.reshape(image.height(), -1, 4)[:rows, : image.width(), :3].astype(int)
    return int(((rgb.max(axis=2) - rgb.min(axis=2)) > 40).sum())


def test_a_spike_off_the_axis_stays_inside_the_plot_box_in_the_svg(spiked_loss):
    png = QtGui.QImage(str(spiked_loss / "loss.png"))
    rendered = QtGui.QImage.fromData(resvg_py.svg_to_bytes(svg_path=str(spiked_loss / "loss.svg"),
                                                           width=png.width(), background="#ffffff"))
    band = int(TOP_BAND * png.width() / 960)
    assert coloured(png, band) == 0  # on screen the spike ends at the plot box
    assert coloured(rendered, band) == 0  # and so in the SVG (it crossed the title without clips)
    a, b = blocks(grey(png)[:band]), blocks(grey(rendered)[:band])
    assert np.abs(a - b).max() < 0.35 and grey(rendered)[:band].min() < 0.5  # the title is there


def test_a_clip_left_over_from_another_item_is_dropped():
    """Qt leaves the title's clip on a legend sample drawn far below it: the sample must show."""
    svg = ('<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 100 100"><defs>'
           '<clipPath id="c1"><path d="M40,0 L60,0 L60,10 L40,10 Z"/></clipPath></defs>'
           '<g clip-path="url(#c1)"><polyline points="5,90 25,90"/></g>'
           '<g clip-path="url(#c1)"><polyline points="0,5 100,5"/></g></svg>')
    text = page_coordinates(svg)
    sample, curve = text.split("<polyline")[1:]
    assert text.count('clip-path="url(#c1)"') == 1  # the curve crossing its clip keeps it
    assert "0,5 100,5" in curve


def test_a_label_box_left_on_a_curve_is_dropped():
    """The "σ = 1" label's box, left by Qt on the singular values drawn after it: none of the
    curve's points lies in it, and it is a small part of the curve's extent."""
    svg = ('<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 100 100"><defs>'
           '<clipPath id="c1"><path d="M80,50 L95,50 L95,56 L80,56 Z"/></clipPath></defs>'
           '<g clip-path="url(#c1)"><polyline points="10,10 40,40 70,70 90,90"/></g>'
           '<g clip-path="url(#c1)"><polyline points="82,20 84,53 90,80"/></g></svg>')
    text = page_coordinates(svg)
    assert text.count('clip-path="url(#c1)"') == 1  # kept where a point lies inside the box


def test_the_singular_values_are_drawn_in_the_spectrum_svg(tmp_path, qapp):
    from rnnviz.gui.panels import SpectrumPanel

    panel = SpectrumPanel()
    panel.update_view(make_view(steps=12, hidden=8, layers=1))
    export_panel(panel, tmp_path / "spectrum.png")
    export_panel(panel, tmp_path / "spectrum.svg")
    panel.close()
    png = QtGui.QImage(str(tmp_path / "spectrum.png"))
    rendered = QtGui.QImage.fromData(resvg_py.svg_to_bytes(svg_path=str(tmp_path / "spectrum.svg"),
                                                           width=png.width(), background="#ffffff"))
    right = rendered.copy(rendered.width() // 2, 0, rendered.width() // 2, rendered.height() * 9 // 10)
    png_right = png.copy(png.width() // 2, 0, png.width() // 2, png.height() * 9 // 10)
    # the blue curve, beside the red σ = 1 line and its label: as many coloured pixels as in the PNG
    assert coloured(right, right.height()) > 0.5 * coloured(png_right, png_right.height())


def test_a_curve_after_a_label_in_its_plot_gets_the_plots_clip_again():
    """Qt leaves the horizon label's box on the chain's off-scale bound, painted after the label
    in the same plot: the bound must end at the plot box, not run over the title above it."""
    svg = ('<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 100 100"><defs>'
           '<clipPath id="plot"><path d="M10,20 L90,20 L90,90 L10,90 Z"/></clipPath>'
           '<clipPath id="label"><path d="M70,22 L88,22 L88,28 L70,28 Z"/></clipPath></defs>'
           '<g clip-path="url(#plot)"><polyline points="10,80 90,60"/></g>'
           '<g clip-path="url(#label)"><polyline points="71,23 87,27"/></g>'
           '<g clip-path="url(#label)"><polyline points="12,85 40,40 60,5"/></g>'
           '<g clip-path="url(#label)"><polyline points="20,96 30,96"/></g></svg>')
    text = page_coordinates(svg)
    curve, label, bound, sample = text.split("<polyline")[1:]
    assert text.count('clip-path="url(#plot)"') == 2  # the curve's own, and the bound's again
    assert text.count('clip-path="url(#label)"') == 1  # the label keeps its box
    assert "60,5" in bound and 'url(#plot)' in text.split("<polyline")[2]  # the group around the bound
    assert "20,96" in sample  # below the plot: no clip at all, as before
