"""The reuse API under attack: a real `sohoa serve` on loopback over PostgreSQL, sent hostile
requests — control characters, LIKE wildcards, huge and negative numbers, deep JSON, repeated
parts and parameters, confusable characters, broken encodings, bodies without a key.

Every answer is a 4xx problem+json with a stable code (never a 5xx, never a dropped connection)
and no line the server logs holds a 12-digit personal ID number.
"""

from __future__ import annotations

import json
import re
import socket
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from conftest import run_cli
from sqlalchemy import create_engine, text
from sohoa_serve import Server
from index_rows import make_row
from postgres import create_database, drop_database

from pipeline.samples import make_person
from pipeline.stores.index import Index, upgrade
from pipeline.stores.objects import document_key, open_store, original_key, sha256_hex

OWNER = make_person(6101).personal_id
PURPOSE_TEXT = "giải quyết hồ sơ đăng ký khai sinh"
PURPOSE = {"X-Purpose": quote(PURPOSE_TEXT)}
# a personal ID stands as a word of its own; twelve digits inside a hex document id are not one
PERSONAL_ID = re.compile(r"(?<![0-9A-Za-z])[0-9]{12}(?![0-9A-Za-z])")
CRLF_NAME = "Giấy khai sinh\r\nSet-Cookie: x=1.png"


@dataclass
class Served:
    """A running server on a PostgreSQL index, its keys and the documents stored in it."""

    server: Server
    url: str
    keys: dict[str, str]
    documents: dict[str, str] = field(default_factory=dict)

    def headers(self, scope: str = "admin", **extra: str) -> dict[str, str]:
        return {"X-API-Key": self.keys[scope], **PURPOSE, **extra}

    def request(self, method: str, path: str, *, scope: str | None = "admin",
                headers: dict[str, Any] | None = None, **kwargs) -> httpx.Response:
        """One request on its own connection (a refused one must not spoil the next)."""
        sent = {**(self.headers(scope) if scope else {}), **(headers or {})}
        with httpx.Client(base_url=self.server.url, timeout=30) as client:
            return client.request(method, path, headers=sent, **kwargs)

    def logged_after(self, response: httpx.Response) -> str:
        """The server's log once the access line of ``response`` is in it."""
        request_id = response.headers.get("x-request-id")
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            log = self.server.log()
            if request_id and request_id in log:
                return log
            time.sleep(0.05)
        return self.server.log()


def _store_document(index: Index, store, n: int, *, filename: str, content: bytes) -> str:
    sha = sha256_hex(content)
    searchable = content + b" searchable"
    row = make_row(n, id=sha[:32], sha256=sha, filename=filename, owner_id=OWNER, doc_type="can_cuoc",
                   original_key=original_key(sha), searchable_key=document_key(sha[:32], 1, "searchable.pdf"),
                   ocr_key=document_key(sha[:32], 1, "ocr.json"), searchable_sha256=sha256_hex(searchable),
                   ocr_sha256=sha256_hex(b"{}"), title="Căn cước", text="CĂN CƯỚC công dân")
    store.put(row.original_key, content)
    store.put(row.searchable_key, searchable)
    store.put(row.ocr_key, b"{}")
    index.add(row)
    return row.id


@pytest.fixture(scope="module")
def served(tmp_path_factory) -> Iterator[Served]:
    url = create_database("sohoa_hostile")
    upgrade(url)
    home = tmp_path_factory.mktemp("hostile") / "home"
    server = Server(home, SOHOA_DATABASE_URL=url)
    keys = {"admin": server.key("kiem-thu", "admin"), "reader": server.key("doc-giay-to", "documents:read")}
    index, store = Index(url), open_store((home / "objects").as_uri())
    documents = {
        "card": _store_document(index, store, 1, filename="can-cuoc.png", content=b"%PDF-1.7 card"),
        "crlf": _store_document(index, store, 2, filename=CRLF_NAME, content=b"\x89PNG crlf"),
    }
    index.close()
    try:
        yield Served(server.start(), url, keys, documents)
    finally:
        if server.process and server.process.poll() is None:
            server.stop()
        drop_database(url)


