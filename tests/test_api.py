"""The reuse API (pipeline/service/api.py) through FastAPI's test client: access, audit, reuse, content.

Documents here are index rows with objects in the store, as ingest leaves them (the end-to-end
test in test_api_server.py uploads real scans through a real server instead).
"""

from __future__ import annotations

import hashlib
import json
import logging
import random
import re
import time
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from urllib.parse import parse_qs, quote, urlparse

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text

from conftest import cli_env, run_cli
from index_rows import make_row
from pipeline.core.access import AccessStore
from pipeline.core.runtime import Runtime
from pipeline.service.api import ApiServices, build_services, create_app
from pipeline.stores.index import NEEDS_REVIEW, upgrade
from pipeline.clock import office_today as today
from pipeline.samples import make_person
from pipeline.settings import Settings
from pipeline.stores.objects import document_key, open_store, original_key, sha256_hex
from postgres import create_database, drop_database
from schemas.catalog import default_catalog

CATALOG = default_catalog()
REUSABLE = sorted(code for code, t in CATALOG.document_types.items() if t.reusable)
PURPOSE_TEXT = "giải quyết hồ sơ đăng ký kết hôn"
PURPOSE = {"X-Purpose": quote(PURPOSE_TEXT)}
TODAY = today()  # the offices' calendar day (UTC+7), as the API judges validity


# --- fixtures ------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def postgres_url() -> Iterator[str]:
    url = create_database("sohoa_api")
    upgrade(url)
    yield url
    drop_database(url)


@pytest.fixture(params=["sqlite", "postgresql"])
def index_url(request, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'index.sqlite3'}"
    url = request.getfixturevalue("postgres_url")
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("TRUNCATE documents, corrections, document_versions, api_keys, audit_log, "
                          "dossiers, dossier_components, upload_jobs, document_days, dossier_days CASCADE"))
    engine.dispose()
    return url


class Api:
    """A test client plus keys for every scope."""

    def __init__(self, services: ApiServices):
        self.services = services
        self.client = TestClient(create_app(services))
        access = AccessStore(services.index)
        self.keys = {
            scope: access.create_key(f"client-{scope.replace(':', '-')}", [scope]).key
            for scope in ("documents:read", "documents:write", "documents:sign", "admin")
        }

    def headers(self, scope: str, **extra: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.keys[scope]}", **PURPOSE, **extra}

    def get(self, path: str, scope: str = "documents:read", **kwargs):
        return self.client.get(path, headers=self.headers(scope), **kwargs)

    def post(self, path: str, scope: str = "documents:read", **kwargs):
        return self.client.post(path, headers=self.headers(scope), **kwargs)

    def add_document(self, n: int, *, owner_id: str, doc_type: str, status: str = "stored",
                     valid_until: date | None = None, issue_date: date | None = None,
                     content: bytes | None = None, searchable: bytes | None = None) -> str:
        """A stored document: its objects in the store and its row in the index."""
        content = content or f"%PDF-1.7 document {n} {doc_type}".encode()
        sha = sha256_hex(content)
        searchable = searchable or content + b" searchable"
        row = make_row(n, id=sha[:32], sha256=sha, original_key=original_key(sha),
                       searchable_key=document_key(sha[:32], 1, "searchable.pdf"),
                       ocr_key=document_key(sha[:32], 1, "ocr.json"),
                       searchable_sha256=sha256_hex(searchable), ocr_sha256=sha256_hex(b"{}"),
                       owner_id=owner_id, doc_type=doc_type, status=status, valid_until=valid_until,
                       issue_date=issue_date or TODAY - timedelta(days=n % 300),
                       title=CATALOG.type(doc_type).title, type_confidence=0.97,
                       text=f"{CATALOG.type(doc_type).title} của công dân số {n}")
        store = self.services.store
        store.put(row.original_key, content)
        store.put(row.searchable_key, searchable)
        store.put(row.ocr_key, b"{}")
        self.services.index.add(row)
        return row.id


def make_api(tmp_path: Path, index_url: str, classifier, **overrides) -> Api:
    settings = Settings(home=tmp_path / "home", database_url=index_url, **overrides)
    services = build_services(Runtime(settings, store=open_store((tmp_path / "objects").as_uri()),
                                      classifier=classifier))
    return Api(services)


