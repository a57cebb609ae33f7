"""Evaluation of trained models: metrics, reports, baselines, cross-validation."""
