"""The sign queue in a real browser (issue 16): Playwright driving Debian's chromium against a
real `sohoa serve` on loopback. One journey: an official signs a batch of 20 results with one PIN
(one of them made to fail) and then two more with "my USB token" through a small fake signing
service on loopback that holds a real key (the fake is the token, not the thing under test).
Beside it, without the browser, the same server completes a signature made by the reference
bridge (scripts/token_bridge.py) with a SoftHSM2 token. Screenshots go to
build/test-artifacts/sign-queue/."""

from __future__ import annotations

import base64
import json
import shutil
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric.padding import PKCS1v15
from cryptography.hazmat.primitives.hashes import SHA256
from cryptography.hazmat.primitives.serialization import load_pem_private_key

import softhsm
from conftest import REPO
from index_rows import make_row
from pdfa import page_pdf
from pipeline.core.access import AccessStore
from pipeline.core.people import People
from pipeline.core.results import mark_result
from pipeline.core.runtime import Runtime
from pipeline.core.sign_queue import save_profile
from pipeline.core.signed_versions import sign_stored_document
from pipeline.settings import Settings
from pipeline.stages.sign import SignSpec, open_signer
from pipeline.stores.index.signing import SigningRecords
from pipeline.stores.objects import original_key, sha256_hex
from pki import PASSPHRASE, TestPki
from schemas.catalog import default_catalog
from sohoa_serve import Server

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = REPO / "build" / "test-artifacts" / "sign-queue"
PASSWORD = "mat-khau-du-dai-1"
OFFICE = "UBND phường Bến Nghé"
BATCH = 20
WRONG_PIN = "000000"  # the fake token refuses it, as a token refuses a wrong PIN

pytestmark = pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's chromium is not installed (apt-get install chromium)")


class FakeTokenService(ThreadingHTTPServer):
    """The bridge protocol (README, "The token bridge") answered with a real RSA key in memory."""

    def __init__(self, pki: TestPki, label: str):
        self.key = load_pem_private_key(pki.key_pem(label).read_bytes(), password=None)
        self.chain = [pki.chain_pem(label).decode()]
        self.pins: list[str] = []
        super().__init__(("127.0.0.1", 0), _FakeHandler)
        self.url = f"http://127.0.0.1:{self.server_port}"
        threading.Thread(target=self.serve_forever, daemon=True, name="fake-token").start()


