"""The Text dock's marked lines (prediction and target, the gradient at each word) drawn as a
line and a scatter moved in place: the same pictures as one PlotDataItem set at every view, the
same bounds, the same legend, and the markers never left where an earlier view put them."""

from __future__ import annotations

import dataclasses
import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")  # before Qt is imported

import numpy as np
from PyQt6 import QtGui
from tests.gui.factories import legend_names, make_view
from tests.gui.pictures import SIZES, grabs

T = 12


def regression_view(values, seed: int):
    """A task view whose sample is per-step values: target (T, 1), outputs (T, 2) (channel 0 shown)."""
    view = make_view(steps=T, hidden=6, layers=1, seed=seed)
    values = np.asarray(values, dtype=float)  # (T,)
    rng = np.random.default_rng(seed)
    outputs = np.stack([values + 0.3 * rng.standard_normal(values.size), values], axis=1)  # (T, 2)
    snapshot = dataclasses.replace(view.snapshot, targets=values[:, None], outputs=outputs,
                                   labels=[f"{v:.2f}" for v in range(values.size)])
    return dataclasses.replace(view, snapshot=snapshot)


def task_views() -> list:
    """Same length twice (the markers move in place), a gap, then a longer sample (rebuilt)."""
    t = np.linspace(0, 3, 30)
    gap = np.sin(t + 1) * 2
    gap[7:9] = np.nan
    return [regression_view(np.sin(t), 0), regression_view(np.cos(t) * 3, 1), regression_view(gap, 2),
            regression_view(np.linspace(-1, 5, 45), 3)]


def labelled_views() -> list:
    """Labelled sentences: the gradient norm at each word, on a log axis; lengths 9, 9, 14."""
    views = []
    for k, words in enumerate((9, 9, 14)):
        view = make_view(steps=words, hidden=6, layers=1, seed=k)
        grad = np.random.default_rng(k).standard_normal((words, 1, 6)) * 10.0 ** (2 * k - 3)  # (T, L, H)
        grad[2] = 0.0  # a zero norm: drawn at the floor
        snapshot = dataclasses.replace(view.snapshot, grad_hidden=grad, targets=np.array([1]),
                                       outputs=np.array([0.2, 1.4]), labels=[f"w{j}" for j in range(words)])
        views.append(dataclasses.replace(view, snapshot=snapshot))
    return views


def two_panels(qtbot, monkeypatch, labelled: bool = False):
    """(split, plain): Text panels with the marked lines as two items, and as PlotDataItems."""
    from rnnviz.gui.panels import marked as markers
    from rnnviz.gui.panels.text import TextPanel

    panels = []
    for split in (True, False):
        monkeypatch.setattr(markers, "SPLIT", split)
        panel = TextPanel()
        qtbot.addWidget(panel)
        if labelled:
            panel.set_text_mode(False, classes=["negative", "positive"])
        panel.show()
        panels.append(panel)
    monkeypatch.undo()
    return panels


def word_grabs(panel, views) -> list:
    """The labelled dock over ``views`` and resizes, then a zoom of its plot and back."""
    images = []
    for view, size in zip(views, SIZES):
        panel.resize(*size)
        panel.update_view(view)
        images.append(panel.grab().toImage())
    x, _ = panel.words.plot.vb.viewRange()
    panel.words.plot.vb.setXRange(x[0], (x[0] + x[1]) / 2, padding=0)
    images.append(panel.grab().toImage())
    return images


def assert_same(quick, plain) -> None:
    assert len(quick) == len(plain)
    for k, (a, b) in enumerate(zip(quick, plain)):
        assert a.size() == b.size() and a == b, f"picture {k} differs"


def test_predictions_draw_the_same_pictures_as_plot_data_items(qtbot, monkeypatch):
    split, plain = two_panels(qtbot, monkeypatch)
    assert split.target_curve.split and not plain.target_curve.split
    views = task_views()
    assert_same(grabs(split, views[:3]), grabs(plain, views[:3]))
    assert_same(grabs(split, views[1:]), grabs(plain, views[1:]))  # again, from where the first left off
    for panel in (split, plain):
        assert legend_names(panel.plot) == ["target", "prediction"]
    np.testing.assert_allclose(split.output_curve.yData, plain.output_curve.yData)
    assert split.plot.vb.childrenBounds() == plain.plot.vb.childrenBounds()  # the ranges come from the same bounds


def test_the_markers_move_with_their_line(qtbot, monkeypatch):
    """Same length: the dots are moved in place, and they sit where the new values are."""
    split, _ = two_panels(qtbot, monkeypatch)
    views = task_views()
    split.update_view(views[0])
    spots = split.output_curve.dots.data
    split.update_view(views[1])
    assert split.output_curve.dots.data is spots  # moved, not rebuilt
    np.testing.assert_array_equal(spots["y"], views[1].snapshot.outputs[:, 0])
    np.testing.assert_array_equal(split.output_curve.dots.getData()[1], split.output_curve.line.yData)


