"""The console on the production backends: a PostgreSQL index and an S3 object store (a real
HTTP S3 endpoint, moto's server or SOHOA_TEST_S3), the same pages and uploads as on the embedded
defaults (issue 15: "the console works on SQLite/local and on PostgreSQL/S3")."""

from __future__ import annotations

import re
import time

import pytest
from fastapi.testclient import TestClient

from pdf_samples import FONT_DIR
from pipeline.core.people import People
from pipeline.core.runtime import Runtime
from pipeline.service.api import build_services, create_app
from pipeline.settings import Settings
from pipeline.stages.ingest import InputFile
from pipeline.stores.index import upgrade
from queue_helpers import write_paragraph_scans

PASSWORD = "mat-khau-du-dai-1"
OWNER = "079203001234"


def _residence_pdf() -> bytes:
    """A text PDF of a residence confirmation for OWNER (no OCR needed)."""
    from fpdf import FPDF

    pdf = FPDF(format="A4")
    pdf.add_font("LiberationSerif", "", str(FONT_DIR / "LiberationSerif-Regular.ttf"))
    pdf.set_font("LiberationSerif", size=13)
    pdf.add_page()
    for line in ("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập - Tự do - Hạnh phúc",
                 "GIẤY XÁC NHẬN THÔNG TIN VỀ CƯ TRÚ", "Họ, chữ đệm và tên: PHẠM THỊ HỒNG NHUNG",
                 f"Số định danh cá nhân: {OWNER}", "Nơi thường trú: Số 8 ngõ Huế, phường Ngô Thì Nhậm, Hà Nội"):
        pdf.cell(0, 8, line, new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())


@pytest.fixture
def production(postgres_url, s3_endpoint, tmp_path, classifier) -> Runtime:
    upgrade(postgres_url)
    settings = Settings(
        home=tmp_path / "home", database_url=postgres_url,
        storage_url=s3_endpoint.url(s3_endpoint.new_bucket_name()),
        s3_access_key=s3_endpoint.access_key, s3_secret_key=s3_endpoint.secret_key,
    )
    rt = Runtime(settings, classifier=classifier)
    people = People.from_settings(rt.index, rt.settings)
    people.create("lan", "admin", PASSWORD, full_name="Cán bộ Lan", office="UBND phường Hàng Trống")
    yield rt
    rt.close()


def logged_in(app) -> TestClient:
    client = TestClient(app)
    token = re.search(r'name="csrf" value="([^"]+)"', client.get("/console/login").text).group(1)
    answer = client.post("/console/login", data={"username": "lan", "password": PASSWORD, "csrf": token},
                         follow_redirects=False)
    assert answer.status_code == 303, answer.text
    return client


def csrf_of(html: str) -> str:
    return re.search(r'name="csrf" value="([^"]+)"', html).group(1)


def test_every_console_page_works_on_postgresql_and_s3(production, tmp_path):
    """GIVEN sohoa on a PostgreSQL index and an S3 bucket, with a scanned paper stored and an admin
    WHEN the admin opens a dossier at the counter and uploads a residence confirmation into it,
    then opens the dossier, the review queue and a review page with its page image, the document
    with its downloads, a search, the figures and the admin page
    THEN the upload is stored into S3 and fills its checklist line, every page answers 200, the
    page image is a JPEG made from the PDF in S3, and the downloads are the stored bytes"""
    [scan] = write_paragraph_scans(tmp_path / "scans", 1)
    [line] = list(production.ingestor().ingest([InputFile(scan, "HS-PG-01", None, None)]))
    assert line.status == "stored", line
    services = build_services(production)
    app = create_app(services)
    client = logged_in(app)

    intake = client.get(f"/console/intake?owner={OWNER}&procedure=1.004873")
    assert intake.status_code == 200
    opened = client.post("/console/intake", follow_redirects=False,
                         data={"owner": OWNER, "procedure": "1.004873", "csrf": csrf_of(intake.text)})
    assert opened.status_code == 303, opened.text
    dossier_url = opened.headers["location"]
    code = dossier_url.rstrip("/").rsplit("/", 1)[-1]
    page = client.get(dossier_url)
    upload = client.post(f"/console/dossiers/{code}/files", headers={"accept": "application/json"},
                         data={"csrf": csrf_of(page.text)},
                         files=[("files", ("xac-nhan-cu-tru.pdf", _residence_pdf(), "application/pdf"))])
    assert upload.status_code == 200, upload.text
    [job] = upload.json()["jobs"]
    deadline = time.monotonic() + 120
    while (state := services.uploads.job(job["id"]).status) not in ("stored", "duplicate", "failed"):
        assert time.monotonic() < deadline, f"the upload is still {state}"
        time.sleep(0.2)
    assert state == "stored"

    dossier = client.get(dossier_url)
    assert dossier.status_code == 200 and "xac-nhan-cu-tru.pdf" in dossier.text
    [stored] = [row for row in production.index.list(dossier_code=code)]
    assert stored.doc_type == "xac_nhan_cu_tru"
    assert production.store.exists(stored.searchable_key) and production.store.exists(stored.original_key)

    for path in ("/console/review", f"/console/review/{line.document_id}", f"/console/documents/{stored.id}",
                 "/console/search?q=cu+tru", "/console/stats", "/console/admin"):
        answer = client.get(path)
        assert answer.status_code == 200, (path, answer.text[:300])
    found = client.get("/console/search?q=ngo+thi+nham").text  # unaccented, as clerks type
    assert f"/console/documents/{stored.id}" in found and line.document_id not in found

    image = client.get(f"/console/documents/{line.document_id}/pages/1")
    assert image.status_code == 200 and image.headers["content-type"] == "image/jpeg"
    assert image.content[:3] == b"\xff\xd8\xff"
    for variant, key in (("original", stored.original_key), ("searchable", stored.searchable_key)):
        download = client.get(f"/console/documents/{stored.id}/download/{variant}")
        assert download.status_code in (200, 307), variant
        body = download.content if download.status_code == 200 else None
        assert body is None or body == production.store.get(key)
