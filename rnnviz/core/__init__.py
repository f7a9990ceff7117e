"""The numerical core of rnnviz: plain numpy, never Qt.

Everything the app draws is computed here once, and handed out as copies. The GUI and the
command line are two faces on this package.
"""

from rnnviz.core.config import ModelConfig
from rnnviz.core.nn.model import RNN, Trace

__all__ = ["RNN", "ModelConfig", "Trace"]
