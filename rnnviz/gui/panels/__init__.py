"""One file per view; each panel is built once and then only updated with setData / setImage.

``PANEL_CLASSES`` is the order of the window's docks and of exported files (every panel
that draws a ViewData; the Runs dock's panel draws a group's overlays and lives in the window only).
"""

from rnnviz.gui.panels.base import Panel
from rnnviz.gui.panels.chain import ChainPanel
from rnnviz.gui.panels.connectivity import ConnectivityPanel
from rnnviz.gui.panels.distributions import DistributionsPanel
from rnnviz.gui.panels.flow import FlowPanel
from rnnviz.gui.panels.gates import GatesPanel
from rnnviz.gui.panels.gradients import GradientsPanel
from rnnviz.gui.panels.hidden import HiddenPanel
from rnnviz.gui.panels.loss import LossPanel
from rnnviz.gui.panels.norms import NormsPanel
from rnnviz.gui.panels.spectrum import SpectrumPanel
from rnnviz.gui.panels.units import UnitsPanel
from rnnviz.gui.panels.weights import WeightsPanel

PANEL_CLASSES = (LossPanel, HiddenPanel, GradientsPanel, ChainPanel, FlowPanel, WeightsPanel,
                 SpectrumPanel, NormsPanel, GatesPanel, ConnectivityPanel, DistributionsPanel, UnitsPanel)

__all__ = ["PANEL_CLASSES", "Panel", "LossPanel", "HiddenPanel", "GradientsPanel", "ChainPanel",
           "FlowPanel", "WeightsPanel", "SpectrumPanel", "NormsPanel", "GatesPanel", "ConnectivityPanel",
           "DistributionsPanel", "UnitsPanel"]
