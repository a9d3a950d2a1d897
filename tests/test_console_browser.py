"""The console's journeys in a real browser: Playwright driving Debian's chromium against a real
`sohoa serve` on loopback, over two OCR'd scans ingested once for the module. Every page is
saved as a screenshot in build/test-artifacts/console/ and checked for console errors and broken
images."""

from __future__ import annotations

import io
import shutil
from pathlib import Path

import pytest

from conftest import REPO
from pipeline.core.people import People
from pipeline.core.run import Ingestor, PipelineSettings
from pipeline.samples import make_document, make_person, make_scans
from pipeline.settings import Settings
from pipeline.stages.ingest import InputFile
from pipeline.stores.index import NEEDS_REVIEW, Index
from pipeline.stores.objects import open_store
from sohoa_serve import Server

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = REPO / "build" / "test-artifacts" / "console"
PASSWORD = "mat-khau-du-dai-1"

pytestmark = pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's chromium is not installed (apt-get install chromium)")


def _scan(seed: int, doc_type: str, owner, path: Path) -> Path:
    document = make_document(seed, doc_type, owner=owner)
    page = make_scans(seed, document=document, severity="light", skew=1.0, rotation=0, dpi=200)[0]
    buffer = io.BytesIO()
    page.image.save(buffer, format="PNG", dpi=(page.dpi, page.dpi))
    path.write_bytes(buffer.getvalue())
    return path


@pytest.fixture(scope="module")
def office(tmp_path_factory, classifier, pki):
    """A SOHOA_HOME with a citizen's ID card (stored, on file) and a birth certificate waiting for
    review, people of every role, and `sohoa serve` on it with the test PKI's root as its trust
    roots and its timestamp authority."""
    root = tmp_path_factory.mktemp("console-browser")
    home = root / "home"
    settings = Settings(home=home)
    index = Index(settings.index_url)
    citizen = make_person(7171)
    card = _scan(21, "can_cuoc", citizen, root / "can-cuoc.png")
    birth = _scan(22, "giay_khai_sinh", citizen, root / "giay-khai-sinh.png")
    ingestor = Ingestor(open_store(settings.objects_url), index, PipelineSettings.from_settings(settings),
                        quarantine_dir=settings.quarantine_dir, classifier=classifier)
    lines = {Path(line.source).name: line for line in ingestor.ingest(
        [InputFile(card, dossier_code="HS-CU-01"), InputFile(birth, dossier_code="HS-CU-02")])}
    assert all(line.status == "stored" for line in lines.values()), lines
    card_id, birth_id = lines["can-cuoc.png"].document_id, lines["giay-khai-sinh.png"].document_id
    # the birth certificate is put in the review queue as a reader left it: a date to check
    index.set_status(birth_id, NEEDS_REVIEW, "issue_date unreadable")
    people = People(index)
    for name, role in (("lan", "clerk"), ("minh", "reviewer"), ("quan", "admin")):
        people.create(name, role, PASSWORD, full_name={"lan": "Nguyễn Thị Lan", "minh": "Lê Văn Minh",
                                                        "quan": "Trần Quản"}[name], office="UBND phường 1")
    index.close()
    server = Server(home, SOHOA_TRUST_ROOTS=str(pki.root_pem), SOHOA_TSA_URL=pki.tsa_url).start()
    shutil.rmtree(ARTIFACTS, ignore_errors=True)
    ARTIFACTS.mkdir(parents=True)
    form = _scan(23, "to_khai", citizen, root / "to-khai.png")  # handed in at the counter (the upload journey)
    yield {"server": server, "citizen": citizen, "card": card_id, "birth": birth_id, "settings": settings, "form": form}
    server.stop()


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox"])
        yield launched
        launched.close()


class Visit:
    """One person's browser context, collecting console errors; `shot` saves a page and checks
    that it has no broken image."""

    def __init__(self, browser, base: str):
        self.context = browser.new_context(base_url=base, viewport={"width": 1280, "height": 900}, locale="vi-VN")
        self.page = self.context.new_page()
        self.errors: list[str] = []
        self.page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))

    def log_in(self, name: str) -> Visit:
        self.page.goto("/console/login")
        self.page.fill("input[name=username]", name)
        self.page.fill("input[name=password]", PASSWORD)
        self.page.click("button[type=submit]:has-text('Đăng nhập')")
        self.page.wait_for_load_state()
        return self

    def shot(self, name: str) -> None:
        self.page.wait_for_load_state("networkidle")
        broken = self.page.evaluate(
            "Array.from(document.images).filter(i => !i.complete || i.naturalWidth === 0).map(i => i.src)")
        assert broken == [], broken
        self.page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
        assert self.errors == [], self.errors

    def close(self) -> None:
        self.context.close()


