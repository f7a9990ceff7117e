"""The window with the new shapes: a classifier's Text panel, both directions drawn, the refused option."""

from __future__ import annotations

import numpy as np
import pytest

from tests.gui.conftest import OFFSCREEN_NOISE

pytestmark = pytest.mark.qt_log_ignore(OFFSCREEN_NOISE)

REVIEWS = {"kind": "sample", "name": "reviews.tsv"}
SMALL = {"cell": "gru", "hidden_size": 6, "num_layers": 1, "seed": 0, "bidirectional": True}
TRAIN = {"batch_size": 8, "lr": 1e-2, "seed": 0}


def test_labelled_text_classifies_a_typed_review_and_shades_its_words(make_window, qtbot):
    window = make_window(model=SMALL, train=TRAIN, data=REVIEWS)
    text = window.text_panel
    assert text.is_labelled and not text.is_text
    assert text.words.isVisibleTo(window) and not text.text_box.isVisibleTo(window)
    text.words.sentence.setText("It is a good product but it stopped working in few days")
    qtbot.waitUntil(lambda: text.words.result is not None, timeout=10_000)
    result = text.words.result
    assert result.label in ("negative", "positive") and 0.5 <= result.probability <= 1
    assert result.words[-1] == "days" and "background-color" in text.words.answer.text()
    header, rows = text.csv_table()
    assert header[:3] == ["kind", "word", "grad_norm"]
    sample_words = [row[1] for row in rows if row[0] == "sample"]
    assert sample_words and "<pad>" not in sample_words  # the sample ends at its last word
    assert any(row[0] == "typed" for row in rows)
    assert text.graphics() is text.words.canvas  # exported: the per-word gradient plot


def test_both_directions_are_drawn(make_window):
    window = make_window(model=SMALL, train=TRAIN, data={"kind": "task", "name": "marker", "length": 10})
    by_name = {panel.view_name: panel for panel in window.panels}
    assert by_name["gradients"].names() == ["forward", "backward"]
    sample, _ = by_name["gradients"].norms()
    assert sample.shape == (10, 2) and np.all(sample > 0)
    header, rows = by_name["chain"].csv_table()
    assert header[-1] == "part" and {row[-1] for row in rows} == {"forward", "backward"}
    assert "\u2192" in by_name["chain"].badge.text and "\u2190" in by_name["chain"].badge.text
    assert window.controls.bidirectional.isChecked() and window.controls.bidirectional.isEnabled()


def test_bidirectional_is_disabled_with_its_reason_on_next_token_text(make_window):
    window = make_window()  # the adding task: allowed
    controls = window.controls
    assert controls.bidirectional.isEnabled()
    index = next(i for i in range(controls.data_combo.count())
                 if (controls.data_combo.itemData(i) or {}).get("name") == "fables.txt")
    controls.data_combo.setCurrentIndex(index)
    assert not controls.bidirectional.isEnabled()
    assert "would see the answer" in controls.bidirectional.toolTip() or "see the answer" in controls.bidirectional.toolTip()
    assert controls.model_settings()["bidirectional"] is False


def test_a_bad_labelled_file_gives_a_dialog_with_its_line_and_keeps_the_run(make_window, dialogs, tmp_path,
                                                                            monkeypatch):
    from PyQt6.QtWidgets import QFileDialog

    window = make_window()
    before = window.latest_view
    bad = tmp_path / "reviews.txt"
    bad.write_text("positive\tgood\nnegative\tbad\npositive\t   \n", encoding="utf-8")
    monkeypatch.setattr(QFileDialog, "getOpenFileName", staticmethod(lambda *a, **k: (str(bad), "")))
    window.choose_data()
    assert len(dialogs) == 1 and "line 3: the text is empty" in dialogs[0][1]
    assert window.latest_view is before and "adding" in window.windowTitle()


def test_word_shades_span_the_sentence_on_a_log_scale():
    from rnnviz.gui.panels.words import shade, words_html

    levels = shade([1e-6, 1e-4, 1e-2, 0.0, np.nan])
    np.testing.assert_allclose(levels, [0.0, 0.5, 1.0, 0.0, 0.0])
    np.testing.assert_array_equal(shade([2e-3, 2e-3]), [1.0, 1.0])  # an even sentence is evenly dark
    assert words_html(["a<b"], [1.0]).count("a&lt;b") == 1  # words are escaped


