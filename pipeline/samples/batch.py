"""Batches on disk: dossier folders of files in the formats the one-stop shop receives, each with
its ground truth beside it.
"""

from __future__ import annotations

import csv
from datetime import date, timedelta
from pathlib import Path

import numpy as np
from PIL import Image

from pipeline.samples.born_digital import write_born_digital_pdf
from pipeline.samples.documents import make_document, make_person
from pipeline.samples.scans import make_scans

PROCEDURES: tuple[tuple[str, str, tuple[str, ...]], ...] = (  # illustrative codes, configurable upstream
    ("1.001193", "Đăng ký khai sinh", ("to_khai", "can_cuoc", "giay_khai_sinh", "the_bao_hiem_y_te")),
    ("1.000894", "Đăng ký kết hôn", ("to_khai", "xac_nhan_tinh_trang_hon_nhan", "can_cuoc", "giay_chung_nhan_ket_hon")),
    ("1.009994", "Cấp giấy phép xây dựng nhà ở riêng lẻ", ("to_khai", "can_cuoc", "giay_chung_nhan_quyen_su_dung_dat", "giay_phep_xay_dung")),
    ("2.000720", "Đăng ký thành lập hộ kinh doanh", ("can_cuoc", "xac_nhan_cu_tru", "giay_chung_nhan_dang_ky_ho_kinh_doanh", "quyet_dinh")),
    ("1.000656", "Đăng ký khai tử", ("to_khai", "can_cuoc", "trich_luc_khai_tu", "xac_nhan_cu_tru")),
)  # fmt: skip
FORMATS = ("pdf_scan", "tiff", "png", "jpeg")
AGENCY_CODES = ("000.00.24.H29", "000.00.12.H57", "000.21.15.H26", "000.30.42.H14")


def _save_pages(path: Path, images: list[Image.Image], fmt: str, dpi: int) -> None:
    if fmt == "png":
        images[0].save(path, "PNG", dpi=(dpi, dpi), compress_level=1)  # noisy scans barely compress
    elif fmt == "jpeg":
        images[0].convert("RGB" if images[0].mode == "RGB" else "L").save(path, "JPEG", quality=85, dpi=(dpi, dpi))
    elif fmt == "tiff":
        # deflate on a noisy 300 dpi page costs about a second; scanners write JPEG-in-TIFF anyway
        images[0].save(path, "TIFF", save_all=True, append_images=images[1:], compression="jpeg", quality=85,
                       dpi=(dpi, dpi))
    elif fmt == "pdf_scan":
        images[0].save(path, "PDF", resolution=float(dpi), save_all=True, append_images=images[1:], quality=80)
    else:
        raise ValueError(fmt)


def write_sample_batch(
    out_dir: Path,
    *,
    seed: int,
    dossiers: int = 3,
    documents_per_dossier: int = 4,
    dpi: int = 300,
) -> list[Path]:
    """Dossier folders of scanned (and one born-digital) documents with ``<file>.gt.txt`` beside each.

    Every format appears when the batch has at least five documents: image-only PDF, multi-page
    TIFF, PNG and JPEG (a multi-page document saved as PNG/JPEG becomes one file per page, as phone
    photos do), and the first document as a born-digital PDF. The first dossier has a manifest.csv.
    Returns the input files written (not the .gt.txt files nor the manifest)."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng([seed, 0xBA7C])
    written: list[Path] = []
    counter = 0
    for dossier_index in range(dossiers):
        code, _name, kinds = PROCEDURES[int(rng.integers(len(PROCEDURES)))]
        received = date(2024, 1, 1) + timedelta(days=int(rng.integers(0, 540)))
        dossier_code = f"{AGENCY_CODES[int(rng.integers(len(AGENCY_CODES)))]}-{received:%y%m%d}-{int(rng.integers(1, 9999)):04d}"
        folder = out_dir / dossier_code
        folder.mkdir(parents=True, exist_ok=True)
        owner = make_person(seed * 1000 + dossier_index)
        manifest_rows = []
        for doc_index in range(documents_per_dossier):
            kind = kinds[doc_index % len(kinds)]
            doc_seed = seed * 100_000 + dossier_index * 100 + doc_index
            document = make_document(doc_seed, kind, owner=owner)
            fmt = "pdf_text" if counter == 0 else FORMATS[(counter - 1) % len(FORMATS)]
            counter += 1
            stem = f"{kind.replace('_', '-')}-{doc_index + 1:02d}"
            if fmt == "pdf_text":
                path = folder / f"{stem}.pdf"
                write_born_digital_pdf(path, document)
                paths_and_texts = [(path, document.texts)]
            else:
                scans = make_scans(doc_seed, dpi=dpi, document=document)
                images = [s.image for s in scans]
                if fmt in ("png", "jpeg") and len(scans) > 1:
                    ext = "png" if fmt == "png" else "jpg"
                    paths_and_texts = []
                    for scan in scans:
                        path = folder / f"{stem}-p{scan.page}.{ext}"
                        _save_pages(path, [scan.image], fmt, dpi)
                        paths_and_texts.append((path, [scan.text]))
                else:
                    ext = {"pdf_scan": "pdf", "tiff": "tif", "png": "png", "jpeg": "jpg"}[fmt]
                    path = folder / f"{stem}.{ext}"
                    _save_pages(path, images, fmt, dpi)
                    paths_and_texts = [(path, [s.text for s in scans])]
            for path, texts in paths_and_texts:
                Path(f"{path}.gt.txt").write_text("\f".join(texts) + "\n", encoding="utf-8")
                written.append(path)
                manifest_rows.append((path.name, dossier_code, owner.personal_id, code))
        if dossier_index == 0:
            with open(folder / "manifest.csv", "w", newline="", encoding="utf-8") as handle:
                writer = csv.writer(handle)
                writer.writerow(["file", "dossier_code", "owner_id", "procedure_code"])
                writer.writerows(manifest_rows)
    return written
