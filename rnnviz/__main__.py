"""``python -m rnnviz`` runs the same command line as the ``rnnviz`` script."""

import sys

from rnnviz.cli.main import main

sys.exit(main())
