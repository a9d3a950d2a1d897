"""evalgen — an evaluation generator of Vietnamese one-stop-shop papers, written independently of
the training generator (`pipeline.samples`): its own wording, label variants, layouts, fonts,
card scans and damage. It is used only to MEASURE the product (scripts/eval_classify.py,
scripts/bench_orientation.py), never to train it, and the product never imports it.

    from evalgen import make_document, write_document
    doc = make_document(17)                    # seeded: the same seed gives the same pixels
    path = write_document(doc, Path("out"))    # out/ev000017.png (or .jpg/.tif/.pdf) + .truth.json

Ground truth per document: `doc_type`, every printed field value (`fields`, NFC, ISO dates, names
in title case), values that are true but not printed (`derived`, e.g. a validity of "6 months from
issue"), the card's MRZ lines, and per page the quarter turn applied (`rotation`, clockwise
degrees: the product's PageDiagnostics.rotation should equal it) and the printed text.
"""

from __future__ import annotations

import json
import random
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from evalgen import cards as C
from evalgen import scans as S
from evalgen.papers import PAPERS, Pages, bhyt_printout

DOC_TYPES = (
    "can_cuoc", "giay_khai_sinh", "trich_luc_khai_tu", "giay_chung_nhan_ket_hon", "xac_nhan_tinh_trang_hon_nhan",
    "xac_nhan_cu_tru", "giay_phep_xay_dung", "giay_chung_nhan_dang_ky_ho_kinh_doanh",
    "giay_chung_nhan_quyen_su_dung_dat", "quyet_dinh", "to_khai", "the_bao_hiem_y_te",
)
A4_DAMAGE = (("grey_scan", 0.35), ("colour_scan", 0.25), ("photocopy", 0.25), ("phone_photo", 0.15))
CARD_PRESENTATIONS = (("card_alone", 0.35), ("card_on_a4", 0.5), ("card_phone_photo", 0.15))


@dataclass
class EvalPage:
    image: np.ndarray  # RGB uint8, as scanned (already turned by `rotation`)
    dpi: int
    rotation: int  # clockwise degrees the content was turned: 0, 90, 180, 270
    text: str  # the text printed on the page, in reading order, NFC


@dataclass
class EvalDocument:
    seed: int
    doc_type: str
    variant: str
    presentation: str  # grey_scan | colour_scan | photocopy | phone_photo | card_alone | card_on_a4 | ...
    fields: dict[str, str]
    pages: list[EvalPage]
    derived: dict[str, str] = field(default_factory=dict)
    mrz: list[str] | None = None
    file_format: str = "png"  # png | jpeg | tiff | pdf
    alternatives: dict[str, list[str]] = field(default_factory=dict)  # other values that are right too

    @property
    def name(self) -> str:
        return f"ev{self.seed:06d}"

    def truth(self) -> dict:
        return {
            "seed": self.seed, "doc_type": self.doc_type, "variant": self.variant,
            "presentation": self.presentation, "file_format": self.file_format, "fields": self.fields,
            "derived": self.derived, "alternatives": self.alternatives, "mrz": self.mrz,
            "pages": [{"page": i + 1, "rotation": p.rotation, "dpi": p.dpi, "text": p.text}
                      for i, p in enumerate(self.pages)],
        }


def _pick(rng: random.Random, table) -> str:
    x = rng.random()
    for name, weight in table:
        x -= weight
        if x < 0:
            return name
    return table[-1][0]


def _turn(rng: random.Random, p_turned: float) -> int:
    if rng.random() >= p_turned:
        return 0
    return rng.choice([90, 180, 180, 270])


def _a4_document(rng: random.Random, seed: int, doc_type: str, p_turned: float,
                 presentation: str | None, dpi: int | None) -> EvalDocument:
    choice = rng.choice([200, 240, 300, 300])  # drawn either way: the same seed, the same fields
    dpi = choice if dpi is None else dpi
    pages = Pages(rng, dpi)
    paper = bhyt_printout(rng, pages) if doc_type == "the_bao_hiem_y_te" else PAPERS[doc_type](rng, pages)
    damage = presentation or _pick(rng, A4_DAMAGE)
    out = []
    for sheet in paper.pages:
        image = S.to_array(sheet)
        image = getattr(S, damage)(image, rng)
        turn = _turn(rng, p_turned)
        out.append(EvalPage(S.rotate_quarter(image, turn), dpi, turn, sheet.text_in_reading_order()))
    if len(out) > 1:
        fmt = rng.choice(["tiff", "pdf"])
    else:
        fmt = "jpeg" if damage == "phone_photo" or rng.random() < 0.3 else "png"
    return EvalDocument(seed, doc_type, paper.variant, damage, _nfc(paper.fields), out, _nfc(paper.derived),
                        None, fmt, paper.alternatives)


