"""Searchable PDF/A-2b: one JPEG per page drawn full page, an invisible OCR text layer over it, XMP.

Two halves, run in different places:

- `encode_page_image` runs in the page worker processes: it downsamples the cleaned page to the
  stored resolution, drops colour the page does not really have, and encodes a JPEG once.
- `assemble_pdf` runs once per document: it wraps those JPEG bytes as they are (DCTDecode, never
  re-encoded), writes the text layer and the PDF/A metadata, and returns the file's bytes.

The text layer follows Tesseract's pdfrenderer.cpp: a Type0 font with Identity-H encoding whose
2-byte codes are Unicode code points, backed by Tesseract's glyphless `pdf.ttf` in which every code
draws the same empty glyph. Text is drawn in rendering mode 3 (invisible), each word stretched
with Tz so its width matches its OCR box, so search hits and selections land on the scanned words.
"""

from __future__ import annotations

import functools
import glob
import io
import logging
import math
import os
import struct
import time
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import cv2
import numpy as np
import pikepdf
from pikepdf import Array, Dictionary, Name

from pipeline import __version__
from pipeline.errors import ToolMissing
from pipeline.stages.ocr import OcrWord

log = logging.getLogger(__name__)

POINTS_PER_INCH = 72.0
# PDF/A-2 (ISO 19005-2, 6.1.13) allows no page box over 14,400 units; a larger page (a poster, a
# land-use map) gets a /UserUnit of several points per unit, so it keeps its physical size.
MAX_PAGE_UNITS = 14_400.0


# --------------------------------------------------------------------------------------------
# Page images (run in page workers)


@dataclass(frozen=True)
class ImageSettings:
    image_dpi: int = 200  # stored resolution; sources above it are downsampled, never upsampled
    # Measured on 300 dpi A4 pages of Vietnamese text (Liberation Serif 13 pt, mild noise) stored
    # at 200 dpi: an office letter (200 words) is 0.13 MB, a page full of text (500 words) 0.27 MB;
    # q=70 makes them 0.19/0.37 MB with no visible gain, and diacritics (dot below, hook above)
    # stay crisp at 50; q=40 would save only ~10 %.
    jpeg_quality: int = 50
    progressive: bool = True
    # A page is kept in colour only if enough of it is clearly coloured (red seals, blue-ink
    # signatures, colour photos). Chroma is max(R,G,B) - min(R,G,B) of a thumbnail at
    # `colour_probe_dpi`: each thumbnail pixel averages ~1.3 mm of paper, so the opposite-hued
    # fringes scanners leave on both edges of black strokes (colour misregistration) cancel out,
    # while a seal or signature stroke stays saturated. Measured at 300 dpi: grey text with 2 px
    # misregistration in both axes 0.02 % of pixels, a blue ballpoint signature 0.1 %, a red
    # seal 0.5 %.
    colour_chroma_threshold: int = 40
    colour_min_fraction: float = 0.0005
    colour_probe_dpi: float = 20.0


@dataclass(frozen=True)
class EncodedPageImage:
    data: bytes  # a complete JPEG (JFIF) file, 1 component (grey) or 3 (YCbCr, decoded as RGB)
    pixel_width: int
    pixel_height: int
    colour: bool
    page_width_pt: float  # from the source pixels and dpi, so the page keeps its paper size
    page_height_pt: float
    image_dpi: float = 0.0  # resolution the JPEG is stored at
    colour_fraction: float = 0.0  # share of clearly coloured thumbnail pixels (why `colour`)
    seconds: float = 0.0


