"""A self-signed signing key to try sohoa's signing out (never for real documents): writes
keys/agency.p12 (or the path given) with the passphrase given, for SOHOA_SIGN_KEY.

    python scripts/make_demo_key.py keys/agency.p12 --passphrase "$SOHOA_KEY_PASSPHRASE" --name "UBND phường Bến Nghé"

Real signatures come from the Government CA's or a public CA's certificate: put that PKCS#12 file
at the same path (or set SOHOA_SIGN_KEY to a pkcs11: URI), and officials' own keys in their
profiles (`sohoa sign-profile set`) or on their USB tokens (the sign queue, the token bridge).
"""

from __future__ import annotations

import argparse
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("path", type=Path, nargs="?", default=Path("keys/agency.p12"))
    parser.add_argument("--passphrase", default="")
    parser.add_argument("--name", default="sohoa demo signer (not trusted)")
    parser.add_argument("--days", type=int, default=365)
    args = parser.parse_args()
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COUNTRY_NAME, "VN"), x509.NameAttribute(NameOID.COMMON_NAME, args.name)])
    now = datetime.now(UTC)
    certificate = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(x509.random_serial_number()).not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=args.days))
        .add_extension(x509.KeyUsage(digital_signature=True, content_commitment=True, key_encipherment=False,
                                     data_encipherment=False, key_agreement=False, key_cert_sign=False,
                                     crl_sign=False, encipher_only=False, decipher_only=False), critical=True)
        .sign(key, hashes.SHA256()))
    encryption = (serialization.BestAvailableEncryption(args.passphrase.encode()) if args.passphrase
                  else serialization.NoEncryption())
    args.path.parent.mkdir(parents=True, exist_ok=True)
    args.path.write_bytes(pkcs12.serialize_key_and_certificates(b"sohoa-demo", key, certificate, None, encryption))
    args.path.chmod(0o600)
    print(f"{args.path}: self-signed key for {args.name!r}, valid {args.days} days (signatures will read "
          "INDETERMINATE: no trusted CA vouches for it)")


if __name__ == "__main__":
    main()