def _personal_ids(log: str) -> list[str]:
    return [line for line in log.splitlines() if PERSONAL_ID.search(line)]


# --- item 3: a NUL byte ------------------------------------------------------------------------

def test_a_nul_byte_is_refused_before_sql_and_no_id_reaches_the_log(served: Served):
    """GIVEN a document of a citizen on a PostgreSQL index behind `sohoa serve`
    WHEN a client sends a NUL byte as its purpose, in a search, and as a document id
    THEN each is 422 problem+json naming the reason (no 500, no database error), and the server
    log holds no 12-digit number, no traceback and no SQL parameters"""
    card = served.documents["card"]
    answers = {
        "purpose": served.request("GET", f"/v1/documents/{card}", headers={"X-Purpose": "%00"}),
        "search": served.request("GET", "/v1/search?q=%00abc"),
        "path": served.request("GET", "/v1/documents/%00%00%00%00%00%00"),
    }
    for where, answer in answers.items():
        assert answer.status_code == 422, (where, answer.text)
        assert answer.headers["content-type"] == "application/problem+json"
        assert answer.json()["code"] in ("invalid_purpose", "invalid_characters"), where
    log = served.logged_after(answers["path"])
    assert not _personal_ids(log), _personal_ids(log)
    assert "Traceback" not in log and "parameters" not in log


# --- item 4: wildcards in id prefixes ----------------------------------------------------------

@pytest.mark.parametrize("suffix", ["%25%25", "__", "%25", "_%25"])
def test_an_id_prefix_with_wildcards_finds_nothing(served: Served, suffix: str):
    """GIVEN a stored document WHEN it is asked for by its first characters followed by `%` or `_`
    THEN 404 not_found: ids match as lowercase hex, never as a LIKE pattern"""
    answer = served.request("GET", f"/v1/documents/{served.documents['card'][:4]}{suffix}")
    assert answer.status_code == 404, answer.text
    assert answer.json()["code"] == "not_found"


# --- item 5: a CR/LF in a file name ------------------------------------------------------------

def test_an_original_whose_name_holds_cr_lf_downloads_and_is_audited_as_sent(served: Served):
    """GIVEN an original whose stored file name holds CR/LF, a header-like tail and Vietnamese
    WHEN its original is downloaded
    THEN it arrives (200, the same bytes) with a Content-Disposition that has an ASCII fallback
    and the UTF-8 name percent-encoded (RFC 6266/5987), control characters dropped, no injected
    header; and the audit row records the 200 that was sent"""
    doc = served.documents["crlf"]
    answer = served.request("GET", f"/v1/documents/{doc}/content?variant=original", scope="reader")
    assert answer.status_code == 200, answer.text
    assert answer.content == b"\x89PNG crlf"
    disposition = answer.headers["content-disposition"]
    assert disposition.startswith('attachment; filename="')
    assert "filename*=UTF-8''Gi%E1%BA%A5y%20khai%20sinhSet-Cookie%3A%20x%3D1.png" in disposition
    assert "set-cookie" not in answer.headers
    assert re.search(r'filename="[A-Za-z0-9._-]+"', disposition), disposition
    rows = [json.loads(line) for line in run_cli(served.server.env, "audit", "--client", "doc-giay-to",
                                                 "--json").stdout.splitlines()]
    assert [(r["action"], r["outcome"]) for r in rows if r["target"].startswith(doc)] == [
        ("read_content:original", 200)]


# --- item 6: percent-encoded digits and raw UTF-8 ----------------------------------------------

def test_percent_encoded_digits_are_masked_in_the_access_log(served: Served):
    """GIVEN a citizen's ID written with one digit percent-encoded (`…0012%334`), in a query and
    in a path, and double-encoded (`%2533`)
    WHEN a client sends them
    THEN the requests are served, and the access log shows the ID masked in every form"""
    encoded = OWNER[:10] + "%" + OWNER[10].encode().hex() + OWNER[11]
    double = OWNER[:10] + "%25" + OWNER[10].encode().hex() + OWNER[11]
    answers = [
        served.request("GET", f"/v1/search?q=can%20cuoc&owner={encoded}"),
        served.request("GET", f"/v1/owners/{encoded}/documents"),
        served.request("GET", f"/v1/search?q={double}"),
    ]
    assert [a.status_code for a in answers] == [200, 200, 200], [a.text for a in answers]
    log = served.logged_after(answers[-1])
    assert "/v1/owners/" in log and OWNER[-3:] in log
    assert not _personal_ids(log), _personal_ids(log)
    assert encoded not in log and double not in log


