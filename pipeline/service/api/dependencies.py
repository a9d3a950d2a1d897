"""What every route depends on: the services, the authenticated client and its scope, the purpose
of a read of personal data, and the audit row that read writes."""

import logging
from typing import Annotated

from fastapi import Depends, Header, Request

from pipeline.core.access import ApiClient, mask_owner_id
from pipeline.service.api.problems import ApiProblem
from pipeline.service.api.services import ApiServices
from schemas.api import OWNER_ID_PATTERN

log = logging.getLogger(__name__)

MAX_UPLOAD_BYTES = 200 * 1024 * 1024


def services(request: Request) -> ApiServices:
    """A dependency: the services of the app serving the request."""
    return request.app.state.services


Services = Annotated[ApiServices, Depends(services)]


def _presented_key(authorization: str | None, x_api_key: str | None) -> str | None:
    if x_api_key:
        return x_api_key.strip()
    if authorization and authorization.lower().startswith("bearer "):
        return authorization[7:].strip()
    return None


def require(scope: str | None):
    """A dependency: the authenticated client, which must hold ``scope`` (None: any key)."""

    def dependency(
        request: Request,
        authorization: Annotated[str | None, Header()] = None,
        x_api_key: Annotated[str | None, Header()] = None,
    ) -> ApiClient:
        services: ApiServices = request.app.state.services
        key = _presented_key(authorization, x_api_key)
        client = services.access.authenticate(key) if key else None
        if client is None:
            raise ApiProblem(401, "unauthorized", "Unauthorized", "a valid API key is required",
                             {"WWW-Authenticate": 'Bearer realm="sohoa"'})
        allowed, wait = services.limiter.allow(client.name)
        if not allowed:
            raise ApiProblem(429, "rate_limited", "Too many requests",
                             f"more than {services.limiter.per_minute} requests a minute",
                             {"Retry-After": str(max(1, round(wait)))})
        if scope and not client.has_scope(scope):
            raise ApiProblem(403, "forbidden", "Forbidden", f"this key lacks the scope {scope}")
        return client

    return dependency


Purpose = Annotated[str | None, Header(
    alias="X-Purpose", description="Why personal data is read (audited); UTF-8, percent-encoded")]


def stated_purpose(purpose: str | None) -> str:
    """The purpose a client gave. HTTP header values are ASCII, so Vietnamese text arrives
    percent-encoded (`giải quyết` -> `gi%E1%BA%A3i%20quy%E1%BA%BFt`)."""
    import unicodedata
    from urllib.parse import unquote

    text = unicodedata.normalize("NFC", unquote(purpose or "", errors="replace")).strip()
    if not text:
        raise ApiProblem(400, "purpose_required", "Purpose required",
                         "reads of personal data need an X-Purpose header saying why")
    return text


def check_type(client: ApiClient, doc_type: str | None) -> None:
    if not client.may_read_type(doc_type):
        raise ApiProblem(403, "forbidden_type", "Forbidden", "this key may not read documents of this type")


def valid_owner(owner_id: str) -> str:
    import re

    if not re.fullmatch(OWNER_ID_PATTERN, owner_id):
        raise ApiProblem(422, "invalid_owner_id", "Invalid owner ID",
                         "an owner ID is a 12-digit personal identification number")
    return owner_id


read = require("documents:read")
write = require("documents:write")
sign_scope = require("documents:sign")
admin = require("admin")
any_key = require(None)


def audit(s: ApiServices, client: ApiClient, action: str, target: str, purpose: str,
          owner_id: str | None = None, outcome: int = 200) -> None:
    s.access.audit(client.name, action, target, owner_id=owner_id, purpose=purpose, outcome=outcome)
    log.info("%s %s %s owner=%s", client.name, action, target if not owner_id else "-",
             mask_owner_id(owner_id))
