"""The one exception family the library raises; the CLI turns it into a message and an exit code."""

from __future__ import annotations


class LaunchpadError(Exception):
    """An error a user can act on: the message says what went wrong and how to fix it."""

    exit_code = 1


class ToolchainError(LaunchpadError):
    """A required tool (terraform, checkov) is missing, too old or misconfigured."""

    exit_code = 3


class SandboxError(LaunchpadError):
    """The local moto sandbox could not be started, reached or stopped."""

    exit_code = 4


class TerraformError(LaunchpadError):
    """A terraform command failed; the message carries terraform's own error blocks."""

    exit_code = 5


class PolicyError(LaunchpadError):
    """Policy input a scan cannot trust: a malformed inline skip, a bad controls file, unparsable HCL."""

    exit_code = 6


class ConfigError(LaunchpadError):
    """A stage config or model card that breaks its schema or rules; ``problems`` lists every one of them."""

    exit_code = 7

    def __init__(self, message: str, problems: tuple[str, ...] = ()) -> None:
        super().__init__(message)
        self.problems = problems


class ScaffoldError(LaunchpadError):
    """``launchpad new`` refused the answers (launchpad's key and choice checks, or the template's hook)."""

    exit_code = 8


class DeployError(LaunchpadError):
    """A deployment could not be watched or did not land. The subclasses are the rollout's failure outcomes
    (``launchpad.deploy.rollout.Outcome``), one exit code each, so a pipeline can branch on what happened:

    - 10 this class itself: the deploy could not start or continue (bad input, an AWS error that is not
      worth retrying, such as AccessDenied on DescribeEndpoint)
    - 11 EndpointFailedError: the endpoint is Failed (or serves a config nobody in this deploy chose)
    - 12 RollbackFailedError: UpdateRollbackFailed, the update and SageMaker's own rollback both failed
    - 13 SilentRollbackError: SageMaker rolled the update back by itself; the previous config serves
    - 14 GuardRolledBackError: a rollback alarm fired; launchpad rolled back and the previous config serves
    - 15 GuardRollbackFailedError: a rollback alarm fired and the endpoint is not back on a known-good config
    - 16 DeployTimeoutError: the endpoint did not settle in time; nothing was rolled back
    - 17 EndpointGoneError: the endpoint was deleted during the deploy
    - 18 PreflightError: a check before any change failed (artifact, role, registry, endpoint, alarms);
      nothing was changed
    """

    exit_code = 10


class EndpointFailedError(DeployError):
    exit_code = 11


class RollbackFailedError(DeployError):
    exit_code = 12


class SilentRollbackError(DeployError):
    exit_code = 13


class GuardRolledBackError(DeployError):
    exit_code = 14


class GuardRollbackFailedError(DeployError):
    exit_code = 15


class DeployTimeoutError(DeployError):
    exit_code = 16


class EndpointGoneError(DeployError):
    exit_code = 17


class PreflightError(DeployError):
    """What a deploy or rollback needs is not there; ``problems`` lists every one. Nothing was changed."""

    exit_code = 18

    def __init__(self, message: str, problems: tuple[str, ...] = ()) -> None:
        super().__init__(message)
        self.problems = problems


class TrafficError(LaunchpadError):
    """Traffic between an endpoint's variants could not be set (`launchpad traffic`), or a ``--decide``
    did not say PROMOTE. Exit codes, so a pipeline can branch on the decision:

    - 20 this class itself: bad weights, an unknown variant, an endpoint that is not InService (nothing
      was changed)
    - 21 ChallengerRejectedError: ``--decide`` said ABORT (the challenger is worse than the champion)
    - 22 DecisionPendingError: ``--decide`` said WAIT (too few invocations to judge)
    """

    exit_code = 20


class ChallengerRejectedError(TrafficError):
    exit_code = 21


class DecisionPendingError(TrafficError):
    exit_code = 22


class ReleaseError(LaunchpadError):
    """A release that must not be made: a version that is not MAJOR.MINOR.PATCH or not the one in
    ``scripts/launchpad/VERSION``, no CHANGELOG entry for it, a CHANGELOG that breaks its format, an output
    folder that already holds files, or artifacts whose SHA256SUMS do not verify. Nothing is written."""

    exit_code = 23


class MonitorError(LaunchpadError):
    """`launchpad monitor` cannot do what was asked: training data or a baseline it cannot read, a baseline of
    another model version, capture it cannot find, an output folder that already holds results. Nothing is
    written."""

    exit_code = 24


class AssistantError(LaunchpadError):
    """``launchpad assistant`` cannot use its input: a corpus, question set or index it cannot read or
    refuses, a location it cannot write. Nothing is written. (An evaluation below its ``--min-recall``
    floor is not an error: it exits 26 with the result printed.)"""

    exit_code = 25


class PipelineError(LaunchpadError):
    """``launchpad pipeline`` cannot go on: a definition that fails its check, parameters the pipeline's
    definition refuses (nothing started), a pipeline or execution AWS does not know, a file it cannot read;
    ``problems`` lists every problem. An execution that ran and failed is ``PipelineFailedError``:

    - 27 this class itself
    - 28 PipelineFailedError: ``run --wait`` saw the execution end Failed or Stopped (the failed steps, their
      reasons and the ends of their jobs' logs are in the message)
    """

    exit_code = 27

    def __init__(self, message: str, problems: tuple[str, ...] = ()) -> None:
        super().__init__(message if not problems or "\n" in message else _listed(message, problems))
        self.problems = problems


class PipelineFailedError(PipelineError):
    exit_code = 28

    def __init__(self, message: str, problems: tuple[str, ...] = ()) -> None:
        LaunchpadError.__init__(self, message)
        self.problems = problems


def _listed(message: str, problems: tuple[str, ...]) -> str:
    return message + ":" + "".join(f"\n  - {problem}" for problem in problems)
