"""The reuse API as another service meets it: `sohoa serve` (real uvicorn) on loopback, real scans
uploaded and OCR'd, keys made with `sohoa keys create`; and schemathesis over /openapi.json."""

from __future__ import annotations

import io
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import httpx
import pytest

from conftest import cli_env, run_cli
from pipeline.samples import make_document, make_person, make_scans
from queue_helpers import Worker
from sohoa_serve import Server

PURPOSE = {"X-Purpose": quote("kiểm tra hồ sơ đăng ký hộ kinh doanh")}


@pytest.fixture
def server(tmp_path: Path, classifier) -> Iterator[Server]:
    """A server whose document-type model is already trained (the test session's), so uploads
    never train one."""
    made = Server(tmp_path / "home")
    run_cli(made.env, "db", "upgrade")
    yield made
    if made.process and made.process.poll() is None:
        made.stop()


def _scan_png(seed: int, doc_type: str, owner) -> bytes:
    document = make_document(seed, doc_type, owner=owner)
    page = make_scans(seed, document=document, severity="light", skew=1.0, rotation=0, dpi=200)[0]
    buffer = io.BytesIO()
    page.image.save(buffer, format="PNG", dpi=(page.dpi, page.dpi))
    return buffer.getvalue()


def _wait_for_job(client: httpx.Client, job_id: str, timeout: float = 180) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job = client.get(f"/v1/jobs/{job_id}").json()
        if job["status"] in ("stored", "duplicate", "failed"):
            return job
        time.sleep(0.5)
    raise AssertionError(f"job {job_id} did not finish in {timeout} s")


@pytest.mark.slow
def test_another_service_finds_and_downloads_papers_and_learns_what_is_missing(server: Server):
    """GIVEN `sohoa serve` on loopback and keys made with `sohoa keys create`
    WHEN an office uploads a citizen's ID card scan, and another service with a read-only key
    asks what household business registration still needs, downloads the card, and opens the
    dossier with the form uploaded in the same request
    THEN the card is OCR'd, typed and owned by the citizen; the check says only the form is
    missing; the download is the exact scan; the dossier reuses the card by reference and its
    form job fills in its document; every read is in `sohoa audit`; the server log never shows
    the personal ID."""
    citizen = make_person(4242)
    writer_key = server.key("mot-cua", "documents:read,documents:write")
    reader_key = server.key("dich-vu-cong", "documents:read")
    server.start()
    writer = httpx.Client(base_url=server.url, headers={"X-API-Key": writer_key, **PURPOSE}, timeout=30)
    reader = httpx.Client(base_url=server.url, headers={"X-API-Key": reader_key, **PURPOSE}, timeout=30)

    card_png = _scan_png(11, "can_cuoc", citizen)
    accepted = writer.post("/v1/documents", files={"file": ("can-cuoc.png", card_png, "image/png")})
    assert accepted.status_code == 202, accepted.text
    assert accepted.headers["location"] == f"/v1/jobs/{accepted.json()['id']}"
    job = _wait_for_job(writer, accepted.json()["id"])
    assert job["status"] == "stored", job
    card = reader.get(f"/v1/documents/{job['document_id']}").json()
    assert card["doc_type"] == "can_cuoc" and card["owner_id"] == citizen.personal_id, card
    assert card["status"] != "needs_review", card

    check = reader.post("/v1/procedures/2.000720/check", json={"owner_id": citizen.personal_id}).json()
    assert check["missing"] == ["to_khai"]
    assert next(c for c in check["components"] if c["doc_type"] == "can_cuoc")["document"]["id"] == card["id"]
    original = reader.get(f"/v1/documents/{card['id']}/content", params={"variant": "original"})
    assert original.content == card_png
    searchable = reader.get(f"/v1/documents/{card['id']}/content")
    assert searchable.content.startswith(b"%PDF-")

    form_png = _scan_png(12, "to_khai", citizen)
    dossier = writer.post("/v1/dossiers", data={"metadata": (
        '{"procedure_code": "2.000720", "owner_id": "%s"}' % citizen.personal_id)},
        files={"to_khai": ("to-khai.png", form_png, "image/png")})
    assert dossier.status_code == 201, dossier.text
    parts = {c["doc_type"]: c for c in dossier.json()["components"]}
    assert parts["can_cuoc"]["source"] == "reused" and parts["can_cuoc"]["document_id"] == card["id"]
    assert parts["to_khai"]["source"] == "uploaded" and parts["to_khai"]["job_id"]
    form_job = _wait_for_job(writer, parts["to_khai"]["job_id"])
    assert form_job["status"] == "stored", form_job
    again = reader.get(f"/v1/dossiers/{dossier.json()['code']}").json()
    assert {c["doc_type"]: c["document_id"] for c in again["components"]}["to_khai"] == form_job["document_id"]
    form = reader.get(f"/v1/documents/{form_job['document_id']}").json()
    assert form["dossier_code"] == dossier.json()["code"]

    assert reader.get("/v1/stats").status_code == 403
    audit = run_cli(server.env, "audit", "--client", "dich-vu-cong", "--json")
    actions = [line for line in audit.stdout.splitlines()]
    assert len(actions) == 6, audit.stdout  # document, check, 2 contents, dossier, form
    log = server.stop()
    assert "GET /v1/documents/" in log  # the access log is on…
    assert citizen.personal_id not in log  # …and masks personal IDs


