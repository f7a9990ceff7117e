"""Write panels to files: PNG and SVG pictures, CSV numbers, and a whole run's folder.

The window's "Export" menu and the headless ``rnnviz run --export`` / ``rnnviz export`` use
the very same panel classes, so a figure written without a display is the one on screen.
A CSV holds the core's table of the view (``rnnviz.core.tables``), metadata.json the core's
``run_metadata`` (``rnnviz.core.exports``): only the pictures need Qt.

SVG is written with Qt's own QSvgGenerator because pyqtgraph 0.14's SVGExporter crashes
under Qt 6.11 on closed paths (pyqtgraph issue 3495), then rewritten in page coordinates
(``rnnviz.gui.plot.svg``). Every figure carries a one-line caption: cell, data, step.

Every file is whole or absent (``rnnviz.core.atomic``): pictures are drawn into memory first,
then written beside the target and moved into place, so a full disk or a kill never leaves a
PNG without its end; the error names the file that failed. Signals are held while Qt builds
and paints a panel (``rnnviz.interrupts.held_signals``): a Ctrl-C raised inside Qt would be lost.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
from pathlib import Path

import numpy as np

from rnnviz.core import atomic
from rnnviz.core.errors import UserError
from rnnviz.core.exports import csv_bytes
from rnnviz.gui import qt_app
from rnnviz.interrupts import held_signals

FORMATS = (".png", ".svg", ".csv")
PNG_SCALE = 2  # pixels per screen pixel in PNGs: sharp when a page or README scales them down
LAYOUT_PASSES = 2  # throwaway paints before the real one; axes settle their width in one or two


def ensure_app():
    """The running QApplication, or a new offscreen one (exports never need a display)."""
    return qt_app.application(["rnnviz-export"], offscreen=True)


def export_panel(panel, path) -> Path:
    """Write one panel to ``path``; the suffix (.png, .svg, .csv) picks the format."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in FORMATS:
        raise UserError(f"cannot export to '{path.name}': use a name ending in .png, .svg or .csv")
    _check_folder(path.parent)
    if suffix == ".csv":
        data = _csv_bytes(panel)
    else:
        with held_signals():  # Qt calls Python while it paints: no signal may be raised in there
            data = _svg_bytes(panel) if suffix == ".svg" else _png_bytes(panel)
        if not data:
            raise UserError(f"cannot write {path}: Qt produced no {suffix[1:].upper()} data")
    atomic.write_bytes(path, data)
    return path


def exported_files() -> list[str]:
    """Every file name ``export_all`` writes into the folder, in its order."""
    from rnnviz.gui.panels import PANEL_CLASSES

    return ([f"{panel.view_name}{suffix}" for panel in PANEL_CLASSES for suffix in FORMATS]
            + ["metadata.json", "history.npz"])


def export_all(view, out_dir, metadata: dict, history_arrays: dict) -> list[Path]:
    """Every view as DIR/<view>.png, .svg and .csv (and DIR/runs.* when runs are compared), then
    DIR/metadata.json and DIR/history.npz.
    Returns the paths written, in that order."""
    from rnnviz.gui.panels import PANEL_CLASSES

    out_dir = Path(out_dir)
    _check_folder(out_dir)
    ensure_app()
    written: list[Path] = []
    for panel_class in PANEL_CLASSES:
        # Qt calls Python while a panel is built and laid out too (item geometry, resize
        # events): a second Ctrl-C raised in there would surface as a Qt error, so signals
        # wait until this panel's files are whole and are then delivered
        with held_signals():
            panel = panel_class()
            try:
                panel.update_view(view)
                for suffix in FORMATS:
                    written.append(export_panel(panel, out_dir / f"{panel.view_name}{suffix}"))
            finally:
                qt_app.dispose(panel)  # now, whole: never by a garbage collection in the middle of Qt's work
    with held_signals():  # the same for the runs compared
        written += export_runs(view, out_dir)
    written.append(write_metadata(out_dir / "metadata.json", metadata))
    written.append(write_history(out_dir / "history.npz", history_arrays))
    return written


def export_runs(view, out_dir: Path) -> list[Path]:
    """Runs compared (fork and compare): DIR/runs.png, .svg and .csv, their overlays as the Runs
    dock draws them; nothing for a single run."""
    group = getattr(view, "group", None)
    if group is None or not group.overlays:
        return []
    from rnnviz.gui.panels.group import GroupPanel

    panel = GroupPanel()
    try:
        panel.show_overlays(group.overlays)
        return [export_panel(panel, out_dir / f"runs{suffix}") for suffix in FORMATS]
    finally:
        qt_app.dispose(panel)


