"""What the main window is made of: a dock per panel, their arrangement, the menus, and the
saved layout. A mixin of ``MainWindow``, which holds the behaviour these call into."""

from __future__ import annotations

from PyQt6.QtCore import QByteArray, QEvent, Qt
from PyQt6.QtGui import QAction, QKeySequence
from PyQt6.QtWidgets import QDockWidget, QFrame, QScrollArea, QVBoxLayout, QWidget

from rnnviz.core.train import presets
from rnnviz.gui.panels.text import TextPanel
from rnnviz.gui.window.canvases import skip_viewport_fills

WINDOW_SIZE = (1600, 1000)  # every panel readable at once on a common laptop screen
CONTROLS_WIDTH = 330  # the form's labels and spin boxes fit without a scroll bar
CONTROLS_HEIGHT = 720  # the whole form without scrolling; the text panel gets the rest
# panels that share a dock's place as tabs (view -> the view it sits behind): nine plots in three
# columns of three keep each one ~300 px high at 1600 x 1000; these two pair with their closest kin
TABBED_WITH = {"gates": "hidden", "connectivity": "chain", "distributions": "flow",
               "units": "gradients"}


def panel_classes() -> tuple:
    """The plot panels in dock order."""
    from rnnviz.gui.panels import PANEL_CLASSES

    return tuple(PANEL_CLASSES)


