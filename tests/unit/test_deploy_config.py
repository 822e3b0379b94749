"""Stage configs and model cards: the example files pass, and each kind of mistake is named with its fix."""

from __future__ import annotations

import copy
import datetime
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest
import yaml
from jsonschema import Draft202012Validator

from launchpad.deploy import config as stage_config
from launchpad.deploy import model_card, stage_rules
from launchpad.deploy.config import check_stage_config, load_stage_config
from launchpad.deploy.model_card import load_model_card, validate_model_card
from launchpad.deploy.schema_errors import load_schema
from launchpad.errors import ConfigError, LaunchpadError
from launchpad.paths import repo_root

DOCS = repo_root() / "docs"
EXAMPLES = DOCS / "examples"
DELETE = object()


def example(name: str) -> dict[str, Any]:
    return yaml.safe_load((EXAMPLES / name).read_text())


def edited(document: dict[str, Any], edits: Mapping[str, Any]) -> dict[str, Any]:
    """A copy with each ``a.b.0.c`` path set to its value (DELETE removes it)."""
    document = copy.deepcopy(document)
    for dotted, value in edits.items():
        *parents, last = [int(p) if p.isdigit() else p for p in dotted.split(".")]
        node = document
        for part in parents:
            node = node[part]
        if value is DELETE:
            del node[last]
        else:
            node[last] = value
    return document


def stage_problems(document: dict[str, Any]) -> tuple[str, ...]:
    with pytest.raises(ConfigError) as raised:
        check_stage_config(document)
    return raised.value.problems


def card_problems(card: dict[str, Any], stage: str) -> tuple[str, ...]:
    with pytest.raises(ConfigError) as raised:
        validate_model_card(card, stage)
    return raised.value.problems


def assert_reported(problems: tuple[str, ...], expected: list[str]) -> None:
    """Each expected fragment is in its own problem, and nothing else is reported."""
    for fragment in expected:
        assert any(fragment in problem for problem in problems), f"{fragment!r} not in {problems}"
    assert len(problems) == len(expected), problems


# -- the examples --------------------------------------------------------------------------------------------


def test_the_dev_example_loads_with_one_default_variant() -> None:
    config = load_stage_config(EXAMPLES / "stage-dev.yaml")
    assert config.stage == "dev"
    assert [(v.name, v.weight, v.instance_type, v.initial_instance_count) for v in config.variants] == [
        ("primary", 1, "ml.m5.large", 1)
    ]
    assert config.deployment.step_size is None and not config.deployment.guarded
    assert config.data_capture.enabled is False and config.require_approved_package is False
    assert config.model_card == EXAMPLES / "model-card.yaml"


def test_the_prod_example_loads_with_compute_and_model_filled_into_its_variants() -> None:
    config = load_stage_config(EXAMPLES / "stage-prod.yaml")
    current, challenger = config.production_variants
    assert (current.name, current.weight, challenger.name, challenger.weight) == (
        "current",
        9,
        "challenger",
        1,
    )
    assert current.model == config.model
    assert challenger.model.artifact_s3_uri.endswith("/churn/1.5.0/model.tar.gz")
    assert {v.instance_type for v in config.variants} == {"ml.m5.xlarge"}
    assert config.deployment.step_size == stage_config.StepSize("CAPACITY_PERCENT", 25)
    assert config.rollback.bake_seconds == 900
    assert config.tags["data-classification"] == "phi"
    assert config.shadow_variant is None and not config.serverless


def test_defaults_come_from_the_schema() -> None:
    document = edited(example("stage-dev.yaml"), {"deployment": {"strategy": "ALL_AT_ONCE"}})
    for section in ("rollback", "autoscaling", "approval"):
        document.pop(section, None)
    config = check_stage_config(document)
    assert config.deployment.maximum_execution_timeout_in_seconds == 3600
    assert config.deployment.canary_size == stage_config.StepSize("CAPACITY_PERCENT", 10)
    assert (config.rollback.error_5xx_rate_percent, config.rollback.bake_seconds) == (1, 300)
    assert config.autoscaling.enabled is True and config.require_approved_package is True


@pytest.mark.parametrize("stage", ["dev", "staging", "prod"])
def test_the_model_card_example_is_complete_for_every_stage(stage: str) -> None:
    card = load_model_card(EXAMPLES / "model-card.yaml", stage)
    assert card["approvals"][1]["date"] == "2025-03-10", "dates stay the text they were written as"


