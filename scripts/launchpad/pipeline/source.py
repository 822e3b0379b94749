"""The project's ``sourcedir.tar.gz``: what SageMaker script mode unpacks into ``/opt/ml/code`` and runs.

It holds the project's package (``src/<package>/``, without caches) at its root, so ``import <package>``
works from ``/opt/ml/code``, and the entry ``train_job.py`` (the ``sagemaker_program``), two lines that run
``<package>.train_job.main``; the CrossValidate job imports the same archive (launchpad.pipeline.crossval).

The archive is deterministic: members sorted, owner root, mode 0644 (0755 for folders), time 0, and gzip's
header without a name or time, so the same code gives the same bytes (and the same S3 ETag).
"""

from __future__ import annotations

import gzip
import io
import tarfile
from pathlib import Path

from launchpad.errors import ConfigError

ENTRY = "train_job.py"  # the archive's entry point, script mode's sagemaker_program
MODULE = "train_job"  # <package>.train_job: main(), fit(), predict_proba(), SEED
SKIPPED_DIRS = frozenset({"__pycache__", ".pytest_cache", ".mypy_cache", ".ruff_cache"})
SKIPPED_SUFFIXES = (".pyc", ".pyo")


def package_dir(project_dir: Path) -> Path:
    """``src/<package>``: the one package under the project's src/ (a folder with ``__init__.py``)."""
    src = project_dir / "src"
    found = sorted(p.parent for p in src.glob("*/__init__.py")) if src.is_dir() else []
    if len(found) != 1:
        raise ConfigError(
            f"{src} holds {len(found)} Python packages; a model project has one, src/<package>/ "
            "(launchpad new bakes it)"
        )
    return found[0]


def entry_source(package: str) -> str:
    return (
        f'"""SageMaker script mode\'s entry point: the training job of {package} ({package}/{ENTRY})."""\n'
        f"from {package}.{MODULE} import main\n"
        "\n"
        'if __name__ == "__main__":\n'
        "    raise SystemExit(main())\n"
    )


def _files(package: Path) -> list[Path]:
    return sorted(
        path
        for path in package.rglob("*")
        if path.is_file()
        and not path.name.endswith(SKIPPED_SUFFIXES)
        and not SKIPPED_DIRS.intersection(part for part in path.relative_to(package).parts)
    )


def _info(name: str, size: int, folder: bool = False) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.type = tarfile.DIRTYPE if folder else tarfile.REGTYPE
    info.mode = 0o755 if folder else 0o644
    info.size = 0 if folder else size
    info.mtime = 0
    info.uid = info.gid = 0
    info.uname = info.gname = ""
    return info


def build_sourcedir(project_dir: Path) -> bytes:
    """The project's sourcedir.tar.gz (ConfigError without a package or its ``train_job.py``)."""
    package = package_dir(project_dir)
    if not (package / ENTRY).is_file():
        raise ConfigError(
            f"{package / ENTRY} does not exist: the pipeline trains with the package's train_job module "
            "(main, fit, predict_proba, SEED), which the tabular templates bake"
        )
    members: dict[str, bytes | None] = {package.name: None, ENTRY: entry_source(package.name).encode()}
    for path in _files(package):
        relative = path.relative_to(package.parent)
        for parent in list(relative.parents)[:-1]:
            members.setdefault(parent.as_posix(), None)
        members[relative.as_posix()] = path.read_bytes()
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for name in sorted(members):
            body = members[name]
            if body is None:
                tar.addfile(_info(name, 0, folder=True))
            else:
                tar.addfile(_info(name, len(body)), io.BytesIO(body))
    out = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=out, mtime=0, compresslevel=9) as stream:
        stream.write(raw.getvalue())
    return out.getvalue()
