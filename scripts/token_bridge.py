"""The reference signing bridge: runs on the official's PC, holds nothing, and signs the data the
sohoa console hands it with the official's PKCS#11 token (a USB token's module, or SoftHSM2).

    python scripts/token_bridge.py --module /usr/lib/x86_64-linux-gnu/libvnpt-ca.so --token "VNPT-CA" \
        --key-label "Nguyen Van A" --allow-origin https://motcua.example.gov.vn [--port 8765] [--certificate chain.pem]

The console's "Sign with my USB token" calls it on http://127.0.0.1:PORT (SOHOA_TOKEN_BRIDGE_URL)
with a small JSON protocol (README, "The token bridge"), so an office can put its CA's own
signing service behind the same three calls:

    GET  /health       -> {"ok": true, "token": LABEL}
    GET  /certificate  -> {"certificate_chain": [PEM, …]}           the signer's certificate first
    POST /sign {"data_to_sign": b64, "digest": b64, "digest_algorithm": "sha256",
                "signature_mechanism": "rsassa_pkcs1v15"|"ecdsa", "pin": "…"}
               -> {"signature": b64}   RSA PKCS#1 v1.5 / ECDSA (raw r‖s) with SHA-256 over data_to_sign

Only loopback is listened on, only the --allow-origin pages may call it (CORS, with the Private
Network Access preflight header Chrome asks for), and the PIN is used for one log-in per request
and never kept or logged. Standard library and python-pkcs11 only.
"""

from __future__ import annotations

import argparse
import base64
import json
import logging
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

log = logging.getLogger("token_bridge")
MAX_BODY = 64 * 1024


class Token:
    """One key on one PKCS#11 token, found by its label."""

    def __init__(self, module: str, token_label: str, key_label: str, certificate: Path | None):
        import pkcs11

        self.lib = pkcs11.lib(module)
        self.token_label, self.key_label = token_label, key_label
        self.certificate = certificate

    def chain(self) -> list[str]:
        if self.certificate is not None:
            text = self.certificate.read_text(encoding="ascii")
            marker = "-----END CERTIFICATE-----"
            return [part.strip() + "\n" + marker + "\n" for part in text.split(marker) if "BEGIN" in part]
        from pkcs11 import Attribute, ObjectClass

        with self.lib.get_token(token_label=self.token_label).open() as session:
            found = list(session.get_objects({Attribute.CLASS: ObjectClass.CERTIFICATE, Attribute.LABEL: self.key_label}))
            if not found:
                raise LookupError(f"no certificate labelled {self.key_label!r} on the token")
            der = bytes(found[0][Attribute.VALUE])
        body = base64.encodebytes(der).decode("ascii").replace("\n", "")
        lines = [body[i:i + 64] for i in range(0, len(body), 64)]
        return ["-----BEGIN CERTIFICATE-----\n" + "\n".join(lines) + "\n-----END CERTIFICATE-----\n"]

    def sign(self, data: bytes, mechanism: str, pin: str | None) -> bytes:
        from pkcs11 import Mechanism, ObjectClass

        chosen = {"rsassa_pkcs1v15": Mechanism.SHA256_RSA_PKCS, "ecdsa": Mechanism.ECDSA_SHA256}[mechanism]
        with self.lib.get_token(token_label=self.token_label).open(user_pin=pin) as session:
            key = session.get_key(object_class=ObjectClass.PRIVATE_KEY, label=self.key_label)
            return bytes(key.sign(data, mechanism=chosen))


def handler_for(token: Token, origins: set[str]):
    class Bridge(BaseHTTPRequestHandler):
        server_version = "sohoa-token-bridge/1"

        def log_message(self, format, *args):  # noqa: A002 - the base class's name
            log.info("%s %s", self.command, self.path)

        def _cors(self) -> None:
            origin = self.headers.get("Origin")
            if origin in origins:
                self.send_header("Access-Control-Allow-Origin", origin)
                self.send_header("Vary", "Origin")

        def _answer(self, status: int, body: dict) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self._cors()
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.send_header("Cache-Control", "no-store")
            self.end_headers()
            self.wfile.write(data)

        def _allowed(self) -> bool:
            origin = self.headers.get("Origin")
            if origin is not None and origin not in origins:
                self._answer(403, {"error": "origin_not_allowed"})
                return False
            return True

        def do_OPTIONS(self):  # noqa: N802
            if not self._allowed():
                return
            self.send_response(204)
            self._cors()
            self.send_header("Access-Control-Allow-Methods", "GET, POST")
            self.send_header("Access-Control-Allow-Headers", "Content-Type")
            self.send_header("Access-Control-Allow-Private-Network", "true")
            self.send_header("Access-Control-Max-Age", "600")
            self.end_headers()

        def do_GET(self):  # noqa: N802
            if not self._allowed():
                return
            if self.path == "/health":
                return self._answer(200, {"ok": True, "token": token.token_label})
            if self.path == "/certificate":
                try:
                    return self._answer(200, {"certificate_chain": token.chain()})
                except Exception as exc:
                    return self._answer(503, {"error": "token_unavailable", "message": str(exc)})
            self._answer(404, {"error": "not_found"})

        def do_POST(self):  # noqa: N802
            if not self._allowed():
                return
            if self.path != "/sign":
                return self._answer(404, {"error": "not_found"})
            length = int(self.headers.get("Content-Length") or 0)
            if not 0 < length <= MAX_BODY:
                return self._answer(413, {"error": "body_too_large"})
            try:
                request = json.loads(self.rfile.read(length))
                data = base64.b64decode(request["data_to_sign"], validate=True)
                mechanism = request.get("signature_mechanism", "rsassa_pkcs1v15")
                if request.get("digest_algorithm", "sha256") != "sha256" or mechanism not in ("rsassa_pkcs1v15", "ecdsa"):
                    raise ValueError("unsupported algorithm")
            except (ValueError, KeyError, TypeError):
                return self._answer(400, {"error": "bad_request"})
            try:
                signature = token.sign(data, mechanism, request.get("pin") or None)
            except Exception as exc:  # a wrong PIN, a token pulled out…: say which, never the PIN
                log.warning("signing failed: %s", type(exc).__name__)
                return self._answer(422, {"error": "token_refused", "message": type(exc).__name__})
            self._answer(200, {"signature": base64.b64encode(signature).decode()})

    return Bridge


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--module", required=True, help="The token's PKCS#11 module (.so / .dll)")
    parser.add_argument("--token", required=True, help="The token's label")
    parser.add_argument("--key-label", required=True, help="Label of the private key (and its certificate)")
    parser.add_argument("--certificate", type=Path, help="PEM chain to hand out instead of the token's certificate")
    parser.add_argument("--allow-origin", action="append", required=True,
                        help="Origin of the sohoa console allowed to call (repeatable)")
    parser.add_argument("--port", type=int, default=8765)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(message)s")
    token = Token(args.module, args.token, args.key_label, args.certificate)
    server = ThreadingHTTPServer(("127.0.0.1", args.port), handler_for(token, set(args.allow_origin)))
    print(f"token bridge on http://127.0.0.1:{server.server_port} for {', '.join(args.allow_origin)}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
