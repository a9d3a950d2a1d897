"""Signatures made elsewhere (a USB token through the official's signing bridge) and results to
sign: thin routes over pipeline.core.external_signing and pipeline.core.results."""

import logging
from typing import Annotated

from fastapi import APIRouter, Depends
from fastapi.responses import JSONResponse

from pipeline.core.access import ApiClient
from pipeline.core.external_signing import complete_signature, prepare_signature
from pipeline.core.results import mark_result
from pipeline.core.signing import SignOptions
from pipeline.service.api.dependencies import Services, check_type, sign_scope
from pipeline.service.api.shapes import document_out
from schemas.api import (
    CompleteSignatureRequest,
    DocumentOut,
    PreparedSignatureOut,
    PrepareSignatureRequest,
    Problem,
)

log = logging.getLogger(__name__)

external_routes = APIRouter()

REFUSALS = {
    404: {"model": Problem},
    409: {"model": Problem, "description": "The document changed since it was prepared"},
    422: {"model": Problem, "description": "Refused, nothing stored: signature_invalid, signing_expired, "
          "signing_completed, certificate_expired, certificate_not_yet_valid, certificate_key_usage, "
          "bad_certificate_chain, level_not_supported"},
}


@external_routes.post("/v1/documents/{document_id}/signatures/prepare", tags=["signatures"], status_code=201,
                      responses=REFUSALS)
def prepare(document_id: str, body: PrepareSignatureRequest, client: Annotated[ApiClient, Depends(sign_scope)],
            s: Services) -> PreparedSignatureOut:
    """Prepare the document's current PDF for a signature made with the key of `certificate_chain`
    (a token): sign `data_to_sign` (or its `digest`) and complete before `expires_at`."""
    row = s.index.get(document_id)
    check_type(client, row.doc_type)
    options = SignOptions(kind=body.kind, level=body.level, signer_name=body.signer_name, position=body.position,
                          agency=body.agency, qr=body.kind == "official")
    prepared = prepare_signature(s.index, s.store, s.settings, row.id, options, body.certificate_chain,
                                 by=client.name)
    return PreparedSignatureOut(**prepared.as_json())


@external_routes.post("/v1/signing/{signing_id}/complete", tags=["signatures"], status_code=201, responses=REFUSALS)
def complete(signing_id: str, body: CompleteSignatureRequest, client: Annotated[ApiClient, Depends(sign_scope)],
             s: Services) -> DocumentOut:
    """Complete a prepared signature once with the raw signature value: the new signed version."""
    done = complete_signature(s.index, s.store, s.settings, signing_id, body.signature, by=client.name)
    return document_out(s, s.index.get(done.document_id))


@external_routes.post("/v1/documents/{document_id}/result", tags=["signatures"], status_code=201,
                      responses={404: {"model": Problem}})
def mark_as_result(document_id: str, client: Annotated[ApiClient, Depends(sign_scope)], s: Services):
    """Mark the document as a result of its dossier: it waits for the signatures its procedure names."""
    row = s.index.get(document_id)
    check_type(client, row.doc_type)
    marked = mark_result(s.index, s.catalog, row.id, by=client.name)
    return JSONResponse({"document_id": marked.document_id, "needs": list(marked.needs), "done": list(marked.done),
                         "waiting_for": marked.next_kind}, status_code=201)