@pytest.fixture
def api(tmp_path: Path, index_url: str, classifier) -> Iterator[Api]:
    made = make_api(tmp_path, index_url, classifier)
    yield made
    made.services.uploads.shutdown()
    made.services.index.close()


OWNER = make_person(7001).personal_id
OTHER_OWNER = make_person(7002).personal_id


# --- access ----------------------------------------------------------------------------------------

ENDPOINTS = [
    # (method, path, scope needed, json body)
    ("GET", "/v1/documents/{doc}", "documents:read", None),
    ("GET", "/v1/documents/{doc}/content", "documents:read", None),
    ("GET", "/v1/documents/{doc}/signatures", "documents:read", None),
    ("POST", "/v1/documents/{doc}/sign", "documents:sign", {"kind": "official"}),
    ("GET", f"/v1/owners/{OWNER}/documents", "documents:read", None),
    ("GET", "/v1/procedures", None, None),
    ("GET", "/v1/procedures/1.000894", None, None),
    ("POST", "/v1/procedures/1.000894/check", "documents:read", {"owner_id": OWNER}),
    ("POST", "/v1/dossiers", "documents:write", {"procedure_code": "1.000894", "owner_id": OWNER}),
    ("GET", "/v1/dossiers/NOPE", "documents:read", None),
    ("GET", "/v1/jobs/nope", "documents:write", None),
    ("GET", "/v1/search?q=can%20cuoc", "documents:read", None),
    ("GET", "/v1/stats", "admin", None),
]


@pytest.mark.parametrize("method,path,scope,body", ENDPOINTS)
def test_every_endpoint_needs_a_key_and_its_scope(api: Api, method, path, scope, body):
    """GIVEN a stored document and keys holding one scope each
    WHEN each endpoint is called with no key, a wrong key, a key of another scope, and the right one
    THEN 401, 401, 403 and an answer that is neither, each error as problem+json with its code."""
    doc = api.add_document(1, owner_id=OWNER, doc_type="can_cuoc")
    url = path.format(doc=doc)

    def call(headers):
        return api.client.request(method, url, headers={**PURPOSE, **headers}, json=body)

    missing = call({})
    assert missing.status_code == 401
    assert missing.headers["content-type"] == "application/problem+json"
    assert missing.json()["code"] == "unauthorized"
    assert missing.headers["www-authenticate"].startswith("Bearer")
    assert call({"Authorization": "Bearer sohoa_not-a-real-key"}).status_code == 401

    if scope is not None:
        others = [s for s in api.keys if s not in (scope, "admin")]
        for other in others:
            denied = call({"X-API-Key": api.keys[other]})
            assert denied.status_code == 403, (other, denied.text)
            assert denied.json()["code"] == "forbidden"
    allowed = call({"X-API-Key": api.keys[scope or "documents:read"]})
    assert allowed.status_code not in (401, 403), allowed.text
    # no signing key is configured here: signing itself is tested in test_api_server.py
    assert allowed.status_code < 500 or allowed.json()["code"] == "signing_not_configured"
    assert call({"X-API-Key": api.keys["admin"]}).status_code not in (401, 403)


def test_a_key_limited_to_types_cannot_read_others(api: Api):
    """GIVEN a key that may read only can_cuoc
    WHEN it reads a can_cuoc, a birth certificate, and the owner's list
    THEN the first is served, the second is 403, and the list holds only can_cuoc."""
    card = api.add_document(1, owner_id=OWNER, doc_type="can_cuoc")
    birth = api.add_document(2, owner_id=OWNER, doc_type="giay_khai_sinh")
    key = AccessStore(api.services.index).create_key("ho-tich", ["documents:read"], ["can_cuoc"]).key
    headers = {"X-API-Key": key, **PURPOSE}
    assert api.client.get(f"/v1/documents/{card}", headers=headers).status_code == 200
    refused = api.client.get(f"/v1/documents/{birth}", headers=headers)
    assert refused.status_code == 403 and refused.json()["code"] == "forbidden_type"
    assert api.client.get(f"/v1/documents/{birth}/content", headers=headers).status_code == 403
    listed = api.client.get(f"/v1/owners/{OWNER}/documents", headers=headers).json()
    assert [d["id"] for d in listed["documents"]] == [card]
    check = api.client.post("/v1/procedures/1.001193/check", headers=headers,
                            json={"owner_id": OWNER}).json()
    # the birth certificate is not a component here; the card is optional and visible
    card_component = next(c for c in check["components"] if c["doc_type"] == "can_cuoc")
    assert card_component["document"]["id"] == card


