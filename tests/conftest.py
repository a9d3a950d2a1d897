"""Fixtures shared by the test modules, and the helpers that run the real `sohoa` command line.

The suite runs in parallel (pytest-xdist, see README "Tests"), so every resource here is either
private to one test or one worker process (a database with a random name, a server on a port the
kernel picked, a RabbitMQ virtual host, a tmp_path), or shared through a lock (the classifier).
Plain helpers live in small modules beside this file: postgres.py, index_rows.py, s3server.py,
pki.py, pdfa.py, softhsm.py, queue_helpers.py, sohoa_serve.py.
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from pipeline.stores.index import Index, upgrade
from pipeline.core.run import Ingestor, PipelineSettings
from pipeline.settings import Settings
from pipeline.stores.objects import open_store
from cli_forkserver import FORK_SERVER
from pki import TestPki
from postgres import create_database, drop_database
from s3server import ACCESS_KEY, SECRET_KEY, MotoS3, S3Endpoint, endpoint_from_environment

# `--cpu-report`: CPU-seconds per test and per module (tests/cpu_report.py).
pytest_plugins = ["cpu_report"]

REPO = Path(__file__).resolve().parent.parent
# Trained once and reused by every test (in-process and through the CLI); retrained when the
# classifier's version stamp changes.
CLASSIFIER_PATH = REPO / "build" / "test-models" / "type-classifier.pkl"

# The modules that take longest, longest first. They run before the others so that, in
# parallel, the many short modules fill in at the end instead of one worker finishing a
# two-minute module alone while the other has nothing left to do.
LONGEST_MODULES_FIRST = [  # by CPU-seconds (`--cpu-report`), those that wait on servers moved up
    "test_workers_faults.py",
    "test_real_files.py",
    "test_access_cache.py",
    "test_sign.py",
    "test_preprocess.py",
    "test_separation_ingest.py",
    "test_api_server.py",
    "test_hostile_batch.py",
    "test_api.py",
    "test_hostile_inputs.py",
    "test_console_browser.py",
    "test_workers.py",
    "test_lifetime.py",
    "test_migration_race.py",
    "test_trust_revalidation.py",
    "test_sign_queue_browser.py",
    "test_separate.py",
    "test_end_to_end.py",
    "test_classify.py",
    "test_production_backends.py",
    "test_resume.py",
    "test_understand.py",
    "test_console_access.py",
    "test_console_backends.py",
    "test_samples.py",
    "test_signatures_real.py",
    "test_store.py",
    "test_concurrent_ingest.py",
]


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Run the longest modules first; each module's tests keep their order (a stable sort)."""
    rank = {name: position for position, name in enumerate(LONGEST_MODULES_FIRST)}
    items.sort(key=lambda item: rank.get(item.path.name, len(rank)))


# --- the document-type classifier -----------------------------------------------------------------

