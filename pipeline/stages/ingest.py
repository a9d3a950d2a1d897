"""Files and folders in; pages out.

`discover` walks the paths a user gave into input files with their dossier, owner and procedure;
`open_input` checks one file and decides what it is (image, scanned PDF, born-digital PDF,
signed PDF); `load_page` decodes one page into pixels. Bad input raises an `InputError` naming the
reason; nothing here writes anywhere.
"""

from __future__ import annotations

import csv
import hashlib
import io
import logging
import tempfile
import unicodedata
from dataclasses import dataclass
from enum import Enum
from pathlib import Path

import numpy as np
from PIL import Image

from pipeline.errors import (
    CorruptFile,
    EmptyFile,
    EncryptedPdf,
    ImageTooLarge,
    UnreadableFile,
    UnsupportedFileType,
)
from pipeline.stages.tools import run_tool

log = logging.getLogger(__name__)

MANIFEST_NAME = "manifest.csv"
GROUND_TRUTH_SUFFIX = ".gt.txt"  # tesstrain's convention for OCR ground truth beside an image
BORN_DIGITAL_MIN_CHARS = 20  # per page: fewer visible characters than this is not a text layer


class InputKind(str, Enum):
    IMAGE = "image"
    SCANNED_PDF = "scanned_pdf"
    BORN_DIGITAL_PDF = "born_digital_pdf"
    SIGNED_PDF = "signed_pdf"


@dataclass(frozen=True)
class InputFile:
    path: Path
    dossier_code: str | None = None
    owner_id: str | None = None
    procedure_code: str | None = None


@dataclass(frozen=True)
class OpenedInput:
    """What a file is, decided once before its pages are processed."""

    path: Path
    kind: InputKind
    media_type: str
    page_count: int
    sha256: str
    size: int
    has_text_layer: bool  # PDFs only: every page carries extractable text
    reason: str  # why it was classified so, for the log


@dataclass(frozen=True)
class LoadedPage:
    pixels: np.ndarray  # uint8, HxW grey or HxWx3 RGB
    dpi: float


def _ignored(path: Path) -> bool:
    name = path.name
    return (
        name.startswith(".")
        or name == MANIFEST_NAME
        or name.endswith(GROUND_TRUTH_SUFFIX)
        or name.endswith(".reason.txt")
    )


def _read_manifest(directory: Path) -> dict[str, dict[str, str]]:
    manifest = directory / MANIFEST_NAME
    if not manifest.is_file():
        return {}
    rows: dict[str, dict[str, str]] = {}
    with manifest.open(newline="", encoding="utf-8-sig") as handle:
        for row in csv.DictReader(handle):
            name = (row.get("file") or "").strip()
            if name:
                rows[name] = {k: (v or "").strip() for k, v in row.items() if k}
    return rows


def discover(
    paths: list[Path],
    *,
    dossier_code: str | None = None,
    owner_id: str | None = None,
    procedure_code: str | None = None,
) -> list[InputFile]:
    """Expand files and directories into input files, each with its dossier.

    A directory is walked recursively; every directory that holds files is one dossier, named by
    the directory. A `manifest.csv` (file,dossier_code,owner_id,procedure_code) in it names them
    per file; the command-line values apply where the manifest is silent.
    """
    found: list[InputFile] = []
    seen: set[Path] = set()

    def add(path: Path, directory_dossier: str | None, manifest: dict[str, dict[str, str]]):
        resolved = path.resolve()
        if resolved in seen or _ignored(path):
            return
        seen.add(resolved)
        row = manifest.get(path.name, {})
        found.append(
            InputFile(
                path=path,
                dossier_code=row.get("dossier_code") or dossier_code or directory_dossier,
                owner_id=row.get("owner_id") or owner_id,
                procedure_code=row.get("procedure_code") or procedure_code,
            )
        )

    for path in paths:
        if path.is_dir():
            for directory in sorted([path, *[p for p in path.rglob("*") if p.is_dir()]]):
                if any(part.startswith(".") for part in directory.relative_to(path).parts):
                    continue
                files = sorted(p for p in directory.iterdir() if p.is_file() or p.is_symlink())
                manifest = _read_manifest(directory)
                name = unicodedata.normalize("NFC", directory.name)
                for file in files:
                    add(file, name, manifest)
        else:
            # A missing or unreadable path is still an input: it fails with its reason.
            add(path, None, _read_manifest(path.parent) if path.parent.is_dir() else {})
    return found


