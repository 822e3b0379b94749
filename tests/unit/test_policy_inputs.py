"""`launchpad policy`'s other front doors: scan paths, .tf files, skip comments, the controls file, the output
folder, and what checkov's stderr says about checks that raised. Each bad input gets one message and its exit
code before checkov starts (the fake checkov's ``calls.txt`` stays absent), and no report is written."""

from __future__ import annotations

import os
import signal
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from launchpad.cli import main
from launchpad.errors import PolicyError
from launchpad.paths import repo_root
from launchpad.policy import checkov, controls, skips
from tests.unit.policy_data import canned

CONTROLS = ["--controls", str(canned.CONTROLS)]
QUEUE = 'resource "aws_sqs_queue" "q" {\n  name = "q"\n}\n'


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    script = canned.fake_checkov(tmp_path)
    monkeypatch.setenv(checkov.CHECKOV_ENV, str(script))
    return script


def _policy(*args: str) -> Result:
    return CliRunner().invoke(main, ["policy", *args])


def _checkov_ran(tmp_path: Path) -> bool:
    return (tmp_path / "calls.txt").exists()


def _stack(folder: Path, text: str | bytes = QUEUE, name: str = "main.tf") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return folder


# -- scan paths ----------------------------------------------------------------------------------------------


def test_a_folder_without_terraform_is_an_error_not_a_pass(fake: Path, tmp_path: Path) -> None:
    empty = tmp_path / "docs"
    _stack(empty / ".terraform" / "modules", name="cached.tf")  # hidden folders are never scanned
    _stack(empty, name=".hidden.tf")
    (empty / "README.md").write_text("no Terraform here\n")
    also_empty = tmp_path / "nothing"
    also_empty.mkdir()
    out = tmp_path / "reports"
    result = _policy(
        str(empty), str(also_empty), str(_stack(tmp_path / "ok")), *CONTROLS, "--output-dir", str(out)
    )
    assert result.exit_code == 6, result.output
    assert f"nothing to scan: no .tf file under '{empty}', '{also_empty}' (hidden files" in result.output
    assert "ok'" not in result.output
    assert not _checkov_ran(tmp_path) and not out.exists()


def test_a_path_that_is_a_file_is_a_usage_error(fake: Path, tmp_path: Path) -> None:
    _stack(tmp_path / "stack")
    result = _policy(str(tmp_path / "stack" / "main.tf"), *CONTROLS)
    assert result.exit_code == 2 and "is a file" in result.output
    assert not _checkov_ran(tmp_path)


