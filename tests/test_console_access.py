"""The console's access rules without a browser (Starlette's TestClient, SQLite, no OCR): log-in,
sessions, CSRF, lock-out, roles, security headers, the translation catalogue and the audit rows.
The journeys in a real browser are in test_console_browser.py."""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from conftest import cli_env, run_cli
from index_rows import make_row
from pipeline.core.access import AccessStore
from pipeline.core.people import People
from pipeline.core.runtime import Runtime
from pipeline.service.api import build_services, create_app
from pipeline.service.console.i18n import LANGUAGES, MESSAGES
from pipeline.service.console.sessions import SessionCodec, new_session
from pipeline.settings import Settings

PASSWORD = "mat-khau-du-dai-1"
OWNER = "079203001234"


@pytest.fixture(scope="module")
def runtime(tmp_path_factory) -> Runtime:
    home = tmp_path_factory.mktemp("console-access") / "home"
    rt = Runtime(Settings(home=home, console_max_failures=3), classifier=None)
    people = People.from_settings(rt.index, rt.settings)
    for name, role in (("lan", "clerk"), ("minh", "reviewer"), ("hoa", "official"), ("quan", "admin"),
                       ("khoa", "clerk"), ("tam", "clerk")):
        people.create(name, role, PASSWORD, full_name=f"Cán bộ {name}", office="UBND phường Bến Nghé")
    return rt


@pytest.fixture(scope="module")
def app(runtime):
    return create_app(build_services(runtime))


def csrf_of(html: str) -> str:
    return re.search(r'name="csrf" value="([^"]+)"', html).group(1)


def logged_in(app, name: str) -> TestClient:
    client = TestClient(app)
    token = csrf_of(client.get("/console/login").text)
    answer = client.post("/console/login", data={"username": name, "password": PASSWORD, "csrf": token},
                         follow_redirects=False)
    assert answer.status_code == 303, answer.text
    return client


def test_a_logged_out_user_is_sent_to_the_login_form(app):
    """GIVEN no session
    WHEN the review queue is opened
    THEN the answer is a redirect to /console/login naming the page to return to, and the form
    there has inputs named username and password"""
    client = TestClient(app)
    answer = client.get("/console/review?type=can_cuoc", follow_redirects=False)
    assert answer.status_code == 303
    assert answer.headers["location"].startswith("/console/login?next=%2Fconsole%2Freview%3Ftype%3Dcan_cuoc")
    form = client.get(answer.headers["location"]).text
    assert 'name="username"' in form and 'name="password"' in form and 'type="password"' in form
    assert "Vui lòng đăng nhập" in form  # Vietnamese first


def test_log_in_sets_a_signed_http_only_strict_cookie_and_returns_to_the_page_asked(app):
    """GIVEN a clerk's account
    WHEN the clerk logs in from the login form with next= the search page
    THEN the answer goes to that page, the session cookie is HttpOnly and SameSite=Strict, and a
    forged cookie is no session"""
    client = TestClient(app)
    token = csrf_of(client.get("/console/login?next=/console/search").text)
    answer = client.post("/console/login", follow_redirects=False, data={
        "username": "lan", "password": PASSWORD, "csrf": token, "next": "/console/search"})
    assert answer.status_code == 303 and answer.headers["location"] == "/console/search"
    cookie = answer.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie and "Path=/console" in cookie
    assert client.get("/console/search").status_code == 200
    forged = TestClient(app, cookies={"sohoa_console": client.cookies["sohoa_console"][:-4] + "AAAA"})
    assert forged.get("/console/search", follow_redirects=False).status_code == 303


def test_log_in_never_redirects_off_the_console(app):
    """GIVEN a login form posted with next= another site
    WHEN the log-in succeeds
    THEN the person lands on their start page instead"""
    client = TestClient(app)
    token = csrf_of(client.get("/console/login").text)
    for target in ("https://evil.example/", "//evil.example/console/", "/v1/documents"):
        answer = client.post("/console/login", follow_redirects=False, data={
            "username": "minh", "password": PASSWORD, "csrf": token, "next": target})
        assert answer.headers["location"] == "/console/review", target
        token = csrf_of(client.get("/console/login").text)