def sniff_media_type(head: bytes) -> str | None:
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head.startswith((b"II*\x00", b"MM\x00*")):
        return "image/tiff"
    if b"%PDF-" in head[:1024]:
        return "application/pdf"
    return None


def read_bytes(path: Path) -> bytes:
    try:
        data = path.read_bytes()
    except FileNotFoundError as exc:
        raise UnreadableFile("no such file") from exc
    except IsADirectoryError as exc:
        raise UnreadableFile("is a directory") from exc
    except OSError as exc:
        raise UnreadableFile(f"cannot be read ({exc.strerror or exc})") from exc
    return data


def open_input(path: Path, data: bytes, *, max_image_pixels: int) -> OpenedInput:
    """Decide what a file is and check that it can be digitised, without decoding its pages."""
    if not data:
        raise EmptyFile("empty file (0 bytes)")
    media_type = sniff_media_type(data[:1024])
    sha256 = hashlib.sha256(data).hexdigest()
    if media_type is None:
        suffix = path.suffix.lower()
        if suffix == ".pdf":
            raise CorruptFile("not a PDF: no %PDF header")
        if suffix in {".png", ".jpg", ".jpeg", ".tif", ".tiff"}:
            raise CorruptFile(f"not a {suffix[1:].upper()} image: unrecognised content")
        raise UnsupportedFileType(
            f"unsupported file type{f' ({suffix})' if suffix else ''}: "
            "sohoa reads PNG, JPEG, TIFF and PDF"
        )
    if media_type == "application/pdf":
        return _open_pdf(path, data, sha256)
    return _open_image(path, data, media_type, sha256, max_image_pixels)


def _open_image(
    path: Path, data: bytes, media_type: str, sha256: str, max_image_pixels: int
) -> OpenedInput:
    try:
        with Image.open(io.BytesIO(data)) as image:
            pages = getattr(image, "n_frames", 1)
            for index in range(pages):
                image.seek(index)
                _check_image_size(image.size, max_image_pixels)
    except (ImageTooLarge, CorruptFile):
        raise
    except Image.DecompressionBombError as exc:
        raise ImageTooLarge(str(exc)) from exc
    except Exception as exc:  # Pillow raises many types for broken files
        raise CorruptFile(f"cannot decode image: {exc}") from exc
    return OpenedInput(
        path=path,
        kind=InputKind.IMAGE,
        media_type=media_type,
        page_count=pages,
        sha256=sha256,
        size=len(data),
        has_text_layer=False,
        reason=f"{media_type} with {pages} page(s)",
    )


def _check_image_size(size: tuple[int, int], max_image_pixels: int) -> None:
    width, height = size
    if width * height > max_image_pixels:
        raise ImageTooLarge(
            f"image too large: {width}×{height} = {width * height / 1e6:.0f} megapixels "
            f"(limit {max_image_pixels / 1e6:.0f})"
        )
    if width < 1 or height < 1:
        raise CorruptFile(f"image has no pixels ({width}×{height})")


