"""Real files from other projects' own test corpora, fetched once from PyPI and never committed.

`sdist("pyhanko", "0.38.0")` downloads that source distribution with pip (no dependencies, no
wheels) and unpacks it as `build/corpora/pyhanko-0.38.0/` — the layout scripts/fetch_corpora.sh
makes too, so either can fill the directory and both reuse it. Unpacking goes to a temporary
directory renamed into place, so a directory that exists is complete. When PyPI cannot be
reached, the calling test is skipped with pip's reason.
"""

from __future__ import annotations

import fcntl
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
CORPORA = REPO / "build" / "corpora"


def sdist(name: str, version: str) -> Path:
    """The unpacked source distribution `build/corpora/<name>-<version>/`, fetched if missing."""
    target = CORPORA / f"{name}-{version}"
    if target.is_dir():
        return target
    CORPORA.mkdir(parents=True, exist_ok=True)
    with open(CORPORA / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # parallel test workers fetch it once
        if not target.is_dir():
            _fetch(name, version, target)
    return target


def _fetch(name: str, version: str, target: Path) -> None:
    with tempfile.TemporaryDirectory(dir=CORPORA) as work:
        downloads = Path(work) / "downloads"
        try:
            done = subprocess.run(
                [sys.executable, "-m", "pip", "download", "--no-deps", "--no-binary", ":all:",
                 "--disable-pip-version-check", "--quiet", f"{name}=={version}", "-d", str(downloads)],
                capture_output=True, text=True, timeout=300)
        except subprocess.TimeoutExpired:
            pytest.skip(f"cannot fetch {name}=={version} from PyPI: no answer in 300 s")
        archives = sorted(downloads.glob("*.tar.gz")) if done.returncode == 0 else []
        if not archives:
            reason = (done.stderr.strip().splitlines() or ["no source distribution"])[-1]
            pytest.skip(f"cannot fetch {name}=={version} from PyPI: {reason}")
        unpacked = Path(work) / "unpacked"
        with tarfile.open(archives[0]) as archive:
            archive.extractall(unpacked, filter="data")
        [top] = list(unpacked.iterdir())  # an sdist holds one directory, <name>-<version>
        shutil.move(str(top), str(target))
