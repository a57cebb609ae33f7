"""framelens.training — fine-tuning, metrics and evaluation (builds on data and models)."""
