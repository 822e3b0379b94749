"""``python -m launchpad_serving [serve] --handler ... --model-dir ...``: see launchpad_serving.server."""

from launchpad_serving.server import main

main()