def encode_page_image(image: np.ndarray, dpi: float, settings: ImageSettings) -> EncodedPageImage:
    """Downsample, decide grey or colour, and JPEG-encode one upright, cleaned page image."""
    started = time.perf_counter()
    image = _check_page_image(image)
    if dpi <= 0:
        raise ValueError(f"dpi must be positive, got {dpi}")
    source_height, source_width = image.shape[:2]

    colour_fraction = 0.0
    colour = False
    if image.ndim == 3:
        colour_fraction = _colour_fraction(image, dpi, settings)
        colour = colour_fraction >= settings.colour_min_fraction
        if not colour:
            image = cv2.cvtColor(image, cv2.COLOR_RGB2GRAY)

    # A few percent above the target is not worth a resampling pass (and its slight blur).
    if dpi > settings.image_dpi * 1.02:
        factor = settings.image_dpi / dpi
        size = (max(1, round(source_width * factor)), max(1, round(source_height * factor)))
        image = cv2.resize(image, size, interpolation=cv2.INTER_AREA)
    height, width = image.shape[:2]

    if colour:
        image = cv2.cvtColor(image, cv2.COLOR_RGB2BGR)  # OpenCV encodes BGR
    params = [
        cv2.IMWRITE_JPEG_QUALITY, settings.jpeg_quality,
        cv2.IMWRITE_JPEG_OPTIMIZE, 1,
        # Progressive scans are ~6 % smaller on text pages; every PDF 1.3+ reader decodes them.
        cv2.IMWRITE_JPEG_PROGRESSIVE, int(settings.progressive),
    ]  # fmt: skip
    ok, encoded = cv2.imencode(".jpg", image, params)
    if not ok:
        raise RuntimeError("OpenCV could not encode the page as JPEG")

    page_width_pt = source_width * POINTS_PER_INCH / dpi
    return EncodedPageImage(
        data=encoded.tobytes(),
        pixel_width=width,
        pixel_height=height,
        colour=colour,
        page_width_pt=page_width_pt,
        page_height_pt=source_height * POINTS_PER_INCH / dpi,
        image_dpi=width * POINTS_PER_INCH / page_width_pt,
        colour_fraction=colour_fraction,
        seconds=time.perf_counter() - started,
    )


def _check_page_image(image: np.ndarray) -> np.ndarray:
    if image.dtype != np.uint8:
        raise ValueError(f"page image must be uint8, got {image.dtype}")
    if image.ndim == 3 and image.shape[2] == 1:
        image = image[:, :, 0]
    if not (image.ndim == 2 or (image.ndim == 3 and image.shape[2] == 3)):
        raise ValueError(f"page image must be HxW grey or HxWx3 RGB, got shape {image.shape}")
    if image.shape[0] == 0 or image.shape[1] == 0:
        raise ValueError("page image is empty")
    return image


def _colour_fraction(rgb: np.ndarray, dpi: float, settings: ImageSettings) -> float:
    """Share of thumbnail pixels whose chroma exceeds the threshold."""
    factor = min(1.0, settings.colour_probe_dpi / dpi)
    height, width = rgb.shape[:2]
    size = (max(1, round(width * factor)), max(1, round(height * factor)))
    small = cv2.resize(rgb, size, interpolation=cv2.INTER_AREA) if factor < 1.0 else rgb
    chroma = small.max(axis=2) - small.min(axis=2)  # uint8, cannot underflow
    return float(np.count_nonzero(chroma > settings.colour_chroma_threshold)) / chroma.size


# --------------------------------------------------------------------------------------------
# Document assembly


@dataclass(frozen=True)
class PdfPage:
    image: EncodedPageImage
    words: Sequence[OcrWord]  # boxes in pixels of the source image, at source_dpi
    source_dpi: float


@dataclass(frozen=True, kw_only=True)
class PdfMetadata:
    title: str
    created: datetime  # timezone-aware; also used as the modification and metadata date
    dossier_code: str | None = None
    language: str = "vi"  # BCP 47, for dc:language and the catalog /Lang
    producer: str = f"sohoa {__version__}"
    document_id: str | None = None

    def __post_init__(self) -> None:
        # PDF and XMP dates carry an offset; guessing one for a naive time would be silently wrong.
        if self.created.tzinfo is None or self.created.utcoffset() is None:
            raise ValueError("PdfMetadata.created must be timezone-aware")


