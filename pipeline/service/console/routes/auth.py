"""Logging in and out, the language switch and the start page of each role."""

from __future__ import annotations

import logging
from dataclasses import asdict
from typing import Annotated

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import RedirectResponse
from itsdangerous import BadSignature, URLSafeTimedSerializer
from starlette.concurrency import run_in_threadpool

from pipeline.clock import utcnow
from pipeline.core.people import LoginRefused, session_secret
from pipeline.service.console.i18n import LANGUAGES
from pipeline.service.console.oidc import OidcRefused, PendingLogin
from pipeline.service.console.sessions import LANG_COOKIE
from pipeline.service.console.web import Rendered, Services, end_session, start_session

log = logging.getLogger(__name__)

auth_routes = APIRouter()

#: The pending directory log-in, from the redirect to the directory to its callback. SameSite=Lax,
#: not Strict like the session: the callback is a navigation from the directory's site.
OIDC_COOKIE = "sohoa_oidc"
OIDC_SECONDS = 600

HOME_BY_ROLE = {"clerk": "/intake", "reviewer": "/review", "official": "/review", "admin": "/admin"}


def _local(request: Request, target: str | None) -> str | None:
    """Only a path of the console itself is a place to go after log-in (no open redirect)."""
    root = request.scope.get("root_path", "")
    if target and target.startswith(root + "/") and not target.startswith("//") and "\\" not in target:
        return target
    return None


@auth_routes.get("/")
def start(request: Request, p: Rendered) -> RedirectResponse:
    root = request.scope.get("root_path", "")
    if p.person is None:
        return RedirectResponse(root + "/login", status_code=303)
    return RedirectResponse(root + HOME_BY_ROLE.get(p.person.role, "/search"), status_code=303)


@auth_routes.get("/login")
def login_form(p: Rendered, s: Services, next: str | None = None, why: str | None = None):
    notice = why if why in ("login.required", "login.expired", "login.logged_out") else None
    return p.render("login.html", next=_local(p.request, next) or "", notice=notice, error=None,
                    directory=s.oidc is not None)


def _pending_codec(s) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(session_secret(s.settings), salt="sohoa-console-oidc")


def _callback_url(request: Request) -> str:
    return str(request.url_for("oidc_callback"))


def _directory_refused(p: Rendered, s, reason: str, status: int = 401):
    return p.render("login.html", status=status, next="", notice=None, error=(f"login.oidc_{reason}", {}),
                    directory=s.oidc is not None)


@auth_routes.get("/login/oidc")
async def oidc_start(request: Request, p: Rendered, s: Services,
                     next: Annotated[str, Query(max_length=2000)] = ""):
    """To the office's directory, remembering (signed, for 10 minutes) what the callback checks."""
    if s.oidc is None:
        return RedirectResponse(request.scope.get("root_path", "") + "/login", status_code=303)
    try:
        url, pending = await run_in_threadpool(s.oidc.start, _callback_url(request), _local(request, next) or "")
    except OidcRefused as exc:
        log.warning("directory log-in not started: %s", exc.message)
        return _directory_refused(p, s, exc.reason, status=503)
    response = RedirectResponse(url, status_code=303)
    response.set_cookie(OIDC_COOKIE, _pending_codec(s).dumps(asdict(pending)), max_age=OIDC_SECONDS,
                        path=request.scope.get("root_path", "") + "/login/oidc", httponly=True, samesite="lax",
                        secure=s.settings.console_secure_cookie)
    return response


@auth_routes.get("/login/oidc/callback")
async def oidc_callback(request: Request, p: Rendered, s: Services,
                        code: Annotated[str, Query(max_length=4096)] = "",
                        state: Annotated[str, Query(max_length=512)] = "",
                        error: Annotated[str, Query(max_length=200)] = ""):
    """Back from the directory: the state and the code checked, the ID token verified, then the
    person's own account signs them in. The answer is a page that moves on by itself: the
    session cookie is SameSite=Strict, and a redirect that began on the directory's site would
    not carry it to the next page."""
    if s.oidc is None:
        return RedirectResponse(request.scope.get("root_path", "") + "/login", status_code=303)
    try:
        pending = PendingLogin(**_pending_codec(s).loads(request.cookies.get(OIDC_COOKIE, ""), max_age=OIDC_SECONDS))
    except (BadSignature, TypeError, ValueError):
        return _directory_refused(p, s, "expired")
    if error or not code or state != pending.state:
        log.info("directory log-in refused at the directory or with a wrong state (%s)", error[:40] or "no code")
        return _directory_refused(p, s, "failed")
    try:
        username = await run_in_threadpool(s.oidc.finish, code, _callback_url(request), pending)
        person = await run_in_threadpool(s.people.log_in_from_directory, username)
    except OidcRefused as exc:
        log.warning("directory log-in refused: %s", exc.message)
        return _directory_refused(p, s, exc.reason, status=503 if exc.reason == "directory_unreachable" else 401)
    except LoginRefused as refused:
        return _directory_refused(p, s, refused.reason)
    start_session(request, person)
    target = pending.next or request.scope.get("root_path", "") + HOME_BY_ROLE.get(person.role, "/search")
    response = p.render("login_done.html", target=target)
    response.delete_cookie(OIDC_COOKIE, path=request.scope.get("root_path", "") + "/login/oidc")
    return response


@auth_routes.post("/login")
async def log_in(request: Request, s: Services, p: Rendered,
                 username: Annotated[str, Form(max_length=200)] = "",
                 password: Annotated[str, Form(max_length=1000)] = "",
                 next: Annotated[str, Form(max_length=2000)] = ""):
    try:
        person = await run_in_threadpool(s.people.log_in, username, password)
    except LoginRefused as refused:
        values = {}
        if refused.reason == "locked" and refused.until:
            values["minutes"] = max(1, round((refused.until - utcnow()).total_seconds() / 60))
        return p.render("login.html", status=401, next=_local(request, next) or "", notice=None,
                        error=(f"login.{refused.reason}", values), username=username[:64])
    start_session(request, person)
    target = _local(request, next) or request.scope.get("root_path", "") + HOME_BY_ROLE.get(person.role, "/search")
    return RedirectResponse(target, status_code=303)


@auth_routes.post("/logout")
def log_out(request: Request) -> RedirectResponse:
    end_session(request)
    return RedirectResponse(request.scope.get("root_path", "") + "/login?why=login.logged_out", status_code=303)


@auth_routes.post("/language")
def switch_language(request: Request, to: Annotated[str, Form()], back: Annotated[str, Form()] = "") -> RedirectResponse:
    response = RedirectResponse(_local(request, back) or request.scope.get("root_path", "") + "/", status_code=303)
    if to in LANGUAGES:
        response.set_cookie(LANG_COOKIE, to, max_age=365 * 86400, path="/console", httponly=True, samesite="strict")
    return response
