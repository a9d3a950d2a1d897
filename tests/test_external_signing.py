"""The external-signature API (issue 16): the server prepares a stored document, a key it never
sees signs data_to_sign, the server completes. The "token" here is a real RSA key of the test PKI
signing with `cryptography`; the server is the real app in-process (FastAPI's TestClient)."""

from __future__ import annotations

import base64
import hashlib
import io
import subprocess
from datetime import timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from cryptography.hazmat.primitives.asymmetric.padding import PKCS1v15
from cryptography.hazmat.primitives.hashes import SHA256
from cryptography.hazmat.primitives.serialization import load_pem_private_key
from fastapi.testclient import TestClient

from index_rows import make_row
from pdfa import page_pdf
from pipeline.clock import utcnow
from pipeline.core.access import AccessStore
from pipeline.core.results import mark_result
from pipeline.core.runtime import Runtime
from pipeline.service.api import build_services, create_app
from pipeline.settings import Settings
from pipeline.stores.index.signing import SigningRecords
from pipeline.stores.objects import original_key, sha256_hex
from pki import TestPki
from schemas.catalog import default_catalog


class Office:
    """A SOHOA_HOME with stored documents and the API over it, as `sohoa serve` builds it."""

    def __init__(self, home: Path, pki: TestPki, pdf: bytes):
        self.home, self.pki, self.pdf = home, pki, pdf
        self.settings = Settings(home=home, trust_roots=pki.root_pem, tsa_url=pki.tsa_url)
        self.open()
        self.key = AccessStore(self.services.index).create_key("one-stop-shop", ["documents:sign"]).key
        self.next_row = 0

    def open(self) -> None:
        self.services = build_services(Runtime(self.settings, classifier=None))
        self.client = TestClient(create_app(self.services))

    def close(self) -> None:
        self.services.uploads.shutdown()
        self.services.index.close()

    def add_document(self) -> str:
        self.next_row += 1
        row = make_row(self.next_row, searchable_sha256=sha256_hex(self.pdf), procedure_code="1.001193",
                       dossier_code="000.00.24.H29-261202-0001", title="Giấy khai sinh")
        store = self.services.store
        store.put_immutable(original_key(row.sha256), self.pdf)
        store.put(row.searchable_key, self.pdf)
        store.put(row.ocr_key, b"{}")
        self.services.index.add(row)
        return row.id

    def post(self, path: str, body: dict):
        return self.client.post(path, json=body, headers={"Authorization": f"Bearer {self.key}"})

    def prepare(self, document_id: str, label: str = "official", **extra):
        return self.post(f"/v1/documents/{document_id}/signatures/prepare", {
            "kind": "official", "certificate_chain": [self.pki.chain_pem(label).decode()],
            "position": "Chủ tịch", "agency": "UBND phường Bến Nghé", **extra})


def token_signs(pki: TestPki, label: str, data_to_sign_b64: str) -> str:
    """What the official's token does: an RSA PKCS#1 v1.5 SHA-256 signature over data_to_sign."""
    key = load_pem_private_key(pki.key_pem(label).read_bytes(), password=None)
    return base64.b64encode(key.sign(base64.b64decode(data_to_sign_b64), PKCS1v15(), SHA256())).decode()


@pytest.fixture(scope="module")
def office(pki, tmp_path_factory):
    made = Office(tmp_path_factory.mktemp("external") / "home", pki, page_pdf())
    yield made
    made.close()


def pdfsig_lines(pdf: bytes, nss: Path, tmp_path: Path) -> str:
    path = tmp_path / "signed.pdf"
    path.write_bytes(pdf)
    return subprocess.run(["pdfsig", "-nssdir", f"sql:{nss}", str(path)], capture_output=True, text=True).stdout