def test_a_card_read_with_plain_yaml_dates_passes_too() -> None:
    card = example("model-card.yaml")
    assert isinstance(card["approvals"][0]["date"], datetime.date)
    validate_model_card(card, "prod")


@pytest.mark.parametrize(
    ("doc", "files"),
    [("stage-config.md", ["stage-dev.yaml", "stage-prod.yaml"]), ("model-card.md", ["model-card.yaml"])],
)
def test_the_docs_show_the_example_files_word_for_word(doc: str, files: list[str]) -> None:
    blocks = re.findall(r"```yaml\n(.*?)```", (DOCS / doc).read_text(), flags=re.DOTALL)
    for name in files:
        assert (EXAMPLES / name).read_text() in blocks, f"docs/{doc} does not show {name} as it is"


def documented_problems(doc: str) -> list[str]:
    block = re.search(r"```text\n.*? has \d+ problems:\n(.*?)```", (DOCS / doc).read_text(), flags=re.DOTALL)
    assert block, f"docs/{doc} shows no error output"
    return [line.removeprefix("  - ") for line in block.group(1).splitlines()]


def test_the_stage_config_docs_show_what_a_mutated_example_reports() -> None:
    document = edited(
        example("stage-prod.yaml"),
        {"deployment.canary_size.value": 80, "tags.owner": DELETE, "data_capture.enabled": False},
    )
    assert list(stage_problems(document)) == documented_problems("stage-config.md")


def test_the_model_card_docs_show_what_a_mutated_example_reports() -> None:
    card = edited(
        example("model-card.yaml"),
        {"evaluation.metrics.0.value": 0.71, "approvals": DELETE, "training_data.lawful_basis": DELETE},
    )
    assert list(card_problems(card, "prod")) == documented_problems("model-card.md")


def table_rows(doc: str, header: str) -> list[list[str]]:
    text = (DOCS / doc).read_text()
    table = text[text.index(header) :].split("\n\n")[0].splitlines()[2:]
    return [[cell.strip() for cell in row.strip("|").split("|")] for row in table]


def test_the_stage_rules_table_in_the_docs_is_stage_rules() -> None:
    rows = table_rows("stage-config.md", "| rule | dev | staging | prod |")
    columns = {
        "guarded strategy": "guarded_strategy",
        "instances per production variant": "min_instances",
        "serverless allowed": "serverless",
        "data capture on": "data_capture",
        "autoscaling on": "autoscaling",
        "only an Approved model package version": "approved_package_only",
        "bake window": "min_bake_seconds",
        "vpc set": "vpc",
    }
    assert len(rows) == len(columns)
    for rule, *cells in rows:
        field = next(field for label, field in columns.items() if rule.startswith(label))
        for stage, cell in zip(stage_rules.STAGES, cells, strict=True):
            value = getattr(stage_rules.STAGE_RULES[stage], field)
            shown = (
                {True: "yes", False: "no"}.get(value, str(value)) if isinstance(value, bool) else str(value)
            )
            assert cell == shown, f"{rule} for {stage}: docs say {cell}, STAGE_RULES says {shown}"


def test_the_model_card_table_in_the_docs_is_stage_requirements_and_conditions() -> None:
    rows = table_rows("model-card.md", "| field | required from | what | why |")
    documented = {row[0].strip("`"): row[1] for row in rows}
    for field in model_card.STAGE_REQUIREMENTS["prod"].fields:
        first = next(s for s in stage_rules.STAGES if field in model_card.STAGE_REQUIREMENTS[s].fields)
        assert documented.get(field) == first, f"{field}: docs say {documented.get(field)}, the table {first}"
    for condition in model_card.CONDITIONS:
        if condition.requires not in model_card.STAGE_REQUIREMENTS["prod"].fields:
            assert documented[condition.requires].startswith(f"if `{condition.when}`"), condition.requires
            assert documented[condition.requires].endswith(f"from {condition.from_stage}"), condition.requires
    assert {field for field, when in documented.items() if when == "no"} == {"risk.annex_iii_category"}


