"""Root stacks commit their dependency lock file; launchpad's copies keep it and init never rewrites it."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import hcl2
import pytest

from launchpad import terraform
from launchpad.paths import modules_dir, repo_root

PROVIDER = "registry.terraform.io/hashicorp/aws"
PROVIDER_VERSION = "5.100.0"  # the version the provider mirror holds; see README, "Provider versions"
STACKS = sorted(p.parent for p in (repo_root() / "terraform").glob("*/versions.tf"))


def _unquote(value: str) -> str:
    return value[1:-1] if value.startswith('"') and value.endswith('"') else value


_LOCAL_MODULE = re.compile(r'^\s*source\s*=\s*"(\.\.?/[^"]*)"', re.MULTILINE)


def _required_providers(folder: Path, seen: set[Path] | None = None) -> set[str]:
    """The registry addresses the configuration in ``folder`` and every local module it calls require."""
    seen = set() if seen is None else seen
    if folder in seen:
        return set()
    seen.add(folder)
    found: set[str] = set()
    for tf_file in sorted(folder.glob("*.tf")):
        text = tf_file.read_text()
        if "required_providers" in text:  # parse only these: python-hcl2 takes seconds on a large main.tf
            for block in hcl2.loads(text).get("terraform", []):
                for requirements in block.get("required_providers", []):
                    found |= {_address(name, spec) for name, spec in requirements.items() if name[:2] != "__"}
        for source in _LOCAL_MODULE.findall(text):
            found |= _required_providers((folder / source).resolve(), seen)
    return found


def _address(name: str, spec: Any) -> str:
    source = _unquote(spec["source"]) if isinstance(spec, dict) else f"hashicorp/{name}"
    return source if source.count("/") == 2 else f"registry.terraform.io/{source}"


def _locked(stack: Path) -> dict[str, dict[str, Any]]:
    with (stack / terraform.LOCK_FILE).open() as handle:
        blocks = hcl2.load(handle)["provider"]
    return {_unquote(address): spec for block in blocks for address, spec in block.items()}


def test_the_root_stacks_are_found() -> None:
    assert {stack.name for stack in STACKS} >= {"bootstrap", "platform"}


@pytest.mark.parametrize("root_stack", STACKS, ids=lambda p: p.name)
def test_root_stack_commits_a_lock_file_pinning_the_aws_provider(root_stack: Path) -> None:
    locked = _locked(root_stack)
    assert _unquote(locked[PROVIDER]["version"]) == PROVIDER_VERSION
    hashes = [_unquote(h) for h in locked[PROVIDER]["hashes"]]
    assert hashes and all(h.startswith(("h1:", "zh:")) for h in hashes)


@pytest.mark.parametrize("root_stack", STACKS, ids=lambda p: p.name)
def test_lock_file_selects_every_provider_the_stack_and_its_modules_require(root_stack: Path) -> None:
    # `init -lockfile=readonly` fails on a provider the lock does not select: add one here by re-locking.
    required = _required_providers(root_stack.resolve())
    assert PROVIDER in required
    assert required <= set(_locked(root_stack)), (
        f"re-lock {root_stack.name}: see CONTRIBUTING.md, 'Providers'"
    )


def test_copy_of_a_stack_keeps_its_lock_file(tmp_path: Path) -> None:
    stack = repo_root() / "terraform" / "platform"
    copy = terraform.copy_module_dir(stack, tmp_path / "platform")
    assert (copy / terraform.LOCK_FILE).read_text() == (stack / terraform.LOCK_FILE).read_text()


def test_copy_of_a_module_example_leaves_a_local_lock_file_behind(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    modules = tmp_path / "modules"
    example = modules / "kms" / "examples" / "basic"
    example.mkdir(parents=True)
    (example / "main.tf").write_text("")
    (example / terraform.LOCK_FILE).write_text("# a developer's own init\n")
    monkeypatch.setattr(terraform, "modules_dir", lambda: modules)
    copy = terraform.copy_module_dir(example, tmp_path / "copy")
    assert (copy / "main.tf").exists()
    assert not (copy / terraform.LOCK_FILE).exists()
    assert modules_dir() != modules  # the real one is untouched


class _Recorder:
    def __init__(self) -> None:
        self.calls: list[tuple[str, ...]] = []

    def execute_command(self, command: str, *args: str) -> None:
        self.calls.append((command, *args))


@pytest.mark.parametrize("locked", [True, False], ids=["with-lock", "without-lock"])
@pytest.mark.parametrize("backend", ["remote", "local-override", "none"])
def test_init_is_readonly_exactly_when_a_lock_file_is_present(
    tmp_path: Path, locked: bool, backend: str
) -> None:
    if locked:
        (tmp_path / terraform.LOCK_FILE).write_text("")
    if backend == "local-override":
        (tmp_path / terraform.LOCAL_BACKEND_OVERRIDE).write_text("")
    tf = terraform.Terraform(tmp_path, env={})
    recorder = _Recorder()
    tf._tf = recorder  # type: ignore[assignment]
    tf.init(tmp_path / "backend.hcl" if backend == "remote" else None)
    ((command, *args),) = recorder.calls
    assert command == "init"
    assert ("-lockfile=readonly" in args) is locked
    assert ("-backend=false" in args) is (backend == "none")