def test_a_revoked_key_is_refused_at_once(api: Api):
    """GIVEN a working key WHEN it is revoked THEN the next request is 401."""
    assert api.get("/v1/procedures").status_code == 200
    assert AccessStore(api.services.index).revoke_key("client-documents-read")
    assert api.get("/v1/procedures").status_code == 401


def test_too_many_requests_get_429_with_retry_after(tmp_path: Path, classifier):
    """GIVEN a limit of 5 requests a minute per key
    WHEN one client sends 7 and another 1
    THEN the 6th and 7th are 429 with Retry-After, and the other client is not limited."""
    api = make_api(tmp_path, f"sqlite:///{tmp_path / 'index.sqlite3'}", classifier, rate_limit_per_minute=5)
    answers = [api.get("/v1/procedures").status_code for _ in range(7)]
    assert answers == [200] * 5 + [429] * 2
    limited = api.get("/v1/procedures")
    assert limited.json()["code"] == "rate_limited"
    assert 1 <= int(limited.headers["retry-after"]) <= 60
    assert api.get("/v1/procedures", scope="admin").status_code == 200


def test_reads_of_personal_data_need_a_purpose_and_are_audited(api: Api, tmp_path: Path, index_url: str):
    """GIVEN a document of an owner
    WHEN a client reads it without X-Purpose, then with one, then its content and the owner's list
    THEN the first is 400 purpose_required; each other read is one audit row with client, action,
    target, purpose and time, which `sohoa audit --owner` lists."""
    doc = api.add_document(1, owner_id=OWNER, doc_type="can_cuoc")
    bare = api.client.get(f"/v1/documents/{doc}", headers={"X-API-Key": api.keys["documents:read"]})
    assert bare.status_code == 400 and bare.json()["code"] == "purpose_required"
    assert api.get(f"/v1/documents/{doc}").status_code == 200
    assert api.get(f"/v1/documents/{doc}/content").status_code == 200
    assert api.get(f"/v1/owners/{OWNER}/documents").status_code == 200
    api.add_document(2, owner_id=OTHER_OWNER, doc_type="can_cuoc")

    entries = AccessStore(api.services.index).audit_entries(owner_id=OWNER)
    assert [e.action for e in entries] == ["list_owner_documents", "read_content:searchable", "read_document"]
    assert {e.client for e in entries} == {"client-documents-read"}
    assert {e.purpose for e in entries} == {PURPOSE_TEXT}
    assert entries[-1].target == doc

    if index_url.startswith("sqlite"):
        env = cli_env(tmp_path / "home", SOHOA_DATABASE_URL=index_url)
        listed = run_cli(env, "audit", "--owner", OWNER, "--json")
        assert listed.returncode == 0, listed.stderr
        rows = [json.loads(line) for line in listed.stdout.splitlines()]
        assert [r["action"] for r in rows] == [e.action for e in entries]
        assert run_cli(env, "audit", "--client", "nobody", "--json").stdout == ""


def test_owner_ids_never_reach_the_logs(api: Api, caplog):
    """GIVEN reads, checks and dossiers about an owner WHEN every log line is captured
    THEN the owner's personal ID appears in none of sohoa's (only masked); the access log has
    the requests with the ID masked. (httpx's own lines are the test client's, not the server's.)"""
    caplog.set_level(logging.DEBUG)
    api.add_document(1, owner_id=OWNER, doc_type="can_cuoc")
    api.get(f"/v1/owners/{OWNER}/documents")
    api.post("/v1/procedures/1.000894/check", json={"owner_id": OWNER})
    api.post("/v1/dossiers", scope="documents:write", json={"procedure_code": "1.000894", "owner_id": OWNER})
    api.get(f"/v1/search?q=can%20cuoc&owner={OWNER}")
    server_lines = [r.getMessage() for r in caplog.records if not r.name.startswith("httpx")]
    assert len([line for line in server_lines if "/v1/" in line]) >= 4, "every request is in the access log"
    assert all(OWNER not in line for line in server_lines)
    assert any(OWNER[-3:] in line for line in server_lines)