def test_a_purpose_in_raw_utf8_is_stored_as_written(served: Served):
    """GIVEN a client that sends its purpose as raw UTF-8 bytes (not percent-encoded)
    WHEN it reads a document, and another sends the same purpose percent-encoded
    THEN both audit rows hold the purpose as written (NFC), not mojibake like `giáº£i`; bytes
    that are not UTF-8 are refused with 422 invalid_purpose"""
    card = served.documents["card"]
    raw = served.request("GET", f"/v1/documents/{card}", scope="reader",
                         headers={"X-Purpose": "xác minh hộ tịch".encode()})
    assert raw.status_code == 200, raw.text
    encoded = served.request("GET", f"/v1/documents/{card}", scope="reader",
                             headers={"X-Purpose": quote("xác minh hộ tịch")})
    assert encoded.status_code == 200, encoded.text
    rows = [json.loads(line) for line in run_cli(served.server.env, "audit", "--client", "doc-giay-to",
                                                 "--json", "--limit", "2").stdout.splitlines()]
    assert [r["purpose"] for r in rows] == ["xác minh hộ tịch", "xác minh hộ tịch"]
    broken = served.request("GET", f"/v1/documents/{card}", headers={"X-Purpose": b"\xff\xfe ok"})
    assert broken.status_code == 422 and broken.json()["code"] == "invalid_purpose"


# --- item 8: a body without a key --------------------------------------------------------------

def _send_head_and_some_body(port: int, path: str, headers: dict[str, str], body_bytes: int,
                             wait: float = 10.0) -> tuple[bytes, int]:
    """Send a request's head and the first ``body_bytes`` of its body, then read the answer
    without sending the rest. Returns (what came back within ``wait``, bytes of body sent)."""
    head = f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n" + "".join(
        f"{name}: {value}\r\n" for name, value in headers.items()) + "\r\n"
    with socket.create_connection(("127.0.0.1", port), timeout=wait) as conn:
        conn.sendall(head.encode("latin-1"))
        sent = 0
        chunk = b"\0" * 65536
        while sent < body_bytes:
            conn.sendall(chunk)
            sent += len(chunk)
        conn.settimeout(wait)
        received = b""
        try:
            while b"\r\n\r\n" not in received:
                part = conn.recv(65536)
                if not part:
                    break
                received += part
        except TimeoutError:
            pass
        return received, sent


@pytest.mark.parametrize("key_header", [{}, {"X-API-Key": "sohoa_not-a-key"}])
def test_an_upload_without_a_valid_key_is_refused_before_its_body_is_read(served: Served, key_header):
    """GIVEN a client that announces a 1 GB multipart upload with no key, or a wrong one
    WHEN it has sent only the head and 256 KB of the body
    THEN the 401 problem+json comes back at once: the server never waits for the gigabyte"""
    status_line, _ = _send_head_and_some_body(served.server.port, "/v1/documents", {
        "Content-Type": "multipart/form-data; boundary=xyz", "Content-Length": str(1 << 30),
        **key_header}, body_bytes=256 * 1024)
    assert status_line.startswith(b"HTTP/1.1 401"), status_line[:200]
    assert b"application/problem+json" in status_line


def test_a_dossier_without_a_key_is_refused_before_its_body_is_read(served: Served):
    """GIVEN a client that announces a 1 GB dossier (multipart) with no key
    WHEN it has sent 256 KB of it THEN 401 at once"""
    status_line, _ = _send_head_and_some_body(served.server.port, "/v1/dossiers", {
        "Content-Type": "multipart/form-data; boundary=xyz", "Content-Length": str(1 << 30)},
        body_bytes=256 * 1024)
    assert status_line.startswith(b"HTTP/1.1 401"), status_line[:200]


# --- the docs page on a closed network ---------------------------------------------------------

