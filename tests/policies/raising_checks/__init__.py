"""Checks that break on purpose, for tests/policies/test_check_errors.py: checkov loads Python checks from a
folder only when it has an ``__init__.py``. Never put these in policies/checks."""
