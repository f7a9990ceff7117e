"""``python -m rnnviz`` runs the same command line as the ``rnnviz`` script."""

import sys

try:
    from rnnviz.cli.main import main
except KeyboardInterrupt:  # Ctrl-C before the command line has even loaded: no traceback
    sys.stderr.write("rnnviz: interrupted\n")
    sys.exit(130)

sys.exit(main())
