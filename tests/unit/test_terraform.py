"""The toolchain check, mirror discovery, CLI config and error summaries (no terraform apply)."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from launchpad import terraform
from launchpad.errors import ToolchainError


def _fake_terraform(folder: Path, version_json: str) -> None:
    script = folder / "terraform"
    script.write_text(f"#!/bin/sh\necho '{version_json}'\n")
    script.chmod(script.stat().st_mode | stat.S_IEXEC)


def test_missing_terraform_names_the_fix(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(ToolchainError, match=r"not found on PATH\. Install Terraform >= 1\.5\.0"):
        terraform.terraform_version()


def test_old_terraform_is_rejected(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    _fake_terraform(tmp_path, '{"terraform_version": "1.4.6"}')
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(ToolchainError, match=r"terraform 1\.4\.6 .* is too old"):
        terraform.terraform_version()


def test_supported_terraform_version_is_read(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    _fake_terraform(tmp_path, '{"terraform_version": "1.11.4"}')
    monkeypatch.setenv("PATH", str(tmp_path))
    assert terraform.terraform_version() == (1, 11, 4)


def _mirror(root: Path) -> Path:
    (root / "registry.terraform.io" / "hashicorp" / "aws" / "5.100.0" / "linux_amd64").mkdir(parents=True)
    return root


def test_mirror_env_var_wins(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv(terraform.MIRROR_ENV, str(_mirror(tmp_path)))
    assert terraform.find_provider_mirror() == tmp_path


def test_mirror_env_var_without_provider_is_an_error(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv(terraform.MIRROR_ENV, str(tmp_path))
    with pytest.raises(ToolchainError, match=r"holds no registry\.terraform\.io/hashicorp/aws"):
        terraform.find_provider_mirror()


def test_well_known_mirror_is_found(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv(terraform.MIRROR_ENV, raising=False)
    monkeypatch.setattr(terraform, "WELL_KNOWN_MIRRORS", (tmp_path / "absent", _mirror(tmp_path / "m")))
    assert terraform.find_provider_mirror() == tmp_path / "m"


def test_no_mirror_means_registry(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv(terraform.MIRROR_ENV, raising=False)
    monkeypatch.setattr(terraform, "WELL_KNOWN_MIRRORS", (tmp_path,))
    assert terraform.find_provider_mirror() is None


def test_cli_config_uses_the_mirror_for_hashicorp_only(tmp_path: Path) -> None:
    text = terraform.render_cli_config(tmp_path, tmp_path / "cache")
    assert f'path    = "{tmp_path}"' in text
    assert 'include = ["registry.terraform.io/hashicorp/*"]' in text
    assert 'exclude = ["registry.terraform.io/hashicorp/*"]' in text
    assert "plugin_cache_dir" not in text  # an unpacked mirror is symlinked: a cache would copy it


def test_cli_config_without_mirror_shares_one_plugin_cache(tmp_path: Path) -> None:
    text = terraform.render_cli_config(None, tmp_path / "cache")
    assert f'plugin_cache_dir = "{tmp_path / "cache"}"' in text
    assert "provider_installation" not in text


def test_cli_config_is_project_local_and_idempotent(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("LAUNCHPAD_STATE_DIR", str(tmp_path / "state"))
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    first = terraform.ensure_cli_config()
    mtime = first.stat().st_mtime_ns
    second = terraform.ensure_cli_config()
    assert first == second == tmp_path / "state" / "terraform.rc"
    assert second.stat().st_mtime_ns == mtime, "a second run must not rewrite the file"
    assert not (tmp_path / "home" / ".terraformrc").exists()


def test_terraform_env_overrides_the_cli_config_and_drops_foreign_aws_vars(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("LAUNCHPAD_STATE_DIR", str(tmp_path))
    monkeypatch.setenv("AWS_PROFILE", "production")
    monkeypatch.setenv("TF_CLI_CONFIG_FILE", "/root/.terraformrc")
    env = terraform.terraform_env({"AWS_REGION": "eu-west-1"})
    assert env["TF_CLI_CONFIG_FILE"] == str(tmp_path / "terraform.rc")
    assert "AWS_PROFILE" not in env
    assert env["AWS_REGION"] == "eu-west-1"
    assert env["CHECKPOINT_DISABLE"] == "1"
    assert os.environ["AWS_PROFILE"] == "production"


def test_terraform_env_tunes_the_go_collector_unless_the_user_did(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("LAUNCHPAD_STATE_DIR", str(tmp_path))
    monkeypatch.delenv("GOGC", raising=False)
    assert terraform.terraform_env({})["GOGC"] == terraform.GO_GC_PERCENT
    monkeypatch.setenv("GOGC", "off")
    assert terraform.terraform_env({})["GOGC"] == "off"


def test_error_summary_keeps_terraform_error_blocks() -> None:
    output = (
        "Planning...\n\n"
        "╷\n│ Error: Invalid value for variable\n│ \n│   on variables.tf line 3:\n"
        "│ retention_in_days must be one of 1, 3, 5.\n╵\n"
    )
    summary = terraform.summarize_errors(output)
    assert summary.startswith("Error: Invalid value for variable")
    assert "retention_in_days must be one of 1, 3, 5." in summary
    assert "│" not in summary and "Planning" not in summary
