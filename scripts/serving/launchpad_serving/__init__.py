"""The SageMaker inference contract over a model's handler functions: ``GET /ping`` and ``POST /invocations``,
as a WSGI application (``app``) served by gunicorn (``server``), the kind of server SageMaker's framework
containers run. A model project writes the handlers (``contract``) and serves them, on a laptop
(``make serve``), in the sandbox, or as a container's ``serve`` entry point, with::

    python -m launchpad_serving [serve] --handler churn.inference --model-dir build/model --port 8080

What the server guarantees, whatever the handlers and the clients do (AWS, "Use your own inference code
with hosting services": the container answers ``/ping`` with 200 once it can serve, ``/invocations`` with
the inference, on port 8080, within 60 s; real-time payloads are at most 6 MB):
- a client cannot cause a 5xx (SageMaker counts them; a canary rolls back on them): a request either server
  cannot parse, a POST without a Content-Length (411) or with a malformed one, a chunked body (411), a body
  over ``--max-payload-bytes`` (413, refused before it is kept), shorter than announced, or slower than
  ``--read-timeout`` (408) are each answered with one 4xx, and the connection is closed after every answer
  other than 2xx;
- a handler's ``BadRequest`` is 400, ``UnsupportedMediaType`` 415, ``NotAcceptable`` 406, each with its
  message; ``read_json`` turns every malformed JSON body into a ``BadRequest``;
- anything else a handler raises is 500 with a generic message (a bug in the model must reach the canary's
  alarm); the log gets the exception's type and where it was raised, never its text;
- no answer and no log line holds request content: messages name what is wrong and what to send, logs name
  the client's address, the contract's own method and path, status, size and time, never a query string,
  header value, body or made-up path (any of them may be a patient's data).
Errors are JSON: ``{"error": "<message>", "status": <code>}``.
"""

from launchpad_serving.app import InferenceApp
from launchpad_serving.contract import (
    DEFAULT_MODEL_DIR,
    DEFAULT_PORT,
    DEFAULT_READ_TIMEOUT,
    JSON,
    MAX_PAYLOAD_BYTES,
    BadRequest,
    Handlers,
    Model,
    NotAcceptable,
    PayloadTooLarge,
    ServingError,
    UnsupportedMediaType,
    accepts,
    json_output,
    media_type,
    read_json,
)
from launchpad_serving.local import ServerStartError, ThreadedServer, serve_in_process, serve_in_thread
from launchpad_serving.server import main

__all__ = [
    "DEFAULT_MODEL_DIR",
    "DEFAULT_PORT",
    "DEFAULT_READ_TIMEOUT",
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
    "accepts",
    "json_output",
    "main",
    "media_type",
    "read_json",
    "serve_in_process",
    "serve_in_thread",
]