@dataclass(frozen=True)
class AssembleSettings:
    pdfa: bool = True  # PDF/A-2b identification and sRGB output intent
    # Tesseract's glyphless font; None looks in the usual tessdata folders.
    glyphless_font: Path | None = None


def assemble_pdf(
    pages: Sequence[PdfPage], metadata: PdfMetadata, settings: AssembleSettings
) -> bytes:
    """Build the searchable PDF (PDF/A-2b unless settings.pdfa is off) and return its bytes.

    Output is reproducible: the same pages and metadata give the same bytes (the trailer /ID is
    derived from the content), so a re-run stores an identical object.
    """
    if not pages:
        raise ValueError("a PDF needs at least one page")
    started = time.perf_counter()
    font_program = load_glyphless_font(settings.glyphless_font or find_glyphless_font())

    pdf = pikepdf.new()
    font = _add_text_font(pdf, font_program)
    for number, page in enumerate(pages, start=1):
        _add_page(pdf, page, font, font_program.advance)
        log.debug("page %d: %d words, %d-byte image", number, len(page.words), len(page.image.data))

    pdf.Root.Lang = pikepdf.String(metadata.language)
    if settings.pdfa:
        pdf.Root.OutputIntents = Array([_srgb_output_intent(pdf)])
    _write_metadata(pdf, metadata, settings)

    out = io.BytesIO()
    pdf.save(
        out,
        compress_streams=True,
        object_stream_mode=pikepdf.ObjectStreamMode.generate,
        # Flate streams we wrote are recompressed as qpdf sees fit; JPEGs pass through untouched.
        stream_decode_level=pikepdf.StreamDecodeLevel.generalized,
        deterministic_id=True,
        min_version="1.7",  # PDF/A-2 is based on PDF 1.7
        normalize_content=False,
        fix_metadata_version=False,  # the XMP packet was written by open_metadata; keep it as is
    )
    data = out.getvalue()
    log.debug(
        "assembled %d pages, %.1f KB, in %.0f ms",
        len(pages),
        len(data) / 1024,
        (time.perf_counter() - started) * 1000,
    )
    return data


# --------------------------------------------------------------------------------------------
# Glyphless font


@dataclass(frozen=True)
class GlyphlessFont:
    data: bytes  # the TrueType program, embedded as FontFile2
    advance: float  # of glyph 1, in 1/1000 text space units: the CIDFont's DW
    ascent: float
    descent: float


def find_glyphless_font() -> Path:
    """Locate Tesseract's pdf.ttf, which every Tesseract install ships beside its traineddata."""
    candidates: list[str] = []
    # TESSDATA_PREFIX is Tesseract's own setting for where its data lives, so we honour it the
    # way Tesseract does (pointing at tessdata or at its parent).
    prefix = os.environ.get("TESSDATA_PREFIX")
    if prefix:
        candidates += [os.path.join(prefix, "pdf.ttf"), os.path.join(prefix, "tessdata", "pdf.ttf")]
    for pattern in (
        "/usr/share/tesseract-ocr/*/tessdata/pdf.ttf",
        "/usr/share/tesseract-ocr/tessdata/pdf.ttf",
        "/usr/share/tessdata/pdf.ttf",
        "/usr/local/share/tessdata/pdf.ttf",
        "/opt/homebrew/share/tessdata/pdf.ttf",
    ):
        candidates += sorted(glob.glob(pattern), reverse=True)  # newest Tesseract major first
    for candidate in candidates:
        if os.path.isfile(candidate):
            return Path(candidate)
    raise ToolMissing(
        "Tesseract's glyphless font pdf.ttf was not found (looked in $TESSDATA_PREFIX and "
        "/usr/share/tesseract-ocr/*/tessdata); install tesseract-ocr or set "
        "AssembleSettings.glyphless_font"
    )


