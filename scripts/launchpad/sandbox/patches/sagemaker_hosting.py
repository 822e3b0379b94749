"""SageMaker hosting starts the model's serving container (its local stand-in) from the model artifact.

AWS (SageMaker Developer Guide, "Use your own inference code with hosting services": "How SageMaker AI Runs
Your Inference Image", "How SageMaker AI Loads Your Model Artifacts", "How Containers Serve Requests", "How
Your Container Should Respond to Health Check (Ping) Requests"; API Reference ``ProductionVariant``
(``ContainerStartupHealthCheckTimeoutInSeconds``); AWS re:Post Knowledge Center "Why did my SageMaker AI
endpoint creation fail?"):

- SageMaker runs the image as ``docker run <image> serve`` on each instance of a variant's fleet, with the
  model artifact (``ModelDataUrl``, a gzip-compressed tar) unpacked in ``/opt/ml/model`` and the model's
  container ``Environment``; the container answers ``GET /ping`` and ``POST /invocations`` on port 8080.
- The container must answer ``/ping`` with 200 within the variant's startup health check timeout, else the
  fleet fails: "The primary container for production variant <v> did not pass the ping health check. Please
  check CloudWatch logs for this endpoint."
- An artifact SageMaker cannot extract (not a tar.gz, or one with symbolic links) fails it: "Failed to
  extract model data archive for container "container_1" from URL "<url>". Please ensure that the object
  located at the URL is a valid tar.gz archive."
- The container's stdout and stderr go to ``/aws/sagemaker/Endpoints/<endpoint>``, stream
  ``<variant>/<instance id>`` (``sagemaker_execution`` writes them as the execution role).

The sandbox has no containers. A serving image is a registered local stand-in: a command run on this machine
(``launchpad.sandbox.serving_images`` is the client)::

    POST   /_launchpad/sagemaker/images  {"account", "region", "image": "<uri>:<tag>" or "<uri>@sha256:<hex>",
             "command": [argv with {model_dir} and {port}], "environment": {NAME: VALUE},
             "workdir": "/abs/dir" (optional), "startup_timeout_seconds": N (optional)}
    GET    /_launchpad/sagemaker/images?account=..&region=..
    DELETE /_launchpad/sagemaker/images?account=..&region=..[&image=..]
    GET    /_launchpad/sagemaker/servers?account=..&region=..[&model=<model name>]

When ``sagemaker_execution.provision`` has started a fleet (``CreateEndpoint``, ``UpdateEndpoint``'s new
fleet) whose model's image has a stand-in and no explicitly registered local server
(``/_launchpad/local-servers``, which stays first), the artifact it read as the execution role is checked
(gzip tar; no absolute paths, ``..``, symbolic links, links out of the folder, device files: else the fleet
fails at once with the extract message above) and unpacked into a folder of the sandbox's temporary
directory, and the command runs there with a free port, in its own process group, with ``PATH``, ``HOME``,
``LANG``, ``LC_ALL``, ``TMPDIR`` of the sandbox, the stand-in's environment and the container's
``Environment`` (no AWS credentials). The API call does not wait: ``url_for`` waits (bounded) for ``/ping``.
A stand-in that exits, or does not answer ``/ping`` with 200 within the variant's
``ContainerStartupHealthCheckTimeoutInSeconds`` (the sandbox waits 60 s if it is unset; at most the
stand-in's ``startup_timeout_seconds``), fails its fleets: a created endpoint ends ``Failed``; an update in
flight fails as ``sagemaker_rollout`` fails one; an update that already completed (time scale 0 completes
within the call) ends ``Failed`` on its previous configuration.

One server runs per (account, region, image, artifact and its content, stand-in, environment), shared by the
fleets that use it; it stops when no endpoint uses it any more: at ``DeleteEndpoint``, when a completed
update or a rollback leaves its fleet unused (an idle reaper looks every ``REAP_SECONDS`` while servers
run), at ``/moto-api/reset`` (which also forgets the stand-ins) and when the sandbox server exits (``atexit``:
a sandbox killed with SIGKILL leaves its stand-ins running). A stand-in that failed stays listed, with why,
until its endpoint is deleted. Deleting a stand-in does not stop the servers it started (as deleting an ECR
image does not stop an endpoint).

While a created endpoint's stand-in starts, the endpoint shows ``InService`` (the sandbox has no
``Creating``), and at time scale 0 an update completes before its stand-in can answer: the failure lands a
moment later. With authorization off (``LAUNCHPAD_SANDBOX_AUTHZ=off``) fleets are not provisioned, so no
stand-in starts and ``InvokeEndpoint`` answers that no local server is registered.

Refused loudly (the fleet fails with a FailureReason saying so): models with more than one container,
``MultiModel`` containers, uncompressed model data (``CompressionType: None``). Not modelled: instance counts
(one process serves every instance of a variant), the container's AWS credentials, ``SAGEMAKER_*`` variables.
"""