def _open_pdf(path: Path, data: bytes, sha256: str) -> OpenedInput:
    import pikepdf

    if b"%%EOF" not in data[-2048:]:
        raise CorruptFile("truncated PDF: no %%EOF marker at the end")
    try:
        pdf = pikepdf.open(io.BytesIO(data))
    except pikepdf.PasswordError as exc:
        raise EncryptedPdf("encrypted PDF: a password is needed to open it") from exc
    except pikepdf.PdfError as exc:
        raise CorruptFile(f"damaged PDF: {exc}") from exc
    with pdf:
        try:
            page_count = len(pdf.pages)
        except pikepdf.PdfError as exc:
            raise CorruptFile(f"damaged PDF: {exc}") from exc
        if page_count == 0:
            raise CorruptFile("PDF has no pages")
        signed = is_signed_pdf(pdf)
    chars_per_page = _text_chars_per_page(data)
    has_text = all(count >= BORN_DIGITAL_MIN_CHARS for count in chars_per_page)
    if signed:
        kind, reason = InputKind.SIGNED_PDF, "digitally signed PDF: kept byte-identical"
    elif has_text:
        kind = InputKind.BORN_DIGITAL_PDF
        reason = f"OCR skipped: every page has a text layer ({sum(chars_per_page)} characters)"
    else:
        kind = InputKind.SCANNED_PDF
        reason = "scanned PDF: pages without a text layer are OCR'd"
    return OpenedInput(
        path=path,
        kind=kind,
        media_type="application/pdf",
        page_count=page_count,
        sha256=sha256,
        size=len(data),
        has_text_layer=has_text,
        reason=reason,
    )


def is_signed_pdf(pdf) -> bool:
    """A PDF with a signature field that holds a value (or a DocMDP certification) is signed.

    pikepdf follows indirect references; entries of the form that are not dictionaries (a
    number, a name, a dangling reference read as null) are skipped, and a field reached twice (a
    /Kids loop) is read once."""
    import pikepdf

    def entries(value) -> list:
        return list(value) if isinstance(value, pikepdf.Array) else []

    root = pdf.Root
    if "/Perms" in root:
        return True
    acroform = root.get("/AcroForm")
    if not isinstance(acroform, pikepdf.Dictionary):
        return False
    stack = entries(acroform.get("/Fields"))
    seen: set[tuple[int, int]] = set()
    visited = 0
    while stack and visited < 10_000:
        visited += 1
        field = stack.pop()
        if not isinstance(field, pikepdf.Dictionary):
            continue
        if field.is_indirect:
            if field.objgen in seen:
                continue
            seen.add(field.objgen)
        if field.get("/FT") == "/Sig" and isinstance(field.get("/V"), pikepdf.Dictionary):
            return True
        stack.extend(entries(field.get("/Kids")))
    return False


def _text_chars_per_page(data: bytes) -> list[int]:
    import pdfplumber

    counts = []
    try:
        with pdfplumber.open(io.BytesIO(data)) as pdf:
            for page in pdf.pages:
                # An invisible OCR layer from another tool also counts as text.
                counts.append(sum(1 for c in page.chars if not c["text"].isspace()))
    except Exception as exc:
        raise CorruptFile(f"damaged PDF: {exc}") from exc
    return counts


def load_page(path: Path, opened_kind: InputKind, index: int, *, max_image_pixels: int) -> LoadedPage:
    """Decode page `index` of a file to pixels at its native resolution."""
    if opened_kind is InputKind.IMAGE:
        return _load_image_page(path, index, max_image_pixels)
    return _rasterise_pdf_page(path, index, max_image_pixels)


def _load_image_page(path: Path, index: int, max_image_pixels: int) -> LoadedPage:
    try:
        with Image.open(path) as image:
            image.seek(index)
            _check_image_size(image.size, max_image_pixels)
            dpi = _image_dpi(image)
            image.load()
            pixels = _to_array(image)
    except (ImageTooLarge, CorruptFile):
        raise
    except Image.DecompressionBombError as exc:
        raise ImageTooLarge(str(exc)) from exc
    except Exception as exc:  # Pillow raises many types for broken files
        raise CorruptFile(f"cannot decode page {index + 1}: {exc}") from exc
    return LoadedPage(pixels=pixels, dpi=dpi)


def _image_dpi(image: Image.Image) -> float:
    dpi = image.info.get("dpi")
    try:
        value = float(dpi[0]) if dpi else 0.0
    except (TypeError, ValueError, IndexError):
        value = 0.0
    if value < 50 or value > 1200:
        # No or absurd resolution recorded: assume an A4 page across the longer side.
        value = max(image.size) / (297 / 25.4)
    return value


