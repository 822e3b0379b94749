"""README usage blocks, planned (Cloud Foundation Fabric's habit): a usage block that does not plan is a bug.

Every ```hcl (or ```terraform) block of a README is a planned case unless the line before it (blank lines
allowed) is an HTML comment ``<!-- not planned: <reason> -->``: an intentional fragment, such as a backend
config file.

All blocks of all READMEs are planned in ONE root module, so the whole check costs one ``init`` and one
``plan``: each README becomes a child module of the root (``module "<slug>"``, its own namespace, so two
READMEs may both declare ``module "key"``), and each of its blocks a file of that child (``block_<line>.tf``).
The blocks of one README therefore compose, as they would in the root module of a team that pastes them: a
README may keep what its usage refers to (a key, a bucket) in a block of its own. A block's module ``source``
is rewritten to the module of this checkout, whatever the README writes (``../../modules/iam``, ``../kms``
or a ``git::...//modules/iam?ref=...`` address).

Terraform reports a diagnostic with the file it is in (a block), the module copy it comes from
(``.terraform/modules/<slug>.<call>``) or the module path of its context: each is traced back to a block.
Validation errors of every block come in one plan, but plan-time errors (preconditions, data sources) only
once the whole configuration validates; so the READMEs that failed are left out and the rest planned again,
until a plan is clean.
"""

from __future__ import annotations

import json
import logging
import re
import shutil
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from launchpad.aws import AwsTarget
from launchpad.errors import TerraformError
from launchpad.paths import modules_dir, repo_root
from launchpad.terraform import Terraform, module_source, terraform_env

log = logging.getLogger(__name__)

_FENCE = re.compile(r"```(hcl|terraform)\s*")
_NOT_PLANNED = re.compile(r"<!--\s*not planned:\s*(?P<reason>.*?)\s*-->\s*")
_SOURCE = re.compile(r'^(?P<head>\s*source\s*=\s*")(?P<address>[^"]+)(?P<tail>".*)\Z')
_MODULE_CALL = re.compile(r'^\s*module\s+"([^"]+)"', re.MULTILINE)
_BLOCK_FILE = re.compile(r"(?:^|/)readme/(?P<slug>[\w-]+)/block_(?P<line>\d+)\.tf\Z")
_MODULE_COPY = re.compile(r"\.terraform/modules/(?P<slug>[\w-]+)\.(?P<call>[\w-]+)")
_ERROR_START = re.compile(r"^(?=Error: )", re.MULTILINE)
_ON_FILE = re.compile(r"\bon (\S+\.tf) line (\d+)")
_CONTEXT = re.compile(r"^module\.(?P<slug>[\w-]+)(?:\.module\.(?P<call>[\w-]+))?")

# The tags the platform's policy requires, on every resource a usage block creates (nothing is applied).
PROVIDER = """provider "aws" {
  default_tags {
    tags = {
      owner               = "launchpad-readme-usage"
      cost-center         = "ml-platform"
      data-classification = "internal"
    }
  }
}
"""


@dataclass(frozen=True)
class Block:
    """One fenced HCL block of a README: where it is, its text, and why it is not planned (if it is not)."""

    readme: Path
    line: int  # the line of the opening fence, 1-based
    text: str
    not_planned: str | None = None

    @property
    def id(self) -> str:
        try:
            where = self.readme.relative_to(repo_root())
        except ValueError:
            where = self.readme
        return f"{where}:{self.line}"


def extract_blocks(readme: Path) -> list[Block]:
    """The ```hcl / ```terraform blocks of ``readme``, each with the reason of its ``not planned`` marker."""
    lines = readme.read_text().splitlines()
    blocks: list[Block] = []
    index = 0
    while index < len(lines):
        if not _FENCE.fullmatch(lines[index]):
            index += 1
            continue
        start = index
        end = next((i for i in range(start + 1, len(lines)) if lines[i].startswith("```")), len(lines))
        before = next((lines[i] for i in range(start - 1, -1, -1) if lines[i].strip()), "")
        marker = _NOT_PLANNED.fullmatch(before.strip())
        reason = marker.group("reason") if marker else None
        blocks.append(Block(readme, start + 1, "\n".join(lines[start + 1 : end]) + "\n", reason))
        index = end + 1
    return blocks


def readmes() -> list[Path]:
    """The READMEs that show module usage: every module's and submodule's, the root's and the stacks'."""
    found = [p for p in modules_dir().rglob("README.md") if ".terraform" not in p.parts]
    found += [repo_root() / "README.md", *(repo_root() / "terraform").glob("*/README.md")]
    return sorted(p for p in found if p.exists())


def local_module(address: str, modules: Path) -> Path | None:
    """The module of ``modules`` a README's source address means: the longest tail of its path that names a
    module folder (``../../modules/iam/modules/service-role`` -> ``iam/modules/service-role``)."""
    path = address.split("?", 1)[0]
    if "::" in path or "://" in path:  # git::https://host/repo.git//modules/<m>: the subdirectory after "//"
        remote = path.split("::", 1)[-1].split("://", 1)[-1]
        if "//" not in remote:
            return None
        path = remote.split("//", 1)[1]
    elif not path.startswith(("./", "../")):  # a registry address
        return None
    parts = [p for p in path.split("/") if p not in ("", ".", "..")]
    for start in range(len(parts)):
        candidate = modules.joinpath(*parts[start:])
        if parts[start:] and candidate.is_dir() and any(candidate.glob("*.tf")):
            return candidate
    return None


def rewrite_sources(text: str, modules: Path) -> str:
    """``text`` with every module source that names a module of ``modules`` pointing at it."""
    out = []
    for line in text.splitlines():
        match = _SOURCE.match(line)
        module = local_module(match["address"], modules) if match else None
        out.append(f"{match['head']}{module_source(module)}{match['tail']}" if match and module else line)
    return "\n".join(out) + "\n"


