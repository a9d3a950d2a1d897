"""The signatures recorded for a document, and signing it with the server's key."""

import logging
from typing import Annotated

from fastapi import APIRouter, Depends

from pipeline.core.signing import SignOptions
from pipeline.core.access import ApiClient
from pipeline.service.api.dependencies import Purpose, Services, audit, check_type, read, sign_scope, stated_purpose
from pipeline.service.api.problems import ApiProblem
from pipeline.service.api.shapes import document_out, signature_out
from schemas.api import DocumentOut, Problem, SignatureOut, SignRequest

log = logging.getLogger(__name__)

signature_routes = APIRouter()


@signature_routes.get("/v1/documents/{document_id}/signatures", tags=["signatures"],
                      responses={404: {"model": Problem}})
def get_signatures(document_id: str, client: Annotated[ApiClient, Depends(read)], s: Services,
                   purpose: Purpose = None) -> list[SignatureOut]:
    why = stated_purpose(purpose)
    row = s.index.get(document_id)
    check_type(client, row.doc_type)
    audit(s, client, "read_signatures", row.id, why, row.owner_id)
    return [signature_out(r) for r in s.index.signatures(row.id)]


@signature_routes.post("/v1/documents/{document_id}/sign", tags=["signatures"],
                       responses={404: {"model": Problem}, 409: {"model": Problem},
                                  422: {"model": Problem, "description": "The server's signing certificate "
                                        "may not sign: certificate_expired, certificate_not_yet_valid or "
                                        "certificate_key_usage"},
                                  503: {"model": Problem}})
def sign_document(document_id: str, request_body: SignRequest,
                  client: Annotated[ApiClient, Depends(sign_scope)], s: Services) -> DocumentOut:
    row = s.index.get(document_id)
    if s.signer is None:
        raise ApiProblem(503, "signing_not_configured", "Signing not configured",
                         "set SOHOA_SIGN_KEY (and SOHOA_KEY_PASSPHRASE) on the server (docker compose: put the "
                         "key at ./keys/agency.p12), or sign with a token through "
                         "POST /v1/documents/{id}/signatures/prepare")
    done = s.signer.sign(s.index, s.store, row.id, SignOptions(
        kind=request_body.kind, level=request_body.level, signer_name=request_body.signer_name,
        position=request_body.position, agency=request_body.agency,
        qr=request_body.kind == "official",  # an issued result carries its QR code
    ))
    log.info("%s signed document %s as %s: version %d, %s", client.name, row.id, request_body.kind,
             done.version, done.status)
    return document_out(s, s.index.get(row.id))
