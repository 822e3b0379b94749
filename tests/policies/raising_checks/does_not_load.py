"""A check file that fails to import, as one with a syntax slip or a missing dependency would."""

raise ImportError("does not load on purpose")
