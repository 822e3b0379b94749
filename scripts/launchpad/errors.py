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
