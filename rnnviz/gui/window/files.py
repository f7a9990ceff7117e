"""File > Open data / Open session / Save session / Export / Open and export weights / Recent
files, for the main window.

A mixin, so the window's own file stays about docks, drawing and the worker. Every way in
ends the same: a bad file shows a dialog (``show_error``) and the current run is untouched,
because a source or a session is loaded completely before it replaces anything.
"""

from __future__ import annotations

from pathlib import Path

from PyQt6.QtCore import Qt
from PyQt6.QtWidgets import QApplication, QFileDialog, QMessageBox, QProgressDialog

from rnnviz.core.errors import EncodingError, UserError

MAX_RECENT = 8  # entries under File > Recent files


FALLBACK_ENCODING = "latin-1"  # decodes any byte: the one offer that cannot fail again
LOADING_DIALOG_MS = 300  # files that load faster than this never show the progress dialog


def loading_dialog(parent, name: str) -> QProgressDialog:
    """A window-modal progress dialog for loading a data file (no cancel: loading is short and
    a half-read file is never used); it only appears if loading takes a noticeable time."""
    dialog = QProgressDialog(f"Loading {name}…", "", 0, 100, parent)
    dialog.setCancelButton(None)
    dialog.setWindowTitle("Open data")
    dialog.setWindowModality(Qt.WindowModality.WindowModal)
    dialog.setMinimumDuration(LOADING_DIALOG_MS)
    dialog.setValue(0)
    return dialog


def _show_progress(dialog: QProgressDialog, fraction: float) -> None:
    dialog.setValue(int(round(100 * min(max(fraction, 0.0), 1.0))))
    QApplication.processEvents()  # the load runs here, on the GUI thread: keep the window painted


