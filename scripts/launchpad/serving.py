"""launchpad.serving: the serving contract, from its own distribution ``launchpad-serving`` (import name
``launchpad_serving``), which a model's serving image installs without the rest of launchpad.

This module only re-exports it, so launchpad's callers (the demo, the sandbox's tests) and
``python -m launchpad.serving`` keep working; the one implementation is ``launchpad_serving``.
"""

from launchpad_serving import (
    MAX_PAYLOAD_BYTES,
    BadRequest,
    Handlers,
    InferenceApp,
    Model,
    NotAcceptable,
    ServerStartError,
    ServingError,
    ThreadedServer,
    UnsupportedMediaType,
    json_output,
    main,
    read_json,
    serve_in_process,
    serve_in_thread,
)

__all__ = [
    "MAX_PAYLOAD_BYTES",
    "BadRequest",
    "Handlers",
    "InferenceApp",
    "Model",
    "NotAcceptable",
    "ServerStartError",
    "ServingError",
    "ThreadedServer",
    "UnsupportedMediaType",
    "json_output",
    "main",
    "read_json",
    "serve_in_process",
    "serve_in_thread",
]

if __name__ == "__main__":
    main()
