"""``model.tar.gz`` in SageMaker's layout: the model directory's files at the archive root, which SageMaker
unpacks into ``/opt/ml/model``. The archive is reproducible (sorted names, no timestamps, no owners): the same
model gives the same bytes, so launchpad sees an unchanged artifact as unchanged."""

from __future__ import annotations

import gzip
import io
import tarfile
from pathlib import Path


def archive(model_dir: Path, target: Path) -> Path:
    files = sorted(p for p in model_dir.rglob("*") if p.is_file())
    if not files:
        raise FileNotFoundError(f"{model_dir} holds no model files: train first")
    target.parent.mkdir(parents=True, exist_ok=True)
    with (
        target.open("wb") as raw,
        gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0) as zipped,
        tarfile.open(fileobj=zipped, mode="w", format=tarfile.PAX_FORMAT) as tar,
    ):
        for path in files:
            info = tarfile.TarInfo(path.relative_to(model_dir).as_posix())
            data = path.read_bytes()
            info.size, info.mode = len(data), 0o644
            tar.addfile(info, io.BytesIO(data))
    return target
