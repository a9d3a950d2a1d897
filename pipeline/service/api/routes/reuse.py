"""An owner's papers on file, the procedures, and what a procedure still needs from an owner."""

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, Query
from fastapi.responses import Response

from pipeline.clock import office_today
from pipeline.core.reuse import check_procedure, on_file, procedure_or_error
from pipeline.core.access import ApiClient, audit_record
from pipeline.service.api.dependencies import (
    Purpose,
    Services,
    any_key,
    audit,
    in_read_threads,
    log_audited,
    read,
    stated_purpose,
    valid_owner,
)
from pipeline.service.api.shapes import on_file_out, procedure_out
from schemas.api import CheckOut, CheckRequest, ComponentOut, OwnerDocumentsOut, Problem, ProcedureOut

reuse_routes = APIRouter()


@reuse_routes.get("/v1/owners/{owner_id}/documents", response_model=OwnerDocumentsOut, tags=["reuse"],
                  responses={422: {"model": Problem}})
def owner_documents(
    owner_id: str,
    client: Annotated[ApiClient, Depends(read)],
    s: Services,
    doc_type: Annotated[list[str] | None, Query(alias="type")] = None,
    valid_on: date | None = None,
    purpose: Purpose = None,
) -> OwnerDocumentsOut:
    valid_owner(owner_id)
    why = stated_purpose(purpose)
    day = valid_on or office_today()
    types = [t for t in (doc_type or s.catalog.document_types) if client.may_read_type(t)]
    found = on_file(s.index, s.catalog, owner_id, types, valid_on=day)
    docs = [on_file_out(d) for items in found.values() for d in items]
    audit(s, client, "list_owner_documents", "owner", why, owner_id)
    return OwnerDocumentsOut(owner_id=owner_id, valid_on=day, documents=docs)


@reuse_routes.get("/v1/procedures", response_model=list[ProcedureOut], tags=["procedures"])
def list_procedures(client: Annotated[ApiClient, Depends(any_key)], s: Services) -> list[ProcedureOut]:
    return [procedure_out(p) for p in s.catalog.procedures.values()]


@reuse_routes.get("/v1/procedures/{code}", response_model=ProcedureOut, tags=["procedures"],
                  responses={404: {"model": Problem}})
def get_procedure(code: str, client: Annotated[ApiClient, Depends(any_key)], s: Services) -> ProcedureOut:
    return procedure_out(procedure_or_error(s.catalog, code))


@reuse_routes.post("/v1/procedures/{code}/check", response_model=CheckOut, tags=["reuse"],
                   responses={404: {"model": Problem}})
async def check(code: str, body: CheckRequest, client: Annotated[ApiClient, Depends(read)], s: Services,
                purpose: Purpose = None) -> Response:
    why = stated_purpose(purpose)
    # the audit row is written with the read, in the same transaction (`Index.owner_papers`)
    audited = audit_record(client.name, "check_procedure", code, owner_id=body.owner_id, purpose=why)
    result = await in_read_threads(s, lambda: check_procedure(
        s.index, s.catalog, code, body.owner_id, valid_on=body.valid_on, audit=audited))
    log_audited(client, "check_procedure", code, body.owner_id)
    answer = CheckOut(
        procedure_code=result.procedure.code, owner_id=body.owner_id, valid_on=result.valid_on,
        components=[
            ComponentOut(doc_type=c.doc_type, required=c.required,
                         status="on_file" if c.satisfied else "missing",
                         document=on_file_out(c.document)
                         if c.document and client.may_read_type(c.doc_type) else None)
            for c in result.components
        ],
        missing=result.missing,
    )
    # built from the model, so already valid: sent as it is rather than validated once more
    return Response(answer.model_dump_json(), media_type="application/json")
