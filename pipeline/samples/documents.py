"""make_document: the content and page layout of one document, from a seed; make_person: the person
a dossier is about.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np

from pipeline.samples.choices import Ctx
from pipeline.samples.layout import Composer, PageStyle
from pipeline.samples.pages import PageLayout
from pipeline.samples.people import Person
from pipeline.samples.templates import DOC_TYPES, TEMPLATES
from pipeline.textnorm import nfc


@dataclass(frozen=True)
class SampleDocument:
    """The content of one document, laid out on pages, before rendering."""

    doc_type: str
    template: str
    title: str
    fields: dict[str, str]
    pages: tuple[PageLayout, ...]
    seed: int = 0
    owner: Person | None = None  # whom the document is about; some of it may not be printed

    @property
    def texts(self) -> list[str]:
        return [page.text for page in self.pages]


def make_document(
    seed: int, doc_type: str | None = None, *, owner: Person | None = None, variant: int | None = None
) -> SampleDocument:
    """The content and layout of one document; the same seed gives the same document.

    ``owner`` fixes the person the document is about (a dossier's documents share one);
    ``variant`` picks one of the kind's templates (0, 1, 2) instead of drawing it."""
    rng = np.random.default_rng([seed, 0x5A])
    ctx = Ctx(rng, variant)
    doc_type = doc_type or ctx.choice(DOC_TYPES)
    if doc_type not in TEMPLATES:
        raise ValueError(f"unknown document type {doc_type!r}; known: {', '.join(DOC_TYPES)}")
    composer = Composer(PageStyle.random(rng), number_pages=ctx.chance(0.8))
    built = TEMPLATES[doc_type](ctx, composer, owner)
    pages = tuple(page for page in built.pages if page.lines)
    return SampleDocument(doc_type, built.template, nfc(built.title), dict(built.fields), pages, seed, built.owner)


def make_person(seed: int, *, born: tuple[date, date] = (date(1960, 1, 1), date(2003, 12, 31))) -> Person:
    """A random person (name, sex, birth date, valid personal ID, address) for a dossier's owner."""
    return Ctx(np.random.default_rng([seed, 0xB0])).person(born=born)
