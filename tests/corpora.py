"""Real files from other projects' own test corpora, fetched once from PyPI and never committed.

`sdist("pyhanko", "0.38.0")` is the unpacked source distribution `build/corpora/pyhanko-0.38.0/`
that scripts/fetch_corpora.sh (run by set-up) downloads and unpacks; a test run where set-up could
not fetch it tries once more, and the calling test is skipped with the script's reason when PyPI
cannot be reached.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
CORPORA = REPO / "build" / "corpora"


def sdist(name: str, version: str) -> Path:
    """The unpacked source distribution `build/corpora/<name>-<version>/`, fetched if missing."""
    target = CORPORA / f"{name}-{version}"
    if not (target / ".unpacked").exists():
        fetched = subprocess.run(["bash", str(REPO / "scripts" / "fetch_corpora.sh")], cwd=REPO,
                                 capture_output=True, text=True, timeout=600)
        if not (target / ".unpacked").exists():
            pytest.skip(f"cannot fetch {name}=={version}: {(fetched.stdout + fetched.stderr).strip()}")
    return target