from __future__ import annotations

import atexit
import contextlib
import hashlib
import io
import logging
import os
import re
import shutil
import signal
import socket
import subprocess
import tarfile
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
import zlib
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path, PurePosixPath
from typing import Any

from moto.core.utils import utcnow
from moto.moto_api._internal.models import MotoAPIBackend
from moto.sagemaker.models import FakeEndpoint, sagemaker_backends

from launchpad.sandbox import control, routes
from launchpad.sandbox.patches import sagemaker_rollout as rollout

log = logging.getLogger(__name__)

IMAGES_ROUTE = "/_launchpad/sagemaker/images"
SERVERS_ROUTE = "/_launchpad/sagemaker/servers"
MODEL_DIR = "/opt/ml/model"  # where SageMaker unpacks the artifact; named in the messages
DEFAULT_STARTUP_SECONDS = 60.0  # the sandbox's wait for /ping when the variant sets no timeout
MAX_STARTUP_SECONDS = 3600.0  # ProductionVariantContainerStartupHealthCheckTimeoutInSeconds' maximum
PING_INTERVAL_SECONDS = 0.1
PING_TIMEOUT_SECONDS = 2.0
STOP_SECONDS = 5.0  # SIGTERM, then SIGKILL
REAP_SECONDS = 2.0
ENDPOINT_WAIT_SECONDS = 10.0  # a CreateEndpoint stores its endpoint right after provisioning
OUTPUT_LINES = 40  # the tail of each server's output that GET servers shows
BASE_ENVIRONMENT = ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR")
KNOWN_KEYS = ("account", "region", "image", "command", "environment", "workdir", "startup_timeout_seconds")
PLACEHOLDERS = ("model_dir", "port")
_IMAGE = re.compile(
    # ECR's repository name pattern (CreateRepository's repositoryName), after the registry's host and port.
    r"(?P<name>[a-z0-9]+(?:[._-][a-z0-9]+)*(?::[0-9]+)?(?:/[a-z0-9]+(?:[._-][a-z0-9]+)*)*)"
    r"(?::(?P<tag>[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})|@(?P<digest>sha256:[0-9a-f]{64}))?",
    re.ASCII,
)
_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*", re.ASCII)
_MARK = "_launchpad_sagemaker_hosting_patch"

LogWriter = Callable[[str], bool]  # one line of container output to a fleet's log stream; False: stop


class Unhostable(Exception):
    """The fleet cannot start its stand-in; the message is the endpoint's FailureReason."""


# -- the registered stand-ins ---------------------------------------------------------------------------
@dataclass(frozen=True)
class StandIn:
    """The local stand-in of one serving image."""

    image: str
    command: tuple[str, ...]
    environment: tuple[tuple[str, str], ...] = ()
    workdir: str | None = None
    startup_timeout_seconds: float | None = None

    def document(self) -> dict[str, Any]:
        return {
            "command": list(self.command),
            "environment": dict(self.environment),
            "workdir": self.workdir,
            "startup_timeout_seconds": self.startup_timeout_seconds,
        }


_LOCK = threading.Lock()
_IMAGES: dict[tuple[str, str, str], StandIn] = {}  # (account, region, image) -> stand-in


def image_reference(image: str) -> str | None:
    """``image`` as the registry keys it (a reference without tag or digest means ``:latest``), None if
    it is not an image reference."""
    found = _IMAGE.fullmatch(image.strip())
    if found is None:
        return None
    return image.strip() if found.group("tag") or found.group("digest") else f"{image.strip()}:latest"


