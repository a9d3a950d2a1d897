"""Visible marks of signed documents: signature stamps and the QR code of issued results.

Where each mark goes follows the rules for electronic documents (Decree 30/2020 Appendix I,
Circular 01/2023/TT-VPCP art. 8):

- an official's signature on an issued result: signer's name, position, agency and signing time,
  by default at the bottom right of the last page (where the signature block stands);
- a digitiser's personal signature on a digitised copy: name and time at the top left of page 1;
- an organisation's signature on a copy ("SAO Y", "SAO LỤC", "TRÍCH SAO"): one text line with the
  copy type, the copying body and the time, at the top right of page 1, no image;
- the QR code of an issued result: top left of page 1 (dossier code, procedure code, document
  name, issuing system, issue time), drawn as vector squares so it stays sharp at any zoom.

Times are shown in ISO 8601 with the +07:00 offset. Text is drawn in Liberation Serif (Times New
Roman's metrics, every Vietnamese glyph), embedded as a subset through pyHanko's OpenType support.
"""

from __future__ import annotations

import functools
import io
import json
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

import segno
from PIL import Image
from fontTools import subset
from fontTools.ttLib import TTFont
from fontTools.ttLib.scaleUpem import scale_upem

from pyhanko.pdf_utils.font.opentype import GlyphAccumulator, GlyphAccumulatorFactory
from pyhanko.pdf_utils.text import TextBoxStyle
from pyhanko.stamp import TextStampStyle

from pipeline.clock import OFFICE_TZ

# fontTools warns about every table it cannot subset (FFTM…) each time a font is cut.
logging.getLogger("fontTools.subset").setLevel(logging.ERROR)

#: Vietnam's civil time (ICT) has no daylight saving.

STAMP_FONT = Path("/usr/share/fonts/truetype/liberation2/LiberationSerif-Regular.ttf")

#: Distance of marks from the page edge, in points (about 5 mm).
EDGE_MARGIN = 14.0
QR_SIZE = 72.0  # one inch: 25 mm, readable by phones at the module counts our payloads need

Box = tuple[float, float, float, float]  # x1, y1, x2, y2 in PDF points, origin bottom left


def iso_time(moment: datetime, tz: timezone = OFFICE_TZ) -> str:
    """`2026-11-23T15:04:05+07:00`: ISO 8601 to the second in the given offset."""
    if moment.tzinfo is None:
        raise ValueError("a time shown on a document must be timezone-aware")
    return moment.astimezone(tz).isoformat(timespec="seconds")


@dataclass(frozen=True)
class IsoTimeTextStampStyle(TextStampStyle):
    """A text stamp whose `%(ts)s` is the signing time in ISO 8601 at a fixed offset.

    pyHanko renders `ts` with strftime in the machine's zone; the format below keeps every digit
    and the offset, so the stamp shows exactly the signing time the signature carries, converted
    to `display_offset_hours`.
    """

    timestamp_format: str = "%Y-%m-%dT%H:%M:%S%z"
    display_offset_hours: int = 7

    def create_stamp(self, writer, box, text_params):
        shown = dict(text_params)
        if "ts" in shown:
            signed_at = datetime.strptime(shown["ts"], self.timestamp_format)
            offset = timezone(timedelta(hours=self.display_offset_hours))
            shown["ts"] = iso_time(signed_at, offset)
        return super().create_stamp(writer, box, shown)


#: What stamps write: Basic Latin, Latin-1, Latin Extended-A/B (ơ, ư, đ), combining marks,
#: Latin Extended Additional (ạ…ỹ: every precomposed Vietnamese vowel), general punctuation.
VIETNAMESE_TEXT_RANGES = ((0x20, 0x7E), (0xA0, 0x24F), (0x300, 0x36F), (0x1EA0, 0x1EFF),
                          (0x2000, 0x206F))


@functools.lru_cache(maxsize=2)
def _font_at_1000_upem(path: Path) -> bytes:
    """The font cut down to Vietnamese text and rescaled to 1000 units per em (about 0.3 s,
    once per process).

    pyHanko 0.38 writes glyph widths (/W) and kerning in the font's own units, which PDF reads as
    thousandths of an em: Liberation Serif's 2048 units made every letter twice as wide as laid
    out. At 1000 units per em the two agree. Cutting the 2,600-glyph font to the ~700 glyphs of
    Vietnamese text first makes each signature's own subsetting several times faster.
    """
    font = TTFont(str(path))
    options = subset.Options()
    options.layout_features = ["*"]  # keep kerning and mark positioning for stacked diacritics
    options.hinting = False  # stamps are vector text; hints matter only to rasterisers at tiny sizes
    options.name_IDs = ["*"]
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=[c for low, high in VIETNAMESE_TEXT_RANGES for c in range(low, high + 1)])
    subsetter.subset(font)
    if font["head"].unitsPerEm != 1000:
        scale_upem(font, 1000)
    out = io.BytesIO()
    font.save(out)
    return out.getvalue()