def schema_fields(schema: Mapping[str, Any], node: Mapping[str, Any], prefix: str = "") -> set[str]:
    """Every field two levels deep: ``deployment``, ``deployment.strategy``, ``variants[].name``."""
    if "$ref" in node:
        node = {**schema["$defs"][node["$ref"].split("/")[-1]], **node}
    fields = set()
    for name, sub in node.get("properties", {}).items():
        fields.add(prefix + name)
        if not prefix:
            inner = sub.get("items", sub)
            fields |= schema_fields(schema, inner, f"{name}{'[].' if 'items' in sub else '.'}")
    return fields


@pytest.mark.parametrize(
    ("doc", "schema"), [("stage-config.md", "stage-config"), ("model-card.md", "model-card")]
)
def test_every_schema_field_is_documented(doc: str, schema: str) -> None:
    loaded = load_schema(schema)
    text = (DOCS / doc).read_text()
    shown = set(re.findall(r"`([\w.\[\]-]+)`", text))
    rows = {m[1]: m[2] for m in re.finditer(r"^\| `([\w.-]+)` \|(.*)$", text, flags=re.MULTILINE)}

    def documented(field: str) -> bool:
        listed, _, item = field.partition("[].")  # a list's item fields may be shown as its shape: [{a, b}]
        return (
            field in shown
            or any(other.startswith(f"{field}.") for other in shown)
            or bool(item and re.search(rf"\[\{{[^}}]*\b{item}\b", rows.get(listed, "")))
        )

    missing = [field for field in sorted(schema_fields(loaded, loaded)) if not documented(field)]
    assert not missing, f"docs/{doc} does not document {missing}"


# -- the schemas ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["stage-config", "model-card"])
def test_the_schemas_are_valid_draft_2020_12(name: str) -> None:
    Draft202012Validator.check_schema(load_schema(name))


def test_classifications_instance_types_and_stage_tags_match_the_policy_config() -> None:
    policy = yaml.safe_load((repo_root() / "policies" / "config.yaml").read_text())
    stage = load_schema("stage-config")["properties"]["tags"]["properties"]["data-classification"]["enum"]
    card = load_schema("model-card")["properties"]["training_data"]["properties"]["data_classification"][
        "enum"
    ]
    assert stage == card == policy["data_classifications"]
    assert list(stage_config.instance_allow_list()) == policy["allowed_instance_types"]
    assert list(stage_rules.STAGE_TAGS) == policy["stage_tags"]
    assert load_schema("stage-config")["properties"]["tags"]["required"] == policy["required_tags"]


def test_stages_only_ever_add_model_card_requirements() -> None:
    dev, staging, prod = (model_card.STAGE_REQUIREMENTS[s] for s in stage_rules.STAGES)
    assert set(dev.fields) < set(staging.fields) < set(prod.fields)
    assert prod.thresholds_met and prod.approval_required and not dev.thresholds_required


def test_a_config_error_is_a_launchpad_error_with_exit_code_7() -> None:
    assert issubclass(ConfigError, LaunchpadError) and ConfigError.exit_code == 7


# -- bad stage configs ---------------------------------------------------------------------------------------