def _executable(program: str) -> str:
    if os.path.isabs(program):
        if not (os.path.isfile(program) and os.access(program, os.X_OK)):
            raise routes.BadRequest(f"command[0] {program!r} is not an executable file")
        return program
    if "/" in program or shutil.which(program) is None:
        raise routes.BadRequest(
            f"command[0] {program!r} is neither an absolute path to an executable nor a program on the "
            "sandbox's PATH"
        )
    return program


def _command(value: Any) -> tuple[str, ...]:
    if not isinstance(value, list) or not value or not all(isinstance(a, str) and a for a in value):
        raise routes.BadRequest("command must be a non-empty list of non-empty strings (argv)")
    for placeholder in PLACEHOLDERS:
        if not any(f"{{{placeholder}}}" in argument for argument in value):
            raise routes.BadRequest(
                f"command must pass {{{placeholder}}} (placeholders: {{model_dir}}, where the artifact is "
                "unpacked, and {port}, where the server must listen)"
            )
    for argument in value:
        try:
            argument.format(model_dir="", port=0)
        except (KeyError, IndexError, ValueError) as exc:
            raise routes.BadRequest(
                f"command argument {argument!r} has an unknown or malformed placeholder ({exc!r}); the "
                "placeholders are {model_dir} and {port}; write {{ and }} for literal braces"
            ) from None
    _executable(value[0])
    return tuple(value)


def _environment(value: Any) -> tuple[tuple[str, str], ...]:
    if value is None:
        return ()
    if not isinstance(value, dict):
        raise routes.BadRequest("environment must be a JSON object of NAME: VALUE strings")
    for name, text in value.items():
        if not _ENV_NAME.fullmatch(name) or not isinstance(text, str):
            raise routes.BadRequest(f"environment {name!r}: names are [A-Za-z_][A-Za-z0-9_]*, values strings")
    return tuple(sorted(value.items()))


def _workdir(value: Any) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or not os.path.isabs(value) or not os.path.isdir(value):
        raise routes.BadRequest(f"workdir {value!r} is not an absolute path to a directory")
    return value


def _timeout(value: Any) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 < value <= MAX_STARTUP_SECONDS:
        raise routes.BadRequest(
            f"startup_timeout_seconds {value!r} is not a number of seconds in (0, {MAX_STARTUP_SECONDS:g}]"
        )
    return float(value)


def stand_in(document: Mapping[str, Any]) -> StandIn:
    """The stand-in a registration describes; ``routes.BadRequest`` (HTTP 400) saying what is wrong."""
    unknown = sorted(set(document) - set(KNOWN_KEYS))
    if unknown:
        raise routes.BadRequest(f"unknown keys {', '.join(unknown)}; known: {', '.join(KNOWN_KEYS)}")
    image = document.get("image")
    found = _IMAGE.fullmatch(image) if isinstance(image, str) else None
    if found is None or not (found.group("tag") or found.group("digest")):
        raise routes.BadRequest(f"image {image!r} is not <uri>:<tag> or <uri>@sha256:<64 hex digits>")
    return StandIn(
        image=str(image),
        command=_command(document.get("command")),
        environment=_environment(document.get("environment")),
        workdir=_workdir(document.get("workdir")),
        startup_timeout_seconds=_timeout(document.get("startup_timeout_seconds")),
    )


def register(account: str, region: str, image: StandIn) -> None:
    with _LOCK:
        _IMAGES[(account, region, image.image)] = image


def registered(account: str, region: str) -> dict[str, StandIn]:
    with _LOCK:
        return {i: s for (a, r, i), s in _IMAGES.items() if (a, r) == (account, region)}


def forget(account: str, region: str, image: str | None = None) -> None:
    with _LOCK:
        for entry in [e for e in _IMAGES if e[:2] == (account, region) and image in (None, e[2])]:
            del _IMAGES[entry]


# -- what a fleet asks to start ---------------------------------------------------------------------------
@dataclass(frozen=True)
class Launch:
    """A variant's stand-in, ready to start: checked, not yet unpacked."""

    account: str
    region: str
    model: str
    image: str
    artifact: str  # the S3 URI ("" for a model without one)
    digest: str  # of the artifact's content ("" for none)
    stand_in: StandIn
    environment: tuple[tuple[str, str], ...]  # the container's Environment
    startup_seconds: float
    archive: bytes | None = field(default=None, compare=False, repr=False)  # dropped once unpacked

    @property
    def key(self) -> tuple[Any, ...]:
        return (
            self.account,
            self.region,
            self.image,
            self.artifact,
            self.digest,
            self.stand_in,
            self.environment,
        )


