"""Releases: one version source, CHANGELOG.md in the Keep a Changelog format with an entry for it, and
``make release`` (launchpad.release.builder) run into a temporary folder: every artifact, SHA256SUMS that
verifies, a modules archive that is the same bytes when built twice, an SBOM of the locked dependencies, and
bad input refused with nothing written."""

from __future__ import annotations

import gzip
import json
import re
import shutil
import subprocess
import sys
import tarfile
import tomllib
from pathlib import Path

import pytest
from click.testing import CliRunner

from launchpad import __version__
from launchpad.cli import main
from launchpad.errors import ReleaseError
from launchpad.paths import repo_root
from launchpad.release import artifacts, builder, changelog, distributions, publish
from launchpad.scaffold import questions

ROOT = repo_root()
CHANGELOG = ROOT / "CHANGELOG.md"
GOOD = """# Changelog

## [Unreleased]

## [1.1.0] - 2027-02-01

### Fixed

- a fix

## [1.0.0] - 2027-01-15

### Added

- a feature
"""


# -- one version source ------------------------------------------------------------------------------------
def test_the_version_is_written_once_and_every_other_place_reads_it() -> None:
    """scripts/launchpad/VERSION is the version: the package's __version__, pyproject.toml's dynamic version,
    the CLI's --version and the template's launchpad_version default."""
    written = (ROOT / "scripts" / "launchpad" / "VERSION").read_text().strip()
    assert builder.RELEASE_VERSION.match(written), written
    assert __version__ == written
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert "version" not in pyproject["project"], "pyproject.toml writes a version of its own"
    assert "version" in pyproject["project"]["dynamic"]
    assert pyproject["tool"]["setuptools"]["dynamic"]["version"] == {"file": "scripts/launchpad/VERSION"}
    assert CliRunner().invoke(main, ["--version"]).output == f"launchpad, version {written}\n"
    assert questions()["launchpad_version"] == written
    # Another distribution in this repository reads the same file through a symlink in its own folder.
    for project in distributions.distributions(ROOT)[1:]:
        version_file = project / "VERSION"
        assert version_file.is_symlink() and version_file.resolve() == (ROOT / builder.VERSION_FILE).resolve()


def test_distributions_are_the_root_and_every_project_under_scripts(tmp_path: Path) -> None:
    for project in ("", "scripts/serving", "scripts/other"):
        (tmp_path / project).mkdir(parents=True, exist_ok=True)
        (tmp_path / project / "pyproject.toml").write_text("")
    (tmp_path / "scripts" / "launchpad").mkdir()  # a package, not a distribution
    assert distributions.distributions(tmp_path) == [
        tmp_path,
        tmp_path / "scripts" / "other",
        tmp_path / "scripts" / "serving",
    ]
    with pytest.raises(ReleaseError, match=r"has no pyproject\.toml"):
        distributions.distributions(tmp_path / "scripts" / "launchpad")


# -- CHANGELOG.md --------------------------------------------------------------------------------------
def test_the_changelog_is_keep_a_changelog_with_an_entry_for_this_version() -> None:
    assert changelog.problems(CHANGELOG) == []
    entry = changelog.entry(CHANGELOG, __version__)
    assert entry.version == __version__
    assert entry.changes, "the entry lists no change"
    assert all(kind in changelog.KINDS and items for kind, items in entry.changes.items())


def test_a_good_changelog_reads_as_written(tmp_path: Path) -> None:
    path = tmp_path / "CHANGELOG.md"
    path.write_text(GOOD)
    assert changelog.problems(path) == []
    entry = changelog.entry(path, "1.0.0")
    assert (entry.date.isoformat(), entry.changes) == ("2027-01-15", {"added": ["a feature"]})


@pytest.mark.parametrize(
    ("broken", "says"),
    [
        (GOOD.replace("2027-01-15", "15/01/2027"), "'## [1.0.0]' needs ' - YYYY-MM-DD'"),
        (GOOD.replace("2027-01-15", "2027-13-40"), "'## [1.0.0]' needs ' - YYYY-MM-DD'"),
        (GOOD.replace("## [1.0.0] - 2027-01-15", "## [1.0.0]"), "'## [1.0.0]' needs"),
        (GOOD.replace("## [Unreleased]\n\n", ""), "the first section must be '## [Unreleased]'"),
        (GOOD.replace("# Changelog", "# History"), "the first line must be '# Changelog'"),
        (GOOD.replace("### Fixed", "### Improvements"), "[1.1.0] has the section(s) improvements"),
        (GOOD.replace("2027-02-01", "2026-02-01"), "newest first"),
        (
            GOOD.replace("### Added\n\n- a feature\n", "- a feature\n"),
            "[1.0.0] has the section(s) uncategorized",
        ),
    ],
    ids=[
        "date-not-iso",
        "date-impossible",
        "no-date",
        "no-unreleased",
        "title",
        "unknown-kind",
        "order",
        "no-kind",
    ],
)
def test_a_changelog_that_breaks_the_format_is_refused_with_what_is_wrong(
    broken: str, says: str, tmp_path: Path
) -> None:
    path = tmp_path / "CHANGELOG.md"
    path.write_text(broken)
    assert any(says in problem for problem in changelog.problems(path)), changelog.problems(path)
    with pytest.raises(ReleaseError, match="not in the Keep a Changelog format"):
        changelog.entry(path, "1.0.0")