STAGE_CASES = [
    (
        "canary_of_80_percent",
        "stage-prod.yaml",
        {"deployment.canary_size.value": 80},
        ["$.deployment.canary_size.value: 80 is greater than the maximum of 50; write at most 50"],
    ),
    (
        "single_instance_canary",
        "stage-dev.yaml",
        {"deployment.strategy": "CANARY"},
        [
            "$.compute.initial_instance_count: 1 instance(s), 2 needed (CANARY moves traffic between "
            "instances "
            "in steps); write 2 or more, or use strategy: ALL_AT_ONCE"
        ],
    ),
    (
        "rolling_with_serverless",
        "stage-dev.yaml",
        {
            "compute": {"serverless": {"memory_size_in_mb": 2048, "max_concurrency": 10}},
            "deployment.strategy": "ROLLING",
        },
        ["$.deployment.strategy: ROLLING does not support serverless endpoints; use CANARY or LINEAR"],
    ),
    (
        "rolling_with_two_production_variants",
        "stage-prod.yaml",
        {"deployment": {"strategy": "ROLLING"}},
        ["$.deployment.strategy: ROLLING does not support 2 production variants"],
    ),
    (
        "unknown_strategy",
        "stage-prod.yaml",
        {"deployment.strategy": "BLUE_GREEN"},
        ["$.deployment.strategy: 'BLUE_GREEN' is not allowed; write ALL_AT_ONCE, CANARY or LINEAR"],
    ),
    (
        "weights_all_zero",
        "stage-prod.yaml",
        {"variants.0.weight": 0, "variants.1.weight": 0},
        ["$.variants: every production variant has weight 0, so none would get traffic"],
    ),
    (
        "duplicate_variant_names",
        "stage-prod.yaml",
        {"variants.1.name": "current"},
        ["$.variants[1].name: 'current' is the name of $.variants[0] too; give every variant its own name"],
    ),
    (
        "missing_owner_tag",
        "stage-dev.yaml",
        {"tags.owner": DELETE},
        ["$.tags.owner: missing; write the owning team or person"],
    ),
    (
        "bad_data_classification",
        "stage-dev.yaml",
        {"tags.data-classification": "secret"},
        ["$.tags.data-classification: 'secret' is not allowed; write one of public, internal, confidential"],
    ),
    (
        "prod_without_data_capture",
        "stage-prod.yaml",
        {"data_capture": {"enabled": False}},
        ["$.data_capture.enabled: prod captures requests and responses"],
    ),
    (
        "prod_capturing_zero_percent",
        "stage-prod.yaml",
        {"data_capture.sampling_percentage": 0},
        ["$.data_capture.sampling_percentage: 0% captures nothing"],
    ),
    (
        "prod_all_at_once",
        "stage-prod.yaml",
        {"deployment": {"strategy": "ALL_AT_ONCE"}},
        ["$.deployment.strategy: prod deploys in steps that roll back on an alarm, not ALL_AT_ONCE"],
    ),
    (
        "prod_single_instance",
        "stage-prod.yaml",
        {"compute.initial_instance_count": 1, "autoscaling.min_capacity": 1},
        [
            "$.compute.initial_instance_count: 1 instance(s), 2 needed (CANARY moves traffic between "
            "instances "
            "in steps; prod keeps serving when an instance fails); write 2 or more",
            "$.autoscaling.min_capacity: CANARY needs at least 2 instances, and autoscaling may scale in",
        ],
    ),
    (
        "prod_serverless",
        "stage-prod.yaml",
        {"compute": {"serverless": {"memory_size_in_mb": 2048, "max_concurrency": 10}}},
        [
            "$.variants: a serverless endpoint serves one variant, this lists 2",
            "$.data_capture.enabled: serverless endpoints do not support data capture",
            "$.vpc: serverless endpoints cannot run in a VPC",
            "$.compute.serverless: prod endpoints run on instances",
        ],
    ),
    (
        "staging_serverless",
        "stage-dev.yaml",
        {
            "stage": "staging",
            "compute": {"serverless": {"memory_size_in_mb": 2048, "max_concurrency": 10}},
            "data_capture.enabled": False,
        },
        [
            "$.compute.serverless: staging endpoints run on instances",
            "$.deployment.strategy: staging deploys in steps that roll back on an alarm",
            "$.vpc: missing: staging models run in private subnets",
        ],
    ),
    (
        "serverless_in_a_vpc",
        "stage-dev.yaml",
        {
            "compute": {"serverless": {"memory_size_in_mb": 2048, "max_concurrency": 10}},
            "data_capture.enabled": False,
            "vpc": {"subnet_ids": ["subnet-0a1b2c3d"], "security_group_ids": ["sg-0a1b2c3d"]},
        },
        ["$.vpc: serverless endpoints cannot run in a VPC; remove vpc"],
    ),
    (
        "prod_serving_unapproved_versions",
        "stage-prod.yaml",
        {"approval.require_approved_package": False},
        [
            "$.approval.require_approved_package: prod deploys only a model package version with status "
            "Approved"
        ],
    ),
    (
        "prod_bake_window_too_short",
        "stage-prod.yaml",
        {"rollback.bake_seconds": 60},
        ["$.rollback.bake_seconds: 60 s; prod watches the rollback alarms 300 s or more"],
    ),
    (
        "staging_all_at_once",
        "stage-dev.yaml",
        {
            "stage": "staging",
            "vpc": {"subnet_ids": ["subnet-0a1b2c3d"], "security_group_ids": ["sg-0a1b2c3d"]},
        },
        ["$.deployment.strategy: staging deploys in steps that roll back on an alarm, not ALL_AT_ONCE"],
    ),
    (
        "prod_without_a_vpc",
        "stage-prod.yaml",
        {"vpc": DELETE},
        ["$.vpc: missing: prod models run in private subnets"],
    ),
    (
        "missing_execution_role",
        "stage-dev.yaml",
        {"execution_role_arn": DELETE},
        ["$.execution_role_arn: missing; write an IAM role ARN"],
    ),
    (
        "bad_subnet_id",
        "stage-prod.yaml",
        {"vpc.subnet_ids": ["subnet-XYZ"]},
        ["$.vpc.subnet_ids[0]: 'subnet-XYZ' is not valid; write a subnet id"],
    ),
    (
        "unknown_stage",
        "stage-dev.yaml",
        {"stage": "qa"},
        ["$.stage: 'qa' is not allowed; write dev, staging or prod"],
    ),
    (
        "linear_step_of_60_percent",
        "stage-prod.yaml",
        {"deployment": {"strategy": "LINEAR", "linear_step_size": {"type": "CAPACITY_PERCENT", "value": 60}}},
        ["$.deployment.linear_step_size.value: 60 is greater than the maximum of 50; write 10 to 50"],
    ),
    (
        "rolling_batch_of_3_percent",
        "stage-dev.yaml",
        {
            "compute.initial_instance_count": 4,
            "deployment": {
                "strategy": "ROLLING",
                "rolling_batch_size": {"type": "CAPACITY_PERCENT", "value": 3},
            },
        },
        ["$.deployment.rolling_batch_size.value: 3 is less than the minimum of 5; write 5 to 50"],
    ),
    (
        "canary_of_every_instance",
        "stage-prod.yaml",
        {"deployment.canary_size": {"type": "INSTANCE_COUNT", "value": 2}},
        [
            "$.deployment.canary_size.value: 2 instances are 100% of the smallest fleet (2 instances, "
            "$.compute.initial_instance_count); CANARY moves 1-50% at a time; write 1 to 1"
        ],
    ),
    (
        "waits_longer_than_the_timeout",
        "stage-prod.yaml",
        {"deployment.wait_interval_in_seconds": 3600, "deployment.termination_wait_in_seconds": 3600},
        [
            "$.deployment.maximum_execution_timeout_in_seconds: 3600 s leaves no time for the rollout's "
            "waits: "
            "2 x wait_interval_in_seconds + termination_wait_in_seconds = 10800 s; write more than 10800"
        ],
    ),
    (
        "out_of_range_waits",
        "stage-prod.yaml",
        {"deployment.wait_interval_in_seconds": 4000, "deployment.maximum_execution_timeout_in_seconds": 300},
        [
            "$.deployment.maximum_execution_timeout_in_seconds: 300 is less than the minimum of 600",
            "$.deployment.wait_interval_in_seconds: 4000 is greater than the maximum of 3600",
        ],
    ),
    (
        "step_size_of_another_strategy",
        "stage-dev.yaml",
        {"deployment.linear_step_size": {"type": "CAPACITY_PERCENT", "value": 20}},
        ["$.deployment.linear_step_size: applies to LINEAR only, the strategy is ALL_AT_ONCE"],
    ),
    (
        "both_instances_and_serverless",
        "stage-dev.yaml",
        {"compute.serverless": {"memory_size_in_mb": 2048, "max_concurrency": 10}},
        ["$.compute: sets both instance_type and serverless"],
    ),
    (
        "instance_type_without_a_count",
        "stage-dev.yaml",
        {"compute.initial_instance_count": DELETE},
        ["$.compute.initial_instance_count: missing (needed with instance_type)"],
    ),
    (
        "instance_type_outside_the_allow_list",
        "stage-dev.yaml",
        {"compute.instance_type": "ml.p4d.24xlarge"},
        ["$.compute.instance_type: ml.p4d.24xlarge is not in the platform's instance allow-list"],
    ),
    (
        "instance_type_the_allow_list_matches_but_sagemaker_does_not_host",
        "stage-dev.yaml",
        {"compute.instance_type": "ml.m5.huge"},
        [
            "$.compute.instance_type: ml.m5.huge matches the allow-list but is not a SageMaker hosting "
            "instance type (CreateEndpointConfig refuses it); use one of the ml.m5 sizes: ml.m5.12xlarge, "
            "ml.m5.24xlarge, ml.m5.2xlarge, ml.m5.4xlarge, ml.m5.large, ml.m5.xlarge"
        ],
    ),
    (
        "variant_instance_type_of_no_family_sagemaker_hosts",
        "stage-prod.yaml",
        {
            "variants": [
                {"name": "a", "weight": 1, "instance_type": "ml.q9.large", "initial_instance_count": 2}
            ]
        },
        [
            "$.variants[0].instance_type: ml.q9.large is not a SageMaker hosting instance type "
            "(CreateEndpointConfig refuses it); write an instance type SageMaker hosts, such as ml.m5.large"
        ],
    ),
    (
        "shadow_beside_two_production_variants",
        "stage-prod.yaml",
        {
            "variants": [
                {"name": "a", "weight": 1},
                {"name": "b", "weight": 1},
                {"name": "c", "weight": 1, "shadow": True},
            ]
        },
        ["$.variants[2].shadow: a shadow variant needs exactly one production variant, there are 2"],
    ),
    (
        "capture_on_without_a_destination",
        "stage-dev.yaml",
        {"data_capture": {"enabled": True}},
        [
            "$.data_capture.destination_s3_uri: missing; write the s3:// prefix in the data-capture bucket",
            "$.data_capture.kms_key_arn: missing",
        ],
    ),
    (
        "max_capacity_below_min_capacity",
        "stage-prod.yaml",
        {"autoscaling.max_capacity": 1},
        ["$.autoscaling.max_capacity: 1 is below min_capacity 2"],
    ),
    (
        "kms_key_in_another_region",
        "stage-dev.yaml",
        {"model.kms_key_arn": "arn:aws:kms:us-east-1:111122223333:key/0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0"},
        ["$.model.kms_key_arn: the key is in us-east-1, the endpoint in eu-west-1"],
    ),
    (
        "capture_key_in_another_region",
        "stage-prod.yaml",
        {
            "data_capture.kms_key_arn": "arn:aws:kms:us-east-1:444455556666:key/0f1e2d3c-4b5a-6978-8796-"
            "a5b4c3d2e1f0"
        },
        [
            "$.data_capture.kms_key_arn: the key is in us-east-1, the endpoint in eu-west-1; use a key in "
            "eu-west-1 (SageMaker encrypts the captures in the endpoint's region)"
        ],
    ),
    (
        "stage_tag_naming_another_stage",
        "stage-dev.yaml",
        {"tags.environment": "prod"},
        ["$.tags.environment: 'prod' names another stage than this file's (dev)"],
    ),
    (
        "image_without_a_tag",
        "stage-dev.yaml",
        {"model.image_uri": "111122223333.dkr.ecr.eu-west-1.amazonaws.com/churn"},
        [
            "$.model.image_uri: '111122223333.dkr.ecr.eu-west-1.amazonaws.com/churn' is not valid; "
            "write an ECR image"
        ],
    ),
    (
        "misspelt_field",
        "stage-dev.yaml",
        {"deployment.stratgy": "CANARY"},
        ["$.deployment.stratgy: unknown field; did you mean strategy?"],
    ),
    (
        "number_as_text",
        "stage-dev.yaml",
        {"deployment.wait_interval_in_seconds": "600"},
        ["$.deployment.wait_interval_in_seconds: expected a whole number, got text; write 0 to 3600 seconds"],
    ),
]


