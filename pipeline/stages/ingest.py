"""Files and folders in; pages out.

`discover` walks the paths a user gave into input files with their dossier, owner and procedure;
`read_bytes` reads one regular file within the size limit; `open_input` checks it and decides
what it is (image, scanned PDF, born-digital PDF, signed PDF); `load_page` decodes one page into
pixels. Bad input raises an `InputError` whose message is written for a person (never a Python
repr or a library's exception text: those go to the log); nothing here writes anywhere.

A PDF that qpdf can repair but pdfminer cannot parse (no MediaBox, a page written directly into
the page tree, junk before `%PDF-`) is read from a repaired copy made in memory; the original
bytes are what is stored. A signed PDF is never repaired: a repaired copy is not what was signed.
"""

from __future__ import annotations

import csv
import errno
import functools
import hashlib
import io
import json
import logging
import os
import stat
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
    InputError,
    InputTooLarge,
    TooManyPages,
    UnreadableFile,
    UnsupportedFileType,
)
from pipeline.stages.tools import run_tool

log = logging.getLogger(__name__)

MANIFEST_NAME = "manifest.csv"
GROUND_TRUTH_SUFFIX = ".gt.txt"  # tesstrain's convention for OCR ground truth beside an image
BORN_DIGITAL_MIN_CHARS = 20  # per page: fewer visible characters than this is not a text layer
# Defaults of SOHOA_MAX_INPUT_BYTES and SOHOA_MAX_PAGES (pipeline/settings.py). A 500-page dossier
# scanned in colour at 300 dpi is ~400 MB; a 1,000-page PDF takes an ingester about an hour.
DEFAULT_MAX_INPUT_BYTES = 500_000_000
DEFAULT_MAX_PAGES = 1000
PAGE_FILE_SUFFIXES = {".png", ".jpg", ".jpeg", ".tif", ".tiff"}  # images that may be pages of one paper
PAGE_FILES_MEDIA_TYPE = "application/vnd.sohoa.page-files+json"
MEDIA_LABELS = {"image/png": "PNG", "image/jpeg": "JPEG", "image/tiff": "TIFF", "application/pdf": "PDF"}


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
    # Page files of one paper (x-p1.png, x-p2.png…), in page order, ingested as one input;
    # ``path`` is the first of them. Empty for an ordinary file.
    parts: tuple[Path, ...] = ()
    joined: str = ""  # "paper": the pages of one paper; "sequence": a stream to separate by content


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
    # Page files joined into one input: each file as opened, in page order. The input's bytes
    # are then the list of their hashes (`page_files_manifest`), and ``sha256`` is its hash.
    parts: tuple[OpenedInput, ...] = ()
    joined: str = ""  # as InputFile.joined


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
    join_page_files: bool = True,
    join_sequences: bool = False,
) -> list[InputFile]:
    """Expand files and directories into input files, each with its dossier.

    A directory is walked recursively; every directory that holds files is one dossier, named by
    the directory. A `manifest.csv` (file,dossier_code,owner_id,procedure_code) in it names them
    per file; the command-line values apply where the manifest is silent. Images named as pages
    of one paper (``x-p1.png``, ``x-p2.png``; ``x.jpg``, ``x (2).jpg``) are one input of page files
    (`join_page_files`); a scanner's numbered sequence (``scan_0001.jpg``…) only with
    ``join_sequences``, since a number in a name is as often a document's as a page's.
    """
    found = _discover(paths, dossier_code=dossier_code, owner_id=owner_id, procedure_code=procedure_code)
    if join_page_files or join_sequences:
        found = joined_page_files(found, sequences=join_sequences, papers=join_page_files)
    return found


