"""The network: cells, the model and its shapes, initialisers, losses, optimizers."""
