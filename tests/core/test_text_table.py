"""The Text view's numbers come from the core: each kind of prediction, and the table of each
thing the dock shows (a task's prediction, a text sample, a labelled sentence's words)."""

from types import SimpleNamespace

import numpy as np

from rnnviz.core import tables
from rnnviz.core.tables.prediction import TextShown, labelled_answer, prediction


def snap(targets, outputs, decoded=None):
    return SimpleNamespace(targets=np.asarray(targets), outputs=np.asarray(outputs, dtype=float), decoded=decoded)


def test_a_last_step_regression_is_one_value_against_its_target():
    shown = prediction(snap([[0.7]], [0.25]))
    assert shown.kind == "last_value" and shown.target.tolist() == [0.7] and shown.output.tolist() == [0.25]


def test_per_step_classes_compare_the_argmax_with_the_target():
    outputs = np.array([[0.1, 2.0, 0.0], [3.0, 0.0, 0.0]])
    shown = prediction(snap(np.array([1, 2]), outputs))
    assert shown.kind == "steps" and shown.output.tolist() == [1.0, 0.0] and shown.target.tolist() == [1.0, 2.0]
    assert shown.x_label == "time step t" and shown.y_label == "class id"


def test_one_class_at_the_end_is_a_distribution_that_sums_to_one():
    shown = prediction(snap(np.array([2]), [0.0, 1.0, 3.0]))
    assert shown.kind == "last_class" and shown.target.tolist() == [0.0, 0.0, 1.0]
    np.testing.assert_allclose(shown.output.sum(), 1.0)
    assert shown.output.argmax() == 2


def test_an_encoder_decoder_shows_its_greedy_decoding():
    shown = prediction(snap(np.array([3, 1]), np.zeros((2, 4)), decoded=np.array([3, 2])))
    assert shown.title == "Greedy decoding vs target" and shown.output.tolist() == [3.0, 2.0]


def test_the_text_table_of_each_thing_the_dock_shows():
    header, rows = tables.table("text", TextShown(snapshot=snap([[0.7]], [0.25])))
    assert header == ["x", "target", "prediction"] and rows == [[0.0, 0.7, 0.25]]
    header, rows = tables.table("text", TextShown(sample=("abc", [("d", 0.5), ("e", 0.25)])))
    assert rows == [["sample", "abc", ""], ["suggestion", "d", 0.5], ["suggestion", "e", 0.25]]
    typed = SimpleNamespace(label="pos", probability=0.9, words=["good"], grad_norms=[0.125])
    header, rows = tables.table("text", TextShown(words=([("fine", 0.5)], typed)))
    assert header == ["kind", "word", "grad_norm", "predicted", "probability"]
    assert rows == [["sample", "fine", 0.5, "", ""], ["typed", "good", 0.125, "pos", 0.9]]
    assert tables.table("text", None) == (["x", "target", "prediction"], [])


def test_a_labelled_answer_names_the_class_its_probability_and_whether_it_is_right():
    classes = ["negative", "positive"]
    logits = [np.log(0.25), np.log(0.75)]  # softmax: 25 % / 75 %
    assert labelled_answer(snap(np.array([1]), logits), classes) == "positive 75% \u2713"
    assert labelled_answer(snap(np.array([0]), logits), classes) == "positive 75% \u2717 (negative)"
    assert labelled_answer(snap(np.array([0]), [np.nan, 0.0]), classes) == ""  # a diverged run: no verdict
    assert labelled_answer(snap(np.array([0]), logits), []) == ""