@pytest.mark.parametrize(
    ("base", "edits", "expected"), [c[1:] for c in STAGE_CASES], ids=[c[0] for c in STAGE_CASES]
)
def test_a_bad_stage_config_is_reported_with_its_fix(
    base: str, edits: dict[str, Any], expected: list[str]
) -> None:
    assert_reported(stage_problems(edited(example(base), edits)), expected)


def test_every_problem_of_a_stage_config_is_reported_at_once() -> None:
    cases = [c for c in STAGE_CASES if c[1] == "stage-prod.yaml"]
    edits = {}
    for name in ("canary_of_80_percent", "duplicate_variant_names", "prod_without_data_capture"):
        edits |= next(c[2] for c in cases if c[0] == name)
    edits |= {"tags.owner": DELETE, "tags.data-classification": "secret", "stage": "prod"}
    edits |= {"approval.require_approved_package": False, "compute.instance_type": "ml.p4d.24xlarge"}
    problems = stage_problems(edited(example("stage-prod.yaml"), edits))
    assert_reported(
        problems,
        [
            "$.deployment.canary_size.value: 80 is greater than the maximum of 50",
            "$.tags.owner: missing",
            "$.tags.data-classification: 'secret' is not allowed",
            "$.variants[1].name: 'current' is the name of $.variants[0] too",
            "$.compute.instance_type: ml.p4d.24xlarge is not in the platform's instance allow-list",
            "$.data_capture.enabled: prod captures requests and responses",
            "$.approval.require_approved_package: prod deploys only",
        ],
    )