def test_a_token_signature_completes_into_a_valid_trusted_new_version(office, pki, tmp_path):
    """GIVEN a stored birth certificate marked as a result (it waits for the official)
    WHEN a client prepares it with the official's certificate chain, the token signs data_to_sign
    and the client completes with the signature value
    THEN prepare answers 201 with sha256, rsassa_pkcs1v15, the digest of data_to_sign and an
    expiry; complete answers 201 with version 2 signed; the stored PDF's signature is TOTAL_PASSED
    (trusted: SOHOA_TRUST_ROOTS is the test root) and poppler's pdfsig says it is valid, covers
    the whole document and, with an NSS db trusting the test root, is trusted; the result now waits
    for the agency's seal; a second completion is refused (signing_completed)"""
    document_id = office.add_document()
    mark_result(office.services.index, default_catalog(), document_id, by="test")
    prepared = office.prepare(document_id)
    assert prepared.status_code == 201, prepared.text
    answer = prepared.json()
    assert (answer["digest_algorithm"], answer["signature_mechanism"]) == ("sha256", "rsassa_pkcs1v15")
    assert base64.b64decode(answer["digest"]) == hashlib.sha256(base64.b64decode(answer["data_to_sign"])).digest()
    signature = token_signs(pki, "official", answer["data_to_sign"])

    done = office.post(f"/v1/signing/{answer['signing_id']}/complete", {"signature": signature})
    assert done.status_code == 201, done.text
    assert (done.json()["version"], done.json()["signature_status"]) == (2, "signed")
    row = office.services.index.get(document_id)
    signed = office.services.store.get(row.searchable_key)
    assert signed.startswith(office.pdf[:1000])
    [recorded] = office.services.index.signatures(document_id)
    assert (recorded.field_name, recorded.indication) == ("official-1", "TOTAL_PASSED")
    verdict = pdfsig_lines(signed, pki.nss_db(tmp_path / "nss"), tmp_path)
    assert "Signature is Valid." in verdict and "Total document signed" in verdict, verdict
    assert "Certificate Validation: Certificate is Trusted." in verdict, verdict
    assert SigningRecords(office.services.index).result(document_id).next_kind == "agency"

    again = office.post(f"/v1/signing/{answer['signing_id']}/complete", {"signature": signature})
    assert (again.status_code, again.json()["code"]) == (422, "signing_completed")
    assert office.services.index.get(document_id).version == 2


def test_a_tampered_signature_value_is_refused_and_nothing_stored(office, pki):
    """GIVEN a prepared signature
    WHEN it is completed with the token's signature with one bit flipped, or with the signature
    of another person's key
    THEN each answer is 422 signature_invalid and the document keeps version 1, unsigned; the
    right signature still completes it afterwards"""
    document_id = office.add_document()
    answer = office.prepare(document_id).json()
    good = base64.b64decode(token_signs(pki, "official", answer["data_to_sign"]))
    flipped = base64.b64encode(good[:10] + bytes([good[10] ^ 1]) + good[11:]).decode()
    stranger = token_signs(pki, "digitiser", answer["data_to_sign"])
    for wrong in (flipped, stranger):
        refused = office.post(f"/v1/signing/{answer['signing_id']}/complete", {"signature": wrong})
        assert (refused.status_code, refused.json()["code"]) == (422, "signature_invalid"), refused.text
        assert office.services.index.get(document_id).version == 1
        assert office.services.index.signature_status(document_id) == "unsigned"
    done = office.post(f"/v1/signing/{answer['signing_id']}/complete", {"signature": base64.b64encode(good).decode()})
    assert done.status_code == 201, done.text


def test_an_expired_prepare_and_unusable_certificates_are_refused(office, pki, monkeypatch):
    """GIVEN a prepared signature
    WHEN it is completed after its expiry (the clock moved past SOHOA_SIGNING_SESSION_MINUTES)
    THEN 422 signing_expired, nothing stored; AND preparing with an expired certificate or one
    whose key usage is key encipherment only is 422 certificate_expired / certificate_key_usage"""
    import pipeline.core.external_signing as external

    document_id = office.add_document()
    answer = office.prepare(document_id).json()
    signature = token_signs(pki, "official", answer["data_to_sign"])
    later = utcnow() + timedelta(minutes=office.settings.signing_session_minutes, seconds=1)
    monkeypatch.setattr(external, "utcnow", lambda: later)
    refused = office.post(f"/v1/signing/{answer['signing_id']}/complete", {"signature": signature})
    assert (refused.status_code, refused.json()["code"]) == (422, "signing_expired"), refused.text
    assert office.services.index.get(document_id).version == 1
    monkeypatch.undo()

    for label, code in (("expired", "certificate_expired"), ("wrong-usage", "certificate_key_usage")):
        answer = office.prepare(document_id, label)
        assert (answer.status_code, answer.json()["code"]) == (422, code), answer.text