def joined_page_files(found: list[InputFile], *, sequences: bool = False, papers: bool = True) -> list[InputFile]:
    """Inputs with the page files of one paper (or of one scanned sequence) joined, in page
    order, at the place of the first; files of a group that name different dossiers, owners or
    procedures are left apart."""
    from pipeline.stages.separate import page_file_groups  # the naming rules live with separation

    images = [item for item in found if item.path.suffix.lower() in PAGE_FILE_SUFFIXES]
    by_path = {item.path: item for item in images}
    joined: dict[Path, InputFile] = {}
    absorbed: set[Path] = set()
    for group in page_file_groups(by_path):
        wanted = (group.kind == "paper" and papers) or (group.kind == "sequence" and sequences)
        members = [by_path[p] for p in group.paths]
        if not wanted or len(members) < 2:
            continue
        labels = {(m.dossier_code, m.owner_id, m.procedure_code) for m in members}
        if len(labels) != 1:
            continue
        first = members[0]
        joined[first.path] = InputFile(first.path, first.dossier_code, first.owner_id, first.procedure_code,
                                       parts=tuple(group.paths), joined=group.kind)
        absorbed.update(group.paths[1:])
    return [joined.get(item.path, item) for item in found if item.path not in absorbed]


def _discover(
    paths: list[Path],
    *,
    dossier_code: str | None,
    owner_id: str | None,
    procedure_code: str | None,
) -> list[InputFile]:
    found: list[InputFile] = []
    seen: set[Path] = set()

    def add(path: Path, directory_dossier: str | None, manifest: dict[str, dict[str, str]]):
        resolved = _identity(path)
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
                try:
                    # Everything but folders: pipes, devices, dangling links and link loops are
                    # listed too, so each fails with its reason instead of vanishing unmentioned.
                    files = sorted(p for p in directory.iterdir() if not p.is_dir())
                except OSError:  # an unreadable folder fails as one input, with its reason
                    add(directory, None, {})
                    continue
                manifest = _read_manifest(directory)
                name = unicodedata.normalize("NFC", directory.name)
                for file in files:
                    add(file, name, manifest)
        else:
            # A missing or unreadable path is still an input: it fails with its reason.
            add(path, None, _read_manifest(path.parent) if path.parent.is_dir() else {})
    return found


def _identity(path: Path) -> Path:
    """What a path points at, to list each file once; a link loop points at nothing but itself."""
    try:
        return path.resolve()
    except (OSError, RuntimeError):  # RuntimeError: "Symlink loop" (Python < 3.13)
        return path.absolute()


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


def read_bytes(path: Path, *, max_bytes: int = DEFAULT_MAX_INPUT_BYTES) -> bytes:
    """The bytes of a regular file of at most ``max_bytes``.

    Only regular files are inputs: a named pipe, a device (`/dev/zero`), a socket or a link loop
    is refused without reading a byte. The file is opened without blocking, so a pipe with no
    writer cannot hang the batch, and read no further than the limit."""
    with open_regular_file(path) as handle:
        size = os.fstat(handle.fileno()).st_size
        if size > max_bytes:
            raise InputTooLarge(_too_large_message(size, max_bytes))
        data = handle.read(max_bytes + 1)
    if len(data) > max_bytes:  # it grew while we read it
        raise InputTooLarge(_too_large_message(len(data), max_bytes))
    return data


def open_regular_file(path: Path) -> io.BufferedReader:
    """Open ``path`` for reading if it is a regular file (links followed); raises UnreadableFile
    saying what it is otherwise. A device is never opened (opening some has effects), and a
    named pipe swapped in after the check cannot block: O_NONBLOCK makes its open return at once."""
    _refuse_unless_regular(_os_call(path, os.stat))
    flags = os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOCTTY", 0) | getattr(os, "O_CLOEXEC", 0)
    descriptor = _os_call(path, lambda p: os.open(p, flags))
    try:
        _refuse_unless_regular(os.fstat(descriptor).st_mode)  # what was opened, if it changed
        os.set_blocking(descriptor, True)
        return os.fdopen(descriptor, "rb")
    except BaseException:
        os.close(descriptor)
        raise


