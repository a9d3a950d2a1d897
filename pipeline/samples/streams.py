"""Scanner streams: a feeder's stack of papers as one sequence of page images, with the truth of
which pages are which document, which are separator sheets and which are blank back sides.

    make_stream(seed, documents=12, separators="sohoa", duplex=True)

composes generated documents (every type, 1-4 pages: a card's back side, a decision's annex) into
dossiers that share an owner, puts separator sheets before the documents when asked — ``PATCHT``
barcodes (Code 128, Code 39, QR: rendered with python-barcode and segno), Kodak Patch T bars, or
sohoa's own sheets (the PDF that `sohoa separator-sheet` prints, rasterised) — and for duplex scans
adds the back of every sheet: blank (with dust, noise and the front showing through) unless the
paper was printed on both sides or is a card. Every page is degraded as an office scan
(pipeline.samples.degrade), so sheets come upside down, skewed and blurred like the rest.

`page_files` lays a stream out as files named as scanners and phones name them; `single_sided_passes`
gives a duplex stream as a single-sided feeder scans it (fronts, then backs last sheet first).
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from pathlib import Path

import cv2
import numpy as np
from PIL import Image, ImageDraw

from pipeline.samples.batch import AGENCY_CODES
from pipeline.samples.degrade import degrade
from pipeline.samples.documents import SampleDocument, make_document, make_person
from pipeline.samples.fonts import load_font
from pipeline.samples.pages import PageLayout, Shape, TextLine
from pipeline.samples.render import mm_to_px, render_page
from pipeline.samples.scans import make_scans
from pipeline.samples.templates import DOC_TYPES

SEPARATOR_STYLES = ("patcht_code128", "patcht_code39", "patcht_qr", "patch_t", "sohoa")
SEPARATOR_CHOICES = ("none", "patcht", "patch_t", "sohoa", "mixed")
A4_PX = {dpi: (mm_to_px(210, dpi), mm_to_px(297, dpi)) for dpi in (150, 200, 300)}


@dataclass(frozen=True)
class StreamPage:
    image: Image.Image | None  # None when the stream was made without images (text only)
    text: str  # the visible text in reading order ("" for a blank page)
    role: str  # "content", "blank" or "separator"
    document: int | None = None  # index into SampleStream.documents (None for separators)
    separator: str | None = None  # one of SEPARATOR_STYLES, for separator pages
    sheet_payload: str | None = field(default=None, repr=False)  # a sohoa sheet's QR payload


@dataclass(frozen=True)
class StreamDocument:
    doc_type: str
    template: str
    pages: tuple[int, ...]  # its pages in the stream, 1-based, blank back sides included
    blank_pages: tuple[int, ...]  # the blank back sides among them
    dossier_code: str
    owner_id: str = field(repr=False)
    # What sohoa's sheets say of it: the type its document sheet names, the dossier and owner of
    # the last cover sheet before it (they hold until the next cover), whether it is the first
    # document after that cover.
    sheet_type: str | None = None
    sheet_dossier: str | None = None
    sheet_owner: str | None = field(default=None, repr=False)
    starts_dossier: bool = False


@dataclass(frozen=True)
class SampleStream:
    pages: tuple[StreamPage, ...]
    documents: tuple[StreamDocument, ...]
    seed: int
    separators: str
    duplex: bool
    dpi: int

    @property
    def images(self) -> list[Image.Image | None]:
        return [page.image for page in self.pages]

    @property
    def texts(self) -> list[str]:
        return [page.text for page in self.pages]

    def content_pages(self, document: int) -> tuple[int, ...]:
        doc = self.documents[document]
        return tuple(p for p in doc.pages if p not in doc.blank_pages)

    @property
    def starts(self) -> tuple[int, ...]:
        """The first content page of every document (1-based)."""
        return tuple(doc.pages[0] for doc in self.documents)


# ------------------------------------------------------------------------------------------------
# Extra pages of a paper: a card's back side, a decision's annex


def _mrz_check(value: str) -> str:
    weights = (7, 3, 1)
    total = 0
    for index, ch in enumerate(value):
        if ch.isdigit():
            number = int(ch)
        elif ch.isalpha():
            number = ord(ch) - 55
        else:
            number = 0
        total += number * weights[index % 3]
    return str(total % 10)


def _mrz_name(full_name: str) -> str:
    from pipeline.textnorm import fold

    words = fold(full_name).upper().split()
    return (words[0] + "<<" + "<".join(words[1:]))[:30].ljust(30, "<")


def card_back_page(document: SampleDocument, rng: np.random.Generator) -> PageLayout:
    """The back of a Căn cước card photocopied on its own page: features, issue date, the
    issuing police department and the ICAO TD1 machine-readable zone."""
    owner = document.owner
    issued = date.fromisoformat(document.fields.get("issue_date", "2022-01-01"))
    expiry = document.fields.get("valid_until")
    scale = float(rng.uniform(1.3, 1.6))
    x, y = float(rng.uniform(25, 60)), float(rng.uniform(25, 60))
    w, h = 85.6 * scale, 54.0 * scale
    size = 8.5 * scale
    number = owner.personal_id[3:12]
    line1 = f"IDVNM{number}{_mrz_check(number)}{owner.personal_id}".ljust(30, "<")[:30]
    birth = owner.date_of_birth.strftime("%y%m%d")
    until = date.fromisoformat(expiry).strftime("%y%m%d") if expiry else "<<<<<<"
    line2 = f"{birth}{_mrz_check(birth)}{'M' if owner.sex == 'Nam' else 'F'}{until}{_mrz_check(until)}VNM".ljust(29, "<")
    line2 += _mrz_check(line1[5:30] + line2[0:7] + line2[8:15] + line2[18:29])
    features = str(rng.choice(["Nốt ruồi cách 2 cm trên đầu lông mày phải", "Sẹo chấm cách 1 cm dưới đuôi mắt trái",
                               "Nốt ruồi cách 1,5 cm dưới mép phải"]))
    texts = [
        (f"Đặc điểm nhân dạng: {features}", "regular"),
        (f"Ngày, tháng, năm: {issued:%d/%m/%Y}", "regular"),
        ("CỤC TRƯỞNG CỤC CẢNH SÁT", "bold"),
        ("QUẢN LÝ HÀNH CHÍNH VỀ TRẬT TỰ XÃ HỘI", "bold"),
        ("Ngón trỏ trái    Ngón trỏ phải", "regular"),
        (line1, "regular"),
        (line2, "regular"),
        (_mrz_name(owner.full_name), "regular"),
    ]
    lines = []
    pitch = (h - 8) / len(texts)
    for index, (text, style) in enumerate(texts):
        lines.append(TextLine(text, x + 4, y + 4 + index * pitch, w - 8, size, style, "left"))
    return PageLayout(tuple(lines), (Shape("rect", x, y, w, h),))


def annex_page(document: SampleDocument, rng: np.random.Generator, page_number: int | None) -> PageLayout:
    """An annex of a decision: "PHỤ LỤC", "(Kèm theo Quyết định số … ngày …)", a list."""
    left, width = float(rng.uniform(20, 30)), 165.0
    y = float(rng.uniform(15, 25))
    lines = []
    if page_number is not None:
        lines.append(TextLine(str(page_number), left, y, width, 13, "regular", "center"))
        y += 12
    issued = date.fromisoformat(document.fields.get("issue_date", "2021-01-01"))
    number = document.fields.get("doc_number", "12/QĐ-UBND")
    lines.append(TextLine("PHỤ LỤC", left, y, width, 14, "bold", "center"))
    y += 7
    lines.append(TextLine(f"(Kèm theo Quyết định số {number} ngày {issued:%d/%m/%Y})", left, y, width, 13,
                          "italic", "center"))
    y += 12
    items = ["Hồ sơ đề nghị và các giấy tờ kèm theo", "Bản vẽ mặt bằng vị trí công trình",
             "Văn bản ý kiến của cơ quan chuyên môn", "Biên bản kiểm tra hiện trạng",
             "Danh sách các hộ liền kề đã được thông báo", "Giấy tờ chứng minh quyền sử dụng đất"]
    for index, item in enumerate(rng.permutation(items)[: int(rng.integers(3, 7))], 1):
        lines.append(TextLine(f"{index}. {item}.", left, y, width, 13, "regular", "left"))
        y += 7.5
    return PageLayout(tuple(lines))


def _with_extra_pages(document: SampleDocument, rng: np.random.Generator) -> SampleDocument:
    pages = list(document.pages)
    if document.doc_type == "can_cuoc" and document.owner and rng.random() < 0.5:
        pages.append(card_back_page(document, rng))
    if document.doc_type == "quyet_dinh" and len(pages) < 4 and rng.random() < 0.35:
        numbered = len(pages) > 1 and pages[1].lines and pages[1].lines[0].text.strip().isdigit()
        pages.append(annex_page(document, rng, len(pages) + 1 if numbered and rng.random() < 0.6 else None))
    return replace(document, pages=tuple(pages[:4]))


# ------------------------------------------------------------------------------------------------
# Separator sheets as printed


def _blank(dpi: int) -> Image.Image:
    return Image.new("L", (mm_to_px(210, dpi), mm_to_px(297, dpi)), 255)


def _qr_image(text: str, module_px: int, error: str = "m") -> Image.Image:
    import segno

    matrix = np.array([list(row) for row in segno.make(text, error=error, micro=False).matrix_iter(scale=1, border=4)],
                      dtype=np.uint8)
    image = Image.fromarray(((1 - matrix) * 255).astype(np.uint8), "L")
    return image.resize((image.width * module_px, image.height * module_px), Image.Resampling.NEAREST)


def _linear_code_image(text: str, symbology: str, dpi: int, rng: np.random.Generator) -> Image.Image:
    """Code 128 or Code 39 drawn by python-barcode at the page's resolution, text below."""
    import barcode
    from barcode.writer import ImageWriter

    cls = barcode.get_barcode_class(symbology)
    code = cls(text, writer=ImageWriter(), **({"add_checksum": False} if symbology == "code39" else {}))
    buffer = io.BytesIO()
    code.write(buffer, options={"module_width": float(rng.uniform(0.33, 0.6)), "module_height": float(rng.uniform(12, 28)),
                                "dpi": dpi, "font_size": 14, "text_distance": 5, "quiet_zone": 6.5})
    buffer.seek(0)
    return Image.open(buffer).convert("L")


