"""Issue 12's "done when": fifty kinds of hostile and odd input in ONE batch, through the real
command line. Each fails alone with a stable code and a reason for a person, or is stored right;
the good scans beside them are stored, the store verifies, and no ID number reaches the log."""

from __future__ import annotations

import io
import json
import os
import re
import struct
import unicodedata
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
import pikepdf
import pytest
from conftest import cli_env, run_cli
from pdf_samples import DECISION_TEXT, blank_pdf, born_digital_pdf, image_pdf, pdf_from_objects
from PIL import Image

from pipeline.samples import make_scan
from pipeline.settings import Settings
from pipeline.stores.index import Index

MACHINE_TEXT = ("object at 0x", "Traceback", "'NoneType'", "<_io.", "Error(")
# a personal ID stands as a word of its own; twelve digits inside a hex document id are not one
TWELVE_DIGITS = re.compile(r"(?<![0-9A-Za-z])[0-9]{12}(?![0-9A-Za-z])")
MAX_PAGES = 20
MAX_INPUT_BYTES = 12_000_000  # the good scans and the odd images fit; the "too large" file does not
STORED = {"stored"}
STORED_OR_DUPLICATE = {"stored", "duplicate"}


@dataclass(frozen=True)
class Kind:
    """One kind of input: the file (or link, or pipe) it is, and what sohoa may rightly do with it.

    ``expected`` holds error codes and/or "stored"/"duplicate"; ``has_text`` asks that OCR or the
    text layer found words; ``pages`` is the page count a stored result must have."""

    name: str
    make: Callable[[Path], None]
    expected: set[str]
    has_text: bool = False
    pages: int = 1


# --- how the files are made --------------------------------------------------------------------


def png_bytes(image: Image.Image, **options) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, "PNG", **options)
    return buffer.getvalue()


def jpeg_bytes(image: Image.Image, **options) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=85, **options)
    return buffer.getvalue()


def tiff_bytes(frames: list[Image.Image], **options) -> bytes:
    buffer = io.BytesIO()
    frames[0].save(buffer, "TIFF", save_all=True, append_images=frames[1:], **options)
    return buffer.getvalue()


def saved(pdf: pikepdf.Pdf, **options) -> bytes:
    out = io.BytesIO()
    pdf.save(out, **options)
    return out.getvalue()


TEXT = "GIAY XAC NHAN TINH TRANG HON NHAN so 125/UBND cap ngay 15 thang 5"
TEXT_PAGE = "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 3 0 R /Resources << /Font << /F1 4 0 R >> >> >>"


def hand_written_pdf(kids: str, *, count: int = 1) -> bytes:
    """A PDF written object by object, so its page tree can be exactly as odd as a real file's."""
    content = f"BT /F1 14 Tf 72 760 Td ({TEXT}) Tj ET".encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        f"<< /Type /Pages /Count {count} /Kids [ {kids} ] >>".encode(),
        b"<< /Length %d >>\nstream\n" % len(content) + content + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
        TEXT_PAGE.encode(),
    ]
    return pdf_from_objects(objects)


def broken_xref_offsets(data: bytes) -> bytes:
    """Every in-use xref entry shifted by 7 bytes: each points into the middle of another object."""
    head, _, tail = data.rpartition(b"\nxref\n")
    entries = re.sub(rb"(\d{10}) 00000 n", lambda m: b"%010d 00000 n" % (int(m.group(1)) + 7), tail)
    return head + b"\nxref\n" + entries


