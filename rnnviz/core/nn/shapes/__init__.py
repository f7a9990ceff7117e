"""The network shapes beyond one stack: which class builds the network a ModelConfig describes.

Every shape keeps the contract of ``RNN``: parameters in PyTorch's names, ``forward``, ``loss``
and ``loss_and_grads(inputs, targets, h0) -> (loss, grads, trace)``; a shape with more than one
recurrent stack names them in ``trace.parts``.
"""

from __future__ import annotations

from rnnviz.core.config import ModelConfig
from rnnviz.core.nn.model import RNN
from rnnviz.core.nn.shapes.bidirectional import BiRNN
from rnnviz.core.nn.shapes.seq2seq import Seq2Seq
from rnnviz.core.nn.shapes.vec2seq import Vec2Seq

__all__ = ["BiRNN", "RNN", "Seq2Seq", "Vec2Seq", "make_model", "shape_name"]


def make_model(config: ModelConfig):
    """The network for ``config``: an encoder-decoder, a vector-to-sequence net, a bidirectional
    stack, or the single stack."""
    if config.arch == "seq2seq":
        return Seq2Seq(config)
    if config.arch == "vec2seq":
        return Vec2Seq(config)
    return BiRNN(config) if config.bidirectional else RNN(config)


def shape_name(config: ModelConfig) -> str:
    """The shape in words, for titles and export metadata."""
    if config.arch == "seq2seq":
        return "encoder-decoder"
    if config.arch == "vec2seq":
        return "vector-to-sequence"
    return "bidirectional" if config.bidirectional else "unidirectional"
