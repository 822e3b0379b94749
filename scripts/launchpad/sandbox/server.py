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
from pathlib import Path

from moto.server import ThreadedMotoServer

from launchpad.sandbox import patches

log = logging.getLogger("launchpad.sandbox.server")


def _watch_owner(owner_pid: int, stop: threading.Event) -> None:
    """Stop when the owning process is gone (a test run killed before it could stop us)."""
    while not stop.wait(1.0):
        try:
            os.kill(owner_pid, 0)
        except ProcessLookupError:
            log.info("owner process %s is gone", owner_pid)
            stop.set()


def serve(host: str, port: int, ready_file: Path, owner_pid: int | None = None) -> None:
    patches.apply_all()
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
    log.info("sandbox listening on %s with patches: %s", url, ", ".join(patches.names()))
    stop.wait()
    log.info("sandbox stopping")
    server.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    parser.add_argument("--ready-file", type=Path, required=True)
    parser.add_argument("--owner-pid", type=int, help="exit when this process is gone")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    serve(args.host, args.port, args.ready_file, args.owner_pid)


if __name__ == "__main__":
    main()
