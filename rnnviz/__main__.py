"""``python -m rnnviz`` runs the same command line as the ``rnnviz`` script."""

import sys

from rnnviz.cli import main

sys.exit(main())