def _card(rng: random.Random, doc_type: str, dpi: int) -> C.Card:
    if doc_type == "the_bao_hiem_y_te":
        return C.bhyt_card(rng, dpi)
    maker = _pick(rng, ((C.chip_cccd, 0.55), (C.can_cuoc_2024, 0.3), (C.cmnd, 0.15)))
    return maker(rng, dpi)


def _card_document(rng: random.Random, seed: int, doc_type: str, p_turned: float,
                   presentation: str | None, dpi: int | None) -> EvalDocument:
    how = presentation or _pick(rng, CARD_PRESENTATIONS)
    choice = rng.choice([300, 300, 400]) if how != "card_alone" else rng.choice([300, 400, 600])
    dpi = choice if dpi is None else dpi
    card = _card(rng, doc_type, dpi)
    front, back = S.to_array(card.front), S.to_array(card.back)
    texts = [card.front.text_in_reading_order(), card.back.text_in_reading_order()]
    if how == "card_on_a4":
        page = S.on_a4(front, back, dpi, rng)
        page = S.photocopy(page, rng) if rng.random() < 0.7 else S.colour_scan(page, rng)
        turn = _turn(rng, p_turned)
        pages = [EvalPage(S.rotate_quarter(page, turn), dpi, turn, "\n".join(texts))]
        fmt = rng.choice(["png", "jpeg", "pdf"])
    else:
        pages = []
        for side, text in zip((front, back), texts):
            if how == "card_alone":
                image = S.on_scanner_bed(side, rng)
                image = S.colour_scan(image, rng) if rng.random() < 0.6 else S.grey_scan(image, rng)
            else:
                image = S.phone_photo(side, rng)
            turn = _turn(rng, p_turned)
            pages.append(EvalPage(S.rotate_quarter(image, turn), dpi, turn, text))
        fmt = rng.choice(["tiff", "pdf"])
    return EvalDocument(seed, doc_type, card.variant, how, _nfc(card.fields), pages, {}, card.mrz, fmt)


def _nfc(values: dict[str, str]) -> dict[str, str]:
    return {k: unicodedata.normalize("NFC", v) for k, v in values.items() if v is not None}


def make_document(seed: int, doc_type: str | None = None, *, p_turned: float = 0.15,
                  presentation: str | None = None, dpi: int | None = None) -> EvalDocument:
    """Document number ``seed`` of the evaluation set (its type the seed's turn in DOC_TYPES unless
    given). ``p_turned``: the chance each page is fed turned a quarter or half turn.
    ``presentation`` forces one (e.g. "card_on_a4", "photocopy"); ``dpi`` overrides the scan
    resolution (the same fields and wording, fewer pixels: for quick tests)."""
    doc_type = doc_type or DOC_TYPES[seed % len(DOC_TYPES)]
    if doc_type not in DOC_TYPES:
        raise ValueError(f"unknown document type {doc_type!r}; one of {', '.join(DOC_TYPES)}")
    rng = random.Random(f"evalgen/{seed}/{doc_type}")
    on_card = doc_type == "can_cuoc" or (doc_type == "the_bao_hiem_y_te" and rng.random() < 0.6)
    if presentation in ("card_alone", "card_on_a4", "card_phone_photo"):
        on_card = True
    elif presentation is not None and doc_type != "can_cuoc":
        on_card = False
    maker = _card_document if on_card else _a4_document
    return maker(rng, seed, doc_type, p_turned, presentation, dpi)


def document_bytes(doc: EvalDocument) -> tuple[bytes, str]:
    """The file a citizen's paper arrives as, and its extension."""
    images = [p.image for p in doc.pages]
    dpi = doc.pages[0].dpi
    if doc.file_format in ("tiff", "pdf"):
        return S.encode_multipage(images, doc.file_format, dpi), ".tif" if doc.file_format == "tiff" else ".pdf"
    if doc.file_format == "jpeg":
        return S.encode(images[0], "jpeg", dpi, quality=85), ".jpg"
    return S.encode(images[0], "png", dpi), ".png"


def write_document(doc: EvalDocument, directory: Path) -> Path:
    """Write the document's file and its ``<name>.truth.json`` into ``directory``; returns the file."""
    directory.mkdir(parents=True, exist_ok=True)
    data, ext = document_bytes(doc)
    path = directory / f"{doc.name}{ext}"
    path.write_bytes(data)
    (directory / f"{doc.name}.truth.json").write_text(json.dumps(doc.truth(), ensure_ascii=False, indent=1))
    return path
