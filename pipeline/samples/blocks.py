"""Layout blocks the templates share: the issuing office, the Decree 30 header (issuer and number
top-left, national heading top-right), the title, the place-and-date line, legal bases, the
signature block with its gap for the signature and seal, a card as a photocopy shows it, and
`Built`, what a template returns.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from pipeline.samples.choices import Ctx
from pipeline.samples.fonts import MM_PER_PT, text_width_mm
from pipeline.samples.layout import Cell, Composer
from pipeline.samples.pages import A4_MM, PageLayout, TextLine
from pipeline.samples.people import Person, Place
from pipeline.samples.wording import date_long, upper_vi
from pipeline.textnorm import nfc


@dataclass
class Issuer:
    parent: str  # upper case, may be ""
    body: str  # upper case
    place: Place

    @property
    def name(self) -> str:
        return self.body


def commune_issuer(ctx: Ctx, place: Place) -> Issuer:
    parent = ctx.choice([f"ỦY BAN NHÂN DÂN {place.district_full}", f"UBND {place.district_full}", ""])
    return Issuer(upper_vi(parent), upper_vi(f"ỦY BAN NHÂN DÂN {place.ward_full}"), place)


def district_issuer(ctx: Ctx, place: Place) -> Issuer:
    parent = ctx.choice([f"ỦY BAN NHÂN DÂN {place.province_full}", ""])
    return Issuer(upper_vi(parent), upper_vi(f"ỦY BAN NHÂN DÂN {place.district_full}"), place)


def police_issuer(ctx: Ctx, place: Place) -> Issuer:
    return Issuer(upper_vi(f"CÔNG AN {place.district_full}"), upper_vi(f"CÔNG AN {place.ward_full}"), place)


NATIONAL = "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"
MOTTO = "Độc lập - Tự do - Hạnh phúc"


def header(c: Composer, ctx: Ctx, issuer: Issuer | None, number_line: str | None, place_date: str | None) -> None:
    """Decree 30 header: issuing body and number top-left, national heading top-right, then the
    italic place-and-date line under the national heading."""
    s = c.s
    size = s.header_pt
    right_w = text_width_mm(NATIONAL, "bold", size) + ctx.rng.uniform(2, 8)
    right_x = A4_MM[0] - s.right - right_w + ctx.rng.uniform(0, 4)
    left_x = max(12.0, s.left - ctx.rng.uniform(0, 10))
    left_w = min(right_x - left_x - 6.0, 85.0)
    right_cells = [Cell(NATIONAL, "bold", size), Cell(MOTTO, "bold", size + 0.5, underline=True)]
    if issuer is None:  # forms: national heading centred alone
        c.centered(NATIONAL, size=size, gap=0.0)
        c.centered(MOTTO, size=size + 0.5, underline=text_width_mm(MOTTO, "bold", size + 0.5), gap=2)
        c.space(4)
        return
    left_cells = []
    if issuer.parent:
        left_cells += [Cell(part, "regular", size) for part in _split_body(issuer.parent, left_w, "regular", size)]
    body = _split_body(issuer.body, left_w, "bold", size)
    left_cells += [Cell(part, "bold", size, underline=part is body[-1]) for part in body]
    if number_line:
        left_cells.append(Cell(number_line, "regular", size + 0.5, skip=1))
    c.columns(left_cells, right_cells, left_box=(left_x, left_w), right_box=(right_x, right_w), keep_together=False)
    if place_date:
        c.space(ctx.rng.uniform(2, 5))
        date_size = s.body_pt
        c.absolute(TextLine(place_date, right_x, c.y, right_w, date_size, "italic", "center"))
        c.y += date_size * MM_PER_PT * 1.3
    c.space(ctx.rng.uniform(5, 10))


_BODY_PREFIXES = ("ỦY BAN NHÂN DÂN", "UBND", "CÔNG AN", "SỞ", "PHÒNG")


def _split_body(text: str, width: float, style: str, size: float) -> list[str]:
    """Break a too-long body name where an office would: after "ỦY BAN NHÂN DÂN", "CÔNG AN"..."""
    if text_width_mm(text, style, size) <= width:
        return [text]
    for prefix in _BODY_PREFIXES:
        if text.startswith(prefix + " ") and prefix not in ("SỞ", "PHÒNG"):
            rest = text[len(prefix) + 1:]
            if text_width_mm(rest, style, size) <= width:
                return [prefix, rest]
    return [text]  # the column wraps it


def title(c: Composer, text: str, summary: str | None = None, *, size: float | None = None) -> None:
    size = size or c.s.body_pt + 0.5
    c.centered(text, size=size, gap=0.5)
    if summary:
        c.centered(summary, size=c.s.body_pt, gap=0.5, underline=30.0)
    c.space(5)


def signature_block(
    c: Composer,
    ctx: Ctx,
    *,
    recipients: Sequence[str] | None,
    authority: Sequence[str],
    signer: str,
    left_cells: Sequence[Cell] = (),
) -> None:
    """"Nơi nhận:" (or another left block) bottom-left; the signer's position and name bottom-right
    with a gap for the signature and seal."""
    s = c.s
    widest = max(text_width_mm(a, "bold", s.body_pt) for a in authority) + 2
    right_w = min(max(ctx.rng.uniform(70, 85), widest), s.text_width * 0.62)
    right_x = A4_MM[0] - s.right - right_w
    left_x = s.left
    left_w = right_x - left_x - 8
    left: list[Cell] = list(left_cells)
    if recipients:
        left.append(Cell("Nơi nhận:", "bold_italic", 12, align="left"))
        left += [Cell(r, "regular", 11, align="left") for r in recipients]
    right = [Cell(a, "bold", s.body_pt) for a in authority]
    right.append(Cell(signer, "bold", s.body_pt, skip=int(ctx.integer(3, 5))))
    c.space(ctx.rng.uniform(3, 8))
    c.columns(left, right, left_box=(left_x, left_w), right_box=(right_x, right_w),
              signature_after=len(authority) - 1)


def place_date_line(place: Place, issued: date, ctx: Ctx) -> str:
    return f"{place.place_name}, {date_long(issued)}"


def legal_bases(ctx: Ctx, extra: Sequence[str]) -> list[str]:
    bases = [
        "Căn cứ Luật Tổ chức chính quyền địa phương ngày 19 tháng 6 năm 2015; Luật sửa đổi, bổ sung "
        "một số điều của Luật Tổ chức Chính phủ và Luật Tổ chức chính quyền địa phương ngày 22 tháng 11 năm 2019;",
    ]
    bases += list(extra)
    return bases


@dataclass
class Built:
    template: str
    title: str
    fields: dict[str, str]
    pages: tuple[PageLayout, ...]
    owner: Person


def built_document(c: Composer, owner: Person, template: str, title_text: str, fields: dict[str, str]) -> Built:
    """What a template returns: its finished pages and its non-empty fields, NFC."""
    return Built(template, title_text, {k: nfc(v) for k, v in fields.items() if v}, c.finish(), owner)


def person_fields(p: Person) -> dict[str, str]:
    """The owner's fields most templates record: personal ID, name, birth date, sex."""
    return {"owner_id": p.personal_id, "full_name": p.full_name, "date_of_birth": p.date_of_birth.isoformat(),
            "sex": p.sex}


def photocopied_card(c: Composer, ctx: Ctx, *, x: float, y: float, scale: float, head: Sequence[str],
          rows: Sequence[str], photo: bool, bold_rows: Sequence[int] = ()) -> float:
    """A card (85.6 × 54 mm times ``scale``) as a photocopy shows it; returns its bottom."""
    w, h = 85.6 * scale, 54.0 * scale
    c.shape("rect", x, y, w, h)
    size = 6.5 * scale
    line_h = size * MM_PER_PT * 1.25
    ty = y + 2.5 * scale
    for text in head:
        c.absolute(TextLine(text, x, ty, w, size, "bold", "center"))
        ty += line_h
    ty += 1.5 * scale
    text_x = x + 3 * scale
    if photo:
        c.shape("fill", x + 3 * scale, ty, 20 * scale, 25 * scale, grey=int(ctx.integer(150, 200)))
        text_x = x + 26 * scale
    width = x + w - text_x - 2 * scale
    for index, row in enumerate(rows):
        style = "bold" if index in bold_rows else "regular"
        for text in c.wrap(row, width, style, size):
            c.absolute(TextLine(text, text_x, ty, width, size, style, "left"))
            ty += line_h
    return y + h
