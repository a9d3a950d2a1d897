"""Train the document-type classifier on generated documents and save it.

    .venv/bin/python scripts/train_classifier.py OUT_PATH [--documents-per-type 40] [--seed 0]
        [--corrections corrections.jsonl]   # lines {"text": ..., "label": ...} from reviewers
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Train the document-type classifier")
    parser.add_argument("out", type=Path)
    parser.add_argument("--documents-per-type", type=int, default=40)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--corrections", type=Path)
    args = parser.parse_args(argv)

    from pipeline.core.training import train_classifier
    from pipeline.stages.classify import save_classifier

    corrections = []
    if args.corrections:
        for line in args.corrections.read_text(encoding="utf-8").splitlines():
            if line.strip():
                item = json.loads(line)
                corrections.append((item["text"], item["label"]))
    started = time.perf_counter()
    classifier = train_classifier(seed=args.seed, documents_per_type=args.documents_per_type,
                                  corrections=corrections)
    save_classifier(classifier, args.out)
    print(f"{args.out}: trained on {classifier.trained_on} texts in {time.perf_counter() - started:.1f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
