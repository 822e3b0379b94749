"""The assistant's Lambda zip (launchpad.assistant.lambda_zip): the shipped file is current, deterministic,
holds exactly the handler's modules, and the handler imports from it alone in a Python that has the
standard library and boto3 only (as the Lambda Python runtime has)."""

from __future__ import annotations

import importlib
import io
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from launchpad.assistant import lambda_zip
from launchpad.paths import modules_dir

SHIPPED = modules_dir() / "inference-api" / "lambda" / "assistant.zip"
MODULES = {
    "launchpad/__init__.py",
    "launchpad/assistant/__init__.py",
    "launchpad/assistant/handler.py",
    "launchpad/assistant/phi.py",
    "launchpad/assistant/retrieval.py",
    "launchpad/assistant/tokens.py",
    "launchpad/monitor/__init__.py",
    "launchpad/monitor/feedback_store.py",
    "launchpad/monitor/labels.py",
}


def test_the_shipped_zip_is_the_one_the_sources_make() -> None:
    assert SHIPPED.read_bytes() == lambda_zip.function_zip(), (
        f"{SHIPPED} is stale: python -m launchpad.assistant.lambda_zip --zip {SHIPPED}"
    )
    assert lambda_zip.main(["--zip", str(SHIPPED), "--check"]) == 0


def test_the_zip_holds_exactly_the_handlers_modules_sorted_with_fixed_times_and_modes() -> None:
    with zipfile.ZipFile(io.BytesIO(lambda_zip.function_zip())) as archive:
        infos = archive.infolist()
        names = [info.filename for info in infos]
        assert names == sorted(MODULES)
        assert {(i.date_time, i.external_attr >> 16, i.compress_type) for i in infos} == {
            ((1980, 1, 1, 0, 0, 0), 0o100644, zipfile.ZIP_STORED)
        }
        init = archive.read("launchpad/__init__.py").decode()
        assert "VERSION" not in init and "import" not in init
        assert (
            archive.read("launchpad/assistant/handler.py")
            == Path(lambda_zip.__file__).with_name("handler.py").read_bytes()
        )


def test_writing_and_checking(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "lambda" / "assistant.zip"
    assert lambda_zip.main(["--zip", str(target), "--check"]) == 1
    assert not target.exists()
    assert lambda_zip.main(["--zip", str(target)]) == 0
    assert target.read_bytes() == lambda_zip.function_zip()
    assert capsys.readouterr().out.strip() == lambda_zip.base64_sha256(target.read_bytes())
    target.write_bytes(b"old")
    assert lambda_zip.main(["--zip", str(target), "--check"]) == 1


def test_a_module_importing_what_lambda_lacks_is_refused(tmp_path: Path) -> None:
    package = tmp_path / "launchpad" / "assistant"
    package.mkdir(parents=True)
    (package / "handler.py").write_text(
        "from typing import TYPE_CHECKING\nfrom launchpad.assistant import helper\n"
        "if TYPE_CHECKING:\n    import mypy_boto3_s3\n"
    )
    (package / "helper.py").write_text("import boto3\n\ndef f():\n    import numpy\n")
    with pytest.raises(lambda_zip.ZipError, match=r"numpy \(imported by launchpad.assistant.helper\)"):
        lambda_zip.closure("launchpad.assistant.handler", tmp_path)
    (package / "helper.py").write_text("import boto3, json\n")
    assert set(lambda_zip.closure("launchpad.assistant.handler", tmp_path)) == {
        "launchpad.assistant.handler",
        "launchpad.assistant.helper",
    }


# What the Lambda Python runtime holds besides the standard library: boto3 and what it needs.
RUNTIME = ("boto3", "botocore", "s3transfer", "jmespath", "dateutil", "urllib3", "six")


def runtime_folder(folder: Path) -> Path:
    """A folder holding only the runtime's packages (links to this environment's copies)."""
    folder.mkdir()
    for name in RUNTIME:
        source = Path(importlib.import_module(name).__file__ or "")
        source = source.parent if source.name == "__init__.py" else source
        (folder / source.name).symlink_to(source)
    return folder


def test_the_handler_imports_from_the_zip_alone(tmp_path: Path) -> None:
    """``python -I -S``: no site-packages, no PYTHONPATH, no current folder; only the zip (extracted, as
    Lambda extracts it to /var/task) and a folder of boto3 and what it needs (the runtime's own)."""
    task = tmp_path / "task"
    with zipfile.ZipFile(io.BytesIO(lambda_zip.function_zip())) as archive:
        archive.extractall(task)
    runtime = runtime_folder(tmp_path / "runtime")
    script = (
        "import sys\n"
        f"sys.path[:0] = [{str(task)!r}, {str(runtime)!r}]\n"
        "import importlib\n"
        f"module = importlib.import_module({lambda_zip.ENTRY_MODULE!r})\n"
        "assert callable(module.handler)\n"
        "loaded = sorted(n for n in sys.modules if n.split('.')[0] == 'launchpad')\n"
        "assert all(sys.modules[n].__file__.startswith(sys.path[0]) for n in loaded), loaded\n"
        "print(' '.join(loaded))\n"
    )
    environment = {"PATH": os.environ.get("PATH", ""), "AWS_DEFAULT_REGION": "eu-west-1"}
    done = subprocess.run(
        [sys.executable, "-I", "-S", "-c", script],
        capture_output=True,
        text=True,
        env=environment,
        cwd=tmp_path,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert sorted(done.stdout.split()) == sorted(
        name.removesuffix("/__init__.py").removesuffix(".py").replace("/", ".") for name in MODULES
    )