def _os_call(path: Path, call):
    """``call(path)`` (stat or open) with its failure said for a person."""
    try:
        result = call(path)
    except FileNotFoundError as exc:
        reason = "a link to a file that does not exist" if path.is_symlink() else "no such file"
        raise UnreadableFile(reason) from exc
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise UnreadableFile("a symbolic link loop: the link leads back to itself, not to a file") from exc
        raise UnreadableFile(f"cannot be read ({exc.strerror or 'operating system error'})") from exc
    return result.st_mode if isinstance(result, os.stat_result) else result


def _refuse_unless_regular(mode: int) -> None:
    if stat.S_ISDIR(mode):
        raise UnreadableFile("is a directory")
    if not stat.S_ISREG(mode):
        raise UnreadableFile(f"not a regular file ({_special_kind(mode)}): only files are inputs")


def _special_kind(mode: int) -> str:
    if stat.S_ISFIFO(mode):
        return "a named pipe"
    if stat.S_ISCHR(mode):
        return "a character device"
    if stat.S_ISBLK(mode):
        return "a block device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "a special file"


def _too_large_message(size: int, limit: int) -> str:
    shown, allowed = _amount_of_bytes(size), _amount_of_bytes(limit)
    if shown == allowed:  # a file just over the limit must not read as equal to it
        shown, allowed = f"{size:,} bytes", f"{limit:,} bytes"
    return f"file too large: {shown}, the limit is {allowed} (SOHOA_MAX_INPUT_BYTES)"


def _amount_of_bytes(count: int) -> str:
    return f"{count / 1e6:,.0f} MB" if count >= 10_000_000 else f"{count:,} bytes"


def _check_page_count(pages: int, max_pages: int) -> None:
    if pages > max_pages:
        raise TooManyPages(
            f"too many pages: {pages:,} pages, the limit is {max_pages:,} (SOHOA_MAX_PAGES); "
            "split the document"
        )


def open_input(
    path: Path, data: bytes, *, max_image_pixels: int, max_pages: int = DEFAULT_MAX_PAGES
) -> OpenedInput:
    """Decide what a file is and check that it can be digitised, without decoding its pages.

    The page count is checked here, before any page work: a document over ``max_pages`` is
    refused at once."""
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
    try:
        if media_type == "application/pdf":
            return _open_pdf(path, data, sha256, max_pages)
        return _open_image(path, data, media_type, sha256, max_image_pixels, max_pages)
    except InputError:
        raise
    except Exception as exc:  # a library tripped on this file: it fails alone, the batch goes on
        log.warning("%s: unexpected error while opening it", path, exc_info=True)
        raise CorruptFile(f"damaged {MEDIA_LABELS[media_type]}: its content cannot be read") from exc


def page_files_manifest(parts: list[OpenedInput] | tuple[OpenedInput, ...]) -> bytes:
    """The bytes that stand for page files joined into one input, and are stored as its original:
    each file's sha256, media type and page count, in page order. Names are not part of it: the
    same pages under other names are the same input (each file's own bytes are stored too)."""
    files = [{"sha256": p.sha256, "media_type": p.media_type, "pages": p.page_count} for p in parts]
    return json.dumps({"sohoa": "page-files", "version": 1, "files": files},
                      sort_keys=True, separators=(",", ":")).encode()


def joined_input(parts: list[OpenedInput], joined: str, *, max_pages: int = DEFAULT_MAX_PAGES) -> OpenedInput:
    """Page files (each already opened, in page order) as one input."""
    for part in parts:
        if part.kind not in (InputKind.IMAGE, InputKind.SCANNED_PDF) or part.has_text_layer:
            raise InputError(f"{part.path.name}: only scanned pages can be joined into one document")
    pages = sum(part.page_count for part in parts)
    _check_page_count(pages, max_pages)
    manifest = page_files_manifest(parts)
    kind = InputKind.IMAGE if all(p.kind is InputKind.IMAGE for p in parts) else InputKind.SCANNED_PDF
    return OpenedInput(
        path=parts[0].path, kind=kind, media_type=PAGE_FILES_MEDIA_TYPE, page_count=pages,
        sha256=hashlib.sha256(manifest).hexdigest(), size=len(manifest), has_text_layer=False,
        reason=f"{len(parts)} page files of one {'paper' if joined == 'paper' else 'scanned sequence'}",
        parts=tuple(parts), joined=joined,
    )