def test_sohoa_audit_masks_personal_ids_inside_targets(api: Api, tmp_path: Path):
    """GIVEN a search whose query is a citizen's personal ID (the audit target is `q=<ID>`)
    WHEN `sohoa audit` lists the reads, as a table and as JSON, without --owner
    THEN the ID is masked in the target and the owner columns; asked with --owner for that
    citizen, the citizen's own ID is shown"""
    api.add_document(1, owner_id=OWNER, doc_type="can_cuoc")
    assert api.get(f"/v1/search?q={OWNER}").status_code == 200
    assert api.get(f"/v1/search?q=can&owner={OWNER}").status_code == 200
    env = cli_env(tmp_path / "home", SOHOA_DATABASE_URL=api.services.index.url)
    table = run_cli(env, "audit")
    as_json = run_cli(env, "audit", "--json")
    assert table.returncode == 0 and as_json.returncode == 0, table.stderr + as_json.stderr
    assert OWNER not in table.stdout and OWNER[-3:] in table.stdout
    assert OWNER not in as_json.stdout
    assert {json.loads(line)["target"] for line in as_json.stdout.splitlines()} >= {"q=*********" + OWNER[-3:]}
    mine = run_cli(env, "audit", "--owner", OWNER, "--json")
    assert [json.loads(line)["owner_id"] for line in mine.stdout.splitlines()] == [OWNER]


def test_only_list_parameters_may_be_repeated(api: Api):
    """GIVEN an owner's papers of two types
    WHEN the list is asked for with `type` twice (a list parameter), and a search with `limit`
    twice
    THEN the list holds both types; the search is 422 repeated_parameter naming `limit`"""
    api.add_document(1, owner_id=OWNER, doc_type="can_cuoc")
    api.add_document(2, owner_id=OWNER, doc_type="giay_khai_sinh")
    listed = api.get(f"/v1/owners/{OWNER}/documents?type=can_cuoc&type=giay_khai_sinh")
    assert listed.status_code == 200, listed.text
    assert {d["doc_type"] for d in listed.json()["documents"]} == {"can_cuoc", "giay_khai_sinh"}
    refused = api.get("/v1/search?q=can&limit=1&limit=50")
    assert refused.status_code == 422 and refused.json()["code"] == "repeated_parameter"
    assert "limit" in refused.json()["detail"]


def test_errors_are_problem_json_with_stable_codes(api: Api):
    """GIVEN requests for unknown things and malformed bodies
    THEN each answer is problem+json with type, title, status and a stable code."""
    cases = {
        ("GET", "/v1/documents/ffffffffffffffffffffffffffffffff", None): (404, "not_found"),
        ("GET", "/v1/procedures/9.999999", None): (404, "unknown_procedure"),
        ("GET", "/v1/owners/12345/documents", None): (422, "invalid_owner_id"),
        ("POST", "/v1/procedures/1.000894/check", json.dumps({"owner_id": "x"})): (422, "invalid_request"),
        ("GET", "/v1/nowhere", None): (404, "no_such_endpoint"),
    }
    for (method, path, body), (status, code) in cases.items():
        answer = api.client.request(method, path, content=body, headers={
            **api.headers("admin"), "Content-Type": "application/json"})
        assert answer.status_code == status, (path, answer.text)
        problem = answer.json()
        assert answer.headers["content-type"] == "application/problem+json"
        assert problem["code"] == code and problem["status"] == status
        assert problem["type"].endswith("/" + code) and problem["title"]


# --- documents and content -------------------------------------------------------------------------

def test_document_metadata_versions_and_content_stream(api: Api):
    """GIVEN a stored document with a second (signed) version
    WHEN its metadata and each variant are fetched
    THEN the record lists both versions; original and searchable bytes are the stored ones with
    their SHA-256 as ETag; version=1 of signed is 404; the signed variant is the new version."""
    doc = api.add_document(1, owner_id=OWNER, doc_type="giay_khai_sinh", content=b"%PDF-1.7 original")
    signed_key = document_key(doc, 2, "signed.pdf")
    api.services.store.put(signed_key, b"%PDF-1.7 signed")
    api.services.index.add_version(doc, {"signed": (signed_key, sha256_hex(b"%PDF-1.7 signed"))})

    record = api.get(f"/v1/documents/{doc}").json()
    assert record["doc_type"] == "giay_khai_sinh" and record["owner_id"] == OWNER
    assert {(v["version"], v["variant"]) for v in record["versions"]} == {
        (1, "original"), (1, "searchable"), (1, "ocr"), (2, "signed")}
    original = api.get(f"/v1/documents/{doc}/content?variant=original")
    assert original.content == b"%PDF-1.7 original"
    assert original.headers["etag"] == f'"{hashlib.sha256(b"%PDF-1.7 original").hexdigest()}"'
    signed = api.get(f"/v1/documents/{doc}/content?variant=signed")
    assert signed.content == b"%PDF-1.7 signed" and signed.headers["x-document-version"] == "2"
    assert signed.headers["content-type"] == "application/pdf"
    assert api.get(f"/v1/documents/{doc}/content?variant=signed&version=1").json()["code"] == "no_such_variant"
    assert api.get(f"/v1/documents/{doc}/content?variant=bogus").status_code == 422



