"""Check the answers before anything is written: every bad answer gets one message, then the bake stops.

Each message names the key, the value given and what to answer instead. Only what would break is refused:
names the platform or AWS cannot take, and choices launchpad's stage rules cannot deploy. Cookiecutter
removes the half-made project directory when this hook fails.
"""

from __future__ import annotations

import fnmatch
import keyword
import re
import sys
from collections.abc import Callable, Iterator, Sequence

# Filled in by cookiecutter (tojson writes each answer as a valid Python string literal).
ANSWERS: dict[str, str] = {
    "project_name": {{ cookiecutter.project_name | tojson }},
    "project_slug": {{ cookiecutter.project_slug | tojson }},
    "description": {{ cookiecutter.description | tojson }},
    "owner_team": {{ cookiecutter.owner_team | tojson }},
    "cost_center": {{ cookiecutter.cost_center | tojson }},
    "aws_region": {{ cookiecutter.aws_region | tojson }},
    "framework": {{ cookiecutter.framework | tojson }},
    "inference_mode": {{ cookiecutter.inference_mode | tojson }},
    "instance_type": {{ cookiecutter.instance_type | tojson }},
    "deployment_strategy": {{ cookiecutter.deployment_strategy | tojson }},
    "data_classification": {{ cookiecutter.data_classification | tojson }},
    "launchpad_version": {{ cookiecutter.launchpad_version | tojson }},
    "launchpad_git_url": {{ cookiecutter.launchpad_git_url | tojson }},
    "launchpad_index_url": {{ cookiecutter.launchpad_index_url | tojson }},
    "launchpad_wheel_sha256": {{ cookiecutter.launchpad_wheel_sha256 | tojson }},
    "launchpad_serving_wheel_sha256": {{ cookiecutter.launchpad_serving_wheel_sha256 | tojson }},
}

SLUG = re.compile(r"^[a-z][a-z0-9_]*$")
SLUG_LENGTH = (3, 24)  # the platform's model_projects keys: 3-24 characters
REGION = re.compile(r"^[a-z]{2}(-gov)?-[a-z]+-\d$")
INSTANCE_TYPE = re.compile(r"^ml\.[a-z0-9]+\.[a-z0-9]+$")
TAG_VALUE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 _.:/=+@-]{0,127}$")
VERSION = re.compile(r"^\d+\.\d+\.\d+$")
# The answers that pin a wheel by hash: <distribution>_wheel_sha256 (launchpad.scaffold.WHEEL_HASH_SUFFIX).
WHEEL_HASH_SUFFIX = "_wheel_sha256"
# Where the organisation keeps launchpad: https URLs of a git repository (no trailing / or .git: the modules'
# sources add .git//modules/<name>) and of a package index.
GIT_URL = re.compile(r"^https://[A-Za-z0-9.-]+(:\d+)?(/[A-Za-z0-9._~-]+)+$")
INDEX_URL = re.compile(r"^https://[A-Za-z0-9.-]+(:\d+)?(/[A-Za-z0-9._~-]+)*/?$")
SHA256 = re.compile(r"^[0-9a-f]{64}$")
# What marks an example rather than an organisation's own location: the domains reserved for examples
# (RFC 2606), and the names templates and docs use for a made-up organisation.
EXAMPLE_HOSTS = re.compile(r"(^|\.)(example\.(com|net|org)|example|invalid|localhost|test)$")
EXAMPLE_NAMES = {"acme", "your-org", "your_org", "yourorg", "my-org", "example", "placeholder", "changeme"}
# Characters that would break the YAML, TOML, HCL and Markdown the answers are written into.
UNSAFE_TEXT = set('"\\`{}$\n\r\t')
TEXT_LENGTH = {"project_name": 60, "description": 200}
# Names the package must not take: it would hide the module of that name from its own code.
TAKEN_NAMES = {"launchpad", "numpy", "sklearn", "xgboost", "torch", "yaml", "pytest", "tests", "scripts"}


def problems(answers: dict[str, str], allowed_instance_types: Sequence[str] | None) -> Iterator[str]:
    """One message per bad answer, in the order of the prompts."""
    for check in CHECKS:
        yield from check(answers, allowed_instance_types)


def _text(answers: dict[str, str], _: Sequence[str] | None) -> Iterator[str]:
    for key, most in TEXT_LENGTH.items():
        value = answers[key]
        unsafe = sorted(UNSAFE_TEXT & set(value))
        if not value.strip():
            yield f"{key}: is blank; write 1 to {most} characters of plain text"
        elif len(value) > most:
            yield f"{key}: {value!r} has {len(value)} characters; write 1 to {most} characters of plain text"
        elif unsafe:
            shown = " ".join(repr(c) for c in unsafe)
            yield (
                f"{key}: {value!r} contains {shown}; write plain text without quotes, backslashes, "
                "backticks, braces or $"
            )


def _slug(answers: dict[str, str], _: Sequence[str] | None) -> Iterator[str]:
    slug = answers["project_slug"]
    low, high = SLUG_LENGTH
    if not SLUG.match(slug):
        # A suggestion of the right shape: the words written, one _ apart, starting with a letter.
        suggestion = "_".join(re.findall(r"[a-z0-9]+", slug.lower())) or "churn_model"
        if not suggestion[0].isalpha():
            suggestion = f"model_{suggestion}"
        suggestion = suggestion[:high].rstrip("_")
        yield (
            f"project_slug: {slug!r} is not a lowercase Python identifier; write lowercase letters, digits "
            f"and _, starting with a letter, e.g. {suggestion}"
        )
    elif not low <= len(slug) <= high:
        yield (
            f"project_slug: {slug!r} has {len(slug)} characters; write {low} to {high} (the platform stack's "
            "model_projects names are 3-24 characters; they prefix its roles, pipelines and endpoints)"
        )
    elif slug.endswith("_") or "__" in slug:
        yield (
            f"project_slug: {slug!r} has a trailing or doubled _, which becomes '-' in the endpoint and "
            f"registry names; write it as {re.sub('_+', '_', slug).strip('_')}"
        )
    elif keyword.iskeyword(slug) or slug in TAKEN_NAMES or slug in sys.stdlib_module_names:
        yield (
            f"project_slug: {slug!r} is a Python keyword or the name of a module the project imports; "
            f"write another name, e.g. {slug}_model"
        )


