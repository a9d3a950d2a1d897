from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from pipeline.stores.index import Index
from pipeline.core.run import Ingestor, PipelineSettings
from pipeline.settings import Settings
from pipeline.stores.objects import open_store

REPO = Path(__file__).resolve().parent.parent
# Trained once and reused by every test (in-process and through the CLI); retrained when the
# classifier's version stamp changes.
CLASSIFIER_PATH = REPO / "build" / "test-models" / "type-classifier.pkl"


@pytest.fixture(scope="session")
def classifier():
    from pipeline.core.training import load_or_train

    return load_or_train(CLASSIFIER_PATH)


def run_cli(env: dict[str, str], *args: str | Path, timeout: float = 600) -> subprocess.CompletedProcess[str]:
    """The real `sohoa` command line in a subprocess, with `env` (see `cli_env`)."""
    return subprocess.run(
        [sys.executable, "-m", "pipeline", *map(str, args)],
        capture_output=True, text=True, env=env, cwd=REPO, timeout=timeout,
    )


def cli_env(home: Path, **extra: str) -> dict[str, str]:
    """The environment of a `sohoa` subprocess: this test's SOHOA_HOME and the shared model."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("SOHOA_")}
    env["SOHOA_HOME"] = str(home)
    env["SOHOA_CLASSIFIER_PATH"] = str(CLASSIFIER_PATH)
    return env | extra


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(home=tmp_path / "home")


@pytest.fixture
def ingestor(settings: Settings, classifier) -> Ingestor:
    return Ingestor(
        open_store(settings.objects_url),
        Index(settings.index_url),
        PipelineSettings.from_settings(settings),
        quarantine_dir=settings.quarantine_dir,
        classifier=classifier,
    )


class CliResult:
    def __init__(self, completed: subprocess.CompletedProcess[str]):
        self.returncode = completed.returncode
        self.stdout = completed.stdout
        self.stderr = completed.stderr

    def report(self, path: Path) -> list[dict]:
        return [json.loads(line) for line in path.read_text().splitlines()]


@pytest.fixture
def run_sohoa(settings: Settings, classifier):
    """Run the real `sohoa` command line in a subprocess against this test's SOHOA_HOME."""

    def run(*args: str | Path, timeout: float = 600) -> CliResult:
        return CliResult(run_cli(cli_env(settings.home), *args, timeout=timeout))

    return run


@pytest.fixture
def own_moto():
    """A moto S3 server on loopback that only this test stops and restarts."""
    pytest.importorskip("moto.server", reason="moto[server] is not installed: no S3 endpoint")
    from s3server import MotoS3

    server = MotoS3().start()
    yield server
    server.stop()
