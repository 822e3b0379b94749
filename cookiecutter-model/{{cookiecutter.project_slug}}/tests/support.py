"""What the tests share: the trained build, and an HTTP client of the inference server."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class Built:
    """What ``python -m {{ cookiecutter.project_slug }}.train`` wrote."""

    output: Path
    metrics: dict[str, Any]

    @property
    def model_dir(self) -> Path:
        return self.output / "model"

    @property
    def archive(self) -> Path:
        return self.output / "model.tar.gz"


@dataclass(frozen=True)
class Response:
    status: int
    content_type: str
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass(frozen=True)
class Server:
    """The inference server at ``url``."""

    url: str

    def get(self, path: str) -> Response:
        return self._send(urllib.request.Request(self.url + path))

    def post(self, body: bytes, content_type: str = "application/json", accept: str = "") -> Response:
        headers = {"Content-Type": content_type} | ({"Accept": accept} if accept else {})
        request = urllib.request.Request(self.url + "/invocations", data=body, headers=headers, method="POST")
        return self._send(request)

    @staticmethod
    def _send(request: urllib.request.Request) -> Response:
        try:
            with urllib.request.urlopen(request, timeout=30) as answer:
                return Response(answer.status, answer.headers.get("Content-Type", ""), answer.read())
        except urllib.error.HTTPError as error:
            return Response(error.code, error.headers.get("Content-Type", ""), error.read())