def write_metadata(path: Path, metadata: dict) -> Path:
    return atomic.write_text(path, json.dumps(_jsonable(metadata), indent=2, allow_nan=False) + "\n")


def write_history(path: Path, arrays: dict) -> Path:
    plain = {name: np.asarray(value) for name, value in arrays.items()}
    return atomic.write_with(path, lambda stream: np.savez(stream, allow_pickle=False, **plain))


# --------------------------------------------------------------------- formats
def _check_folder(folder: Path) -> None:
    """Create ``folder`` or say in one line why it cannot be used."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UserError(f"cannot create export folder {folder}: {exc.strerror or exc}") from None
    if not folder.is_dir() or not os.access(folder, os.W_OK):
        raise UserError(f"cannot write to export folder {folder}: permission denied")


def _csv_bytes(panel) -> bytes:
    return csv_bytes(*panel.csv_table())  # the core's table of the view the panel shows


def prepared_scene(panel):
    """Lay the panel's canvas out at its on-screen size, or at the export size when it has
    never been shown, and return (scene, source rect, size) ready to render."""
    from PyQt6 import QtCore, QtGui

    from rnnviz.gui.plot import style

    canvas = panel.graphics()
    if not canvas.isVisible():
        # never shown (headless, tests): size it and lay it out without opening a window,
        # since show() on the offscreen platform prints a Qt warning
        canvas.resize(*style.EXPORT_SIZE)
        canvas.resizeEvent(None)
    scene = canvas.scene()
    size = QtCore.QSize(canvas.width(), canvas.height())
    source = canvas.viewportTransform().inverted()[0].mapRect(QtCore.QRectF(0, 0, size.width(), size.height()))
    for _ in range(LAYOUT_PASSES):
        _settle(canvas)
        # a throwaway paint: axes measure their tick labels while painting and then ask for
        # more room, so the first paint of a fresh panel is laid out with the old sizes
        scratch = QtGui.QImage(size, QtGui.QImage.Format.Format_ARGB32)
        painter = QtGui.QPainter(scratch)
        scene.render(painter, QtCore.QRectF(0, 0, size.width(), size.height()), source)
        painter.end()
    _settle(canvas)
    return scene, source, size


def _settle(canvas) -> None:
    """Apply pending layout requests and auto-ranges now instead of at the next event loop."""
    from PyQt6 import QtCore

    QtCore.QCoreApplication.sendPostedEvents(None, QtCore.QEvent.Type.LayoutRequest.value)
    canvas.ci.layout.activate()
    canvas.scene().prepareForPaint()  # lets view boxes finish pending auto-range before painting


CAPTION_HEIGHT = 22  # px below the plot for the one-line caption: which run this figure is from
CAPTION_POINT_SIZE = 9


def caption(view) -> str:
    """One line saying which run a figure comes from: cell and size, data, step, status."""
    if view is None or not hasattr(view, "snapshot"):  # not one run's view (a sweep's table): its own line
        return str(getattr(view, "caption", None) or "rnnviz")
    model = view.model_config or {}
    layers = model.get("num_layers", 1)
    net = f"{model.get('cell', '?')} H={model.get('hidden_size', '?')}" + (f" ×{layers} layers" if layers != 1 else "")
    train = view.train_config or {}
    clip = "" if view.clip_mode == "none" else f", clip {view.clip_mode} {view.clip_threshold:g}"
    text = (f"rnnviz · {net} · {view.source_name} · {train.get('optimizer', '?')} lr {train.get('lr', 0):g}{clip}"
            f" · step {view.snapshot.step}")
    if view.status == "diverged":
        text += " · diverged: last finite state"
    return text


def _draw_caption(painter, panel, width: int, top: int) -> None:
    from PyQt6 import QtCore, QtGui

    font = QtGui.QFont()
    font.setPointSize(CAPTION_POINT_SIZE)
    painter.setFont(font)
    painter.setPen(QtGui.QColor("#333333"))
    painter.drawText(QtCore.QRectF(8, top, width - 16, CAPTION_HEIGHT),
                     int(QtCore.Qt.AlignmentFlag.AlignLeft | QtCore.Qt.AlignmentFlag.AlignVCenter),
                     caption(panel.view))


def _paint_figure(painter, panel, scene, source, size) -> None:
    """The plot, then its caption underneath, on a white page of the figure's size."""
    from PyQt6 import QtCore, QtGui

    painter.setRenderHint(QtGui.QPainter.RenderHint.Antialiasing, True)
    painter.setRenderHint(QtGui.QPainter.RenderHint.TextAntialiasing, True)
    painter.fillRect(QtCore.QRectF(0, 0, size.width(), size.height() + CAPTION_HEIGHT), QtGui.QColor("white"))
    scene.render(painter, QtCore.QRectF(0, 0, size.width(), size.height()), source)
    _draw_caption(painter, panel, size.width(), size.height())