def test_a_form_without_its_csrf_token_is_refused(app, runtime):
    """GIVEN a signed-in clerk
    WHEN a dossier is opened, and the clerk logs out, with forms that lack the CSRF token or
    carry another session's
    THEN both are refused (403) and nothing happens: no dossier, still signed in"""
    client = logged_in(app, "lan")
    other = csrf_of(TestClient(app).get("/console/login").text)
    for data in ({"owner": OWNER, "procedure": "1.004873"},
                 {"owner": OWNER, "procedure": "1.004873", "csrf": other}):
        refused = client.post("/console/intake", data=data, follow_redirects=False)
        assert refused.status_code == 403 and "Biểu mẫu đã hết hạn" in refused.text
    assert client.post("/console/logout", follow_redirects=False).status_code == 403
    assert client.get("/console/intake").status_code == 200
    with runtime.index.engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT count(*) FROM dossiers").scalar() == 0
    # a log-in form without its token is refused too, even with the right password
    assert TestClient(app).post("/console/login", data={"username": "lan", "password": PASSWORD}).status_code == 403


def test_repeated_failures_lock_the_account_and_a_reset_lifts_it(app, runtime):
    """GIVEN a lock-out after 3 failures in a row (SOHOA_CONSOLE_MAX_FAILURES)
    WHEN someone tries 3 wrong passwords for khoa, then the right one
    THEN the first two say "wrong name or password" (as for an unknown name), the third and the
    right password say the account is locked; after `reset-password` the new password works"""
    client = TestClient(app)
    token = csrf_of(client.get("/console/login").text)

    def attempt(name, password):
        return client.post("/console/login", follow_redirects=False,
                           data={"username": name, "password": password, "csrf": token})

    unknown = attempt("nobody", PASSWORD)
    assert unknown.status_code == 401 and "không đúng" in unknown.text
    for _ in range(2):
        assert "không đúng" in attempt("khoa", "sai-mat-khau-roi").text
    assert "tạm khóa" in attempt("khoa", "sai-mat-khau-roi").text
    locked = attempt("khoa", PASSWORD)
    assert locked.status_code == 401 and "tạm khóa" in locked.text
    People.from_settings(runtime.index, runtime.settings).reset_password("khoa", "mat-khau-moi-12345")
    assert attempt("khoa", "mat-khau-moi-12345").status_code == 303


@pytest.mark.parametrize("name, allowed, refused", [
    ("lan", ["/console/intake", "/console/review", "/console/search", "/console/stats"], ["/console/admin"]),
    ("minh", ["/console/review", "/console/search"], ["/console/intake", "/console/stats", "/console/admin"]),
    ("hoa", ["/console/review", "/console/search"], ["/console/intake", "/console/admin"]),
    ("quan", ["/console/admin", "/console/intake", "/console/stats"], []),
])
def test_each_role_opens_only_its_pages(app, name, allowed, refused):
    """GIVEN a clerk, a reviewer, an official and an admin
    WHEN each opens the console's pages
    THEN each opens its role's pages and is refused (403, a translated message) the others;
    only the admin sees the admin link"""
    client = logged_in(app, name)
    for path in allowed:
        assert client.get(path).status_code == 200, path
    for path in refused:
        answer = client.get(path)
        assert answer.status_code == 403 and "không có quyền" in answer.text, path
    assert ('/console/admin"' in client.get("/console/search").text) == (name == "quan")


def test_every_page_has_a_csp_without_inline_script(app):
    """GIVEN an admin (who sees every page)
    WHEN each page is opened
    THEN each answer has a Content-Security-Policy whose scripts come from the console only, no
    page holds an inline script or style, every link stays in the console, and the scripts are
    served from the package"""
    client = logged_in(app, "quan")
    for path in ("/console/login", "/console/intake", "/console/review", "/console/search?q=x",
                 "/console/stats", "/console/admin", "/console/nowhere"):
        answer = client.get(path)
        csp = answer.headers["content-security-policy"]
        assert "script-src 'self'" in csp and "unsafe-inline" not in csp and "unsafe-eval" not in csp, path
        assert answer.headers["x-frame-options"] == "DENY"
        assert not re.search(r"<script(?![^>]*\bsrc=)", answer.text), path
        assert not re.search(r"<style|\sstyle=|\son[a-z]+=", answer.text), path
        # every link and form stays in the console (an API route of the same name is not it)
        for target in re.findall(r'(?:href|action|src)="([^"]+)"', answer.text):
            assert target.startswith(("/console/", "http://testserver/console/")), (path, target)
    htmx = client.get("/console/static/htmx.min.js")
    assert htmx.status_code == 200 and "htmx" in htmx.text[:2000]


def test_an_idle_session_ends():
    """GIVEN a session cookie whose last request is longer ago than the idle timeout
    WHEN it is read
    THEN it is no longer signed in and says it expired; a recent one still is"""
    codec = SessionCodec(b"k" * 32, idle_seconds=60)
    now = time.time()
    signed_in = new_session().__class__(csrf="c", username="lan", password_set=1.0, seen=now - 61)
    stale = codec.load(codec.dump(signed_in), now)
    assert stale.username is None and stale.expired
    fresh = codec.load(codec.dump(signed_in), now - 30)
    assert fresh.username == "lan" and not fresh.expired