def patcht_sheet(style: str, dpi: int, rng: np.random.Generator) -> Image.Image:
    """A separator sheet of the convention other systems use: a ``PATCHT`` code and a caption."""
    page = _blank(dpi)
    if style == "patcht_qr":
        code = _qr_image("PATCHT", max(3, mm_to_px(float(rng.uniform(1.0, 2.0)), dpi)))
    else:
        code = _linear_code_image("PATCHT", "code128" if style == "patcht_code128" else "code39", dpi, rng)
    x = int(rng.uniform(0.1, 0.9) * max(1, page.width - code.width))
    y = int(rng.uniform(0.15, 0.6) * max(1, page.height - code.height))
    page.paste(code, (x, y))
    draw = ImageDraw.Draw(page)
    if rng.random() < 0.7:
        font = load_font("bold", mm_to_px(12, dpi))
        caption = str(rng.choice(["PATCH T", "SEPARATOR", "TÁCH TÀI LIỆU"]))
        draw.text((page.width / 2, y + code.height + mm_to_px(20, dpi)), caption, font=font, fill=0, anchor="mt")
    return page


def patch_t_sheet(dpi: int, rng: np.random.Generator) -> Image.Image:
    """A Kodak Patch T sheet: bars narrow, wide, narrow, wide (2.03 and 5.08 mm, 2.03 mm apart)
    parallel to the leading edge and near it; sometimes an end-fed patch near the right edge."""
    page = _blank(dpi)
    draw = ImageDraw.Draw(page)
    widths = (2.03, 5.08, 2.03, 5.08)
    length = float(rng.uniform(60, 170))
    end_fed = rng.random() < 0.15
    offset = float(rng.uniform(8, 40))  # from the leading edge, mm
    along = float(rng.uniform(15, 210 - 15 - length if not end_fed else 297 - 15 - length))
    position = offset
    for width in widths:
        if end_fed:  # vertical bars, read from the right edge
            x1 = 210 - position
            draw.rectangle([mm_to_px(x1 - width, dpi), mm_to_px(along, dpi), mm_to_px(x1, dpi) - 1,
                            mm_to_px(along + min(length, 250), dpi)], fill=0)
        else:
            draw.rectangle([mm_to_px(along, dpi), mm_to_px(position, dpi), mm_to_px(along + length, dpi),
                            mm_to_px(position + width, dpi) - 1], fill=0)
        position += width + 2.03
    font = load_font("bold", mm_to_px(14, dpi))
    draw.text((page.width / 2, mm_to_px(130, dpi)), "PATCH T", font=font, fill=0, anchor="mt")
    small = load_font("regular", mm_to_px(5, dpi))
    draw.text((page.width / 2, mm_to_px(160, dpi)), "Transfer patch - separator", font=small, fill=0, anchor="mt")
    return page