def bomb_png(size: int = 30_000) -> bytes:
    """A 1-bit PNG of size × size white pixels, written row by row: ~100 KB on disk, 900 megapixels."""
    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    compressor = zlib.compressobj(9)
    row = b"\x00" + b"\xff" * ((size + 7) // 8)
    idat = b"".join(compressor.compress(row) for _ in range(size)) + compressor.flush()
    header = struct.pack(">IIBBBBB", size, size, 1, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


def elf_header() -> bytes:
    return b"\x7fELF\x02\x01\x01" + bytes(9) + struct.pack("<HHI", 2, 62, 1) + bytes(4096)


def zip_bytes() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("ho-so/to-trinh.txt", "Tờ trình về việc cấp giấy phép")
    return buffer.getvalue()


def write(data: bytes) -> Callable[[Path], None]:
    return lambda path: path.write_bytes(data)


def sparse(size: int) -> Callable[[Path], None]:
    def make(path: Path) -> None:
        with open(path, "wb") as handle:
            handle.write(b"%PDF-1.7\n")
            handle.truncate(size)
    return make


def symlink(target: str | Path) -> Callable[[Path], None]:
    return lambda path: path.symlink_to(target)


def kinds(scan: Image.Image, colour_scan: Image.Image) -> list[Kind]:
    """Every kind in the batch. ``scan`` is a grey 200-dpi office scan; the odd encodings use its
    top third (the letterhead and title: text to find, a third of the OCR time)."""
    top = scan.crop((0, 0, scan.width, scan.height // 3))
    grey = np.asarray(top)
    good_png = png_bytes(scan, dpi=(200, 200))
    page_size = (top.width * 72 / 200, top.height * 72 / 200)
    born_digital = born_digital_pdf(DECISION_TEXT)
    alpha = np.full_like(grey, 255)
    alpha[:, :100] = 0
    bilevel = top.point(lambda v: 255 if v > 140 else 0).convert("1")

    def password_pdf(user: str) -> bytes:
        with pikepdf.open(io.BytesIO(born_digital)) as pdf:
            return saved(pdf, encryption=pikepdf.Encryption(owner="chu-so-huu", user=user, R=6))

    def javascript_pdf() -> bytes:
        with pikepdf.open(io.BytesIO(image_pdf(top, page_size))) as pdf:
            action = pikepdf.Dictionary(S=pikepdf.Name.JavaScript, JS=pikepdf.String("app.alert('xin chao');"))
            pdf.Root.OpenAction = pdf.make_indirect(action)
            return saved(pdf)

    def sixteen_bit_rgb(path: Path) -> None:
        ok, encoded = cv2.imencode(".png", np.dstack([grey] * 3).astype(np.uint16) * 257)
        assert ok
        path.write_bytes(encoded.tobytes())

    def fifo(path: Path) -> None:
        os.mkfifo(path)

    def symlink_loop(path: Path) -> None:
        path.symlink_to(path.name)

    long_name = ("bản-sao-giấy-khai-sinh-" * 12).encode()[:246].decode("utf-8", "ignore")
    long_name += ".png"
    assert 240 <= len(long_name.encode()) <= 250

    return [
        # the good scans
        Kind("good.png", write(good_png), STORED, has_text=True),
        Kind("good.jpg", write(jpeg_bytes(colour_scan, dpi=(200, 200))), STORED, has_text=True),
        Kind("good-scan.pdf", write(image_pdf(scan, (595.28, 841.89))), STORED, has_text=True),
        # nothing, or nothing sohoa reads
        Kind("empty.png", write(b""), {"empty_file"}),
        Kind("empty.pdf", write(b""), {"empty_file"}),
        Kind("random.dat", write(np.random.default_rng(12).bytes(20_000)), {"unsupported_type"}),
        Kind("text-renamed.pdf", write("Tờ trình, không phải PDF\n".encode() * 50), {"corrupt_file"}),
        Kind("html-renamed.jpg", write(b"<!DOCTYPE html><html><body>404</body></html>"), {"corrupt_file"}),
        Kind("zip-renamed.png", write(zip_bytes()), {"corrupt_file"}),
        Kind("elf-renamed.pdf", write(elf_header()), {"corrupt_file"}),
        Kind("anh.gif", write(_saved_as(top, "GIF")), {"unsupported_type"}),
        Kind("anh.bmp", write(_saved_as(top, "BMP")), {"unsupported_type"}),
        Kind("anh.webp", write(_saved_as(top, "WEBP")), {"unsupported_type"}),
        # truncated and header-only
        Kind("truncated.png", write(good_png[: len(good_png) // 2]), {"corrupt_file"}),
        Kind("truncated.jpg", write(jpeg_bytes(top)[:4000]), {"corrupt_file"}),
        Kind("truncated.tif", write(tiff_bytes([top])[:20_000]), {"corrupt_file"}),
        Kind("truncated.pdf", write(born_digital[: len(born_digital) * 2 // 3]), {"corrupt_file", "stored"}),
        Kind("header-only.png", write(png_bytes(top)[:33]), {"corrupt_file"}),
        Kind("header-only.pdf", write(b"%PDF-1.7\n"), {"corrupt_file"}),
        # encrypted
        Kind("password.pdf", write(password_pdf("mat-khau")), {"encrypted_pdf"}),
        # an empty user password opens for every reader: reading it is right, refusing it is too
        Kind("empty-password.pdf", write(password_pdf("")), {"stored", "encrypted_pdf"}, has_text=True),
        # odd PDF structure
        Kind("zero-pages.pdf", write(hand_written_pdf("", count=0)), {"corrupt_file"}),
        Kind("page-tree-loop.pdf", write(hand_written_pdf("2 0 R")), {"corrupt_file"}),
        Kind("broken-xref.pdf", write(broken_xref_offsets(hand_written_pdf("5 0 R"))),
             {"stored", "corrupt_file"}, has_text=True),
        Kind("junk-before-header.pdf", write(b"From: may-scan@ubnd\r\n\r\n" + born_digital), STORED, has_text=True),
        Kind("no-mediabox.pdf", write(hand_written_pdf("5 0 R").replace(b"/MediaBox [0 0 595 842] ", b"")),
             STORED, has_text=True),
        Kind("direct-kid.pdf", write(hand_written_pdf(TEXT_PAGE)), STORED, has_text=True),
        Kind("cropbox.pdf", write(image_pdf(top, page_size, CropBox=pikepdf.Array(
            [0, page_size[1] / 3, page_size[0], page_size[1]]))), STORED, has_text=True),
        Kind("userunit.pdf", write(image_pdf(top, (page_size[0] / 2, page_size[1] / 2), UserUnit=2)),
             STORED, has_text=True),
        Kind("javascript.pdf", write(javascript_pdf()), STORED, has_text=True),
        Kind("born-digital.pdf", write(born_digital), STORED, has_text=True),
        Kind("too-many-pages.pdf", write(blank_pdf(MAX_PAGES + 1)), {"too_many_pages"}),
        Kind("too-large.pdf", sparse(MAX_INPUT_BYTES + 1), {"too_large"}),
        # odd images
        Kind("bomb.png", write(bomb_png()), {"image_too_large"}),
        Kind("grey-16-bit.png", write(png_bytes(Image.fromarray(grey.astype(np.uint16) * 257))), STORED, has_text=True),
        Kind("rgb-16-bit.png", sixteen_bit_rgb, STORED, has_text=True),
        Kind("palette.png", write(png_bytes(top.convert("RGB").quantize(64))), STORED, has_text=True),
        Kind("grey-alpha.png", write(png_bytes(Image.merge("LA", (top, Image.fromarray(alpha))))), STORED,
             has_text=True),
        Kind("rgba.png", write(png_bytes(Image.merge("RGBA", (top, top, top, Image.fromarray(alpha))))), STORED,
             has_text=True),
        Kind("cmyk.jpg", write(jpeg_bytes(top.convert("CMYK"))), STORED, has_text=True),
        Kind("progressive.jpg", write(jpeg_bytes(top, progressive=True)), STORED, has_text=True),
        Kind("g4.tif", write(tiff_bytes([bilevel], compression="group4", dpi=(200, 200))), STORED, has_text=True),
        Kind("multi-page.tif", write(tiff_bytes([top, top.rotate(180)], dpi=(200, 200))), STORED, has_text=True,
             pages=2),
        Kind("one-pixel.png", write(png_bytes(Image.new("L", (1, 1), 0))), {"bad_page_image", "corrupt_file"}),
        Kind("blank-white.png", write(png_bytes(Image.new("L", top.size, 255), dpi=(200, 200))), STORED),
        Kind("zz-copy-of-good.png", write(good_png), {"duplicate"}),
        # odd names
        Kind(long_name, write(good_png[:5000]), {"corrupt_file"}),
        Kind("ten\r\nxuong-dong.png", write(good_png[:6000]), {"corrupt_file"}),
        Kind(unicodedata.normalize("NFD", "giấy-chứng-nhận-quyền-sử-dụng-đất.png"), write(png_bytes(top)),
             STORED, has_text=True),
        # what is not a regular file
        Kind("link-loop.png", symlink_loop, {"unreadable_file"}),
        Kind("broken-link.pdf", symlink("khong-co-file-nay.pdf"), {"unreadable_file"}),
        Kind("fifo.png", fifo, {"unreadable_file"}),
        Kind("dev-zero.jpg", symlink("/dev/zero"), {"unreadable_file"}),
    ]


def _saved_as(image: Image.Image, format_name: str) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format_name)
    return buffer.getvalue()


def words(text: str) -> list[str]:
    return [word for word in re.findall(r"\w+", text) if len(word) >= 2 and not word.isdigit()]


@pytest.mark.slow
def test_fifty_kinds_of_hostile_input_in_one_batch(tmp_path: Path, classifier):
    """GIVEN one folder holding three good scans (PNG, JPEG, scanned PDF) and fifty kinds of hostile
    or odd input beside them: empty, random and renamed files, truncated and header-only images and
    PDFs, encrypted PDFs, broken page trees and xrefs, PDFs over the page and size limits, a
    decompression bomb, every odd image encoding, a duplicate, long, CR/LF and NFD names, link
    loops, broken links, a pipe and a link to /dev/zero
    WHEN it is ingested in one `sohoa -vv ingest --jobs 2` run
    THEN every kind has its report line with an expected outcome: a stable error code with a
    reason for a person and a quarantine copy (or reason file), or a stored result with its pages
    and, where the image has text, words found; the good scans are stored; the batch finished;
    `sohoa verify --all` passes; and no 12-digit number is in anything the command logged or printed"""
    home = tmp_path / "home"
    folder = tmp_path / "in" / "ho-so-thu-nghiem"
    folder.mkdir(parents=True)
    scan = make_scan(21, doc_type="quyet_dinh", skew=0.0, rotation=0, colour=False, dpi=200).image.convert("L")
    colour_scan = make_scan(22, doc_type="giay_khai_sinh", skew=0.0, rotation=0, colour=True, dpi=200).image
    batch = kinds(scan, colour_scan)
    assert len(batch) - 3 >= 40
    for kind in batch:
        kind.make(folder / kind.name)
    for kind in batch:
        path = folder / kind.name
        if path.is_file() and kind.expected & STORED_OR_DUPLICATE:
            assert path.stat().st_size <= MAX_INPUT_BYTES, f"{kind.name} does not fit the size limit"
    env = cli_env(home, SOHOA_MAX_PAGES=str(MAX_PAGES), SOHOA_MAX_INPUT_BYTES=str(MAX_INPUT_BYTES))
    report = tmp_path / "report.jsonl"

    result = run_cli(env, "-vv", "ingest", folder, "--jobs", "2", "--report", report, timeout=1500)

    assert result.returncode == 3, result.stderr[-3000:]
    # a multi-page file may be several documents (separation, issue 13): its pages are counted over them
    by_source: dict[str, list[dict]] = {}
    for line in map(json.loads, report.read_text(encoding="utf-8").splitlines()):
        by_source.setdefault(unicodedata.normalize("NFC", Path(line["source"]).name), []).append(line)
    lines = {name: {**group[0], "pages": sum(line["pages"] for line in group)} for name, group in by_source.items()}
    index = Index(Settings(home=home).index_url)
    problems = []
    for kind in batch:
        line = lines.get(unicodedata.normalize("NFC", kind.name))
        if line is None:
            problems.append(f"{kind.name!r}: no report line")
            continue
        outcome = line["error_code"] if line["status"] == "failed" else line["status"]
        if outcome not in kind.expected:
            problems.append(f"{kind.name!r}: {outcome} ({line['error']}), expected one of {sorted(kind.expected)}")
            continue
        if line["status"] == "failed":
            reason = line["error"] or ""
            if not reason or any(fragment in reason for fragment in MACHINE_TEXT):
                problems.append(f"{kind.name!r}: reason not written for a person: {reason!r}")
            if not line["quarantined_as"] or not Path(line["quarantined_as"]).exists():
                problems.append(f"{kind.name!r}: nothing in quarantine ({line['quarantined_as']})")
        else:
            if line["pages"] != kind.pages:
                problems.append(f"{kind.name!r}: {line['pages']} pages, expected {kind.pages}")
            if kind.has_text and line["status"] == "stored":
                text = index.get(line["document_id"]).text or ""
                if len(words(text)) < 3:
                    problems.append(f"{kind.name!r}: stored, but no words found: {text[:200]!r}")
    index.close()
    if len(lines) != len(batch):
        problems.append(f"{len(lines)} report lines for {len(batch)} inputs")

    verified = run_cli(env, "verify", "--all")
    if verified.returncode != 0:
        problems.append(f"verify --all exited {verified.returncode}: {verified.stdout + verified.stderr}")

    for output in (result.stdout, result.stderr, verified.stdout, verified.stderr):
        problems += [f"a 12-digit number was logged: {line!r}" for line in output.splitlines()
                     if TWELVE_DIGITS.search(line)][:5]
    assert not problems, "\n".join(problems)