class FileActions:
    """Needs from the window: settings, controls, panels, current_panel, banner, recent_menu,
    data_choice, latest_view, start_with, start_with_trainer, show_error, statusBar, and the
    request_* signals."""

    def open_data(self, path: str, encoding: str = "utf-8") -> bool:
        """Train on a file with the form's model settings; a bad file leaves the run as it was.
        A text that is not valid ``encoding`` may be reopened as Latin-1, if the user agrees."""
        data = {"kind": "file", "path": str(path), "encoding": encoding}
        dialog = loading_dialog(self, Path(path).name)
        try:
            self.start_with(self.controls.model_settings(), self.controls.train_settings(), data,
                            progress=lambda fraction: _show_progress(dialog, fraction))
        except EncodingError as exc:
            dialog.close()
            if encoding != FALLBACK_ENCODING and self._ask_fallback_encoding(path, exc):
                return self.open_data(path, FALLBACK_ENCODING)
            self.show_error("Open data", f"Could not open {path}:\n{exc}")
            return False
        except (UserError, OSError) as exc:
            dialog.close()
            self.show_error("Open data", f"Could not open {path}:\n{exc}")
            return False
        dialog.close()
        self.banner.hide_banner()
        self._add_recent("data", path)
        return True

    def _ask_fallback_encoding(self, path: str, exc: EncodingError) -> bool:
        answer = QMessageBox.question(
            self, "Open data",
            f"{Path(path).name} is not valid {exc.encoding}: the byte at offset {exc.offset} cannot be "
            f"read.\n\nOpen it as {FALLBACK_ENCODING} (Western European; every byte becomes a "
            "character, so it always opens, though some characters may look wrong)?")
        return answer == QMessageBox.StandardButton.Yes

    def open_session(self, path: str, allow_changed_data: bool = False) -> bool:
        from rnnviz.core.train import session

        try:
            trainer = session.load(path, allow_changed_data=allow_changed_data)
        except session.DataChangedError as exc:
            answer = QMessageBox.question(self, "Open session", f"{exc}.\n\nOpen the session on the changed "
                                          "data anyway?")
            if answer == QMessageBox.StandardButton.Yes:
                return self.open_session(path, allow_changed_data=True)
            return False
        except (UserError, OSError) as exc:
            self.show_error("Open session", f"Could not open {path}:\n{exc}")
            return False
        from rnnviz.gui.window.group import group_saved_beside

        trainer = group_saved_beside(self, path, trainer)  # runs compared when it was saved: all of them
        self.start_with_trainer(trainer, {"kind": "session", "path": str(path), "name": Path(path).name})
        self.banner.hide_banner()
        self._add_recent("session", path)
        return True

    # ----------------------------------------------------------------- PyTorch weights
    def open_weights(self, path: str, prefix=None, readout=None, cell=None, note: str = "") -> bool:
        """A PyTorch network on the current data: confirmed (and mapped) in a dialog first; a
        bad file or a misfit with the data shows why, and the current run is left as it was."""
        from rnnviz.core.nn.exchange import read_weights
        from rnnviz.core.nn.weight_files import open_weights
        from rnnviz.gui.window.weights_dialog import WeightsDialog

        try:
            weights_file = open_weights(path)
            source, spec = self._current_source()
        except (UserError, OSError) as exc:
            self.show_error("Open weights", f"Could not open {path}:\n{exc}")
            return False
        dialog = WeightsDialog(weights_file, source.name, self, prefix, readout, cell, note)
        if dialog.exec() != WeightsDialog.DialogCode.Accepted:
            return False
        try:
            weights = read_weights(weights_file, **dialog.choice())
            trainer = self._trainer_from_weights(weights, source, spec)
        except (UserError, OSError) as exc:
            self.show_error("Open weights", f"Could not open {path}:\n{exc}")
            return False
        self.start_with_trainer(trainer, self.data_choice)
        self.banner.hide_banner()
        self.statusBar().showMessage(f"Weights: {weights.summary()}. Reset starts a fresh network of this shape; "
                                     f"open the weights again to return to them", 15000)
        self._add_recent("weights", path)
        return True

    def _current_source(self):
        """A fresh copy of the current run's data, and its recipe (the run itself is untouched)."""
        from rnnviz.core.train import session

        choice = dict(self.data_choice)
        if choice.get("kind") == "session":
            choice = session.read(choice["path"])[0].get("source", {}).get("spec")
        elif choice.get("kind") == "file":
            choice["path"] = str(Path(choice["path"]).resolve())
        return session.build_source(choice), choice

    def _trainer_from_weights(self, weights, source, spec):
        """The imported network on the current run's data, with the current run's training settings."""
        from rnnviz.core.config import ModelConfig, TrainConfig
        from rnnviz.core.train.imported import trainer_from_weights

        view = self.latest_view
        train_config = TrainConfig.from_dict(view.train_config) if view is not None else None
        seed = int(view.model_config.get("seed", 0)) if view is not None else ModelConfig.seed
        return trainer_from_weights(weights, source, train_config, source_spec=spec, seed=seed)

    def choose_weights(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Open weights", self._last_folder(),
                                              "PyTorch weights (*.safetensors *.pt *.pth);;All files (*)")
        if path:
            self.open_weights(path)

    def choose_export_weights(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Export weights", str(Path(self._last_folder()) / "model.safetensors"),
                                              "safetensors (*.safetensors)")
        if path:
            path = path if path.endswith(".safetensors") else path + ".safetensors"
            self.request_export_weights.emit(path)

    def on_weights_written(self, paths: list) -> None:
        names = ", ".join(Path(p).name for p in paths)
        self.statusBar().showMessage(f"Wrote {names} (load with model.load_state_dict(load_file(...)))", 8000)

    # ----------------------------------------------------------------- files and dialogs
    def choose_data(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Open data", self._last_folder(),
                                              "Text or series (*.txt *.csv *.tsv);;All files (*)")
        if path:
            self.open_data(path)

    def choose_session(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Open session", self._last_folder(),
                                              "rnnviz sessions (*.npz);;All files (*)")
        if path:
            self.open_session(path)

    def choose_save(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Save session", self._last_folder(),
                                              "rnnviz sessions (*.npz)")
        if path:
            path = path if path.endswith(".npz") else path + ".npz"
            self._add_recent("session", path)
            self.request_save.emit(path)

    def choose_export_all(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Export all plots to", self._last_folder())
        if folder:
            self.request_export.emit(folder)

    def choose_export_panel(self) -> None:
        from rnnviz.gui.export import export_panel

        panel = self.current_panel or (self.panels[0] if self.panels else None)
        if panel is None or panel.view is None:
            self.show_error("Export this panel", "There is nothing drawn yet: train a step first.")
            return
        path, chosen = QFileDialog.getSaveFileName(
            self, f"Export panel '{panel.title}'", str(Path(self._last_folder()) / f"{panel.view_name}.png"),
            "PNG image (*.png);;SVG drawing (*.svg);;CSV numbers (*.csv)")
        if not path:
            return
        if Path(path).suffix.lower() not in (".png", ".svg", ".csv"):
            path += "." + chosen.split("*.")[-1].rstrip(")") if "*." in chosen else ".png"
        try:
            export_panel(panel, path)
        except UserError as exc:
            self.show_error("Export this panel", str(exc))
            return
        self.statusBar().showMessage(f"Wrote {path}", 5000)

    def _last_folder(self) -> str:
        return str(self.settings.value("last_folder", str(Path.home())))

    def _add_recent(self, kind: str, path) -> None:
        path = str(Path(path).resolve())
        entry = f"{kind}:{path}"
        recent = [e for e in self._recent() if e != entry]
        self.settings.setValue("recent_files", [entry] + recent[:MAX_RECENT - 1])
        self.settings.setValue("last_folder", str(Path(path).parent))
        self._refresh_recent()

    def _recent(self) -> list[str]:
        value = self.settings.value("recent_files", [])
        return [value] if isinstance(value, str) else list(value or [])

    def _refresh_recent(self) -> None:
        self.recent_menu.clear()
        for entry in self._recent():
            kind, _, path = entry.partition(":")
            action = self.recent_menu.addAction(f"{Path(path).name}  ({kind})")
            action.setToolTip(path)
            opener = {"session": self.open_session, "weights": self.open_weights}.get(kind, self.open_data)
            action.triggered.connect(lambda _=False, p=path, o=opener: o(p))
        self.recent_menu.setEnabled(bool(self._recent()))

    def on_export_bundle(self, folder: str, view, metadata: dict, arrays: dict) -> None:
        from rnnviz.gui.export import export_all

        try:
            written = export_all(view, folder, metadata, arrays)
        except UserError as exc:
            self.show_error("Export all plots", str(exc))
            return
        self.statusBar().showMessage(f"Wrote {len(written)} files to {folder}", 8000)
        self.last_export = written
