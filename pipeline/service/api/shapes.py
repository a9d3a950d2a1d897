"""Records of the index and the core shaped as the API's response models."""

from pipeline.service.api.services import ApiServices
from pipeline.stores.index.uploads import UploadJob
from pipeline.stores.index import signature_status_of
from schemas.api import DocumentOut, DossierOut, JobOut, OnFileOut, ProcedureOut, RateOut, SignatureOut


def document_out(s: ApiServices, row) -> DocumentOut:
    records = s.index.signatures(row.id)
    # the status is that of the current version's signatures (Index.signature_status), derived
    # from the records already read rather than asked for again
    current = {r.indication for r in records if r.version == row.version}
    state = signature_status_of(current) if current else "unsigned"
    return DocumentOut(
        id=row.id, doc_type=row.doc_type, type_confidence=row.type_confidence, status=row.status,
        owner_id=row.owner_id, dossier_code=row.dossier_code, procedure_code=row.procedure_code,
        title=row.title, filename=row.filename, media_type=row.media_type, pages=row.pages,
        issue_date=row.issue_date, valid_until=row.valid_until, fields=row.fields, version=row.version,
        versions=[{"version": v.version, "variant": variant, "sha256": ref.sha256,
                   "created_at": v.created_at}
                  for v in s.index.versions(row.id) for variant, ref in v.objects.items()],
        signature_status=state, signatures=[signature_out(r) for r in records],
        created_at=row.created_at, source_pages=row.source_pages,
        superseded_by=row.superseded_by.split(",") if row.superseded_by else [],
    )


def signature_out(record) -> SignatureOut:
    return SignatureOut(**{k: getattr(record, k) for k in SignatureOut.model_fields})


def on_file_out(document) -> OnFileOut:
    return OnFileOut(id=document.id, doc_type=document.doc_type, signed=document.signed,
                     signature_status=document.signature_status, valid_until=document.valid_until,
                     issue_date=document.issue_date)


def procedure_out(p) -> ProcedureOut:
    return ProcedureOut(code=p.code, name=p.name, gloss=p.gloss, level=p.level,
                        required=list(p.required), optional=list(p.optional), result=p.result)


def dossier_out(d) -> DossierOut:
    return DossierOut(code=d.code, procedure_code=d.procedure_code, owner_id=d.owner_id, status=d.status,
                      created_by=d.created_by, created_at=d.created_at,
                      components=[c.__dict__ for c in d.components], missing=d.missing)


def job_out(job: UploadJob) -> JobOut:
    return JobOut(**{k: getattr(job, k) for k in JobOut.model_fields})


def rate_out(rate) -> RateOut:
    return RateOut(numerator=rate.numerator, denominator=rate.denominator, value=rate.value)
