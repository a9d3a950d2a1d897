"""Separation benchmark: generated feeder streams split into documents, scored against their truth.

    .venv/bin/python scripts/bench_separate.py [--documents 240] [--seed 5000] [--jobs 2]
                                               [--ocr-documents 16] [--quick]

Scenarios (streams from pipeline.samples.streams, 20 documents each, every type, 1-4 pages):
  sheets     a separator sheet before every document (PATCHT Code 128/39/QR, Kodak Patch T,
             sohoa's own cover and document sheets), images at 200 dpi degraded as office scans
  content    no sheets: content boundaries on the pages' text passed through the training
             generator's OCR-noise simulator (pipeline.core.training.simulate_ocr_noise, levels
             0.5-2.5 drawn per page); text only
  duplex     no sheets, duplex (blank backs, some papers printed on both sides, card backs),
             images at 200 dpi and noised text: blank removal and content boundaries together
  files      a content stream written as a scanner's scan_0001.jpg… and as <paper>-pN.png page
             files, grouped by name (group_page_files), then separated
  tesseract  real Tesseract (vie) on a smaller no-sheet stream at 300 dpi: boundaries on real OCR,
             and the time of separation against the rest of the per-page work (load, preprocess,
             OCR, encode), CPU seconds of this process and its Tesseract children

Scores: boundary precision / recall / F1 (a boundary is the first kept page of a document after
the first), the share of documents whose kept page set is exactly the truth's, blank-page removal
rate and content pages dropped, separator sheets missed, sheet metadata right. The worst cases
(every wrong boundary, with the page's decision) are printed last.

Evaluation seeds start at --seed (5000): the thresholds and weights were set on seeds 21-27 and
100-130. The first run on seeds 5000+ missed 3 of 240 sheets (a Patch T inside a lid-shadow
frame, ragged skewed bars, a noisy QR) and kept 1 of 254 blank backs; after those fixes, on
fresh seeds 6000+ (`--seed 6000`, 2 cores shared, 5.5 min):

    sheets   240 docs  100 % exact, 241/241 sheets found, 0 false, metadata right 140/140
    content  240 docs  100 % exact, boundary P = R = F1 = 1.000 (simulated OCR noise 0.5-2.5)
    duplex   240 docs  100 % exact, F1 1.000, blank backs removed 267/267, content dropped 0/315
    files     60 docs  100 % exact from scan_NNNN.jpg; page files grouped as their paper 60/60
    tesseract 16 docs  100 % exact on real Tesseract text (20 pages at 300 dpi)
    time per page (CPU): separation 71 ms against 1.64 s for load + preprocess + OCR + encode, 4.3 %

The generated papers always open with a national heading, an issuer or a catalog title, so
content separation is easy here (still F1 1.000 at noise level 5); papers without any of these
(a handwritten note, a receipt) would be joined to the paper before. Targets (issue 13): with sheets 100 % exact; without sheets
F1 >= 0.98 and >= 95 % exact; blank removal >= 99 % with no content page dropped; separation
<= 5 % of the time per page.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

import numpy as np  # noqa: E402
from PIL import Image  # noqa: E402

from pipeline.core.training import simulate_ocr_noise  # noqa: E402
from pipeline.samples.streams import SampleStream, make_stream, page_files  # noqa: E402
from pipeline.stages.separate import (  # noqa: E402
    Separation,
    group_page_files,
    inspect_page,
    page_file_groups,
    separate,
)

STREAM_DOCUMENTS = 20
NOISE_LEVELS = (0.5, 1.0, 1.5, 2.0, 2.5)


@dataclass
class Score:
    name: str
    documents: int = 0
    exact: int = 0
    true_boundaries: int = 0
    found_boundaries: int = 0
    right_boundaries: int = 0
    blank_pages: int = 0
    blank_removed: int = 0
    content_pages: int = 0
    content_dropped: int = 0
    sheets: int = 0
    sheets_missed: int = 0
    false_sheets: int = 0
    sheet_documents: int = 0
    sheet_metadata_right: int = 0
    needs_review: int = 0
    pages: int = 0
    inspect_seconds: float = 0.0
    separate_seconds: float = 0.0
    worst: list[tuple] = field(default_factory=list)

    def add(self, other: Score) -> None:
        for name, value in vars(other).items():
            if name == "worst":
                self.worst += value
            elif name != "name":
                setattr(self, name, getattr(self, name) + value)

    @property
    def precision(self) -> float:
        return self.right_boundaries / self.found_boundaries if self.found_boundaries else 1.0

    @property
    def recall(self) -> float:
        return self.right_boundaries / self.true_boundaries if self.true_boundaries else 1.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0


def noisy_texts(stream: SampleStream, seed: int) -> list[str]:
    rng = random.Random(seed)
    return [simulate_ocr_noise(text, seed * 1000 + i, rng.choice(NOISE_LEVELS)) if text else ""
            for i, text in enumerate(stream.texts)]


def score(name: str, stream: SampleStream, separation: Separation, texts: list[str]) -> Score:
    s = Score(name)
    truth = [frozenset(stream.content_pages(i)) for i in range(len(stream.documents))]
    found = [frozenset(doc.pages) for doc in separation.documents]
    s.documents = len(truth)
    s.exact = len(set(truth) & set(found))
    true_starts = {min(pages) for pages in truth[1:]}
    found_starts = {min(pages) for pages in found[1:] if pages}
    s.true_boundaries, s.found_boundaries = len(true_starts), len(found_starts)
    s.right_boundaries = len(true_starts & found_starts)
    kept = set().union(*found) if found else set()
    roles = {n: page.role for n, page in enumerate(stream.pages, 1)}
    s.blank_pages = sum(1 for r in roles.values() if r == "blank")
    s.blank_removed = sum(1 for n, r in roles.items() if r == "blank" and n not in kept)
    s.content_pages = sum(1 for r in roles.values() if r == "content")
    s.content_dropped = sum(1 for n, r in roles.items() if r == "content" and n not in kept)
    sheets = {n for n, r in roles.items() if r == "separator"}
    s.sheets = len(sheets)
    s.sheets_missed = len(sheets - set(separation.separator_pages))
    s.false_sheets = len(set(separation.separator_pages) - sheets)
    for doc, truth_doc in zip(separation.documents, stream.documents):
        expected = (truth_doc.sheet_dossier, truth_doc.sheet_type, truth_doc.sheet_owner, truth_doc.starts_dossier)
        if any(expected):
            meta = doc.metadata
            s.sheet_documents += 1
            s.sheet_metadata_right += bool(meta) and expected == (meta.dossier_code, meta.doc_type, meta.owner_id,
                                                                   meta.starts_dossier)
    s.needs_review = sum(1 for doc in separation.documents if doc.needs_review)
    s.pages = len(stream.pages)
    decisions = {}
    for decision in separation.decisions:
        decisions.setdefault(decision.page, decision)
    for page in sorted((found_starts - true_starts) | (true_starts - found_starts)):
        what = "split where none is" if page in found_starts else "boundary missed"
        document = stream.documents[stream.pages[page - 1].document] if stream.pages[page - 1].document is not None else None
        decision = decisions.get(page)
        s.worst.append((name, stream.seed, page, what, document.template if document else "-",
                        texts[page - 1][:90].replace("\n", " / "),
                        f"{decision.kind} {decision.confidence:.2f}: {decision.reason[:140]}" if decision else ""))
    for n, r in roles.items():
        if r == "content" and n not in kept:
            s.worst.append((name, stream.seed, n, "content page dropped", "", texts[n - 1][:90].replace("\n", " / "), ""))
    return s


def run_images(name: str, seed: int, separators: str, duplex: bool, dpi: int) -> Score:
    stream = make_stream(seed, documents=STREAM_DOCUMENTS, separators=separators, duplex=duplex, dpi=dpi)
    texts = noisy_texts(stream, seed)
    started = time.process_time()
    signals = [inspect_page(np.asarray(page.image), dpi) for page in stream.pages]
    inspected = time.process_time() - started
    started = time.process_time()
    separation = separate(signals, texts)
    s = score(name, stream, separation, texts)
    s.separate_seconds = time.process_time() - started
    s.inspect_seconds = inspected
    return s


def run_content(seed: int) -> Score:
    stream = make_stream(seed, documents=STREAM_DOCUMENTS, render=False)
    texts = noisy_texts(stream, seed)
    started = time.process_time()
    separation = separate([None] * len(texts), texts)
    s = score("content", stream, separation, texts)
    s.separate_seconds = time.process_time() - started
    return s


def run_files(seed: int, dpi: int) -> tuple[Score, int, int]:
    """The stream written as a scanner's sequence and as page files; grouped by name, separated."""
    stream = make_stream(seed, documents=STREAM_DOCUMENTS, dpi=dpi)
    texts = noisy_texts(stream, seed)
    with tempfile.TemporaryDirectory() as work:
        sequence = page_files(stream, Path(work) / "scanner", naming="sequence")
        shuffled = sequence[:]
        random.Random(seed).shuffle(shuffled)
        (group,) = group_page_files(shuffled)
        order = [int(path.stem.split("_")[1]) for path in group]
        started = time.process_time()
        signals = [inspect_page(np.asarray(Image.open(path).convert("L")), dpi) for path in group]
        inspected = time.process_time() - started
        started = time.process_time()
        separation = separate(signals, [texts[n - 1] for n in order])
        s = score("files", stream, separation, texts)
        s.separate_seconds, s.inspect_seconds = time.process_time() - started, inspected
        papers = page_files(stream, Path(work) / "phone", naming="paper", fmt="png")
        groups = page_file_groups(papers)
        truth = {f"{d.doc_type.replace('_', '-')}-{i + 1:02d}": len(stream.content_pages(i))
                 for i, d in enumerate(stream.documents)}
        found = {g.paths[0].stem.rsplit("-p", 1)[0]: len(g.paths) for g in groups}
        right = sum(1 for stem, count in truth.items() if found.get(stem) == count)
    return s, right, len(truth)