def _extract_failure(url: str, container: str, why: str) -> Unhostable:
    return Unhostable(
        f'Failed to extract model data archive for container "{container}" from URL "{url}". Please ensure '
        f"that the object located at the URL is a valid tar.gz archive. ({why})"
    )


def _unsafe(member: tarfile.TarInfo) -> str | None:
    """Why ``member`` may not be unpacked into the model folder, or None."""
    if member.name.startswith("/") or PurePosixPath(member.name).is_absolute():
        return f"the archive member {member.name!r} has an absolute path"
    if member.issym():
        return f"the archive member {member.name!r} is a symbolic link (to {member.linkname!r})"
    try:
        tarfile.data_filter(member, MODEL_DIR)
    except tarfile.FilterError as exc:
        return str(exc)
    return None


def check_archive(url: str, data: bytes, container: str = "container_1") -> None:
    """``data`` is a gzip tar whose every member stays inside the model folder; ``Unhostable`` otherwise."""
    try:
        with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as archive:
            for member in archive.getmembers():
                problem = _unsafe(member)
                if problem:
                    raise _extract_failure(url, container, problem)
    except (tarfile.TarError, EOFError, OSError, zlib.error) as exc:
        raise _extract_failure(url, container, f"not a gzip-compressed tar: {exc}") from exc


def _explicitly_served(account: str, region: str, keys: list[str]) -> bool:
    # sagemaker_runtime imports sagemaker_execution, which imports this module: import it when used.
    from launchpad.sandbox.patches import sagemaker_runtime

    servers = sagemaker_runtime.registered(account, region)
    return any(k in servers for k in keys)


def _refuse_unmodelled(model: Any, containers: list[Mapping[str, Any]]) -> None:
    if len(containers) > 1:
        raise Unhostable(
            f"The sandbox hosts single-container models only: model {model.model_name} has "
            f"{len(containers)} containers with a local stand-in among them."
        )
    container = containers[0]
    if container.get("Mode") == "MultiModel":
        raise Unhostable(f"The sandbox does not host multi-model containers (model {model.model_name}).")
    source = (container.get("ModelDataSource") or {}).get("S3DataSource") or {}
    if source and source.get("CompressionType", "Gzip") != "Gzip":
        raise Unhostable(
            f"The sandbox hosts compressed model data (a tar.gz) only: model {model.model_name} has "
            f"uncompressed model data at {source.get('S3Uri')}."
        )


def plan(
    account: str,
    region: str,
    model: Any,
    variant: Mapping[str, Any],
    artifacts: Mapping[str, Callable[[], bytes]],
) -> Launch | None:
    """The stand-in ``variant``'s model starts with, None if its image has none or a local server is
    registered for it; ``Unhostable`` if the fleet cannot start it. ``artifacts``: the artifacts the
    execution role downloaded, by S3 URI (read when needed)."""
    containers = [c for c in [model.primary_container or {}, *(model.containers or [])] if c]
    images = registered(account, region)
    standing = [image_reference(str(c.get("Image", ""))) for c in containers]
    if not any(s in images for s in standing if s):
        return None
    _refuse_unmodelled(model, containers)
    container, image = containers[0], str(standing[0])
    source = ((container.get("ModelDataSource") or {}).get("S3DataSource") or {}).get("S3Uri")
    artifact = str(container.get("ModelDataUrl") or source or "")
    if _explicitly_served(account, region, [k for k in (artifact, container.get("Image")) if k]):
        return None
    archive = artifacts[artifact]() if artifact in artifacts else None
    if archive is not None:
        check_archive(artifact, archive, str(container.get("ContainerHostname") or "container_1"))
    stand = images[image]
    limits = [
        float(variant.get("ContainerStartupHealthCheckTimeoutInSeconds") or DEFAULT_STARTUP_SECONDS),
        stand.startup_timeout_seconds or MAX_STARTUP_SECONDS,
    ]
    return Launch(
        account=account,
        region=region,
        model=str(model.model_name),
        image=image,
        artifact=artifact,
        digest=hashlib.sha256(archive).hexdigest() if archive is not None else "",
        archive=archive,
        stand_in=stand,
        environment=tuple(sorted((container.get("Environment") or {}).items())),
        startup_seconds=min(limits),
    )


