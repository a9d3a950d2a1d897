"""Storage commands from the command line: search, verify, db upgrade."""

from __future__ import annotations

import json
import shutil
import unicodedata
import uuid
from pathlib import Path

import pytest

from conftest import cli_env, run_cli
from pipeline.samples import write_sample_batch


def fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    return "".join(c for c in decomposed if not unicodedata.combining(c)).lower()


@pytest.fixture(scope="module")
def ingested_home(tmp_path_factory, classifier) -> tuple[Path, list[dict]]:
    """A generated batch of two documents ingested once through `sohoa ingest --jobs 2`."""
    root = tmp_path_factory.mktemp("cli-storage")
    batch = root / "batch"
    write_sample_batch(batch, seed=515, dossiers=1, documents_per_dossier=2, dpi=200)
    report = root / "report.jsonl"
    result = run_cli(cli_env(root / "home"), "ingest", batch, "--jobs", "2", "--report", report)
    assert result.returncode == 0, result.stderr
    return root / "home", [json.loads(line) for line in report.read_text().splitlines()]


@pytest.fixture
def stored(ingested_home, settings) -> list[dict]:
    """This test's own copy of the ingested home (as its SOHOA_HOME): it may damage it."""
    home, lines = ingested_home
    shutil.copytree(home, settings.home)
    return lines


def test_search_without_accents_finds_the_vietnamese_document(stored, run_sohoa):
    """GIVEN stored documents
    WHEN a user searches with the title typed without accents
    THEN the document comes back, with a snippet in its own accented text"""
    line = stored[0]
    record = json.loads(run_sohoa("show", line["document_id"], "--json").stdout)
    words = [w for w in record["title"].split() if len(w) > 1][:3]
    query = fold(" ".join(words))

    result = run_sohoa("search", query, "--json")

    assert result.returncode == 0, result.stderr
    hits = [json.loads(x) for x in result.stdout.splitlines()]
    assert line["document_id"] in [h["document_id"] for h in hits]
    hit = next(h for h in hits if h["document_id"] == line["document_id"])
    assert "[" in hit["snippet"]
    assert run_sohoa("search", "zzzz qqqq xyzzy", "--json").stdout.strip() == ""


def test_verify_finds_an_altered_and_a_missing_object(stored, run_sohoa, settings):
    """GIVEN stored documents
    WHEN one stored PDF has a byte flipped and another document's OCR object is deleted
    THEN `sohoa verify --all` exits 6 naming both; before the damage it exits 0"""
    clean = run_sohoa("verify", "--all")
    assert clean.returncode == 0, clean.stdout + clean.stderr

    first, second = (json.loads(run_sohoa("show", line["document_id"], "--json").stdout) for line in stored[:2])
    objects = settings.resolved_home / "objects"
    damaged = objects / first["searchable_key"]
    data = bytearray(damaged.read_bytes())
    data[len(data) // 2] ^= 0x01
    damaged.write_bytes(bytes(data))
    (objects / second["ocr_key"]).unlink()

    result = run_sohoa("verify", "--all", "--json")

    assert result.returncode == 6, result.stdout + result.stderr
    findings = json.loads(result.stdout)["findings"]
    problems = {(f["key"], f["problem"]) for f in findings if f["severity"] == "error"}
    assert problems == {(first["searchable_key"], "altered"), (second["ocr_key"], "missing")}
    assert run_sohoa("verify").returncode == 2  # neither ids nor --all: a usage error


def test_db_upgrade_brings_a_new_postgresql_database_to_the_current_schema(run_sohoa, settings, tmp_path):
    """GIVEN an empty PostgreSQL database
    WHEN `sohoa db upgrade` runs against it
    THEN the index opens there, and ingest and list work against PostgreSQL"""
    psycopg = pytest.importorskip("psycopg")
    name = f"sohoa_cli_{uuid.uuid4().hex[:8]}"
    try:
        admin = psycopg.connect("host=127.0.0.1 port=5432 user=postgres dbname=postgres", autocommit=True)
    except psycopg.OperationalError as exc:
        pytest.skip(f"PostgreSQL at 127.0.0.1:5432 unreachable: {exc}")
    with admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    url = f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"
    try:
        env = cli_env(settings.home, SOHOA_DATABASE_URL=url)

        def sohoa(*args):
            return run_cli(env, *args)

        before = sohoa("list")
        assert before.returncode == 4 and "sohoa db upgrade" in before.stderr, before.stderr
        upgraded = sohoa("db", "upgrade")
        assert upgraded.returncode == 0, upgraded.stderr
        assert sohoa("list", "--json").stdout.strip() == ""
        batch = tmp_path / "pg-batch"
        files = write_sample_batch(batch, seed=616, dossiers=1, documents_per_dossier=1, dpi=200)
        ingested = sohoa("ingest", batch, "--jobs", "2")
        assert ingested.returncode == 0, ingested.stderr
        listed = [json.loads(x) for x in sohoa("list", "--json").stdout.splitlines()]
        assert len(listed) == len(files)
        assert sohoa("verify", "--all").returncode == 0
    finally:
        with psycopg.connect("host=127.0.0.1 port=5432 user=postgres dbname=postgres", autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
