from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from pipeline.index import Index
from pipeline.run import Ingestor, PipelineSettings
from pipeline.settings import Settings
from pipeline.store import open_store

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(home=tmp_path / "home")


@pytest.fixture
def ingestor(settings: Settings) -> Ingestor:
    return Ingestor(
        open_store(settings.objects_url),
        Index(settings.index_url),
        PipelineSettings.from_settings(settings),
        quarantine_dir=settings.quarantine_dir,
    )


class CliResult:
    def __init__(self, completed: subprocess.CompletedProcess[str]):
        self.returncode = completed.returncode
        self.stdout = completed.stdout
        self.stderr = completed.stderr

    def report(self, path: Path) -> list[dict]:
        return [json.loads(line) for line in path.read_text().splitlines()]


@pytest.fixture
def run_sohoa(settings: Settings):
    """Run the real `sohoa` command line in a subprocess against this test's SOHOA_HOME."""

    def run(*args: str | Path, timeout: float = 600) -> CliResult:
        env = {k: v for k, v in os.environ.items() if not k.startswith("SOHOA_")}
        env["SOHOA_HOME"] = str(settings.home)
        completed = subprocess.run(
            [sys.executable, "-m", "pipeline.cli", *map(str, args)],
            capture_output=True,
            text=True,
            env=env,
            cwd=REPO,
            timeout=timeout,
        )
        return CliResult(completed)

    return run