def _open_image(
    path: Path, data: bytes, media_type: str, sha256: str, max_image_pixels: int, max_pages: int
) -> OpenedInput:
    label = MEDIA_LABELS[media_type]
    try:
        with Image.open(io.BytesIO(data)) as image:
            pages = getattr(image, "n_frames", 1)
            _check_page_count(pages, max_pages)
            for index in range(pages):
                image.seek(index)
                _check_image_size(image.size, max_image_pixels)
    except InputError:
        raise
    except Image.DecompressionBombError as exc:
        raise ImageTooLarge(_bomb_message(label)) from exc
    except Exception as exc:  # Pillow raises many types for broken files
        log.info("%s: Pillow cannot decode it: %s", path, exc)
        raise CorruptFile(f"damaged {label} image: it cannot be decoded (truncated or corrupted)") from exc
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


def _bomb_message(label: str) -> str:
    return (f"image too large: the {label} claims more pixels than can be decoded safely "
            "(a decompression bomb, or a page scanned far too finely)")


def _check_image_size(size: tuple[int, int], max_image_pixels: int) -> None:
    width, height = size
    if width * height > max_image_pixels:
        raise ImageTooLarge(
            f"image too large: {width}×{height} = {width * height / 1e6:.0f} megapixels "
            f"(limit {max_image_pixels / 1e6:.0f})"
        )
    if width < 1 or height < 1:
        raise CorruptFile(f"image has no pixels ({width}×{height})")


def _open_pdf(path: Path, data: bytes, sha256: str, max_pages: int) -> OpenedInput:
    if b"%%EOF" not in data[-2048:]:
        raise CorruptFile("truncated PDF: no %%EOF marker at the end")
    with _open_pikepdf(path, data) as pdf:
        try:
            page_count = len(pdf.pages)
        except Exception as exc:
            raise _pdf_failure(path, exc) from exc
        if page_count == 0:
            raise CorruptFile("PDF has no pages")
        _check_page_count(page_count, max_pages)
        try:
            signed = is_signed_pdf(pdf)
        except Exception as exc:  # a broken form: whether it is signed cannot be told
            raise _pdf_failure(path, exc) from exc
    chars_per_page, repaired = _text_chars_per_page(path, data, page_count, repair=not signed)
    has_text = all(count >= BORN_DIGITAL_MIN_CHARS for count in chars_per_page)
    if signed:
        kind, reason = InputKind.SIGNED_PDF, "digitally signed PDF: kept byte-identical"
    elif has_text:
        kind = InputKind.BORN_DIGITAL_PDF
        reason = f"OCR skipped: every page has a text layer ({sum(chars_per_page)} characters)"
    else:
        kind = InputKind.SCANNED_PDF
        reason = "scanned PDF: pages without a text layer are OCR'd"
    if repaired:
        reason += "; its text is read from a copy repaired by qpdf (the original is stored unchanged)"
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


def _open_pikepdf(path: Path, data: bytes):
    """The PDF opened by qpdf, which repairs what it can; an InputError saying why otherwise."""
    import pikepdf

    try:
        return pikepdf.open(io.BytesIO(data))
    except pikepdf.PasswordError as exc:
        raise EncryptedPdf("encrypted PDF: a password is needed to open it") from exc
    except Exception as exc:
        raise _pdf_failure(path, exc) from exc