def cpu_seconds() -> float:
    t = os.times()
    return t.user + t.system + t.children_user + t.children_system


def run_tesseract(seed: int, documents: int) -> tuple[Score, float, float, int]:
    """Real OCR on a no-sheet stream at 300 dpi: per page load, preprocess, OCR, encode (the
    rest of the per-page work) and the separation's own work, in CPU seconds."""
    from pipeline.core.config import PipelineSettings
    from pipeline.stages.assemble import encode_page_image
    from pipeline.stages.ingest import InputKind, load_page
    from pipeline.stages.ocr import recognise
    from pipeline.stages.preprocess import preprocess

    settings = PipelineSettings()
    stream = make_stream(seed, documents=documents, dpi=300)
    texts, signals = [], []
    rest = sep = 0.0
    with tempfile.TemporaryDirectory() as work:
        for number, page in enumerate(stream.pages, 1):
            path = Path(work) / f"page-{number:03d}.jpg"
            page.image.save(path, "JPEG", quality=85, dpi=(300, 300))
            started = cpu_seconds()
            loaded = load_page(path, InputKind.IMAGE, 0, max_image_pixels=settings.max_image_pixels)
            prepared = preprocess(loaded.pixels, settings.preprocess)
            ocr = recognise(prepared.ocr_image, settings.ocr)
            encode_page_image(prepared.image, loaded.dpi, settings.image)
            rest += cpu_seconds() - started
            started = cpu_seconds()
            signals.append(inspect_page(loaded.pixels, loaded.dpi))
            sep += cpu_seconds() - started
            texts.append(ocr.text)
    started = cpu_seconds()
    separation = separate(signals, texts)
    separated = cpu_seconds() - started
    result = score("tesseract", stream, separation, texts)
    result.inspect_seconds, result.separate_seconds = sep, separated
    return result, rest, sep + separated, len(stream.pages)