@functools.lru_cache(maxsize=4)
def load_glyphless_font(path: Path) -> GlyphlessFont:
    """Read the font once per process, with the metrics the PDF font dictionaries must repeat."""
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise ToolMissing(f"cannot read the glyphless font {path}: {exc}") from exc
    try:
        tables = _truetype_tables(data)
        units_per_em = struct.unpack_from(">H", data, tables[b"head"] + 18)[0]
        ascent, descent = struct.unpack_from(">hh", data, tables[b"hhea"] + 4)
        metric_count = struct.unpack_from(">H", data, tables[b"hhea"] + 34)[0]
        # Glyph 1 is the one every CID maps to; glyphs past the last long metric reuse its advance.
        glyph = min(1, metric_count - 1)
        (advance_units,) = struct.unpack_from(">H", data, tables[b"hmtx"] + 4 * glyph)
    except (KeyError, struct.error) as exc:
        raise ToolMissing(f"{path} is not a usable TrueType font: {exc}") from exc
    scale = 1000.0 / units_per_em
    return GlyphlessFont(
        data=data,
        advance=round(advance_units * scale, 3),
        ascent=round(ascent * scale, 3),
        descent=round(descent * scale, 3),
    )


def _truetype_tables(data: bytes) -> dict[bytes, int]:
    (count,) = struct.unpack_from(">H", data, 4)
    tables = {}
    for i in range(count):
        tag, _checksum, offset, _length = struct.unpack_from(">4sIII", data, 12 + 16 * i)
        tables[tag] = offset
    return tables


def _add_text_font(pdf: pikepdf.Pdf, font: GlyphlessFont) -> pikepdf.Object:
    """The Type0 font of the text layer, built once per document and shared by all pages."""
    font_file = pikepdf.Stream(pdf, font.data)
    font_file.Length1 = len(font.data)  # required for FontFile2: the uncompressed length
    descriptor = Dictionary(
        Type=Name.FontDescriptor,
        FontName=Name.GlyphLessFont,
        Flags=5,  # fixed pitch + symbolic, as Tesseract declares it
        FontBBox=Array([0, 0, font.advance, font.ascent]),
        ItalicAngle=0,
        Ascent=font.ascent,
        Descent=font.descent,
        CapHeight=font.ascent,
        StemV=80,
        FontFile2=font_file,
    )
    # Every 2-byte code maps to glyph 1 (glyph 0 is .notdef, which PDF/A forbids showing).
    cid_to_gid = pikepdf.Stream(pdf, b"\x00\x01" * 65536)
    descendant = Dictionary(
        Type=Name.Font,
        Subtype=Name.CIDFontType2,
        BaseFont=Name.GlyphLessFont,
        CIDSystemInfo=Dictionary(
            Registry=pikepdf.String("Adobe"), Ordering=pikepdf.String("Identity"), Supplement=0
        ),
        FontDescriptor=pdf.make_indirect(descriptor),
        DW=font.advance,
        CIDToGIDMap=cid_to_gid,
    )
    type0 = Dictionary(
        Type=Name.Font,
        Subtype=Name.Type0,
        BaseFont=Name.GlyphLessFont,
        Encoding=Name("/Identity-H"),
        DescendantFonts=Array([pdf.make_indirect(descendant)]),
        ToUnicode=pikepdf.Stream(pdf, _identity_to_unicode_cmap()),
    )
    return pdf.make_indirect(type0)


@functools.cache
def _identity_to_unicode_cmap() -> bytes:
    """ToUnicode CMap: each 2-byte code is its own UTF-16 code point.

    Tesseract writes one range <0000> <FFFF>, but a bfrange may only vary in its last byte, so we
    write one range per high byte, and none for the surrogate block, which holds no characters.
    """
    ranges = [
        f"<{hi:02X}00> <{hi:02X}FF> <{hi:02X}00>" for hi in range(256) if not 0xD8 <= hi <= 0xDF
    ]
    blocks = []
    for start in range(0, len(ranges), 100):  # at most 100 entries per block
        chunk = ranges[start : start + 100]
        blocks.append(f"{len(chunk)} beginbfrange\n" + "\n".join(chunk) + "\nendbfrange")
    return (
        "/CIDInit /ProcSet findresource begin\n"
        "12 dict begin\n"
        "begincmap\n"
        "/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def\n"
        "/CMapName /Adobe-Identity-UCS def\n"
        "/CMapType 2 def\n"
        "1 begincodespacerange\n<0000> <FFFF>\nendcodespacerange\n"
        + "\n".join(blocks)
        + "\nendcmap\n"
        "CMapName currentdict /CMap defineresource pop\n"
        "end\n"
        "end\n"
    ).encode("ascii")