def test_a_disabled_person_is_signed_out_at_the_next_request(app, runtime):
    """GIVEN tam signed in
    WHEN an admin disables tam
    THEN tam's next request goes to the login form"""
    client = logged_in(app, "tam")
    assert client.get("/console/intake").status_code == 200
    People(runtime.index).disable("tam")
    assert client.get("/console/intake", follow_redirects=False).status_code == 303


def test_a_checklist_view_is_audited_under_the_persons_name_and_english_is_a_switch_away(app, runtime):
    """GIVEN a signed-in clerk
    WHEN the clerk opens a citizen's checklist, then switches to English
    THEN the audit log has the read with the clerk's name and the owner; the page is in
    English after the switch"""
    client = logged_in(app, "lan")
    page = client.get(f"/console/intake?owner={OWNER}&procedure=1.004873")
    assert page.status_code == 200 and "Còn thiếu" in page.text
    [entry] = AccessStore(runtime.index).audit_entries(client="console:lan", owner_id=OWNER)
    assert entry.action == "console_checklist" and entry.target == "1.004873"
    switched = client.post("/console/language", data={"to": "en", "csrf": csrf_of(page.text),
                                                       "back": f"/console/intake?owner={OWNER}&procedure=1.004873"})
    assert switched.status_code == 200 and "Missing" in switched.text and "Còn thiếu" not in switched.text


def test_the_queue_is_filtered_by_the_index_and_says_why_in_words(app, runtime):
    """GIVEN a birth certificate waiting with "issue_date unreadable", a paper of unknown type
    waiting with the classifier's abstention, and a stored paper, in two dossiers opened by
    nobody (ingested with --dossier)
    WHEN a reviewer filters the queue by reason and by dossier, and opens the first; a clerk
    opens its dossier
    THEN each filter keeps only its paper; the notes are in Vietnamese with the field's name
    (no machine text); the dossier page is built from its papers"""
    index = runtime.index
    dated = make_row(901, doc_type="giay_khai_sinh", status="needs_review", review_note="issue_date unreadable",
                     dossier_code="HS-LE-01", filename="khai-sinh.png")
    untyped = make_row(902, doc_type="khac", status="needs_review", dossier_code="HS-LE-02", filename="la.png",
                       review_note="type uncertain (abstained: margin 0.02 < 0.10; top can_cuoc)")
    index.add(dated), index.add(untyped), index.add(make_row(903, dossier_code="HS-LE-01", filename="da-luu.png"))
    reviewer = logged_in(app, "minh")

    def listed(query: str) -> set[str]:
        page = reviewer.get(f"/console/review?{query}")
        assert page.status_code == 200
        return set(re.findall(r"<td>([\w.-]+\.png)</td>", page.text))

    assert {"khai-sinh.png", "la.png"} <= listed("") and "da-luu.png" not in listed("")
    assert listed("reason=fields") >= {"khai-sinh.png"} and "la.png" not in listed("reason=fields")
    assert "la.png" in listed("reason=type") and "khai-sinh.png" not in listed("reason=type")
    assert listed("dossier=HS-LE-02") == {"la.png"}
    assert listed("dossier=HS-LE-02&type=can_cuoc") == set()
    queue = reviewer.get("/console/review?dossier=HS-LE-01").text
    assert "không đọc được ngày cấp" in queue and "issue_date unreadable" not in queue
    page = reviewer.get(f"/console/review/{untyped.id}").text
    assert "chưa chắc chắn loại giấy tờ" in page and "abstained" not in page
    dossier = logged_in(app, "lan").get("/console/dossiers/HS-LE-01")
    assert dossier.status_code == 200 and 'id="unopened"' in dossier.text
    assert "khai-sinh.png" in dossier.text and "da-luu.png" in dossier.text
    assert logged_in(app, "lan").get("/console/dossiers/HS-NONE-99").status_code == 404


def test_the_catalogue_has_every_message_in_both_languages():
    """GIVEN the console's translation catalogue and its templates
    WHEN every message key the templates name is looked up
    THEN each exists, in Vietnamese and English, with the same placeholders"""
    templates = Path(__file__).resolve().parent.parent / "pipeline/service/console/templates"
    named = set()
    for template in templates.glob("*.html"):
        named |= set(re.findall(r"""\bt\(\s*["']([a-z_]+\.[a-z_.]*)["']""", template.read_text()))
    whole = {key for key in named if not key.endswith((".", "_"))}
    prefixes = named - whole  # t("status." + row.status): some keys must start so
    assert whole and not whole - set(MESSAGES)
    assert all(any(key.startswith(prefix) for key in MESSAGES) for prefix in prefixes), prefixes
    for key, texts in MESSAGES.items():
        assert len(texts) == len(LANGUAGES) and all(texts), key
        assert set(re.findall(r"{(\w+)}", texts[0])) == set(re.findall(r"{(\w+)}", texts[1])), key


