"""The terratest-style pytest harness: a pytest plugin (``pytest_plugins = ["launchpad.testing"]``).

- One sandbox per test run: the xdist controller (or the lone process) starts it and hands its URL to
  every worker; ``LAUNCHPAD_SANDBOX_URL`` reuses one that is already running.
- ``sandbox_target``: a fresh, empty sandbox account per test. Applied stacks run once per target: a fresh
  sandbox account, and (``aws`` marker) the real account in the environment, skipped unless
  ``LAUNCHPAD_AWS_TESTS=1`` and credentials exist.
- ``example_stack(module)``: a module-scoped fixture that copies ``modules/<module>/examples/<example>``,
  inits it (shared provider mirror/cache: nothing is copied), applies it, yields a ``Stack`` and always
  destroys it. ``assert_replan_empty(stack)`` is the drift check.
- ``example_stack(module, shared=True)``: the example is applied together with every other shared example
  of the run (``launchpad.shared_apply``: one init, apply, re-plan and destroy for all, in one account). Their
  tests form one xdist group, in which the re-plan tests run after every other test, then the update tests
  (``shared_update`` marker), and the destroy tests last (the first destroy is everyone's); each example keeps
  its outputs and its own re-plan verdict. ``shared="<name>"`` makes a shared apply of its own, with its
  own group and account, for the examples that name it: every Terraform step reads every resource of its
  root, so examples updated together are best kept apart from ones that are not.
- ``example_stack(module, update_vars={...})`` and ``update_stack(stack, snapshot)``: the stack updated to
  those variables through a saved plan (its part of the plan, of the apply's log, its snapshot from before);
  for shared examples, every member's update in one plan and one apply.
"""

from __future__ import annotations

import functools
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3
import pytest

from launchpad.aws import AwsTarget
from launchpad.combined import local_modules
from launchpad.paths import modules_dir
from launchpad.sandbox import Sandbox
from launchpad.shared_apply import Member, MemberWorkspace, SharedApply, Updated
from launchpad.workspace import Workspace

SANDBOX_URL_ENV = "LAUNCHPAD_SANDBOX_URL"
AWS_OPT_IN_ENV = "LAUNCHPAD_AWS_TESTS"
_WORKER_KEY = "launchpad_sandbox_url"
SHARED_GROUP = "shared-apply"  # the xdist group of the shared examples (and the prefix of named ones')
SHARED_UPDATE_MARK = "shared_update"


# -- one sandbox per run ------------------------------------------------------------------------
def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "xdist_group(name): run on one xdist worker (--dist loadgroup)")
    config.addinivalue_line(
        "markers",
        f"{SHARED_UPDATE_MARK}: updates its shared example (update_stack): runs after the shared re-plans "
        "and before the shared destroys",
    )
    worker_input = getattr(config, "workerinput", None)
    if worker_input is not None:  # an xdist worker: the controller started the sandbox
        config._launchpad_sandbox_url = worker_input[_WORKER_KEY]  # type: ignore[attr-defined]
        return
    url = os.environ.get(SANDBOX_URL_ENV)
    if not url:
        box = Sandbox(Path(tempfile.mkdtemp(prefix="launchpad-test-sandbox-")))
        url = box.up(owner_pid=os.getpid()).url
        config._launchpad_sandbox = box  # type: ignore[attr-defined]
    config._launchpad_sandbox_url = url  # type: ignore[attr-defined]


@pytest.hookimpl(optionalhook=True)
def pytest_configure_node(node: Any) -> None:  # xdist hook: runs in the controller per worker
    node.workerinput[_WORKER_KEY] = node.config._launchpad_sandbox_url


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    session.config._launchpad_exitstatus = exitstatus  # type: ignore[attr-defined]


def pytest_unconfigure(config: pytest.Config) -> None:
    """Stop the run's sandbox; keep its log only when the run failed (the header says where)."""
    box: Sandbox | None = getattr(config, "_launchpad_sandbox", None)
    if box is not None:
        box.down()
        clean = (pytest.ExitCode.OK, pytest.ExitCode.NO_TESTS_COLLECTED)
        if getattr(config, "_launchpad_exitstatus", pytest.ExitCode.TESTS_FAILED) in clean:
            shutil.rmtree(box.dir.parent, ignore_errors=True)


