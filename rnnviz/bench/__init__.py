"""``rnnviz bench``: benchmarks measured side by side, and the slow reference implementations."""
