"""Every answer set the template accepts bakes into a complete, consistent project.

The matrix is every framework x inference mode x accepted deployment strategy (the data classifications taken
in turn; the retrieval-augmented assistant on real-time endpoints only, which is all the hook accepts for it),
plus edge cases of the free-text answers: the shortest and longest slugs, an apostrophe and accents, the
longest texts, tag characters, the GovCloud and China partitions, a GPU instance. Each set is baked once
(the module is one xdist group) and checked without running its model: the slower runs of a few bakes (their
own ``make test``, ``terraform validate``, ``launchpad policy``) are in test_project.py.
"""

from __future__ import annotations

import ast
import json
import re
import subprocess
import sys
import tomllib
from importlib import resources
from itertools import product
from pathlib import Path
from typing import Any

import pytest

from launchpad.deploy.config import load_stage_config
from launchpad.deploy.model_card import load_model_card
from launchpad.paths import repo_root
from launchpad.terraform import terraform_env

from .support import (
    CHOICES,
    REAL_TIME_ONLY,
    STAGES,
    UNRENDERED,
    Bake,
    Bakery,
    bake_of,
    partition,
    project_files,
)

REFUSED_STRATEGY = "all-at-once"  # the hook refuses it by design (test_refusals.py shows its message)

# -- the expected files: every project's, plus its framework's and its inference mode's --------------------
# {package} is src/<project_slug>. Written from what each answer needs, not from the post-generation hook.
COMMON = (
    ".dockerignore",
    ".github/workflows/ci.yml",
    ".gitignore",
    ".pre-commit-config.yaml",
    "Dockerfile",
    "build-image/Dockerfile",  # the pipeline's build image: builds without internet download nothing
    "Makefile",
    "README.md",
    "buildspec.yml",
    "model_card.yaml",
    "pyproject.toml",
    "requirements-launchpad.txt",  # launchpad pinned by version and SHA-256
    "requirements-serving.txt",  # launchpad-serving, the same way (the serving image installs only it)
    *(f"deploy/config/{stage}.yaml" for stage in STAGES),
    "scripts/_launchpad.py",  # how the scripts hand their command line to launchpad
    "scripts/build_environment.py",  # the build image's environment: its check and its tag
    "scripts/deploy.py",
    "scripts/policy_check.py",
    "{package}/__init__.py",
    "{package}/inference.py",  # the SageMaker handlers
    "{package}/package.py",  # model.tar.gz
    "{package}/train.py",
    "terraform/backend.tf",
    "terraform/main.tf",
    "terraform/outputs.tf",
    "terraform/variables.tf",
    "terraform/versions.tf",
    *(f"terraform/envs/{stage}.{kind}" for stage in STAGES for kind in ("tfvars", "backend.hcl")),
    "tests/__init__.py",
    "tests/conftest.py",
    "tests/support.py",
    "tests/test_config.py",
    "tests/test_package.py",
    "tests/test_serving.py",
    "tests/integration/__init__.py",
    "tests/integration/test_endpoint.py",
)
# The task: a tabular classifier (every framework but the LLM), or text generation (the LLM).
TABULAR = (
    "{package}/columns.py",  # the training data's columns (no launchpad-serving: the training job imports it)
    "{package}/data.py",
    "{package}/evaluation.py",
    "{package}/features.py",
    "{package}/train_job.py",  # the training pipeline's script (SageMaker script mode)
    "pipeline.yaml",  # the training pipeline's declaration (launchpad pipeline)
    "deploy/config/training.yaml",  # its settings: the platform's values (make pipeline-definition)
    "terraform/training.tf",  # the pipeline in the dev stack (training_pipeline of envs/dev.tfvars)
    "tests/test_pipeline.py",
    "tests/test_tabular.py",
)
TEXT = ("{package}/charlm.py", "{package}/corpus.py", "{package}/prompt.py", "tests/test_llm.py")
# The assistant: retrieval data and evaluation, and t5.py (its handler in AWS's Hugging Face container).
RAG = (
    "{package}/retrieval.py",
    "{package}/t5.py",
    "data/ATTRIBUTION.md",  # launchpad's shipped corpus: the template links launchpad.assistant's corpus/
    "data/passages.jsonl",
    "data/questions.jsonl",
    "tests/test_rag.py",
)
BY_FRAMEWORK: dict[str, tuple[str, ...]] = {
    "sklearn": (*TABULAR, "{package}/sklearn_model.py"),
    "xgboost": (*TABULAR, "{package}/xgboost_model.py"),
    "pytorch": (*TABULAR, "{package}/torch_model.py"),
    "huggingface-llm": TEXT,  # charlm.py is its model
    "custom-container": (*TABULAR, "{package}/sklearn_model.py"),  # scikit-learn, in an image the team owns
    "huggingface-rag": RAG,
}
BY_MODE: dict[str, tuple[str, ...]] = {
    "real-time": (),
    "serverless": (),
    "async": ("terraform/async.tf",),  # the endpoint's result locations: the stack owns async endpoints
}
# The package each framework's model needs, pinned in pyproject.toml.
FRAMEWORK_PACKAGE = {
    "sklearn": "scikit-learn",
    "xgboost": "xgboost-cpu",
    "pytorch": "torch",
    "huggingface-llm": "torch",
    "custom-container": "scikit-learn",
    "huggingface-rag": "bm25s",  # make index (dev); the serving image has launchpad-serving's stand-in only
}

