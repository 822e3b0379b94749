"""Check the answers before anything is written: every bad answer gets one message, then the bake stops.

Each message names the key, the value given and what to answer instead. Only what would break is refused:
names the platform or AWS cannot take, and choices launchpad's stage rules cannot deploy. Cookiecutter
removes the half-made project directory when this hook fails.

``launchpad new`` runs these same rules in its own process before cookiecutter writes anything (it loads this
file, rendered with blank answers, and calls ``problems`` on the real ones), so a refused answer there leaves
no folder and no replay file; plain ``cookiecutter`` has only this hook. The rules use nothing but the
standard library: the hook runs where launchpad may not be installed.
"""

from __future__ import annotations

import ast
import fnmatch
import functools
import hashlib
import json
import keyword
import os
import re
import sys
import unicodedata
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from importlib import metadata
from pathlib import Path
from typing import NamedTuple

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
    "__platform_prefix": {{ cookiecutter.__platform_prefix | tojson }},
    "__dev_account": {{ cookiecutter.__dev_account | tojson }},
    "__prod_account": {{ cookiecutter.__prod_account | tojson }},
}
# The template's folder (cookiecutter's checkout of it): the names the package must not take are read from it.
REPO_DIR: str = {{ cookiecutter._repo_dir | tojson }}

# Every pattern is used with fullmatch (a `$` would let a trailing newline through), matches ASCII only
# ([0-9], not \d, which takes any script's digits), and nests no repetition in another: each runs in linear
# time, and only on answers no longer than LENGTHS allows.
SLUG = re.compile(r"[a-z][a-z0-9_]*")
REGION = re.compile(r"[a-z]{2}(?:-gov)?-[a-z]+-[0-9]")
INSTANCE_TYPE = re.compile(r"ml\.[a-z0-9]+\.[a-z0-9]+")
TAG_VALUE = re.compile(r"[A-Za-z0-9][A-Za-z0-9 _.:/=+@-]*")
VERSION = re.compile(r"[0-9]+\.[0-9]+\.[0-9]+")
# The answers that pin a wheel by hash: <distribution>_wheel_sha256 (launchpad.scaffold.WHEEL_HASH_SUFFIX).
WHEEL_HASH_SUFFIX = "_wheel_sha256"
# Where the organisation keeps launchpad: https URLs of a git repository (no trailing / or .git: the modules'
# sources add .git//modules/<name>) and of a package index; no empty path segment (//) in either.
GIT_URL = re.compile(r"https://[A-Za-z0-9.-]+(?::[0-9]{1,5})?(?!.*//)/[A-Za-z0-9._~/-]*[A-Za-z0-9._~-]")
INDEX_URL = re.compile(r"https://[A-Za-z0-9.-]+(?::[0-9]{1,5})?(?!.*//)(?:/[A-Za-z0-9._~/-]*)?")
SHA256 = re.compile(r"[0-9a-f]{64}")
# What marks an example rather than an organisation's own location: the domains reserved for examples
# (RFC 2606), and the names templates and docs use for a made-up organisation.
EXAMPLE_HOSTS = re.compile(r"(?:^|\.)(?:example\.(?:com|net|org)|example|invalid|localhost|test)\Z")
EXAMPLE_NAMES = {"acme", "your-org", "your_org", "yourorg", "my-org", "example", "placeholder", "changeme"}
# The values a platform team sets for its organisation (cookiecutter.json's private keys that are not
# derived from the answers), each with the shape it must have.
PLATFORM_VALUES: dict[str, tuple[re.Pattern[str], str]] = {
    "__platform_prefix": (re.compile(r"[a-z][a-z0-9-]{1,30}"), "the platform's name, no stage"),
    "__dev_account": (re.compile(r"[0-9]{12}"), "a 12-digit AWS account id"),
    "__prod_account": (re.compile(r"[0-9]{12}"), "a 12-digit AWS account id"),
}
# Characters that would break the YAML, TOML, HCL and Markdown the free texts are written into.
UNSAFE_TEXT = set('"\\`{}$')
# The answers that are free text: any printable Unicode. Every other one is a name, an id or a URL, in ASCII.
FREE_TEXT = ("project_name", "description")
# The fewest and most characters of an answer, and why (checked before any pattern reads it); LONGEST for
# the answers not listed, whose shape bounds them further.
LENGTHS: dict[str, tuple[int, int, str]] = {
    "project_name": (0, 60, " characters of plain text"),
    "description": (0, 200, " characters of plain text"),
    "project_slug": (
        3,
        24,
        " (the platform stack's model_projects names are 3-24 characters; they prefix its roles, pipelines "
        "and endpoints)",
    ),
    "owner_team": (0, 128, " (AWS takes tag values of up to 256; the owner is also the model card's)"),
    "cost_center": (0, 128, " (AWS takes tag values of up to 256)"),
}
LONGEST = 300
# Characters no answer may hold: C* are controls (NUL, ESC, DEL, C1), format characters (bidi overrides,
# embeddings and isolates, zero-width ones), surrogates (bytes that were not UTF-8), private use and
# unassigned ones; Zl and Zp break a line like a newline does.
HIDDEN_CATEGORIES = frozenset({"Cc", "Cf", "Zl", "Zp", "Cs", "Co", "Cn"})  # launchpad.quoting's
# Unicode gives the controls no names: those a user most likely pasted.
CONTROL_NAMES = {
    "\0": "NUL",
    "\t": "TAB",
    "\n": "LINE FEED",
    "\r": "CARRIAGE RETURN",
    "\x1b": "ESCAPE",
    "\x7f": "DELETE",
}
SHOWN = 80  # the most characters of an answer a message repeats (launchpad.quoting.LIMIT)


