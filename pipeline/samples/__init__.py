"""Realistic Vietnamese administrative scans with their ground truth, made from a seed.

The test suite, the demo, the benchmarks and the document classifier's training set all come from
here. A document is made in three steps, each usable alone:

    make_document(seed)        content and page layout (Decree 30/2020 layout, sizes in mm and pt)
    render_pages(document)     clean page images (Liberation Serif, Pillow) + ground-truth text
    degrade(image, rng)        "office scan" damage: skew, rotation, blur, noise, JPEG, borders...

`make_scan(s)` chain the three; `write_sample_batch` writes dossiers of files in the formats the
one-stop-shop receives (PNG, JPEG, multi-page TIFF, scanned PDF, born-digital PDF) with a
`<file>.gt.txt` beside each (tesstrain convention; pages separated by form feed).

Ground truth is the visible text in the reading order Tesseract (``--psm 3``) produces for these
layouts: a two-column block (header, or "Nơi nhận" + signer) gives its left column's lines, then its
right column's; everything else reads top to bottom. Lines are joined by "\\n"; all text is NFC.

Conventions other modules rely on:
- ``skew``: degrees the content is rotated counter-clockwise (PIL ``Image.rotate``), applied first.
- ``rotation``: 0/90/180/270, degrees the page appears rotated clockwise in the final image;
  rotating the final image counter-clockwise by ``rotation`` makes it upright.

The names, ID numbers, addresses and documents are invented; any match with a real person is chance.

Where things are:

    templates/<doc_type>.py     one template per document type (templates/giay_khai_sinh.py: the
                                birth certificate), drawing from choices.Ctx, laid out by layout.Composer
    blocks.py                   header, title, signature block, cards: what the templates share
    people.py                   invented people, personal ID numbers, provinces and addresses
    wording.py                  numbers and dates in Vietnamese words
    documents.py                make_document, make_person
    render.py                   clean page images (fonts.py: Liberation Serif, text widths)
    seal.py                     the signature and the red seal on a rendered page
    degrade.py                  scan damage
    scans.py                    make_scans, make_scan
    batch.py                    write_sample_batch (born_digital.py: the born-digital PDF, fpdf2)
    metrics.py                  character_error_rate
"""

from __future__ import annotations

from pipeline.samples.batch import write_sample_batch
from pipeline.samples.born_digital import write_born_digital_pdf
from pipeline.samples.degrade import SEVERITIES, UPRIGHT_TRANSPOSE, degrade
from pipeline.samples.documents import SampleDocument, make_document, make_person
from pipeline.samples.fonts import FONT_DIR, FONT_FILES
from pipeline.samples.metrics import character_error_rate, normalise_text
from pipeline.samples.pages import A4_MM, PageLayout, Shape, TextLine
from pipeline.samples.people import PROVINCE_CODES, Person, personal_id_problems
from pipeline.samples.render import render_page, render_pages
from pipeline.samples.scans import SampleScan, make_scan, make_scans
from pipeline.samples.seal import add_seal_and_signature
from pipeline.samples.streams import SampleStream, StreamDocument, StreamPage, make_stream
from pipeline.samples.templates import DOC_TYPES
from pipeline.samples.wording import date_long, number_words

__all__ = [
    "A4_MM",
    "DOC_TYPES",
    "FONT_DIR",
    "FONT_FILES",
    "PROVINCE_CODES",
    "SEVERITIES",
    "UPRIGHT_TRANSPOSE",
    "PageLayout",
    "Person",
    "SampleDocument",
    "SampleScan",
    "SampleStream",
    "Shape",
    "StreamDocument",
    "StreamPage",
    "TextLine",
    "add_seal_and_signature",
    "character_error_rate",
    "date_long",
    "degrade",
    "make_document",
    "make_person",
    "make_scan",
    "make_scans",
    "make_stream",
    "normalise_text",
    "number_words",
    "personal_id_problems",
    "render_page",
    "render_pages",
    "write_born_digital_pdf",
    "write_sample_batch",
]
