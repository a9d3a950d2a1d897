"""Failed inputs are copied aside with their reason; the original stays where it was."""

from __future__ import annotations

import shutil
from pathlib import Path

from pipeline.clock import utcnow
from pipeline.errors import SohoaError


def quarantine_file(
    quarantine_dir: Path, path: Path, error: SohoaError, *, source: Path | None = None
) -> Path | None:
    """Copy a failed input aside with its reason.

    ``path`` is the file to copy; ``source`` the name it was received under, when that differs
    (a worker's local copy of a queued file)."""
    source = source or path
    quarantine_dir.mkdir(parents=True, exist_ok=True)
    target = quarantine_dir / source.name
    counter = 1
    while target.exists() or target.with_name(target.name + ".reason.txt").exists():
        target = quarantine_dir / f"{source.stem}.{counter}{source.suffix}"
        counter += 1
    reason = f"{source}\n{error.code}: {error.message}\n{utcnow().isoformat()}\n"
    target.with_name(target.name + ".reason.txt").write_text(reason, encoding="utf-8")
    try:
        shutil.copyfile(path, target)
    except OSError:
        return target.with_name(target.name + ".reason.txt")
    return target
