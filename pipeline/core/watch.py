"""A watched folder for network scanners (`sohoa watch DIR [--queue]`, issue 13).

Scanners write into a shared folder; a file is taken once it has stopped growing (its size and
modification time unchanged over two looks at least ``settle_seconds`` apart), ingested (or handed
to the queue), then moved out of the way:

    DIR/done/<name>                  stored, or already stored (a duplicate)
    DIR/failed/<name>                could not be digitised, with DIR/failed/<name>.reason.txt

A file whose storage was unavailable stays where it is and is tried again on a later pass.
Restarts never ingest anything twice: a file ingested but not yet moved when the process stopped
is ingested again on the next start, found already stored (the index dedupes by content), and
moved to done/. Files in a sub-folder belong to the dossier named by the folder, as with
`sohoa ingest DIR`; page files of one paper that are ready in the same pass are one document.
Hidden files, names ending in .part/.tmp/.crdownload/~ (still being copied), manifest.csv and the
done/ and failed/ folders are never taken.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path

from pipeline.stages.ingest import InputFile, discover
from schemas.models import IngestReportLine

log = logging.getLogger(__name__)

DONE, FAILED = "done", "failed"
IN_PROGRESS_SUFFIXES = (".part", ".tmp", ".crdownload", ".partial", "~")
REASON_SUFFIX = ".reason.txt"


@dataclass(frozen=True)
class Outcome:
    """What became of one input: "done", "failed" (with the reason) or "retry" (left in place)."""

    status: str
    reason: str = ""
    document_ids: tuple[str, ...] = ()


@dataclass(frozen=True)
class Moved:
    source: Path
    status: str
    to: Path | None  # None: left in place for a later pass
    reason: str = ""


Handler = Callable[[list[InputFile]], dict[Path, Outcome]]


@dataclass
class FolderWatch:
    """One watched folder; `scan_once` is one pass. ``handle`` ingests inputs and says what
    became of each (`ingest_handler`, `queue_handler`)."""

    root: Path
    handle: Handler
    settle_seconds: float = 5.0
    clock: Callable[[], float] = time.monotonic
    _seen: dict[Path, tuple[tuple[int, int], float]] = field(default_factory=dict)

    def scan_once(self) -> list[Moved]:
        ready = self.ready_files()
        if not ready:
            return []
        inputs = [_with_folder_dossier(item, self.root) for item in discover(ready)]
        outcomes = self.handle(inputs)
        moved = []
        for item in inputs:
            outcome = outcomes.get(item.path, Outcome("retry", "no outcome"))
            for path in item.parts or (item.path,):
                moved.append(self._settle(path, outcome))
        return moved

    def ready_files(self) -> list[Path]:
        """Files that have not changed since the last look, ``settle_seconds`` or more ago."""
        now = self.clock()
        ready, present = [], set()
        for path in sorted(self._candidates()):
            try:
                info = path.stat()
            except OSError:
                continue
            present.add(path)
            shape = (info.st_size, info.st_mtime_ns)
            previous = self._seen.get(path)
            if previous is None or previous[0] != shape:
                self._seen[path] = (shape, now)  # new, or still growing: look again later
            elif now - previous[1] >= self.settle_seconds and info.st_size > 0:
                ready.append(path)
            elif info.st_size == 0 and now - previous[1] >= max(self.settle_seconds, 60.0):
                ready.append(path)  # empty for a minute: it fails with its reason, not forever pending
        self._seen = {p: v for p, v in self._seen.items() if p in present}
        return ready

    def _candidates(self) -> Iterable[Path]:
        for directory, folders, files in os.walk(self.root):
            here = Path(directory)
            if here == self.root:
                folders[:] = [f for f in folders if f not in (DONE, FAILED)]
            folders[:] = [f for f in folders if not f.startswith(".")]
            for name in files:
                if name.startswith(".") or name == "manifest.csv" or name.endswith(IN_PROGRESS_SUFFIXES) \
                        or name.endswith(REASON_SUFFIX) or name.endswith(".gt.txt"):
                    continue
                yield here / name

    def _settle(self, path: Path, outcome: Outcome) -> Moved:
        if outcome.status == "retry":
            log.warning("%s: left for a later pass: %s", path, outcome.reason)
            return Moved(path, "retry", None, outcome.reason)
        folder = self.root / (DONE if outcome.status == "done" else FAILED) / path.parent.relative_to(self.root)
        folder.mkdir(parents=True, exist_ok=True)
        target = _free_name(folder / path.name)
        os.replace(path, target)
        self._seen.pop(path, None)
        if outcome.status != "done":
            target.with_name(target.name + REASON_SUFFIX).write_text(outcome.reason + "\n", encoding="utf-8")
        log.info("%s -> %s", path, target)
        return Moved(path, outcome.status, target, outcome.reason)


def watch_folder(watch: FolderWatch, *, poll_seconds: float = 2.0, stop: Callable[[], bool] = lambda: False,
                 max_passes: int | None = None, on_moved: Callable[[Moved], None] = lambda _moved: None,
                 sleep: Callable[[float], None] = time.sleep) -> int:
    """Pass over the folder every ``poll_seconds`` until ``stop()`` (or ``max_passes``);
    returns how many files were settled (moved to done/ or failed/)."""
    settled = passes = 0
    while not stop():
        for moved in watch.scan_once():
            settled += moved.to is not None
            on_moved(moved)
        passes += 1
        if stop() or (max_passes is not None and passes >= max_passes):
            break
        sleep(poll_seconds)
    return settled


def ingest_handler(ingest: Callable[[list[InputFile]], Iterable[IngestReportLine]]) -> Handler:
    """Ingest on this machine (``ingest``: `Ingestor.ingest`); an input is done when every
    document of it is stored or already stored."""

    def handle(inputs: list[InputFile]) -> dict[Path, Outcome]:
        lines: dict[str, list[IngestReportLine]] = {}
        for line in ingest(inputs):
            lines.setdefault(line.source, []).append(line)
        return {item.path: outcome_of(lines.get(str(item.path), [])) for item in inputs}

    return handle


def outcome_of(lines: list[IngestReportLine]) -> Outcome:
    if not lines:
        return Outcome("retry", "not ingested")
    failed = [line for line in lines if line.status == "failed"]
    if any(line.error_code == "storage_unavailable" for line in failed):
        return Outcome("retry", failed[0].error or "storage unavailable")
    if failed:
        return Outcome("failed", f"{failed[0].error_code}: {failed[0].error}")
    return Outcome("done", document_ids=tuple(line.document_id for line in lines if line.document_id))


def queue_handler(queue_batch: Callable[[list[InputFile]], str],
                  items_of: Callable[[str], list]) -> Handler:
    """Hand inputs to the workers (``queue_batch``: `Runtime.queue_batch`; ``items_of`` the
    batch's items): a file is done once its bytes are staged for them; one the submission already
    found unreadable is failed with its reason."""

    def handle(inputs: list[InputFile]) -> dict[Path, Outcome]:
        batch_id = queue_batch(inputs)
        by_source = {item.source: item for item in items_of(batch_id)}
        outcomes = {}
        for entry in inputs:
            items = [by_source.get(str(p)) for p in entry.parts or (entry.path,)]
            bad = [i for i in items if i is not None and i.status == "failed"]
            outcomes[entry.path] = (Outcome("failed", f"{bad[0].error_code}: {bad[0].error}") if bad
                                    else Outcome("done", f"queued in batch {batch_id}"))
        return outcomes

    return handle


def _with_folder_dossier(item: InputFile, root: Path) -> InputFile:
    """A file in a sub-folder of the watched folder belongs to the dossier the folder names."""
    if item.dossier_code or item.path.parent == root:
        return item
    return replace(item, dossier_code=item.path.parent.name)


def _free_name(target: Path) -> Path:
    """``target``, or ``name (2).ext``… when a file of that name was settled before."""
    if not target.exists():
        return target
    for n in range(2, 10_000):
        candidate = target.with_name(f"{target.stem} ({n}){target.suffix}")
        if not candidate.exists():
            return candidate
    raise FileExistsError(f"{target}: too many files of this name")