def _tags(answers: dict[str, str], _: Sequence[str] | None) -> Iterator[str]:
    for key, example in (("owner_team", "team-churn"), ("cost_center", "cc-1234")):
        value = answers[key]
        if not TAG_VALUE.match(value):
            yield (
                f"{key}: {value!r} is not a usable tag value; write 1-128 letters, digits, spaces and "
                f"_.:/=+@-, starting with a letter or digit, e.g. {example}"
            )


def _region(answers: dict[str, str], _: Sequence[str] | None) -> Iterator[str]:
    region = answers["aws_region"]
    if not REGION.match(region):
        yield f"aws_region: {region!r} is not an AWS region code; write one such as eu-west-1 or us-east-2"


def _instance_type(answers: dict[str, str], allowed: Sequence[str] | None) -> Iterator[str]:
    value = answers["instance_type"]
    if not INSTANCE_TYPE.match(value):
        yield (
            f"instance_type: {value!r} is not a SageMaker instance type; write ml.<family>.<size>, e.g. "
            "ml.m5.large (serverless projects need one too: staging and prod run on instances)"
        )
    elif value.startswith("ml.inf1."):
        yield (
            f"instance_type: {value} has no deployment guardrails (SageMaker updates it all at once), and "
            "staging and prod roll out in steps; write another family, e.g. ml.inf2.xlarge or ml.m5.large"
        )
    elif allowed is not None and not any(fnmatch.fnmatchcase(value, pattern) for pattern in allowed):
        yield (
            f"instance_type: {value} is not in the platform's instance allow-list; write one matching "
            f"{', '.join(allowed)} (policies/config.yaml)"
        )


def _strategy(answers: dict[str, str], _: Sequence[str] | None) -> Iterator[str]:
    if answers["deployment_strategy"] == "all-at-once":
        yield (
            "deployment_strategy: all-at-once cannot ship to staging and prod, which launchpad rolls out in "
            "steps that roll back on an alarm; answer canary, linear or rolling (dev always updates all at "
            "once)"
        )


def _version(answers: dict[str, str], _: Sequence[str] | None) -> Iterator[str]:
    version = answers["launchpad_version"]
    if not VERSION.match(version):
        yield (
            f"launchpad_version: {version!r} is not a release version; write MAJOR.MINOR.PATCH, e.g. 0.1.0 "
            "(the modules are pinned to the git tag v<version>)"
        )


def _launchpad_source(answers: dict[str, str], _: Sequence[str] | None) -> Iterator[str]:
    for key, shape, what in (
        ("launchpad_git_url", GIT_URL, "https://<host>/<group>/launchpad, without .git"),
        ("launchpad_index_url", INDEX_URL, "https://<host>/<path>/simple, a PEP 503 package index"),
    ):
        url = answers[key]
        if not shape.match(url) or url.endswith(".git"):
            yield f"{key}: {url!r} is not an https URL of the right shape; write {what}"
        elif _is_example(url):
            yield (
                f"{key}: {url!r} is an example, not where your organisation keeps launchpad; write your "
                f"platform team's {what} (launchpad's RELEASING.md says what a release publishes)"
            )


def _is_example(url: str) -> bool:
    host, _, path = url.removeprefix("https://").partition("/")
    labels = {host.split(":")[0].lower(), *host.lower().split("."), *path.lower().split("/")}
    return bool(EXAMPLE_HOSTS.search(host.split(":")[0].lower())) or bool(labels & EXAMPLE_NAMES)


def _wheel_hash(answers: dict[str, str], _: Sequence[str] | None) -> Iterator[str]:
    for answer in (key for key in answers if key.endswith(WHEEL_HASH_SUFFIX)):
        digest = answers[answer]
        wheel = f"{answer.removesuffix(WHEEL_HASH_SUFFIX)}-{answers['launchpad_version']}-py3-none-any.whl"
        if not SHA256.match(digest):
            yield (
                f"{answer}: {digest!r} is not a SHA-256; write the 64 lowercase hex digits of {wheel}'s "
                "line in the release's SHA256SUMS (launchpad new --release-sums SHA256SUMS reads it)"
            )
        elif len(set(digest)) == 1:
            yield (
                f"{answer}: {digest[:8]}... is a placeholder, not the hash of a wheel; write {wheel}'s line "
                "in the release's SHA256SUMS"
            )


CHECKS: tuple[Callable[[dict[str, str], Sequence[str] | None], Iterator[str]], ...] = (
    _text,
    _slug,
    _tags,
    _region,
    _instance_type,
    _strategy,
    _version,
    _launchpad_source,
    _wheel_hash,
)


def platform_allow_list() -> Sequence[str] | None:
    """The platform's instance allow-list when launchpad is importable here (launchpad new), else None."""
    try:
        from launchpad.deploy.config import instance_allow_list
    except ImportError:
        return None
    try:
        return instance_allow_list()
    except Exception:  # a launchpad without its policies/ folder: the project's own tests check it later
        return None


def main() -> int:
    found = list(problems(ANSWERS, platform_allow_list()))
    if not found:
        return 0
    print(f"cannot bake this project: {len(found)} answer(s) to change", file=sys.stderr)
    for message in found:
        print(f"  - {message}", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