def test_the_docs_page_loads_only_from_the_server_itself(served: Served):
    """GIVEN a server on a closed government network (no CDN)
    WHEN /docs is opened
    THEN its HTML references only local URLs (no http(s)://, no //host), and each of them —
    the Swagger UI script, its stylesheet, the favicon, the OpenAPI document — loads (200)"""
    page = served.request("GET", "/docs", scope=None)
    assert page.status_code == 200 and "swagger" in page.text.lower()
    urls = re.findall(r"""(?:src|href|url)\s*[:=]\s*['"]([^'"]+)['"]""", page.text)
    assert len(urls) >= 3, urls
    for url in urls:
        assert url.startswith("/") and not url.startswith("//"), url
        assert served.request("GET", url, scope=None).status_code == 200, url
    assert not re.search(r"https?://|//cdn", page.text.replace("https://sohoa.gov.vn", "")), page.text


# --- everything hostile at once ----------------------------------------------------------------

@dataclass(frozen=True)
class Hostile:
    name: str
    method: str
    path: str
    status: int
    code: str | None = None
    headers: dict[str, Any] = field(default_factory=dict)
    kwargs: dict[str, Any] = field(default_factory=dict)
    scope: str | None = "admin"


def _deep(levels: int) -> bytes:
    return b"[" * levels + b"]" * levels


FULLWIDTH_OWNER = "".join(chr(0xFF10 + int(d)) for d in OWNER)

