"""Deploying a model project: its stage config, model card, preflight and guarded rollout."""
