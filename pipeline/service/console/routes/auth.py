"""Logging in and out, the language switch and the start page of each role."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse
from starlette.concurrency import run_in_threadpool

from pipeline.clock import utcnow
from pipeline.core.people import LoginRefused
from pipeline.service.console.i18n import LANGUAGES
from pipeline.service.console.sessions import LANG_COOKIE
from pipeline.service.console.web import Rendered, Services, end_session, start_session

auth_routes = APIRouter()

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
def login_form(p: Rendered, next: str | None = None, why: str | None = None):
    notice = why if why in ("login.required", "login.expired", "login.logged_out") else None
    return p.render("login.html", next=_local(p.request, next) or "", notice=notice, error=None)


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