# -- the answer sets ---------------------------------------------------------------------------------------
_CLASSIFICATIONS = CHOICES["data_classification"]
MATRIX = [
    bake_of(
        f"{framework}-{mode}-{strategy}",
        framework=framework,
        inference_mode=mode,
        deployment_strategy=strategy,
        data_classification=_CLASSIFICATIONS[index % len(_CLASSIFICATIONS)],
    )
    for index, (framework, mode, strategy) in enumerate(
        (framework, mode, strategy)
        for framework, mode, strategy in product(
            CHOICES["framework"],
            CHOICES["inference_mode"],
            [s for s in CHOICES["deployment_strategy"] if s != REFUSED_STRATEGY],
        )
        if mode == "real-time" or framework not in REAL_TIME_ONLY
    )
]
EDGE_CASES = [
    bake_of("slug-3-chars", project_slug="cx3", framework="xgboost", deployment_strategy="rolling"),
    bake_of("slug-24-chars", project_slug="customer_churn_model_v12", inference_mode="async"),
    bake_of(
        "apostrophe-and-accents",
        project_name="Zoë's Prédiction de Résiliation",
        project_slug="zoe_churn",
        description="Prédit qui résiliera : l'équipe « rétention » appelle d'abord les clients à risque #1.",
        framework="huggingface-llm",
        data_classification="phi",
    ),
    bake_of(
        "longest-texts",
        project_name="Customer Churn Propensity Models for Retention Calls in EMEA",  # 60, the most
        description=(  # 200 characters, the most: wrapped in the model card and the package docstring
            "Ranks each member by the chance they cancel within 90 days, so the retention team calls the "
            "riskiest first; scores are refreshed nightly from the billing, usage and support systems of the "
            "whole group."
        ),
        framework="pytorch",
        inference_mode="serverless",
    ),
    bake_of("tag-characters", owner_team="Team Churn/EMEA", cost_center="cc:1234+ops=retention@acme.example"),
    bake_of("govcloud", aws_region="us-gov-west-1", inference_mode="async", framework="custom-container"),
    bake_of("china", aws_region="cn-north-1", inference_mode="serverless", framework="xgboost"),
    bake_of(
        "gpu-instance",
        framework="huggingface-llm",
        instance_type="ml.g5.xlarge",
        deployment_strategy="linear",
    ),
]
ALL = [*MATRIX, *EDGE_CASES]
CASES = [pytest.param(case, id=case.id) for case in ALL]
# One xdist group: the module's tests share a worker, so each set is baked once per run, not once per worker.
pytestmark = pytest.mark.xdist_group("bake-matrix")


def expected_files(case: Bake) -> set[Path]:
    rows = (*COMMON, *BY_FRAMEWORK[case["framework"]], *BY_MODE[case["inference_mode"]])
    return {Path(row.format(package=f"src/{case['project_slug']}")) for row in rows}


