"""Orientation benchmark: pages turned the wrong way, and the time it costs, against main's path.

    .venv/bin/python scripts/bench_orientation.py [--pages 512] [--jobs 2] [--baseline-ref main]

Pages come from the evaluation generator (evalgen/), in the layouts where the cheap ink vote is
weakest: chip CCCD / Căn cước / CMND / BHYT cards photocopied front and back on one mostly blank A4,
cards scanned alone (the back with its MRZ in monospace), phone photos of cards, and office papers
(including their sparse second pages). Each base page is fed at 0, 90, 180 and 270°. Every page
goes through this tree's `pipeline.stages.preprocess.preprocess` and through the baseline's
(``git show <ref>:pipeline/stages/preprocess.py``, loaded as a module) in the same process, one
after the other, so the timings share the machine's load. Time is CPU seconds of the process and
its Tesseract children.

Prints the share of pages turned wrong (rotation decided != rotation applied) for both, per
layout and per turn, and the extra CPU time per page.
"""

from __future__ import annotations

import argparse
import importlib.util
import resource
import subprocess
import sys
import time
from collections import defaultdict
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

# (layout, share of base pages, evalgen type(s), presentation)
LAYOUTS = (
    ("card_on_a4", 0.40, ("can_cuoc", "can_cuoc", "the_bao_hiem_y_te"), "card_on_a4"),
    ("card_alone", 0.20, ("can_cuoc",), "card_alone"),
    ("card_phone_photo", 0.10, ("can_cuoc",), "card_phone_photo"),
    ("office_paper", 0.30, None, None),
)
OFFICE_TYPES = ("giay_khai_sinh", "quyet_dinh", "giay_phep_xay_dung", "giay_chung_nhan_quyen_su_dung_dat",
                "xac_nhan_cu_tru", "to_khai", "giay_chung_nhan_ket_hon", "trich_luc_khai_tu")


def base_pages(count: int, seed: int) -> list[tuple[str, int, str, str | None, int]]:
    """(layout, seed, doc_type, presentation, page index) for ``count`` base pages."""
    out = []
    for layout, share, types, presentation in LAYOUTS:
        n = round(count * share)
        for i in range(n):
            s = seed + len(out)
            if types is None:
                doc_type = OFFICE_TYPES[i % len(OFFICE_TYPES)]
                page = i % 2 if doc_type in ("quyet_dinh", "giay_phep_xay_dung",
                                             "giay_chung_nhan_quyen_su_dung_dat") else 0
            else:
                doc_type = types[i % len(types)]
                page = i % 2 if presentation != "card_on_a4" else 0
            out.append((layout, s, doc_type, presentation, page))
    return out[:count]


_BASELINE = None


def _baseline_module(path: str):
    global _BASELINE
    if _BASELINE is None:
        spec = importlib.util.spec_from_file_location("preprocess_baseline", path)
        module = importlib.util.module_from_spec(spec)
        sys.modules[spec.name] = module  # dataclasses look their module up while it loads
        spec.loader.exec_module(module)
        _BASELINE = module
    return _BASELINE


