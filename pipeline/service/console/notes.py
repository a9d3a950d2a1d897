"""Review notes in words for people: what the classifier, the extractor and reviewers wrote
("issue_date unreadable", "required field owner_id not found | corrections saved by minh at …")
said in the console's language, fields by their names in the catalogue. A note no rule knows is
shown as written. ID numbers in a note are never shown."""

from __future__ import annotations

import re

from pipeline.service.console.i18n import translate, translate_or

_FIELD = r"([a-z][a-z0-9_]{1,40})"
#: (pattern, message key, which groups are field names); tried in order over each " | " part.
_RULES: tuple[tuple[re.Pattern, str, tuple[int, ...]], ...] = tuple(
    (re.compile(pattern), key, fields) for pattern, key, fields in (
        (r"^type uncertain\b", "note.type_uncertain", ()),
        (r"^type unknown\b", "note.type_unknown", ()),
        (r"^no type classifier configured", "note.no_classifier", ()),
        (r"^type and required fields found", "note.all_found", ()),
        (r"required field " + _FIELD + r" not found", "note.field_not_found", (1,)),
        (r"\bowner_id(?: \d+)?:", "note.owner_id_invalid", ()),
        (r"\b" + _FIELD + r" unreadable", "note.field_unreadable", (1,)),
        (r"\b" + _FIELD + r" missing", "note.field_missing", (1,)),
        (r"\b" + _FIELD + r" invalid", "note.field_invalid", (1,)),
        (r"^corrections saved by (\S+)", "note.saved_by", ()),
        (r"^reviewed by (\S+)", "note.reviewed_by", ()),
        (r"^rejected by (\S+) at \S+: (.*)$", "note.rejected_by", ()),
    ))
_ID_NUMBER = re.compile(r"(?<!\d)(\d{9}|\d{12})(?!\d)")


def _label(language: str, name: str) -> str:
    label = translate_or(language, f"field.{name}", name)
    return label[:1].lower() + label[1:] if language == "vi" else label  # inside a sentence


def note_text(note: str | None, language: str) -> str:
    """The note in words; parts it cannot read are kept as written (ID numbers masked)."""
    said: list[str] = []
    for part in (note or "").split(" | "):
        part = part.strip()
        if not part:
            continue
        found = []
        for pattern, key, fields in _RULES:
            for match in pattern.finditer(part):
                groups = [_label(language, g) if i in fields else g
                          for i, g in enumerate(match.groups(), 1)]
                found.append(translate(language, key, **{f"v{i}": g for i, g in enumerate(groups, 1)}))
            if found and key.startswith("note.type"):
                break  # the classifier's own reasons that follow are for developers
        said.extend(dict.fromkeys(found) or [_ID_NUMBER.sub("…", part)])
    return "; ".join(said)
