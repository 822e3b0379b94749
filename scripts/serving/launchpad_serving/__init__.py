"""The SageMaker inference contract over a model's handler functions: ``GET /ping`` and ``POST /invocations``,
as a WSGI application (``app``) served by gunicorn (``server``), the kind of server SageMaker's framework
containers run. A model project writes the handlers (``contract``) and serves them, on a laptop
(``make serve``), in the sandbox, or as a container's ``serve`` entry point, with::

    python -m launchpad_serving [serve] --handler churn.inference --model-dir build/model --port 8080

What the server guarantees, whatever the handlers do (AWS, "Use your own inference code with hosting
services": the container answers ``/ping`` with 200 once it can serve, ``/invocations`` with the inference,
on port 8080, within 60 s; real-time payloads are at most 6 MB):
- a body over ``--max-payload-bytes`` is refused with 413 before it is kept;
- a handler's ``BadRequest`` is 400, ``UnsupportedMediaType`` 415, ``NotAcceptable`` 406, each with its
  message;
- anything else a handler raises is 500 with a generic message; the log gets the exception's type and
  where it was raised, never its text or the request (either may quote the input: PHI stays out of
  responses and logs); the access log has no query strings.
Errors are JSON: ``{"error": "<message>", "status": <code>}``.
"""

from launchpad_serving.app import InferenceApp
from launchpad_serving.contract import (
    DEFAULT_MODEL_DIR,
    DEFAULT_PORT,
    JSON,
    MAX_PAYLOAD_BYTES,
    BadRequest,
    Handlers,
    Model,
    NotAcceptable,
    PayloadTooLarge,
    ServingError,
    UnsupportedMediaType,
    json_output,
)
from launchpad_serving.local import ServerStartError, ThreadedServer, serve_in_process, serve_in_thread
from launchpad_serving.server import main

__all__ = [
    "DEFAULT_MODEL_DIR",
    "DEFAULT_PORT",
    "JSON",
    "MAX_PAYLOAD_BYTES",
    "BadRequest",
    "Handlers",
    "InferenceApp",
    "Model",
    "NotAcceptable",
    "PayloadTooLarge",
    "ServerStartError",
    "ServingError",
    "ThreadedServer",
    "UnsupportedMediaType",
    "json_output",
    "main",
    "serve_in_process",
    "serve_in_thread",
]
