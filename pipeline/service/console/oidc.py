"""Logging in to the console through an office's directory: OpenID Connect, authorization code
flow with PKCE, as a confidential client (issue 15, "an optional OpenID Connect login").

The directory says who the person is; sohoa's own account of that name says what they may do.
Nobody gets an account by logging in: an admin creates it (`sohoa users create`) with its role,
and disabling it there ends OIDC log-ins too. Every call to the directory is in this module:
discovery (cached), the token request, and the ID token checked against the directory's keys
(signature, issuer, audience, expiry, nonce) with joserfc.
"""

from __future__ import annotations

import base64
import hashlib
import logging
import secrets
import threading
import time
from dataclasses import dataclass
from urllib.parse import urlencode

import requests
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet
from joserfc.jwt import JWTClaimsRegistry

from pipeline.errors import SohoaError

log = logging.getLogger(__name__)

SIGNING_ALGORITHMS = ["RS256", "PS256", "ES256", "EdDSA"]
DISCOVERY_SECONDS = 3600  # the directory's endpoints and keys are read again after this
HTTP_TIMEOUT = (5, 10)


class OidcRefused(SohoaError):
    """A directory log-in that did not succeed; ``reason`` names why for the login page."""

    code = "oidc_refused"

    def __init__(self, reason: str, detail: str):
        super().__init__(detail)
        self.reason = reason  # directory_unreachable | bad_answer | bad_token | no_username


@dataclass(frozen=True)
class OidcSettings:
    issuer: str
    client_id: str
    client_secret: str
    username_claim: str = "preferred_username"
    scopes: str = "openid profile email"


@dataclass(frozen=True)
class PendingLogin:
    """What the browser carries (in a signed cookie) from the redirect to the directory back to
    the callback: the state it must return, the nonce its ID token must hold, PKCE's verifier
    and where to go after."""

    state: str
    nonce: str
    verifier: str
    next: str = ""


class OidcClient:
    def __init__(self, settings: OidcSettings, session: requests.Session | None = None):
        self.settings = settings
        self._http = session or requests.Session()
        self._lock = threading.Lock()
        self._discovered: tuple[float, dict, KeySet] | None = None

    def _metadata(self, *, refresh: bool = False) -> tuple[dict, KeySet]:
        with self._lock:
            if refresh or self._discovered is None or time.monotonic() - self._discovered[0] > DISCOVERY_SECONDS:
                url = self.settings.issuer.rstrip("/") + "/.well-known/openid-configuration"
                metadata = self._get_json(url)
                if metadata.get("issuer") != self.settings.issuer:
                    raise OidcRefused("bad_answer", f"the directory at {url} names issuer "
                                                    f"{metadata.get('issuer')!r}, not {self.settings.issuer!r}")
                for name in ("authorization_endpoint", "token_endpoint", "jwks_uri"):
                    if not isinstance(metadata.get(name), str):
                        raise OidcRefused("bad_answer", f"the directory's configuration has no {name}")
                try:
                    keys = KeySet.import_key_set(self._get_json(metadata["jwks_uri"]))
                except (JoseError, ValueError, TypeError) as exc:
                    raise OidcRefused("bad_answer", f"the directory's keys cannot be read: {exc}") from exc
                self._discovered = (time.monotonic(), metadata, keys)
            return self._discovered[1], self._discovered[2]

    def _get_json(self, url: str) -> dict:
        try:
            answer = self._http.get(url, timeout=HTTP_TIMEOUT)
            answer.raise_for_status()
            return answer.json()
        except requests.RequestException as exc:
            raise OidcRefused("directory_unreachable", f"the directory did not answer at {url}: {exc}") from exc
        except ValueError as exc:
            raise OidcRefused("bad_answer", f"the directory's answer at {url} is not JSON") from exc

    def start(self, redirect_uri: str, next_path: str = "") -> tuple[str, PendingLogin]:
        """The directory's login URL to send the browser to, and what to remember meanwhile."""
        metadata, _ = self._metadata()
        pending = PendingLogin(state=secrets.token_urlsafe(24), nonce=secrets.token_urlsafe(24),
                               verifier=secrets.token_urlsafe(48), next=next_path)
        challenge = base64.urlsafe_b64encode(hashlib.sha256(pending.verifier.encode()).digest()).rstrip(b"=").decode()
        query = urlencode({
            "response_type": "code", "client_id": self.settings.client_id, "redirect_uri": redirect_uri,
            "scope": self.settings.scopes, "state": pending.state, "nonce": pending.nonce,
            "code_challenge": challenge, "code_challenge_method": "S256",
        })
        endpoint = metadata["authorization_endpoint"]
        return f"{endpoint}{'&' if '?' in endpoint else '?'}{query}", pending

    def finish(self, code: str, redirect_uri: str, pending: PendingLogin) -> str:
        """The user name the directory vouches for, from the code it sent back; OidcRefused
        when the exchange or the ID token does not hold up."""
        metadata, keys = self._metadata()
        try:
            answer = self._http.post(metadata["token_endpoint"], timeout=HTTP_TIMEOUT, data={
                "grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri,
                "code_verifier": pending.verifier,
            }, auth=(self.settings.client_id, self.settings.client_secret))
        except requests.RequestException as exc:
            raise OidcRefused("directory_unreachable", f"the directory's token endpoint did not answer: {exc}") from exc
        if answer.status_code != 200:
            raise OidcRefused("bad_answer", f"the directory refused the code: HTTP {answer.status_code}")
        try:
            id_token = answer.json()["id_token"]
        except (ValueError, KeyError, TypeError) as exc:
            raise OidcRefused("bad_answer", "the directory's token answer has no id_token") from exc
        claims = self._verified(id_token, keys, pending)
        username = claims.get(self.settings.username_claim)
        if not isinstance(username, str) or not username.strip():
            raise OidcRefused("no_username", f"the ID token has no {self.settings.username_claim!r} claim")
        return username.strip().lower()

    def _verified(self, id_token: str, keys: KeySet, pending: PendingLogin) -> dict:
        try:
            token = jwt.decode(id_token, keys, algorithms=SIGNING_ALGORITHMS)
        except JoseError:
            # the directory may have rolled its keys since they were read: read them once more
            _, keys = self._metadata(refresh=True)
            try:
                token = jwt.decode(id_token, keys, algorithms=SIGNING_ALGORITHMS)
            except (JoseError, ValueError) as exc:
                raise OidcRefused("bad_token", f"the ID token's signature does not check: {exc}") from exc
        except ValueError as exc:
            raise OidcRefused("bad_token", f"the ID token cannot be read: {exc}") from exc
        registry = JWTClaimsRegistry(
            leeway=60, iss={"essential": True, "value": self.settings.issuer},
            aud={"essential": True, "value": self.settings.client_id},
            exp={"essential": True}, nonce={"essential": True, "value": pending.nonce},
        )
        try:
            registry.validate(token.claims)
        except JoseError as exc:
            raise OidcRefused("bad_token", f"the ID token does not hold up: {exc.error}: {exc.description or ''}") from exc
        return token.claims