def _to_array(image: Image.Image) -> np.ndarray:
    if image.mode in ("1", "L", "I;16", "I", "F"):
        grey = image.convert("L") if image.mode != "L" else image
        return np.asarray(grey, dtype=np.uint8).copy()
    if image.mode in ("RGBA", "LA", "P", "PA"):
        rgba = image.convert("RGBA")
        # Paper behind transparency is white.
        background = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        image = Image.alpha_composite(background, rgba)
    return np.asarray(image.convert("RGB"), dtype=np.uint8).copy()


def _rasterise_pdf_page(path: Path, index: int, max_image_pixels: int) -> LoadedPage:
    """Extract the page's scan at its native resolution; render with pdftoppm when it is not a
    single full-page image."""
    import pikepdf
    from pikepdf import PdfImage

    try:
        with pikepdf.open(path) as pdf:
            page = pdf.pages[index]
            box = [float(v) for v in page.mediabox]
            width_pt, height_pt = abs(box[2] - box[0]), abs(box[3] - box[1])
            images = list(page.get_images().values())
            rotate = int(page.obj.get("/Rotate", 0)) % 360
            native_dpi = 300.0
            if images:
                largest = max(images, key=lambda im: int(im.Width) * int(im.Height))
                pixel_width, pixel_height = int(largest.Width), int(largest.Height)
                native_dpi = pixel_width / (width_pt / 72) if width_pt else 300.0
                covers_page = abs(pixel_width / pixel_height - width_pt / height_pt) < 0.02
                if len(images) == 1 and rotate == 0 and covers_page:
                    _check_image_size((pixel_width, pixel_height), max_image_pixels)
                    pil = PdfImage(largest).as_pil_image()
                    return LoadedPage(pixels=_to_array(pil), dpi=native_dpi)
    except (ImageTooLarge, CorruptFile):
        raise
    except Exception as exc:  # an unusual image encoding: let poppler render it
        log.debug("direct image extraction failed on page %d of %s: %s", index + 1, path, exc)
        native_dpi = 300.0
        width_pt, height_pt = 595.0, 842.0
    dpi = min(max(round(native_dpi), 150), 600)
    if (width_pt * dpi / 72) * (height_pt * dpi / 72) > max_image_pixels:
        raise ImageTooLarge(f"page {index + 1} would exceed {max_image_pixels / 1e6:.0f} megapixels")
    with tempfile.TemporaryDirectory(prefix="sohoa-render-") as tmp:
        prefix = Path(tmp) / "page"
        run_tool(
            [
                "pdftoppm", "-r", str(dpi), "-f", str(index + 1), "-l", str(index + 1),
                "-png", "-singlefile", str(path), str(prefix),
            ],
            timeout=120,
            error=CorruptFile,
        )
        with Image.open(prefix.with_suffix(".png")) as rendered:
            rendered.load()
            return LoadedPage(pixels=_to_array(rendered), dpi=float(dpi))


@dataclass(frozen=True)
class TextPage:
    """A born-digital page: words with boxes in points (72 per inch), read with pdfplumber."""

    text: str
    words: tuple[tuple[str, float, float, float, float], ...]  # text, x0, top, x1, bottom
    width: float
    height: float


def read_text_pages(data: bytes) -> list[TextPage]:
    """Read a PDF's own text layer without re-saving it."""
    import pdfplumber

    pages = []
    with pdfplumber.open(io.BytesIO(data)) as pdf:
        for page in pdf.pages:
            text = unicodedata.normalize("NFC", page.extract_text() or "")
            words = tuple(
                (unicodedata.normalize("NFC", w["text"]), w["x0"], w["top"], w["x1"], w["bottom"])
                for w in page.extract_words()
            )
            pages.append(TextPage(text=text, words=words, width=page.width, height=page.height))
    return pages


__all__ = [
    "InputFile",
    "InputKind",
    "LoadedPage",
    "OpenedInput",
    "TextPage",
    "discover",
    "load_page",
    "open_input",
    "read_bytes",
    "read_text_pages",
]