HOSTILE = [
    Hostile("nul purpose", "GET", "/v1/documents/{card}", 422, "invalid_purpose", {"X-Purpose": "%00"}),
    Hostile("nul in a search", "GET", "/v1/search?q=%00abc", 422, "invalid_characters"),
    Hostile("nul path id", "GET", "/v1/documents/%00%00%00%00%00%00", 422, "invalid_characters"),
    Hostile("nul job id", "GET", "/v1/jobs/%00", 422, "invalid_characters"),
    Hostile("cr lf in a query", "GET", "/v1/search?q=a%0D%0ASet-Cookie:%20x", 422, "invalid_characters"),
    Hostile("a query not utf-8", "GET", "/v1/search?q=%FF%FE", 422, "invalid_characters"),
    Hostile("percent wildcard prefix", "GET", "/v1/documents/{card4}%25%25", 404, "not_found"),
    Hostile("underscore wildcard prefix", "GET", "/v1/documents/{card4}__", 404, "not_found"),
    Hostile("capital prefix", "GET", "/v1/documents/{card8upper}", 404, "not_found"),
    Hostile("cyrillic look-alike in an id", "GET", "/v1/documents/{cyrillic}", 404, "not_found"),
    Hostile("fullwidth digits as owner", "GET", f"/v1/owners/{FULLWIDTH_OWNER}/documents", 422, "invalid_owner_id"),
    Hostile("huge version", "GET", "/v1/documents/{card}/content?version=99999999999999999999999", 422,
            "invalid_request"),
    Hostile("zero version", "GET", "/v1/documents/{card}/content?version=0", 422, "invalid_request"),
    Hostile("negative version", "GET", "/v1/documents/{card}/content?version=-1", 422, "invalid_request"),
    Hostile("huge limit", "GET", "/v1/search?q=a&limit=100000000000000000000", 422, "invalid_request"),
    Hostile("negative limit", "GET", "/v1/search?q=a&limit=-5", 422, "invalid_request"),
    Hostile("repeated query parameter", "GET", "/v1/search?q=a&limit=1&limit=100", 422, "repeated_parameter"),
    Hostile("overlong search", "GET", "/v1/search?q=" + "a" * 5000, 422, "invalid_request"),
    Hostile("overlong query string", "GET", "/v1/search?q=a&x=" + "b" * 20000, 414, "uri_too_long"),
    Hostile("overlong path id", "GET", "/v1/documents/" + "a" * 5000, 414, "uri_too_long"),
    Hostile("impossible date", "GET", f"/v1/owners/{OWNER}/documents?valid_on=2024-13-45", 422, "invalid_request"),
    Hostile("path traversal in an id", "GET", "/v1/documents/..%2F..%2Fetc%2Fpasswd/content", 404,
            "no_such_endpoint"),
    Hostile("path traversal in a dossier", "GET", "/v1/dossiers/..%2F..%2Fx", 404, "no_such_endpoint"),
    Hostile("dot-dot dossier", "GET", "/v1/dossiers/..", 404, None),
    Hostile("json 10,000 deep (dossier)", "POST", "/v1/dossiers", 422, "invalid_request",
            {"Content-Type": "application/json"}, {"content": _deep(10_000)}),
    Hostile("json 10,000 deep (check)", "POST", "/v1/procedures/1.000894/check", 422, "invalid_request",
            {"Content-Type": "application/json"}, {"content": _deep(10_000)}),
    Hostile("broken json", "POST", "/v1/procedures/1.000894/check", 422, "invalid_request",
            {"Content-Type": "application/json"}, {"content": b'{"owner_id": '}),
    Hostile("json NaN", "POST", "/v1/procedures/1.000894/check", 422, "invalid_request",
            {"Content-Type": "application/json"}, {"content": b'{"owner_id": NaN}'}),
    Hostile("owner id as a number", "POST", "/v1/procedures/1.000894/check", 422, "invalid_request",
            kwargs={"json": {"owner_id": int(OWNER)}}),
    Hostile("json as text/plain", "POST", "/v1/procedures/1.000894/check", 422, "invalid_request",
            {"Content-Type": "text/plain"}, {"content": json.dumps({"owner_id": OWNER}).encode()}),
    Hostile("xml dossier", "POST", "/v1/dossiers", 422, "invalid_request",
            {"Content-Type": "application/xml"}, {"content": b"<dossier/>"}),
    Hostile("multipart without boundary", "POST", "/v1/dossiers", 400, "bad_request",
            {"Content-Type": "multipart/form-data"}, {"content": b"--x\r\n"}),
    Hostile("dossier code ../../x", "POST", "/v1/dossiers", 422, "invalid_request",
            kwargs={"json": {"procedure_code": "1.000894", "owner_id": OWNER, "code": "../../x"}}),
    Hostile("dossier code with a nul", "POST", "/v1/dossiers", 422, "invalid_request",
            kwargs={"json": {"procedure_code": "1.000894", "owner_id": OWNER, "code": "HS\u0000"}}),
    Hostile("nul document id in a dossier", "POST", "/v1/dossiers", 404, None,
            kwargs={"json": {"procedure_code": "1.000894", "owner_id": OWNER, "documents": {"can_cuoc": "\u0000"}}}),
    Hostile("900 parts of one name", "POST", "/v1/dossiers", 422, "repeated_part",
            kwargs={"data": {"metadata": json.dumps({"procedure_code": "1.000894", "owner_id": OWNER})},
                    "files": [("to_khai", (f"{i}.png", b"\x89PNG", "image/png")) for i in range(900)]}),
    Hostile("two files in one upload", "POST", "/v1/documents", 422, "repeated_part",
            kwargs={"files": [("file", ("a.png", b"\x89PNG a", "image/png")),
                              ("file", ("b.png", b"\x89PNG b", "image/png"))]}),
    Hostile("upload to dossier ../../x", "POST", "/v1/documents", 422, "invalid_request",
            kwargs={"data": {"dossier_code": "../../x"}, "files": {"file": ("a.png", b"\x89PNG", "image/png")}}),
    Hostile("upload with a nul owner", "POST", "/v1/documents", 422, "invalid_request",
            kwargs={"data": {"owner_id": "\u0000" * 12}, "files": {"file": ("a.png", b"\x89PNG", "image/png")}}),
    Hostile("purpose not utf-8", "GET", "/v1/documents/{card}", 422, "invalid_purpose", {"X-Purpose": b"\xff\xfe"}),
    Hostile("purpose of 4,000 characters", "GET", "/v1/documents/{card}", 422, "invalid_purpose",
            {"X-Purpose": "a" * 4000}),
    Hostile("purpose of a right-to-left override", "GET", "/v1/documents/{card}", 422, "invalid_purpose",
            {"X-Purpose": quote("\u202egiải quyết")}),
    Hostile("garbage bearer key", "GET", "/v1/procedures", 401, "unauthorized",
            {"Authorization": "Bearer " + "x" * 4000}, scope=None),
    Hostile("key with a percent-encoded nul", "GET", "/v1/procedures", 401, "unauthorized",
            {"X-API-Key": "sohoa_%00"}, scope=None),
    Hostile("unknown method", "PROPFIND", "/v1/procedures", 405, "method_not_allowed"),
    Hostile("unknown endpoint", "GET", "/v1/../../etc/passwd", 404, "no_such_endpoint"),
    Hostile("a header of 7 KB", "GET", "/v1/procedures", 200, None, {"X-Filler": "x" * 7000}),
    Hostile("owner id percent-encoded in a query", "GET", "/v1/search?q=can&owner={encoded_owner}", 200),
    Hostile("right-to-left override as a type", "GET", "/v1/search?q=a&type=%E2%80%AE", 200),
]