def test_a_version_without_an_entry_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "CHANGELOG.md"
    path.write_text(GOOD)
    with pytest.raises(ReleaseError, match=r"no entry for 1\.2\.0 \(it lists 1\.1\.0, 1\.0\.0\)"):
        changelog.entry(path, "1.2.0")


# -- make release ----------------------------------------------------------------------------------------
# The tests of the built release share one build: one xdist group (the suite runs --dist loadgroup).
RELEASE_TESTS = pytest.mark.xdist_group("release")


@pytest.fixture(scope="module")
def release(tmp_path_factory: pytest.TempPathFactory) -> builder.Release:
    """The release of this checkout, built once into a temporary folder (as `make release` does into
    dist/): builds the distributions in an isolated environment (setuptools from PyPI or pip's cache)."""
    return builder.build_release(ROOT, tmp_path_factory.mktemp("release") / "dist")


@RELEASE_TESTS
def test_the_release_holds_every_artifact_and_its_sums_verify(release: builder.Release) -> None:
    version = release.version
    names = sorted(path.name for path in release.out_dir.iterdir())
    expected = {
        f"launchpad-{version}.tar.gz",
        f"launchpad-{version}-py3-none-any.whl",
        f"launchpad-modules-{version}.tar.gz",
        f"launchpad-{version}.cdx.json",
        "SHA256SUMS",
    }
    for project in distributions.distributions(ROOT)[1:]:  # launchpad-serving, once it is here
        name = re.sub(
            r"[-_.]+", "_", tomllib.loads((project / "pyproject.toml").read_text())["project"]["name"]
        )
        expected |= {f"{name}-{version}.tar.gz", f"{name}-{version}-py3-none-any.whl"}
    assert set(names) == expected
    assert artifacts.verify_sums(release.out_dir) == []
    assert sorted(artifacts.read_sums(release.sums)) == sorted(expected - {"SHA256SUMS"})
    if shutil.which("sha256sum"):  # the tool RELEASING.md and the pipeline's buildspec verify with
        subprocess.run(["sha256sum", "--check", "--strict", "SHA256SUMS"], cwd=release.out_dir, check=True)


@RELEASE_TESTS
def test_a_changed_or_unlisted_artifact_fails_verification(release: builder.Release, tmp_path: Path) -> None:
    copy = shutil.copytree(release.out_dir, tmp_path / "copy")
    wheel = copy / f"launchpad-{release.version}-py3-none-any.whl"
    wheel.write_bytes(wheel.read_bytes() + b"\0")
    (copy / "extra.txt").write_text("x")
    (copy / f"launchpad-modules-{release.version}.tar.gz").unlink()
    assert artifacts.verify_sums(copy) == [
        f"{wheel.name}: its sha256 is not the one in SHA256SUMS",
        f"launchpad-modules-{release.version}.tar.gz: listed in SHA256SUMS and missing",
        "extra.txt: not listed in SHA256SUMS",
    ]


@RELEASE_TESTS
def test_the_modules_archive_is_the_same_bytes_when_built_twice(
    release: builder.Release, tmp_path: Path
) -> None:
    """Built again from the same files (later, into another folder), the archive is byte-identical: sorted
    entries, one mtime, root:root without names, gzip without a name or time. It holds every tracked file
    of modules/ and nothing else."""
    archive = release.out_dir / artifacts.modules_archive_name(release.version)
    files = builder.tracked_files(ROOT)
    (tmp_path / "again").mkdir()
    again = artifacts.modules_archive(ROOT, files, release.version, tmp_path / "again", mtime=_epoch(release))
    assert again.read_bytes() == archive.read_bytes()
    with gzip.open(archive) as stream:
        assert stream.read(1)  # a gzip stream
    assert archive.read_bytes()[4:8] == b"\0\0\0\0"  # gzip MTIME 0
    with tarfile.open(archive) as tar:
        members = tar.getmembers()
    names = [m.name for m in members]
    assert names == sorted(names)
    assert {m.mtime for m in members} == {_epoch(release)}
    assert {(m.uid, m.gid, m.uname, m.gname) for m in members} == {(0, 0, "", "")}
    tracked = {p for p in files if p.startswith("modules/")}
    assert {m.name for m in members if m.isfile()} == tracked
    assert "modules/sagemaker-endpoint/main.tf" in tracked