class Platform(NamedTuple):
    """What the rules read besides the answers."""

    instance_types: Sequence[str] | None  # the platform's allow-list, when launchpad is importable here
    taken_names: frozenset[str]  # names the package must not take (taken_names)


class Problem(NamedTuple):
    key: str
    text: str  # what is wrong and what to write instead, after "<key>: "


Check = Callable[[Mapping[str, str], Platform], Iterator[Problem]]


def problems(answers: Mapping[str, str], platform: Platform) -> list[str]:
    """One message per bad answer (the first rule that refuses it), in the order of the prompts."""
    first: dict[str, Problem] = {}
    for check in CHECKS:
        for problem in check(answers, platform):
            first.setdefault(problem.key, problem)
    order = list(answers)
    return [f"{p.key}: {p.text}" for p in sorted(first.values(), key=lambda p: order.index(p.key))]


def refusal(found: Sequence[str]) -> str:
    """The report of refused answers: a header that counts them, then one line each."""
    return "\n".join(
        [f"cannot bake this project: {len(found)} answer(s) to change", *(f"  - {m}" for m in found)]
    )


def shown(value: str) -> str:
    """``value`` as a message quotes it, as launchpad's messages do (launchpad.quoting.shown, which this
    hook cannot import): in single quotes, hidden characters escaped (``\\u202e``, ``\\n``), and over SHOWN
    characters cut, with the full length said."""
    text = "".join(_escaped(c) for c in value[: SHOWN + 1])
    body = text if len(value) <= SHOWN else f"{text[:SHOWN]}..."
    quoted = "'" + body.replace("'", "\\'") + "'"
    return quoted if len(value) <= SHOWN else f"{quoted} ({len(value)} characters)"


def _escaped(character: str) -> str:
    if character == "\\":
        return "\\\\"
    if unicodedata.category(character) not in HIDDEN_CATEGORIES:
        return character
    return character.encode("unicode_escape").decode("ascii")


def _characters(answers: Mapping[str, str], _: Platform) -> Iterator[Problem]:
    """Every answer: no longer than it can be, no hidden character, and ASCII unless it is free text."""
    for key, value in answers.items():
        low, most, why = LENGTHS.get(key, (0, LONGEST, " (no answer of the template is longer)"))
        hidden = next((c for c in value if unicodedata.category(c) in HIDDEN_CATEGORIES), None)
        foreign = None if key in FREE_TEXT else next((c for c in value if not c.isascii()), None)
        if not low <= len(value) <= most:
            counted = "" if len(value) > SHOWN else f" has {len(value)} characters"  # else shown counts them
            yield Problem(key, f"{shown(value)}{counted}; write {max(low, 1)} to {most}{why}")
        elif hidden is not None:
            yield Problem(
                key,
                f"{shown(value)} contains {_describe(hidden)}; write it again without control, invisible or "
                "bidirectional characters (copy it from plain text, not from a document or chat)",
            )
        elif foreign is not None:
            yield Problem(
                key,
                f"{shown(value)} contains {foreign!r} ({_describe(foreign)}), which is not ASCII; write it "
                "in ASCII letters and digits (a look-alike from another script names something else)",
            )


