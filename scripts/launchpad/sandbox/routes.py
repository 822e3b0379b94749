"""The sandbox's own HTTP routes (``/_launchpad/...``): JSON in, JSON out, in front of moto.

Each patch that offers a route (local model servers, service sessions, CodeBuild builds, CodePipeline runs,
the authorization record) registers a handler for a path prefix here; requests to other paths go on to moto.
These routes are unsigned: they are the sandbox's control plane, like moto's ``/moto-api``.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterable
from typing import Any

from moto.moto_server.werkzeug_app import DomainDispatcherApplication

Handler = Callable[[dict[str, Any], dict[str, Any]], tuple[int, dict[str, Any]]]
_REASONS = {200: "OK", 400: "Bad Request", 403: "Forbidden", 404: "Not Found", 500: "Internal Server Error"}
_MARK = "_launchpad_routes"
log = logging.getLogger("launchpad.sandbox.routes")


class BadRequest(ValueError):
    """The request to a route lacks what it needs (HTTP 400 with the message)."""


def body(environ: dict[str, Any]) -> dict[str, Any]:
    """The JSON object a request carries ({} for none)."""
    length = int(environ.get("CONTENT_LENGTH") or 0)
    if not length:
        return {}
    document = json.loads(environ["wsgi.input"].read(length) or b"{}")
    if not isinstance(document, dict):
        raise BadRequest("send a JSON object")
    return document


def add(prefix: str, handler: Handler) -> None:
    """Answer requests whose path starts with ``prefix`` with ``handler(environ, body)`` -> (status, JSON)."""
    original = DomainDispatcherApplication.__call__

    def __call__(self: Any, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        if not environ.get("PATH_INFO", "").startswith(prefix):
            return original(self, environ, start_response)
        try:
            status, document = handler(environ, body(environ))
        except (BadRequest, KeyError, ValueError) as exc:
            status, document = 400, {"error": "BadRequest", "message": str(exc)}
        except Exception as exc:  # the sandbox's own bug: answered as one, with the cause in its log
            log.exception("route %s failed", prefix)
            status, document = 500, {"error": "InternalError", "message": f"{prefix} failed: {exc!r}"}
        start_response(f"{status} {_REASONS.get(status, 'Error')}", [("Content-Type", "application/json")])
        return [json.dumps(document).encode()]

    DomainDispatcherApplication.__call__ = __call__  # type: ignore[method-assign]
