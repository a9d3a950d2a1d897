"""What every console route depends on: the services, the session and its person, the CSRF check,
the templates with the translation catalogue, and the audit row of a view of personal data."""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass, replace
from datetime import date, datetime
from pathlib import Path
from typing import Annotated
from urllib.parse import quote

from fastapi import Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.templating import Jinja2Templates

from pipeline.clock import OFFICE_TZ
from pipeline.core.access import mask_owner_id
from pipeline.core.people import Person
from pipeline.service.console.notes import note_text
from pipeline.service.console.i18n import DEFAULT_LANGUAGE, LANGUAGES, translate, translate_or, why_text
from pipeline.service.console.services import ConsoleServices
from pipeline.service.console.sessions import LANG_COOKIE, Session, cookie_value, new_session

log = logging.getLogger(__name__)

TEMPLATES = Jinja2Templates(directory=Path(__file__).parent / "templates")


class ConsoleRefusal(Exception):
    """An answer other than the page: a redirect to the login, or an error page."""

    def __init__(self, status: int, message_key: str, *, login: bool = False, values: dict | None = None):
        super().__init__(message_key)
        self.status, self.message_key, self.login, self.values = status, message_key, login, values or {}


def services(request: Request) -> ConsoleServices:
    return request.app.state.services


Services = Annotated[ConsoleServices, Depends(services)]


def session_of(request: Request) -> Session:
    return request.scope["state"]["session"]


def language_of(request: Request) -> str:
    chosen = cookie_value(request.scope.get("headers", ()), LANG_COOKIE)
    return chosen if chosen in LANGUAGES else DEFAULT_LANGUAGE


def person_of(request: Request) -> Person | None:
    """The person signed in, or None; a session whose person was disabled or whose password was
    reset since it began is ended."""
    if "person" in request.scope["state"]:
        return request.scope["state"]["person"]
    session = session_of(request)
    person = None
    if session.username:
        found = request.app.state.services.people.get(session.username)
        if found and found.active and abs(found.password_set_at.timestamp() - (session.password_set or 0)) < 0.001:
            person = found
        else:
            end_session(request)
    request.scope["state"]["person"] = person
    return person


def start_session(request: Request, person: Person) -> None:
    """A new session (a new CSRF token too: one fixed before log-in is not carried over)."""
    request.scope["state"]["new_session"] = replace(
        new_session(), username=person.username, password_set=person.password_set_at.timestamp())
    request.scope["state"]["person"] = person


def end_session(request: Request) -> None:
    request.scope["state"]["new_session"] = new_session()
    request.scope["state"]["person"] = None


def require(page: str):
    """A dependency: the signed-in person, who must be allowed ``page`` (see PAGES_BY_ROLE)."""

    def dependency(request: Request) -> Person:
        person = person_of(request)
        if person is None:
            expired = session_of(request).expired
            raise ConsoleRefusal(303, "login.expired" if expired else "login.required", login=True)
        if not person.may(page):
            raise ConsoleRefusal(403, "error.forbidden")
        return person

    return dependency


async def csrf_checked(request: Request) -> None:
    """A dependency of every console route: an unsafe request must carry the session's token."""
    if request.method in ("GET", "HEAD", "OPTIONS"):
        return
    expected = session_of(request).csrf
    given = request.headers.get("x-csrf-token")
    if given is None:
        form = await request.form()
        value = form.get("csrf")
        given = value if isinstance(value, str) else None
    if not given or not secrets.compare_digest(given.encode(), expected.encode()):
        raise ConsoleRefusal(403, "error.csrf")


@dataclass(frozen=True)
class Page:
    request: Request
    person: Person | None

    @property
    def language(self) -> str:
        return language_of(self.request)

    def t(self, key: str, **values) -> str:
        return translate(self.language, key, **values)

    def render(self, template: str, status: int = 200, headers: dict | None = None, **context) -> HTMLResponse:
        session = self.request.scope["state"].get("new_session") or session_of(self.request)
        return TEMPLATES.TemplateResponse(self.request, template, {
            "t": self.t, "t_or": lambda key, fallback: translate_or(self.language, key, fallback), "lang": self.language, "person": self.person, "csrf": session.csrf,
            "day": shown_day, "moment": shown_moment, "note": lambda text: note_text(text, self.language), "masked": mask_owner_id,
            "why": lambda code: why_text(self.language, code), **context,
        }, status_code=status, headers=headers)


def page(request: Request) -> Page:
    return Page(request, person_of(request))


Rendered = Annotated[Page, Depends(page)]


def shown_day(value: date | str | None) -> str:
    """A date as offices write it: dd/mm/yyyy."""
    if not value:
        return ""
    if isinstance(value, str):
        try:
            value = date.fromisoformat(value[:10])
        except ValueError:
            return value
    return value.strftime("%d/%m/%Y")


def shown_moment(value: datetime | None) -> str:
    return value.astimezone(OFFICE_TZ).strftime("%d/%m/%Y %H:%M") if value else ""


def login_redirect(request: Request, message_key: str) -> RedirectResponse:
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    location = f"{request.scope.get('root_path', '')}/login?next={quote(target, safe='')}&why={message_key}"
    headers = {"HX-Redirect": location} if request.headers.get("hx-request") else None
    return RedirectResponse(location, status_code=303, headers=headers)


def audit_view(s: ConsoleServices, person: Person, action: str, target: str, owner_id: str | None,
               purpose: str) -> None:
    """A view of a person's papers, in the same audit log as the API's reads, under the user's name."""
    s.access.audit(f"console:{person.username}", action, target, owner_id=owner_id, purpose=purpose)
