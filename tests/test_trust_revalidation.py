"""Stored signature statuses follow the trust roots: a server or worker starting with other roots
than those the index's statuses were validated under validates them again, in the background,
once (pipeline.core.trust)."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest

from conftest import CLASSIFIER_PATH, REPO
from index_rows import make_row
from pdfa import page_pdf
from pki import PASSPHRASE, TestPki
from pipeline.clock import utcnow
from pipeline.core.signed_versions import sign_stored_document
from pipeline.core.trust import CLAIM_STALE_AFTER, RevalidationBusy, revalidate_for_trust_roots
from pipeline.stages.sign import SignSpec, ValidationSettings, open_signer
from pipeline.stores.index import Index
from pipeline.stores.index.trust import TrustRecords
from pipeline.stores.objects import open_store, original_key, sha256_hex

OWNER_ID = "079190001234"  # a personal ID number: never in a log line


class Office:
    """An index with two signed documents — the official's (under the test root) and a stranger's
    (under a root nobody trusts) — both recorded while no trust roots were configured, so both
    are indeterminate."""

    def __init__(self, home: Path, pki: TestPki):
        self.home, self.pki = home, pki
        self.index = Index(f"sqlite:///{home / 'index.sqlite3'}")
        self.store = open_store((home / "objects").as_uri())
        self.official = self._signed(21, "official", SignSpec(kind="official", agency="UBND quận 1"))
        self.stranger = self._signed(22, "stranger", SignSpec(kind="digitiser"))

    def _signed(self, n: int, label: str, spec: SignSpec) -> str:
        pdf = page_pdf(seed=n)
        row = make_row(n, searchable_sha256=sha256_hex(pdf), owner_id=OWNER_ID)
        self.store.put_immutable(original_key(row.sha256), pdf)
        self.store.put(row.searchable_key, pdf)
        self.store.put(row.ocr_key, b"{}")
        self.index.add(row)
        with open_signer(str(self.pki.pkcs12(label)), PASSPHRASE) as signer:
            sign_stored_document(self.index, self.store, row.id, spec, signer, validation=ValidationSettings())
        return row.id

    def statuses(self) -> tuple[str, str]:
        return self.index.signature_status(self.official), self.index.signature_status(self.stranger)

    def recorded_at(self) -> list:
        return [s.created_at for s in self.index.signatures(self.official) + self.index.signatures(self.stranger)]

    def roots(self, *labels: str) -> Path:
        path = self.home / f"roots-{'-'.join(labels)}.pem"
        path.write_bytes(b"".join(self.pki.pem(label) for label in labels))
        return path


@pytest.fixture
def office(pki, tmp_path):
    made = Office(tmp_path / "home", pki)
    yield made
    made.index.close()


def serve_environment(monkeypatch, home: Path, roots: Path | None) -> None:
    """The environment `sohoa serve` hands its app factory: this office's home and roots."""
    for name in [n for n in os.environ if n.startswith("SOHOA_")]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("SOHOA_HOME", str(home))
    monkeypatch.setenv("SOHOA_CLASSIFIER_PATH", str(CLASSIFIER_PATH))
    if roots is not None:
        monkeypatch.setenv("SOHOA_TRUST_ROOTS", str(roots))


def start_server(monkeypatch, home: Path, roots: Path | None):
    """The app exactly as `sohoa serve` builds it (its uvicorn factory), after its background
    re-validation has finished."""
    from pipeline.service.api.app import app_from_environment

    serve_environment(monkeypatch, home, roots)
    app = app_from_environment()
    app.state.trust_revalidation.join(timeout=120)
    assert not app.state.trust_revalidation.is_alive()
    app.state.services.runtime.close()
    return app


def test_a_server_started_with_new_trust_roots_validates_stored_signatures_again(office, monkeypatch, caplog):
    """GIVEN two stored signed versions recorded indeterminate under no trust roots
    WHEN the server starts with SOHOA_TRUST_ROOTS the test root, then again with the same roots,
    then with the stranger's root added
    THEN the first start validates both again in the background: the official's becomes signed,
    the stranger's stays indeterminate, the index remembers the roots' fingerprint, when, 2
    versions and 1 changed, and one log line counts the change (no personal ID); the second
    start validates nothing (the recorded rows are untouched); the third makes both signed"""
    assert office.statuses() == ("indeterminate", "indeterminate")
    caplog.set_level(logging.INFO, logger="pipeline.core.trust")
    test_root = office.roots("root")

    start_server(monkeypatch, office.home, test_root)

    assert office.statuses() == ("signed", "indeterminate")
    state = TrustRecords(office.index).state()
    assert state.trust_roots_sha256 == ValidationSettings.from_file(test_root).trust_roots_sha256
    assert (state.roots, state.versions, state.changed, state.claimed_by) == (1, 2, 1, None)
    assert state.revalidated_at is not None
    [summary] = [r.getMessage() for r in caplog.records if "validated again under" in r.getMessage()]
    assert "2 signed version(s), 1 changed (indeterminate -> signed: 1)" in summary, summary
    assert OWNER_ID not in caplog.text

    recorded, caplog_lines = office.recorded_at(), len(caplog.records)
    start_server(monkeypatch, office.home, test_root)
    assert office.recorded_at() == recorded
    assert TrustRecords(office.index).state() == state
    assert not any("validated again under" in r.getMessage() for r in caplog.records[caplog_lines:])

    start_server(monkeypatch, office.home, office.roots("root", "stranger-root"))
    assert office.statuses() == ("signed", "signed")
    assert TrustRecords(office.index).state().changed == 1