def test_a_download_is_audited_with_the_status_actually_sent(api: Api):
    """GIVEN a document whose searchable object has gone from the store
    WHEN its content is asked for, then its original (still there)
    THEN the first answer is an error problem and its audit row records that status, not 200;
    the second is 200 and audited as 200"""
    doc = api.add_document(1, owner_id=OWNER, doc_type="can_cuoc")
    row = api.services.index.get(doc)
    api.services.store.delete(row.searchable_key)
    missing = api.get(f"/v1/documents/{doc}/content")
    assert missing.status_code >= 400 and missing.headers["content-type"] == "application/problem+json"
    assert api.get(f"/v1/documents/{doc}/content?variant=original").status_code == 200
    entries = AccessStore(api.services.index).audit_entries(owner_id=OWNER)
    assert [(e.action, e.outcome) for e in entries] == [
        ("read_content:original", 200), ("read_content:searchable", missing.status_code)]


def test_a_download_name_survives_any_stored_file_name():
    """GIVEN stored file names with CR/LF, quotes, path separators, Vietnamese and nothing at all
    WHEN the Content-Disposition of their download is built
    THEN it is one header line of ASCII: a quoted fallback of letters, digits and `._-`, and the
    UTF-8 name percent-encoded in filename* (RFC 6266/5987)"""
    from pipeline.service.api.routes.documents import content_disposition, download_name

    for stored in ["a\r\nb.png", 'q"uote.pdf', "../../etc/passwd", "C:\\scans\\giấy khai sinh.tif", "", "\x00"]:
        for variant in ("original", "searchable"):
            header = content_disposition(download_name(stored, variant))
            assert header.isascii() and header.isprintable(), header
            fallback = header.split('filename="')[1].split('"')[0]
            assert re.fullmatch(r"[A-Za-z0-9._-]+", fallback), header
            assert "filename*=UTF-8''" in header and "/" not in header.split("''")[1]
    assert download_name("C:\\scans\\giấy khai sinh.tif", "original") == "giấy khai sinh.tif"
    assert download_name("Hồ sơ.png", "searchable") == "Hồ sơ.searchable.pdf"
    assert 'filename="Ho_so.searchable.pdf"' in content_disposition("Hồ sơ.searchable.pdf")


@pytest.mark.s3
def test_content_on_s3_is_a_short_lived_presigned_redirect(tmp_path: Path, s3_endpoint, classifier):
    """GIVEN the store is S3 and URLs live 2 s
    WHEN content is asked for
    THEN the answer is 307 to a URL signed for 2 s that serves the same bytes; the expiry is inside
    the signature (changing it breaks the URL); a real S3/MinIO refuses it once expired (moto
    does not enforce expiry, so that last step runs only against SOHOA_TEST_S3)."""
    store = open_store(s3_endpoint.url(s3_endpoint.new_bucket_name()), access_key=s3_endpoint.access_key,
                       secret_key=s3_endpoint.secret_key)
    settings = Settings(home=tmp_path / "home", presign_seconds=2)
    services = build_services(Runtime(settings, store=store, classifier=classifier))
    api = Api(services)
    doc = api.add_document(1, owner_id=OWNER, doc_type="can_cuoc", content=b"%PDF-1.7 on s3")

    answer = api.get(f"/v1/documents/{doc}/content?variant=original", follow_redirects=False)
    assert answer.status_code == 307
    url = answer.headers["location"]
    query = parse_qs(urlparse(url).query)
    assert query["X-Amz-Expires"] == ["2"] and "X-Amz-Signature" in query
    import httpx

    assert httpx.get(url).content == b"%PDF-1.7 on s3"
    if not s3_endpoint.is_moto:
        tampered = url.replace("X-Amz-Expires=2", "X-Amz-Expires=3600")
        assert httpx.get(tampered).status_code == 403
        time.sleep(3)
        assert httpx.get(url).status_code == 403
    else:
        from botocore.auth import S3SigV4QueryAuth  # noqa: F401 - the signature covers X-Amz-Expires:
        assert "X-Amz-Expires" not in query["X-Amz-SignedHeaders"][0]  # it is a signed query parameter
        _assert_sigv4_query_signature(url, s3_endpoint)