def pytest_report_header(config: pytest.Config) -> str:
    box: Sandbox | None = getattr(config, "_launchpad_sandbox", None)
    log = f" (log {box.log_file}, kept if the run fails)" if box is not None else ""
    return f"launchpad sandbox: {getattr(config, '_launchpad_sandbox_url', 'none')}{log}"


# -- where AWS calls go -----------------------------------------------------------------------------
def _real_aws_available() -> bool:
    return os.environ.get(AWS_OPT_IN_ENV) == "1" and boto3.Session().get_credentials() is not None


def make_target(config: pytest.Config, kind: str) -> AwsTarget:
    if kind == "aws":
        if not _real_aws_available():
            pytest.skip(f"real AWS tests need credentials and {AWS_OPT_IN_ENV}=1 (`make test-aws`)")
        return AwsTarget.real()
    return AwsTarget.sandbox(config._launchpad_sandbox_url)  # type: ignore[attr-defined]


TARGETS = [
    pytest.param("sandbox", marks=pytest.mark.sandbox),
    pytest.param("aws", marks=pytest.mark.aws),
]


@pytest.fixture(scope="session")
def sandbox_url(pytestconfig: pytest.Config) -> str:
    return pytestconfig._launchpad_sandbox_url  # type: ignore[attr-defined]


@pytest.fixture
def sandbox_target(sandbox_url: str) -> AwsTarget:
    """A fresh, empty sandbox account (for plans, which need a provider to talk to)."""
    return AwsTarget.sandbox(sandbox_url)


# -- applied examples -------------------------------------------------------------------------------
@dataclass
class Stack:
    """An applied root module: its outputs, its AWS target (for boto3) and its workspace."""

    workspace: Workspace | MemberWorkspace
    outputs: dict[str, Any]
    target: AwsTarget
    name: str
    update_vars: Mapping[str, Any] = field(default_factory=dict)  # what update_stack sets
    _clients: dict[str, Any] = field(default_factory=dict)

    def client(self, service: str) -> Any:
        if service not in self._clients:
            self._clients[service] = self.target.client(service)
        return self._clients[service]


def unique_name(prefix: str, target: AwsTarget) -> str:
    """A lowercase name, unique per account, valid for S3 buckets, IAM roles and KMS aliases."""
    suffix = (target.account_id or os.urandom(6).hex())[-8:]
    return f"{prefix}-{suffix}"