class _FakeHandler(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def _answer(self, status: int, body: dict | None = None) -> None:
        data = json.dumps(body or {}).encode()
        self.send_response(status)
        self.send_header("Access-Control-Allow-Origin", "*")
        self.send_header("Access-Control-Allow-Headers", "Content-Type")
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_OPTIONS(self):  # noqa: N802
        self._answer(204)

    def do_GET(self):  # noqa: N802
        self._answer(200, {"certificate_chain": self.server.chain})

    def do_POST(self):  # noqa: N802
        request = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        self.server.pins.append(request.get("pin"))
        if request.get("pin") == WRONG_PIN:
            return self._answer(422, {"error": "token_refused", "message": "PinIncorrect"})
        signature = self.server.key.sign(base64.b64decode(request["data_to_sign"]), PKCS1v15(), SHA256())
        self._answer(200, {"signature": base64.b64encode(signature).decode()})


def add_result(rt: Runtime, n: int) -> str:
    pdf = page_pdf(seed=n)
    row = make_row(500 + n, searchable_sha256=sha256_hex(pdf), procedure_code="1.001193",
                   dossier_code=f"000.00.24.H29-261202-{n:04d}", title=f"Giấy khai sinh số {n}")
    rt.store.put_immutable(original_key(row.sha256), pdf)
    rt.store.put(row.searchable_key, pdf)
    rt.store.put(row.ocr_key, b"{}")
    rt.index.add(row)
    mark_result(rt.index, default_catalog(), row.id, by="test", office=OFFICE)
    return row.id


@pytest.fixture(scope="module")
def office(pki, tmp_path_factory):
    """20 results waiting for the official (the last locked by a certifying signature made
    elsewhere, so it fails), two more for the token, the official's profile with a server-held
    PKCS#12 key, a fake token service, and `sohoa serve` on it all."""
    root = tmp_path_factory.mktemp("sign-queue-browser")
    home = root / "home"
    rt = Runtime(Settings(home=home), classifier=None)
    batch = [add_result(rt, n) for n in range(BATCH)]
    with open_signer(str(pki.pkcs12("agency")), PASSPHRASE) as signer:
        sign_stored_document(rt.index, rt.store, batch[-1], SignSpec(kind="agency", agency=OFFICE, certify=True), signer)
    token_docs = [add_result(rt, n) for n in range(BATCH, BATCH + 2)]
    bridge_doc = add_result(rt, BATCH + 2)
    People.from_settings(rt.index, rt.settings).create("hoa", "official", PASSWORD, full_name="Trần Thị Hoa",
                                                       office=OFFICE)
    save_profile(rt.index, "hoa", position="Phó Chủ tịch", key_ref=str(pki.pkcs12("official")))
    api_key = AccessStore(rt.index).create_key("mot-cua", ["documents:sign"]).key
    rt.index.close()
    fake = FakeTokenService(pki, "official")
    server = Server(home, SOHOA_TRUST_ROOTS=str(pki.root_pem), SOHOA_TOKEN_BRIDGE_URL=fake.url).start()
    shutil.rmtree(ARTIFACTS, ignore_errors=True)
    ARTIFACTS.mkdir(parents=True)
    yield {"server": server, "home": home, "batch": batch, "token": token_docs, "bridge_doc": bridge_doc,
           "key": api_key, "fake": fake}
    server.stop()
    fake.shutdown()


def test_an_official_signs_twenty_results_with_one_pin_then_two_with_the_token(office, pki):
    """GIVEN 20 results waiting for the official, one of them locked so it cannot be signed
    WHEN the official opens the sign queue in Chromium, selects all, types the PIN once and
    signs with the server-held key; then selects two more and signs them with "my USB token";
    then one more with a PIN the token refuses
    THEN the progress page ends at 20/20 with 19 signed and the locked one failed with its reason
    in Vietnamese;
    the official's queue then lists only the locked one and the two for the token, the 19 wait
    for the agency's seal in the other tab; the token's two are
    signed through prepare → token → complete (the PIN typed once reaches the token for each and
    the field is emptied), and a third the token refuses (a wrong PIN) is shown failed with the
    reason in Vietnamese; every page has no console error and no broken image"""
    from playwright.sync_api import sync_playwright

    server = office["server"]
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox"])
        context = browser.new_context(base_url=server.url, viewport={"width": 1280, "height": 900}, locale="vi-VN")
        page = context.new_page()
        errors: list[str] = []
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(str(e)))

        def shot(name: str) -> None:
            page.wait_for_load_state("networkidle")
            broken = page.evaluate(
                "Array.from(document.querySelectorAll('img, image')).filter(i => i.tagName === 'IMG'"
                " && (!i.complete || i.naturalWidth === 0)).map(i => i.src)")
            assert broken == [], broken
            page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
            assert errors == [], errors

        page.goto("/console/login")
        page.fill("input[name=username]", "hoa")
        page.fill("input[name=password]", PASSWORD)
        page.click("button[type=submit]:has-text('Đăng nhập')")
        page.wait_for_load_state()
        page.click("header nav a:has-text('Ký số')")
        page.wait_for_url("**/console/sign")
        assert page.locator("input[name=document]").count() == BATCH + 3
        previews = page.locator("svg.stamp-preview image")
        assert previews.count() == BATCH + 3
        thumbnail = page.request.get(previews.first.get_attribute("href"))
        assert thumbnail.status == 200 and thumbnail.headers["content-type"] == "image/jpeg"
        shot("sign-queue")

        page.check("#select-all")
        for document_id in office["token"] + [office["bridge_doc"]]:
            page.uncheck(f"input[name=document][value='{document_id}']")
        page.fill("#sign-pin", PASSPHRASE)
        page.click("#sign-server")
        page.wait_for_url("**/console/sign/batches/**")
        page.wait_for_selector("#batch-progress[data-finished=true]", timeout=120_000)
        assert "20/20: 19 đã ký, 1 lỗi" in page.inner_text("#batch-count")
        failed = page.locator(".batch-lines li.error")
        assert failed.count() == 1 and "lỗi: văn bản đã bị khóa bởi một chữ ký trước đó" in failed.inner_text()
        assert office["batch"][-1] in failed.get_attribute("data-document")
        shot("sign-batch-done")

        page.goto("/console/sign")
        listed = {box.get_attribute("value") for box in page.locator("input[name=document]").all()}
        assert listed == {office["batch"][-1], *office["token"], office["bridge_doc"]}
        page.click("nav.tabs a:has-text('Chờ đóng dấu cơ quan')")
        page.wait_for_url("**/console/sign?kind=agency")
        assert page.locator("input[name=document]").count() == BATCH - 1
        page.goto("/console/sign")
        for document_id in office["token"]:
            page.check(f"input[name=document][value='{document_id}']")
        page.fill("#sign-pin", "123456")
        page.click("#sign-token")
        page.wait_for_selector("#token-progress[data-done=true]", timeout=60_000)
        assert page.locator("#token-progress li[data-status=signed]").count() == 2, page.inner_text("#token-progress")
        assert "đã ký, phiên bản 2" in page.inner_text("#token-progress")
        assert page.input_value("#sign-pin") == ""
        shot("sign-token-done")
        page.goto("/console/sign")
        page.check(f"input[name=document][value='{office['bridge_doc']}']")
        page.fill("#sign-pin", WRONG_PIN)
        page.click("#sign-token")
        page.wait_for_selector("#token-progress[data-done=true]", timeout=60_000)
        refused = page.locator("#token-progress li[data-status=failed]")
        assert refused.count() == 1 and "lỗi: token từ chối ký: sai mã PIN" in refused.inner_text(), refused.inner_text()
        assert "PinIncorrect" not in refused.inner_text()
        assert errors == ["Failed to load resource: the server responded with a status of 422 (Unprocessable Entity)"]
        errors.clear()  # the browser logs the bridge's refusal itself
        shot("sign-token-refused")
        browser.close()
    assert office["fake"].pins == ["123456", "123456", WRONG_PIN]
    rt = Runtime(Settings(home=office["home"]), classifier=None)
    records = SigningRecords(rt.index)
    assert [records.result(i).next_kind for i in office["batch"]] == ["agency"] * (BATCH - 1) + ["official"]
    assert [rt.index.signature_status(i) for i in office["token"]] == ["signed", "signed"]
    rt.index.close()