# qpdf's words for what is wrong -> what to tell a person. Checked in order; the first match wins.
_PDF_FAILURES = (
    ("unsupported encryption filter", EncryptedPdf,
     "encrypted PDF: it is encrypted for particular recipients' certificates (public-key "
     "security); only a recipient's private key opens it — ask for an unencrypted copy"),
    ("encrypt", CorruptFile,
     "damaged PDF: its encryption dictionary is malformed, so its content cannot be decrypted"),
    ("loop detected", CorruptFile, "damaged PDF: its page tree loops back on itself"),
    ("page tree", CorruptFile, "damaged PDF: its page tree is missing or broken"),
    ("/pages", CorruptFile, "damaged PDF: its page tree is missing or broken"),
    ("trailer", CorruptFile,
     "damaged PDF: its cross-reference table and trailer are broken beyond repair"),
    ("root", CorruptFile, "damaged PDF: its catalog (/Root) is missing and cannot be rebuilt"),
    ("unable to find objects", CorruptFile,
     "damaged PDF: its cross-reference table is broken beyond repair"),
    ("xref", CorruptFile, "damaged PDF: its cross-reference table is broken beyond repair"),
)


def _pdf_failure(path: Path, exc: BaseException) -> InputError:
    """The reason a PDF cannot be read, for a person; the library's own words go to the log."""
    detail = str(exc)
    log.info("%s: the PDF cannot be read: %s", path, detail)
    lowered = detail.lower()
    for phrase, error, message in _PDF_FAILURES:
        if phrase in lowered:
            return error(message)
    return CorruptFile("damaged PDF: its structure is broken and could not be repaired")


def repaired_pdf(data: bytes) -> bytes:
    """A copy of the PDF rewritten by qpdf: cross-reference table rebuilt, a missing MediaBox set
    to Letter (as poppler shows it), direct page objects made indirect, leading junk dropped.
    For reading only — the original bytes are what is stored."""
    import pikepdf

    try:
        with pikepdf.open(io.BytesIO(data)) as pdf:
            out = io.BytesIO()
            pdf.save(out)
    except Exception as exc:
        raise _pdf_failure(Path("<repair>"), exc) from exc
    return out.getvalue()


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
    while stack and visited < 10_000:  # a field tree may loop back on itself
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


def _text_chars_per_page(
    path: Path, data: bytes, page_count: int, *, repair: bool
) -> tuple[list[int], bool]:
    """Visible characters per page, read by pdfminer, and whether that needed a repaired copy.

    A signed PDF that pdfminer cannot read as it is counts as having no text: its pages are
    OCR'd from a rendering instead of reading a repaired copy that is not what was signed."""
    try:
        return _count_text_chars(data), False
    except Exception as exc:
        log.info("%s: pdfminer cannot read the PDF as it is: %s", path, exc)
        if not repair:
            return [0] * page_count, False
    repaired = repaired_pdf(data)
    try:
        return _count_text_chars(repaired), True
    except Exception as exc:
        log.info("%s: pdfminer cannot read the repaired copy either: %s", path, exc)
        raise CorruptFile("damaged PDF: its pages cannot be read, even after repair") from exc


def _count_text_chars(data: bytes) -> list[int]:
    import pdfplumber

    with pdfplumber.open(io.BytesIO(data)) as pdf:
        if not pdf.pages:  # broken cross-references can hide every page from pdfminer
            raise ValueError("pdfminer found no pages")
        # An invisible OCR layer from another tool also counts as text.
        return [sum(1 for c in page.chars if not c["text"].isspace()) for page in pdf.pages]


def load_page(path: Path, opened_kind: InputKind, index: int, *, max_image_pixels: int) -> LoadedPage:
    """Decode page `index` of a file to pixels at its native resolution."""
    try:
        if opened_kind is InputKind.IMAGE:
            return _load_image_page(path, index, max_image_pixels)
        return _rasterise_pdf_page(
            path, index, max_image_pixels, repair=opened_kind is not InputKind.SIGNED_PDF
        )
    except InputError:
        raise
    except Exception as exc:  # a library tripped on this page: the document fails, the batch goes on
        log.warning("%s: unexpected error while loading page %d", path, index + 1, exc_info=True)
        raise CorruptFile(f"page {index + 1} cannot be decoded: its content is damaged or unusual") from exc