@dataclass(frozen=True)
class Upem1000GlyphAccumulatorFactory(GlyphAccumulatorFactory):
    """pyHanko's OpenType font engine, fed the font rescaled to 1000 units per em."""

    def create_font_engine(self, writer, obj_stream=None) -> GlyphAccumulator:
        if obj_stream is None and writer.stream_xrefs and self.create_objstream_if_needed:
            obj_stream = writer.prepare_object_stream()
        return GlyphAccumulator(
            writer=writer,
            font_handle=io.BytesIO(_font_at_1000_upem(Path(self.font_file))),
            font_size=self.font_size,
            ot_script_tag=self.ot_script_tag,
            ot_language_tag=self.ot_language_tag,
            writing_direction=self.writing_direction,
            bcp47_lang_code=self.bcp47_lang_code,
            obj_stream=obj_stream,
        )


def stamp_style(template: str, *, font_size: int = 10, border: bool = True,
                image: Image.Image | None = None) -> IsoTimeTextStampStyle:
    """A stamp in Liberation Serif `font_size` pt; `template` uses %(signer)s, %(ts)s and the
    parameters the signer passes (position, agency, copy_type). With `image` (the signature and
    seal, `signature_with_seal`) the image fills the stamp's left part and the text its right."""
    font = Upem1000GlyphAccumulatorFactory(str(STAMP_FONT), font_size=font_size,
                                           bcp47_lang_code="vi")
    pictured = {}
    if image is not None:
        from pyhanko.pdf_utils import layout
        from pyhanko.pdf_utils.images import PdfImage

        scale = min(IMAGE_WIDTH / image.width, IMAGE_HEIGHT / image.height)
        shown = layout.BoxConstraints(width=image.width * scale, height=image.height * scale)
        pictured = dict(
            background=PdfImage(image, box=shown), background_opacity=1.0,
            background_layout=layout.SimpleBoxLayoutRule(
                x_align=layout.AxisAlignment.ALIGN_MIN, y_align=layout.AxisAlignment.ALIGN_MID,
                margins=layout.Margins.uniform(2), inner_content_scaling=layout.InnerScaling.SHRINK_TO_FIT),
            inner_content_layout=layout.SimpleBoxLayoutRule(
                x_align=layout.AxisAlignment.ALIGN_MAX, y_align=layout.AxisAlignment.ALIGN_MID,
                margins=layout.Margins(left=IMAGE_WIDTH + 6, right=4, top=2, bottom=2),
                inner_content_scaling=layout.InnerScaling.SHRINK_TO_FIT),
        )
    return IsoTimeTextStampStyle(
        stamp_text=template,
        text_box_style=TextBoxStyle(font=font, font_size=font_size, leading=font_size + 2),
        border_width=1 if border else 0,
        **({"background": None} | pictured),
    )


#: The signature-and-seal image's part of an official's stamp, in points.
IMAGE_WIDTH = 150.0
IMAGE_HEIGHT = 84.0
#: Decree 30/2020: the seal overlaps about a third of the signature image, on its left.
SEAL_OVERLAP = 1 / 3


class BadStampImage(ValueError):
    pass


