"""The training data's columns: the features in the order the model reads them, the label, and the group
attribute the fairness checks read. Plain constants (no launchpad-serving import), so the training job runs
on SageMaker's training images with only the framework and numpy (train_job.py)."""

from __future__ import annotations

FEATURE_NAMES = (
    "tenure_years",
    "monthly_charges",
    "support_calls",
    "late_payments",
    "plan_changes",
    "usage_trend",
    "discount",
    "contact_score",
)
N_FEATURES = len(FEATURE_NAMES)
LABEL = "churned"  # 1: the customer cancelled (pipeline.yaml's label)
SEGMENT = "segment"  # a or b: a group attribute, not a feature (pipeline.yaml's bias facet)
THRESHOLD = 0.5  # probability from which the label is 1