def _load_image_page(path: Path, index: int, max_image_pixels: int) -> LoadedPage:
    try:
        with open_regular_file(path) as handle, Image.open(handle) as image:
            image.seek(index)
            _check_image_size(image.size, max_image_pixels)
            dpi = _image_dpi(image)
            pixels = _decoded_by_opencv(handle, image) if index == 0 else None
            if pixels is None:
                image.load()
                pixels = _to_array(image)
    except InputError:
        raise
    except Image.DecompressionBombError as exc:
        raise ImageTooLarge(_bomb_message("image")) from exc
    except Exception as exc:  # Pillow raises many types for broken files
        log.info("%s: Pillow cannot decode page %d: %s", path, index + 1, exc)
        raise CorruptFile(f"damaged image: page {index + 1} cannot be decoded (truncated or corrupted)") from exc
    return LoadedPage(pixels=pixels, dpi=dpi)


@functools.lru_cache(maxsize=1)
def _opencv():
    """OpenCV, imported when a page is first decoded (not at start-up), told once to keep its own
    warnings to itself: a truncated file makes it print one to stderr ("PNG input buffer is
    incomplete") before Pillow gives the reason that counts; its errors stay on."""
    import cv2

    cv2.utils.logging.setLogLevel(cv2.utils.logging.LOG_LEVEL_ERROR)
    return cv2


def _decoded_by_opencv(handle: io.BufferedReader, image: Image.Image) -> np.ndarray | None:
    """The pixels of a plain 8-bit grey or RGB PNG or JPEG, decoded by OpenCV: the same pixels as
    Pillow's (libpng, libjpeg-turbo; tests/test_ingest_decode.py compares them) in about half the
    time, for the commonest scans. None for anything else (palettes, alpha, 16 bits, CMYK, frames),
    or when OpenCV cannot decode it: Pillow then decodes it, and says what is wrong."""
    cv2 = _opencv()
    if image.format not in ("PNG", "JPEG") or image.mode not in ("L", "RGB") or getattr(image, "n_frames", 1) != 1:
        return None
    if "transparency" in image.info:
        return None
    handle.seek(0)
    encoded = np.frombuffer(handle.read(), dtype=np.uint8)
    grey = image.mode == "L"
    # Pillow applies no EXIF orientation; neither may OpenCV (it would by default)
    flags = (cv2.IMREAD_GRAYSCALE if grey else cv2.IMREAD_COLOR) | cv2.IMREAD_IGNORE_ORIENTATION
    decoded = cv2.imdecode(encoded, flags)
    if decoded is None or decoded.shape[:2] != (image.height, image.width):
        return None
    return decoded if grey else cv2.cvtColor(decoded, cv2.COLOR_BGR2RGB)


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


_HIGH_DEPTH_GREY = ("I;16", "I;16L", "I;16B", "I;16N", "I", "F")


def _to_array(image: Image.Image) -> np.ndarray:
    if image.mode in _HIGH_DEPTH_GREY:
        return _grey_to_8_bits(image)
    if image.mode in ("1", "L"):
        grey = image.convert("L") if image.mode != "L" else image
        return np.asarray(grey, dtype=np.uint8).copy()
    if image.mode in ("RGBA", "LA", "La", "P", "PA", "RGBa"):
        rgba = image.convert("RGBA")
        # Paper behind transparency is white.
        background = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        image = Image.alpha_composite(background, rgba)
    return np.asarray(image.convert("RGB"), dtype=np.uint8).copy()


def _grey_to_8_bits(image: Image.Image) -> np.ndarray:
    """16-bit (or 32-bit) grey scaled to 8 bits; Pillow's convert("L") clips it, which turns a
    16-bit scan into a white page."""
    values = np.asarray(image).astype(np.float64)
    if image.mode == "F":
        top = 1.0 if values.size and float(values.max()) <= 1.0 else 255.0
    elif image.mode == "I" and values.size and float(values.max()) <= 255:
        top = 255.0  # 8-bit values widened to 32 bits
    else:
        top = 65535.0
    return np.clip(np.rint(values * (255.0 / top)), 0, 255).astype(np.uint8)


