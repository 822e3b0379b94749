"""Hostile and careless YAML at the doors that read it (stage configs, model cards, the policy settings
`launchpad deploy` reads): one bounded message naming the file, the exit code, and nothing built from it."""

from __future__ import annotations

import re
import resource
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner

from launchpad.cli import main
from launchpad.deploy.config import load_stage_config
from launchpad.deploy.model_card import load_model_card
from launchpad.deploy.schema_errors import MAX_YAML_BYTES, MAX_YAML_DEPTH, read_yaml
from launchpad.errors import ConfigError
from launchpad.paths import repo_root

EXAMPLES = repo_root() / "docs" / "examples"
# Nine lines that expand to 9**8 (43 million) strings when aliases are followed.
BILLION_LAUGHS = "\n".join(
    ['lol: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    + [f"l{i}: &{chr(98 + i)} [{', '.join([f'*{chr(97 + i)}'] * 9)}]" for i in range(8)]
)
MESSAGE_LIMIT = 2000  # characters: one message a person reads, whatever the file held


def _known_field_bomb(field: str) -> str:
    """The bomb placed as the value of a field the schema knows, where the message would quote it."""
    return BILLION_LAUGHS.replace("lol: &a", f"{field}: &a", 1)


HOSTILE: dict[str, tuple[bytes, str]] = {
    "alias bomb": (BILLION_LAUGHS.encode(), r"&'a' is a YAML anchor; launchpad's files take no aliases"),
    "alias": (b"stage: *dev\n", r"\*'dev' is a YAML alias; launchpad's files take no aliases or anchors"),
    "alias bomb in a known field": (
        _known_field_bomb("stage").encode(),
        r"is a YAML anchor; .*write each value out where it is used",
    ),
    "merge key": (b"a: {b: 1}\nc:\n  <<: *x\n", r"\*'x' is a YAML alias"),
    "not UTF-8": (
        "stage: d\xe9v\n".encode("latin-1"),
        r"not UTF-8 text \(byte 0xe9 at offset 8\)",
    ),
    "UTF-16": ("stage: dev\n".encode("utf-16"), r"is not UTF-8 text \(byte 0xff at offset 0\)"),
    "nested without end": (b"stage: " + b"[" * 200_000, rf"values nested more than {MAX_YAML_DEPTH} deep"),
    "a number past Python's digit limit": (
        b"stage: " + b"9" * 10_000,
        r"a number of 10000 characters is not a usable value",
    ),
    "over the size limit": (b"stage: " + b"x" * MAX_YAML_BYTES, r"is over 1024 KiB; it should be a few KB"),
    "duplicate key": (b"stage: dev\nstage: prod\n", r"duplicate key 'stage': write each key once"),
    "a list, not a mapping": (b"- stage: dev\n", r"must be a YAML mapping \(key: value lines\), not a list"),
    "empty": (b"", r"must be a YAML mapping \(key: value lines\), not nothing"),
}

LOADERS: dict[str, Callable[[Path], object]] = {
    "stage config": load_stage_config,
    "model card": lambda path: load_model_card(path, "prod"),
    "policy config": lambda path: read_yaml(path, "policy config"),
}


@pytest.fixture(autouse=True)
def _bounded_memory() -> object:
    """A bomb that got through would take gigabytes: cap this process's address space well above what a
    test needs, so a regression fails with MemoryError instead of taking the machine down."""
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    limit = 4 << 30
    if soft != resource.RLIM_INFINITY and soft < limit:
        yield
        return
    resource.setrlimit(resource.RLIMIT_AS, (limit, hard))
    try:
        yield
    finally:
        resource.setrlimit(resource.RLIMIT_AS, (soft, hard))


@pytest.mark.parametrize("what", LOADERS)
@pytest.mark.parametrize("case", HOSTILE)
def test_hostile_yaml_gets_one_bounded_message_naming_the_file(tmp_path: Path, case: str, what: str) -> None:
    content, expected = HOSTILE[case]
    path = tmp_path / "input.yaml"
    path.write_bytes(content)
    with pytest.raises(ConfigError) as raised:
        LOADERS[what](path)
    message = str(raised.value)
    assert message.startswith(f"{path}: the {what} "), message[:200]
    assert re.search(expected, message), message[:500]
    assert len(message) < MESSAGE_LIMIT


def test_a_byte_order_mark_is_read_as_the_utf8_it_marks(tmp_path: Path) -> None:
    path = tmp_path / "bom.yaml"
    path.write_bytes("\ufeffstage: dev\n".encode())
    assert read_yaml(path, "stage config") == {"stage": "dev"}


def test_an_anchor_is_refused_too_as_the_policy_checks_refuse_it(tmp_path: Path) -> None:
    path = tmp_path / "anchor.yaml"
    path.write_text("stage: &s dev\n")
    with pytest.raises(ConfigError, match="&'s' is a YAML anchor; launchpad's files take no aliases"):
        read_yaml(path, "stage config")


@pytest.mark.parametrize("folder", [False, True])
def test_a_folder_or_missing_file_is_named(tmp_path: Path, folder: bool) -> None:
    path = tmp_path / "config"
    if folder:
        path.mkdir()
    with pytest.raises(ConfigError, match=rf"^{re.escape(str(path))}: cannot read the stage config: "):
        load_stage_config(path)


def test_launchpad_deploy_refuses_an_alias_bomb_with_exit_7_before_any_aws_call(tmp_path: Path) -> None:
    config = tmp_path / "dev.yaml"
    config.write_text((EXAMPLES / "stage-dev.yaml").read_text() + "\n" + _known_field_bomb("tags") + "\n")
    before = sorted(tmp_path.rglob("*"))
    result = CliRunner().invoke(main, ["deploy", "--config", str(config)])
    assert result.exit_code == 7, result.output
    assert "is a YAML anchor" in result.output
    assert len(result.output) < MESSAGE_LIMIT
    assert sorted(tmp_path.rglob("*")) == before


@pytest.mark.parametrize(
    "value",
    [
        "x" * 100_000,
        "dev\u202etxt.exe",
        "dev\n2026-01-01 INFO forged log line",
        "\x1b[2J\x1b[31mcleared",
    ],
    ids=["long", "bidi override", "newline", "escape sequence"],
)
def test_a_wrong_value_is_quoted_bounded_and_with_its_hidden_characters_escaped(
    tmp_path: Path, value: str
) -> None:
    document = (EXAMPLES / "stage-dev.yaml").read_text().replace("stage: dev", "stage: PLACEHOLDER", 1)
    assert "PLACEHOLDER" in document
    path = tmp_path / "dev.yaml"
    path.write_text(document.replace("PLACEHOLDER", _yaml_string(value)))
    with pytest.raises(ConfigError) as raised:
        load_stage_config(path)
    message = str(raised.value)
    assert len(message) < MESSAGE_LIMIT
    assert not {"\u202e", "\x1b"} & set(message)
    assert "forged log line" not in message.splitlines()[-1] or "\\n" in message


def test_an_unknown_key_that_is_not_a_plain_name_is_quoted_in_the_path(tmp_path: Path) -> None:
    path = tmp_path / "dev.yaml"
    path.write_text((EXAMPLES / "stage-dev.yaml").read_text() + '"evil\\u202ekey\\n": 1\n')
    with pytest.raises(ConfigError) as raised:
        load_stage_config(path)
    assert "$['evil\\u202ekey\\n']: unknown field" in str(raised.value)


def _yaml_string(value: str) -> str:
    """``value`` as a YAML double-quoted scalar (escapes for what YAML cannot hold raw)."""
    escaped = value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return '"' + escaped.replace("\x1b", "\\e").replace("\u202e", "\\u202e") + '"'


@pytest.mark.parametrize("field", ["endpoint_name", "model_package_group", "execution_role_arn", "region"])
def test_a_trailing_newline_does_not_pass_a_schema_pattern(tmp_path: Path, field: str) -> None:
    """jsonschema applies ``pattern`` with ``re.search``, where ``^...$`` takes a trailing newline: the
    schemas end theirs with ``$(?!\\n)``."""
    lines = (EXAMPLES / "stage-dev.yaml").read_text().splitlines()
    index = next(i for i, line in enumerate(lines) if line.startswith(f"{field}: "))
    value = lines[index].split(": ", 1)[1]
    lines[index] = f"{field}: {_yaml_string(value + chr(10))}"
    path = tmp_path / "dev.yaml"
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(ConfigError, match=re.escape(f"$.{field}: '{value}\\n' is not valid")):
        load_stage_config(path)
