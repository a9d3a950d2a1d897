"""Write a batch of realistic Vietnamese dossier scans with ground truth (thin shell over
`pipeline.samples.write_sample_batch`).

    python scripts/make_samples.py OUT_DIR [--seed N] [--dossiers N] [--documents N] [--dpi 300]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from pipeline.samples import write_sample_batch  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Generate sample dossiers of degraded Vietnamese scans.")
    parser.add_argument("out_dir", type=Path, help="directory to write the dossier folders into")
    parser.add_argument("--seed", type=int, default=0, help="same seed, same files (default 0)")
    parser.add_argument("--dossiers", type=int, default=3, help="number of dossier folders (default 3)")
    parser.add_argument("--documents", type=int, default=4, help="documents per dossier (default 4)")
    parser.add_argument("--dpi", type=int, default=300, choices=(200, 300), help="scan resolution (default 300)")
    args = parser.parse_args(argv)
    files = write_sample_batch(args.out_dir, seed=args.seed, dossiers=args.dossiers,
                               documents_per_dossier=args.documents, dpi=args.dpi)
    for path in files:
        print(path)
    print(f"{len(files)} files written to {args.out_dir}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