def sohoa_sheet_image(payload: str, dpi: int) -> Image.Image:
    """sohoa's separator sheet as `sohoa separator-sheet` prints it, rasterised at ``dpi``."""
    import pypdfium2 as pdfium

    from pipeline.stages.separate import parse_sheet_payload, separator_sheets_pdf

    pdf = pdfium.PdfDocument(separator_sheets_pdf([parse_sheet_payload(payload)]))
    try:
        return pdf[0].render(scale=dpi / 72).to_pil().convert("L")
    finally:
        pdf.close()


# ------------------------------------------------------------------------------------------------
# Blank back sides


def blank_back(front: Image.Image | None, dpi: int, rng: np.random.Generator) -> Image.Image:
    """The back of a sheet printed on one side: white, sometimes with the front showing through
    (mirrored, blurred, faint); the scan damage comes after."""
    page = _blank(dpi)
    if front is not None and rng.random() < 0.4:
        mirrored = np.asarray(front.convert("L").resize(page.size).transpose(Image.Transpose.FLIP_LEFT_RIGHT),
                              dtype=np.float32)
        mirrored = cv2.GaussianBlur(mirrored, (0, 0), max(1.0, dpi / 100))
        strength = float(rng.uniform(0.04, 0.16))
        page = Image.fromarray(np.clip(255 - strength * (255 - mirrored), 0, 255).astype(np.uint8), "L")
    draw = ImageDraw.Draw(page)
    for _ in range(int(rng.integers(0, 6))):  # specks of dirt on the glass or the paper
        x, y = (float(v) for v in rng.uniform([10, 10], [200, 287]))
        radius = float(rng.uniform(0.1, 0.4))
        draw.ellipse([mm_to_px(x - radius, dpi), mm_to_px(y - radius, dpi), mm_to_px(x + radius, dpi),
                      mm_to_px(y + radius, dpi)], fill=int(rng.integers(60, 160)))
    if rng.random() < 0.25:  # a hair
        points = np.cumsum(rng.normal(0, 2.0, (8, 2)), axis=0) + rng.uniform([30, 30], [180, 260])
        draw.line([(mm_to_px(px, dpi), mm_to_px(py, dpi)) for px, py in points], fill=int(rng.integers(90, 170)),
                  width=max(1, mm_to_px(0.1, dpi)))
    return page