def test_a_logged_out_user_is_sent_to_login_and_returns_after_it(office, browser):
    """GIVEN a browser with no session
    WHEN it opens the review queue, logs in there as a reviewer
    THEN it lands on the login form (Vietnamese) and, logged in, on the review queue"""
    visit = Visit(browser, office["server"].url)
    visit.page.goto("/console/review")
    assert "/console/login" in visit.page.url
    assert visit.page.locator("text=Vui lòng đăng nhập").is_visible()
    visit.shot("login")
    visit.page.fill("input[name=username]", "minh")
    visit.page.fill("input[name=password]", PASSWORD)
    visit.page.press("input[name=password]", "Enter")
    visit.page.wait_for_url("**/console/review")
    assert visit.page.locator("table.queue tbody tr").count() == 1
    visit.shot("review-queue")
    visit.close()


def test_a_clerk_cannot_reach_the_admin_pages_and_a_form_without_csrf_is_refused(office, browser):
    """GIVEN a clerk logged in
    WHEN the clerk opens /console/admin, and posts the intake form with its CSRF token removed
    THEN the admin page is refused with a message, there is no admin link, and the form is refused"""
    visit = Visit(browser, office["server"].url).log_in("lan")
    assert visit.page.locator("nav a:has-text('Quản trị')").count() == 0
    answer = visit.page.goto("/console/admin")
    assert answer.status == 403 and visit.page.locator("text=Bạn không có quyền").is_visible()
    visit.errors.clear()  # the browser logs the 403 itself
    visit.shot("forbidden")
    visit.page.goto(f"/console/intake?owner={office['citizen'].personal_id}&procedure=1.004873")
    visit.page.evaluate("document.querySelectorAll('form input[name=csrf]').forEach(i => i.remove())")
    with visit.page.expect_navigation():
        visit.page.click("#open-dossier")
    assert visit.page.locator("text=Biểu mẫu đã hết hạn").is_visible()
    visit.close()


def test_intake_shows_what_is_on_file_and_takes_in_the_missing_paper(office, browser):
    """GIVEN the citizen's ID card on file
    WHEN a clerk checks the marital status confirmation (to_khai and can_cuoc required) for the
    citizen's ID, opens the dossier, chooses the scanned form (one page) and sends it
    THEN the card is on file with a link to it, the form is missing; on the dossier page the
    upload's progress is shown live (its states in Vietnamese, ending "đã lưu") and the form
    appears in the checklist as received, with its type, once it is stored"""
    visit = Visit(browser, office["server"].url).log_in("lan")
    visit.page.fill("#owner", office["citizen"].personal_id)
    visit.page.select_option("#procedure", "1.004873")
    visit.page.click("button:has-text('Xem giấy tờ cần nộp')")
    card_row = visit.page.locator("tr[data-type=can_cuoc]")
    assert card_row.get_attribute("data-state") == "on_file"
    assert card_row.locator(f"a[href$='/console/documents/{office['card']}']").count() == 1
    assert visit.page.locator("tr[data-type=to_khai]").get_attribute("data-state") == "missing"
    visit.shot("intake-checklist")
    visit.page.click("#open-dossier")
    visit.page.wait_for_url("**/console/dossiers/**")
    assert visit.page.locator("tr[data-type=to_khai] td.state-missing").is_visible()
    assert visit.page.locator("text=Còn thiếu giấy tờ").is_visible()
    visit.shot("dossier")
    visit.page.set_input_files("#files", str(office["form"]))
    assert visit.page.locator("#chosen:has-text('Đã chọn 1 tệp: to-khai.png')").is_visible()
    visit.page.click("#send")
    progress = visit.page.locator("#progress li")
    progress.first.wait_for()
    assert "to-khai.png" in progress.first.inner_text()  # a line for the file as soon as it is sent
    visit.page.wait_for_selector("#progress[data-done=true]", timeout=120_000)
    assert progress.first.get_attribute("data-status") == "stored", progress.first.inner_text()
    assert progress.first.inner_text().endswith("đã lưu")
    received = visit.page.locator("tr[data-type=to_khai][data-state=received]")
    received.wait_for(timeout=10_000)  # the checklist refreshed by the "checklist" event
    assert received.locator("a[href*='/console/documents/']").count() == 1
    paper = visit.page.locator("#checklist tr:has-text('to-khai.png')")
    assert "TỜ KHAI" in paper.inner_text().upper()  # the new paper with its type
    visit.shot("dossier-received")
    visit.close()