def report(total: Score) -> str:
    line = (f"{total.name:10} docs {total.documents:4}  exact {total.exact / max(1, total.documents):7.2%}  "
            f"P {total.precision:.4f} R {total.recall:.4f} F1 {total.f1:.4f}  review {total.needs_review}")
    if total.blank_pages:
        line += (f"  blank removed {total.blank_removed}/{total.blank_pages} "
                 f"({total.blank_removed / total.blank_pages:.2%})")
    line += f"  content dropped {total.content_dropped}/{total.content_pages}"
    if total.sheets:
        line += f"  sheets missed {total.sheets_missed}/{total.sheets}, false {total.false_sheets}"
    if total.sheet_documents:
        line += f"  sheet metadata right {total.sheet_metadata_right}/{total.sheet_documents}"
    if total.pages and total.inspect_seconds:
        line += f"  inspect {1000 * total.inspect_seconds / total.pages:.0f} ms/page"
    if total.pages:
        line += f"  separate {1000 * total.separate_seconds / total.pages:.2f} ms/page"
    return line


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--documents", type=int, default=240, help="documents per scenario (>= 200)")
    parser.add_argument("--seed", type=int, default=5000, help="first evaluation seed")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--dpi", type=int, default=200)
    parser.add_argument("--ocr-documents", type=int, default=16, help="documents OCR'd with Tesseract (0: skip)")
    parser.add_argument("--quick", action="store_true", help="40 documents per scenario, 6 OCR'd")
    args = parser.parse_args()
    if args.quick:
        args.documents, args.ocr_documents = 40, 6
    streams = max(1, args.documents // STREAM_DOCUMENTS)
    seeds = [args.seed + k for k in range(streams)]
    started = time.perf_counter()
    totals = {name: Score(name) for name in ("sheets", "content", "duplex", "files")}
    with ProcessPoolExecutor(args.jobs) as pool:
        jobs = [("sheets", pool.submit(run_images, "sheets", seed, "mixed", False, args.dpi)) for seed in seeds]
        jobs += [("duplex", pool.submit(run_images, "duplex", seed + 100, "none", True, args.dpi)) for seed in seeds]
        jobs += [("content", pool.submit(run_content, seed + 200)) for seed in seeds]
        file_jobs = [pool.submit(run_files, seed + 300, args.dpi) for seed in seeds[: max(1, streams // 4)]]
        for name, job in jobs:
            totals[name].add(job.result())
        papers_right = papers = 0
        for job in file_jobs:
            s, right, count = job.result()
            totals["files"].add(s)
            papers_right += right
            papers += count
    print(f"separation benchmark: {streams} streams of {STREAM_DOCUMENTS} documents per scenario, seeds "
          f"{args.seed}-{args.seed + 300 + streams - 1}, {time.perf_counter() - started:.0f} s\n")
    for name in ("sheets", "content", "duplex", "files"):
        print(report(totals[name]))
    print(f"{'':10} page files grouped as their paper: {papers_right}/{papers}")
    if args.ocr_documents:
        ocr, rest, sep, pages = run_tesseract(args.seed + 400, args.ocr_documents)
        print(report(ocr))
        print(f"{'':10} time per page (CPU, 300 dpi, {pages} pages): load+preprocess+OCR+encode {rest / pages:.2f} s, "
              f"separation {1000 * sep / pages:.0f} ms = {sep / rest:.1%} of the rest")
        totals["tesseract"] = ocr
    worst = [w for t in totals.values() for w in t.worst]
    print(f"\nworst cases ({len(worst)}):" if worst else "\nworst cases: none")
    for case in worst[:30]:
        print("  " + " | ".join(str(part) for part in case))


if __name__ == "__main__":
    main()