# -- the servers -------------------------------------------------------------------------------------------
@dataclass
class Fleet:
    """One variant fleet of an endpoint that a server serves."""

    endpoint: str
    config: str
    variant: str
    log: LogWriter | None = None
    previous: dict[str, Any] | None = None  # the endpoint's fleet before this update (None: a create)
    since: float = field(default_factory=time.monotonic)
    seen: bool = False  # its endpoint was found at least once


@dataclass
class Server:
    launch: Launch
    folder: Path
    port: int
    fleets: list[Fleet]
    process: subprocess.Popen[bytes] | None = None
    failure: str | None = None  # why it did not pass /ping (the sandbox's detail, logged)
    exit_code: int | None = None
    ready: threading.Event = field(default_factory=threading.Event)  # /ping passed, or failed
    halt: threading.Event = field(default_factory=threading.Event)  # stopped by the sandbox
    output: deque[str] = field(default_factory=lambda: deque(maxlen=OUTPUT_LINES))

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def state(self) -> str:
        if self.halt.is_set():
            return "Stopped"
        if self.failure is not None:
            return "Failed"
        if not self.ready.is_set():
            return "Starting"
        return "InService" if self.exit_code is None else "Exited"

    def document(self) -> dict[str, Any]:
        return {
            "image": self.launch.image,
            "artifact": self.launch.artifact,
            "model": self.launch.model,
            "url": self.url,
            "pid": self.process.pid if self.process is not None else None,
            "state": self.state,
            "failure": self.failure,
            "exit_code": self.exit_code,
            "fleets": [
                {"endpoint": f.endpoint, "config": f.config, "variant": f.variant} for f in self.fleets
            ],
            "output": list(self.output),
        }


_SERVERS: list[Server] = []  # in start order
_ROOT: list[Path] = []  # the sandbox's folder for unpacked artifacts, made on first use
_REAPER: list[threading.Thread] = []
_WAKE = threading.Event()  # wakes the reaper early (a reset or the sandbox's exit)


def _root() -> Path:
    if not _ROOT or not _ROOT[0].is_dir():
        _ROOT[:] = [Path(tempfile.mkdtemp(prefix="launchpad-sagemaker-hosting-"))]
    return _ROOT[0]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _process_environment(launch: Launch) -> dict[str, str]:
    base = {name: os.environ[name] for name in BASE_ENVIRONMENT if name in os.environ}
    return {**base, **dict(launch.stand_in.environment), **dict(launch.environment)}


def _unpack(data: bytes | None, model_dir: Path) -> None:
    model_dir.mkdir(parents=True)
    if data is not None:
        with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as archive:
            archive.extractall(model_dir, filter="data")


def _spawn(server: Server, data: bytes | None) -> None:
    """Unpack the artifact and start the stand-in's process; a failure is the server's."""
    stand = server.launch.stand_in
    model_dir = server.folder / "model"
    argv = [a.format(model_dir=model_dir, port=server.port) for a in stand.command]
    log.info("stand-in of %s for %s: %s", server.launch.image, server.launch.model, argv)
    try:
        _unpack(data, model_dir)
        server.process = subprocess.Popen(
            argv,
            cwd=stand.workdir or server.folder,
            env=_process_environment(server.launch),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: stopped as one, with whatever it forks
        )
    except (OSError, tarfile.TarError) as exc:
        server.failure = f"the stand-in of {server.launch.image} could not start: {exc}"


def _start(launch: Launch, fleet: Fleet) -> Server:
    """Start a server for ``launch`` (not waiting for it); the caller holds ``_LOCK``."""
    server = Server(replace(launch, archive=None), _root() / uuid.uuid4().hex, _free_port(), [fleet])
    _spawn(server, launch.archive)
    _SERVERS.append(server)
    if server.process is not None:
        name = f"hosting-output-{server.port}"
        threading.Thread(target=_pump, args=(server,), daemon=True, name=name).start()
    threading.Thread(target=_watch, args=(server,), daemon=True, name=f"hosting-ping-{server.port}").start()
    if not _REAPER or not _REAPER[0].is_alive():
        _REAPER[:] = [threading.Thread(target=_reap_while_serving, daemon=True, name="hosting-reaper")]
        _REAPER[0].start()
    return server


