"""Exported files are whole or absent: a write that fails part-way leaves no cut-off picture and
names the file; a signal arriving while Qt paints is held and delivered after the paint."""

from __future__ import annotations

import errno
import os
import signal

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")  # before Qt is imported

import pytest
from PyQt6.QtWidgets import QFileDialog

from rnnviz.core import atomic
from rnnviz.core.errors import UserError
from rnnviz.gui import export
from rnnviz.gui.panels import LossPanel
from rnnviz.interrupts import held_signals
from tests.gui.factories import make_view


@pytest.fixture
def panel(qtbot):
    panel = LossPanel()
    qtbot.addWidget(panel)
    panel.update_view(make_view())
    return panel


def full_disk_after(limit: int, monkeypatch):
    """Make every atomic write fail with ENOSPC after ``limit`` bytes, as a full disk does."""
    original = atomic.write_with

    def write_with(path, writer, **kwargs):
        def limited(stream):
            class Full:
                def write(self, data):
                    if len(data) > limit:
                        stream.write(bytes(data[:limit]))
                        raise OSError(errno.ENOSPC, "No space left on device")
                    return stream.write(data)

                def __getattr__(self, name):
                    return getattr(stream, name)

            return writer(Full())

        return original(path, limited, **kwargs)

    monkeypatch.setattr(atomic, "write_with", write_with)


@pytest.mark.parametrize("suffix", [".png", ".svg", ".csv"])
def test_a_full_disk_leaves_the_old_file_and_names_the_failing_one(panel, tmp_path, monkeypatch, suffix):
    target = tmp_path / f"loss{suffix}"
    target.write_bytes(b"the previous export")
    full_disk_after(100, monkeypatch)
    with pytest.raises(UserError, match=rf"cannot write {target}: No space left on device"):
        export.export_panel(panel, target)
    assert target.read_bytes() == b"the previous export" and os.listdir(tmp_path) == [target.name]


def test_export_all_stops_at_the_first_failing_file_and_names_it(tmp_path, monkeypatch, qtbot):
    full_disk_after(3000, monkeypatch)  # the CSVs fit, the first picture does not
    with pytest.raises(UserError) as info:
        export.export_all(make_view(), tmp_path, {"steps": 1}, {})
    failing = str(info.value).split("cannot write ", 1)[1].split(":", 1)[0]
    assert failing == str(tmp_path / "loss.png")  # the first file written, the first that failed
    assert not any(name.startswith(".") for name in os.listdir(tmp_path))


def test_the_window_reports_a_failed_panel_export(make_window, dialogs, qtbot, tmp_path, monkeypatch):
    window = make_window()
    window.train_steps(1)
    qtbot.waitUntil(lambda: not window.running and window.latest_view is not None
                    and window.latest_view.snapshot.step == 1, timeout=10_000)
    target = tmp_path / "loss.png"
    monkeypatch.setattr(QFileDialog, "getSaveFileName",
                        staticmethod(lambda *a, **k: (str(target), "PNG image (*.png)")))
    full_disk_after(100, monkeypatch)
    window.choose_export_panel()
    assert dialogs and dialogs[-1][0] == "Export this panel" and "No space left on device" in dialogs[-1][1]
    assert not target.exists() and os.listdir(tmp_path) == []


def test_a_signal_during_a_paint_is_delivered_after_it(panel, tmp_path, monkeypatch):
    received = []
    previous = signal.signal(signal.SIGINT, lambda number, frame: received.append("after paint"))
    real_render = export.prepared_scene

    def render_with_a_signal(p):
        os.kill(os.getpid(), signal.SIGINT)  # arrives while the scene is being painted
        result = real_render(p)
        received.append("painted")
        return result

    monkeypatch.setattr(export, "prepared_scene", render_with_a_signal)
    try:
        export.export_panel(panel, tmp_path / "loss.png")
    finally:
        signal.signal(signal.SIGINT, previous)
    assert received == ["painted", "after paint"]
    assert (tmp_path / "loss.png").read_bytes().endswith(b"IEND\xaeB`\x82")  # the PNG is whole


def test_held_signals_reraise_the_default_keyboard_interrupt():
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        with pytest.raises(KeyboardInterrupt):
            with held_signals():
                os.kill(os.getpid(), signal.SIGINT)
                done = True  # reached: the interrupt waits for the block's end
        assert done
    finally:
        signal.signal(signal.SIGINT, previous)