def _cpu() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def run_base_page(job: tuple[tuple[str, int, str, str | None, int], str]) -> list[dict]:
    (layout, seed, doc_type, presentation, page_index), baseline_path = job
    from evalgen import make_document
    from evalgen.scans import rotate_quarter
    from pipeline.stages.preprocess import PreprocessSettings, preprocess

    baseline = _baseline_module(baseline_path)
    doc = make_document(seed, doc_type, p_turned=0.0, presentation=presentation)
    page = doc.pages[min(page_index, len(doc.pages) - 1)]
    results = []
    for turn in (0, 90, 180, 270):
        image = rotate_quarter(page.image, turn)
        truth = (page.rotation + turn) % 360
        row = {"layout": layout, "seed": seed, "variant": doc.variant, "turn": turn, "truth": truth}
        for name, module in (("new", sys.modules["pipeline.stages.preprocess"]), ("baseline", baseline)):
            settings = PreprocessSettings() if module is not baseline else baseline.PreprocessSettings()
            started, wall = _cpu(), time.perf_counter()
            decided = (preprocess if module is not baseline else baseline.preprocess)(image, settings)
            row[name] = {"rotation": decided.rotation, "cpu": _cpu() - started, "wall": time.perf_counter() - wall,
                         "notes": [n for n in decided.notes if "read" in n or "OSD" in n or "orientation" in n]}
        results.append(row)
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=512, help="pages in all (base pages x 4 turns)")
    parser.add_argument("--seed", type=int, default=500_000)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--baseline-ref", default="main", help="git ref whose preprocess.py is the baseline")
    parser.add_argument("--show", type=int, default=10, help="wrong pages to list")
    args = parser.parse_args(argv)

    source = subprocess.run(["git", "-C", str(REPO), "show", f"{args.baseline_ref}:pipeline/stages/preprocess.py"],
                            check=True, capture_output=True, text=True).stdout
    baseline_path = REPO / "build" / "bench" / "preprocess_baseline.py"
    baseline_path.parent.mkdir(parents=True, exist_ok=True)
    baseline_path.write_text(source)

    bases = base_pages(max(1, args.pages // 4), args.seed)
    print(f"{len(bases) * 4} pages ({len(bases)} base pages x 4 turns), baseline = {args.baseline_ref}, "
          f"{args.jobs} processes", flush=True)
    rows: list[dict] = []
    started = time.perf_counter()
    with ProcessPoolExecutor(args.jobs) as pool:
        for n, result in enumerate(pool.map(run_base_page, [(b, str(baseline_path)) for b in bases]), 1):
            rows.extend(result)
            if n % 16 == 0:
                print(f"  {n * 4}/{len(bases) * 4} pages ({time.perf_counter() - started:.0f} s)", flush=True)

    def wrong(name: str, subset: list[dict]) -> int:
        return sum(r[name]["rotation"] != r["truth"] for r in subset)

    groups: dict[str, list[dict]] = defaultdict(list)
    for r in rows:
        groups[r["layout"]].append(r)
        groups[f"turned {r['turn']}°"].append(r)
    print(f"\n{'pages':24s} {'n':>5s} {'wrong (this tree)':>18s} {'wrong (baseline)':>17s} "
          f"{'CPU s/page':>11s} {'baseline':>9s}")
    for name in [*sorted(k for k in groups if not k.startswith("turned")),
                 *sorted(k for k in groups if k.startswith("turned")), "all"]:
        subset = rows if name == "all" else groups[name]
        n = len(subset)
        new_cpu = sum(r["new"]["cpu"] for r in subset) / n
        base_cpu = sum(r["baseline"]["cpu"] for r in subset) / n
        print(f"{name:24s} {n:5d} {wrong('new', subset):8d} ({100 * wrong('new', subset) / n:5.1f}%) "
              f"{wrong('baseline', subset):8d} ({100 * wrong('baseline', subset) / n:5.1f}%) "
              f"{new_cpu:11.2f} {base_cpu:9.2f}")
    n = len(rows)
    new_cpu = sum(r["new"]["cpu"] for r in rows) / n
    base_cpu = sum(r["baseline"]["cpu"] for r in rows) / n
    read = sum(any("reading" in note for note in r["new"]["notes"]) for r in rows)
    print(f"\nturned wrong: {wrong('new', rows)}/{n} this tree, {wrong('baseline', rows)}/{n} baseline (target 0)")
    print(f"CPU per page: {new_cpu:.2f} s this tree vs {base_cpu:.2f} s baseline: {new_cpu - base_cpu:+.2f} s "
          f"({new_cpu / base_cpu:.2f}x); {read} pages ({100 * read / n:.0f}%) were read to decide")
    bad = [r for r in rows if r["new"]["rotation"] != r["truth"]]
    for r in bad[: args.show]:
        print(f"  WRONG {r['layout']} seed {r['seed']} ({r['variant']}) turned {r['turn']}° -> "
              f"{r['new']['rotation']}°: {' | '.join(r['new']['notes'])[:400]}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