@dataclass(frozen=True)
class _PageGeometry:
    """The part of a PDF page a viewer shows (its CropBox, within the MediaBox), in inches:
    `/UserUnit` (PDF 1.6) applied, since poster-sized pages are drawn in units of up to 75,000
    inches each."""

    width_in: float
    height_in: float
    user_unit: float
    crop_is_media: bool
    rotate: int

    @property
    def aspect(self) -> float:
        return self.width_in / self.height_in


_A4_PORTRAIT = _PageGeometry(width_in=595 / 72, height_in=842 / 72, user_unit=1.0, crop_is_media=True, rotate=0)


def _page_geometry(page) -> _PageGeometry:
    media = _normalised_box(page.mediabox)
    crop = _normalised_box(page.cropbox)
    visible = (max(media[0], crop[0]), max(media[1], crop[1]), min(media[2], crop[2]), min(media[3], crop[3]))
    if visible[2] - visible[0] <= 0 or visible[3] - visible[1] <= 0:
        visible = media  # a CropBox outside the MediaBox: viewers fall back to the MediaBox
    unit = _user_unit(page.obj.get("/UserUnit"))
    return _PageGeometry(
        width_in=(visible[2] - visible[0]) * unit / 72,
        height_in=(visible[3] - visible[1]) * unit / 72,
        user_unit=unit,
        crop_is_media=all(abs(a - b) < 0.5 for a, b in zip(visible, media)),
        rotate=int(page.obj.get("/Rotate", 0)) % 360,
    )


def _normalised_box(box) -> tuple[float, float, float, float]:
    x0, y0, x1, y1 = (float(v) for v in box)
    return min(x0, x1), min(y0, y1), max(x0, x1), max(y0, y1)


def _user_unit(value) -> float:
    try:
        unit = float(value) if value is not None else 1.0
    except (TypeError, ValueError):
        return 1.0
    return unit if 0 < unit <= 75_000 else 1.0  # 75,000: the limit the PDF reference gives


def _rasterise_pdf_page(path: Path, index: int, max_image_pixels: int, *, repair: bool) -> LoadedPage:
    """Extract the page's scan at its native resolution; render with pdftoppm when it is not a
    single image covering the visible page. The resolution is per physical inch (UserUnit
    applied), so the stored page has the size a viewer shows.

    When qpdf had to repair the file to read it, poppler renders qpdf's repaired copy: poppler
    reads some damage differently or not at all (a page written directly into the page tree
    renders as a 1×1 image). Never for a signed PDF."""
    import pikepdf
    from pikepdf import PdfImage

    geometry, native_dpi = _A4_PORTRAIT, None
    with tempfile.TemporaryDirectory(prefix="sohoa-render-") as tmp:
        folder = Path(tmp)
        source = path
        try:
            with pikepdf.open(path) as pdf:
                page = pdf.pages[index]
                geometry = _page_geometry(page)
                images = list(page.get_images().values())
                if images:
                    largest = max(images, key=lambda im: int(im.Width) * int(im.Height))
                    pixel_width, pixel_height = int(largest.Width), int(largest.Height)
                    native_dpi = pixel_width / geometry.width_in
                    covers_page = (
                        geometry.crop_is_media and abs(pixel_width / pixel_height - geometry.aspect) < 0.02
                    )
                    if len(images) == 1 and geometry.rotate == 0 and covers_page:
                        _check_image_size((pixel_width, pixel_height), max_image_pixels)
                        pil = PdfImage(largest).as_pil_image()
                        return LoadedPage(pixels=_to_array(pil), dpi=native_dpi)
                if repair and pdf.get_warnings():
                    log.info("%s: qpdf repaired the file; rendering its repaired copy", path)
                    source = folder / "repaired.pdf"
                    pdf.save(source)
        except (ImageTooLarge, CorruptFile):
            raise
        except Exception as exc:  # an unusual image encoding or page: let poppler render it
            log.debug("direct image extraction failed on page %d of %s: %s", index + 1, path, exc)
        dpi = _render_dpi(geometry, native_dpi, max_image_pixels, index)
        rendered = _render(source, index, dpi * geometry.user_unit, folder, repair=repair and source == path)
        with Image.open(rendered) as image:
            image.load()
            return LoadedPage(pixels=_to_array(image), dpi=float(dpi))