def test_a_subfolder_that_cannot_be_listed_stops_the_scan(
    fake: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """checkov (os.walk) and Path.rglob both pass over a folder they cannot list, without a word. As root,
    permissions do not stop a listing, so the refusal is simulated at os.scandir."""
    stack = _stack(tmp_path / "stack")
    locked = _stack(stack / "locked")
    listing = os.scandir

    def scandir(path: str | os.PathLike[str]) -> Iterator[os.DirEntry[str]]:
        if Path(path) == locked:
            raise PermissionError(13, "Permission denied", str(path))
        return listing(path)

    monkeypatch.setattr(os, "scandir", scandir)
    result = _policy(str(stack), *CONTROLS)
    assert result.exit_code == 6
    assert (
        f"'{locked}': cannot list this folder (Permission denied), so its Terraform would go unchecked"
        in (result.output)
    )
    assert not _checkov_ran(tmp_path)


def test_a_tf_name_that_is_no_readable_file_stops_the_scan(fake: Path, tmp_path: Path) -> None:
    stack = _stack(tmp_path / "stack")
    (stack / "gone.tf").symlink_to(tmp_path / "deleted.tf")
    result = _policy(str(stack), *CONTROLS)
    assert result.exit_code == 6
    assert f"'{stack}/gone.tf' is not a readable file (a dangling link?)" in result.output
    assert not _checkov_ran(tmp_path)


def test_tf_files_that_are_not_utf8_are_named_with_the_byte(fake: Path, tmp_path: Path) -> None:
    stack = _stack(tmp_path / "stack", QUEUE.replace('"q"', '"caf\xe9"').encode("latin-1"))
    _stack(stack, b"\xff\xfe" + QUEUE.encode("utf-16-le"), "utf16.tf")
    result = _policy(str(stack), *CONTROLS)
    assert result.exit_code == 6
    assert "2 Terraform file(s) cannot be scanned; save each as UTF-8 text" in result.output
    assert f"{stack}/main.tf: not UTF-8 text (byte 0xe9 at offset 29)" in result.output
    assert f"{stack}/utf16.tf: not UTF-8 text (byte 0xff at offset 0)" in result.output
    assert not _checkov_ran(tmp_path)


# -- skip comments -------------------------------------------------------------------------------------------


@contextmanager
def deadline(seconds: int) -> Iterator[None]:
    """Fail, rather than hang, if the block runs past ``seconds``: Python's regex engine checks for signals
    while it backtracks. A guard against a quadratic pattern (which took ~200 s on these lines), not a
    measurement: the linear scan takes milliseconds."""

    def expire(signum: int, frame: object) -> None:
        raise AssertionError(f"still scanning after {seconds} s: a pattern backtracks (quadratic time)")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def test_skip_comments_are_scanned_in_linear_time_on_100k_character_lines(tmp_path: Path) -> None:
    lines = [
        "#" * 100_000,
        "/" * 100_000,
        "# checkov:skip=" + " " * 100_000 + "x",
        "# checkov" + " " * 100_000,
        "#checkov:skip=CKV_" + "A" * 100_000,
        "#checkov:skip=" + "CKV_AWS_1," * 10_000 + "x",
    ]
    tf = tmp_path / "long.tf"
    tf.write_text("\n".join(lines) + "\n")
    with deadline(10):
        found = skips.malformed([tf], repo_root())
    assert [f.split(": ", 1)[0] for f in found] == [f"{tf}:3", f"{tf}:5", f"{tf}:6"]
    assert all(len(f) < 400 for f in found), "a 100 000-character comment is quoted, not echoed"


def test_lines_are_split_where_checkov_splits_them(tmp_path: Path) -> None:
    """checkov reads lines with readlines(): a form feed or U+2028 does not end one. str.splitlines() did,
    and a skip after one (with a lower-case id checkov takes and never matches) went unseen."""
    tf = tmp_path / "main.tf"
    tf.write_text('bucket = "b" # note\x0c checkov:skip=ckv_aws_18:x\n# \u2028checkov:skip=ckv_aws_19:y\n')
    found = skips.malformed([tf], repo_root())
    assert found == [f"{tf}:1: 'checkov:skip=ckv_aws_18:x'", f"{tf}:2: 'checkov:skip=ckv_aws_19:y'"]


def test_a_skip_comment_holding_characters_a_reviewer_cannot_see_is_refused(tmp_path: Path) -> None:
    tf = tmp_path / "main.tf"
    tf.write_text(
        "#checkov:skip=CKV_AWS_18:Logging \u202etluafed yb deganam\n#checkov:skip=CKV_AWS_19:\tok\n"
    )
    with pytest.raises(PolicyError) as caught:
        skips.check_comments([tf], repo_root())
    assert caught.value.exit_code == 6
    assert (
        f"{tf}:1: 'checkov:skip=CKV_AWS_18:Logging \\u202etluafed yb deganam' holds characters a reviewer "
        "cannot see (U+202E)"
    ) in str(caught.value)
    assert ":2:" not in str(caught.value)  # a tab is seen as space


# -- the controls file ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("content", "says"),
    [
        (b"frameworks: &f {HIPAA: {title: x}}\nother: *f\n", "alias"),
        ("frameworks: {HIPAA: {title: Sécurité}}\n".encode("latin-1"), "is not UTF-8 text (byte 0xe9"),
        (b"checks: {}\nchecks: {}\n", "duplicate key"),
    ],
    ids=["alias", "not-utf8", "duplicate-key"],
)
def test_a_controls_file_yaml_cannot_trust_is_refused(content: bytes, says: str, tmp_path: Path) -> None:
    path = tmp_path / "controls.yaml"
    path.write_bytes(content)
    with pytest.raises(PolicyError) as caught:
        controls.load(path)
    assert caught.value.exit_code == 6
    assert str(caught.value).startswith(f"{path}: ") and says in str(caught.value)


def test_controls_text_a_reader_cannot_see_is_refused_before_it_is_quoted(tmp_path: Path) -> None:
    """Titles and ids go into the evidence a reviewer files; a bidi override would show them reordered."""
    text = canned.CONTROLS.read_text(encoding="utf-8")
    path = tmp_path / "controls.yaml"
    path.write_text(text.replace("frameworks:\n", 'frameworks:\n  "EVIL\\u202e": {title: "x\\e[2J"}\n', 1))
    with pytest.raises(PolicyError) as caught:
        controls.load(path)
    message = str(caught.value)
    assert "$.frameworks: key 'EVIL\\u202e' is no id; write at most 200 plain characters" in message
    assert "\u202e" not in message and "\x1b" not in message