def test_users_are_made_and_listed_from_the_command_line(tmp_path):
    """GIVEN a new SOHOA_HOME
    WHEN `sohoa users create` makes an admin with --password-file, and then a clerk with a
    too-short password
    THEN the admin is listed with their full name, and the short password is refused (exit 2)
    without creating the account"""
    env = cli_env(tmp_path / "home")
    password_file = tmp_path / "password.txt"
    password_file.write_text(PASSWORD + "\n")
    made = run_cli(env, "users", "create", "admin", "--role", "admin", "--full-name", "Trần Văn Quản",
                   "--office", "UBND xã", "--password-file", password_file)
    assert made.returncode == 0, made.stderr
    password_file.write_text("ngan\n")
    short = run_cli(env, "users", "create", "x1", "--role", "clerk", "--password-file", password_file)
    assert short.returncode == 2 and "at least 10 characters" in short.stderr
    people = People(Runtime(Settings(home=tmp_path / "home"), classifier=None).index).list()
    assert [(p.username, p.role, p.full_name, p.office) for p in people] == [("admin", "admin", "Trần Văn Quản", "UBND xã")]


def _two_paper_pdf(address: str = "Số 12 phố Hàng Bạc, Hà Nội") -> bytes:
    """A text PDF of two papers, one per page, as an office's export of two results would be."""
    from fpdf import FPDF

    from pdf_samples import FONT_DIR

    pdf = FPDF(format="A4")
    pdf.add_font("LiberationSerif", "", str(FONT_DIR / "LiberationSerif-Regular.ttf"))
    pdf.set_font("LiberationSerif", size=13)
    for lines in (["CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "GIẤY XÁC NHẬN THÔNG TIN VỀ CƯ TRÚ",
                   "Họ, chữ đệm và tên: TRẦN THỊ MAI", f"Nơi thường trú: {address}"],
                  ["CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "TỜ KHAI ĐĂNG KÝ KHAI SINH",
                   "Họ, chữ đệm, tên người yêu cầu: TRẦN THỊ MAI", "Quan hệ với người được khai sinh: mẹ"]):
        pdf.add_page()
        for line in lines:
            pdf.cell(0, 8, line, new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())


def test_a_reviewer_splits_a_two_paper_document_from_the_review_page(app, runtime, tmp_path):
    """GIVEN a stored two-page document that holds two papers (a text PDF: no OCR needed)
    WHEN a reviewer posts the review page's split form, first without its CSRF token, then with it
    THEN the first post is refused and changes nothing; the second makes two one-page documents,
    opens the first with a notice, keeps the old one as superseded, and records who split it"""
    from pipeline.stages.ingest import InputFile

    path = tmp_path / "hai-giay-to.pdf"
    path.write_bytes(_two_paper_pdf())
    [line] = list(runtime.ingestor().ingest([InputFile(path, None, None, None)]))
    assert line.status == "stored", line
    client = logged_in(app, "minh")
    page = client.get(f"/console/review/{line.document_id}")
    assert page.status_code == 200 and 'id="split-form"' in page.text and "Tách sau trang" in page.text

    refused = client.post(f"/console/review/{line.document_id}/split", data={"after_page": "1"},
                          follow_redirects=False)
    assert refused.status_code == 403
    assert runtime.index.get(line.document_id).superseded_by is None

    answer = client.post(f"/console/review/{line.document_id}/split", follow_redirects=False,
                         data={"after_page": "1", "csrf": csrf_of(page.text)})

    assert answer.status_code == 303, answer.text
    old = runtime.index.get(line.document_id)
    assert old.status == "superseded" and old.superseded_by
    new_ids = old.superseded_by.split(",")
    assert len(new_ids) == 2 and [runtime.index.get(i).pages for i in new_ids] == [1, 1]
    assert answer.headers["location"].startswith(f"/console/review/{new_ids[0]}?done=split")
    opened = client.get(answer.headers["location"])
    assert opened.status_code == 200 and "Đã tách" in opened.text
    assert [r["done_by"] for r in runtime.index.regroupings(line.document_id)] == ["console:minh"]


