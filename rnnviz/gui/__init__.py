"""Everything that imports Qt lives under this package; ``rnnviz.core`` never does."""