def _render_dpi(geometry: _PageGeometry, native_dpi: float | None, max_image_pixels: int, index: int) -> float:
    """Per physical inch: the page images' own resolution, within 150-600 dpi for OCR; for a page
    so large (a poster) that 150 dpi would exceed the pixel limit, its images' own resolution,
    which holds all the detail there is."""
    area = geometry.width_in * geometry.height_in
    dpi = float(min(max(round(native_dpi or 300), 150), 600))
    if area * dpi * dpi > max_image_pixels and native_dpi and native_dpi < dpi:
        dpi = native_dpi
    if area * dpi * dpi > max_image_pixels:
        raise ImageTooLarge(
            f"page {index + 1} too large to render: {geometry.width_in:,.0f} × "
            f"{geometry.height_in:,.0f} inches at {dpi:.0f} dpi would be "
            f"{area * dpi * dpi / 1e6:,.0f} megapixels (limit {max_image_pixels / 1e6:,.0f})"
        )
    return dpi


def _render(path: Path, index: int, resolution: float, folder: Path, *, repair: bool) -> Path:
    """pdftoppm's rendering of the page's CropBox; of a repaired copy when poppler cannot read
    the original (never for a signed PDF). Raw PPM: PNG compression would only be undone again."""
    prefix = folder / "page"

    def pdftoppm(source: Path) -> Path:
        run_tool(
            [
                "pdftoppm", "-r", f"{resolution:.4g}", "-cropbox", "-f", str(index + 1),
                "-l", str(index + 1), "-singlefile", str(source), str(prefix),
            ],
            timeout=120,
            error=CorruptFile,
        )
        output = prefix.with_suffix(".ppm")
        if not output.is_file():
            raise CorruptFile(f"page {index + 1} cannot be rendered")
        return output

    try:
        return pdftoppm(path)
    except CorruptFile as exc:
        log.info("%s: pdftoppm cannot render page %d: %s", path, index + 1, exc.message)
        if not repair:
            raise CorruptFile(f"damaged PDF: page {index + 1} cannot be rendered") from exc
    copy = folder / "repaired.pdf"
    try:
        with open_regular_file(path) as handle:
            copy.write_bytes(repaired_pdf(handle.read()))
        return pdftoppm(copy)
    except CorruptFile as exc:
        raise CorruptFile(f"damaged PDF: page {index + 1} cannot be rendered, even after repair") from exc


@dataclass(frozen=True)
class TextPage:
    """A born-digital page: words with boxes in points (72 per inch), read with pdfplumber."""

    text: str
    words: tuple[tuple[str, float, float, float, float], ...]  # text, x0, top, x1, bottom
    width: float
    height: float


def read_text_pages(data: bytes) -> list[TextPage]:
    """Read a PDF's own text layer without re-saving it; from a repaired copy when pdfminer
    cannot parse it as it is (only ever the case for unsigned PDFs: `open_input` counts a signed
    one it cannot parse as having no text layer)."""
    try:
        return _read_text_pages(data)
    except Exception as exc:
        log.info("pdfminer cannot read the PDF as it is, reading a repaired copy: %s", exc)
    try:
        return _read_text_pages(repaired_pdf(data))
    except InputError:
        raise
    except Exception as exc:
        raise CorruptFile("damaged PDF: its text cannot be read, even after repair") from exc


def _read_text_pages(data: bytes) -> list[TextPage]:
    import pdfplumber

    pages = []
    with pdfplumber.open(io.BytesIO(data)) as pdf:
        if not pdf.pages:  # broken cross-references can hide every page from pdfminer
            raise ValueError("pdfminer found no pages")
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
    "open_regular_file",
    "read_bytes",
    "read_text_pages",
    "repaired_pdf",
]