@contextlib.contextmanager
def _widened_pens(scene, factor: float):
    """Curves and lines ``factor`` times wider while a PNG is painted, then as they were.

    Their pens are cosmetic: widths in device pixels, which the PNG's device-pixel ratio does
    not scale. At PNG_SCALE a 2 px curve came out half as wide as the same figure's SVG in any
    renderer, too thin for a slide; widened, both agree with the screen's proportions."""
    import pyqtgraph as pg

    changed = []
    for item in scene.items():
        if isinstance(item, (pg.PlotCurveItem, pg.InfiniteLine)):
            pen = item.opts["pen"] if isinstance(item, pg.PlotCurveItem) else item.pen
            if pen is None or not pen.isCosmetic():
                continue
            wide = pg.mkPen(pen)
            wide.setWidthF(max(pen.widthF(), 1.0) * factor)
            changed.append((item, pen))
            item.setPen(wide)
    try:
        yield
    finally:
        for item, pen in changed:
            item.setPen(pen)


def _png_bytes(panel) -> bytes:
    from PyQt6 import QtCore, QtGui

    scene, source, size = prepared_scene(panel)
    height = size.height() + CAPTION_HEIGHT
    image = QtGui.QImage(size.width() * PNG_SCALE, height * PNG_SCALE, QtGui.QImage.Format.Format_ARGB32)
    image.setDevicePixelRatio(PNG_SCALE)  # like a high-DPI screen: lines and text scale together
    image.fill(QtGui.QColor("white"))
    painter = QtGui.QPainter(image)
    try:
        with _widened_pens(scene, PNG_SCALE):
            _paint_figure(painter, panel, scene, source, size)
    finally:
        painter.end()
    buffer = QtCore.QBuffer()
    buffer.open(QtCore.QIODevice.OpenModeFlag.WriteOnly)
    if not image.save(buffer, "PNG"):
        return b""
    return bytes(buffer.data())


def _svg_bytes(panel) -> bytes:
    """Qt draws the SVG; ``plot.svg.page_coordinates`` then moves every shape out of its scaling
    transform, so that librsvg, Inkscape and browsers draw the same picture."""
    from PyQt6 import QtCore, QtGui, QtSvg

    from rnnviz.gui.plot import style
    from rnnviz.gui.plot.svg import page_coordinates

    scene, source, size = prepared_scene(panel)
    height = size.height() + CAPTION_HEIGHT
    buffer = QtCore.QBuffer()
    buffer.open(QtCore.QIODevice.OpenModeFlag.WriteOnly)
    generator = QtSvg.QSvgGenerator(QtSvg.QSvgGenerator.SvgVersion.Svg11)  # 1.1: clip paths (Tiny drops them)
    generator.setOutputDevice(buffer)
    generator.setSize(QtCore.QSize(size.width(), height))
    generator.setViewBox(QtCore.QRect(0, 0, size.width(), height))
    generator.setTitle(f"rnnviz: {panel.title}")
    generator.setDescription(caption(panel.view))
    # the generator defaults to 72 dpi; the scene was laid out at the screen's (96 on the offscreen
    # platform): without matching them, text and cosmetic pens come out scaled against the data
    generator.setResolution(int(round(_logical_dpi())))
    painter = QtGui.QPainter()
    if not painter.begin(generator):
        return b""
    try:
        with style.uncached(scene):  # real text in the file, not the window's cached pixmaps of it
            _paint_figure(painter, panel, scene, source, size)
    finally:
        painter.end()
    return page_coordinates(bytes(buffer.data()).decode("utf-8")).encode("utf-8")


def _logical_dpi() -> float:
    from PyQt6 import QtGui

    screen = QtGui.QGuiApplication.primaryScreen()
    return screen.logicalDotsPerInch() if screen is not None else 96.0


def _jsonable(value):
    """Plain JSON: numpy scalars and arrays become numbers and lists, NaN/Inf become null."""
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, np.ndarray):
        return _jsonable(value.tolist())
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        value = float(value)
        return value if math.isfinite(value) else None
    if isinstance(value, Path):
        return str(value)
    return value