def test_a_prepare_survives_a_server_restart_and_the_cli_completes_the_same_flow(office, pki, tmp_path):
    """GIVEN a signature prepared over the API
    WHEN the server's app is built again from the same home (a restart) and the prepare completed
    there; AND the same flow is run with `sohoa sign-external prepare|complete`
    THEN both complete into version 2"""
    first = office.add_document()
    answer = office.prepare(first).json()
    office.close()
    office.open()
    done = office.post(f"/v1/signing/{answer['signing_id']}/complete",
                       {"signature": token_signs(pki, "official", answer["data_to_sign"])})
    assert (done.status_code, done.json()["version"]) == (201, 2), done.text

    from pipeline.cli import cli

    second = office.add_document()
    chain = tmp_path / "chain.pem"
    chain.write_bytes(pki.chain_pem("official"))
    runner = CliRunner()
    env = {"SOHOA_HOME": str(office.home), "SOHOA_TRUST_ROOTS": str(pki.root_pem)}
    prepared = runner.invoke(cli, ["sign-external", "prepare", second, "--as", "official", "--chain", str(chain),
                                   "--agency", "UBND phường Bến Nghé", "--data-out", str(tmp_path / "tbs.der")],
                             env=env, catch_exceptions=False)
    assert prepared.exit_code == 0, prepared.output
    signing_id = prepared.output[prepared.output.index('"signing_id": "') + 15:].split('"')[0]
    key = load_pem_private_key(pki.key_pem("official").read_bytes(), password=None)
    (tmp_path / "sig.bin").write_bytes(key.sign((tmp_path / "tbs.der").read_bytes(), PKCS1v15(), SHA256()))
    completed = runner.invoke(cli, ["sign-external", "complete", signing_id, "--signature-file",
                                    str(tmp_path / "sig.bin")], env=env, catch_exceptions=False)
    assert completed.exit_code == 0, completed.output
    assert office.services.index.get(second).version == 2


@pytest.mark.parametrize("level", ["B-T", "B-LTA"])
def test_timestamped_and_long_term_levels_are_reached_with_a_token(office, pki, level):
    """GIVEN the test TSA, OCSP responder and CRLs on loopback, and SOHOA_TRUST_ROOTS the test root
    WHEN a document is prepared at B-T, or B-LTA, signed by the token and completed
    THEN the stored signature is TOTAL_PASSED at that level; at B-LTA the DSS holds the revocation
    data of the whole chain (the signer's OCSP response and the CRL vouching for the issuing CA)
    and it still validates at B-LTA offline with the PKI stopped"""
    from pyhanko.pdf_utils.reader import PdfFileReader

    from pipeline.stages.sign import ValidationSettings, validate_pdf

    document_id = office.add_document()
    answer = office.prepare(document_id, level=level).json()
    done = office.post(f"/v1/signing/{answer['signing_id']}/complete",
                       {"signature": token_signs(pki, "official", answer["data_to_sign"])})
    assert done.status_code == 201, done.text
    signatures = [s for s in office.services.index.signatures(document_id) if s.field_name == "official-1"]
    assert [(s.indication, s.level) for s in signatures] == [("TOTAL_PASSED", level)]
    if level == "B-LTA":
        signed = office.services.store.get(office.services.index.get(document_id).searchable_key)
        dss = PdfFileReader(io.BytesIO(signed)).root["/DSS"]
        assert len(dss["/OCSPs"]) >= 1 and len(dss["/CRLs"]) >= 1
        with pki.stopped():
            offline = validate_pdf(signed, ValidationSettings.from_file(pki.root_pem)).signatures[0]
        assert (offline.indication, offline.pades_level) == ("TOTAL_PASSED", "B-LTA"), offline.messages