def test_the_words_gradient_draws_the_same_pictures_as_a_plot_data_item(qtbot, monkeypatch):
    split, plain = two_panels(qtbot, monkeypatch, labelled=True)
    views = labelled_views()
    assert_same(word_grabs(split, views), word_grabs(plain, views))
    shown = split.words.curve.dots.getData()[1]  # log10 of the norms, as the line draws them
    np.testing.assert_allclose(shown, split.words.curve.line.yData)
    assert np.all(np.isfinite(shown))


def sample_picture(sample) -> QtGui.QImage:
    """A legend sample painted alone on white."""
    image = QtGui.QImage(20, 20, QtGui.QImage.Format.Format_ARGB32_Premultiplied)
    image.fill(QtGui.QColor("white"))
    painter = QtGui.QPainter(image)
    sample.paint(painter)
    painter.end()
    return image


def test_the_legend_sample_looks_as_before_and_hides_both_items(qtbot, monkeypatch):
    split, plain = two_panels(qtbot, monkeypatch)
    for panel in (split, plain):
        panel.resize(*SIZES[0])
        panel.update_view(task_views()[0])
    samples = [[sample for sample, _ in panel.plot.legend.items] for panel in (split, plain)]
    for a, b in zip(*samples):
        assert sample_picture(a) == sample_picture(b)  # line and marker, as the PlotDataItem's
    sample = samples[0][1]  # prediction
    sample.item.setVisible(False)  # what a click on the sample does
    assert not split.output_curve.line.isVisible() and not split.output_curve.dots.isVisible()
    sample.item.setVisible(True)
    assert split.output_curve.line.isVisible() and split.output_curve.dots.isVisible()


def answer_view(target: float, prediction: float):
    """A task whose sample is one answer at the last step: two bars, the marked lines emptied."""
    view = make_view(steps=T, hidden=6, layers=1, seed=7)
    snapshot = dataclasses.replace(view.snapshot, targets=np.array([target]), outputs=np.array([prediction]),
                                   labels=[f"{v:.2f}" for v in range(T)])
    return dataclasses.replace(view, snapshot=snapshot)


def test_one_step_samples_and_bars_in_between_draw_as_before(qtbot, monkeypatch):
    split, plain = two_panels(qtbot, monkeypatch)
    views = task_views()
    one = regression_view([0.5], 5)  # a single point: a marker and no line
    sequence = [views[0], one, answer_view(1.2, 0.4), views[1], views[1]]
    for view in sequence:
        images = []
        for panel in (split, plain):
            panel.resize(*SIZES[0])
            panel.update_view(view)
            images.append(panel.grab().toImage())
        assert images[0] == images[1]
    assert legend_names(split.plot) == legend_names(plain.plot) == ["target", "prediction"]


def test_the_code_vectors_gradient_draws_the_same_pictures_as_a_plot_data_item(qtbot, monkeypatch):
    """The Gradients panel's ||dL_t/dv|| of a vector-to-sequence net's code: a marked line on a log axis."""
    from rnnviz.gui.panels import marked
    from rnnviz.gui.panels.gradients import GradientsPanel

    views = []
    for k in range(3):
        view = make_view(steps=T, hidden=6, layers=2, history=30 + 10 * k, seed=k)
        vector = np.abs(np.random.default_rng(k).standard_normal(T)) * 10.0 ** (-k)  # (T,)
        vector[3] = 0.0  # drawn at the floor
        views.append(dataclasses.replace(view, snapshot=dataclasses.replace(view.snapshot, vector_grads=vector)))
    panels = []
    for split in (True, False):
        monkeypatch.setattr(marked, "SPLIT", split)
        panel = GradientsPanel()
        qtbot.addWidget(panel)
        panel.show()
        panels.append(panel)
    monkeypatch.undo()
    assert_same(grabs(panels[0], views), grabs(panels[1], views))
    assert panels[0].vector_curve.isVisible() and len(panels[0].vector_curve.getData()[0]) == T
    assert legend_names(panels[0].plot) == legend_names(panels[1].plot)
    no_vector = dataclasses.replace(views[0], snapshot=dataclasses.replace(views[0].snapshot, vector_grads=None))
    for panel in panels:
        panel.update_view(no_vector)
    assert not panels[0].vector_curve.line.isVisible() and not panels[0].vector_curve.dots.isVisible()
    assert panels[0].grab().toImage() == panels[1].grab().toImage()