# --------------------------------------------------------------------------------------------
# Pages


def user_unit_for(width_pt: float, height_pt: float) -> float:
    """Points per unit of user space for a page of this physical size: 1 unless the page would
    exceed MAX_PAGE_UNITS; then the smallest whole number that fits it."""
    largest = max(width_pt, height_pt)
    return 1.0 if largest <= MAX_PAGE_UNITS else float(math.ceil(largest / MAX_PAGE_UNITS))


def _add_page(pdf: pikepdf.Pdf, page: PdfPage, font: pikepdf.Object, advance: float) -> None:
    encoded = page.image
    if page.source_dpi <= 0:
        raise ValueError(f"source_dpi must be positive, got {page.source_dpi}")
    user_unit = user_unit_for(encoded.page_width_pt, encoded.page_height_pt)
    # From here on "pt" are units of user space: points unless the page is that large.
    width_pt, height_pt = encoded.page_width_pt / user_unit, encoded.page_height_pt / user_unit
    image = pikepdf.Stream(pdf, encoded.data)  # already DCT-encoded: stored as is
    image.Type = Name.XObject
    image.Subtype = Name.Image
    image.Width = encoded.pixel_width
    image.Height = encoded.pixel_height
    image.ColorSpace = Name.DeviceRGB if encoded.colour else Name.DeviceGray
    image.BitsPerComponent = 8
    image.Filter = Name.DCTDecode

    content = (
        f"q {_num(width_pt)} 0 0 {_num(height_pt)} 0 0 cm /Im0 Do Q\n".encode("ascii")
        + _text_layer(page.words, POINTS_PER_INCH / page.source_dpi / user_unit, height_pt, advance)
    )
    pdf_page = pdf.add_blank_page(page_size=(width_pt, height_pt))
    if user_unit != 1.0:
        pdf_page.obj.UserUnit = user_unit
    pdf_page.obj.Resources = Dictionary(
        XObject=Dictionary(Im0=image),
        Font=Dictionary(F1=font),
    )
    pdf_page.obj.Contents = pikepdf.Stream(pdf, content)


# Words whose gap to the next word is this small (or negative) still get a space, this wide.
_MIN_SPACE_EM = 0.05


def _text_layer(
    words: Sequence[OcrWord], scale: float, page_height_pt: float, advance: float
) -> bytes:
    """Invisible text: one Tf per line, one Tm + Tz per word, an explicit stretched space between.

    The glyph box of every character spans [baseline, baseline + font size] (the font's ascent is
    one em, its descent nil), so the font size is the line's height and the baseline its bottom:
    each word's glyphs then cover the line's box vertically and the word's box horizontally.
    The space between words is a real U+0020 whose width fills the gap, so text extraction and
    copy-paste see one space, not none or many.
    """
    lines: dict[int, list[tuple[OcrWord, str]]] = {}
    for word in words:
        text = _pdf_text(word.text)
        if text:
            lines.setdefault(word.line, []).append((word, text))
    if not lines:
        return b""

    em = advance / 1000.0  # glyph advance per unit of font size
    out = ["BT 3 Tr"]
    for line_words in lines.values():  # dicts keep the OCR's reading order of lines
        line_words.sort(key=lambda item: item[0].left)
        top = min(w.top for w, _ in line_words)
        bottom = max(w.top + w.height for w, _ in line_words)
        size = (bottom - top) * scale
        if size <= 0:
            continue
        baseline = page_height_pt - bottom * scale
        out.append(f"/F1 {_num(size)} Tf")
        for i, (word, text) in enumerate(line_words):
            x = word.left * scale
            width = max(word.width * scale, 0.01)
            scaling = 100.0 * width / (len(text) * em * size)
            codes = text.encode("utf-16-be").hex()  # BMP only: one 2-byte code per character
            out.append(f"1 0 0 1 {_num(x)} {_num(baseline)} Tm {_num(scaling)} Tz <{codes}> Tj")
            if i + 1 < len(line_words):
                gap = line_words[i + 1][0].left * scale - (x + width)
                gap = max(gap, _MIN_SPACE_EM * size)
                out.append(f"{_num(100.0 * gap / (em * size))} Tz <0020> Tj")
    out.append("ET\n")
    return "\n".join(out).encode("ascii")


