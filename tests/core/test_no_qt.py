"""The core must import and compute with PyQt6 and pyqtgraph made unimportable."""

import subprocess
import sys
import textwrap


def test_core_runs_without_qt():
    script = textwrap.dedent("""
        import sys
        class Block:
            def find_spec(self, name, path=None, target=None):
                if name.split('.')[0] in ('PyQt6', 'pyqtgraph', 'PySide6', 'qtpy'):
                    raise ImportError('blocked for this test: ' + name)
        sys.meta_path.insert(0, Block())
        import numpy as np
        import rnnviz.core
        import pkgutil, importlib
        for mod in pkgutil.walk_packages(rnnviz.core.__path__, 'rnnviz.core.'):
            importlib.import_module(mod.name)
        model = rnnviz.core.RNN(rnnviz.core.ModelConfig(input_size=3, hidden_size=4, output_size=3))
        loss, grads, trace = model.loss_and_grads(np.zeros((4, 2), int), np.zeros((4, 2), int))
        assert np.isfinite(loss)
        assert not any(m.split('.')[0] in ('PyQt6', 'pyqtgraph') for m in sys.modules)
        print('ok')
    """)
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok"
