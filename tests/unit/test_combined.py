"""Several root modules validated in one Terraform process: each keeps its own verdict."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from launchpad import combined
from launchpad.terraform import terraform_env


def _folder(path: Path, text: str) -> Path:
    path.mkdir(parents=True)
    (path / "main.tf").write_text(text)
    return path


def test_each_folder_gets_its_own_errors_and_those_of_the_modules_it_calls(tmp_path: Path) -> None:
    broken = _folder(tmp_path / "modules" / "broken", 'output "x" {\n  value = var.nope\n}\n')
    caller = _folder(tmp_path / "modules" / "caller", 'module "b" {\n  source = "../broken"\n}\n')
    # A required variable with a validation: validated as a root, its value is unknown, so it passes.
    good = _folder(
        tmp_path / "good",
        'variable "v" {\n  type = string\n  validation {\n    condition     = length(var.v) > 3\n'
        '    error_message = "too short"\n  }\n}\noutput "o" {\n  value = var.v\n}\n',
    )
    workdir = tmp_path / "work"
    workdir.mkdir()
    errors = combined.validate_together([broken, caller, good], workdir, terraform_env({}))
    assert errors[good] == []
    assert len(errors[broken]) == 1 and "undeclared input variable" in errors[broken][0]
    assert errors[caller] == errors[broken], "a folder that calls a broken module fails on its own too"


def test_every_declared_variable_is_passed_an_unknown_value(tmp_path: Path) -> None:
    root = _folder(tmp_path / "root", 'variable "a" {}\nvariable "b" {\n  default = 1\n}\n')
    workdir = tmp_path / "work"
    workdir.mkdir()
    document = json.loads(combined.write_root([root], workdir).read_text())
    unknown = "${var.unknown}"
    assert document["module"] == {"root_0": {"source": "../root", "a": unknown, "b": unknown}}
    assert document["variable"] == {"unknown": {"type": "any"}}


def test_local_modules_are_followed_at_any_depth_but_not_remote_ones(tmp_path: Path) -> None:
    bucket = _folder(tmp_path / "modules" / "bucket", "")
    pipeline = _folder(tmp_path / "modules" / "pipeline", 'module "b" {\n  source = "../bucket"\n}\n')
    root = _folder(
        tmp_path / "root",
        'module "p" {\n  source = "../modules/pipeline"\n}\n'
        'module "r" {\n  source = "git::https://example.com/m.git"\n}\n',
    )
    assert combined.local_modules(root) == {bucket.resolve(), pipeline.resolve()}


def _error(summary: str, filename: str | None = None, context: str | None = None) -> dict[str, Any]:
    diagnostic: dict[str, Any] = {"severity": "error", "summary": summary, "detail": ""}
    if filename:
        diagnostic["range"] = {"filename": filename, "start": {"line": 1}}
    if context:
        diagnostic["snippet"] = {"context": context}
    return diagnostic


def test_an_error_no_folder_owns_fails_every_folder_and_a_call_site_error_its_call(tmp_path: Path) -> None:
    one, two = _folder(tmp_path / "one", ""), _folder(tmp_path / "two", "")
    workdir = tmp_path / "work"
    workdir.mkdir()
    diagnostics = [
        _error("no file"),
        _error("at the call", "main.tf.json", "module.root_1"),
        {"severity": "warning", "summary": "ignored", "range": {"filename": "../one/main.tf"}},
    ]
    errors = combined.attribute(diagnostics, [one, two], workdir)
    assert [e.splitlines()[0] for e in errors[one]] == ["Error: no file"]
    assert [e.splitlines()[0] for e in errors[two]] == ["Error: no file", "Error: at the call"]