class WindowLayout:
    """Docks, menus and layout persistence for MainWindow (uses its controls, banner, settings)."""

    def _build_docks(self) -> None:
        self.setDockNestingEnabled(True)
        self.panels = [cls() for cls in panel_classes()]
        self.text_panel = TextPanel()
        self.panels += [self.text_panel]
        self.docks = {}
        scroll = QScrollArea()
        scroll.setWidget(self.controls)
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        settings_box = QWidget()
        column = QVBoxLayout(settings_box)
        column.setContentsMargins(0, 0, 0, 0)
        column.addWidget(scroll, 1)
        column.addWidget(self.controls.run_panel)  # Train / Step / Reset always in view
        self.controls_dock = self._dock("Settings", "settings", settings_box)
        self.addDockWidget(Qt.DockWidgetArea.LeftDockWidgetArea, self.controls_dock)
        for panel in self.panels:
            self.docks[panel] = self._dock(panel.title, panel.view_name, panel)
            skip_viewport_fills(panel)  # each redraw paints the plots once, not twice
        self._arrange_panels()
        self._panel_of = {}  # watched widget -> its panel, for eventFilter
        for panel in self.panels:
            for widget in [panel, *panel.findChildren(QWidget)]:
                self._panel_of[widget] = panel
                widget.installEventFilter(self)

    def _dock(self, title: str, name: str, widget: QWidget) -> QDockWidget:
        dock = QDockWidget(title, self)
        dock.setObjectName(f"dock-{name}")  # saveState / restoreState find docks by this name
        dock.setWidget(widget)
        dock.setFeatures(QDockWidget.DockWidgetFeature.DockWidgetMovable
                         | QDockWidget.DockWidgetFeature.DockWidgetFloatable
                         | QDockWidget.DockWidgetFeature.DockWidgetClosable)
        return dock

    def _arrange_panels(self) -> None:
        """Settings above the text panel on the left; the plots in three columns of (at most)
        three to the right: everything visible at once at 1600 x 1000."""
        text_dock = self.docks[self.text_panel]
        self.splitDockWidget(self.controls_dock, text_dock, Qt.Orientation.Vertical)
        self.resizeDocks([self.controls_dock, text_dock], [CONTROLS_HEIGHT, WINDOW_SIZE[1] - CONTROLS_HEIGHT],
                         Qt.Orientation.Vertical)
        docks = [self.docks[p] for p in self.panels
                 if p is not self.text_panel and p.view_name not in TABBED_WITH]
        if not docks:
            return
        columns = [docks[i::3] for i in range(3)] if len(docks) >= 3 else [docks]
        tops = [column[0] for column in columns]
        self.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, tops[0])
        for left, right in zip(tops, tops[1:]):
            self.splitDockWidget(left, right, Qt.Orientation.Horizontal)
        for column in columns:
            for upper, lower in zip(column, column[1:]):
                self.splitDockWidget(upper, lower, Qt.Orientation.Vertical)
        width = (WINDOW_SIZE[0] - CONTROLS_WIDTH) // len(columns)
        self.resizeDocks([self.controls_dock] + tops, [CONTROLS_WIDTH] + [width] * len(tops),
                         Qt.Orientation.Horizontal)
        by_name = {p.view_name: self.docks[p] for p in self.panels}
        for name, host in TABBED_WITH.items():
            if name in by_name and host in by_name:
                self.tabifyDockWidget(by_name[host], by_name[name])
                by_name[host].raise_()  # the original view in front; its partner one click away

    def _build_menus(self) -> None:
        menu = self.menuBar().addMenu("&File")
        self._action(menu, "&Open data…", self.choose_data, QKeySequence.StandardKey.Open)
        self._action(menu, "Open &session…", self.choose_session)
        self._action(menu, "&Save session…", self.choose_save, QKeySequence.StandardKey.Save)
        self._action(menu, "Open &weights…", self.choose_weights, "Ctrl+Shift+O")
        self._action(menu, "Export wei&ghts…", self.choose_export_weights, "Ctrl+Shift+E")
        menu.addSeparator()
        self._action(menu, "&Export all plots…", self.choose_export_all)
        self.export_panel_action = self._action(menu, "Export this &panel…", self.choose_export_panel)
        menu.addSeparator()
        self.recent_menu = menu.addMenu("&Recent files")
        self._refresh_recent()
        menu.addSeparator()
        self._action(menu, "&Quit", self.close, QKeySequence.StandardKey.Quit)

        menu = self.menuBar().addMenu("&Train")
        self.train_action = self._action(menu, "&Train / Pause", self.toggle_training, "Space")
        self.step_action = self._action(menu, "&Step", self.step_once, "S")
        self.step_action.setShortcuts([QKeySequence("S"), QKeySequence("Right")])
        self._action(menu, "Train &N steps", lambda: self.train_steps(self.controls.n_steps.value()), "Ctrl+T")
        self._action(menu, "&Reset", self.reset, "Ctrl+R")
        menu.addSeparator()
        self.compare_action = self._action(menu, "&Compare with tanh…", self.compare_with_tanh)
        self.compare_action.setStatusTip("fork the shown run with tanh units in every stack, in the Runs dock: both "
                                         "train on the same batches, their loss, gradients and chains overlaid")
        from rnnviz.gui.window.group import add_fork_action
        from rnnviz.gui.window.sweep import add_sweep_action
        self.fork_action = add_fork_action(self, menu)
        self.sweep_action = add_sweep_action(self, menu)

        menu = self.menuBar().addMenu("&View")
        for dock in [self.controls_dock] + [self.docks[p] for p in self.panels]:
            menu.addAction(dock.toggleViewAction())
        menu.addSeparator()
        self.reset_zoom_action = self._action(menu, "Reset &zoom", self.reset_zoom, "Ctrl+0")
        self.reset_zoom_action.setStatusTip("Fit every plot to its data again after zooming or panning")
        self._action(menu, "Reset &layout", self.reset_layout)

        menu = self.menuBar().addMenu("&Presets")
        for name, preset in presets.PRESETS.items():
            action = self._action(menu, name, lambda _=False, n=name: self.apply_preset(n))
            action.setStatusTip(preset.story)
            action.setToolTip(preset.story)
        menu.setToolTipsVisible(True)

        menu = self.menuBar().addMenu("&Help")
        self._action(menu, "How to read the &plots", self.show_help, QKeySequence.StandardKey.HelpContents)
        self._action(menu, "&About rnnviz", self.show_about)

    def _action(self, menu, text, slot, shortcut=None) -> QAction:
        action = QAction(text, self)
        if shortcut is not None:
            action.setShortcut(QKeySequence(shortcut))
        action.triggered.connect(slot)
        menu.addAction(action)
        return action

    def _show_dock_of(self, panel) -> None:
        dock = self.docks[panel]
        dock.show()
        dock.raise_()

    def reset_zoom(self) -> None:
        """Every plot fitted to its data again, as before any zoom or pan with the mouse."""
        for panel in self.panels:
            panel.reset_zoom()

    def reset_layout(self) -> None:
        banner_shown, lesson_shown = self.banner.shown, self.lesson.shown
        self.restoreState(self.default_state)
        for dock in [self.controls_dock, *self.docks.values()]:
            dock.show()
        self.banner.setVisible(banner_shown)  # the layout, not the run's state, is reset
        self.lesson.setVisible(lesson_shown)

    def _restore_layout(self) -> None:
        geometry, state = self.settings.value("geometry"), self.settings.value("window_state")
        if isinstance(geometry, QByteArray):
            self.restoreGeometry(geometry)
        if isinstance(state, QByteArray):
            self.restoreState(state)
        self.banner.hide_banner()  # a banner open at the last close belongs to that run
        self.lesson.hide_banner()

    def eventFilter(self, watched, event) -> bool:  # noqa: N802 - Qt name
        """Remember the panel last clicked or focused: "Export this panel" writes that one."""
        if event.type() in (QEvent.Type.MouseButtonPress, QEvent.Type.FocusIn):
            panel = self._panel_of.get(watched)
            if panel is not None and panel is not self.current_panel:
                self.current_panel = panel
                self.export_panel_action.setText(f"Export this panel ({panel.title})…")
        return False