@RELEASE_TESTS
def test_the_sbom_is_cyclonedx_of_the_locked_dependencies(release: builder.Release) -> None:
    """The SBOM is CycloneDX 1.6 JSON, its subject launchpad at this version, with one component per line
    of requirements.lock, each with its locked version and package URL."""
    bom = json.loads((release.out_dir / f"launchpad-{release.version}.cdx.json").read_text())
    assert (bom["bomFormat"], bom["specVersion"]) == ("CycloneDX", "1.6")
    subject = bom["metadata"]["component"]
    assert (subject["name"], subject["version"]) == ("launchpad", release.version)
    locked = {
        _canonical(name): version
        for name, version in (
            line.split("==", 1)
            for line in (ROOT / "requirements.lock").read_text().splitlines()
            if "==" in line
        )
    }
    listed = {_canonical(c["name"]): c["version"] for c in bom["components"]}
    assert listed == locked
    assert all(c["purl"].startswith("pkg:pypi/") for c in bom["components"])


@RELEASE_TESTS
def test_the_wheel_carries_the_version_source(release: builder.Release) -> None:
    import zipfile

    wheel = release.out_dir / f"launchpad-{release.version}-py3-none-any.whl"
    with zipfile.ZipFile(wheel) as archive:
        assert archive.read("launchpad/VERSION").decode().strip() == release.version


@pytest.mark.parametrize(
    ("version", "says"),
    [
        ("0.1.0+dirty", "is not a release version"),
        ("0.1.0.dev3", "is not a release version"),
        (f"v{__version__}", "is not a release version"),
        ("01.2.3", "is not a release version"),
        ("9.9.9", "and scripts/launchpad/VERSION says"),
        (f"{__version__}\n", "is not a release version"),
        (f"{__version__}\u202e", "is not a release version"),
        ("\u0661.2.3", "is not a release version"),
    ],
    ids=[
        "local-dirty",
        "dev",
        "v-prefix",
        "leading-zero",
        "not-the-source",
        "trailing-newline",
        "bidi",
        "arabic-indic-digit",
    ],
)
def test_a_bad_version_is_refused_and_nothing_is_written(version: str, says: str, tmp_path: Path) -> None:
    out = tmp_path / "dist"
    with pytest.raises(ReleaseError, match=re.escape(says)):
        builder.build_release(ROOT, out, version)
    assert not out.exists()


def test_a_version_without_a_changelog_entry_is_refused_and_nothing_is_written(tmp_path: Path) -> None:
    """A checkout whose VERSION was bumped without its CHANGELOG entry: refused before any build."""
    root = tmp_path / "checkout"
    (root / "scripts" / "launchpad").mkdir(parents=True)
    (root / "scripts" / "launchpad" / "VERSION").write_text("1.2.0\n")
    (root / "CHANGELOG.md").write_text(GOOD)
    out = tmp_path / "dist"
    with pytest.raises(ReleaseError, match=r"has no entry for 1\.2\.0"):
        builder.build_release(root, out)
    assert not out.exists()


def test_an_output_folder_with_files_is_refused_and_left_as_it_was(tmp_path: Path) -> None:
    out = tmp_path / "dist"
    out.mkdir()
    (out / "old.whl").write_text("old")
    result = CliRunner().invoke(main, ["release", "build", "--checkout", str(ROOT), "--output-dir", str(out)])
    assert result.exit_code == ReleaseError.exit_code, result.output
    assert "already holds files" in result.stderr
    assert [p.name for p in out.iterdir()] == ["old.whl"]


def test_a_folder_that_is_not_a_checkout_is_refused(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        main, ["release", "build", "--checkout", str(tmp_path), "-o", str(tmp_path / "d")]
    )
    assert result.exit_code == ReleaseError.exit_code, result.output
    assert "has no scripts/launchpad/VERSION: run the release in launchpad's checkout" in result.stderr
    assert not (tmp_path / "d").exists()


def test_a_distribution_of_another_version_is_refused() -> None:
    with pytest.raises(ReleaseError, match=r"launchpad_serving-0\.0\.9-py3-none-any\.whl"):
        builder._check_versions(
            [Path("launchpad-1.0.0.tar.gz"), Path("launchpad_serving-0.0.9-py3-none-any.whl")], "1.0.0"
        )


# -- publish -----------------------------------------------------------------------------------------------
class _Bucket:
    def __init__(self) -> None:
        self.keys: list[tuple[str, str, bytes]] = []

    def upload_file(self, filename: str, bucket: str, key: str) -> None:
        self.keys.append((bucket, key, Path(filename).read_bytes()))


