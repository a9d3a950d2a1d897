"""Benchmark PAdES signing (not a test): signatures per second on one core, and where time goes.

Documents are what the pipeline stores: generated Vietnamese pages (pipeline.samples) encoded and
assembled into PDF/A by pipeline.stages.assemble (1 page ≈ 200 KB, 10 pages ≈ 2 MB). Keys and the TSA
come from the test PKI (tests/pki.py, served on loopback). Measured in the same run:

  sha256            hashing the file once (the floor: a signature hashes every byte)
  rsa               one RSA-2048 PKCS#1 v1.5 signature (the key operation)
  pyhanko default   plain pyHanko `signers.sign_pdf` with default settings (invisible field,
                    pyHanko's SimpleSigner from the same PKCS#12 file)
  sohoa B-B         pipeline.stages.sign.sign_pdf, official stamp (Vietnamese font) + QR code
  sohoa B-T         the same plus an RFC 3161 timestamp from the loopback TSA
  external B-B      the server's time of a token signature (issue 16): prepare_external (marks,
                    placeholder, signed attributes) + finish_external (verify the value, embed the
                    CMS); the token's own RSA signature is made between them and not counted

    .venv/bin/python scripts/bench_sign.py [--seconds 3]
"""

from __future__ import annotations

import argparse
import hashlib
import io
import os
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "tests"))

import numpy as np  # noqa: E402

from pipeline.stages.assemble import (  # noqa: E402
    AssembleSettings,
    ImageSettings,
    PdfMetadata,
    PdfPage,
    assemble_pdf,
    encode_page_image,
)
from pipeline.samples import make_document, render_pages  # noqa: E402
from pipeline.stages.sign import SignSpec, open_signer, sign_pdf  # noqa: E402
from pipeline.stages.stamp import QrPayload, _font_at_1000_upem, STAMP_FONT  # noqa: E402


def pipeline_pdf(pages: int, seed: int = 11) -> bytes:
    rendered = []
    while len(rendered) < pages:
        for image, _ in render_pages(make_document(seed + len(rendered)), dpi=200):
            encoded = encode_page_image(np.array(image), 200, ImageSettings())
            rendered.append(PdfPage(encoded, [], 200))
    return assemble_pdf(rendered[:pages], PdfMetadata(title="bench", created=datetime.now(UTC)),
                        AssembleSettings())


def rate(operation, seconds: float) -> tuple[float, int]:
    """Operations per second, running `operation` for about `seconds` (after one warm-up)."""
    operation()
    count, started = 0, time.perf_counter()
    while time.perf_counter() - started < seconds:
        operation()
        count += 1
    return count / (time.perf_counter() - started), count


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=3.0, help="per measurement")
    args = parser.parse_args()
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})  # one core

    from pki import PASSPHRASE, TestPki
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import signers

    with tempfile.TemporaryDirectory() as directory:
        pki = TestPki(Path(directory)).start()
        _font_at_1000_upem(STAMP_FONT)  # once per process; not part of a signature
        payload = QrPayload("000.00.24.H29-240515-0001", "1.009972", "Giấy phép xây dựng",
                            "sohoa", datetime.now(UTC))
        b_b = SignSpec(kind="official", position="Chủ tịch", agency="UBND quận 1", qr=payload)
        b_t = SignSpec(kind="official", position="Chủ tịch", agency="UBND quận 1", qr=payload,
                       level="B-T", tsa_url=pki.tsa_url)
        print(f"one core; {args.seconds:.0f} s per measurement; RSA-2048, SHA-256\n")
        print(f"{'document':<10} {'size':>8} {'operation':<18} {'per s':>8} {'ms each':>8}  vs pyHanko")
        pyhanko_signer = signers.SimpleSigner.load_pkcs12(
            str(pki.pkcs12("official")), passphrase=PASSPHRASE.encode())
        with open_signer(str(pki.pkcs12("official")), PASSPHRASE) as signer:
            rsa_rate, _ = rate(lambda: signer.signing_key and _rsa_sign(signer), args.seconds)
            for pages in (1, 10):
                pdf = pipeline_pdf(pages)
                label = f"{pages} page{'s' if pages > 1 else ''}"
                size = f"{len(pdf) / 1024:.0f} KB"

                def plain():
                    writer = IncrementalPdfFileWriter(io.BytesIO(pdf))
                    signers.sign_pdf(writer, signers.PdfSignatureMetadata(field_name="Sig"),
                                     signer=pyhanko_signer)

                measured = {
                    "sha256": rate(lambda: hashlib.sha256(pdf).digest(), args.seconds)[0],
                    "rsa": rsa_rate,
                    "pyhanko default": rate(plain, args.seconds)[0],
                    "sohoa B-B": rate(lambda: sign_pdf(pdf, b_b, signer), args.seconds)[0],
                    "sohoa B-T": rate(lambda: sign_pdf(pdf, b_t, signer), args.seconds)[0],
                    "external B-B": external_rate(pdf, b_b, pki, args.seconds),
                }
                baseline = measured["pyhanko default"]
                for name, per_second in measured.items():
                    ratio = f"{per_second / baseline:6.2f}x" if name.startswith(("sohoa", "external")) else ""
                    print(f"{label:<10} {size:>8} {name:<18} {per_second:8.1f} "
                          f"{1000 / per_second:8.2f}  {ratio}")
                ms = {name: 1000 / value for name, value in measured.items()}
                overhead = ms["sohoa B-B"] - ms["sha256"] - ms["rsa"]
                print(f"{'':<10} {'':>8} B-B time: hashing {ms['sha256']:.2f} ms, RSA "
                      f"{ms['rsa']:.2f} ms, pyHanko/stamp/QR/PDF writing {overhead:.2f} ms "
                      f"({overhead / ms['sohoa B-B']:.0%})\n")
        pki.stop()


def external_rate(pdf: bytes, spec: SignSpec, pki, seconds: float) -> float:
    """Token signatures per second of server time: prepare + finish, the token's signing left out."""
    from cryptography.hazmat.primitives.asymmetric.padding import PKCS1v15
    from cryptography.hazmat.primitives.hashes import SHA256
    from cryptography.hazmat.primitives.serialization import load_pem_private_key
    from pyhanko.keys import load_certs_from_pemder_data

    from pipeline.stages.sign_external import finish_external, prepare_external

    chain = list(load_certs_from_pemder_data(pki.chain_pem("official")))
    token = load_pem_private_key(pki.key_pem("official").read_bytes(), password=None)
    server, count = 0.0, 0
    while server < seconds or count < 2:
        started = time.perf_counter()
        prepared = prepare_external(pdf, spec, chain, datetime.now(UTC))
        between = time.perf_counter()
        signature = token.sign(prepared.data_to_sign, PKCS1v15(), SHA256())
        resumed = time.perf_counter()
        finish_external(prepared.pdf, prepared.state, signature)
        if count:  # the first is a warm-up
            server += (between - started) + (time.perf_counter() - resumed)
        count += 1
    return (count - 1) / server


def _rsa_sign(signer) -> bytes:
    """One raw RSA signature with the signer's key, as the CMS signature makes."""
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import padding

    key = _rsa_sign.__dict__.get("key")
    if key is None:
        key = _rsa_sign.key = serialization.load_der_private_key(signer.signing_key.dump(), None)
    return key.sign(b"x" * 32, padding.PKCS1v15(), hashes.SHA256())


if __name__ == "__main__":
    main()
