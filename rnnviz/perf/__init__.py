"""Benchmark material for ``rnnviz bench``: reference implementations to race against.

Nothing here is used by the app; it exists so that speed claims are measured side by side.
"""