def _slug(readme: Path) -> str:
    """A module call name for a README: its folder under modules/ (``iam__modules__service-role``), else under
    the repository (``terraform__bootstrap``, ``root``), else the folder's own name."""
    folder = readme.parent.resolve()
    where = folder.name
    for base in (modules_dir().resolve(), repo_root().resolve()):
        if folder.is_relative_to(base):
            where = str(folder.relative_to(base)) if folder != base else "root"
            break
    return re.sub(r"[^\w-]", "_", where.replace("/", "__"))


class ReadmePlan:
    """Plans the unmarked blocks of ``readme_paths`` together (see the module docstring) in ``workdir``."""

    def __init__(self, readme_paths: Iterable[Path], workdir: Path, target: AwsTarget) -> None:
        self.workdir = workdir
        self.target = target
        self.blocks = [b for p in readme_paths for b in extract_blocks(p)]
        self.slugs = {b.readme: _slug(b.readme) for b in self.blocks}
        self.rounds = 0

    @property
    def planned(self) -> list[Block]:
        return [b for b in self.blocks if b.not_planned is None]

    def _write(self, blocks: Sequence[Block]) -> dict[tuple[str, int], Block]:
        shutil.rmtree(self.workdir / "readme", ignore_errors=True)
        self.workdir.mkdir(parents=True, exist_ok=True)
        by_file: dict[tuple[str, int], Block] = {}
        calls = {}
        for block in blocks:
            slug = self.slugs[block.readme]
            folder = self.workdir / "readme" / slug
            folder.mkdir(parents=True, exist_ok=True)
            (folder / f"block_{block.line}.tf").write_text(rewrite_sources(block.text, modules_dir()))
            calls[slug] = {"source": f"./readme/{slug}"}
            by_file[(slug, block.line)] = block
        (self.workdir / "providers.tf").write_text(PROVIDER)
        (self.workdir / "main.tf.json").write_text(json.dumps({"module": calls}, indent=1))
        return by_file

    def _owner(self, diagnostic: dict[str, Any], by_file: dict[tuple[str, int], Block]) -> list[Block]:
        """The blocks a diagnostic belongs to: its block file, else the block calling the module it is in."""
        filename = diagnostic.get("range", {}).get("filename") or ""
        context = diagnostic.get("snippet", {}).get("context") or ""
        if match := _BLOCK_FILE.search(filename):
            block = by_file.get((match["slug"], int(match["line"])))
            return [block] if block else []
        match = (
            _MODULE_COPY.search(filename)
            or _CONTEXT.match(context)
            or _CONTEXT.match(diagnostic.get("address", ""))
        )
        if not match:
            return []
        slug, call = match["slug"], match.groupdict().get("call")
        in_readme = [b for (s, _), b in by_file.items() if s == slug]
        callers = [b for b in in_readme if call and call in _MODULE_CALL.findall(b.text)]
        return callers or in_readme

    def _diagnostics(self) -> list[dict[str, Any]]:
        """The plan's diagnostics; if ``init`` already fails (a block that is not valid HCL), its errors as
        diagnostics of the file each names (``on <file> line <n>``)."""
        terraform = Terraform(self.workdir, terraform_env(self.target.env()))
        try:
            terraform.init()
        except TerraformError as exc:
            return [
                {
                    "severity": "error",
                    "summary": text.splitlines()[0].removeprefix("Error: "),
                    "detail": text,
                    "range": {"filename": m[1], "start": {"line": int(m[2])}}
                    if (m := _ON_FILE.search(text))
                    else {},
                }
                for text in _ERROR_START.split(str(exc))
                if text.startswith("Error: ")
            ] or [{"severity": "error", "summary": "terraform init failed", "detail": str(exc)}]
        return terraform.plan_diagnostics()

    def _plan(self, blocks: Sequence[Block]) -> tuple[dict[Block, list[str]], list[str]]:
        by_file = self._write(blocks)
        self.rounds += 1
        errors: dict[Block, list[str]] = {}
        unattributed: list[str] = []
        for diagnostic in self._diagnostics():
            if diagnostic["severity"] != "error":
                continue
            where = diagnostic.get("range", {})
            message = (
                f"Error: {diagnostic['summary']}\n{diagnostic.get('detail', '')}\n"
                f"  at {where.get('filename', '?')}:{where.get('start', {}).get('line', '?')}"
            )
            owners = self._owner(diagnostic, by_file)
            for block in owners:
                errors.setdefault(block, []).append(message)
            if not owners:
                unattributed.append(message)
        return errors, unattributed

    def run(self) -> dict[Block, list[str]]:
        """Every planned block's errors (empty: it plans). A block whose README had an error elsewhere, and so
        was not planned to the end, gets that as its error."""
        results: dict[Block, list[str]] = {}
        pending = list(self.planned)
        while pending:
            errors, unattributed = self._plan(pending)
            if unattributed:
                for block in pending:
                    results[block] = [
                        f"the plan failed with errors not traced to a block:\n{m}" for m in unattributed
                    ]
                return results
            if not errors:
                for block in pending:
                    results.setdefault(block, [])
                return results
            failed = {b.readme for b in errors}
            for block in pending:
                if block in errors:
                    results[block] = errors[block]
                elif block.readme in failed:
                    others = ", ".join(sorted(b.id for b in errors if b.readme == block.readme))
                    results[block] = [
                        f"not planned to the end: another block of its README failed ({others})"
                    ]
            pending = [b for b in pending if b.readme not in failed]
            log.info("README blocks: %d failed, planning the other %d again", len(errors), len(pending))
        return results
