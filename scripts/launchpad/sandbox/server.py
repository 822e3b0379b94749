"""The sandbox server process: apply launchpad's patches to moto, serve, stop cleanly on SIGTERM.

Run by ``Sandbox.up()`` as ``python -m launchpad.sandbox.server``; not meant to be started by hand.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import signal
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from moto.moto_server.werkzeug_app import DomainDispatcherApplication
from moto.server import ThreadedMotoServer

from launchpad.sandbox import authz, patches
from launchpad.sandbox.authz import gate

log = logging.getLogger("launchpad.sandbox.server")


def _watch_owner(owner_pid: int, stop: threading.Event) -> None:
    """Stop when the owning process is gone (a test run killed before it could stop us)."""
    while not stop.wait(1.0):
        try:
            os.kill(owner_pid, 0)
        except ProcessLookupError:
            log.info("owner process %s is gone", owner_pid)
            stop.set()


Served = tuple[str, list[tuple[str, str]], bytes]  # status line, headers, body


class ServedInvocations:
    """The responses the sandbox gave, by AWS SDK invocation id (``amz-sdk-invocation-id``, the same on
    every attempt of one SDK call), so a retried attempt of a call already served gets the same answer
    instead of running twice.

    Under load a client sometimes drops a response the sandbox did send and retries (moto's server closes
    every connection after one response); AWS SDKs then retry ``CreateRole`` or ``CreateAlias`` that
    already succeeded, and the duplicate fails as "already exists". Answering the retry from here keeps
    each SDK call at most once, which is what the client asked for.
    """

    def __init__(self, size: int = 5000, max_body: int = 1_000_000) -> None:
        self.size = size
        self.max_body = max_body
        self.served: OrderedDict[str, Served] = OrderedDict()
        self.lock = threading.Lock()

    def get(self, invocation: str) -> Served | None:
        with self.lock:
            return self.served.get(invocation)

    def remember(self, invocation: str, served: Served) -> None:
        if len(served[2]) > self.max_body:
            return
        with self.lock:
            self.served[invocation] = served
            while len(self.served) > self.size:
                self.served.popitem(last=False)


def answer_retries_once(invocations: ServedInvocations) -> None:
    """Wrap moto's WSGI app: remember each SDK call's response; replay it to a retry of the same call."""
    original = DomainDispatcherApplication.__call__

    def __call__(self: Any, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        invocation = environ.get("HTTP_AMZ_SDK_INVOCATION_ID")
        if not invocation:
            return original(self, environ, start_response)
        attempt = environ.get("HTTP_AMZ_SDK_REQUEST", "")
        served = invocations.get(invocation)
        if served is not None and not attempt.startswith("attempt=1;"):
            what = (
                environ.get("HTTP_X_AMZ_TARGET")
                or f"{environ.get('REQUEST_METHOD')} {environ.get('PATH_INFO')}"
            )
            log.warning(
                "replayed the response to a retry of %s (%s, %s): %s", invocation, what, attempt, served[0]
            )
            start_response(served[0], served[1])
            return [served[2]]
        status: list[Any] = []

        def capture(code: str, headers: list[tuple[str, str]], *args: Any) -> Any:
            status[:] = [code, headers]
            return start_response(code, headers, *args)

        result = original(self, environ, capture)
        try:
            body = b"".join(result)
        finally:
            if hasattr(result, "close"):
                result.close()
        invocations.remember(invocation, (status[0], list(status[1]), body))
        return [body]

    DomainDispatcherApplication.__call__ = __call__  # type: ignore[method-assign]


def serve(host: str, port: int, ready_file: Path, owner_pid: int | None = None) -> None:
    patches.apply_all()
    gate.apply()  # in front of every patch's routes and of moto: each signed call is authorized first
    answer_retries_once(ServedInvocations())
    server = ThreadedMotoServer(ip_address=host, port=port, verbose=False)
    server.start()
    bound_host, bound_port = server.get_host_and_port()
    url = f"http://{bound_host}:{bound_port}"
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    if owner_pid:
        threading.Thread(target=_watch_owner, args=(owner_pid, stop), daemon=True).start()
    tmp = ready_file.with_suffix(".tmp")
    tmp.write_text(json.dumps({"pid": os.getpid(), "port": bound_port, "url": url}))
    tmp.replace(ready_file)  # atomic: readers never see half a file
    log.info(
        "sandbox listening on %s with patches: %s; authorization %s",
        url,
        ", ".join(patches.names()),
        "on" if authz.enabled() else f"OFF ({authz.SWITCH_ENV})",
    )
    stop.wait()
    log.info("sandbox stopping")
    server.stop()


def _process_id(text: str) -> int:
    """``--owner-pid``: a process id of 2 or more (0, -1 and 1 would make ``kill(pid, 0)`` probe a process
    group, every process, or init, none of which ends with the run that started the sandbox)."""
    try:
        pid = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a process id") from None
    if pid < 2:
        raise argparse.ArgumentTypeError(f"{pid} is not the pid of a run: give a process id of 2 or more")
    return pid


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    parser.add_argument("--ready-file", type=Path, required=True)
    parser.add_argument(
        "--owner-pid", type=_process_id, help="exit when this process is gone (a pid of 2 or more)"
    )
    args = parser.parse_args()
    # No public AMI catalogue in new accounts' EC2 backends (patches/dispatch.py says why).
    os.environ.setdefault("MOTO_EC2_LOAD_DEFAULT_AMIS", "false")
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    serve(args.host, args.port, args.ready_file, args.owner_pid)


if __name__ == "__main__":
    main()