def test_the_error_message_lists_every_problem_under_the_file_name(tmp_path: Path) -> None:
    path = tmp_path / "prod.yaml"
    path.write_text(yaml.safe_dump(edited(example("stage-prod.yaml"), {"stage": "qa", "region": "eu west"})))
    with pytest.raises(ConfigError) as raised:
        load_stage_config(path)
    assert str(raised.value).splitlines() == [
        f"stage config {path} has 2 problems:",
        "  - $.region: 'eu west' is not valid; write an AWS region code, e.g. eu-west-1",
        "  - $.stage: 'qa' is not allowed; write dev, staging or prod",
    ]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("stage: dev\nstage: prod\n", "duplicate key 'stage': write each key once"),
        ("- a list\n", "must be a YAML mapping (key: value lines), not a list"),
        ("stage: [dev\n", "is not valid YAML"),
    ],
    ids=["duplicate_key", "not_a_mapping", "not_yaml"],
)
def test_a_file_that_is_not_one_yaml_mapping_is_refused(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "dev.yaml"
    path.write_text(text)
    with pytest.raises(ConfigError, match=re.escape(message)):
        load_stage_config(path)


def test_a_missing_file_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read the stage config"):
        load_stage_config(tmp_path / "nowhere.yaml")


# -- bad model cards -----------------------------------------------------------------------------------------

CARD_CASES = [
    (
        "prod_without_approvals",
        "prod",
        {"approvals": DELETE},
        ["$.approvals: missing, required for prod; list the approvals"],
    ),
    (
        "prod_approval_of_another_version",
        "prod",
        {"approvals.1.version": "1.3.0"},
        ["$.approvals: no approval of version 1.4.0 for prod"],
    ),
    (
        "prod_metric_below_its_threshold",
        "prod",
        {"evaluation.metrics.0.value": 0.71},
        ["$.evaluation.metrics[0].value: auc 0.71 is below its threshold 0.8; prod deploys only a model"],
    ),
    (
        "prod_lower_is_better_metric_above_its_threshold",
        "prod",
        {"evaluation.metrics.1.value": 0.2},
        ["$.evaluation.metrics[1].value: brier_score 0.2 is above its threshold 0.09"],
    ),
    (
        "prod_subgroup_below_its_threshold",
        "prod",
        {"evaluation.subgroups.1.value": 0.6},
        ["$.evaluation.subgroups[1].value: auc 0.6 for age_band 65+ is below its threshold 0.78"],
    ),
    (
        "prod_missing_stop_procedure",
        "prod",
        {"human_oversight.stop_procedure": DELETE},
        [
            "$.human_oversight.stop_procedure: missing, required for prod; write how and by whom the "
            "model is stopped"
        ],
    ),
    (
        "prod_with_empty_limitations",
        "prod",
        {"limitations": []},
        ["$.limitations: missing, required for prod"],
    ),
    (
        "staging_metric_without_a_threshold",
        "staging",
        {"evaluation.metrics.0.threshold": DELETE, "evaluation.metrics.0.direction": DELETE},
        ["$.evaluation.metrics[0].threshold: missing, required for staging"],
    ),
    (
        "threshold_without_a_direction",
        "dev",
        {"evaluation.metrics.0.direction": DELETE},
        ["$.evaluation.metrics[0].direction: missing (needed with threshold); write higher_is_better"],
    ),
    (
        "phi_without_a_lawful_basis",
        "dev",
        {"training_data.lawful_basis": DELETE, "training_data.hipaa_basis": DELETE},
        [
            "$.training_data.lawful_basis: missing, required as training_data.data_classification is phi "
            "(GDPR Art. 6",
            "$.training_data.hipaa_basis: missing, required as training_data.data_classification is phi "
            "(HIPAA",
        ],
    ),
    (
        "prohibited_practice",
        "dev",
        {"risk.classification": "prohibited"},
        ["$.risk.classification: a prohibited AI practice (EU AI Act Art. 5) may not be put into service"],
    ),
    (
        "high_risk_in_staging_without_oversight",
        "staging",
        {"risk.classification": "high", "human_oversight": DELETE},
        ["$.human_oversight.measures: missing, required as risk.classification is high (EU AI Act Art. 14"],
    ),
    (
        "limited_risk_in_staging_without_a_disclosure",
        "staging",
        {"risk.transparency_disclosure": DELETE},
        [
            "$.risk.transparency_disclosure: missing, required as risk.classification is limited "
            "(EU AI Act Art. 50"
        ],
    ),
    (
        "unknown_risk_class",
        "dev",
        {"risk.classification": "unacceptable"},
        [
            "$.risk.classification: 'unacceptable' is not allowed; write one of prohibited, high, "
            "limited, minimal"
        ],
    ),
    (
        "version_as_a_number",
        "dev",
        {"model_details.version": 1.4},
        ["$.model_details.version: expected text, got a number (quote it in YAML)"],
    ),
    (
        "impossible_approval_date",
        "prod",
        {"approvals.0.date": "2025-02-30"},
        ["$.approvals[0].date: '2025-02-30' is not a date; write the date as YYYY-MM-DD"],
    ),
    (
        "misspelt_field",
        "dev",
        {"model_details.licence": "MIT"},
        ["$.model_details.licence: unknown field; did you mean license?"],
    ),
]


@pytest.mark.parametrize(
    ("stage", "edits", "expected"), [c[1:] for c in CARD_CASES], ids=[c[0] for c in CARD_CASES]
)
def test_a_bad_model_card_is_reported_by_path(stage: str, edits: dict[str, Any], expected: list[str]) -> None:
    assert_reported(card_problems(edited(example("model-card.yaml"), edits), stage), expected)


def test_every_problem_of_a_model_card_is_reported_at_once() -> None:
    edits = {
        "approvals": DELETE,
        "evaluation.metrics.0.value": 0.5,
        "training_data.lawful_basis": DELETE,
        "model_details.version": 1.4,
        "monitoring": DELETE,
    }
    assert_reported(
        card_problems(edited(example("model-card.yaml"), edits), "prod"),
        [
            "$.approvals: missing, required for prod",
            "$.evaluation.metrics[0].value: auc 0.5 is below its threshold 0.8",
            "$.training_data.lawful_basis: missing",
            "$.model_details.version: expected text, got a number",
            "$.monitoring.drift: missing, required for prod",
            "$.monitoring.business_metrics: missing, required for prod",
            "$.monitoring.incident_contact: missing, required for prod",
        ],
    )


def test_dev_needs_the_basics_and_staging_names_everything_it_adds() -> None:
    card = {
        "schema_version": 1,
        "model_details": {
            "name": "churn",
            "version": "0.1.0",
            "owners": [{"name": "team", "contact": "t@x"}],
        },
        "intended_use": {"primary_uses": ["rank members by churn risk"]},
        "risk": {"classification": "minimal"},
        "training_data": {"data_classification": "internal"},
    }
    validate_model_card(card, "dev")
    problems = card_problems(card, "staging")
    assert [p.split(":")[0] for p in problems] == [
        "$.model_details.description",
        "$.model_details.architecture",
        "$.model_details.license",
        "$.intended_use.out_of_scope_uses",
        "$.risk.rationale",
        "$.training_data.sources",
        "$.training_data.retention",
        "$.evaluation.datasets",
        "$.evaluation.metrics",
        "$.limitations",
    ]
    assert all("required for staging" in p for p in problems)


def test_an_unknown_stage_is_refused_before_the_card_is_read() -> None:
    with pytest.raises(
        ConfigError, match="unknown stage 'qa' for the model card: write one of dev, staging, prod"
    ):
        validate_model_card(example("model-card.yaml"), "qa")
