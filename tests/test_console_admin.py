"""The admin page's signing status (issues 15 and 16) without a browser (Starlette's TestClient,
SQLite): each configured trust root with its subject and expiry, the last re-validation of the
stored signatures under the trust roots, and whether the timestamp authority answers — asked
apart from the page, so that the page never waits for it. The page in Chromium is in
test_console_browser.py."""

from __future__ import annotations

import re
import socket
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from fastapi.testclient import TestClient
from starlette.routing import Mount

from pipeline.core.people import People
from pipeline.core.runtime import Runtime
from pipeline.core.signing import validation_settings
from pipeline.core.signing_status import TsaProbe
from pipeline.core.trust import revalidate_for_trust_roots
from pipeline.service.api import build_services, create_app
from pipeline.settings import Settings
from pki import TestPki

PASSWORD = "mat-khau-du-dai-1"


def root_expiring_in(days: int, name: str) -> bytes:
    """A self-signed CA certificate (PEM) whose validity ends `days` from now."""
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COUNTRY_NAME, "VN"), x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = datetime.now(UTC)
    cert = (x509.CertificateBuilder().subject_name(subject).issuer_name(subject).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - timedelta(days=700))
            .not_valid_after(now + timedelta(days=days))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    return cert.public_bytes(serialization.Encoding.PEM)


class SilentServer:
    """A TCP port that takes connections and never answers (a TSA that hangs); counts them."""

    def __init__(self):
        self.socket = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.socket.getsockname()[1]}/tsa"
        self.connections: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True, name="silent-tsa").start()

    def _accept(self) -> None:
        while True:
            try:
                self.connections.append(self.socket.accept()[0])
            except OSError:
                return

    def close(self) -> None:
        self.socket.close()
        for connection in self.connections:
            connection.close()


def console(home: Path, **settings) -> tuple[Runtime, TestClient]:
    rt = Runtime(Settings(home=home, **settings), classifier=None)
    if People(rt.index).get("quan") is None:
        People(rt.index).create("quan", "admin", PASSWORD, full_name="Trần Quản", office="UBND phường 1")
    app = create_app(build_services(rt))
    [mounted] = [route for route in app.routes if isinstance(route, Mount) and route.path == "/console"]
    mounted.app.state.services.tsa_probe = TsaProbe(ttl=60, timeout=0.5)  # a hanging TSA: half a second
    client = TestClient(app)
    token = re.search(r'name="csrf" value="([^"]+)"', client.get("/console/login").text).group(1)
    answer = client.post("/console/login", data={"username": "quan", "password": PASSWORD, "csrf": token},
                         follow_redirects=False)
    assert answer.status_code == 303, answer.text
    return rt, client


def rows_of(html: str) -> list[tuple[str, str, str]]:
    """(state, subject, state shown) of each row of the trust roots table."""
    return [(state, subject, shown.strip()) for state, subject, shown in re.findall(
        r'<tr data-state="(\w+)"><td>(.*?)</td><td>.*?</td>\s*<td class="\w+">(.*?)</td>', html, re.S)]