@pytest.fixture(scope="module")
def softhsm_bridge(pki, tmp_path_factory, office):
    """The reference bridge (scripts/token_bridge.py) in its own process over a SoftHSM2 token
    holding the official's key; its SOFTHSM2_CONF is its own (this process's PKCS#11 library is
    left alone)."""
    reason = softhsm.available()
    if reason:
        pytest.skip(reason)
    directory = tmp_path_factory.mktemp("softhsm-bridge")
    (directory / "tokens").mkdir()
    conf = directory / "softhsm2.conf"
    conf.write_text(f"directories.tokendir = {directory / 'tokens'}\nobjectstore.backend = file\nlog.level = ERROR\n")
    env = {"PATH": "/usr/bin:/bin", "SOFTHSM2_CONF": str(conf)}
    run = lambda *args: subprocess.run(args, env=env, check=True, capture_output=True)  # noqa: E731
    run("softhsm2-util", "--init-token", "--free", "--label", "bridge", "--pin", softhsm.USER_PIN,
        "--so-pin", softhsm.SO_PIN)
    run("softhsm2-util", "--import", str(pki.key_pem("official")), "--token", "bridge", "--label", "official",
        "--id", "01", "--pin", softhsm.USER_PIN)
    chain = directory / "chain.pem"
    chain.write_bytes(pki.chain_pem("official"))
    bridge = subprocess.Popen(
        [sys.executable, str(REPO / "scripts" / "token_bridge.py"), "--module", softhsm.MODULE, "--token", "bridge",
         "--key-label", "official", "--certificate", str(chain), "--allow-origin", office["server"].url, "--port", "0"],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    url = bridge.stdout.readline().split(" on ")[1].split(" ")[0]
    yield url
    bridge.terminate()
    bridge.wait(timeout=10)


def test_the_reference_bridge_signs_with_a_softhsm_token_and_the_server_completes(office, softhsm_bridge, pki, tmp_path):
    """GIVEN the reference bridge over a SoftHSM2 token with the official's key, and a result
    WHEN a client prepares it on the real server with the chain the bridge hands out, the bridge
    signs data_to_sign with the PIN, and the client completes
    THEN the new version validates as signed and pdfsig says the signature is valid and, with an
    NSS db trusting the test root, the certificate trusted; a request
    from a page the bridge does not serve is refused (403); a wrong PIN is refused (422)"""
    server, headers = office["server"], {"Authorization": f"Bearer {office['key']}"}
    chain = httpx.get(f"{softhsm_bridge}/certificate", headers={"Origin": server.url}).json()["certificate_chain"]
    prepared = httpx.post(f"{server.url}/v1/documents/{office['bridge_doc']}/signatures/prepare", headers=headers,
                          json={"kind": "official", "certificate_chain": chain, "agency": OFFICE}, timeout=30).json()
    ask = {"data_to_sign": prepared["data_to_sign"], "digest": prepared["digest"], "digest_algorithm": "sha256",
           "signature_mechanism": prepared["signature_mechanism"]}
    elsewhere = httpx.post(f"{softhsm_bridge}/sign", json={**ask, "pin": softhsm.USER_PIN},
                           headers={"Origin": "https://evil.example"})
    assert elsewhere.status_code == 403
    wrong = httpx.post(f"{softhsm_bridge}/sign", json={**ask, "pin": "000000"}, headers={"Origin": server.url})
    assert (wrong.status_code, wrong.json()["error"]) == (422, "token_refused")
    signed = httpx.post(f"{softhsm_bridge}/sign", json={**ask, "pin": softhsm.USER_PIN}, headers={"Origin": server.url})
    assert signed.status_code == 200 and signed.headers["access-control-allow-origin"] == server.url
    done = httpx.post(f"{server.url}/v1/signing/{prepared['signing_id']}/complete", headers=headers,
                      json={"signature": signed.json()["signature"]}, timeout=30)
    assert done.status_code == 201, done.text
    assert (done.json()["version"], done.json()["signature_status"]) == (2, "signed")
    rt = Runtime(Settings(home=office["home"]), classifier=None)
    (tmp_path / "signed.pdf").write_bytes(rt.store.get(rt.index.get(office["bridge_doc"]).searchable_key))
    rt.index.close()
    nss = pki.nss_db(tmp_path / "nss")  # trusting the test root, as an office's NSS db trusts its CA
    verdict = subprocess.run(["pdfsig", "-nssdir", f"sql:{nss}", str(tmp_path / "signed.pdf")],
                             capture_output=True, text=True).stdout
    assert "Signature is Valid." in verdict and "Total document signed" in verdict, verdict
    assert "Certificate Validation: Certificate is Trusted." in verdict, verdict
