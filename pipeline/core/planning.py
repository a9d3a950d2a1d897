"""Which inputs of a batch are new work: one planning rule for local and queued batches.

A file whose bytes are already stored, as one document or as all the documents separation made
of it, is a duplicate of them (one whose documents were only partly stored, by a run cut short,
is new work again: its stored documents come out as duplicates, the rest are stored); a later file with the same
bytes as an earlier one of the same batch waits for that one (and is its duplicate if it is
stored); a file that cannot be read fails with its reason. Everything else is new.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

from pipeline.errors import SohoaError
from pipeline.stages.ingest import InputFile
from pipeline.stores.index import Index

Read = TypeVar("Read")


@dataclass
class PlannedInput(Generic[Read]):
    input: InputFile
    read: Read | None = None  # what reading the file gave (bytes, an opened input…)
    sha256: str | None = None
    error: SohoaError | None = None
    duplicate_of: str | None = None  # a stored document with the same bytes (the first, if several)
    duplicates: tuple[str, ...] = ()  # every document stored from these bytes
    same_as_position: int | None = None  # an earlier input of this batch with the same bytes
    read_seconds: float = 0.0

    @property
    def is_new(self) -> bool:
        return self.read is not None and self.duplicate_of is None and self.same_as_position is None


def plan_inputs(
    inputs: Sequence[InputFile],
    index: Index,
    read: Callable[[InputFile], Read],
    sha256_of: Callable[[Read], str],
) -> list[PlannedInput[Read]]:
    """Read each input once (``read`` raises SohoaError for bad input) and decide what it is."""
    planned: list[PlannedInput[Read]] = []
    first_with_hash: dict[str, int] = {}
    for position, item in enumerate(inputs):
        entry: PlannedInput[Read] = PlannedInput(input=item)
        started = time.perf_counter()
        try:
            entry.read = read(item)
        except SohoaError as exc:
            entry.error = exc
        entry.read_seconds = time.perf_counter() - started
        if entry.read is not None:
            sha = entry.sha256 = sha256_of(entry.read)
            stored = stored_documents(index, sha)
            if stored:
                entry.duplicate_of, entry.duplicates = stored[0], tuple(stored)
            elif sha in first_with_hash:
                entry.same_as_position = first_with_hash[sha]
            else:
                first_with_hash[sha] = position
        planned.append(entry)
    return planned


def stored_documents(index: Index, sha256: str) -> list[str]:
    """The ids of the documents stored from the input with this hash, when all of them are;
    [] when none is, or only some (each row says how many documents its input made)."""
    rows = index.documents_of_source(sha256)
    if not rows:
        return []
    expected = max(row.source_documents or 1 for row in rows)
    return [row.id for row in rows] if len(rows) >= expected else []
