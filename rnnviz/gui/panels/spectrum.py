"""Spectrum panel: the recurrent matrix's eigenvalues and singular values.

Left: W_hh's eigenvalues in the complex plane with the unit circle; outside it, a linear
network's state grows step after step. Right: the singular values, largest first, with a
line at 1; a largest singular value below 1 / gamma (gamma = 1 for tanh) guarantees that
gradients vanish (Pascanu et al. 2013). Taken from the diagnostics when present, else
computed here from W_hh.

A gated cell's W_hh stacks its gate blocks, (G*H, H), and has no eigenvalues of its own:
the diagnostics give those of the candidate block (W_hg for the LSTM, W_hn for the GRU),
while the singular values are the whole stacked matrix's; the titles say which.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg

from rnnviz.gui.plot import steady
from rnnviz.gui.plot import style
from rnnviz.core.tables.network import spectrum_of as _spectrum
from rnnviz.gui.panels.base import Panel, as_float, legend_entry, set_points, set_title

PLANE_TITLE = "Eigenvalues of W_hh"
SINGULAR_TITLE = "Singular values"  # of W_hh too: the tooltip says so, the dock has no room
GATED_SINGULAR_TITLE = "\u03c3 of W_hh"  # all gates stacked (the axis says so): short enough for the dock
CANDIDATE_BLOCK = {"lstm": "g", "gru": "n"}  # the candidate's block name in PyTorch's gate order
PLANE_AXIS_WIDTH = 46  # px: "Im λ" and a tick text of up to five characters ("-3e10", "-0.5")
SINGULAR_HEADROOM = 1.15  # the sigma axis ends 15 % above max(1, sigma_max): the label above the line stays in view
SIGMA_LABEL_POSITION = 0.96  # along the line: the right end, where the sorted curve is lowest. The label
#                              sits above the line and ends there, clear of the curve unless the smallest
#                              sigma lies just above 1 (at the left end it covered any sigma_max > 1)
LABEL_SPAN = 0.35  # of the sorted curve's points, at its right end: those under the label's width
LABEL_HEIGHT = 0.1  # of the sigma axis: the label's height


class SpectrumPanel(Panel):
    view_name = "spectrum"
    title = "Spectrum"

    def _build(self) -> None:
        self.plane: pg.PlotItem = self.canvas.addPlot(row=0, col=0, axisItems={
            "left": style.CompactAxis("left"), "bottom": style.CompactAxis("bottom")})
        style.style_plot(self.plane, PLANE_TITLE, "Im \u03bb", "Re \u03bb")
        self.plane.setAspectLocked(True)
        # a fixed axis width: with the aspect locked, a tick text one character wider narrows the
        # plane, which changes its range, its ticks and the width again, tens of times a second
        self.plane.getAxis("left").setWidth(PLANE_AXIS_WIDTH)
        angle = np.linspace(0, 2 * np.pi, 361)
        self.plane.plot(np.cos(angle), np.sin(angle), pen=style.pen("#888888", 1.5, dashed=True))
        self.singular: pg.PlotItem = self.canvas.addPlot(row=0, col=1, axisItems={"left": style.CompactAxis("left")})
        style.style_plot(self.singular, SINGULAR_TITLE, "\u03c3_i", "i (largest first)")
        self.singular.setToolTip("singular values of W_hh, largest first; all below 1 (for tanh) means "
                                 "the gradient must vanish")
        self.plane.setToolTip("eigenvalues of W_hh in the complex plane; outside the unit circle a linear "
                              "recurrence grows")
        self.sigma_line = pg.InfiniteLine(pos=1.0, angle=0, movable=False,
                                              pen=style.pen(style.THRESHOLD_COLOR, 1.5, dashed=True),
                                              label="\u03c3 = 1", labelOpts={
                                                  "position": SIGMA_LABEL_POSITION, "anchors": [(1, 1), (1, 1)],
                                                  "color": style.THRESHOLD_COLOR})
        self.singular.addItem(self.sigma_line)
        for plot in (self.plane, self.singular):  # "-3e10 -2e10 -1e10" needs room: fewer texts
            plot.getAxis("bottom").setStyle(textFillLimits=[(0, 0.6), (2, 0.3), (4, 0.15)])
        self.legend = style.add_legend(self.plane, self.canvas.ci, row=1, col=0, columns=2,
                                       colspan=2)  # layers > 1 only
        self.eig_points: list[pg.ScatterPlotItem] = []
        self.sv_curves: list[pg.PlotCurveItem] = []  # the line through each layer's singular values
        self.sv_points: list[pg.ScatterPlotItem] = []  # ... and its dots

    def _ensure_items(self, layers: int, has_points=(), names=None) -> None:
        while len(self.eig_points) < layers:
            k = len(self.eig_points)
            color = style.layer_color(k)
            points = pg.ScatterPlotItem(size=7, pen=pg.mkPen(None), brush=pg.mkBrush(color))
            self.plane.addItem(points)
            self.eig_points.append(points)
            # a line and its dots as two items (what a PlotDataItem with symbols holds), so the dots'
            # positions alone change at a new view (set_points); the line ranges the plot, as before
            line = pg.PlotCurveItem(pen=style.pen(color), connect="finite")
            dots = pg.ScatterPlotItem(symbol="o", size=4, pen=pg.mkPen(None), brush=pg.mkBrush(color))
            self.singular.addItem(line)
            self.singular.addItem(dots, ignoreBounds=True)
            self.sv_curves.append(line)
            self.sv_points.append(dots)
        for k, (points, curve, dots) in enumerate(zip(self.eig_points, self.sv_curves, self.sv_points)):
            shown = k < layers and k < len(has_points) and bool(has_points[k])
            points.setVisible(shown)
            name = names[k] if names is not None and k < len(names) else f"layer {k}"
            legend_entry(self.plane, points, name, shown and layers > 1)  # one layer needs no key
            curve.setVisible(k < layers)
            dots.setVisible(k < layers)

    def names(self) -> list | None:
        """For a network of several stacks, a name per spectrum (part and layer); None for one stack."""
        diag = self.view.snapshot.diagnostics if self.view is not None else None
        parts = getattr(diag, "parts", None) or {}
        if not parts:
            return None
        return [f"{name}, layer {k}" for name, part in parts.items() for k in range(len(part.singular_values))]

    def spectra(self) -> list[tuple[np.ndarray, np.ndarray]]:
        """Per layer (per part and layer for several stacks): (eigenvalues (complex), singular
        values sorted largest first)."""
        if self.view is None:
            return []
        diag = self.view.snapshot.diagnostics
        parts = getattr(diag, "parts", None) or {}
        if parts:  # each direction's own W_hh, in the order of ``names``
            return [pair for part in parts.values() for pair in self._from_diagnostics(part)]
        if diag is not None and getattr(diag, "singular_values", None) is not None:
            return self._from_diagnostics(diag)
        result = []
        layers = int(self.view.model_config.get("num_layers", 1) or 1)
        for layer in range(layers):
            w_hh = as_float(self.view.snapshot.params.get(f"weight_hh_l{layer}"))
            result.append(_spectrum(w_hh))
        return result

    @staticmethod
    def _from_diagnostics(diag) -> list[tuple[np.ndarray, np.ndarray]]:
        eig = [np.asarray(e, dtype=complex).ravel() for e in getattr(diag, "eigenvalues", None) or []]
        sv = [np.sort(as_float(s).ravel())[::-1] for s in diag.singular_values]
        eig += [np.zeros(0, dtype=complex)] * (len(sv) - len(eig))
        return list(zip(eig, sv))

    def _redraw(self) -> None:
        spectra = self.spectra()
        self._ensure_items(len(spectra), [eig.size > 0 for eig, _ in spectra], self.names())
        for k, (eig, sv) in enumerate(spectra):
            keep = np.isfinite(eig)
            set_points(self.eig_points[k], eig.real[keep], eig.imag[keep])
            shown = np.where(np.isfinite(sv), sv, np.nan)
            self.sv_curves[k].setData(np.arange(1, sv.size + 1), shown)
            set_points(self.sv_points[k], np.arange(1, sv.size + 1), shown)
        missing = not any(sv.size for _, sv in spectra)
        note = " (not finite)" if missing else ""
        block = CANDIDATE_BLOCK.get(str(self.view.model_config.get("cell", "")).lower())
        label = {"font-size": style.LABEL_SIZE}
        if block:
            set_title(self.plane, f"Eigenvalues of W_h{block}" + note)
            set_title(self.singular, GATED_SINGULAR_TITLE + note)  # "Singular values of W_hh" ran past the edge
            style.set_label(self.plane, "bottom", f"Re \u03bb (candidate block {block})", **label)
            style.set_label(self.singular, "bottom", "i (all gates stacked)", **label)
        else:
            set_title(self.plane, PLANE_TITLE + note)
            set_title(self.singular, SINGULAR_TITLE + note)
            style.set_label(self.plane, "bottom", "Re \u03bb", **label)
            style.set_label(self.singular, "bottom", "i (largest first)", **label)
        steady.hold_items(self.plane)
        finite = [sv[np.isfinite(sv)] for _, sv in spectra]
        top = max([1.0] + [float(values.max()) for values in finite if values.size])
        steady.hold(self.singular, y=(0.0, top * SINGULAR_HEADROOM), y_floor=0.0)  # room for the "σ = 1" label
        steady.hold_items(self.singular, y=False)
        self._place_sigma_label(finite)

    def _place_sigma_label(self, finite: list) -> None:
        """The "σ = 1" label on the side of the line the curves leave free where it sits (the
        right end): an LSTM's smallest σ (~1.3) ran through it when it was always above, a GRU's
        tail crossing 1 when it was above the line there."""
        top = max([1.0] + [float(values.max()) for values in finite if values.size]) * SINGULAR_HEADROOM
        reach = LABEL_HEIGHT * top  # the label's height in σ units
        tails = [values[int(values.size * (1 - LABEL_SPAN)):] for values in finite if values.size]
        tail = np.concatenate(tails) if tails else np.zeros(0)
        crowd_above = int(((tail > 1.0) & (tail <= 1.0 + reach)).sum())
        crowd_below = int(((tail < 1.0) & (tail >= 1.0 - reach)).sum())
        if crowd_above != crowd_below:
            below = crowd_above > crowd_below
        else:  # nothing near the line at the label: away from where the curve ends
            lows = [float(values.min()) for values in finite if values.size]
            below = bool(lows) and min(lows) > 1.0
        anchor = (1, 0) if below else (1, 1)
        label = self.sigma_line.label
        if list(label.anchors) != [anchor, anchor]:
            label.anchors = [anchor, anchor]
            label.updatePosition()