def _pdf_text(text: str) -> str:
    """NFC text the font can carry: one 2-byte code per character, so BMP only, no controls."""
    text = unicodedata.normalize("NFC", text)
    return "".join(
        "\ufffd" if ord(ch) > 0xFFFF or 0xD800 <= ord(ch) <= 0xDFFF else ch
        for ch in text
        if not ch.isspace() and unicodedata.category(ch) != "Cc"
    )


def _num(value: float) -> str:
    """Compact PDF number: 3 decimals are 1/72000 inch, far below a scan pixel."""
    text = f"{value:.3f}".rstrip("0").rstrip(".")
    return "0" if text in ("", "-0") else text


# --------------------------------------------------------------------------------------------
# PDF/A metadata


@functools.cache
def _srgb_profile() -> bytes:
    from PIL import ImageCms

    profile = bytearray(ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes())
    # LittleCMS stamps the creation time into the header (bytes 24-35); a fixed date keeps our
    # output reproducible. The profile ID (bytes 84-99) is zero (not computed), so stays valid.
    profile[24:36] = struct.pack(">6H", 2024, 1, 1, 0, 0, 0)
    return bytes(profile)


def _srgb_output_intent(pdf: pikepdf.Pdf) -> Dictionary:
    profile = pikepdf.Stream(pdf, _srgb_profile())
    profile.N = 3
    return Dictionary(
        Type=Name.OutputIntent,
        S=Name.GTS_PDFA1,
        OutputConditionIdentifier=pikepdf.String("sRGB IEC61966-2.1"),
        RegistryName=pikepdf.String("http://www.color.org"),
        Info=pikepdf.String("sRGB IEC61966-2.1"),
        DestOutputProfile=profile,
    )


def _write_metadata(pdf: pikepdf.Pdf, metadata: PdfMetadata, settings: AssembleSettings) -> None:
    created = metadata.created.replace(microsecond=0).isoformat()  # PDF dates have whole seconds
    # update_docinfo mirrors title, producer and dates into the Info dictionary in the PDF date
    # format, which PDF/A requires to agree with the XMP.
    with pdf.open_metadata(set_pikepdf_as_editor=False, update_docinfo=True) as meta:
        meta["dc:title"] = metadata.title
        meta["dc:language"] = [metadata.language]
        meta["dc:format"] = "application/pdf"
        # Standard Dublin Core rather than a namespace of our own: a custom namespace needs a
        # pdfaExtension schema in every file, which some validators (pikepdf.pdfa) refuse outright.
        if metadata.document_id:
            meta["dc:identifier"] = metadata.document_id
        if metadata.dossier_code:
            meta["dc:source"] = metadata.dossier_code  # the dossier (hồ sơ) the paper came in
        meta["pdf:Producer"] = metadata.producer
        meta["xmp:CreatorTool"] = metadata.producer
        meta["xmp:CreateDate"] = created
        meta["xmp:ModifyDate"] = created
        meta["xmp:MetadataDate"] = created
        if settings.pdfa:
            meta["pdfaid:part"] = "2"
            meta["pdfaid:conformance"] = "B"
