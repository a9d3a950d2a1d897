"""The console's sessions, CSRF tokens and security headers, as one plain ASGI wrapper.

A session is a cookie signed with the console's key (itsdangerous): the person's name, the time
their password was set (a reset ends older sessions), a CSRF token and the time of the last
request. It is HttpOnly and SameSite=Strict, and ends after ``idle`` seconds without a request.
Every POST must carry the session's CSRF token (the form field ``csrf`` or the header
``X-CSRF-Token``). Every answer carries a Content-Security-Policy that allows no inline script.
"""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass, replace
from http.cookies import SimpleCookie

from itsdangerous import BadSignature, URLSafeSerializer

COOKIE = "sohoa_console"
LANG_COOKIE = "sohoa_lang"
CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
       "connect-src 'self' http://127.0.0.1:* http://localhost:*; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'")
SECURITY_HEADERS = [
    (b"content-security-policy", CSP.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"same-origin"),
]


@dataclass(frozen=True)
class Session:
    csrf: str
    username: str | None = None
    password_set: float | None = None  # the person's password_set_at as a timestamp
    seen: float = 0.0  # last request
    expired: bool = False  # a signed-in session that ran idle (the login page says so)


def new_session() -> Session:
    return Session(csrf=secrets.token_urlsafe(24), seen=time.time())


class SessionCodec:
    def __init__(self, secret: bytes, *, idle_seconds: float, secure: bool = False):
        self._serializer = URLSafeSerializer(secret, salt="sohoa-console-session")
        self.idle_seconds, self.secure = idle_seconds, secure

    def load(self, cookie: str | None, now: float) -> Session:
        """The session a cookie holds; a new anonymous one when it is missing, forged or idle."""
        if not cookie:
            return new_session()
        try:
            data = self._serializer.loads(cookie)
            session = Session(csrf=str(data["c"]), username=data.get("u"), password_set=data.get("p"),
                              seen=float(data["s"]))
        except (BadSignature, KeyError, TypeError, ValueError):
            return new_session()
        if session.username and now - session.seen > self.idle_seconds:
            return replace(new_session(), expired=True)
        return replace(session, seen=now)

    def dump(self, session: Session) -> str:
        data = {"c": session.csrf, "s": round(session.seen, 1)}
        if session.username:
            data |= {"u": session.username, "p": session.password_set}
        return self._serializer.dumps(data)

    def set_cookie_header(self, session: Session | None) -> bytes:
        value = self.dump(session) if session else ""
        attributes = "; Path=/console; HttpOnly; SameSite=Strict" + ("; Secure" if self.secure else "")
        if session is None:
            attributes += "; Max-Age=0"
        return f"{COOKIE}={value}{attributes}".encode("latin-1")


def cookie_value(headers, name: str) -> str | None:
    for key, value in headers:
        if key == b"cookie":
            jar = SimpleCookie()
            try:
                jar.load(value.decode("latin-1"))
            except Exception:  # noqa: BLE001 - a malformed cookie header is no cookie
                continue
            if name in jar:
                return jar[name].value
    return None


class ConsoleSessions:
    """ASGI: puts the request's session in ``scope["state"]["session"]`` and sends the cookie
    back (refreshed, or replaced when a route set ``state["new_session"]``), with the security
    headers on every answer."""

    def __init__(self, app, codec: SessionCodec):
        self.app, self.codec = app, codec

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        state = scope.setdefault("state", {})
        session = self.codec.load(cookie_value(scope.get("headers", ()), COOKIE), time.time())
        state["session"] = session
        static = scope["path"].startswith(f"{scope.get('root_path', '')}/static/")

        async def sending(message):
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", ()))
                headers += SECURITY_HEADERS
                if not static:
                    chosen = state.get("new_session", state["session"])
                    headers.append((b"set-cookie", self.codec.set_cookie_header(chosen)))
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, sending)