def _describe(char: str) -> str:
    """A character by its code point and Unicode name, e.g. U+202E RIGHT-TO-LEFT OVERRIDE."""
    if unicodedata.category(char) == "Cs":
        return f"U+{ord(char):04X}, a byte that is not UTF-8"
    name = unicodedata.name(char, "") or CONTROL_NAMES.get(char, "a control character")
    return f"U+{ord(char):04X} {name}"


def _text(answers: Mapping[str, str], _: Platform) -> Iterator[Problem]:
    for key in FREE_TEXT:
        value = answers[key]
        unsafe = sorted(UNSAFE_TEXT & set(value))
        if not value.strip():
            yield Problem(key, f"is blank; write 1 to {LENGTHS[key][1]} characters of plain text")
        elif unsafe:
            yield Problem(
                key,
                f"{shown(value)} contains {' '.join(repr(c) for c in unsafe)}; write plain text without "
                "quotes, backslashes, backticks, braces or $",
            )


def _slug(answers: Mapping[str, str], platform: Platform) -> Iterator[Problem]:
    slug = answers["project_slug"]
    if not SLUG.fullmatch(slug):
        # A suggestion of the right shape: the words written, one _ apart, starting with a letter.
        suggestion = "_".join(re.findall(r"[a-z0-9]+", slug.lower())) or "churn_model"
        if not suggestion[0].isalpha():
            suggestion = f"model_{suggestion}"
        suggestion = suggestion[: LENGTHS["project_slug"][1]].rstrip("_")
        yield Problem(
            "project_slug",
            f"{shown(slug)} is not a lowercase Python identifier; write lowercase letters, digits and _, "
            f"starting with a letter, e.g. {suggestion}",
        )
    elif slug.endswith("_") or "__" in slug:
        yield Problem(
            "project_slug",
            f"{shown(slug)} has a trailing or doubled _, which becomes '-' in the endpoint and registry "
            f"names; write it as {re.sub('_+', '_', slug).strip('_')}",
        )
    elif keyword.iskeyword(slug) or slug in platform.taken_names:
        yield Problem(
            "project_slug",
            f"{shown(slug)} is a Python keyword or the name of a module the project imports; write another "
            f"name, e.g. {slug}_model",
        )


def _tags(answers: Mapping[str, str], _: Platform) -> Iterator[Problem]:
    for key, example in (("owner_team", "team-churn"), ("cost_center", "cc-1234")):
        value = answers[key]
        if not TAG_VALUE.fullmatch(value):
            yield Problem(
                key,
                f"{shown(value)} is not a usable tag value; write 1-128 letters, digits, spaces and "
                f"_.:/=+@-, starting with a letter or digit, e.g. {example}",
            )


def _region(answers: Mapping[str, str], _: Platform) -> Iterator[Problem]:
    region = answers["aws_region"]
    if not REGION.fullmatch(region):
        yield Problem(
            "aws_region",
            f"{shown(region)} is not an AWS region code; write one such as eu-west-1 or us-east-2",
        )


def _instance_type(answers: Mapping[str, str], platform: Platform) -> Iterator[Problem]:
    value = answers["instance_type"]
    allowed = platform.instance_types
    if not INSTANCE_TYPE.fullmatch(value):
        yield Problem(
            "instance_type",
            f"{shown(value)} is not a SageMaker instance type; write ml.<family>.<size>, e.g. ml.m5.large "
            "(serverless projects need one too: staging and prod run on instances)",
        )
    elif value.startswith("ml.inf1."):
        yield Problem(
            "instance_type",
            f"{value} has no deployment guardrails (SageMaker updates it all at once), and staging and prod "
            "roll out in steps; write another family, e.g. ml.inf2.xlarge or ml.m5.large",
        )
    elif allowed is not None and not any(fnmatch.fnmatchcase(value, pattern) for pattern in allowed):
        yield Problem(
            "instance_type",
            f"{value} is not in the platform's instance allow-list; write one matching {', '.join(allowed)} "
            "(policies/config.yaml)",
        )


def _strategy(answers: Mapping[str, str], _: Platform) -> Iterator[Problem]:
    if answers["deployment_strategy"] == "all-at-once":
        yield Problem(
            "deployment_strategy",
            "all-at-once cannot ship to staging and prod, which launchpad rolls out in steps that roll back "
            "on an alarm; answer canary, linear or rolling (dev always updates all at once)",
        )


