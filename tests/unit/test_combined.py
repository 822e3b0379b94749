"""Several root modules validated in one Terraform process: each keeps its own verdict."""

from __future__ import annotations

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
    [span] = combined.write_root([combined.unknown_call(root)], workdir)
    lines = (workdir / "main.tf").read_text().splitlines()
    block = lines[span.start - 1 : span.stop - 1]
    assert block == [
        'module "root_0" {',
        '  source = "../root"',
        "  a = var.unknown",
        "  b = var.unknown",
        "}",
    ]


def test_values_are_written_as_literals_and_a_body_as_it_is(tmp_path: Path) -> None:
    root = _folder(tmp_path / "root", "")
    call = combined.Call(root, {"name": "x-${y}", "counts": {"min": 1}}, body='region = "eu-west-2"\n')
    combined.write_root([call], tmp_path)
    text = (tmp_path / "main.tf").read_text()
    assert '  name = "x-$${y}"' in text and '  counts = {"min": 1}' in text
    assert 'region = "eu-west-2"' in text


def test_local_modules_are_followed_at_any_depth_but_not_remote_ones(tmp_path: Path) -> None:
    bucket = _folder(tmp_path / "modules" / "bucket", "")
    pipeline = _folder(tmp_path / "modules" / "pipeline", 'module "b" {\n  source = "../bucket"\n}\n')
    root = _folder(
        tmp_path / "root",
        'module "p" {\n  source = "../modules/pipeline"\n}\n'
        'module "r" {\n  source = "git::https://example.com/m.git"\n}\n',
    )
    assert combined.local_modules(root) == {bucket.resolve(), pipeline.resolve()}


def _error(
    summary: str, filename: str | None = None, context: str | None = None, line: int = 1
) -> dict[str, Any]:
    diagnostic: dict[str, Any] = {"severity": "error", "summary": summary, "detail": ""}
    if filename:
        diagnostic["range"] = {"filename": filename, "start": {"line": line}}
    if context:
        diagnostic["snippet"] = {"context": context}
    return diagnostic


def test_an_error_no_folder_owns_fails_every_folder_and_a_call_site_error_its_call(tmp_path: Path) -> None:
    one, two = _folder(tmp_path / "one", ""), _folder(tmp_path / "two", "")
    workdir = tmp_path / "work"
    workdir.mkdir()
    diagnostics = [
        _error("no file"),
        _error("at the call", "main.tf", None, line=12),
        {"severity": "warning", "summary": "ignored", "range": {"filename": "../one/main.tf"}},
    ]
    errors = combined.attribute(diagnostics, [one, two], workdir, [range(6, 10), range(11, 15)])
    assert [e.splitlines()[0] for e in errors[one]] == ["Error: no file"]
    assert [e.splitlines()[0] for e in errors[two]] == ["Error: no file", "Error: at the call"]