def test_one_process_revalidates_while_another_holds_a_fresh_claim(office):
    """GIVEN new trust roots and another server that claimed the re-validation a moment ago
    WHEN this process starts its re-validation, then again once that claim is older than
    CLAIM_STALE_AFTER (its server died)
    THEN the first is refused (RevalidationBusy naming the holder) and nothing is recorded; the
    second takes the claim over and records the new statuses"""
    trusting = ValidationSettings.from_file(office.roots("root"))
    records = TrustRecords(office.index)
    now = utcnow()
    assert records.claim(trusting.trust_roots_sha256, "other-host:41", now=now, stale_before=now - CLAIM_STALE_AFTER)
    # the same claim asked for by a second process at once is refused
    assert not records.claim(trusting.trust_roots_sha256, "third-host:7", now=now,
                             stale_before=now - CLAIM_STALE_AFTER)

    with pytest.raises(RevalidationBusy, match="other-host:41"):
        revalidate_for_trust_roots(office.index, office.store, trusting, by="this-host:1")
    assert office.statuses() == ("indeterminate", "indeterminate")

    long_ago = now - CLAIM_STALE_AFTER - timedelta(seconds=1)
    assert records.claim(trusting.trust_roots_sha256, "other-host:41", now=long_ago,
                         stale_before=long_ago - CLAIM_STALE_AFTER)
    done = revalidate_for_trust_roots(office.index, office.store, trusting, by="this-host:1")
    assert (done.versions, done.changed) == (2, 1)
    assert office.statuses() == ("signed", "indeterminate")
    assert records.state().claimed_by is None
    assert revalidate_for_trust_roots(office.index, office.store, trusting) is None


def test_a_failed_revalidation_releases_its_claim_and_records_no_fingerprint(office, monkeypatch):
    """GIVEN new trust roots and a stored signed PDF that can no longer be read from the store
    WHEN the re-validation runs
    THEN it raises, its claim is released and the old fingerprint stays, so the next start tries
    again"""
    trusting = ValidationSettings.from_file(office.roots("root"))
    before = TrustRecords(office.index).state()

    def unreadable(key: str) -> bytes:
        raise OSError(f"object store gone: {key}")

    monkeypatch.setattr(office.store, "get", unreadable)
    with pytest.raises(OSError):
        revalidate_for_trust_roots(office.index, office.store, trusting, by="this-host:1")
    after = TrustRecords(office.index).state()
    assert after.claimed_by is None and after.trust_roots_sha256 == before.trust_roots_sha256


def test_a_worker_process_started_with_new_trust_roots_validates_stored_signatures_again(office):
    """GIVEN two stored signed versions recorded indeterminate under no trust roots
    WHEN a worker process loads `workers.main` (what `sohoa worker` has dramatiq import) with the
    test root configured
    THEN its background re-validation makes the official's version signed"""
    env = {k: v for k, v in os.environ.items() if not k.startswith("SOHOA_")}
    env |= {"SOHOA_HOME": str(office.home), "SOHOA_CLASSIFIER_PATH": str(CLASSIFIER_PATH),
            "SOHOA_TRUST_ROOTS": str(office.roots("root")), "SOHOA_BROKER_URL": "redis://127.0.0.1:9/0",
            "PYTHONPATH": os.pathsep.join([str(REPO), env.get("PYTHONPATH", "")])}
    loaded = subprocess.run(
        [sys.executable, "-c", "import workers.main as w; w.trust_revalidation.join(120)"],
        env=env, cwd=REPO, capture_output=True, text=True, timeout=180)
    assert loaded.returncode == 0, loaded.stderr
    assert office.statuses() == ("signed", "indeterminate")
    assert TrustRecords(office.index).state().versions == 2


@pytest.mark.postgres
def test_the_claim_is_one_process_at_a_time_on_postgresql():
    """GIVEN the PostgreSQL index migrated to head (0011 adds `trust_state` with its row)
    WHEN two processes claim the re-validation under new roots, the winner finishes, and a third
    asks under the same roots
    THEN only the first claim is granted; after it finishes the state holds the fingerprint and
    the counts, and the same roots cannot be claimed again (nothing to do)"""
    from postgres import create_database, drop_database

    from pipeline.stores.index import upgrade

    url = create_database("sohoa_trust")
    try:
        upgrade(url)
        index = Index(url)
        records, now = TrustRecords(index), utcnow()
        stale_before = now - CLAIM_STALE_AFTER
        assert records.state().trust_roots_sha256 is None
        assert records.claim("f" * 64, "a:1", now=now, stale_before=stale_before)
        assert not records.claim("f" * 64, "b:2", now=now, stale_before=stale_before)
        records.finish("a:1", "f" * 64, roots=1, versions=3, changed=2, now=now)
        state = records.state()
        assert (state.trust_roots_sha256, state.versions, state.changed, state.claimed_by) == ("f" * 64, 3, 2, None)
        assert not records.claim("f" * 64, "c:3", now=now, stale_before=stale_before)
        index.close()
    finally:
        drop_database(url)