def _assert_sigv4_query_signature(url: str, endpoint) -> None:
    """Recompute the SigV4 query signature independently (RFC-style canonical request) and check
    it matches, and that with another expiry it would not."""
    import hmac

    parsed = urlparse(url)
    params = {k: v[0] for k, v in parse_qs(parsed.query, keep_blank_values=True).items()}

    def signature(p: dict[str, str]) -> str:
        canonical_query = "&".join(f"{quote(k, safe='-_.~')}={quote(v, safe='-_.~')}"
                                   for k, v in sorted(p.items()) if k != "X-Amz-Signature")
        canonical = "\n".join(["GET", quote(parsed.path, safe="/-_.~"), canonical_query,
                               f"host:{parsed.netloc}\n", "host", "UNSIGNED-PAYLOAD"])
        scope = p["X-Amz-Credential"].split("/", 1)[1]
        to_sign = "\n".join(["AWS4-HMAC-SHA256", p["X-Amz-Date"], scope,
                             hashlib.sha256(canonical.encode()).hexdigest()])
        day, region, service, _ = scope.split("/")
        key = ("AWS4" + endpoint.secret_key).encode()
        for part in (day, region, service, "aws4_request"):
            key = hmac.new(key, part.encode(), hashlib.sha256).digest()
        return hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()

    assert signature(params) == params["X-Amz-Signature"]
    assert signature({**params, "X-Amz-Expires": "3600"}) != params["X-Amz-Signature"]


# --- reuse ---------------------------------------------------------------------------------------------

def _population(api: Api, owners: int, seed: int) -> dict[str, set[str]]:
    """Owners with papers in every state; returns owner -> the types validly on file."""
    rng = random.Random(seed)
    on_file: dict[str, set[str]] = {}
    n = 100
    for i in range(owners):
        owner = make_person(seed * 1000 + i).personal_id
        on_file[owner] = set()
        for doc_type in [*REUSABLE, "to_khai"]:
            state = rng.choice(["none", "valid", "valid", "expired", "review", "undated"])
            n += 1
            if state == "none":
                continue
            valid_until = {"valid": TODAY + timedelta(days=rng.randint(0, 900)),
                           "expired": TODAY - timedelta(days=rng.randint(1, 400)),
                           "review": TODAY + timedelta(days=30), "undated": None}[state]
            api.add_document(n, owner_id=owner, doc_type=doc_type, valid_until=valid_until,
                             status=NEEDS_REVIEW if state == "review" else "stored")
            if state in ("valid", "undated") and doc_type != "to_khai":
                on_file[owner].add(doc_type)
        # someone else's papers never count
        n += 1
        api.add_document(n, owner_id=make_person(seed * 1000 + 999).personal_id,
                         doc_type=rng.choice(REUSABLE), valid_until=None)
    return on_file


def test_the_reuse_check_finds_exactly_the_papers_on_file(api: Api):
    """GIVEN 12 owners whose papers are valid, expired, unchecked, undated or absent, plus forms
    (never reusable) and other people's papers
    WHEN every procedure is checked for every owner
    THEN each required component is on file exactly when a valid, checked paper of that type of
    that owner exists, and `missing` lists the others."""
    on_file = _population(api, owners=12, seed=41)
    for owner, types in on_file.items():
        listed = api.get(f"/v1/owners/{owner}/documents").json()
        assert {d["doc_type"] for d in listed["documents"]} == types
        for procedure in CATALOG.procedures.values():
            result = api.post(f"/v1/procedures/{procedure.code}/check", json={"owner_id": owner}).json()
            assert result["missing"] == [t for t in procedure.required if t not in types], procedure.code
            for component in result["components"]:
                assert (component["status"] == "on_file") == (component["doc_type"] in types)
                if component["document"]:
                    assert component["document"]["doc_type"] == component["doc_type"]


