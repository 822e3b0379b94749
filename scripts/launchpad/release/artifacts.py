"""The release's own artifacts: the Terraform modules as a reproducible tar.gz, and SHA256SUMS over every
artifact (the format ``sha256sum --check`` reads)."""

from __future__ import annotations

import gzip
import hashlib
import io
import tarfile
from collections.abc import Iterable
from pathlib import Path

SUMS = "SHA256SUMS"
_CHUNK = 1 << 20


def modules_archive_name(version: str) -> str:
    return f"launchpad-modules-{version}.tar.gz"


def modules_archive(tree: Path, files: Iterable[str], version: str, out_dir: Path, mtime: int) -> Path:
    """``launchpad-modules-<version>.tar.gz`` of the ``modules/...`` paths among ``files`` (relative to
    ``tree``): entries sorted, every mtime ``mtime``, owner root:root with no names, modes 0644 (0755 for
    executables and folders), gzip header without a name or time. The same files give the same bytes.

    The entries keep their ``modules/`` prefix, so ``<archive>//modules/<name>`` is a module source as
    ``<repo>.git//modules/<name>`` is."""
    paths = sorted({p for p in files if p.startswith("modules/") and (tree / p).is_file()})
    folders = sorted({str(parent) for p in paths for parent in Path(p).parents if str(parent) != "."})
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for name in sorted([*folders, *paths]):
            source = tree / name
            info = tarfile.TarInfo(name)
            info.mtime = mtime
            info.uid = info.gid = 0
            info.uname = info.gname = ""
            if source.is_dir():
                info.type = tarfile.DIRTYPE
                info.mode = 0o755
                tar.addfile(info)
            else:
                data = source.read_bytes()
                info.size = len(data)
                info.mode = 0o755 if source.stat().st_mode & 0o111 else 0o644
                tar.addfile(info, io.BytesIO(data))
    archive = out_dir / modules_archive_name(version)
    with archive.open("wb") as raw, gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0) as gz:
        gz.write(buffer.getvalue())
    return archive


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def write_sums(out_dir: Path, artifacts: Iterable[Path]) -> Path:
    """``SHA256SUMS`` in ``out_dir``: ``<sha256>  <file name>`` per artifact, sorted by name."""
    lines = [f"{sha256(path)}  {path.name}\n" for path in sorted(artifacts, key=lambda p: p.name)]
    sums = out_dir / SUMS
    sums.write_text("".join(lines), encoding="utf-8")
    return sums


def read_sums(sums: Path) -> dict[str, str]:
    """file name -> sha256 of a SHA256SUMS file (``sha256sum``'s text and binary markers both read)."""
    listed = {}
    for number, line in enumerate(sums.read_text(encoding="utf-8").splitlines(), start=1):
        digest, sep, name = line.partition("  ")
        if not sep:
            digest, sep, name = line.partition(" *")
        if not sep or len(digest) != 64 or not name:
            raise ValueError(f"{sums}:{number}: not '<sha256>  <file name>': {line!r}")
        listed[name] = digest
    return listed


def verify_sums(folder: Path) -> list[str]:
    """What does not match ``folder/SHA256SUMS``: listed files missing or changed, files it does not list."""
    sums = folder / SUMS
    if not sums.is_file():
        return [f"{sums}: missing"]
    try:
        listed = read_sums(sums)
    except ValueError as exc:
        return [str(exc)]
    found = []
    for name, digest in sorted(listed.items()):
        path = folder / name
        if not path.is_file():
            found.append(f"{name}: listed in {SUMS} and missing")
        elif sha256(path) != digest:
            found.append(f"{name}: its sha256 is not the one in {SUMS}")
    unlisted = sorted(p.name for p in folder.iterdir() if p.is_file() and p.name not in listed and p != sums)
    found += [f"{name}: not listed in {SUMS}" for name in unlisted]
    return found
