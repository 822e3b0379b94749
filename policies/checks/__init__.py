"""launchpad's checkov checks: checkov loads Python checks only from a folder with this file.

checkov puts this folder on ``sys.path`` and executes every ``.py`` file of it (and of each subfolder that
has an ``__init__.py``) as a check module. The helpers the checks share live in ``_helpers/``, which has no
``__init__.py`` on purpose: checkov skips it, so each helper module is imported once, as ``_helpers.<name>``
(a namespace package), and never re-executed under a second name (which would make two ``Unresolved``
classes). The checks run in checkov's own environment: only the standard library, PyYAML and checkov itself
are available to them.

``_helpers``: ``settings`` (policies/config.yaml), ``values`` (rendered values, ``Unresolved``), ``graph``
(the scan's graph), ``tags``, ``kms``, ``endpoints`` (SageMaker endpoint configurations), ``iam`` (policy
documents) and ``base`` (the check base classes).
"""
