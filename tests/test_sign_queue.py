"""Officials signing where they work (issue 16), in-process: results waiting for the signatures
their procedure names, the official's profile with signature and seal images in the stamp
(checked on a pdftoppm rendering), batches signed from the console with one PIN (Starlette's
TestClient; a server-held PKCS#12 key of the test PKI), a failure that does not stop the rest, and
a dossier's scanned papers certified as e-copies by the digitiser."""

from __future__ import annotations

import io
import re
import subprocess
import time
from pathlib import Path

import numpy as np
import pytest
from fastapi.testclient import TestClient
from PIL import Image, ImageDraw

from index_rows import make_row
from pdfa import page_pdf
from pipeline.core.access import AccessStore
from pipeline.core.people import People
from pipeline.core.runtime import Runtime
from pipeline.core.sign_queue import save_profile
from pipeline.service.api import build_services, create_app
from pipeline.settings import Settings
from pipeline.stages import stamp
from pipeline.stages.sign import SignSpec, open_signer
from pipeline.core.signed_versions import sign_stored_document
from pipeline.stores.index.signing import SigningRecords
from pipeline.stores.objects import original_key, sha256_hex
from pki import PASSPHRASE, TestPki

PASSWORD = "mat-khau-du-dai-1"
OFFICE = "UBND phường Bến Nghé"
A4 = (595.0, 842.0)


def png(image: Image.Image) -> bytes:
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def signature_png() -> bytes:
    """A blue signature on a transparent background."""
    image = Image.new("RGBA", (400, 160), (0, 0, 0, 0))
    ImageDraw.Draw(image).line([(20, 120), (100, 30), (180, 130), (260, 40), (380, 100)], fill=(20, 40, 200, 255),
                               width=10)
    return png(image)


