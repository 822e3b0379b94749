"""Deploy this model to a stage with launchpad: ``python scripts/deploy.py STAGE [launchpad deploy options]``.

STAGE is dev, staging or prod; ``production``, which the pipeline's Deploy-production step passes, means prod.
The stage config is deploy/config/<stage>.yaml. dev and staging upload build/model.tar.gz first (``make
package`` writes it) and register it as a new model version; prod deploys the registry's latest Approved
version. Everything else is launchpad's: ``launchpad deploy --help`` lists the options and the exit codes.
{%- if cookiecutter.__llm != 'yes' %}
dev and staging also upload the drift baseline ``make baseline`` writes, build/baseline/, beside the artifact
(``--baseline``): the version they register names it, and drift monitoring reads it there.
{%- endif %}
A missing or unknown STAGE is a usage error (exit 2), before launchpad is imported or AWS is called.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from _launchpad import parser as script_parser
from _launchpad import run

PROJECT = Path(__file__).resolve().parents[1]
CONFIGS = {"dev": "dev", "staging": "staging", "prod": "prod", "production": "prod"}
UPLOADING = ("dev", "staging")  # prod ships what the registry approved
{%- if cookiecutter.__llm != 'yes' %}
# make baseline's drift baseline: uploaded beside the artifact, and registered with the version
BASELINE = PROJECT / "build" / "baseline"
{%- endif %}


def parser() -> argparse.ArgumentParser:
    command = script_parser(__doc__, "deploy.py", "STAGE [launchpad deploy options ...]")
    command.add_argument("stage", metavar="STAGE", choices=CONFIGS, help="dev, staging, prod or production")
    return command


def arguments(stage: str, options: Sequence[str]) -> list[str]:
    """The ``launchpad deploy`` command line for ``stage`` (one of CONFIGS)."""
    name = CONFIGS[stage]
    command = ["deploy", "--config", str(PROJECT / "deploy" / "config" / f"{name}.yaml")]
    if name in UPLOADING:
        command += ["--artifact", str(PROJECT / "build" / "model.tar.gz")]
{%- if cookiecutter.__llm != 'yes' %}
        command += ["--baseline", str(BASELINE)]
{%- endif %}
    return [*command, *options]


def main(argv: Sequence[str]) -> None:
    # The other options are launchpad deploy's: it answers one it does not take with its usage and exit 2.
    given, options = parser().parse_known_args(argv)
    run(arguments(given.stage, options))


if __name__ == "__main__":
    main(sys.argv[1:])