@pytest.fixture(scope="module")
def roots_file(pki: TestPki, tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("admin-roots") / "trust-roots.pem"
    path.write_bytes(pki.pem("root") + root_expiring_in(30, "Cơ quan chứng thực sắp hết hạn")
                     + pki.pem("expired"))
    return path


def test_the_admin_page_lists_each_trust_root_with_its_expiry_and_the_last_revalidation(pki, roots_file, tmp_path):
    """GIVEN SOHOA_TRUST_ROOTS with the test root (valid for years), a root expiring in 30 days and
    an expired certificate, and a reachable timestamp authority
    WHEN an admin opens /console/admin before and after the stored signatures are validated again
    under those roots, then in English
    THEN each root is listed with its subject, marked valid, expiring soon (30 days left) or
    expired; the re-validation reads "never" and not under the configured roots before, and
    then its time, counts and "under the trust roots configured now"; the TSA's answer is
    fetched apart (the page says it is checking) and reads that it answers timestamps"""
    rt, client = console(tmp_path / "home", trust_roots=roots_file, tsa_url=pki.tsa_url)
    page = client.get("/console/admin").text
    assert rows_of(page) == [
        ("valid", "CN=Sohoa Test Root CA,O=Sohoa Test CA,C=VN", "còn hiệu lực"),
        ("near_expiry", "CN=Cơ quan chứng thực sắp hết hạn,C=VN", "sắp hết hạn: còn 30 ngày"),
        ("expired", "CN=Lê Hết Hạn,O=Sohoa Test CA,C=VN", "đã hết hạn"),
    ], page
    assert "3 chứng thư gốc trong" in page
    revalidation = re.search(r'<dd id="revalidation" data-current="(\w+)">(.*?)</dd>', page, re.S)
    assert revalidation.group(1) == "false" and "chưa lần nào" in revalidation.group(2)
    assert "chưa theo các chứng thư gốc đang cấu hình" in revalidation.group(2)
    assert 'data-state="checking"' in page and f"đang kiểm tra {pki.tsa_url}" in page

    revalidate_for_trust_roots(rt.index, rt.store, validation_settings(rt.settings))
    page = client.get("/console/admin").text
    revalidation = re.search(r'<dd id="revalidation" data-current="(\w+)">(.*?)</dd>', page, re.S)
    assert revalidation.group(1) == "true", page
    assert re.search(r"lúc \d\d/\d\d/\d{4} \d\d:\d\d, theo 3 chứng thư gốc: 0 phiên bản đã ký, 0 đổi trạng thái",
                     revalidation.group(2)), revalidation.group(2)
    assert "theo đúng các chứng thư gốc đang cấu hình" in revalidation.group(2)

    tsa = client.get("/console/admin/tsa").text
    assert 'data-state="ok"' in tsa and f"{pki.tsa_url} trả lời dấu thời gian" in tsa, tsa
    assert 'data-state="ok"' in client.get("/console/admin").text  # kept: shown with the page at once

    client.cookies.set("sohoa_lang", "en", path="/console")
    english = client.get("/console/admin").text
    assert [shown for _, _, shown in rows_of(english)] == ["valid", "expires soon: 30 days left", "expired"]
    assert "under the trust roots configured now" in english and "answers timestamps" in english
    rt.index.close()


def test_a_tsa_that_does_not_answer_never_holds_up_the_admin_page(roots_file, tmp_path):
    """GIVEN a timestamp authority that takes the connection and never answers
    WHEN an admin opens /console/admin, then the TSA's status, then asks again
    THEN the page is answered without asking the TSA at all (it says it is checking), the status
    says the TSA did not answer (B-T and above will fail), and "check again" asks it anew"""
    silent = SilentServer()
    try:
        rt, client = console(tmp_path / "home", trust_roots=roots_file, tsa_url=silent.url)
        page = client.get("/console/admin").text
        assert 'data-state="checking"' in page and silent.connections == []
        status = client.get("/console/admin/tsa").text
        assert 'data-state="down"' in status and "không trả lời" in status and "B-T" in status, status
        assert len(silent.connections) == 1
        assert 'data-state="down"' in client.get("/console/admin").text and len(silent.connections) == 1
        client.get("/console/admin/tsa", params={"again": "true"})
        assert len(silent.connections) == 2
        rt.index.close()
    finally:
        silent.close()


def test_the_admin_page_says_when_there_are_no_trust_roots_or_they_cannot_be_read(tmp_path):
    """GIVEN no SOHOA_TRUST_ROOTS and no TSA, then a trust roots file that is not a certificate
    WHEN an admin opens /console/admin
    THEN the page says no roots are configured (signatures stay indeterminate) and the TSA is not
    configured; then that the file cannot be read, without listing any root"""
    rt, client = console(tmp_path / "home")
    page = client.get("/console/admin").text
    assert "Chưa cấu hình chứng thư gốc tin cậy (SOHOA_TRUST_ROOTS)" in page
    assert 'data-state="none"' in page and 'id="trust-roots"' not in page
    rt.index.close()
    broken = tmp_path / "roots.pem"
    broken.write_text("không phải chứng thư\n")
    rt, client = console(tmp_path / "home", trust_roots=broken)
    page = client.get("/console/admin").text
    assert f"Không đọc được tệp chứng thư gốc tin cậy {broken}." in page and 'id="trust-roots"' not in page
    rt.index.close()
