"""Evaluation of trained models: metrics with CIs, calibration, baselines, reports.

Nothing here imports the trainer; what composes both (cross-validation) sits beside it.
"""