# Frameworks that serve in real time only, and why (their endpoint answers a caller that is waiting).
REAL_TIME_ONLY = {
    "huggingface-rag": (
        "the assistant's API function waits for each answer within API Gateway's timeout (29 seconds by "
        "default): an asynchronous endpoint answers later, through S3, and a serverless one starts the Hugging "
        "Face container cold and has no GPU"
    ),
}


def _mode(answers: Mapping[str, str], _: Platform) -> Iterator[Problem]:
    framework, mode = answers["framework"], answers["inference_mode"]
    if framework in REAL_TIME_ONLY and mode != "real-time":
        yield Problem(
            "inference_mode",
            f"{shown(mode)} cannot serve {framework}: {REAL_TIME_ONLY[framework]}; answer real-time",
        )


def _version(answers: Mapping[str, str], _: Platform) -> Iterator[Problem]:
    version = answers["launchpad_version"]
    if not VERSION.fullmatch(version):
        yield Problem(
            "launchpad_version",
            f"{shown(version)} is not a release version; write MAJOR.MINOR.PATCH, e.g. 0.1.0 (the modules "
            "are pinned to the git tag v<version>)",
        )


def _launchpad_source(answers: Mapping[str, str], _: Platform) -> Iterator[Problem]:
    for key, shape, what in (
        ("launchpad_git_url", GIT_URL, "https://<host>/<group>/launchpad, without .git"),
        ("launchpad_index_url", INDEX_URL, "https://<host>/<path>/simple, a PEP 503 package index"),
    ):
        url = answers[key]
        if not shape.fullmatch(url) or url.endswith(".git"):
            yield Problem(key, f"{shown(url)} is not an https URL of the right shape; write {what}")
        elif _is_example(url):
            yield Problem(
                key,
                f"{shown(url)} is an example, not where your organisation keeps launchpad; write your "
                f"platform team's {what} (launchpad's RELEASING.md says what a release publishes)",
            )


def _is_example(url: str) -> bool:
    host, _, path = url.removeprefix("https://").partition("/")
    labels = {host.split(":")[0].lower(), *host.lower().split("."), *path.lower().split("/")}
    return bool(EXAMPLE_HOSTS.search(host.split(":")[0].lower())) or bool(labels & EXAMPLE_NAMES)


def _wheel_hash(answers: Mapping[str, str], _: Platform) -> Iterator[Problem]:
    for answer in (key for key in answers if key.endswith(WHEEL_HASH_SUFFIX)):
        digest = answers[answer]
        wheel = f"{answer.removesuffix(WHEEL_HASH_SUFFIX)}-{answers['launchpad_version']}-py3-none-any.whl"
        if not SHA256.fullmatch(digest):
            yield Problem(
                answer,
                f"{shown(digest)} is not a SHA-256; write the 64 lowercase hex digits of {wheel}'s line in "
                "the release's SHA256SUMS (launchpad new --release-sums SHA256SUMS reads it)",
            )
        elif len(set(digest)) == 1:
            yield Problem(
                answer,
                f"{digest[:8]}... is a placeholder, not the hash of a wheel; write {wheel}'s line in the "
                "release's SHA256SUMS",
            )


def _platform_values(answers: Mapping[str, str], _: Platform) -> Iterator[Problem]:
    for key, (shape, what) in PLATFORM_VALUES.items():
        if key in answers and not shape.fullmatch(answers[key]):
            yield Problem(
                key,
                f"{shown(answers[key])} is not {what}; set the platform's own in cookiecutter.json or --set",
            )


CHECKS: tuple[Check, ...] = (
    _characters,  # first: the other rules' patterns read only answers it lets through
    _text,
    _slug,
    _tags,
    _region,
    _instance_type,
    _strategy,
    _mode,
    _version,
    _launchpad_source,
    _wheel_hash,
    _platform_values,
)


# -- the names the package must not take ----------------------------------------------------------------
# A requirement's distribution name in pyproject.toml ("numpy==2.4.6") or a requirements file (numpy==...).
REQUIREMENT = re.compile(r'(?:^|")([A-Za-z0-9][A-Za-z0-9._-]*)(?:\[[^\]\n]*\])?[ ]*(?:[=~!<>]=|[<>])', re.M)
# Jinja's tags and expressions, written with [{] because this file is itself rendered by Jinja.
JINJA = re.compile(r"[{]%.*?%[}]|[{]#.*?#[}]", re.S)
JINJA_EXPRESSION = re.compile(r"[{][{].*?[}][}]", re.S)


