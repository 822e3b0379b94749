"""Monitoring the model's data, quality and fairness, and the business it serves (docs/monitoring.md).

The computing modules (``profile``, ``capture``, ``drift``, ``quality``, ``bias``, ``job``) import only the
standard library, numpy and scipy, with Python 3.9 syntax: the package runs as-is inside a SageMaker
Processing job on AWS's prebuilt scikit-learn image.
"""
