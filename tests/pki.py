"""A test PKI served over HTTP on loopback: root and intermediate CA, OCSP responder, CRLs and an
RFC 3161 timestamp authority (certomancer's Animator WSGI app in a werkzeug thread).

Certificates are issued relative to now, so the PKI never expires under the tests:

    root ── interm ── official   (Nguyễn Thị Lấp Lánh Ánh; digitalSignature + nonRepudiation)
         │        ├── digitiser  (a one-stop-shop worker)
         │        ├── agency     (UBND phường Bến Nghé, the copying body)
         │        ├── expired    (validity ended yesterday)
         │        ├── not-yet-valid (validity starts tomorrow)
         │        ├── revoked    (revoked an hour ago; OCSP and CRL say so)
         │        └── wrong-usage (keyEncipherment only: may not sign)
         ├── tsa
    stranger-root ── stranger    (a chain nobody trusts)
    self-signed                  (its own issuer, with signing key usage: trusted by nobody)

`TestPki.stopped()` takes every service offline for a block (B-LT validated offline).
"""

from __future__ import annotations

import contextlib
import subprocess
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import logging

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

ARCH = "sohoa-test"
PASSPHRASE = "mat-khau-thu"
SIGNERS = ("official", "digitiser", "agency", "expired", "not-yet-valid", "revoked", "wrong-usage",
           "self-signed")
OFFICIAL_NAME = "Nguyễn Thị Lấp Lánh Ánh"