def stack_variables(
    name_prefix: str, target: AwsTarget, tf_vars: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """What an applied root gets: ``name`` (unique per account, from ``name_prefix``) and ``region``, plus
    ``tf_vars``, which win."""
    name = unique_name(name_prefix[:20].rstrip("-"), target)
    return {"name": name, "region": target.region, **(tf_vars or {})}


def applied_stack(
    source: Path,
    name_prefix: str,
    tf_vars: Mapping[str, Any] | None = None,
    var_file: Path | None = None,
    update_vars: Mapping[str, Any] | None = None,
) -> Callable[..., Iterator[Stack]]:
    """A module-scoped fixture: the root module at ``source`` applied once per target, always destroyed.

    It gets ``var_file`` (an environment's .tfvars) if given, then ``name`` (unique per account, from
    ``name_prefix``) and ``region`` as variables, plus ``tf_vars``, which win. ``update_stack`` sets
    ``update_vars`` on top of them.
    """

    def _stack(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
        target = make_target(request.config, request.param)
        variables = stack_variables(name_prefix, target, tf_vars)
        name = variables["name"]
        parent = tmp_path_factory.mktemp(source.name)
        # The state is current when the stack is destroyed (the re-plan read it; the tests change what
        # Terraform does not manage): no refresh, a third of a destroy's CPU.
        workspace = Workspace(
            source, target, variables, parent=parent, var_file=var_file, refresh_on_destroy=False
        )
        try:
            workspace.init()
            outputs = workspace.apply()
            yield Stack(workspace, outputs, target, name, dict(update_vars or {}))
        finally:
            workspace.cleanup()

    _stack._launchpad_example = True  # type: ignore[attr-defined]  # read at collection, below
    _stack._launchpad_source = source  # type: ignore[attr-defined]
    return pytest.fixture(scope="module", params=TARGETS)(_stack)


def example_stack(
    module: str,
    example: str = "complete",
    tf_vars: Mapping[str, Any] | None = None,
    shared: bool | str = False,
    update_vars: Mapping[str, Any] | None = None,
) -> Callable[..., Iterator[Stack]]:
    """``modules/<module>/examples/<example>`` as an ``applied_stack`` fixture; with ``shared``, applied
    together with the run's other shared examples (``True``), or with those that name the same shared apply
    (see the module's docstring). ``update_vars``: what ``update_stack`` sets on top of its variables."""
    prefix = f"lp-{module}" if example == "complete" else f"lp-{example}"
    source = modules_dir() / module / "examples" / example
    if not shared:
        return applied_stack(source, prefix, tf_vars, update_vars=update_vars)
    key = f"{module}/{example}"
    group = SHARED_GROUP if shared is True else f"{SHARED_GROUP}-{shared}"

    def _stack(request: pytest.FixtureRequest, shared_applies: SharedApplies) -> Iterator[Stack]:
        yield member_stack(shared_applies.get(group, request.param), key)

    _stack._launchpad_example = True  # type: ignore[attr-defined]
    _stack._launchpad_source = source  # type: ignore[attr-defined]
    _stack._launchpad_shared = SharedExample(  # type: ignore[attr-defined]
        key, source, prefix, dict(tf_vars or {}), dict(update_vars or {}), group
    )
    # Function scope: a module-scoped parametrized fixture would make pytest keep each file's tests together
    # again after the ordering below; this one only reads the session's shared apply.
    return pytest.fixture(params=TARGETS)(_stack)


@dataclass(frozen=True)
class SharedExample:
    """An example declared ``shared``: what its member of a shared apply is made from."""

    key: str
    source: Path
    name_prefix: str
    tf_vars: Mapping[str, Any]
    update_vars: Mapping[str, Any] = field(default_factory=dict)
    group: str = SHARED_GROUP  # its shared apply, and that apply's xdist group


def member_stack(apply: SharedApply, key: str) -> Stack:
    """What the tests of the shared example ``key`` see of ``apply``: its outputs now, name and update."""
    return Stack(
        workspace=MemberWorkspace(apply, key),
        outputs=apply.outputs(key),
        target=apply.target,
        name=apply.variables(key)["name"],
        update_vars=dict(apply.member(key).update_vars),
    )


def update_stack(stack: Stack, snapshot: Callable[[Stack], Any]) -> Updated:
    """Update ``stack`` to its ``update_vars`` through a saved plan, applied as it is: ``snapshot(stack)``
    from just before, the stack's part of the plan (its own addresses), its lines of the apply's log and its
    outputs after, which ``stack.outputs`` become. A shared example's update is made once for every member
    that declares one (each member's snapshot first), by the first of their tests to ask: its test needs the
    ``shared_update`` marker, which runs it after the re-plans and before the destroys."""
    if not stack.update_vars:
        raise ValueError(f"{stack.name} declares no update: give its fixture update_vars")
    workspace = stack.workspace
    if isinstance(workspace, MemberWorkspace):
        shared = workspace.shared
        done = workspace.update(lambda key: snapshot(member_stack(shared, key)))
    else:
        before = snapshot(stack)
        workspace.set_vars({**workspace.tf_vars, **stack.update_vars})
        plan = workspace.plan()
        outputs = workspace.apply(saved_plan=True)
        done = Updated(before, plan, workspace.apply_log, outputs)
    stack.outputs = dict(done.outputs)
    return done


# In a shared group these run after every other test, in this order: the re-plans, the updates (marked
# ``shared_update``), the destroys.
SHARED_LAST = ("test_replan_is_empty", SHARED_UPDATE_MARK, "test_destroy_leaves_nothing_behind")


class SharedApplies:
    """The run's shared applies, one per group and target kind, each applied on first use."""

    def __init__(self, config: pytest.Config, examples: Sequence[SharedExample], parent: Path) -> None:
        self._config = config
        self._examples = list(examples)
        self._parent = parent
        self._applies: dict[tuple[str, str], SharedApply] = {}

    def get(self, group: str, kind: str) -> SharedApply:
        if (group, kind) not in self._applies:
            target = make_target(self._config, kind)
            members = [
                Member(e.key, e.source, stack_variables(e.name_prefix, target, e.tf_vars), e.update_vars)
                for e in self._examples
                if e.group == group
            ]
            apply = SharedApply(members, target, self._parent / group / kind)
            self._applies[group, kind] = apply
            apply.apply()
        return self._applies[group, kind]

    def cleanup(self) -> None:
        for apply in self._applies.values():
            apply.cleanup()


@pytest.fixture(scope="session")
def shared_applies(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[SharedApplies]:
    examples = getattr(request.config, "_launchpad_shared_examples", [])
    applies = SharedApplies(request.config, examples, tmp_path_factory.mktemp("shared-apply"))
    try:
        yield applies
    finally:
        applies.cleanup()


def _applied_fixture(item: pytest.Item) -> Callable[..., Any] | None:
    """The applied-stack fixture function the item uses, if it uses one."""
    fixture_info = getattr(item, "_fixtureinfo", None)
    if fixture_info is None:
        return None
    for definitions in fixture_info.name2fixturedefs.values():
        func = definitions[-1].func
        if getattr(func, "_launchpad_example", False):
            return func
    return None


def _applied_source(item: pytest.Item) -> Path | None:
    """The root module the item's applied-stack fixture applies, if it uses one."""
    func = _applied_fixture(item)
    return None if func is None else Path(getattr(func, "_launchpad_source", "."))


def _shared_example(item: pytest.Item) -> SharedExample | None:
    func = _applied_fixture(item)
    return None if func is None else getattr(func, "_launchpad_shared", None)


LIFECYCLE_RESOURCE = "aws_s3_bucket_lifecycle_configuration"


@functools.cache
def waits_on_lifecycle(source: Path) -> bool:
    """Whether applying ``source`` creates an S3 lifecycle configuration (itself or through a local module):
    hashicorp/aws waits at least 55 s for each (docs/sandbox-s3-lifecycle.md)."""
    folders = [source, *sorted(local_modules(source))]
    return any(LIFECYCLE_RESOURCE in path.read_text() for folder in folders for path in folder.glob("*.tf"))


def _shared_rank(item: pytest.Item) -> int:
    name = getattr(item, "originalname", item.name)
    if item.get_closest_marker(SHARED_UPDATE_MARK) is not None:
        name = SHARED_UPDATE_MARK
    return SHARED_LAST.index(name) + 1 if name in SHARED_LAST else 0


@pytest.hookimpl(tryfirst=True)  # before xdist turns the marks into groups
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Keep every test of one applied example on one xdist worker (``--dist loadgroup``), so the
    example is applied once; the tests of the examples of one shared apply are one group. Every other test is
    spread freely.

    Applied stacks are also moved to the front, root stacks first (the longest), then the examples that
    wait on S3 lifecycle configurations (55 s each in the provider), then the other groups (each shares one
    expensive fixture: every bad-input case in one plan, every root in one validate): xdist hands out work in
    collection order, and a long group that starts last would keep the run waiting on one worker. In the
    shared group the re-plan tests follow every other test, then the update tests, and the destroy tests
    come last."""
    sources = {id(item): _applied_source(item) for item in items}
    shared = {id(item): _shared_example(item) for item in items}
    examples = {e.key: e for e in shared.values() if e is not None}
    config._launchpad_shared_examples = [examples[key] for key in sorted(examples)]  # type: ignore[attr-defined]
    waits = {e.group for e in examples.values() if waits_on_lifecycle(e.source)}  # groups that wait
    for item in items:
        example = shared[id(item)]
        if example is not None:
            item.add_marker(pytest.mark.xdist_group(example.group))
        elif sources[id(item)] is not None:
            item.add_marker(pytest.mark.xdist_group(item.nodeid.split("::", 1)[0]))

    def order(item: pytest.Item) -> tuple[bool, bool, bool, int]:
        source, example = sources[id(item)], shared[id(item)]
        if source is None:  # a group shares an expensive fixture (one plan of many cases): start it early
            return True, True, item.get_closest_marker("xdist_group") is None, 0
        if example is not None:
            return False, True, example.group not in waits, _shared_rank(item)
        return False, not item.nodeid.startswith("tests/stacks/"), not waits_on_lifecycle(source), 0

    items.sort(key=order)


def assert_replan_empty(stack: Stack) -> None:
    """The terratest drift check: ``plan -detailed-exitcode`` right after apply must exit 0."""
    code, diff = stack.workspace.replan()
    assert code == 0, f"re-plan after apply is not empty (exit {code}):\n{diff}"