def start_fleet(
    launch: Launch, endpoint_name: str, config_name: str, variant: str, log_writer: LogWriter | None
) -> None:
    """Serve ``variant`` of ``endpoint_name`` (on ``config_name``) from its stand-in: a running server of the
    same image, artifact and stand-in if there is one, else a new one. Returns at once."""
    backend = sagemaker_backends[launch.account][launch.region]
    current = backend.endpoints.get(endpoint_name)
    previous = rollout.fleet(current) if current is not None else None
    fleet = Fleet(endpoint_name, config_name, variant, log_writer, previous)
    with _LOCK:
        running = next(
            (s for s in _SERVERS if s.launch.key == launch.key and s.state in ("Starting", "InService")), None
        )
        if running is not None:
            running.fleets.append(fleet)
            return
        _start(launch, fleet)


def _pump(server: Server) -> None:
    """The stand-in's output, line by line, to its fleets' log streams (until it exits)."""
    assert server.process is not None and server.process.stdout is not None
    for raw in server.process.stdout:
        _forward(server, raw.decode("utf-8", "replace").rstrip("\n"))
    code = server.process.wait()
    server.exit_code = code
    if not server.halt.is_set() and server.ready.is_set() and server.failure is None:
        log.warning(
            "stand-in of %s for %s exited with code %s", server.launch.image, server.launch.model, code
        )
        _forward(server, f"sandbox: the model server exited with code {code}")


def _forward(server: Server, line: str) -> None:
    """``line`` to the server's output tail and to each fleet's log stream."""
    with _LOCK:
        server.output.append(line)
        fleets = [f for f in server.fleets if f.log is not None]
    for fleet in fleets:
        if fleet.log is not None and not fleet.log(line):
            fleet.log = None  # refused: AWS drops the container's log; the refusal is kept once


def _pings(url: str) -> bool:
    try:
        with control.DIRECT.open(f"{url}/ping", timeout=PING_TIMEOUT_SECONDS) as answer:
            return bool(answer.status == 200)
    except (urllib.error.URLError, OSError, ValueError):
        return False


def _watch(server: Server) -> None:
    """Wait (bounded) for the stand-in to answer ``/ping`` with 200; fail its fleets if it does not."""
    deadline = time.monotonic() + server.launch.startup_seconds
    while server.failure is None and not server.halt.is_set():
        code = server.process.poll() if server.process is not None else None
        if code is not None:
            server.failure = f"the stand-in exited with code {code} before it answered GET /ping with 200"
        elif _pings(server.url):
            log.info(
                "stand-in of %s for %s passed /ping at %s",
                server.launch.image,
                server.launch.model,
                server.url,
            )
            server.ready.set()
            return
        elif time.monotonic() >= deadline:
            server.failure = (
                f"the stand-in did not answer GET /ping with 200 within {server.launch.startup_seconds:g} s"
            )
        else:
            server.halt.wait(PING_INTERVAL_SECONDS)
    if server.halt.is_set():
        server.ready.set()
        return
    log.warning("stand-in of %s for %s failed: %s", server.launch.image, server.launch.model, server.failure)
    _forward(server, f"sandbox: {server.failure}")
    _terminate([server])
    server.ready.set()
    _fail_fleets(server)


# -- failing the fleets of a server that did not start --------------------------------------------------
def ping_failure(variant: str) -> str:
    return (
        f"The primary container for production variant {variant} did not pass the ping health check. "
        f"Please check CloudWatch logs for this endpoint."
    )


def _fail_fleets(server: Server) -> None:
    """Each fleet of ``server`` fails, as soon as its endpoint is stored (bounded wait)."""
    with _LOCK:
        pending = list(server.fleets)
    deadline = time.monotonic() + ENDPOINT_WAIT_SECONDS
    while pending and not server.halt.is_set():
        with rollout.LOCK:
            backend = sagemaker_backends[server.launch.account][server.launch.region]
            for fleet in list(pending):
                with _LOCK:
                    released = fleet not in server.fleets
                endpoint = backend.endpoints.get(fleet.endpoint)
                if released or endpoint is not None:
                    pending.remove(fleet)
                if endpoint is not None and not released:
                    _fail(endpoint, fleet, ping_failure(fleet.variant))
        if time.monotonic() >= deadline or server.halt.wait(PING_INTERVAL_SECONDS):
            break
    for fleet in pending:
        log.info("endpoint %s never appeared: its fleet's failure is dropped", fleet.endpoint)