def test_a_second_procedure_needs_only_what_is_not_on_file(api: Api):
    """GIVEN a citizen with only a birth certificate on file
    WHEN she opens a marriage registration dossier, brings the missing papers (stored as
    documents), then starts a household business registration
    THEN the first dossier reuses nothing she lacks and lists the rest as missing; the second
    needs only the form (forms are never reused) — her ID card is reused by reference."""
    citizen = make_person(8801).personal_id
    api.add_document(1, owner_id=citizen, doc_type="giay_khai_sinh")
    marriage = api.post("/v1/dossiers", scope="documents:write",
                        json={"procedure_code": "1.000894", "owner_id": citizen}).json()
    assert marriage["status"] == "incomplete"
    assert marriage["missing"] == ["to_khai", "can_cuoc", "xac_nhan_tinh_trang_hon_nhan"]
    # the papers she brought are digitised
    card = api.add_document(2, owner_id=citizen, doc_type="can_cuoc", valid_until=TODAY + timedelta(days=3650))
    api.add_document(3, owner_id=citizen, doc_type="to_khai")
    api.add_document(4, owner_id=citizen, doc_type="xac_nhan_tinh_trang_hon_nhan",
                     valid_until=TODAY + timedelta(days=180))

    check = api.post("/v1/procedures/2.000720/check", json={"owner_id": citizen}).json()
    assert check["missing"] == ["to_khai"]
    business = api.post("/v1/dossiers", scope="documents:write",
                        json={"procedure_code": "2.000720", "owner_id": citizen}).json()
    reused = {c["doc_type"]: c["document_id"] for c in business["components"] if c["source"] == "reused"}
    assert reused["can_cuoc"] == card
    assert business["missing"] == ["to_khai"]
    assert business["code"].startswith(api.services.settings.agency_code + "-")
    again = api.get(f"/v1/dossiers/{business['code']}").json()
    assert again["components"] == business["components"]


def test_a_dossier_attaches_by_reference_and_refuses_someone_elses_paper(api: Api):
    """GIVEN two owners' ID cards
    WHEN a dossier attaches the owner's card explicitly, then another attaches the other's card
    THEN the first is attached by reference; the second is 409 dossier_conflict and no dossier is made."""
    mine = api.add_document(1, owner_id=OWNER, doc_type="can_cuoc")
    theirs = api.add_document(2, owner_id=OTHER_OWNER, doc_type="can_cuoc")
    made = api.post("/v1/dossiers", scope="documents:write", json={
        "procedure_code": "1.004873", "owner_id": OWNER, "code": "HS-A", "documents": {"can_cuoc": mine},
        "reuse": False}).json()
    assert {c["doc_type"]: c["source"] for c in made["components"]}["can_cuoc"] == "reused"
    refused = api.post("/v1/dossiers", scope="documents:write", json={
        "procedure_code": "1.004873", "owner_id": OWNER, "code": "HS-B", "documents": {"can_cuoc": theirs}})
    assert refused.status_code == 409 and refused.json()["code"] == "dossier_conflict"
    assert api.get("/v1/dossiers/HS-B").status_code == 404
    duplicate = api.post("/v1/dossiers", scope="documents:write", json={
        "procedure_code": "1.004873", "owner_id": OWNER, "code": "HS-A"})
    assert duplicate.status_code == 409


def test_stats_report_digitisation_reuse_and_signing_rates(api: Api):
    """GIVEN two dossiers — one whose papers are all on file, one with a missing paper — and three
    issued birth certificates
    WHEN the figures are asked for
    THEN digitisation is 1/2 and reuse counts reused required components over all required ones;
    no result is signed yet (signed results: tests/test_api_server.py)."""
    citizen = make_person(9901).personal_id
    api.add_document(1, owner_id=citizen, doc_type="can_cuoc")
    api.add_document(2, owner_id=citizen, doc_type="xac_nhan_tinh_trang_hon_nhan")
    api.post("/v1/dossiers", scope="documents:write", json={"procedure_code": "1.000894", "owner_id": citizen})
    api.post("/v1/dossiers", scope="documents:write", json={"procedure_code": "1.000894", "owner_id": OWNER})
    for i in range(3):
        api.add_document(10 + i, owner_id=OWNER, doc_type="giay_khai_sinh")
    figures = api.get("/v1/stats", scope="admin").json()
    assert figures["digitisation"] == {"numerator": 1, "denominator": 2, "value": 0.5}
    # marriage: to_khai, can_cuoc, xac_nhan… required; the citizen reuses 2, OWNER none
    assert figures["reuse"]["numerator"] == 2 and figures["reuse"]["denominator"] == 6
    assert figures["reuse_by_type"]["can_cuoc"] == {"numerator": 1, "denominator": 2, "value": 0.5}
    # results: the 3 birth certificates and the marital status confirmation (a result of 1.004873)
    assert figures["results_signed"] == {"numerator": 0, "denominator": 4, "value": 0.0}
    assert sum(figures["documents_by_type"].values()) == 5
    assert sum(figures["dossiers_by_day"].values()) == 2