def test_openapi_fuzzing_finds_no_server_errors(tmp_path: Path, classifier, pki):
    """GIVEN the app with an admin key and a signing key configured
    WHEN schemathesis generates requests for every operation in /openapi.json
    THEN no response is a 5xx, and every response matches its documented schema and status."""
    schemathesis = pytest.importorskip("schemathesis")
    from hypothesis import HealthCheck, given, settings

    from pipeline.core.access import AccessStore
    from pipeline.core.runtime import Runtime
    from pipeline.service.api import build_services, create_app
    from pipeline.settings import Settings

    from pki import PASSPHRASE

    configured = Settings(home=tmp_path / "home", rate_limit_per_minute=100000,
                          sign_key=str(pki.pkcs12("official")), key_passphrase=PASSPHRASE)
    services = build_services(Runtime(configured, classifier=classifier))
    key = AccessStore(services.index).create_key("fuzzer", ["admin"]).key
    app = create_app(services)
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    # uploads would start OCR jobs on random bytes: they are covered by the tests above
    schema = schema.exclude(method="POST", path="/v1/documents")
    failures: list[str] = []

    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 15

    for operation in operations:
        @given(case=operation.as_strategy())
        @settings(max_examples=15, deadline=None, suppress_health_check=list(HealthCheck),
                  derandomize=True, database=None)
        def fuzz(case):
            case.headers = {**(case.headers or {}), "X-API-Key": key, **PURPOSE}
            response = case.call()
            if response.status_code >= 500:
                failures.append(f"{case.method} {case.formatted_path} -> {response.status_code}: "
                                f"{response.text[:200]}")

        fuzz()
    services.uploads.shutdown()
    assert not failures, failures


@pytest.mark.slow
def test_uploads_go_to_the_workers_when_a_broker_is_configured(tmp_path: Path, classifier, redis_server):
    """GIVEN the API with SOHOA_BROKER_URL set (a private Redis) and `sohoa worker` running
    WHEN a scan is uploaded
    THEN the job is carried by a batch item, a worker stores the document, and the job reports
    it stored with the same document id the batch records."""
    from pipeline.core.access import AccessStore
    from pipeline.core.runtime import Runtime
    from pipeline.service.api import build_services, create_app
    from pipeline.core.batches import Batches
    from pipeline.settings import Settings

    home = tmp_path / "home"
    configured = Settings(home=home, broker_url=redis_server.url)
    services = build_services(Runtime(configured, classifier=classifier))
    key = AccessStore(services.index).create_key("mot-cua", ["documents:write", "documents:read"]).key
    from fastapi.testclient import TestClient

    client = TestClient(create_app(services), headers={"X-API-Key": key, **PURPOSE})
    worker = Worker(cli_env(home, SOHOA_BROKER_URL=redis_server.url), tmp_path / "worker.log").start()
    try:
        citizen = make_person(5151)
        accepted = client.post("/v1/documents", files={"file": ("giay-khai-sinh.png",
                                                                _scan_png(21, "giay_khai_sinh", citizen),
                                                                "image/png")})
        assert accepted.status_code == 202, accepted.text
        job = _wait_for_job(client, accepted.json()["id"])
    finally:
        worker.stop()
    assert job["status"] == "stored", (job, (tmp_path / "worker.log").read_text()[-2000:])
    [item] = Batches(services.index).items()
    assert item.status == "stored" and item.document_id == job["document_id"]
    document = client.get(f"/v1/documents/{job['document_id']}").json()
    assert document["doc_type"] == "giay_khai_sinh"
    assert not (home / "uploads" / accepted.json()["id"]).exists()