@functools.lru_cache(maxsize=4)  # every file of the template is read: once per process
def taken_names(repo_dir: Path) -> frozenset[str]:
    """Names the package must not take, as it would hide the module of that name from the project's own
    code: keywords, the standard library, every top-level module the template's Python imports, the import
    names of the dependencies it pins, and its own top-level folders of Python (tests, scripts). Read from
    the template, so a new import or dependency is covered without editing a list."""
    project = next(p for p in sorted(repo_dir.iterdir()) if p.is_dir() and "cookiecutter." in p.name)
    imported = {name for path in sorted(project.rglob("*.py")) for name in _imports(path)}
    pinned = {
        match
        for path in [project / "pyproject.toml", *sorted(project.glob("requirements*.txt"))]
        for match in REQUIREMENT.findall(path.read_text(encoding="utf-8"))
    }
    folders = {p.name for p in project.iterdir() if p.is_dir() and next(p.rglob("*.py"), None) is not None}
    return frozenset(
        imported | _import_names(pinned) | folders | set(sys.stdlib_module_names) | set(keyword.kwlist)
    )


def _imports(path: Path) -> set[str]:
    """The top-level modules a template's Python file imports, read with its Jinja tags removed (both
    branches of an if kept) and each Jinja expression as the name ``_``: the project's own package, which
    is not a name to refuse."""
    source = JINJA_EXPRESSION.sub("_", JINJA.sub("", path.read_text(encoding="utf-8")))
    names = set()
    for node in ast.walk(ast.parse(source, str(path))):
        if isinstance(node, ast.Import):
            names |= {alias.name.partition(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.partition(".")[0])
    return {name for name in names if not name.startswith("_")}


def _import_names(distributions: Iterable[str]) -> set[str]:
    """Each distribution's name as a module (scikit-learn: scikit_learn) and, when it is installed here, the
    top-level modules it installs (sklearn)."""
    names = set()
    for distribution in distributions:
        names.add(re.sub(r"[-_.]+", "_", distribution).lower())
        try:
            installed = metadata.distribution(distribution)
        except metadata.PackageNotFoundError:
            continue
        listed = (installed.read_text("top_level.txt") or "").split()
        files = [file for file in installed.files or () if len(file.parts) > 1 or file.suffix == ".py"]
        tops = {file.parts[0].removesuffix(".py") for file in files}
        names |= {name for name in [*listed, *tops] if name.isidentifier() and not name.startswith("__")}
    return names


def platform_allow_list() -> Sequence[str] | None:
    """The platform's instance allow-list when launchpad is importable here (launchpad new), else None."""
    try:
        from launchpad.deploy.config import instance_allow_list
        from launchpad.paths import AssetsMissingError
    except ImportError:
        return None
    try:
        return instance_allow_list()
    except AssetsMissingError:  # a launchpad without its policies/ folder: the project's own tests check it
        return None  # (a policy config that is wrong is launchpad's error, raised: never a check skipped)


def platform(repo_dir: Path) -> Platform:
    return Platform(platform_allow_list(), taken_names(repo_dir))


# Set by `launchpad new` to the fingerprint of the answers it has just run these rules on, in its own process:
# the hook then need not run them again (a different answer is a different fingerprint, and runs them).
CHECKED_ENV = "LAUNCHPAD_CHECKED_ANSWERS"


def fingerprint(answers: Mapping[str, str]) -> str:
    """A digest of the answers the rules read (the keys of ANSWERS), for CHECKED_ENV."""
    read = {key: answers.get(key) for key in sorted(ANSWERS)}
    return hashlib.sha256(json.dumps(read, sort_keys=True).encode()).hexdigest()


def main() -> int:
    if os.environ.get(CHECKED_ENV) == fingerprint(ANSWERS):
        return 0  # launchpad new ran these rules on exactly these answers a moment ago
    try:
        known = platform(Path(REPO_DIR))
    except Exception as exc:  # launchpad's settings are wrong (LAUNCHPAD_POLICY_CONFIG): say so, no traceback
        print(f"cannot bake this project: {exc}", file=sys.stderr)
        return 1
    found = problems(ANSWERS, known)
    if found:
        print(refusal(found), file=sys.stderr)
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
