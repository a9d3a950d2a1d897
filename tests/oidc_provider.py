"""A small OpenID Connect provider on loopback, for the console's directory log-in tests: discovery,
keys, an authorization endpoint that logs in whoever the test says, and a token endpoint that
checks the client's secret, the code, the redirect URI and PKCE, then signs an ID token."""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlencode, urlparse

from joserfc import jwt
from joserfc.jwk import RSAKey

CLIENT_ID, CLIENT_SECRET = "sohoa-console", "bi-mat-cua-ung-dung"


class Provider(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self):
        super().__init__(("127.0.0.1", 0), _Handler)
        self.key = RSAKey.generate_key(2048, parameters={"kid": "k1", "use": "sig", "alg": "RS256"})
        self.user: dict = {"preferred_username": "lan"}  # who logs in at the directory next
        self.codes: dict[str, dict] = {}
        self.tamper: str | None = None  # "nonce" | "audience" | "signature" | "expired"
        self._thread: threading.Thread | None = None

    @property
    def issuer(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def start(self) -> Provider:
        self._thread = threading.Thread(target=self.serve_forever, daemon=True, name="oidc-provider")
        self._thread.start()
        return self

    def stop(self) -> None:
        self.shutdown()
        self.server_close()

    def id_token(self, request: dict) -> str:
        now = int(time.time())
        claims = {"iss": self.issuer, "sub": secrets.token_hex(8), "aud": CLIENT_ID, "iat": now,
                  "exp": now + 300, "nonce": request["nonce"], **self.user}
        if self.tamper == "nonce":
            claims["nonce"] = "another"
        elif self.tamper == "audience":
            claims["aud"] = "another-client"
        elif self.tamper == "expired":
            claims["exp"] = now - 3600
        key = RSAKey.generate_key(2048, parameters={"kid": "k1"}) if self.tamper == "signature" else self.key
        return jwt.encode({"alg": "RS256", "kid": "k1"}, claims, key)


class _Handler(BaseHTTPRequestHandler):
    server: Provider

    def log_message(self, *args):  # quiet
        pass

    def _json(self, status: int, body: dict) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        url = urlparse(self.path)
        issuer = self.server.issuer
        if url.path == "/.well-known/openid-configuration":
            return self._json(200, {
                "issuer": issuer, "authorization_endpoint": f"{issuer}/authorize",
                "token_endpoint": f"{issuer}/token", "jwks_uri": f"{issuer}/jwks",
                "response_types_supported": ["code"], "id_token_signing_alg_values_supported": ["RS256"],
                "code_challenge_methods_supported": ["S256"],
            })
        if url.path == "/jwks":
            return self._json(200, {"keys": [self.server.key.as_dict(private=False)]})
        if url.path == "/authorize":
            query = {k: v[0] for k, v in parse_qs(url.query).items()}
            if query.get("client_id") != CLIENT_ID or query.get("code_challenge_method") != "S256":
                return self._json(400, {"error": "invalid_request"})
            code = secrets.token_urlsafe(16)
            self.server.codes[code] = query
            self.send_response(302)
            self.send_header("location", f"{query['redirect_uri']}?{urlencode({'code': code, 'state': query['state']})}")
            self.end_headers()
            return None
        return self._json(404, {"error": "not_found"})

    def do_POST(self):
        if urlparse(self.path).path != "/token":
            return self._json(404, {"error": "not_found"})
        expected = "Basic " + base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()
        if self.headers.get("authorization") != expected:
            return self._json(401, {"error": "invalid_client"})
        length = int(self.headers.get("content-length") or 0)
        form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
        request = self.server.codes.pop(form.get("code", ""), None)
        if request is None or form.get("redirect_uri") != request["redirect_uri"]:
            return self._json(400, {"error": "invalid_grant"})
        challenge = base64.urlsafe_b64encode(
            hashlib.sha256(form.get("code_verifier", "").encode()).digest()).rstrip(b"=").decode()
        if challenge != request["code_challenge"]:
            return self._json(400, {"error": "invalid_grant", "error_description": "PKCE"})
        return self._json(200, {"access_token": secrets.token_urlsafe(16), "token_type": "Bearer",
                                "id_token": self.server.id_token(request)})
