"""Fork and compare in the window: the Fork dialog from the Train menu, forks trained side by side,
the overlaid panel's legend naming what differs, the run selector, saving the group."""

from __future__ import annotations

import pytest

from rnnviz.core.errors import UserError
from rnnviz.gui.window.group import fork_changes


def test_fork_changes_from_the_form():
    assert fork_changes("clip_norm", "1") == {"clip_mode": "norm", "clip_threshold": 1.0}
    assert fork_changes("clip_norm", "none") == {"clip_mode": "none"}
    assert fork_changes("hidden", "16") == {"hidden_size": 16}
    assert fork_changes("cell", "irnn") == {"cell": "relu", "init": "identity"}
    with pytest.raises(UserError, match="must be a number"):
        fork_changes("lr", "fast")


def test_fork_and_compare_in_the_window(make_window, qtbot, tmp_path, dialogs):
    from rnnviz.gui.window.group import request_fork

    window = make_window()
    request_fork(window)
    qtbot.waitUntil(lambda: getattr(window, "compare_dialog", None) is not None, timeout=10_000)
    dialog = window.compare_dialog
    dialog.setting.setCurrentText("lr")
    dialog.value.setText("0.001")
    dialog.fork()
    dialog.tanh_button.click()
    dialog.setting.setCurrentText("cell")
    dialog.value.setText("lstm")
    dialog.fork()
    assert dialog.runs.count() == 4 and not dialog.fork_button.isEnabled()
    dialog.steps.setValue(12)
    dialog.train()
    qtbot.waitUntil(lambda: dialog.train_button.isEnabled(), timeout=30_000)
    assert all(m.trainer.step_count >= 12 for m in dialog.group.members)
    legend = [label.text for _, label in dialog.panel.plots["loss"].legend.items]
    assert legend[0].startswith("this run") and legend[1].startswith("lr=0.001")
    assert any(text.startswith("cell=lstm (fresh weights)") for text in legend)
    header, rows = dialog.panel.csv_table()
    assert header[:2] == ["run", "plot"] and {r[0] for r in rows} == {m.label for m in dialog.group.members}
    dialog.runs.setCurrentRow(1)
    dialog.show_selected()  # the run selector: the main window now shows the fork
    qtbot.waitUntil(lambda: window.latest_view is not None
                    and window.latest_view.train_config["lr"] == 0.001, timeout=10_000)
    dialog.save_to(tmp_path / "group")
    assert (tmp_path / "group" / "group.json").exists() and (tmp_path / "group" / "run3.npz").exists()
    steps = [m.trainer.step_count for m in dialog.group.members]
    dialog.open_from(tmp_path / "nowhere")
    assert dialogs and dialogs[-1][0] == "Open group" and dialog.runs.count() == 4
    dialog.open_from(tmp_path / "group")
    assert [m.trainer.step_count for m in dialog.group.members] == steps
    assert dialog.runs.item(1).text().startswith("lr=0.001")