@RELEASE_TESTS
def test_publish_uploads_every_artifact_then_the_sums(release: builder.Release) -> None:
    s3 = _Bucket()
    keys = publish.publish(s3, "platform-artifacts", release.out_dir, release.version)
    prefix = f"releases/launchpad/{release.version}/"
    assert keys[-1] == prefix + "SHA256SUMS"
    assert sorted(keys) == sorted(prefix + p.name for p in release.out_dir.iterdir())
    assert all(bucket == "platform-artifacts" for bucket, _, _ in s3.keys)
    assert s3.keys[-1][2] == release.sums.read_bytes()


@RELEASE_TESTS
def test_publish_refuses_a_release_that_does_not_verify_and_uploads_nothing(
    release: builder.Release, tmp_path: Path
) -> None:
    copy = shutil.copytree(release.out_dir, tmp_path / "copy")
    sbom = copy / f"launchpad-{release.version}.cdx.json"
    sbom.write_text(sbom.read_text().replace("launchpad", "launchpadx", 1))
    s3 = _Bucket()
    with pytest.raises(ReleaseError, match="is not a verified release"):
        publish.publish(s3, "platform-artifacts", copy, release.version)
    assert s3.keys == []
    with pytest.raises(ReleaseError, match=r"another version than 9\.9\.9"):
        publish.publish(s3, "platform-artifacts", release.out_dir, "9.9.9")
    assert s3.keys == []


def _epoch(release: builder.Release) -> int:
    return builder.source_date_epoch(changelog.entry(CHANGELOG, release.version).date)


def _canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


# -- a baked project's pin of this release ------------------------------------------------------------------
@RELEASE_TESTS
def test_a_project_baked_with_the_release_sums_installs_only_this_wheel(
    release: builder.Release, tmp_path: Path
) -> None:
    """``launchpad new --release-sums dist/SHA256SUMS`` pins the wheels' hashes; pip --require-hashes takes
    the release's wheels from the release folder (as the offline builds do), and refuses a wheel of other
    bytes."""
    from tests.cookiecutter.support import ORGANISATION

    organisation = {k: v for k, v in ORGANISATION.items() if not k.endswith("wheel_sha256")}
    arguments = ["new", "--no-input", "--release-sums", str(release.sums), "--output-dir", str(tmp_path)]
    for key, value in {**organisation, "project_slug": "fraud"}.items():
        arguments += ["--set", f"{key}={value}"]
    result = CliRunner().invoke(main, arguments)
    assert result.exit_code == 0, result.output
    requirements = tmp_path / "fraud" / "requirements-launchpad.txt"
    wheel = f"launchpad-{release.version}-py3-none-any.whl"
    serving = f"launchpad_serving-{release.version}-py3-none-any.whl"
    sums = artifacts.read_sums(release.sums)
    assert f"--hash=sha256:{sums[wheel]}" in requirements.read_text()
    assert f"--hash=sha256:{sums[serving]}" in (requirements.parent / "requirements-serving.txt").read_text()

    def download(find_links: Path) -> subprocess.CompletedProcess[str]:
        pip = [sys.executable, "-m", "pip", "download", "--disable-pip-version-check", "--require-hashes"]
        offline = ["--no-deps", "--no-index", "--find-links", str(find_links)]
        return subprocess.run(
            [*pip, *offline, "-r", str(requirements), "--dest", str(tmp_path / find_links.name / "got")],
            capture_output=True,
            text=True,
            check=False,
        )

    done = download(release.out_dir)
    assert done.returncode == 0, done.stderr
    for name in (wheel, serving):
        got = tmp_path / release.out_dir.name / "got" / name
        assert got.read_bytes() == (release.out_dir / name).read_bytes()
    other = tmp_path / "other"
    other.mkdir()
    (other / serving).write_bytes((release.out_dir / serving).read_bytes())
    (other / wheel).write_bytes((release.out_dir / wheel).read_bytes() + b"\0")
    refused = download(other)
    assert refused.returncode != 0
    assert "DO NOT MATCH THE HASHES" in refused.stderr
    assert not list((tmp_path / "other").glob("got/*.whl"))


@pytest.mark.parametrize("value", ["/nonexistent/python", "relative-python", "/usr/bin/python3\n"], ids=repr)
def test_an_sbom_tool_setting_that_names_no_python_is_one_message(
    value: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from launchpad.errors import ToolchainError
    from launchpad.quoting import shown
    from launchpad.release import sbom

    monkeypatch.setenv(sbom.TOOL_ENV, value)
    said = f"{sbom.TOOL_ENV}={shown(value, 200)} is not a Python"
    with pytest.raises(ToolchainError, match=re.escape(said)):
        sbom.find_tool(ROOT)
