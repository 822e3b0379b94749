"""Stop the work the sandbox runs in the background when its state is reset or its server ends.

Some AWS services the sandbox plays keep working after the call that started them (a CodeBuild build runs
its commands, a CodePipeline execution moves from stage to stage). ``POST /moto-api/reset`` wipes every
backend (``MotoAPIBackend.reset``): that work must stop first, or it would go on writing into the new,
empty state. The server ends its ``main()`` on SIGTERM or SIGINT; the same callbacks then run at
interpreter exit (``atexit``), so no build's process outlives the server.

Each callback stops its own work and waits (bounded) until it has stopped; callbacks run in the order they
were registered, before moto's reset.
"""

from __future__ import annotations

import atexit
import logging
import threading
from collections.abc import Callable

from moto.moto_api._internal.models import MotoAPIBackend

log = logging.getLogger(__name__)

_CALLBACKS: list[Callable[[], None]] = []
_LOCK = threading.Lock()
_MARK = "_launchpad_lifecycle"


def stop_all() -> None:
    """Run every registered callback (a failing one is logged; the others still run)."""
    with _LOCK:
        callbacks = list(_CALLBACKS)
    for callback in callbacks:
        try:
            callback()
        except Exception:  # one service's cleanup must not keep the others' from running
            log.exception("stopping %s failed", getattr(callback, "__qualname__", callback))


def on_reset(callback: Callable[[], None], first: bool = False) -> None:
    """Call ``callback`` before each sandbox reset and at interpreter exit (once per callback); ``first``:
    before the callbacks registered so far (work that starts other work stops before it)."""
    with _LOCK:
        if callback not in _CALLBACKS:
            _CALLBACKS.insert(0 if first else len(_CALLBACKS), callback)
    _install()


def _install() -> None:
    if getattr(MotoAPIBackend, _MARK, False):
        return
    original = MotoAPIBackend.reset

    def reset(self: MotoAPIBackend) -> None:
        stop_all()
        original(self)

    MotoAPIBackend.reset = reset  # type: ignore[method-assign]
    atexit.register(stop_all)
    setattr(MotoAPIBackend, _MARK, True)
