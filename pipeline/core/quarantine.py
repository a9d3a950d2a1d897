"""Failed inputs are copied aside with their reason; the original stays where it was.

Quarantining never stops a batch: when the quarantine cannot be written (a full disk, a broken
mount) the failure is logged and reported without a quarantined copy. Only a regular file is
copied, and not one refused as too large; a pipe, a device or a missing file gets its reason
alone. A copy with the same bytes and reason as one already there is not written again.
"""

from __future__ import annotations

import hashlib
import itertools
import logging
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from pipeline.clock import utcnow
from pipeline.errors import InputTooLarge, SohoaError
from pipeline.stages.ingest import open_regular_file

log = logging.getLogger(__name__)

REASON_SUFFIX = ".reason.txt"
NAME_MAX_BYTES = 255  # per file name, on every Linux file system
# Room left in a name for ".reason.txt" and a ".<counter>" before the suffix.
_NAME_BUDGET = NAME_MAX_BYTES - len(REASON_SUFFIX.encode()) - 8
_MAX_SUFFIX_BYTES = 16  # a longer "suffix" is part of the name, not a type
_CHUNK = 1 << 20


@dataclass(frozen=True)
class _StagedCopy:
    path: Path  # a hidden temporary file in the quarantine folder
    sha256: str


def quarantine_file(
    quarantine_dir: Path, path: Path, error: SohoaError, *, source: Path | None = None
) -> Path | None:
    """Copy a failed input aside with its reason; returns the copy, or the reason file when the
    file itself could not be copied, or None when nothing could be written.

    ``path`` is the file to copy; ``source`` the name it was received under, when that differs
    (a worker's local copy of a queued file). The reason file's first line is ``source`` in full,
    however the quarantine name had to be shortened."""
    source = source or path
    try:
        return _quarantine(quarantine_dir, path, source, error)
    except OSError as exc:
        log.warning("%s could not be quarantined in %s: %s", source, quarantine_dir, exc.strerror or exc)
        return None


def _quarantine(quarantine_dir: Path, path: Path, source: Path, error: SohoaError) -> Path:
    quarantine_dir.mkdir(parents=True, exist_ok=True)
    reason = f"{error.code}: {error.message}"
    staged = None if isinstance(error, InputTooLarge) else _stage_copy(path, quarantine_dir)
    try:
        stem, suffix = quarantine_name(source.name)
        for counter in itertools.count():
            target = quarantine_dir / (f"{stem}{suffix}" if counter == 0 else f"{stem}.{counter}{suffix}")
            reason_file = target.with_name(target.name + REASON_SUFFIX)
            if _holds(target, reason_file, reason, staged):
                return target if staged else reason_file
            try:  # claim the slot; "x" so that two processes never share one
                with reason_file.open("x", encoding="utf-8", errors="backslashreplace") as handle:
                    handle.write(f"{source}\n{reason}\n{utcnow().isoformat()}\n")
            except FileExistsError:
                continue
            if target.exists():  # a copy without its reason (an interrupted run): not ours to reuse
                reason_file.unlink()
                continue
            if staged is None:
                return reason_file
            os.replace(staged.path, target)
            staged = None
            return target
    finally:
        if staged is not None:
            staged.path.unlink(missing_ok=True)
    raise AssertionError("unreachable")


def quarantine_name(name: str) -> tuple[str, str]:
    """(stem, suffix) of the quarantine copy: the name itself, or, when it would not fit the file
    system with ".reason.txt" after it, its start with a hash of the whole name, suffix kept."""
    suffix = Path(name).suffix
    if len(os.fsencode(suffix)) > _MAX_SUFFIX_BYTES:
        suffix = ""
    stem = name[: len(name) - len(suffix)]
    if len(os.fsencode(name)) <= _NAME_BUDGET:
        return stem, suffix
    digest = hashlib.sha256(os.fsencode(name)).hexdigest()[:12]
    room = _NAME_BUDGET - len(os.fsencode(suffix)) - len(digest) - 1
    start = os.fsencode(stem)[:room]
    while start and start[-1] & 0xC0 == 0x80:  # never cut a UTF-8 character in half
        start = start[:-1]
    if start and start[-1] >= 0xC0:
        start = start[:-1]
    return f"{os.fsdecode(start)}~{digest}", suffix


def _stage_copy(path: Path, quarantine_dir: Path) -> _StagedCopy | None:
    """The file's bytes copied into a hidden temporary file, hashed on the way; None when it is
    not a regular file that can be read (its reason is quarantined alone)."""
    try:
        source = open_regular_file(path)
    except SohoaError:
        return None
    descriptor, name = tempfile.mkstemp(prefix=".incoming-", dir=quarantine_dir)
    staged = Path(name)
    digest = hashlib.sha256()
    try:
        with source, os.fdopen(descriptor, "wb") as out:
            while chunk := source.read(_CHUNK):
                digest.update(chunk)
                out.write(chunk)
    except OSError as exc:
        staged.unlink(missing_ok=True)
        log.warning("%s could not be copied to quarantine: %s", path, exc.strerror or exc)
        return None
    return _StagedCopy(staged, digest.hexdigest())


def _holds(target: Path, reason_file: Path, reason: str, staged: _StagedCopy | None) -> bool:
    """Whether this slot already holds the same bytes (or, for a file not copied, no bytes)
    quarantined for the same reason."""
    try:
        recorded = reason_file.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return False
    if len(recorded) < 2 or recorded[1] != reason:
        return False
    if staged is None:
        return not target.exists()
    return target.is_file() and _sha256_of(target) == staged.sha256


def _sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()