def _fill(text: str, documents: dict[str, str]) -> str:
    card = documents["card"]
    return text.format(card=card, card4=card[:4], card8upper=card[:8].upper(),
                       cyrillic=card[:7].replace("a", "а").replace("c", "с") + "a" + card[8:],
                       encoded_owner=OWNER[:10] + "%" + OWNER[10].encode().hex() + OWNER[11])


@pytest.mark.parametrize("case", HOSTILE, ids=[case.name for case in HOSTILE])
def test_a_hostile_request_gets_a_problem_and_leaks_nothing(served: Served, case: Hostile):
    """GIVEN a real server on PostgreSQL holding a citizen's document
    WHEN a hostile request is sent (see HOSTILE: ≥ 25 kinds)
    THEN no 5xx; a 4xx is problem+json with its stable code; and no line the server logged
    while answering it holds a 12-digit number"""
    before = len(served.server.log())
    answer = served.request(case.method, _fill(case.path, served.documents), scope=case.scope,
                            headers=case.headers, **case.kwargs)
    assert answer.status_code < 500, (answer.status_code, answer.text[:300])
    assert answer.status_code == case.status, (answer.status_code, answer.text[:300])
    if answer.status_code >= 400:
        assert answer.headers["content-type"] == "application/problem+json", answer.text[:300]
        problem = answer.json()
        assert re.fullmatch(r"[a-z_]+", problem["code"]) and problem["status"] == answer.status_code
        assert case.code is None or problem["code"] == case.code, problem
        assert not PERSONAL_ID.search(answer.text), answer.text[:300]
        assert "0x" not in (problem.get("detail") or "") and "Error(" not in (problem.get("detail") or "")
    assert answer.headers.get("x-request-id")
    logged = served.logged_after(answer)[before:]
    assert not _personal_ids(logged), _personal_ids(logged)
    assert "Traceback" not in logged


def test_an_unexpected_error_logs_its_kind_and_request_id_never_its_text(served: Served):
    """GIVEN a column of the server's PostgreSQL index renamed from under it, so that reading an
    owner's papers fails with PostgreSQL's own error text (last in this module: the server stays
    broken)
    WHEN a client reads a citizen's papers
    THEN the answer is a 500 problem with a stable code and the request id, and what the server
    logs about it names the request id and the kind of error, never its text or a personal ID"""
    before = len(served.server.log())
    breaker = create_engine(served.url, isolation_level="AUTOCOMMIT")
    with breaker.connect() as conn:
        conn.execute(text("ALTER TABLE documents RENAME COLUMN owner_id TO owner_gone"))
    breaker.dispose()
    answer = served.request("GET", f"/v1/owners/{OWNER}/documents")
    assert answer.status_code == 500, answer.text
    problem = answer.json()
    request_id = answer.headers["x-request-id"]
    assert problem["code"] == "internal_error" and request_id in problem["detail"]
    logged = served.logged_after(answer)[before:]
    error_lines = [line for line in logged.splitlines() if request_id in line and "500" not in line]
    assert error_lines and all("ProgrammingError" in line or "UndefinedColumn" in line for line in error_lines), logged
    assert "does not exist" not in logged and "Traceback" not in logged
    assert not _personal_ids(logged), _personal_ids(logged)
