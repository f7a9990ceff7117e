"""Files from the window: bad data files and sessions are refused with a dialog and the run
kept, loading reports progress, sessions save and reopen, other encodings are offered."""

from __future__ import annotations

import numpy as np
import pytest
from PyQt6.QtWidgets import QFileDialog

from tests.gui.conftest import OFFSCREEN_NOISE, latest_step, params_of

pytestmark = pytest.mark.qt_log_ignore(OFFSCREEN_NOISE)


BAD_FILES = {  # name -> contents: each must be refused with a dialog, the run kept
    "binary.txt": b"\x00\x01\x02 not text \x00" * 50,
    "short.txt": b"too short",  # loads as text, but holds no training window
    "short.csv": b"a,b\n1,2\n3,4\n5,6\n7,8\n",  # a valid series, too short for one window
}


@pytest.mark.parametrize("name", sorted(BAD_FILES))
def test_a_bad_file_gives_a_dialog_and_keeps_the_run(make_window, qtbot, dialogs, tmp_path, monkeypatch, name):
    window = make_window()
    window.train_steps(3)
    qtbot.waitUntil(lambda: not window.running and latest_step(window) == 3, timeout=10_000)
    before = window.latest_view
    bad = tmp_path / name
    bad.write_bytes(BAD_FILES[name])
    monkeypatch.setattr(QFileDialog, "getOpenFileName", staticmethod(lambda *a, **k: (str(bad), "")))
    window.choose_data()
    assert len(dialogs) == 1 and name in dialogs[0][1]
    window.worker_request_view()
    qtbot.waitUntil(lambda: window.latest_view is not before, timeout=5000)
    after = window.latest_view
    assert after.snapshot.step == 3 and after.source_name == before.source_name
    for name, value in params_of(before).items():
        np.testing.assert_array_equal(params_of(after)[name], value)


def test_opening_a_file_reports_loading_progress(make_window, qtbot, tmp_path, monkeypatch):
    import rnnviz.gui.window.files as window_files

    seen = []
    shown = window_files._show_progress
    monkeypatch.setattr(window_files, "_show_progress", lambda dialog, f: (seen.append(f), shown(dialog, f)))
    text = tmp_path / "notes.txt"
    text.write_text("The river keeps its own counsel. " * 400, encoding="utf-8")
    window = make_window()
    assert window.open_data(str(text))
    assert seen and seen[-1] == 1.0 and seen == sorted(seen)


def test_save_and_open_a_session_and_a_bad_session_keeps_the_run(make_window, qtbot, dialogs, tmp_path,
                                                                  monkeypatch):
    window = make_window()
    window.train_steps(4)
    qtbot.waitUntil(lambda: not window.running and latest_step(window) == 4, timeout=10_000)
    path = tmp_path / "run.npz"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", staticmethod(lambda *a, **k: (str(path), "")))
    with qtbot.waitSignal(window.worker.saved, timeout=10_000):
        window.choose_save()
    window.train_steps(2)
    qtbot.waitUntil(lambda: not window.running and latest_step(window) == 6, timeout=10_000)

    truncated = tmp_path / "broken.npz"
    truncated.write_bytes(path.read_bytes()[:200])
    monkeypatch.setattr(QFileDialog, "getOpenFileName",
                        staticmethod(lambda *a, **k: (str(truncated), "")))
    window.choose_session()
    assert len(dialogs) == 1 and "broken.npz" in dialogs[0][1]
    assert latest_step(window) == 6

    monkeypatch.setattr(QFileDialog, "getOpenFileName", staticmethod(lambda *a, **k: (str(path), "")))
    window.choose_session()
    qtbot.waitUntil(lambda: latest_step(window) == 4, timeout=10_000)
    assert len(dialogs) == 1
    assert window.controls.data_combo.currentText() == "session: run.npz"
    assert window.controls.pending_changes() == []
    assert any("run.npz" in action.text() for action in window.recent_menu.actions())


@pytest.mark.parametrize("agree", [True, False])
def test_a_text_in_another_encoding_can_be_reopened_as_latin_1(make_window, qtbot, dialogs, tmp_path,
                                                               monkeypatch, agree):
    from PyQt6.QtWidgets import QMessageBox

    asked = []
    answer = QMessageBox.StandardButton.Yes if agree else QMessageBox.StandardButton.No
    monkeypatch.setattr(QMessageBox, "question", staticmethod(lambda *args: (asked.append(args[2]), answer)[1]))
    text = tmp_path / "café.txt"
    text.write_bytes("Le café est très chaud, dit le héron. ".encode("latin-1") * 200)
    window = make_window()
    before = window.latest_view
    assert window.open_data(str(text)) is agree
    assert len(asked) == 1 and "offset" in asked[0] and "latin-1" in asked[0]
    if agree:
        qtbot.waitUntil(lambda: window.latest_view is not None and window.latest_view is not before
                        and "café" in window.latest_view.source_name,
                        timeout=10_000)
        assert dialogs == []
    else:
        assert len(dialogs) == 1 and "utf-8" in dialogs[0][1]
