"""The ``rnnviz`` command line: the window by default, and the headless subcommands."""
