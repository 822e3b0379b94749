"""``python -m launchpad``: the same command line as ``launchpad``, for an interpreter whose scripts are not
on PATH (a baked project's prebuilt build image)."""

from launchpad.cli import main

main()