# ------------------------------------------------------------------------------------------------
# The stream


def _dossier_code(rng: np.random.Generator) -> str:
    received = date(2024, 1, 1) + timedelta(days=int(rng.integers(0, 540)))
    return f"{AGENCY_CODES[int(rng.integers(len(AGENCY_CODES)))]}-{received:%y%m%d}-{int(rng.integers(1, 9999)):04d}"


def _scanned(image: Image.Image, rng: np.random.Generator, severity: str) -> Image.Image:
    degraded, _, _ = degrade(image, rng, severity=severity)
    return degraded


class _Builder:
    """Pages in stream order. Images draw from their own generator (``look``), so that the
    stream's make-up is the same with and without images."""

    def __init__(self, render: bool, look: np.random.Generator):
        self.render = render
        self.look = look
        self.pages: list[StreamPage] = []

    def add(self, image_fn, text: str, role: str, **kw) -> int:
        self.pages.append(StreamPage(image_fn() if self.render else None, text, role, **kw))
        return len(self.pages)


def make_stream(
    seed: int,
    *,
    documents: int = 12,
    separators: str = "none",
    duplex: bool = False,
    dpi: int = 200,
    severity: str = "mixed",
    doc_types: tuple[str, ...] | None = None,
    render: bool = True,
) -> SampleStream:
    """A feeder's stream of ``documents`` generated papers with its ground truth.

    ``separators``: "none", "patcht" (a PATCHT Code 128 / Code 39 / QR sheet before every
    document but the first), "patch_t" (Kodak Patch T sheets), "sohoa" (a cover sheet before each
    dossier, a document sheet naming the type before each document), "mixed" (any of these per
    sheet). ``duplex`` adds the back of every sheet. ``render=False`` skips the images (text only:
    fast, for content-boundary benchmarks)."""
    if separators not in SEPARATOR_CHOICES:
        raise ValueError(f"separators must be one of {', '.join(SEPARATOR_CHOICES)}")
    rng = np.random.default_rng([seed, 0x57EA])
    types = list(doc_types or DOC_TYPES)
    order: list[str] = []
    while len(order) < documents:
        order += [types[i] for i in rng.permutation(len(types))]
    build = _Builder(render, np.random.default_rng([seed, 0x1AE5]))
    truth: list[StreamDocument] = []
    index = 0
    dossier_number = 0
    cover: tuple[str, str] | None = None  # the dossier and owner of the last cover sheet
    while index < documents:
        dossier_code = _dossier_code(rng)
        owner = make_person(seed * 1000 + dossier_number)
        dossier_number += 1
        size = min(int(rng.integers(2, 6)), documents - index)
        for position in range(size):
            doc_seed = seed * 10_000 + index
            doc_type = order[index]
            document = _with_extra_pages(make_document(doc_seed, doc_type, owner=owner), rng)
            sheet_type = None
            after_cover = False
            first_of_stream = index == 0
            if separators != "none":
                style = _separator_style(separators, rng)
                if style == "sohoa":
                    if position == 0:
                        _add_sohoa_sheet(build, f"k=cover;d={dossier_code};o={owner.personal_id}", dpi, severity, duplex)
                        cover, after_cover = (dossier_code, owner.personal_id), True
                    sheet_type = doc_type
                    _add_sohoa_sheet(build, f"k=doc;t={doc_type}", dpi, severity, duplex)
                elif not first_of_stream:
                    _add_separator(build, style, dpi, severity, duplex)
            pages, blanks = _add_document(build, document, doc_seed, index, dpi, rng, severity, duplex)
            truth.append(StreamDocument(document.doc_type, document.template, pages, blanks, dossier_code,
                                        owner.personal_id, sheet_type, cover[0] if cover else None,
                                        cover[1] if cover else None, after_cover))
            index += 1
    return SampleStream(tuple(build.pages), tuple(truth), seed, separators, duplex, dpi)


