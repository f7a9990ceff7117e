"""Training: the trainer, its history and records, sessions, presets, comparison and sampling."""