def signature_with_seal(signature_png: bytes, seal_png: bytes | None = None) -> Image.Image:
    """The signer's signature image with the office's seal over its left third (Decree 30/2020),
    as one RGBA image: the seal at the image's full height on the left, the signature beside it
    with its left third under the seal. Both PNGs keep their transparency."""
    signature = _png(signature_png, "signature image")
    if seal_png is None:
        return signature
    seal = _png(seal_png, "seal image")
    height = max(signature.height, seal.height)
    seal = seal.resize((max(1, round(seal.width * height / seal.height)), height))
    signature = signature.resize((max(1, round(signature.width * height * 0.8 / signature.height)),
                                  round(height * 0.8)))
    left = max(0, round(seal.width - signature.width * SEAL_OVERLAP))
    canvas = Image.new("RGBA", (left + signature.width, height), (0, 0, 0, 0))
    canvas.alpha_composite(signature, (left, (height - signature.height) // 2))
    canvas.alpha_composite(seal, (0, 0))  # the seal over the signature, as it is pressed after signing
    return canvas


def _png(data: bytes, what: str) -> Image.Image:
    try:
        image = Image.open(io.BytesIO(data))
        image.load()
    except Exception as exc:
        raise BadStampImage(f"the {what} is not a readable image") from exc
    if image.format != "PNG":
        raise BadStampImage(f"the {what} must be a PNG (with transparency), not {image.format}")
    if image.width * image.height > 4_000_000:
        raise BadStampImage(f"the {what} is too large ({image.width}×{image.height} pixels)")
    return image.convert("RGBA")


def official_image_box(width: float, height: float) -> Box:
    """Bottom right of the last page, wide enough for the signature-and-seal image beside the text."""
    return (width - EDGE_MARGIN - 360, EDGE_MARGIN, width - EDGE_MARGIN, EDGE_MARGIN + IMAGE_HEIGHT)


OFFICIAL_TEMPLATE = (
    "Người ký: %(signer)s\nChức vụ: %(position)s\nCơ quan: %(agency)s\nThời gian ký: %(ts)s"
)
DIGITISER_TEMPLATE = "Người số hóa: %(signer)s\nThời gian: %(ts)s"
COPY_TEMPLATE = "%(copy_type)s, %(agency)s, %(ts)s"
AGENCY_TEMPLATE = "Cơ quan: %(agency)s\nThời gian ký: %(ts)s"


def official_box(width: float, height: float) -> Box:
    """Bottom right of the page: where the signer's position and name stand."""
    return (width - EDGE_MARGIN - 250, EDGE_MARGIN, width - EDGE_MARGIN, EDGE_MARGIN + 62)


def digitiser_box(width: float, height: float, *, beside_qr: bool = False) -> Box:
    """Top left of page 1 (right of the QR code when the page carries one)."""
    left = EDGE_MARGIN + (QR_SIZE + 6 if beside_qr else 0)
    return (left, height - EDGE_MARGIN - 32, left + 230, height - EDGE_MARGIN)


def copy_box(width: float, height: float) -> Box:
    """Top right of page 1: one line of 10 pt text."""
    return (width - EDGE_MARGIN - 340, height - EDGE_MARGIN - 16, width - EDGE_MARGIN,
            height - EDGE_MARGIN)


def agency_box(width: float, height: float) -> Box:
    """Top right of page 1, two lines."""
    return (width - EDGE_MARGIN - 250, height - EDGE_MARGIN - 30, width - EDGE_MARGIN,
            height - EDGE_MARGIN)


def qr_box(width: float, height: float) -> Box:
    return (EDGE_MARGIN, height - EDGE_MARGIN - QR_SIZE, EDGE_MARGIN + QR_SIZE, height - EDGE_MARGIN)


# --- QR code ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class QrPayload:
    """What the QR code of an issued result carries (Circular 01/2023: dossier code, procedure
    code, document name, issuing system, time of issue)."""

    dossier_code: str
    procedure_code: str
    document_name: str
    issuing_system: str
    issued_at: datetime

    def text(self) -> str:
        """Compact JSON with Vietnamese keys; UTF-8 in the QR's byte mode."""
        return json.dumps(
            {
                "ma_ho_so": self.dossier_code,
                "ma_tthc": self.procedure_code,
                "ten_giay_to": self.document_name,
                "he_thong": self.issuing_system,
                "thoi_gian_ban_hanh": iso_time(self.issued_at),
            },
            ensure_ascii=False,
            separators=(",", ":"),
        )


def qr_content_stream(payload: QrPayload, box: Box) -> bytes:
    """PDF drawing operators for the QR code filling `box`: a white quiet zone, then one
    rectangle per horizontal run of dark modules."""
    code = segno.make(payload.text(), error="m", micro=False)
    rows = [list(row) for row in code.matrix_iter(scale=1, border=2)]
    modules = len(rows)
    x1, y1, x2, y2 = box
    size = min(x2 - x1, y2 - y1)
    module = size / modules
    top = y1 + size
    ops = [f"q 1 1 1 rg {x1:.3f} {y1:.3f} {size:.3f} {size:.3f} re f 0 0 0 rg"]
    for r, row in enumerate(rows):
        c = 0
        while c < modules:
            if not row[c]:
                c += 1
                continue
            start = c
            while c < modules and row[c]:
                c += 1
            ops.append(
                f"{x1 + start * module:.3f} {top - (r + 1) * module:.3f} "
                f"{(c - start) * module:.3f} {module:.3f} re"
            )
    ops.append("f Q")
    return ("\n".join(ops) + "\n").encode("ascii")
