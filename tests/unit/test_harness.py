"""The harness itself: applied examples stay on one xdist worker."""

from __future__ import annotations

from pathlib import Path

import pytest

from launchpad import testing
from launchpad.paths import modules_dir

pytest_plugins = ["pytester"]


def test_applied_example_tests_are_grouped_on_one_worker(request: pytest.FixtureRequest) -> None:
    """Under `--dist loadgroup`, xdist marks grouped tests by suffixing their node id with `@<group>`;
    if a pytest/xdist upgrade breaks that, each example would be applied once per worker."""
    if not request.config.getoption("loadgroup", default=False):
        pytest.skip("only meaningful in an xdist worker with --dist loadgroup (make test)")
    stack_tests = [item for item in request.session.items if "stack" in getattr(item, "fixturenames", ())]
    if not stack_tests:
        pytest.skip("no applied-example tests were collected alongside this one")
    ungrouped = [item.nodeid for item in stack_tests if "@" not in item.nodeid]
    assert not ungrouped, f"not grouped for xdist: {ungrouped[:3]}"


def _module(folder: Path, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "main.tf").write_text(text)
    return folder


def test_an_apply_that_makes_a_lifecycle_configuration_is_known_to_wait(tmp_path: Path) -> None:
    """Directly, or through local modules at any depth; registry and git sources are not followed."""
    _module(tmp_path / "modules" / "bucket", 'resource "aws_s3_bucket_lifecycle_configuration" "this" {}\n')
    _module(tmp_path / "modules" / "pipeline", 'module "b" {\n  source = "../bucket"\n}\n')
    nested = _module(tmp_path / "nested", 'module "p" {\n  source = "../modules/pipeline"\n}\n')
    direct = _module(tmp_path / "direct", 'resource "aws_s3_bucket_lifecycle_configuration" "x" {}\n')
    remote = _module(tmp_path / "remote", 'module "r" {\n  source = "git::https://example.com/m.git"\n}\n')
    plain = _module(tmp_path / "plain", 'resource "aws_kms_key" "k" {}\n')
    assert testing.waits_on_lifecycle(nested) and testing.waits_on_lifecycle(direct)
    assert not testing.waits_on_lifecycle(remote) and not testing.waits_on_lifecycle(plain)


def test_the_repos_bucket_examples_are_the_ones_that_wait() -> None:
    examples = modules_dir()
    assert testing.waits_on_lifecycle(examples / "s3-bucket" / "examples" / "complete")
    assert testing.waits_on_lifecycle(examples / "cicd-pipeline" / "examples" / "complete")  # via s3-bucket
    assert not testing.waits_on_lifecycle(examples / "kms" / "examples" / "complete")


def test_groups_start_before_single_tests(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    """A group shares one expensive fixture (one plan of every case): xdist hands out work in collection
    order, so a group collected last would keep the run waiting on one worker."""
    monkeypatch.setenv(testing.SANDBOX_URL_ENV, "http://127.0.0.1:9")  # no sandbox is started
    pytester.makepyfile(
        test_a="def test_single():\n    pass\n",
        test_b="import pytest\n\n@pytest.mark.xdist_group('g')\ndef test_grouped():\n    pass\n",
    )
    result = pytester.runpytest_inprocess("--collect-only", "-q", "-p", "launchpad.testing")
    ids = [line for line in result.outlines if "::" in line]
    assert ids == ["test_b.py::test_grouped", "test_a.py::test_single"]


SHARED_TEST_FILE = """
from launchpad.testing import example_stack

stack = example_stack({module!r}, shared=True)


def test_destroy_leaves_nothing_behind(stack):
    pass


def test_replan_is_empty(stack):
    pass


def test_reads_the_outputs(stack):
    pass
"""


def test_shared_examples_are_one_group_that_replans_then_destroys_last(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Whatever order the files write them in: the first destroy is every member's, so every member's
    other tests must have run by then, and the re-plans come before it."""
    monkeypatch.setenv(testing.SANDBOX_URL_ENV, "http://127.0.0.1:9")  # no sandbox is started
    pytester.makepyfile(
        test_a=SHARED_TEST_FILE.format(module="kms"),
        test_b=SHARED_TEST_FILE.format(module="sns-topic"),
        test_c="def test_single():\n    pass\n",
    )
    result = pytester.runpytest_inprocess("--collect-only", "-q", "-p", "launchpad.testing", "-m", "sandbox")
    ids = [line.split("::", 1)[1] for line in result.outlines if "::" in line and "[sandbox]" in line]
    assert ids == [
        "test_reads_the_outputs[sandbox]",
        "test_reads_the_outputs[sandbox]",
        "test_replan_is_empty[sandbox]",
        "test_replan_is_empty[sandbox]",
        "test_destroy_leaves_nothing_behind[sandbox]",
        "test_destroy_leaves_nothing_behind[sandbox]",
    ]


NAMED_TEST_FILE = """
import pytest

from launchpad.testing import example_stack

stack = example_stack({module!r}, shared="apart", update_vars={{"image": "new"}})


def test_destroy_leaves_nothing_behind(stack):
    pass


@pytest.mark.shared_update
def test_model_change(stack):
    pass


def test_replan_is_empty(stack):
    pass


def test_reads_the_outputs(stack):
    pass
"""


def test_a_named_shared_apply_is_a_group_of_its_own_whose_updates_follow_the_replans(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Examples that name a shared apply are one xdist group apart from the other shared examples; in it
    the update tests (``shared_update``) run after the re-plans and before the destroys."""
    monkeypatch.setenv(testing.SANDBOX_URL_ENV, "http://127.0.0.1:9")  # no sandbox is started
    pytester.makepyfile(
        test_a=NAMED_TEST_FILE.format(module="sagemaker-endpoint"),
        test_b=SHARED_TEST_FILE.format(module="kms"),
        test_c=NAMED_TEST_FILE.format(module="kms"),
    )
    recorded = pytester.inline_run("--collect-only", "-p", "launchpad.testing", "-m", "sandbox")
    [finished] = recorded.getcalls("pytest_collection_finish")
    groups: dict[str, list[str]] = {}
    for item in finished.session.items:  # in the order they run
        [group] = item.get_closest_marker("xdist_group").args  # type: ignore[union-attr]
        groups.setdefault(group, []).append(item.nodeid.replace(".py", "").removesuffix("[sandbox]"))
    assert groups == {
        f"{testing.SHARED_GROUP}-apart": [
            "test_a::test_reads_the_outputs",
            "test_c::test_reads_the_outputs",
            "test_a::test_replan_is_empty",
            "test_c::test_replan_is_empty",
            "test_a::test_model_change",
            "test_c::test_model_change",
            "test_a::test_destroy_leaves_nothing_behind",
            "test_c::test_destroy_leaves_nothing_behind",
        ],
        testing.SHARED_GROUP: [
            "test_b::test_reads_the_outputs",
            "test_b::test_replan_is_empty",
            "test_b::test_destroy_leaves_nothing_behind",
        ],
    }