def _when(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S+0000")


def _config(url: str, key_dir: Path) -> dict:
    now = datetime.now(UTC).replace(microsecond=0)
    long_ago, later = now - timedelta(days=3650), now + timedelta(days=3650)
    current = {"valid-from": _when(now - timedelta(days=1)), "valid-to": _when(now + timedelta(days=730))}
    ca_usage = {"id": "key_usage", "critical": True,
                "smart-value": {"schema": "key-usage",
                                "params": ["digital_signature", "key_cert_sign", "crl_sign"]}}

    def leaf(usage: list[str], **extra) -> dict:
        return {
            "issuer": "interm",
            "validity": current,
            "extensions": [
                {"id": "key_usage", "critical": True,
                 "smart-value": {"schema": "key-usage", "params": usage}},
                {"id": "crl_distribution_points",
                 "smart-value": {"schema": "crl-dist-url", "params": {"crl-repo-names": ["interm"]}}},
                {"id": "authority_information_access",
                 "smart-value": {"schema": "aia-urls", "params": {"ocsp-responder-names": ["interm"]}}},
                # As the public CAs' signing certificates carry it. Without any extended key usage,
                # NSS's last lookup (the EKU) leaves SEC_ERROR_EXTENSION_NOT_FOUND set after a
                # successful CERT_PKIXVerifyCert, and poppler 22.12's pdfsig, which reads
                # PORT_GetError() without looking at the result, reports "Unknown issue with
                # Certificate" for a chain NSS trusts.
                {"id": "extended_key_usage", "value": ["email_protection"]},
            ],
            **extra,
        }

    signing = ["digital_signature", "non_repudiation"]
    key_names = ["root", "interm", "ocsp", "tsa", "stranger-root", "stranger", *SIGNERS]
    return {
        "external-url-prefix": url,
        "keysets": {"keys": {"path-prefix": str(key_dir),
                             "keys": {name: {"path": f"{name}.key.pem"} for name in key_names}}},
        "pki-architectures": {ARCH: {
            "keyset": "keys",
            "entity-defaults": {"country-name": "VN", "organization-name": "Sohoa Test CA"},
            "entities": {
                "root": {"common-name": "Sohoa Test Root CA"},
                "interm": {"common-name": "Sohoa Test Issuing CA"},
                "ocsp": {"common-name": "Sohoa Test OCSP"},
                "tsa": {"common-name": "Sohoa Test TSA"},
                "stranger-root": {"common-name": "Unknown Root CA", "organization-name": "Elsewhere"},
                "stranger": {"common-name": "Người Lạ", "organization-name": "Elsewhere"},
                "official": {"common-name": OFFICIAL_NAME, "organization-name": "UBND quận 1"},
                "digitiser": {"common-name": "Trần Văn Số", "organization-name": "UBND quận 1"},
                "agency": {"common-name": "UBND phường Bến Nghé",
                           "organization-name": "UBND phường Bến Nghé"},
                "expired": {"common-name": "Lê Hết Hạn"},
                "not-yet-valid": {"common-name": "Vũ Chưa Tới"},
                "self-signed": {"common-name": "Hoàng Tự Ký", "organization-name": "Tự phát"},
                "revoked": {"common-name": "Phạm Bị Thu Hồi"},
                "wrong-usage": {"common-name": "Đỗ Sai Mục Đích"},
            },
            "certs": {
                "root": {"subject": "root", "issuer": "root", "subject-key": "root",
                         "authority-key": "root",
                         "validity": {"valid-from": _when(long_ago), "valid-to": _when(later)},
                         "extensions": [{"id": "basic_constraints", "critical": True,
                                         "value": {"ca": True}}, ca_usage]},
                "interm": {"issuer": "root",
                           "validity": {"valid-from": _when(long_ago), "valid-to": _when(later)},
                           "extensions": [
                               {"id": "basic_constraints", "critical": True,
                                "value": {"ca": True, "path-len-constraint": 0}},
                               ca_usage,
                               {"id": "crl_distribution_points",
                                "smart-value": {"schema": "crl-dist-url",
                                                "params": {"crl-repo-names": ["root"]}}}]},
                "ocsp": {"issuer": "interm", "validity": current, "extensions": [
                    {"id": "key_usage", "critical": True,
                     "smart-value": {"schema": "key-usage", "params": ["digital_signature"]}},
                    {"id": "extended_key_usage", "critical": True, "value": ["ocsp_signing"]},
                    {"id": "ocsp_no_check"}]},
                "tsa": {"issuer": "root", "validity": current, "extensions": [
                    {"id": "key_usage", "critical": True,
                     "smart-value": {"schema": "key-usage", "params": ["digital_signature"]}},
                    {"id": "extended_key_usage", "critical": True, "value": ["time_stamping"]}]},
                "stranger-root": {"subject": "stranger-root", "issuer": "stranger-root",
                                  "subject-key": "stranger-root", "authority-key": "stranger-root",
                                  "validity": {"valid-from": _when(long_ago), "valid-to": _when(later)},
                                  "extensions": [{"id": "basic_constraints", "critical": True,
                                                  "value": {"ca": True}}, ca_usage]},
                "stranger": {"issuer": "stranger-root", "validity": current, "extensions": [
                    {"id": "key_usage", "critical": True,
                     "smart-value": {"schema": "key-usage", "params": signing}}]},
                "official": leaf(signing),
                "digitiser": leaf(signing),
                "agency": leaf(signing),
                "expired": leaf(signing, validity={
                    "valid-from": _when(now - timedelta(days=400)),
                    "valid-to": _when(now - timedelta(days=1))}),
                "not-yet-valid": leaf(signing, validity={
                    "valid-from": _when(now + timedelta(days=1)),
                    "valid-to": _when(now + timedelta(days=400))}),
                "self-signed": {"subject": "self-signed", "issuer": "self-signed",
                                "subject-key": "self-signed", "authority-key": "self-signed",
                                "validity": current, "extensions": [
                                    {"id": "key_usage", "critical": True,
                                     "smart-value": {"schema": "key-usage", "params": signing}}]},
                "revoked": leaf(signing, revocation={
                    "revoked-since": _when(now - timedelta(hours=1)), "reason": "key_compromise"}),
                "wrong-usage": leaf(["key_encipherment"]),
            },
            "services": {
                "ocsp": {"interm": {"for-issuer": "interm", "responder-cert": "ocsp",
                                    "signing-key": "ocsp"}},
                "crl-repo": {
                    "root": {"for-issuer": "root", "signing-key": "root",
                             "simulated-update-schedule": "P90D"},
                    "interm": {"for-issuer": "interm", "signing-key": "interm",
                               "simulated-update-schedule": "P30D"},
                },
                "time-stamping": {"tsa": {"signing-key": "tsa", "signing-cert": "tsa"}},
            },
        }},
    }


def _write_keys(key_dir: Path, names) -> None:
    key_dir.mkdir(parents=True, exist_ok=True)
    for name in names:
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        (key_dir / f"{name}.key.pem").write_bytes(key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption()))


logging.getLogger("werkzeug").setLevel(logging.WARNING)  # no line per OCSP/TSA request


class _Dispatcher:
    """The WSGI app handed to the server before the PKI (which needs the server's port) exists."""

    app = None

    def __call__(self, environ, start_response):
        return self.app(environ, start_response)