def test_spectrum_shows_each_directions_recurrent_matrix(make_window):
    window = make_window(model=SMALL, train=TRAIN, data={"kind": "task", "name": "marker", "length": 10})
    spectrum = next(panel for panel in window.panels if panel.view_name == "spectrum")
    assert spectrum.names() == ["forward, layer 0", "backward, layer 0"]
    (_, forward), (_, backward) = spectrum.spectra()
    params = window.latest_view.snapshot.params
    np.testing.assert_allclose(forward[0], np.linalg.norm(params["weight_hh_l0"], 2), rtol=1e-10)
    np.testing.assert_allclose(backward[0], np.linalg.norm(params["weight_hh_l0_reverse"], 2), rtol=1e-10)
    header, rows = spectrum.csv_table()
    assert header[-1] == "part" and {row[-1] for row in rows} == {"forward", "backward"}


def test_weights_panel_shows_the_backward_direction_on_request(make_window):
    window = make_window(model=SMALL, train=TRAIN, data={"kind": "task", "name": "marker", "length": 10})
    weights = next(panel for panel in window.panels if panel.view_name == "weights")
    assert weights.direction.isVisibleTo(window)
    weights.direction.setCurrentIndex(1)
    params = window.latest_view.snapshot.params
    np.testing.assert_array_equal(weights.map.image.image, params["weight_hh_l0_reverse"])
    assert "backward" in weights.map.plot.titleLabel.text


def test_encoder_decoder_on_one_time_axis_with_the_context_marked(make_window):
    from rnnviz.core.train.presets import PRESETS

    preset = PRESETS["Seq2seq, source reversed"]
    window = make_window(model={**preset.model, "hidden_size": 6, "decoder_hidden_size": 5, "decoder_cell": "gru"},
                         train={**preset.train, "batch_size": 4},
                         data={"kind": "task", "name": "bottleneck", "length": 5})
    by_name = {panel.view_name: panel for panel in window.panels}
    gradients = by_name["gradients"]
    assert gradients.names() is None and gradients.divider.isVisible() and gradients.divider.value() == 4.5
    sample, _ = gradients.norms()
    assert sample.shape == (10, 1)  # source then decoder steps, one curve
    weights = by_name["weights"]
    assert [weights.direction.itemText(i) for i in range(weights.direction.count())] == ["encoder", "decoder"]
    weights.direction.setCurrentIndex(1)
    np.testing.assert_array_equal(weights.map.image.image, window.latest_view.snapshot.params["decoder.weight_hh_l0"])
    header, rows = by_name["chain"].csv_table()
    assert {row[-1] for row in rows} == {"encoder", "decoder"}
    text = window.text_panel
    kind, x, target, output = text._prediction()
    assert kind == "steps" and len(output) == 5 and "Greedy" in text.plot.titleLabel.text
    controls = window.controls
    assert controls.arch.currentText() == "seq2seq" and controls.reverse_source.isChecked()
    assert controls.decoder_cell.currentText() == "gru" and controls.decoder_hidden.value() == 5
    assert controls.pending_changes() == [] and not controls.bidirectional.isEnabled()


def test_vector_to_sequence_draws_the_codes_gradient_along_the_sequence(make_window):
    from rnnviz.core.train.presets import PRESETS

    preset = PRESETS["Vec2seq, code as the start"]
    window = make_window(model={**preset.model, "hidden_size": 6}, train={**preset.train, "batch_size": 4},
                         data={"kind": "task", "name": "waveform", "length": 8})
    by_name = {panel.view_name: panel for panel in window.panels}
    gradients = by_name["gradients"]
    x, y = gradients.vector_curve.getData()
    assert gradients.vector_curve.isVisible() and len(x) == 8
    header, rows = gradients.csv_table()
    assert sum(row[0] == "code vector" for row in rows) == 8
    weights = by_name["weights"]
    np.testing.assert_array_equal(weights.map.image.image, window.latest_view.snapshot.params["decoder.weight_hh_l0"])
    assert window.controls.arch.currentText() == "vec2seq" and window.controls.context.isEnabled()
    assert not window.controls.reverse_source.isEnabled() and window.controls.pending_changes() == []