def test_papers_fill_their_dossier_when_stored_and_reading_it_writes_nothing(app, runtime):
    """GIVEN a dossier opened at the counter for the marital-status procedure, its form and ID
    card both missing (a fresh owner, nothing on file)
    WHEN a form of the dossier is stored (the path every ingest takes), an untyped paper of it is
    typed as an ID card by a reviewer, and the clerk opens the dossier page twice
    THEN both components are received and the dossier complete, and the page views changed no
    row of the dossier"""
    from pipeline.core.document import add_row
    from pipeline.core.reuse import get_dossier, open_dossier
    from pipeline.core.review import review_document
    from schemas.catalog import default_catalog

    owner = "001190000777"
    dossier = open_dossier(runtime.index, default_catalog(), procedure_code="1.004873", owner_id=owner,
                           created_by="console:lan", agency_code="T-FILL")
    assert {c.source for c in dossier.components if c.required} == {"missing"}
    form = make_row(961, owner_id=owner, doc_type="to_khai", dossier_code=dossier.code)
    assert add_row(runtime.index, form, None) is None
    card = make_row(962, owner_id=owner, doc_type=None, status="needs_review", dossier_code=dossier.code)
    runtime.index.add(card)
    assert {c.doc_type: c.document_id for c in get_dossier(runtime.index, dossier.code).components}["to_khai"] == form.id
    review_document(runtime.index, card.id, decision="save", doc_type="can_cuoc", corrected_by="minh")

    def dossier_rows():
        with runtime.index.engine.connect() as conn:
            return (conn.exec_driver_sql("SELECT * FROM dossiers WHERE code = ?", (dossier.code,)).all(),
                    conn.exec_driver_sql("SELECT * FROM dossier_components WHERE dossier_code = ? ORDER BY position",
                                         (dossier.code,)).all())

    before = dossier_rows()
    clerk = logged_in(app, "lan")
    for _ in range(2):
        page = clerk.get(f"/console/dossiers/{dossier.code}")
        assert page.status_code == 200
    assert dossier_rows() == before
    received = get_dossier(runtime.index, dossier.code)
    assert received.status == "complete"
    assert {c.doc_type: (c.source, c.document_id) for c in received.components if c.required} == {
        "to_khai": ("uploaded", form.id), "can_cuoc": ("uploaded", card.id)}


def test_a_reviewer_merges_a_paper_that_separation_cut_in_two(app, runtime, tmp_path):
    """GIVEN a stored two-page text PDF split in two (as separation would cut one paper in two)
    WHEN a reviewer opens the second part, which offers its neighbour in the stream, and merges:
    first with nothing chosen, then with a typed id nobody has (a citizen's ID number), then with
    the neighbour before it
    THEN the first two are refused with a reason (the typed number never shown) and change
    nothing; the third makes one two-page document in stream order, opens it with a notice, and
    keeps both parts as superseded with who merged them"""
    from pipeline.stages.ingest import InputFile

    path = tmp_path / "mot-giay-to.pdf"
    path.write_bytes(_two_paper_pdf("Số 3 phố Hàng Đào, Hà Nội"))  # not the split test's bytes
    [line] = list(runtime.ingestor().ingest([InputFile(path, None, None, None)]))
    first, second = runtime.split_document(line.document_id, 1, by="test").documents
    client = logged_in(app, "minh")
    page = client.get(f"/console/review/{second.id}")
    assert page.status_code == 200 and 'id="merge-form"' in page.text
    assert f'value="before:{first.id}"' in page.text and 'id="merge-after"' not in page.text
    token = csrf_of(page.text)

    for data in ({}, {"other_document": "079203001234"}):
        refused = client.post(f"/console/review/{second.id}/merge", data={"csrf": token, **data})
        assert refused.status_code == 422
        assert "079203001234" not in refused.text
        assert runtime.index.get(second.id).superseded_by is None
    assert "không tìm thấy tài liệu" in refused.text

    answer = client.post(f"/console/review/{second.id}/merge", follow_redirects=False,
                         data={"csrf": token, "merge_with": f"before:{first.id}"})
    assert answer.status_code == 303, answer.text
    merged_id = runtime.index.get(second.id).superseded_by
    assert runtime.index.get(first.id).superseded_by == merged_id
    merged = runtime.index.get(merged_id)
    assert (merged.pages, merged.source_first_page, merged.source_last_page) == (2, 1, 2)
    assert merged.text.index("CƯ TRÚ") < merged.text.index("KHAI SINH")  # the stream's order
    opened = client.get(answer.headers["location"])
    assert opened.status_code == 200 and "Đã gộp" in opened.text
    assert {r["done_by"] for r in runtime.index.regroupings(second.id)} >= {"console:minh"}
