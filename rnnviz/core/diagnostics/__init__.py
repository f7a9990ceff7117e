"""Diagnostics of a trace: the summary of a snapshot, the Jacobian chain, the gated cells' paths."""
