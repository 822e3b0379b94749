"""Every README usage block plans (Fabric's habit), as a team would paste it: see launchpad.readme_usage.

All blocks are planned in one root module (one init, one plan when they are all good), on one xdist worker.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from launchpad.aws import AwsTarget
from launchpad.paths import modules_dir
from launchpad.readme_usage import Block, ReadmePlan, extract_blocks, local_module, readmes, rewrite_sources

BLOCKS = [b for p in readmes() for b in extract_blocks(p)]
GROUP = pytest.mark.xdist_group("readme-usage")


@pytest.fixture(scope="module")
def readme_plan(tmp_path_factory: pytest.TempPathFactory, sandbox_url: str) -> Any:
    """Every README's unmarked blocks, planned together once, in a fresh sandbox account."""
    target = AwsTarget.sandbox(sandbox_url)
    return ReadmePlan(readmes(), tmp_path_factory.mktemp("readme-usage"), target).run()


@GROUP
@pytest.mark.parametrize("block", [b for b in BLOCKS if b.not_planned is None], ids=lambda b: b.id)
def test_readme_usage_block_plans(block: Block, readme_plan: Any) -> None:
    errors = readme_plan[block]
    assert not errors, f"{block.id}: the usage block does not plan:\n" + "\n\n".join(errors)


@pytest.mark.parametrize("block", [b for b in BLOCKS if b.not_planned is not None], ids=lambda b: b.id)
def test_unplanned_block_says_why(block: Block) -> None:
    assert block.not_planned and len(block.not_planned) >= 15, (
        f"{block.id}: `<!-- not planned: ... -->` needs a reason a reviewer would accept"
    )


def test_every_readme_with_usage_is_found() -> None:
    found = {p.relative_to(modules_dir()).parts[0] for p in readmes() if p.is_relative_to(modules_dir())}
    modules = {p.name for p in modules_dir().iterdir() if (p / "main.tf").exists()}
    assert found == modules
    assert all(extract_blocks(modules_dir() / m / "README.md") for m in modules), "every module shows usage"


# -- the check itself -------------------------------------------------------------------------------
def test_sources_are_rewritten_to_the_local_module() -> None:
    modules = modules_dir()
    assert (
        local_module("../../modules/iam/modules/service-role", modules)
        == modules / "iam/modules/service-role"
    )
    assert local_module("../kms", modules) == modules / "kms"
    git = "git::https://github.com/acme/launchpad.git//modules/s3-bucket?ref=v1.2.0"
    assert local_module(git, modules) == modules / "s3-bucket"
    assert local_module("../../modules/no-such-module", modules) is None
    assert local_module("terraform-aws-modules/vpc/aws", modules) is None
    text = rewrite_sources('module "k" {\n  source = "../../modules/kms"\n  name   = "k"\n}\n', modules)
    assert f'source = "{modules.resolve()}//kms"' in text


def test_fragment_marker_is_read(tmp_path: Path) -> None:
    readme = tmp_path / "README.md"
    readme.write_text(
        "# x\n\n<!-- not planned: a backend config file, not Terraform configuration -->\n\n"
        '```hcl\nbucket = "x"\n```\n\n```terraform\nlocals {}\n```\n'
    )
    fragment, planned = extract_blocks(readme)
    assert fragment.not_planned == "a backend config file, not Terraform configuration"
    assert (fragment.line, fragment.text) == (5, 'bucket = "x"\n')
    assert planned.not_planned is None and planned.line == 9


def test_a_block_naming_a_missing_output_fails(tmp_path: Path, sandbox_target: AwsTarget) -> None:
    """The check fails a block that uses an output the module does not have, and says which block; the
    README's good block is not counted as planned, and a marked fragment is left alone."""
    readme = tmp_path / "docs" / "README.md"
    readme.parent.mkdir()
    readme.write_text(
        "# broken\n\n```hcl\n"
        'module "key" {\n  source = "../../modules/kms"\n  name   = "lp-readme-broken"\n}\n```\n\n'
        "```hcl\n"
        'resource "aws_cloudwatch_log_group" "app" {\n  name       = "/lp/app"\n'
        "  kms_key_id = module.key.key_arn_that_does_not_exist\n}\n```\n\n"
        "<!-- not planned: deliberately not Terraform, to prove the marker is honoured -->\n"
        "```hcl\nthis is not hcl\n```\n"
    )
    plan = ReadmePlan([readme], tmp_path / "root", sandbox_target)
    results = plan.run()
    good, broken = plan.planned
    assert len(results) == 2, "the marked fragment must not be planned"
    assert any("Unsupported attribute" in e and "key_arn_that_does_not_exist" in e for e in results[broken])
    assert broken.line == 10 and all("block_10.tf" in e for e in results[broken]), results[broken]
    assert results[good] and "another block of its README failed" in results[good][0]
    assert plan.rounds == 1