def test_the_matrix_is_every_accepted_combination_and_the_tables_every_choice() -> None:
    """The rule tables name exactly the template's choices, and the matrix bakes each accepted combination
    once: a choice added to cookiecutter.json fails here until the tables say what it bakes."""
    assert set(BY_FRAMEWORK) == set(FRAMEWORK_PACKAGE) == set(CHOICES["framework"])
    assert set(BY_MODE) == set(CHOICES["inference_mode"])
    assert REFUSED_STRATEGY in CHOICES["deployment_strategy"]
    combinations = {(c["framework"], c["inference_mode"], c["deployment_strategy"]) for c in MATRIX}
    every_mode = len(CHOICES["framework"]) - len(REAL_TIME_ONLY)
    assert set(CHOICES["framework"]) >= REAL_TIME_ONLY
    assert (
        len(combinations)
        == len(MATRIX)
        == (every_mode * len(CHOICES["inference_mode"]) + len(REAL_TIME_ONLY))
        * (len(CHOICES["deployment_strategy"]) - 1)
    )
    assert {c["data_classification"] for c in MATRIX} == set(CHOICES["data_classification"])
    assert len({c.id for c in ALL}) == len(ALL)  # the ids name the bake folders


@pytest.mark.parametrize("case", CASES)
def test_no_template_expression_survives_the_bake(case: Bake, baked: Bakery) -> None:
    """No ``{{``, ``{%`` or ``{#`` is left in any file's name, folder's name or text: every expression was
    rendered and every variable existed."""
    project = baked(case)
    left = []
    for path in sorted(project.rglob("*")):
        relative = path.relative_to(project)
        left += [f"{relative} (its name)" for marker in UNRENDERED if marker in path.name]
        if path.is_file():
            text = path.read_bytes().decode("utf-8")
            left += [
                f"{relative}:{number}: {line.strip()}"
                for number, line in enumerate(text.splitlines(), start=1)
                if any(marker in line for marker in UNRENDERED)
            ]
    assert not left, "unrendered template syntax:\n" + "\n".join(left)


@pytest.mark.parametrize("case", CASES)
def test_the_project_holds_exactly_the_files_its_answers_need(case: Bake, baked: Bakery) -> None:
    """The files are the common ones plus the framework's and the inference mode's (the tables above),
    nothing missing and nothing another framework or mode needs; no folder is left empty."""
    project = baked(case)
    found = set(project_files(project))
    expected = expected_files(case)
    assert found == expected, (
        f"missing: {sorted(map(str, expected - found))}; unexpected: {sorted(map(str, found - expected))}"
    )
    empty = [str(p.relative_to(project)) for p in project.rglob("*") if p.is_dir() and not any(p.iterdir())]
    assert not empty, f"empty folders left: {empty}"


@pytest.mark.parametrize(
    "case", [pytest.param(c, id=c.id) for c in ALL if c["framework"] == "huggingface-rag"]
)
def test_the_assistants_data_is_launchpads_shipped_corpus(case: Bake, baked: Bakery) -> None:
    """data/ of an assistant project holds launchpad's shipped passages, questions and attribution byte for
    byte (the template links them, so the repository keeps one copy), unrendered."""
    data = baked(case) / "data"
    for name in ("passages.jsonl", "questions.jsonl", "ATTRIBUTION.md"):
        shipped = resources.files("launchpad.assistant").joinpath("corpus", name).read_bytes()
        assert (data / name).read_bytes() == shipped, name
        assert not (data / name).is_symlink()