def _separator_style(separators: str, rng: np.random.Generator) -> str:
    if separators == "patcht":
        return str(rng.choice(SEPARATOR_STYLES[:3]))
    if separators == "mixed":
        return str(rng.choice(SEPARATOR_STYLES))
    return separators


def _add_separator(build: _Builder, style: str, dpi: int, severity: str, duplex: bool) -> None:
    look = build.look

    def image():
        clean = patch_t_sheet(dpi, look) if style == "patch_t" else patcht_sheet(style, dpi, look)
        return _scanned(clean, look, severity)

    build.add(image, "PATCH T", "separator", separator=style)
    if duplex:
        build.add(lambda: _scanned(blank_back(None, dpi, look), look, severity), "", "blank")


def _add_sohoa_sheet(build: _Builder, fields: str, dpi: int, severity: str, duplex: bool) -> None:
    payload = "SOHOA-SEP:1;" + fields
    look = build.look
    build.add(lambda: _scanned(sohoa_sheet_image(payload, dpi), look, severity), "TỜ PHÂN CÁCH", "separator",
              separator="sohoa", sheet_payload=payload)
    if duplex:
        build.add(lambda: _scanned(blank_back(None, dpi, look), look, severity), "", "blank")


def _add_document(build: _Builder, document: SampleDocument, doc_seed: int, index: int, dpi: int,
                  rng: np.random.Generator, severity: str, duplex: bool) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """The document's pages, each scanned; in a duplex stream the back of every sheet follows
    its front: the next page when the paper is printed on both sides (or is a card's back),
    else blank."""
    if build.render:
        scans = make_scans(doc_seed, dpi=dpi, document=document, severity=severity)
        images = [scan.image for scan in scans]
        clean = [render_page(page, dpi=dpi) for page in document.pages] if duplex else [None] * len(images)
    else:
        images, clean = [None] * len(document.pages), [None] * len(document.pages)
    texts = [page.text for page in document.pages]
    two_sided = duplex and rng.random() < 0.3
    card_back = document.doc_type == "can_cuoc" and len(document.pages) > 1 and "IDVNM" in texts[-1]
    look = build.look
    pages: list[int] = []
    blanks: list[int] = []
    k = 0
    while k < len(texts):
        pages.append(build.add(lambda k=k: images[k], texts[k], "content", document=index))
        back_is_next = k + 1 < len(texts) and (two_sided or (card_back and k + 1 == len(texts) - 1))
        if duplex and back_is_next:
            pages.append(build.add(lambda k=k: images[k + 1], texts[k + 1], "content", document=index))
            k += 2
            continue
        if duplex:
            page = build.add(lambda k=k: _scanned(blank_back(clean[k], dpi, look), look, severity), "", "blank",
                             document=index)
            pages.append(page)
            blanks.append(page)
        k += 1
    return tuple(pages), tuple(blanks)