def test_health_readiness_and_metrics(api: Api):
    """GIVEN a running app WHEN probed THEN /healthz and /readyz are 200 and /metrics counts
    requests by route; with the index unreachable /readyz is 503."""
    assert api.client.get("/healthz").json() == {"status": "ok"}
    assert api.client.get("/readyz").status_code == 200
    api.get("/v1/procedures")
    metrics = api.client.get("/metrics").text
    assert 'sohoa_http_requests_total{method="GET",route="/v1/procedures",status="200"} 1.0' in metrics
    api.services.index.engine = create_engine("postgresql+psycopg://nobody@127.0.0.1:1/none",
                                              connect_args={"connect_timeout": 1})
    down = api.client.get("/readyz")
    assert down.status_code == 503 and down.json()["code"] == "index_unavailable"


# --- signing through the API ----------------------------------------------------------------------

def test_server_side_signing_makes_a_signed_reusable_result(tmp_path: Path, classifier, pki):
    """GIVEN a server configured with an official's PKCS#12 key and the test PKI's root
    WHEN a client with documents:sign signs an issued birth certificate
    THEN the answer shows version 2 signed (TOTAL_PASSED, B-B); the signatures endpoint reports it;
    the signed variant is an incremental update of the unsigned PDF; the reuse check offers it
    as signed; and the office's figures count one signed result."""
    from pdfa import page_pdf
    from pki import PASSPHRASE

    api = make_api(tmp_path, f"sqlite:///{tmp_path / 'index.sqlite3'}", classifier,
                   sign_key=str(pki.pkcs12("official")), key_passphrase=PASSPHRASE,
                   trust_roots=pki.root_pem, signature_fetching=True)
    unsigned = page_pdf()
    doc = api.add_document(1, owner_id=OWNER, doc_type="giay_khai_sinh", searchable=unsigned)
    signed = api.post(f"/v1/documents/{doc}/sign", scope="documents:sign", json={
        "kind": "official", "position": "Chủ tịch", "agency": "UBND phường Bến Nghé"})
    assert signed.status_code == 200, signed.text
    record = signed.json()
    assert record["version"] == 2 and record["signature_status"] == "signed"
    assert (2, "signed") in {(v["version"], v["variant"]) for v in record["versions"]}
    signatures = api.get(f"/v1/documents/{doc}/signatures").json()
    assert [(s["version"], s["indication"], s["level"]) for s in signatures] == [(2, "TOTAL_PASSED", "B-B")]
    content = api.get(f"/v1/documents/{doc}/content?variant=signed").content
    assert content.startswith(unsigned) and len(content) > len(unsigned)
    on_file = api.get(f"/v1/owners/{OWNER}/documents").json()["documents"]
    assert [(d["id"], d["signed"], d["signature_status"]) for d in on_file] == [(doc, True, "signed")]
    assert api.get("/v1/stats", scope="admin").json()["results_signed"]["numerator"] == 1
    reader = api.post(f"/v1/documents/{doc}/sign", json={"kind": "official"})
    assert reader.status_code == 403
    api.services.signer.close()


def test_request_ids_never_look_like_a_personal_id():
    """GIVEN the ids the API gives each request (shown in its log and the X-Request-ID header)
    WHEN many are made
    THEN none holds a run of digits that a reader, or the log masking, takes for a personal ID"""
    from pipeline.service.api.middleware import new_request_id

    ids = {new_request_id() for _ in range(20_000)}
    assert len(ids) == 20_000
    assert not any(re.search(r"\d", request_id) for request_id in ids)