def test_the_python_is_ruff_clean(baked: Bakery) -> None:
    """``ruff check`` passes on every Python file of every bake, each with its project's own settings
    (pyproject.toml)."""
    projects = [str(baked(case)) for case in ALL]
    done = subprocess.run(
        [sys.executable, "-m", "ruff", "check", "--no-cache", *projects],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_the_terraform_is_formatted(baked: Bakery) -> None:
    """``terraform fmt -check`` passes on every bake's terraform/ and envs/ (the projects' pre-commit hook
    runs it)."""
    stacks = [str(baked(case) / "terraform") for case in ALL]
    done = subprocess.run(
        ["terraform", "fmt", "-check", "-recursive", "-list=true", *stacks],
        env=terraform_env({}),
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, f"unformatted:\n{done.stdout}{done.stderr}"


@pytest.mark.parametrize("case", CASES)
def test_the_stage_configs_pass_launchpads_checks_and_carry_the_answers(case: Bake, baked: Bakery) -> None:
    """Each deploy/config/<stage>.yaml passes the checks ``launchpad deploy`` runs before touching AWS (schema
    and stage rules, the platform's instance allow-list), and says what was answered: the project, region
    and tags; the chosen strategy in staging and prod (dev updates all at once); serverless only in dev."""
    project = baked(case)
    strategy = case["deployment_strategy"].upper().replace("-", "_")
    for stage in STAGES:
        config = load_stage_config(project / "deploy" / "config" / f"{stage}.yaml")
        assert (config.project, config.stage, config.region) == (case.project, stage, case["aws_region"])
        assert config.model_card.resolve() == (project / "model_card.yaml").resolve()
        assert config.tags["owner"] == case["owner_team"]
        assert config.tags["cost-center"] == case["cost_center"]
        assert config.tags["data-classification"] == case["data_classification"]
        assert config.deployment.strategy == ("ALL_AT_ONCE" if stage == "dev" else strategy)
        assert config.serverless == (stage == "dev" and case["inference_mode"] == "serverless")
        if not config.serverless:
            assert {v.instance_type for v in config.variants} == {case["instance_type"]}


@pytest.mark.parametrize("case", CASES)
def test_the_model_card_is_complete_for_every_stage(case: Bake, baked: Bakery) -> None:
    """model_card.yaml passes launchpad's model-card checks for dev, staging and prod (prod's are the
    strictest: approvals, thresholds, the EU AI Act fields; phi adds the GDPR and HIPAA bases), and names
    the project and its data classification."""
    card_path = baked(case) / "model_card.yaml"
    for stage in STAGES:
        card = load_model_card(card_path, stage)
    assert card["model_details"]["name"] == case.project
    assert card["training_data"]["data_classification"] == case["data_classification"]


@pytest.mark.parametrize("case", CASES)
def test_every_arn_and_image_is_in_the_regions_partition(case: Bake, baked: Bakery) -> None:
    """The ARNs of the stage configs and tfvars/backend files name the region's partition (aws, aws-cn,
    aws-us-gov), and their ECR images its domain (amazonaws.com.cn in China) in the answered region."""
    project = baked(case)
    expected_partition, ecr_domain = partition(case["aws_region"])
    value_files = [
        *(project / "deploy" / "config").glob("*.yaml"),
        *(project / "terraform" / "envs").iterdir(),
    ]
    text = "\n".join(path.read_text() for path in value_files)
    partitions = set(re.findall(r"\barn:([^:\s\"]*):", text))
    images = set(re.findall(r"\.dkr\.ecr\.([a-z0-9-]+)\.([a-z.]+?)/", text))
    assert partitions == {expected_partition}
    assert images == {(case["aws_region"], ecr_domain)}


@pytest.mark.parametrize("case", CASES)
def test_the_pins_are_the_versions_launchpad_tests_with(case: Bake, baked: Bakery) -> None:
    """pyproject.toml names the project, pins every dependency exactly (launchpad, the framework's package),
    and each pin launchpad's own environment also holds is the version of requirements.lock, so `make test`
    run with launchpad's interpreter (test_project.py) tests the versions the serving image installs."""
    document: dict[str, Any] = tomllib.loads((baked(case) / "pyproject.toml").read_text())
    assert document["project"]["name"] == case.project
    assert document["project"]["description"] == case["description"]
    requirements = [
        *document["project"]["dependencies"],
        *document["project"]["optional-dependencies"]["dev"],
    ]
    pins = dict(requirement.split("==", 1) for requirement in requirements)
    assert len(pins) == len(requirements), f"not all pinned exactly: {requirements}"
    assert pins["launchpad"] == case["launchpad_version"]
    assert pins["launchpad-serving"] == case["launchpad_version"]  # all of launchpad the image installs
    assert not [r for r in document["project"]["dependencies"] if r.startswith("launchpad==")], (
        "launchpad is dev-only"
    )
    assert FRAMEWORK_PACKAGE[case["framework"]] in pins
    lock = repo_root() / "requirements.lock"
    locked = dict(line.split("==", 1) for line in lock.read_text().splitlines() if "==" in line)
    differ = {
        name: f"{version} (lock: {locked[name]})"
        for name, version in pins.items()
        if locked.get(name, version) != version
    }
    assert not differ, f"pins that differ from {lock.name}: {differ}"


@pytest.mark.parametrize("case", CASES)
def test_the_name_and_description_read_as_written(case: Bake, baked: Bakery) -> None:
    """The project name titles the README and, with the description, opens the package's docstring, as
    written (accents, apostrophes and all)."""
    project = baked(case)
    assert (project / "README.md").read_text().splitlines()[0] == f"# {case['project_name']}"
    init = project / "src" / case["project_slug"] / "__init__.py"
    docstring = ast.get_docstring(ast.parse(init.read_text())) or ""
    assert " ".join(docstring.split()) == f"{case['project_name']}: {case['description']}"


@pytest.mark.parametrize("case", CASES)
def test_the_serving_image_installs_only_launchpad_serving_and_runs_gunicorn(
    case: Bake, baked: Bakery
) -> None:
    """The Dockerfile installs launchpad-serving pinned by version and hash (requirements-serving.txt, which
    names nothing else) and the project, never launchpad itself, and its entry point is launchpad_serving's
    gunicorn server on port 8080."""
    project = baked(case)
    dockerfile = (project / "Dockerfile").read_text()
    pins = [
        line
        for line in (project / "requirements-serving.txt").read_text().splitlines()
        if line and not line.startswith(("#", "--index-url "))
    ]
    assert pins == [
        f"launchpad-serving=={case['launchpad_version']} "
        f"--hash=sha256:{case['launchpad_serving_wheel_sha256']}"
    ]
    installs = [line for line in dockerfile.splitlines() if line.startswith("RUN ") and "pip install" in line]
    assert len(installs) == 1, installs
    assert installs[0] == "RUN pip install --require-hashes --no-deps -r requirements-serving.txt \\", (
        installs
    )
    assert "    && pip install . && useradd" in dockerfile
    assert "launchpad==" not in dockerfile and "moto" not in dockerfile.replace("no moto", "")
    entrypoint = json.loads(dockerfile.split("\nENTRYPOINT ", 1)[1].splitlines()[0])
    assert entrypoint[:3] == ["python", "-m", "launchpad_serving"]
    assert entrypoint[entrypoint.index("--handler") + 1] == f"{case['project_slug']}.inference"
    assert entrypoint[entrypoint.index("--port") + 1] == "8080"


# One bake of each framework (the matrix's first): what its package imports and pins.
EACH_FRAMEWORK = [next(c for c in MATRIX if c["framework"] == name) for name in CHOICES["framework"]]


@pytest.mark.parametrize("case", [pytest.param(c, id=c.id) for c in EACH_FRAMEWORK])
def test_no_module_the_project_imports_or_pins_is_a_slug_the_hook_accepts(case: Bake, baked: Bakery) -> None:
    """Every top-level module a bake's Python imports (the standard library's, its dependencies', its own
    folders'), and every module its pinned dependencies install here, is refused as the slug: a package of
    that name would hide it. The hook reads the names from the template; this checks them against a bake."""
    from importlib import metadata

    from launchpad.scaffold import hook_platform, hook_rules, template_dir

    from .support import DEFAULTS

    project = baked(case)
    imported = set()
    for path in project.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                imported |= {alias.name.partition(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                imported.add(node.module.partition(".")[0])
    document = tomllib.loads((project / "pyproject.toml").read_text())["project"]
    requirements = [
        *document["dependencies"],
        *(r for group in document["optional-dependencies"].values() for r in group),
    ]
    pinned = {normal(re.split(r"[=<>!~;\[ ]", requirement, maxsplit=1)[0]) for requirement in requirements}
    installed = {
        module
        for module, owners in metadata.packages_distributions().items()
        if module.isidentifier() and {normal(owner) for owner in owners} & pinned
    }
    assert {"numpy", "launchpad_serving", "pytest"} <= imported | installed
    rules, platform = hook_rules(), hook_platform(template_dir())
    accepted = {
        name
        for name in (imported | installed) - {case["project_slug"], "__future__"}
        if not any(
            line.startswith("project_slug: ")
            for line in rules.problems({**DEFAULTS, "project_slug": name}, platform)
        )
    }
    assert not accepted, f"slugs the hook accepts though {case.id} imports them: {sorted(accepted)}"


def normal(distribution: str) -> str:
    """A distribution's name as pip compares them (PEP 503)."""
    return re.sub(r"[-_.]+", "-", distribution).lower()