# ------------------------------------------------------------------------------------------------
# Files and passes


def page_files(stream: SampleStream, folder: Path, *, naming: str = "sequence", fmt: str = "jpg") -> list[Path]:
    """Write every page of ``stream`` as its own image file: ``scan_0001.jpg``… ("sequence", as a
    scanner writes them), or per document ``<type>-p1.png``, ``<type>-p2.png`` ("paper"; separator
    pages are left out, as a person photographing papers has none). Returns the files in page
    order."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    if naming == "sequence":
        for number, page in enumerate(stream.pages, 1):
            path = folder / f"scan_{number:04d}.{fmt}"
            _save(page.image, path, stream.dpi)
            written.append(path)
        return written
    if naming != "paper":
        raise ValueError("naming must be 'sequence' or 'paper'")
    for index, document in enumerate(stream.documents):
        stem = f"{document.doc_type.replace('_', '-')}-{index + 1:02d}"
        for number, page in enumerate((p for p in document.pages if p not in document.blank_pages), 1):
            path = folder / f"{stem}-p{number}.{fmt}"
            _save(stream.pages[page - 1].image, path, stream.dpi)
            written.append(path)
    return written


def _save(image: Image.Image | None, path: Path, dpi: int) -> None:
    if image is None:
        raise ValueError("the stream was made without images (render=False)")
    if path.suffix.lower() in (".jpg", ".jpeg"):
        image.convert("RGB" if image.mode == "RGB" else "L").save(path, "JPEG", quality=85, dpi=(dpi, dpi))
    else:
        image.save(path, dpi=(dpi, dpi))


def single_sided_passes(stream: SampleStream) -> tuple[list[StreamPage], list[StreamPage]]:
    """A duplex stream as a single-sided feeder gives it: every sheet's front in order, then the
    stack turned over and the backs scanned from the last sheet to the first."""
    if not stream.duplex or len(stream.pages) % 2:
        raise ValueError("needs a duplex stream (a front and a back for every sheet)")
    fronts = list(stream.pages[0::2])
    backs = list(stream.pages[1::2])
    return fronts, backs[::-1]
