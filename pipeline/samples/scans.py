"""Scans: a document's pages rendered, signed and stamped, and degraded as one scan job."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PIL import Image

from pipeline.samples.degrade import SEVERITIES, degrade
from pipeline.samples.documents import SampleDocument, make_document
from pipeline.samples.render import render_pages
from pipeline.samples.seal import add_seal_and_signature


@dataclass(frozen=True)
class SampleScan:
    """One degraded page image and its ground truth."""

    image: Image.Image  # "L" or "RGB"
    text: str
    skew: float
    rotation: int
    dpi: int
    colour: bool
    doc_type: str = ""
    page: int = 1


def make_scans(
    seed: int,
    *,
    doc_type: str | None = None,
    skew: float | None = None,
    rotation: int | None = None,
    colour: bool | None = None,
    dpi: int = 300,
    severity: str = "mixed",
    document: SampleDocument | None = None,
) -> list[SampleScan]:
    """Every page of one document, rendered, signed and stamped, and degraded as one scan job."""
    document = document or make_document(seed, doc_type)
    rng = np.random.default_rng([seed, 0xD3])
    if colour is None:
        colour = bool(rng.random() < 0.25)
    if severity == "mixed":
        severity = str(rng.choice(SEVERITIES, p=[0.4, 0.4, 0.2]))
    scans = []
    issuer = document.fields.get("issuer", "")
    for number, (page, (image, text)) in enumerate(zip(document.pages, render_pages(document, dpi=dpi)), 1):
        if page.signature_box_mm is not None and rng.random() < 0.8:
            image = add_seal_and_signature(image, page, rng, dpi=dpi, issuer=issuer if rng.random() < 0.9 else "")
        degraded, applied_skew, applied_rotation = degrade(image, rng, skew=skew, rotation=rotation, colour=colour,
                                                           severity=severity)
        scans.append(SampleScan(degraded, text, applied_skew, applied_rotation, dpi, colour, document.doc_type, number))
    return scans


def make_scan(seed: int, *, doc_type: str | None = None, skew: float | None = None, rotation: int | None = None,
              colour: bool | None = None, dpi: int = 300, severity: str = "mixed") -> SampleScan:
    """Page 1 of a document, degraded."""
    document = make_document(seed, doc_type)
    first = SampleDocument(document.doc_type, document.template, document.title, document.fields,
                           document.pages[:1], document.seed, document.owner)
    return make_scans(seed, skew=skew, rotation=rotation, colour=colour, dpi=dpi, severity=severity,
                      document=first)[0]