def _fail(endpoint: FakeEndpoint, fleet: Fleet, reason: str) -> None:
    """The fleet of ``endpoint`` on ``fleet.config`` did not start; the caller holds ``rollout.LOCK``."""
    if rollout.fail_new_fleet(endpoint, fleet.config, reason):  # it fails when its provisioning ends
        log.info("endpoint %s: the update's new fleet failed: %s", fleet.endpoint, reason)
        return
    if endpoint.endpoint_config_name != fleet.config or endpoint.endpoint_status != "InService":
        log.info("endpoint %s no longer runs %s: its failure is dropped", fleet.endpoint, fleet.config)
        return
    if fleet.previous is not None:  # an update that completed before its new fleet failed
        rollout.restore(endpoint, fleet.previous)
    endpoint.endpoint_status = "Failed"
    endpoint.failure_reason = reason  # type: ignore[assignment]  # moto declares it None, sets it to text
    endpoint.pending_deployment_summary = None  # type: ignore[attr-defined]
    endpoint.last_modified_time = utcnow()
    log.info("endpoint %s: fleet failed: %s", fleet.endpoint, reason)


# -- stopping ------------------------------------------------------------------------------------------------
def _terminate(servers: list[Server]) -> None:
    """SIGTERM each server's process group, SIGKILL what is left after ``STOP_SECONDS``."""
    running = [s for s in servers if s.process is not None]
    for server in running:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(server.process.pid, signal.SIGTERM)  # type: ignore[union-attr]
    deadline = time.monotonic() + STOP_SECONDS
    for server in running:
        assert server.process is not None
        try:
            server.process.wait(max(0.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            log.warning("stand-in %s ignored SIGTERM: killed", server.process.pid)
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(server.process.pid, signal.SIGKILL)  # what it forked, too
        with contextlib.suppress(subprocess.TimeoutExpired):
            server.process.wait(STOP_SECONDS)


def _stop(servers: list[Server]) -> None:
    """Stop ``servers`` (already out of ``_SERVERS``) and remove their folders."""
    for server in servers:
        server.halt.set()
    _terminate(servers)
    for server in servers:
        shutil.rmtree(server.folder, ignore_errors=True)
        log.info("stand-in of %s for %s stopped", server.launch.image, server.launch.model)


def release(account: str, region: str, endpoint_name: str) -> None:
    """DeleteEndpoint: the endpoint's fleets are gone; servers no other endpoint uses stop."""
    with _LOCK:
        idle = []
        for server in [s for s in _SERVERS if s.launch.key[:2] == (account, region)]:
            server.fleets = [f for f in server.fleets if f.endpoint != endpoint_name]
            if not server.fleets:
                idle.append(server)
                _SERVERS.remove(server)
    _stop(idle)


def _in_use(server: Server, fleet: Fleet, backend: Any) -> bool:
    """Whether the endpoint still runs ``fleet`` (a failed server stays listed, saying why, while its
    endpoint is ``Failed``); the caller holds ``rollout.LOCK``."""
    endpoint = backend.endpoints.get(fleet.endpoint)
    if endpoint is None:
        return not fleet.seen and time.monotonic() - fleet.since < ENDPOINT_WAIT_SECONDS
    fleet.seen = True
    rollout.advance(endpoint)
    if endpoint.endpoint_status == "Failed":
        return server.failure is not None
    pending = (getattr(endpoint, "pending_deployment_summary", None) or {}).get("EndpointConfigName")
    return fleet.config in (endpoint.endpoint_config_name, pending)


def reap() -> None:
    """Stop the servers whose fleets no endpoint runs any more (an update completed or rolled back)."""
    idle = []
    with rollout.LOCK:
        with _LOCK:
            servers = list(_SERVERS)
        for server in servers:
            backend = sagemaker_backends[server.launch.account][server.launch.region]
            with _LOCK:
                fleets = list(server.fleets)
            live = [f for f in fleets if _in_use(server, f, backend)]
            with _LOCK:  # keep the fleets a CreateEndpoint added meanwhile
                server.fleets = [f for f in server.fleets if f in live or f not in fleets]
                if not server.fleets and server in _SERVERS:
                    _SERVERS.remove(server)
                    idle.append(server)
    _stop(idle)


def _reap_while_serving() -> None:
    while True:
        _WAKE.wait(REAP_SECONDS)
        _WAKE.clear()
        try:
            reap()
        except Exception:  # a reaper that dies leaves idle servers running: log and go on
            log.exception("reaping idle stand-ins failed")
        with _LOCK:
            if not _SERVERS:
                _REAPER.clear()
                return


def stop_all() -> None:
    """Stop every server (``/moto-api/reset`` and the sandbox's exit)."""
    with _LOCK:
        servers = list(_SERVERS)
        _SERVERS.clear()
    _stop(servers)
    _WAKE.set()
    for root in _ROOT:
        shutil.rmtree(root, ignore_errors=True)


def servers(account: str, region: str) -> list[dict[str, Any]]:
    """The servers of an account and region, as ``GET servers`` shows them."""
    with _LOCK:
        return [s.document() for s in _SERVERS if s.launch.key[:2] == (account, region)]


def url_for(
    account: str, region: str, model: str | Mapping[str, Any], timeout: float | None = None
) -> str | None:
    """The URL of the stand-in serving ``model`` (a model name, or a container: ``Image`` and
    ``ModelDataUrl``), once it passed ``/ping`` (waiting at most ``timeout``, default its startup timeout);
    None if no stand-in serves it."""
    if isinstance(model, str):
        found = sagemaker_backends[account][region]._models.get(model)
        if found is None:
            return None
        model = found.primary_container or next(iter(found.containers or []), {})
    image = image_reference(str(model.get("Image", "")))
    source = ((model.get("ModelDataSource") or {}).get("S3DataSource") or {}).get("S3Uri")
    artifact = str(model.get("ModelDataUrl") or source or "")
    with _LOCK:
        matching = [
            s
            for s in _SERVERS
            if s.launch.key[:4] == (account, region, image, artifact) and s.state in ("Starting", "InService")
        ]
    if not matching:
        return None
    server = matching[-1]
    server.ready.wait(server.launch.startup_seconds if timeout is None else timeout)
    return server.url


# -- the routes and the patch ----------------------------------------------------------------------------
def _where(environ: Mapping[str, Any], body: Mapping[str, Any]) -> tuple[dict[str, Any], str, str]:
    query = {**dict(urllib.parse.parse_qsl(environ.get("QUERY_STRING", ""))), **body}
    account, region = query.get("account"), query.get("region")
    if not account or not region:
        raise routes.BadRequest("name the account and the region")
    return query, str(account), str(region)


def _images_route(environ: dict[str, Any], body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    query, account, region = _where(environ, body)
    method = environ.get("REQUEST_METHOD", "GET")
    if method == "POST":
        register(account, region, stand_in(body))
    elif method == "DELETE":
        forget(account, region, query.get("image"))
    elif method != "GET":
        return 404, {"error": "NotFound", "message": f"GET, POST or DELETE {IMAGES_ROUTE}"}
    return 200, {"images": {i: s.document() for i, s in registered(account, region).items()}}


def _servers_route(environ: dict[str, Any], body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    query, account, region = _where(environ, body)
    if environ.get("REQUEST_METHOD", "GET") != "GET":
        return 404, {"error": "NotFound", "message": f"GET {SERVERS_ROUTE}"}
    if query.get("model"):
        timeout = float(query["timeout"]) if query.get("timeout") else None
        return 200, {"url": url_for(account, region, str(query["model"]), timeout)}
    return 200, {"servers": servers(account, region)}


def _on_reset() -> None:
    stop_all()
    with _LOCK:
        _IMAGES.clear()


def apply() -> None:
    if getattr(MotoAPIBackend, _MARK, False):
        return
    original_reset = MotoAPIBackend.reset

    def reset(self: MotoAPIBackend) -> None:
        _on_reset()
        original_reset(self)

    MotoAPIBackend.reset = reset  # type: ignore[method-assign]
    routes.add(IMAGES_ROUTE, _images_route)
    routes.add(SERVERS_ROUTE, _servers_route)
    atexit.register(stop_all)  # the sandbox server exits: no stand-in outlives it
    setattr(MotoAPIBackend, _MARK, True)
