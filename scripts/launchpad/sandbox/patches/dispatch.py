"""Not an AWS behaviour: what moto's request dispatch costs per request.

moto's server finds the backend of every request under one lock, and on the way lists its own package
folder (``moto.backends.list_of_moto_modules``: an ``os.listdir`` and an ``isdir`` per entry, ~1.4 ms) to
see whether the host names a backend. The folder does not change while the server runs, so the listing is
read once; every answer is the same as before.

A new account's EC2 backend also loads moto's bundled catalogue of public AMIs (~0.1 s of CPU per account
and region, and the suite makes hundreds of accounts). Nothing launchpad deploys runs on EC2 instances, so
the sandbox server starts with ``MOTO_EC2_LOAD_DEFAULT_AMIS=false`` (``launchpad.sandbox.server``):
``DescribeImages`` lists no public images there (README, "not modelled").
"""

from __future__ import annotations

import functools
from collections.abc import Iterable

import moto.backends

_MARK = "_launchpad_dispatch_patch"
_LIST_MODULES = moto.backends.list_of_moto_modules


@functools.cache
def moto_modules() -> tuple[str, ...]:
    """moto's own listing of its backend folders, read once."""
    return tuple(_LIST_MODULES())


def _list_of_moto_modules() -> Iterable[str]:
    return iter(moto_modules())


def apply() -> None:
    if getattr(moto.backends, _MARK, False):
        return
    moto.backends.list_of_moto_modules = _list_of_moto_modules
    setattr(moto.backends, _MARK, True)