def seal_png() -> bytes:
    """The office's red round seal on a transparent background."""
    image = Image.new("RGBA", (300, 300), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    draw.ellipse((10, 10, 290, 290), outline=(220, 20, 20, 255), width=18)
    draw.ellipse((80, 80, 220, 220), outline=(220, 20, 20, 255), width=10)
    return png(image)


class Office:
    def __init__(self, home: Path, pki: TestPki):
        self.pki = pki
        self.rt = Runtime(Settings(home=home, trust_roots=pki.root_pem), classifier=None)
        people = People.from_settings(self.rt.index, self.rt.settings)
        people.create("hoa", "official", PASSWORD, full_name="Trần Thị Hoa", office=OFFICE)
        people.create("lan", "clerk", PASSWORD, full_name="Nguyễn Thị Lan", office=OFFICE)
        people.create("so", "official", PASSWORD, full_name="Trần Văn Số", office=OFFICE)
        save_profile(self.rt.index, "hoa", position="Phó Chủ tịch", office=OFFICE,
                     key_ref=str(pki.pkcs12("official")), signature_image=signature_png(), seal_image=seal_png())
        save_profile(self.rt.index, "so", position="Công chức", key_ref=str(pki.pkcs12("digitiser")))
        self.services = build_services(self.rt)
        self.app = create_app(self.services)
        self.rows = 0

    def add_document(self, dossier: str = "000.00.24.H29-261202-0007", pages: int = 1,
                     procedure: str = "1.001193") -> str:
        self.rows += 1
        pdf = page_pdf(pages=pages, seed=self.rows)
        row = make_row(100 + self.rows, searchable_sha256=sha256_hex(pdf), procedure_code=procedure,
                       dossier_code=dossier, title=f"Giấy khai sinh {self.rows}", pages=pages)
        self.rt.store.put_immutable(original_key(row.sha256), pdf)
        self.rt.store.put(row.searchable_key, pdf)
        self.rt.store.put(row.ocr_key, b"{}")
        self.rt.index.add(row)
        return row.id

    def logged_in(self, name: str) -> TestClient:
        client = TestClient(self.app)
        token = csrf_of(client.get("/console/login").text)
        answer = client.post("/console/login", data={"username": name, "password": PASSWORD, "csrf": token},
                             follow_redirects=False)
        assert answer.status_code == 303, answer.text
        return client


def csrf_of(html: str) -> str:
    return re.search(r'name="csrf" value="([^"]+)"', html).group(1)


@pytest.fixture(scope="module")
def office(pki, tmp_path_factory):
    made = Office(tmp_path_factory.mktemp("sign-queue") / "home", pki)
    yield made
    made.services.uploads.shutdown()
    made.rt.index.close()


def finished_batch(client: TestClient, location: str) -> str:
    for _ in range(200):
        fragment = client.get(f"{location}/progress").text
        if 'data-finished="true"' in fragment:
            return fragment
        time.sleep(0.05)
    raise AssertionError("the batch did not finish")


def mark(client: TestClient, document_id: str) -> None:
    page = client.get(f"/console/documents/{document_id}").text
    answer = client.post("/console/sign/results", data={"csrf": csrf_of(page), "document_id": document_id},
                         follow_redirects=False)
    assert answer.status_code == 303, answer.text


def test_a_batch_signed_with_one_pin_goes_on_past_a_failure(office, pki):
    """GIVEN three birth certificates marked as results from their document page by the clerk, one
    of them locked by a certifying signature made elsewhere
    WHEN the official opens /console/sign, selects all three and signs them with one PIN
    THEN the queue listed them with a preview of the last page and the stamp's box; the progress
    page ends with two signed (version 2) and one failed with its reason in Vietnamese from the
    console's catalogue (in English under the language switch; never the server's English
    message); the two wait for the agency's seal next and the locked one still waits for the
    official; the PIN is nowhere in the index; a wrong PIN stops the batch before anything is
    signed, saying so in Vietnamese"""
    clerk = office.logged_in("lan")
    ids = [office.add_document() for _ in range(3)]
    for document_id in ids:
        mark(clerk, document_id)
    with open_signer(str(pki.pkcs12("agency")), PASSPHRASE) as signer:
        sign_stored_document(office.rt.index, office.rt.store, ids[2],
                             SignSpec(kind="agency", agency=OFFICE, certify=True), signer)
    client = office.logged_in("hoa")
    queue = client.get("/console/sign")
    assert queue.status_code == 200
    for document_id in ids:
        assert f'data-document="{document_id}"' in queue.text
    assert queue.text.count("<rect ") >= 3 and "size=thumb" in queue.text
    answer = client.post("/console/sign/batch", follow_redirects=False, data={
        "csrf": csrf_of(queue.text), "kind": "official", "pin": PASSPHRASE, "document": ids})
    assert answer.status_code == 303, answer.text
    fragment = finished_batch(client, answer.headers["location"])
    assert "3/3" in fragment and "2 đã ký, 1 lỗi" in fragment, fragment
    assert fragment.count('class="ok"') == 2, fragment
    [failed] = re.findall(r'<li class="error" data-document="([0-9a-f]+)">.*?</a>: (.*?)</li>', fragment, re.S)
    assert failed == (ids[2], "lỗi: văn bản đã bị khóa bởi một chữ ký trước đó (không cho phép thay đổi), "
                              "không ký thêm được"), fragment
    assert "DocMDP" not in fragment and "final" not in fragment
    client.cookies.set("sohoa_lang", "en", path="/console")
    english = client.get(f"{answer.headers['location']}/progress").text
    assert "failed: the document is final: an earlier signature forbids any change" in english, english
    assert "3 of 3 done: 2 signed, 1 failed" in english
    client.cookies.delete("sohoa_lang", path="/console")
    records = SigningRecords(office.rt.index)
    assert [records.result(i).next_kind for i in ids] == ["agency", "agency", "official"]
    assert [office.rt.index.get(i).version for i in ids] == [2, 2, 2]  # the third: v2 is the agency's
    database = (office.rt.settings.resolved_home / "index.sqlite3").read_bytes()
    assert PASSPHRASE.encode() not in database

    another = office.add_document()
    mark(clerk, another)
    wrong = client.post("/console/sign/batch", follow_redirects=False, data={
        "csrf": csrf_of(queue.text), "kind": "official", "pin": "not-the-pin", "document": [another]})
    fragment = finished_batch(client, wrong.headers["location"])
    assert "Dừng ký: không mở được khóa ký: sai mã PIN, hoặc không tìm thấy khóa hay token" in fragment, fragment
    assert office.rt.index.get(another).version == 1


def test_the_stamp_shows_the_signature_image_under_the_seal_and_vietnamese_text(office, tmp_path):
    """GIVEN the official's profile with a blue signature image and the office's red seal
    WHEN a result of two pages is signed from the sign queue and its pages rendered with pdftoppm
    THEN inside the stamp's box (bottom right of the last page) the red seal stands on the left,
    the blue signature to its right with about its left third under the seal (blue and red meet
    in the overlap), the first page has neither, and the stamp's text reads in Vietnamese with
    the profile's position and office"""
    document_id = office.add_document(pages=2)
    client = office.logged_in("hoa")
    mark(client, document_id)
    queue = client.get("/console/sign").text
    answer = client.post("/console/sign/batch", follow_redirects=False, data={
        "csrf": csrf_of(queue), "kind": "official", "pin": PASSPHRASE, "document": [document_id]})
    assert "1 đã ký" in finished_batch(client, answer.headers["location"])
    signed = office.rt.store.get(office.rt.index.get(document_id).searchable_key)
    (tmp_path / "signed.pdf").write_bytes(signed)
    subprocess.run(["pdftoppm", "-r", "72", "-png", str(tmp_path / "signed.pdf"), str(tmp_path / "page")], check=True)
    first, last = (np.asarray(Image.open(tmp_path / f"page-{n}.png").convert("RGB")).astype(int) for n in (1, 2))
    x1, y1, x2, y2 = (round(v) for v in stamp.official_image_box(*A4))
    box = last[last.shape[0] - y2:last.shape[0] - y1, x1:x2]
    red = (box[..., 0] > 150) & (box[..., 1] < 90) & (box[..., 2] < 90)
    blue = (box[..., 2] > 150) & (box[..., 0] < 90)
    colour = np.abs(first[..., 2] - first[..., 0]) + np.abs(first[..., 0] - first[..., 1])
    assert colour.max() < 60  # page 1: paper, black text and the QR code only; no seal, no signature
    red_columns, blue_columns = np.nonzero(red.any(axis=0))[0], np.nonzero(blue.any(axis=0))[0]
    assert red_columns.size and blue_columns.size
    assert red_columns.min() < blue_columns.min() < red_columns.max() < blue_columns.max()
    overlap = (red_columns.max() - blue_columns.min()) / (blue_columns.max() - blue_columns.min())
    assert 0.2 < overlap < 0.5, overlap
    text = subprocess.run(["pdftotext", "-f", "2", "-l", "2", str(tmp_path / "signed.pdf"), "-"],
                          capture_output=True, text=True, check=True).stdout
    assert "Chức vụ: Phó Chủ tịch" in text and f"Cơ quan: {OFFICE}" in text and "Người ký: Trần Thị Hoa" in text


def test_a_dossiers_scanned_papers_are_certified_by_the_digitiser_as_one_batch(office):
    """GIVEN a dossier with two scanned papers (not results) and the digitiser's profile
    WHEN the digitiser asks the sign page for the dossier and signs the papers it offers
    THEN both become version 2 with a digitiser signature (top left of page 1), recorded valid,
    and the dossier has no papers left to certify"""
    dossier = "000.00.24.H29-261202-0099"
    papers = [office.add_document(dossier), office.add_document(dossier)]
    client = office.logged_in("so")
    page = client.get("/console/sign", params={"dossier": dossier}).text
    assert all(f'value="{p}" checked' in page for p in papers), page
    answer = client.post("/console/sign/batch", follow_redirects=False, data={
        "csrf": csrf_of(page), "kind": "digitiser", "pin": PASSPHRASE, "document": papers})
    assert "2 đã ký, 0 lỗi" in finished_batch(client, answer.headers["location"])
    for paper in papers:
        [signature] = office.rt.index.signatures(paper)
        assert (signature.field_name, signature.indication) == ("digitiser-1", "TOTAL_PASSED")
    assert "Hồ sơ không có giấy tờ nào chờ ký số hóa." in client.get("/console/sign", params={"dossier": dossier}).text


def test_results_are_marked_over_the_api_with_their_procedures_signatures(office):
    """GIVEN a stored document of a certified-copy procedure (2.000815) and one of birth registration
    WHEN a client with documents:sign marks both as results over the API
    THEN the copy waits for the agency's signature only, the birth certificate for the official's
    then the agency's, as procedures.yaml says; a clerk cannot open the sign queue"""
    key = AccessStore(office.rt.index).create_key("mot-cua", ["documents:sign"]).key
    client = TestClient(office.app)
    birth = office.add_document()
    copy = office.add_document(procedure="2.000815")
    answers = [client.post(f"/v1/documents/{i}/result", headers={"Authorization": f"Bearer {key}"}).json()
               for i in (birth, copy)]
    assert [(a["needs"], a["waiting_for"]) for a in answers] == [(["official", "agency"], "official"),
                                                                  (["agency"], "agency")]
    assert office.logged_in("lan").get("/console/sign").status_code == 403


def test_ingest_with_result_marks_the_stored_files_as_results(classifier, tmp_path):
    """GIVEN a born-digital result (a text PDF: no OCR) of the marital-status procedure
    WHEN it is ingested with `sohoa ingest --result --procedure 1.004873`
    THEN it is stored and waits for the official's signature, then the agency's"""
    from click.testing import CliRunner

    from conftest import CLASSIFIER_PATH
    from pdf_samples import born_digital_pdf
    from pipeline.cli import cli
    from pipeline.stores.index import Index

    result_pdf = tmp_path / "xac-nhan.pdf"
    result_pdf.write_bytes(born_digital_pdf(["GIẤY XÁC NHẬN TÌNH TRẠNG HÔN NHÂN", "Họ và tên: Lê Thị Mai"]))
    home = tmp_path / "home"
    ran = CliRunner().invoke(cli, ["ingest", "--result", "--procedure", "1.004873", "--dossier", "HS-KQ-01",
                                   str(result_pdf)], env={"SOHOA_HOME": str(home),
                                                          "SOHOA_CLASSIFIER_PATH": str(CLASSIFIER_PATH)})
    assert ran.exit_code == 0, ran.output
    [document_id] = re.findall(r"([0-9a-f]{32}): result, waiting for official", ran.output)
    index = Index(Settings(home=home).index_url)
    marked = SigningRecords(index).result(document_id)
    index.close()
    assert (marked.needs, marked.next_kind, marked.dossier_code) == (("official", "agency"), "official", "HS-KQ-01")


def test_an_official_sets_their_own_position_signature_and_seal_images_in_the_console(office):
    """GIVEN the digitiser's account with a profile holding only a key
    WHEN they upload their signature and the office's seal (PNG) with a position on
    /console/sign/profile, and then try a JPEG as their signature
    THEN the profile keeps the position and both images (the preview is a PNG of the signature
    under the seal) and its key; the JPEG is refused with the reason and changes nothing"""
    client = office.logged_in("so")
    page = client.get("/console/sign/profile").text
    saved = client.post("/console/sign/profile", follow_redirects=False, data={
        "csrf": csrf_of(page), "position": "Chuyên viên số hóa"},
        files={"signature_image": ("chu-ky.png", signature_png(), "image/png"),
               "seal_image": ("con-dau.png", seal_png(), "image/png")})
    assert saved.status_code == 303 and saved.headers["location"].endswith("saved=1"), saved.text
    profile = SigningRecords(office.rt.index).profile("so")
    assert (profile.position, profile.signature_image, profile.seal_image) == (
        "Chuyên viên số hóa", signature_png(), seal_png())
    assert profile.key_ref == str(office.pki.pkcs12("digitiser"))
    preview = client.get("/console/sign/profile/stamp.png")
    assert preview.headers["content-type"] == "image/png"
    assert Image.open(io.BytesIO(preview.content)).mode == "RGBA"

    jpeg = io.BytesIO()
    Image.new("RGB", (40, 20), "white").save(jpeg, "JPEG")
    refused = client.post("/console/sign/profile", data={"csrf": csrf_of(page)},
                          files={"signature_image": ("chu-ky.jpg", jpeg.getvalue(), "image/jpeg")})
    assert "Ảnh phải là PNG đọc được" in refused.text
    assert SigningRecords(office.rt.index).profile("so").signature_image == signature_png()


def test_the_token_routes_refuse_in_the_consoles_words(office, pki):
    """GIVEN a result waiting for the official, and the official's key as a token would hold it
    WHEN the page's script prepares with an expired certificate, completes with a tampered
    signature value, completes properly, and completes the same prepare a second time
    THEN the expired certificate, the tampered value and the second completion are refused (422,
    nothing stored) with their stable code and the reason in Vietnamese from the console's
    catalogue (English under the language switch); the proper completion answers the new
    version in words"""
    import base64

    from cryptography.hazmat.primitives.asymmetric.padding import PKCS1v15
    from cryptography.hazmat.primitives.hashes import SHA256
    from cryptography.hazmat.primitives.serialization import load_pem_private_key

    document_id = office.add_document()
    client = office.logged_in("hoa")
    mark(client, document_id)
    csrf = {"X-CSRF-Token": csrf_of(client.get("/console/sign").text)}

    def prepare(label: str):
        return client.post("/console/sign/external/prepare", headers=csrf, json={
            "document_id": document_id, "kind": "official", "certificate_chain": [pki.chain_pem(label).decode()]})

    expired = prepare("expired")
    assert (expired.status_code, expired.json()["code"]) == (422, "certificate_expired")
    assert expired.json()["message"] == "chứng thư số của người ký đã hết hạn"
    prepared = prepare("official").json()
    key = load_pem_private_key(pki.key_pem("official").read_bytes(), password=None)
    signature = key.sign(base64.b64decode(prepared["data_to_sign"]), PKCS1v15(), SHA256())
    tampered = bytes([signature[0] ^ 1]) + signature[1:]
    complete = lambda value: client.post("/console/sign/external/complete", headers=csrf, json={  # noqa: E731
        "signing_id": prepared["signing_id"], "signature": base64.b64encode(value).decode()})
    refused = complete(tampered)
    assert (refused.status_code, refused.json()["code"]) == (422, "signature_invalid")
    assert refused.json()["message"] == "chữ ký do token tạo không khớp với chứng thư số"
    assert office.rt.index.get(document_id).version == 1
    done = complete(signature)
    assert (done.status_code, done.json()["message"]) == (201, "đã ký, phiên bản 2"), done.text
    client.cookies.set("sohoa_lang", "en", path="/console")
    again = complete(signature)
    assert (again.status_code, again.json()["why"]) == (422, "signing_completed")
    assert again.json()["message"] == "this prepared signature was completed already"
    assert office.rt.index.get(document_id).version == 2


def test_every_reason_a_signature_can_fail_for_is_in_the_catalogue():
    """GIVEN the errors signing can end in (signing, external signing, the sign queue, the store)
    and every reason of a failed signing (each one the code raises among them)
    WHEN each is looked up as the console shows it
    THEN each has its own message in Vietnamese and English (none falls back to "see the log"
    but the failures that say so), and an unknown one reads as not signed, never as its code"""
    import inspect

    from pipeline import errors
    from pipeline.core import external_signing, sign_queue
    from pipeline.service.console.i18n import why_text
    from pipeline.service.console.i18n_sign import WHY_MESSAGES
    from pipeline.stages import sign, sign_external
    from pipeline.stores import objects

    def codes(module) -> set[str]:
        return {c.code for c in vars(module).values()
                if inspect.isclass(c) and issubclass(c, errors.SohoaError) and c.__module__ == module.__name__}

    whys = (codes(sign) | codes(sign_external) | codes(external_signing) | codes(sign_queue) | codes(objects)
            | {"not_found", "storage_unavailable", "error", "document_busy", sign_queue.UNEXPECTED}) - {"signing_failed"}
    whys |= {f"signing_failed.{reason}" for reason in sign.SigningFailed.REASONS}
    assert not whys - set(WHY_MESSAGES), whys - set(WHY_MESSAGES)
    unknown = {why_text("vi", "unknown"), why_text("en", "unknown")}
    for why in whys:
        vi, en = why_text("vi", why), why_text("en", why)
        assert vi != en and (why in ("error", "signing_failed.other", "unexpected") or not {vi, en} & unknown), why
    assert why_text("vi", "no_such_code") == "không ký được (chi tiết trong nhật ký máy chủ)"
    assert sign.SigningFailed("x", reason="document_final").why == "signing_failed.document_final"
    package = Path(sign.__file__).resolve().parent.parent
    raised = {reason for source in package.rglob("*.py") if "SigningFailed(" in (text := source.read_text())
              for reason in re.findall(r'reason="(\w+)"', text)}
    assert raised and not raised - set(sign.SigningFailed.REASONS), raised - set(sign.SigningFailed.REASONS)
