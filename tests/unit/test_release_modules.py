"""A model project's `git::...//modules/<name>?ref=v<version>` sources, pointed at this checkout's modules so
the policy check sees the modules' resources (launchpad.policy.release_modules)."""

from __future__ import annotations

from pathlib import Path

import pytest

from launchpad import __version__
from launchpad.errors import PolicyError
from launchpad.paths import modules_dir
from launchpad.policy import release_modules

REPO = "git::https://github.com/acme/launchpad.git"
STACK = f'''
module "monitoring" {{
  source = "{REPO}//modules/endpoint-monitoring?ref=v{{version}}"
}}

module "endpoint" {{
  source  = "{REPO}//modules/sagemaker-endpoint?ref=v{{version}}"
}}

module "other" {{
  source = "terraform-aws-modules/vpc/aws"
}}
'''


def _stack(tmp_path: Path, version: str = __version__, text: str = STACK) -> Path:
    stack = tmp_path / "terraform"
    stack.mkdir()
    (stack / "main.tf").write_text(text.replace("{version}", version))
    return stack


def test_release_sources_become_this_checkouts_modules_and_others_stay(tmp_path: Path) -> None:
    stack = _stack(tmp_path)
    assert release_modules.localize(stack) == {
        "endpoint-monitoring": __version__,
        "sagemaker-endpoint": __version__,
    }
    text = (stack / "main.tf").read_text()
    modules = modules_dir().resolve()
    assert f'source = "{modules}//endpoint-monitoring"' in text
    assert f'source  = "{modules}//sagemaker-endpoint"' in text
    assert 'source = "terraform-aws-modules/vpc/aws"' in text and "git::" not in text
    assert release_modules.pinned(stack) == {}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (STACK.replace("{version}", "9.9.9"), f"pinned to v9.9.9, and this launchpad is {__version__}"),
        (STACK.replace("endpoint-monitoring", "nope"), "nope: launchpad has no such module"),
    ],
    ids=["another_release", "unknown_module"],
)
def test_a_pin_this_launchpad_cannot_serve_is_refused_and_nothing_is_rewritten(
    tmp_path: Path, text: str, message: str
) -> None:
    stack = _stack(tmp_path, text=text)
    before = (stack / "main.tf").read_text()
    with pytest.raises(PolicyError, match=message):
        release_modules.localize(stack)
    assert (stack / "main.tf").read_text() == before


def test_localized_is_a_copy_without_terraforms_caches(tmp_path: Path) -> None:
    stack = _stack(tmp_path)
    (stack / ".terraform").mkdir()
    (stack / ".terraform" / "modules.json").write_text("{}")
    before = (stack / "main.tf").read_text()
    with release_modules.localized(stack) as copy:
        assert copy.name == "terraform" and copy != stack
        assert "git::" not in (copy / "main.tf").read_text()
        assert not (copy / ".terraform").exists()
    assert not copy.exists()
    assert (stack / "main.tf").read_text() == before
