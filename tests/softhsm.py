"""A real PKCS#11 token for tests: SoftHSM2 with its token store in a temporary directory.

`SOFTHSM2_CONF` is read when the module is first initialised, which happens once per process, so
one token directory serves a whole test session (`softhsm_token` fixture in the test modules).
The key is imported with softhsm2-util; the certificate (which softhsm2-util cannot import) is
written as a CKO_CERTIFICATE object through python-pkcs11 under the same label and id.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

MODULE = "/usr/lib/softhsm/libsofthsm2.so"
TOKEN_LABEL = "sohoa"
USER_PIN = "123456"
SO_PIN = "12345678"


def available() -> str | None:
    """Why SoftHSM2 cannot be used here, or None."""
    if shutil.which("softhsm2-util") is None:
        return "softhsm2-util is not installed (Debian package softhsm2)"
    if not Path(MODULE).exists():
        return f"{MODULE} is missing (Debian package softhsm2)"
    return None


@dataclass(frozen=True)
class SoftHsmToken:
    directory: Path
    label: str = TOKEN_LABEL
    pin: str = USER_PIN

    def uri(self, object_label: str) -> str:
        return f"pkcs11:token={self.label};object={object_label}?module-path={MODULE}"


def create_token(directory: Path) -> SoftHsmToken:
    """Initialise an empty token in `directory` and point this process at it."""
    tokens = directory / "tokens"
    tokens.mkdir(parents=True, exist_ok=True)
    conf = directory / "softhsm2.conf"
    conf.write_text(f"directories.tokendir = {tokens}\nobjectstore.backend = file\n"
                    "log.level = ERROR\n")
    os.environ["SOFTHSM2_CONF"] = str(conf)
    subprocess.run(
        ["softhsm2-util", "--init-token", "--free", "--label", TOKEN_LABEL,
         "--pin", USER_PIN, "--so-pin", SO_PIN],
        check=True, capture_output=True, text=True,
    )
    return SoftHsmToken(directory)


def import_key_and_cert(token: SoftHsmToken, label: str, key_pem: Path, cert_der: bytes,
                        object_id: bytes) -> None:
    """Put a private key (PKCS#8 PEM) and its certificate on the token as `label`."""
    subprocess.run(
        ["softhsm2-util", "--import", str(key_pem), "--token", token.label, "--label", label,
         "--id", object_id.hex(), "--pin", token.pin],
        check=True, capture_output=True, text=True,
    )
    import pkcs11
    from asn1crypto import x509
    from pkcs11 import Attribute, CertificateType, ObjectClass

    cert = x509.Certificate.load(cert_der)
    lib = pkcs11.lib(MODULE)
    with lib.get_token(token_label=token.label).open(rw=True, user_pin=token.pin) as session:
        session.create_object({
            Attribute.CLASS: ObjectClass.CERTIFICATE,
            Attribute.CERTIFICATE_TYPE: CertificateType.X_509,
            Attribute.TOKEN: True,
            Attribute.LABEL: label,
            Attribute.ID: object_id,
            Attribute.SUBJECT: cert.subject.dump(),
            Attribute.ISSUER: cert.issuer.dump(),
            Attribute.SERIAL_NUMBER: cert["tbs_certificate"]["serial_number"].dump(),
            Attribute.VALUE: cert_der,
        })
