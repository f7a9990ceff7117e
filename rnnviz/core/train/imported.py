"""A run that starts from imported weights, and a run's weights written out for PyTorch.

The weights fix the network; the data must fit them. A vocabulary or a channel count that
differs is refused with both sizes, and when a vocabulary file lies beside the weights (rnnviz
writes one on export) the tokens themselves must match the data's, in order: token id 7 must
mean the same character in both, or every plot would show another network.
"""

from __future__ import annotations

import json
from pathlib import Path

from rnnviz.core.config import ModelConfig, TrainConfig
from rnnviz.core.errors import WeightsError
from rnnviz.core.nn.exchange import ImportedWeights, write_weights
from rnnviz.core.nn.weight_files import write_bytes
from rnnviz.core.train.trainer import Trainer

VOCABULARY_FORMAT = "rnnviz-vocabulary"
MAX_VOCABULARY_BYTES = 64 << 20  # a word vocabulary of a few thousand entries is ~100 KB


def vocabulary_path(weights_path) -> Path:
    """model.safetensors -> model.vocab.json, beside it."""
    path = Path(weights_path)
    return path.with_name(path.stem + ".vocab.json")


def trainer_from_weights(weights: ImportedWeights, source, train_config: TrainConfig | None = None, *,
                         source_spec: dict | None = None, seed: int = 0) -> Trainer:
    """A Trainer on ``source`` that starts (and resets) at the imported weights."""
    check_fits(weights, source)
    settings = {**weights.model_settings(), "output_size": source.output_size, "seed": seed}
    try:
        config = ModelConfig(**settings)
    except ValueError as exc:
        raise WeightsError(str(exc)) from None
    return Trainer(source, config, train_config, source_spec=source_spec, initial_params=weights.params)


def check_fits(weights: ImportedWeights, source) -> None:
    """The data's sizes (and vocabulary, when known on both sides) against the weights'."""
    layout = weights.layout
    if layout.input_size != source.input_size:
        raise WeightsError(f"the weights take {layout.input_size} inputs ({layout.prefix}weight_ih_l0 is "
                           f"({layout.gates * layout.hidden_size}, {layout.input_size})) but {source.name} has "
                           f"{_inputs(source)}")
    if layout.output_size is not None and layout.output_size != source.output_size:
        raise WeightsError(f"the readout gives {layout.output_size} outputs ({layout.readout}weight is "
                           f"({layout.output_size}, {layout.width})) but {source.name} needs "
                           f"{source.output_size}")
    saved = read_vocabulary(vocabulary_path(weights.path))
    vocab = getattr(source, "vocab", None)
    if saved is not None and vocab is not None and list(saved) != list(vocab):
        if len(saved) != len(vocab):
            detail = f"{len(saved)} tokens against {len(vocab)}"
        else:
            i = next(k for k, (a, b) in enumerate(zip(saved, vocab)) if a != b)
            detail = f"token {i} is {saved[i]!r} there and {vocab[i]!r} here"
        raise WeightsError(f"the vocabulary saved beside the weights ({vocabulary_path(weights.path).name}) "
                           f"is not {source.name}'s: {detail}; open the text the network was trained on")


def _inputs(source) -> str:
    vocab = getattr(source, "vocab", None)
    if vocab is not None:
        return f"a vocabulary of {len(vocab)} {getattr(source, 'unit', 'token')}s"
    return f"{source.input_size} input channel{'' if source.input_size == 1 else 's'}"


def read_vocabulary(path: Path) -> list[str] | None:
    """The tokens of a vocabulary file, or None when there is none; WeightsError if it is damaged."""
    if not path.is_file():
        return None
    if path.stat().st_size > MAX_VOCABULARY_BYTES:
        raise WeightsError(f"{path.name} is larger than any vocabulary ({path.stat().st_size:,} bytes)")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError, RecursionError):
        raise WeightsError(f"{path.name} is not a readable vocabulary file (JSON)") from None
    tokens = data.get("tokens") if isinstance(data, dict) and data.get("format") == VOCABULARY_FORMAT else None
    if not isinstance(tokens, list) or not all(isinstance(t, str) for t in tokens):
        raise WeightsError(f"{path.name} is not an rnnviz vocabulary (expected format {VOCABULARY_FORMAT!r} "
                           f"and a list of tokens)")
    return tokens


def export_weights(trainer: Trainer, path) -> list[Path]:
    """The run's network as safetensors at ``path`` (and its vocabulary beside it, for text)."""
    written = [write_weights(path, trainer.model_config, trainer.model.params)]
    vocab = getattr(trainer.source, "vocab", None)
    if vocab is not None:
        document = {"format": VOCABULARY_FORMAT, "level": getattr(trainer.source, "level", "char"),
                    "tokens": list(vocab),
                    "usage": "token id i is tokens[i]; feed one-hot vectors of this length to the network"}
        data = json.dumps(document, ensure_ascii=False, indent=1).encode("utf-8")
        written.append(write_bytes(vocabulary_path(path), data))
    return written

