"""Every command and group answers --help."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from launchpad.cli import main


def _commands(group: click.Group, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    found = [prefix]
    for name, command in group.commands.items():
        if isinstance(command, click.Group):
            found += _commands(command, (*prefix, name))
        else:
            found.append((*prefix, name))
    return found


@pytest.mark.parametrize("path", _commands(main), ids=lambda p: " ".join(p) or "launchpad")
def test_help_everywhere(path: tuple[str, ...]) -> None:
    result = CliRunner().invoke(main, [*path, "--help"])
    assert result.exit_code == 0, result.output
    assert "Usage:" in result.output


# -- launchpad assistant -----------------------------------------------------------------------------------
def test_assistant_evaluate_defaults_to_the_shipped_set() -> None:
    result = CliRunner().invoke(main, ["assistant", "evaluate", "--json", "--k", "1,3", "--k", "5"])
    assert result.exit_code == 0, result.output
    shown = json.loads(result.stdout)
    assert set(shown["recall"]) == {"@1", "@3", "@5"} and shown["mrr_cutoff"] == 10
    assert shown["questions"] == 60 and shown["passed"] is True and shown["below"] == {}


def test_assistant_index_then_evaluate_gates_on_min_recall(tmp_path: Path) -> None:
    written = CliRunner().invoke(main, ["assistant", "index", "--output", str(tmp_path / "index.json")])
    assert written.exit_code == 0, written.output
    assert "index of 120 passages" in written.stdout and str(tmp_path / "index.json") in written.stdout
    evaluated = ["assistant", "evaluate", "--index", str(tmp_path / "index.json")]
    passed = CliRunner().invoke(main, [*evaluated, "--min-recall", "3=0.5"])
    assert passed.exit_code == 0, passed.output
    assert passed.stdout.startswith("60 questions: recall@1 0.")
    failed = CliRunner().invoke(
        main, [*evaluated, "--min-recall", "1=0.99", "--min-recall", "2=0.1", "--json"]
    )
    assert failed.exit_code == 26
    shown = json.loads(failed.stdout)
    assert shown["passed"] is False and list(shown["below"]) == ["@1"] and "@2" in shown["recall"]
    text = CliRunner().invoke(main, [*evaluated, "--min-recall", "1=0.99"])
    assert text.exit_code == 26 and "is below the floor 0.99" in text.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["evaluate", "--min-recall", "3"], "'3' is not K=VALUE"),
        (["evaluate", "--min-recall", "3=2"], "VALUE from 0 to 1"),
        (["evaluate", "--k", "0"], "'0' is not a whole number of 1 or more"),
        (["evaluate", "--k", "x"], "'x' is not a whole number"),
    ],
)
def test_assistant_usage_errors(args: list[str], message: str) -> None:
    result = CliRunner().invoke(main, ["assistant", *args])
    assert result.exit_code == 2 and message in result.output


def test_assistant_refuses_what_it_cannot_use_and_writes_nothing(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text('{"format": "other"}')
    refused = CliRunner().invoke(main, ["assistant", "evaluate", "--index", str(bad), "--json"])
    assert refused.exit_code == 25
    assert "format is 'other'" in refused.output
    corpus = tmp_path / "corpus.jsonl"
    corpus.write_text('{"id": "p-1"}\n')
    output = tmp_path / "out" / "index.json"
    refused = CliRunner().invoke(
        main, ["assistant", "index", "--corpus", str(corpus), "--output", str(output)]
    )
    assert refused.exit_code == 25 and "line 1: title, text, source, url, licence missing" in refused.output
    assert not output.parent.exists()
    # an s3:// output needs a key, checked before anything is built or any AWS call is made
    refused = CliRunner().invoke(main, ["assistant", "index", "--output", "s3://bucket/index.json"])
    assert refused.exit_code == 25 and "needs --kms-key-id" in refused.output


def test_assistant_index_without_bm25s_names_the_extra(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "bm25s", None)
    result = CliRunner().invoke(main, ["assistant", "index", "--output", str(tmp_path / "index.json")])
    assert result.exit_code == 25
    assert "needs bm25s: pip install 'launchpad[assistant]'" in result.output
    assert not (tmp_path / "index.json").exists()
