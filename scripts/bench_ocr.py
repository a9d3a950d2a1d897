"""OCR benchmark: sohoa against plain Tesseract and OCRmyPDF on the same degraded pages, one core.

    .venv/bin/python scripts/bench_ocr.py [--pages 12] [--seed 9000] [--keep DIR]

Prints seconds/page and mean character error rate (NFC, whitespace collapsed) of
  (a) tesseract -l vie, one process per page;
  (b) ocrmypdf --deskew --rotate-pages -j 1 --output-type pdf --sidecar, on one PDF of all pages;
  (c) sohoa ingest --jobs 1, end to end (OCR, PDF/A, store, index), on a folder of the pages;
then the ratios, and MB/page of the PDFs each produced. Every command runs pinned to one core
(taskset) with OMP_THREAD_LIMIT=1. Targets: sohoa <= 1/3 of OCRmyPDF's seconds/page, CER <=
OCRmyPDF's and <= 1%, <= 0.3 MB/page.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from pipeline.samples import character_error_rate, make_scan  # noqa: E402

DOC_TYPES = [
    "giay_khai_sinh", "quyet_dinh", "to_khai", "xac_nhan_tinh_trang_hon_nhan",
    "giay_phep_xay_dung", "giay_chung_nhan_ket_hon", "xac_nhan_cu_tru", "trich_luc_khai_tu",
]


def one_core(command: list[str]) -> list[str]:
    return (["taskset", "-c", "0"] if shutil.which("taskset") else []) + command


def environment() -> dict[str, str]:
    return {**os.environ, "OMP_THREAD_LIMIT": "1"}


def make_pages(directory: Path, count: int, seed: int) -> list[tuple[Path, str]]:
    pages = []
    for i in range(count):
        rotation = [0, 0, 0, 90, 0, 180, 0, 0, 270, 0, 0, 0][i % 12]
        scan = make_scan(seed + i, doc_type=DOC_TYPES[i % len(DOC_TYPES)], rotation=rotation)
        path = directory / f"page-{i:03d}.png"
        scan.image.save(path, dpi=(scan.dpi, scan.dpi))
        pages.append((path, scan.text))
    return pages


def mean_cer(truths: list[str], outputs: list[str]) -> float:
    return statistics.mean(character_error_rate(t, o) for t, o in zip(truths, outputs))


def bench_tesseract(pages, work: Path) -> dict:
    outputs = []
    started = time.perf_counter()
    for path, _truth in pages:
        done = subprocess.run(
            one_core(["tesseract", str(path), "stdout", "-l", "vie"]),
            capture_output=True, text=True, env=environment(), check=True,
        )
        outputs.append(done.stdout)
    elapsed = time.perf_counter() - started
    return {"seconds": elapsed, "outputs": outputs, "mb": None}


def bench_ocrmypdf(pages, work: Path) -> dict:
    import img2pdf

    source = work / "all-pages.pdf"
    source.write_bytes(img2pdf.convert([str(p) for p, _ in pages]))
    out, sidecar = work / "ocrmypdf.pdf", work / "ocrmypdf.txt"
    started = time.perf_counter()
    subprocess.run(
        one_core([
            sys.executable, "-m", "ocrmypdf", "-l", "vie", "--deskew", "--rotate-pages", "-j", "1",
            "--output-type", "pdf", "--sidecar", str(sidecar), str(source), str(out),
        ]),
        capture_output=True, text=True, env=environment(), check=True,
    )
    elapsed = time.perf_counter() - started
    outputs = sidecar.read_text(encoding="utf-8").split("\f")[: len(pages)]
    return {"seconds": elapsed, "outputs": outputs, "mb": out.stat().st_size / 1e6 / len(pages)}


def bench_sohoa(pages, work: Path) -> dict:
    from pipeline.stores.index import Index
    from pipeline.stores.objects import open_store

    folder = work / "sohoa-in"
    folder.mkdir()
    for path, _ in pages:
        shutil.copy(path, folder / path.name)
    home = work / "sohoa-home"
    env = {k: v for k, v in environment().items() if not k.startswith("SOHOA_")}
    env["SOHOA_HOME"] = str(home)
    started = time.perf_counter()
    subprocess.run(
        one_core([sys.executable, "-m", "pipeline", "ingest", str(folder), "--jobs", "1"]),
        capture_output=True, text=True, env=env, check=True, cwd=REPO,
    )
    elapsed = time.perf_counter() - started
    index = Index(f"sqlite:///{home / 'index.sqlite3'}")
    store = open_store((home / "objects").as_uri())
    by_name = {row.filename: row for row in index.list()}
    outputs = [by_name[path.name].text for path, _ in pages]
    sizes = [len(store.get(by_name[path.name].searchable_key)) for path, _ in pages]
    return {"seconds": elapsed, "outputs": outputs, "mb": statistics.median(sizes) / 1e6}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=12)
    parser.add_argument("--seed", type=int, default=9000)
    parser.add_argument("--keep", type=Path, help="Keep the work directory here")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="sohoa-bench-")) if not args.keep else args.keep
    work.mkdir(parents=True, exist_ok=True)
    pages = make_pages(work, args.pages, args.seed)
    truths = [truth for _, truth in pages]
    results = {}
    for name, bench in (("tesseract", bench_tesseract), ("ocrmypdf", bench_ocrmypdf), ("sohoa", bench_sohoa)):
        print(f"running {name} on {len(pages)} pages…", file=sys.stderr, flush=True)
        result = bench(pages, work)
        result["per_page"] = result["seconds"] / len(pages)
        result["cer"] = mean_cer(truths, result["outputs"])
        results[name] = result

    print(f"\n{len(pages)} generated pages (300 dpi, mixed degradation, seed {args.seed}), one core")
    print(f"{'':28s}{'s/page':>10s}{'CER':>10s}{'MB/page':>10s}")
    labels = {
        "tesseract": "(a) tesseract -l vie",
        "ocrmypdf": "(b) ocrmypdf (deskew,rotate)",
        "sohoa": "(c) sohoa ingest --jobs 1",
    }
    for name, label in labels.items():
        r = results[name]
        mb = f"{r['mb']:.3f}" if r["mb"] is not None else "–"
        print(f"{label:28s}{r['per_page']:10.2f}{r['cer']:10.2%}{mb:>10s}")
    s, o, t = results["sohoa"], results["ocrmypdf"], results["tesseract"]
    print(f"\nsohoa / ocrmypdf seconds per page: {s['per_page'] / o['per_page']:.2f} (target ≤ 0.33)")
    print(f"sohoa / tesseract seconds per page: {s['per_page'] / t['per_page']:.2f}")
    print(f"sohoa CER {s['cer']:.2%} vs ocrmypdf {o['cer']:.2%} (target ≤ ocrmypdf and ≤ 1%)")
    print(f"sohoa median MB/page {s['mb']:.3f} (target ≤ 0.3); ocrmypdf {o['mb']:.3f}")
    if not args.keep:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