def _whole_second_animator():
    from certomancer.integrations.animator import Animator

    class WholeSecondAnimator(Animator):
        """OCSP responses made at whole seconds: certomancer's clock has microseconds, and NSS
        rejects an OCSP response whose GeneralizedTimes have a fraction as
        SEC_ERROR_OCSP_MALFORMED_RESPONSE — poppler's pdfsig then calls the certificate's
        validation an "Unknown issue" (public CAs' responders give whole seconds)."""

        def at_time(self, request):
            moment = super().at_time(request)
            return moment.replace(microsecond=0) if "/ocsp/" in request.path else moment

    return WholeSecondAnimator


class TestPki:
    __test__ = False  # not a pytest class

    def __init__(self, directory: Path):
        from certomancer.integrations.animator import AnimatorArchStore
        from certomancer.registry import CertomancerConfig
        from werkzeug.serving import make_server

        self.directory = directory
        directory.mkdir(parents=True, exist_ok=True)
        self._dispatcher = _Dispatcher()
        self._server = make_server("127.0.0.1", 0, self._dispatcher, threaded=True)
        self.port = self._server.server_port
        self.url = f"http://127.0.0.1:{self.port}"
        key_dir = directory / "keys"
        config = _config(self.url, key_dir)
        _write_keys(key_dir, config["keysets"]["keys"]["keys"])
        self.config = CertomancerConfig(config, key_search_dir=str(key_dir))
        self.arch = self.config.get_pki_arch(ARCH)
        self._dispatcher.app = _whole_second_animator()(AnimatorArchStore(self.config.pki_archs), with_web_ui=False)
        self._thread: threading.Thread | None = None
        self.tsa_url = f"{self.url}/{ARCH}/tsa/tsa"
        self.root_pem = directory / "roots.pem"
        self.root_pem.write_bytes(self.pem("root"))
        self.stranger_root_pem = directory / "stranger-roots.pem"
        self.stranger_root_pem.write_bytes(self.pem("stranger-root"))

    # --- certificates and keys ------------------------------------------------------------------

    def cert(self, label: str):
        from certomancer.registry import CertLabel

        return self.arch.get_cert(CertLabel(label))

    def pem(self, label: str) -> bytes:
        from asn1crypto import pem

        return pem.armor("CERTIFICATE", self.cert(label).dump())

    def pkcs12(self, label: str, passphrase: str = PASSPHRASE) -> Path:
        """The signer's key, certificate and chain as a PKCS#12 file."""
        from certomancer.registry import CertLabel

        path = self.directory / f"{label}.p12"
        path.write_bytes(self.arch.package_pkcs12(CertLabel(label), password=passphrase.encode()))
        return path

    def key_pem(self, label: str) -> Path:
        return self.directory / "keys" / f"{label}.key.pem"

    def chain_pem(self, label: str) -> bytes:
        """The certificate and its CAs up to (without) the root."""
        from certomancer.registry import CertLabel

        chain = [label, *(str(c) for c in self.arch.get_chain(CertLabel(label)))]
        return b"".join(self.pem(c) for c in chain if c not in ("root", "stranger-root"))

    def nss_db(self, directory: Path, trusted: tuple[str, ...] = ("root",)) -> Path:
        """An NSS database (for poppler's pdfsig) trusting these roots for signing."""
        directory.mkdir(parents=True, exist_ok=True)
        if not (directory / "cert9.db").exists():
            subprocess.run(["certutil", "-N", "-d", f"sql:{directory}", "--empty-password"],
                           check=True, capture_output=True)
            for label in trusted:
                pem_file = directory / f"{label}.pem"
                pem_file.write_bytes(self.pem(label))
                subprocess.run(["certutil", "-A", "-d", f"sql:{directory}", "-n", label,
                                "-t", "CT,C,CT", "-i", str(pem_file)],
                               check=True, capture_output=True)
        return directory

    # --- serving ------------------------------------------------------------------------------

    def start(self) -> TestPki:
        if self._thread is None:
            if self._server is None:
                from werkzeug.serving import make_server

                self._server = make_server("127.0.0.1", self.port, self._dispatcher, threaded=True)
            self._thread = threading.Thread(target=self._server.serve_forever, daemon=True,
                                            name="test-pki")
            self._thread.start()
        return self

    def stop(self) -> None:
        if self._thread is not None:
            self._server.shutdown()
            self._server.server_close()
            self._thread.join(timeout=10)
            self._thread = None
            self._server = None

    @contextlib.contextmanager
    def stopped(self):
        """OCSP, CRL and TSA all unreachable inside the block (connection refused)."""
        self.stop()
        try:
            yield
        finally:
            self.start()