def test_a_bad_controls_file_stops_the_cli_before_checkov(fake: Path, tmp_path: Path) -> None:
    path = tmp_path / "controls.yaml"
    path.write_bytes(b"frameworks: &f {}\ncontrols: *f\n")
    result = _policy(str(canned.FIXTURE), "--controls", str(path), "--output-dir", str(tmp_path / "out"))
    assert result.exit_code == 6 and "alias" in result.output
    assert not _checkov_ran(tmp_path) and not (tmp_path / "out").exists()


# -- the output folder ---------------------------------------------------------------------------------------


def test_an_output_folder_under_a_file_is_refused_before_the_scan(fake: Path, tmp_path: Path) -> None:
    (tmp_path / "report.txt").write_text("a file\n")
    result = _policy(str(canned.FIXTURE), *CONTROLS, "--output-dir", str(tmp_path / "report.txt" / "policy"))
    assert result.exit_code == 2
    assert f"Invalid value for '--output-dir': '{tmp_path}/report.txt' is not a folder" in result.output
    assert not _checkov_ran(tmp_path)


def test_an_output_folder_that_cannot_be_written_is_refused_before_the_scan(
    fake: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """As root every folder is writable, so the read-only folder is simulated at os.access."""
    readonly = tmp_path / "readonly"
    readonly.mkdir()
    real_access = os.access
    monkeypatch.setattr(os, "access", lambda path, mode: Path(path) != readonly and real_access(path, mode))
    result = _policy(str(canned.FIXTURE), *CONTROLS, "--output-dir", str(readonly / "policy"))
    assert result.exit_code == 2
    assert f"'{readonly}' is not writable" in result.output
    assert not _checkov_ran(tmp_path) and not (readonly / "policy").exists()


# -- a check that raised inside checkov ----------------------------------------------------------------------

# checkov 3.3.30's log lines when a check raises (a chained exception here) and when an external check does
# not load, in the form it prints them; tests/policies/test_check_errors.py proves the form on the real one.
RAISED_STDERR = """\
2026-12-07 04:14:16,946 [MainThread  ] [ERROR]  Failed to run check CKV_LP_009 on /app/main.tf:aws_sqs_queue.q
Traceback (most recent call last):
  File "/checkov/common/checks/base_check.py", line 68, in run
    check_result["result"] = self.scan_entity_conf(entity_configuration, entity_type)
KeyError: 'x'

During handling of the above exception, another exception occurred:

Traceback (most recent call last):
  File "/policies/checks/required_tags.py", line 33, in _missing
_helpers.settings.SettingsError: policy settings /tmp/bad.yaml break config.schema.json:
  - $.required_tags: 'owner' is not of type 'array'
2026-12-07 04:14:16,950 [MainThread  ] [ERROR]  Failed to run check CKV_LP_009 on /app/main.tf:aws_sqs_queue.r
2026-12-07 04:14:16,951 [MainThread  ] [ERROR]  Cannot load external check 'vpc' from /policies/checks/vpc.py
Traceback (most recent call last):
SyntaxError: invalid syntax \x1b[2J
"""


def test_a_check_that_raised_inside_checkov_fails_the_run_naming_it(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    script = canned.fake_checkov(tmp_path, exit_code=1, stderr=RAISED_STDERR)
    monkeypatch.setenv(checkov.CHECKOV_ENV, str(script))
    out = tmp_path / "reports"
    result = _policy(str(canned.FIXTURE), *CONTROLS, "--output-dir", str(out))
    assert result.exit_code == 3, result.output
    assert "checkov could not run every check over tests/unit/policy_data/tf" in result.output
    assert "/policies/checks/vpc.py did not load: 'SyntaxError: invalid syntax \\x1b[2J'" in result.output
    assert (
        "CKV_LP_009 raised on 2 resource(s), e.g. tests/unit/policy_data/tf/app/main.tf:aws_sqs_queue.q: "
        "_helpers.settings.SettingsError: policy settings /tmp/bad.yaml break config.schema.json:"
    ) in result.output
    assert "\x1b" not in result.output
    assert not out.exists()