@pytest.fixture(scope="session")
def classifier():
    from pipeline.core.training import load_or_train

    CLASSIFIER_PATH.parent.mkdir(parents=True, exist_ok=True)
    # Every xdist worker asks for it at once: the first trains and saves it under the lock, the
    # others wait and then load the saved model instead of training their own.
    with open(CLASSIFIER_PATH.with_name(CLASSIFIER_PATH.name + ".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        return load_or_train(CLASSIFIER_PATH)


# --- the sohoa command line, pipeline settings and an ingestor ----------------------------------

def run_cli(env: dict[str, str], *args: str | Path, timeout: float = 600) -> subprocess.CompletedProcess[str]:
    """The real `sohoa` command line in a process of its own, with `env` (see `cli_env`): forked
    from a server that has imported sohoa once (tests/cli_forkserver.py), or with
    `subprocess.run` when SOHOA_TEST_FORK_CLI=0."""
    if os.environ.get("SOHOA_TEST_FORK_CLI", "1") != "0" and FORK_SERVER.can_run(env):
        return FORK_SERVER.run([str(arg) for arg in args], env, timeout)
    return subprocess.run(
        [sys.executable, "-m", "pipeline", *map(str, args)],
        capture_output=True, text=True, env=env, cwd=REPO, timeout=timeout,
    )


@pytest.fixture(scope="session", autouse=True)
def _fork_server_closed():
    yield
    FORK_SERVER.close()


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


# --- PostgreSQL (throw-away databases with random names: tests/postgres.py) ----------------------

@pytest.fixture(scope="session")
def postgres_database() -> Iterator[str]:
    """One database migrated to head for this test session (one per xdist worker)."""
    url = create_database()
    upgrade(url)
    yield url
    drop_database(url)


@pytest.fixture(params=["sqlite", "postgresql"])
def index_url(request, tmp_path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'index.sqlite3'}"
    url = request.getfixturevalue("postgres_database")
    engine = create_engine(url)
    with engine.begin() as conn:  # each test starts from empty tables
        conn.execute(text("TRUNCATE documents, corrections, document_versions, document_days"))
    engine.dispose()
    return url


@pytest.fixture
def index(index_url) -> Iterator[Index]:
    opened = Index(index_url)
    yield opened
    opened.close()


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """An empty database of this test only, not migrated (the test runs `sohoa db upgrade`)."""
    url = create_database("sohoa_prod")
    yield url
    drop_database(url)


# --- S3 (moto servers on ports the kernel picks, or SOHOA_TEST_S3: tests/s3server.py) -------------

@pytest.fixture(scope="session")
def s3_endpoint() -> Iterator[S3Endpoint]:
    """The S3 endpoint of this test session; each test makes its own bucket on it."""
    from_environment = endpoint_from_environment()
    if from_environment is not None:
        yield from_environment
        return
    pytest.importorskip("moto.server", reason="moto[server] is not installed: no S3 endpoint to test")
    server = MotoS3().start()
    yield S3Endpoint(endpoint=server.endpoint, secure=False, access_key=ACCESS_KEY,
                     secret_key=SECRET_KEY, bucket_prefix="sohoa-test")
    server.stop()


@pytest.fixture
def own_moto() -> Iterator[MotoS3]:
    """A moto S3 server on loopback that only this test stops and restarts."""
    pytest.importorskip("moto.server", reason="moto[server] is not installed: no S3 endpoint")
    server = MotoS3().start()
    yield server
    server.stop()


# --- the test PKI (tests/pki.py) ----------------------------------------------------------------

@pytest.fixture(scope="session")
def pki(tmp_path_factory) -> Iterator[TestPki]:
    """Root and issuing CA, OCSP, CRLs and a TSA over HTTP on a loopback port of this session."""
    server = TestPki(tmp_path_factory.mktemp("pki")).start()
    yield server
    server.stop()


# --- brokers (tests/queue_helpers.py) -----------------------------------------------------------

@pytest.fixture
def redis_server(tmp_path):
    """A redis-server of this test only."""
    from queue_helpers import RedisServer  # imported here: queue_helpers imports this module

    server = RedisServer(tmp_path).start()
    yield server
    server.stop()


@pytest.fixture
def rabbit_url():
    """A RabbitMQ virtual host of this test only on the shared server (guest/guest): its queues
    are this test's, so tests running in parallel never take each other's messages."""
    if shutil.which("rabbitmqctl") is None:
        pytest.skip("rabbitmqctl is not installed: no RabbitMQ")
    vhost = f"sohoa-test-{uuid.uuid4().hex[:8]}"
    made = subprocess.run(["rabbitmqctl", "add_vhost", vhost], capture_output=True, text=True)
    if made.returncode != 0:
        pytest.skip(f"RabbitMQ not usable: {made.stderr.strip()[:200]}")
    subprocess.run(["rabbitmqctl", "set_permissions", "-p", vhost, "guest", ".*", ".*", ".*"],
                   check=True, capture_output=True)
    yield f"amqp://guest:guest@127.0.0.1:5672/{vhost}"
    subprocess.run(["rabbitmqctl", "delete_vhost", vhost], capture_output=True)