def test_a_reviewer_corrects_and_accepts_a_document_by_keyboard(office, browser):
    """GIVEN the birth certificate waiting for review
    WHEN a reviewer opens it from the queue, types the issue date as dd/mm/yyyy and presses the
    accept shortcut (Alt+Shift+A)
    THEN the page shows the scan with the fields' word boxes, the decision is recorded with the
    date in ISO and the reviewer's name, and the queue is empty"""
    visit = Visit(browser, office["server"].url).log_in("minh")
    visit.page.click("table.queue a:has-text('Kiểm tra')")
    visit.page.wait_for_url(f"**/console/review/{office['birth']}")
    assert visit.page.locator("select[name=doc_type]").input_value() == "giay_khai_sinh"
    assert visit.page.locator("text=Ghi chú: không đọc được ngày cấp").is_visible()  # the note in words
    assert visit.page.locator("svg.boxes rect").count() >= 1
    for value in ("accept", "save", "reject"):
        assert visit.page.locator(f"button[name=decision][value={value}]").count() == 1
    visit.page.locator("input[name=issue_date]").focus()
    assert visit.page.locator("svg.boxes rect.active").count() >= 1  # its word box lit up
    visit.shot("review")
    visit.page.fill("input[name=issue_date]", "05/02/2024")
    with visit.page.expect_navigation():
        visit.page.keyboard.press("Alt+Shift+A")
    assert visit.page.locator("text=Đã chấp nhận").is_visible()
    index = Index(office["settings"].index_url)
    row = index.get(office["birth"])
    assert row.status == "stored" and row.fields["issue_date"]["value"] == "2024-02-05"
    assert any(c.corrected_by == "minh" and c.name == "issue_date" for c in index.corrections(row.id))
    index.close()
    visit.close()


def test_search_finds_a_paper_without_accents_and_opens_it(office, browser):
    """GIVEN the stored ID card
    WHEN a clerk searches "cong hoa xa hoi" (no accents: the national heading) and opens the
    result that is the card
    THEN the result shows its thumbnail and a highlighted snippet, and opens the document page
    with its pages, fields and the audit trail naming the clerk"""
    visit = Visit(browser, office["server"].url).log_in("lan")
    visit.page.goto("/console/search")
    visit.page.fill("#q", "cong hoa xa hoi")
    visit.page.press("#q", "Enter")
    visit.page.wait_for_selector("ul.hits li")
    assert visit.page.locator("ul.hits li mark").count() >= 1
    visit.shot("search")
    visit.page.click(f"ul.hits li a.hit-title[href$='/console/documents/{office['card']}']")
    visit.page.wait_for_url(f"**/console/documents/{office['card']}")
    assert visit.page.locator("text=console:lan").first.is_visible()
    visit.shot("document")
    visit.close()


def test_the_figures_and_admin_pages_draw(office, browser):
    """GIVEN the dossier opened by the intake journey
    WHEN an admin opens the figures and the admin page
    THEN the figures count it (per procedure, in an SVG chart) and the admin page lists the people,
    the trust root with its expiry, the re-validation of the stored signatures under it (which
    the server ran when it started) and, fetched after the page, that the TSA answers"""
    visit = Visit(browser, office["server"].url).log_in("quan")
    visit.page.goto("/console/stats")
    assert visit.page.locator("svg.chart rect.bar").count() >= 1
    assert visit.page.locator("#table-procedures td:has-text('1.004873')").count() == 1
    visit.shot("stats")
    visit.page.goto("/console/admin")
    assert visit.page.locator("#users td:has-text('Nguyễn Thị Lan')").count() == 1
    assert visit.page.locator("#trust-roots tr[data-state=valid] td:has-text('Sohoa Test Root CA')").count() == 1
    visit.page.wait_for_selector("#tsa-status[data-state=ok]", timeout=10_000)
    assert "trả lời dấu thời gian" in visit.page.inner_text("#tsa-status")
    for _ in range(50):  # the server validates the stored signatures again in the background as it starts
        if visit.page.get_attribute("#revalidation", "data-current") == "true":
            break
        visit.page.wait_for_timeout(200)
        visit.page.reload()
    assert "theo đúng các chứng thư gốc đang cấu hình" in visit.page.inner_text("#revalidation")
    visit.page.wait_for_selector("#tsa-status[data-state=ok]")
    visit.shot("admin")
    visit.page.click("#language-switch")
    visit.page.wait_for_load_state()
    assert visit.page.locator("h1:has-text('Administration')").is_visible()
    assert "under the trust roots configured now" in visit.page.inner_text("#revalidation")
    visit.shot("admin-english")
    visit.close()
