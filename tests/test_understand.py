"""Ingest knows what each document is and whose it is; a person corrects it from the CLI."""

from __future__ import annotations

import csv
import json
import re
import subprocess
from pathlib import Path

import pytest

from conftest import cli_env, run_cli
from pipeline.stores.index import Index
from pipeline.samples import write_sample_batch


def expected_type(path: Path) -> str:
    """The generator names files after their type: giay-khai-sinh-02.png, quyet-dinh-01-p2.png."""
    return re.sub(r"-\d\d(-p\d+)?$", "", path.stem).replace("-", "_")


@pytest.fixture(scope="module")
def mixed_dossier(tmp_path_factory) -> tuple[Path, list[Path]]:
    root = tmp_path_factory.mktemp("mixed")
    files = write_sample_batch(root, seed=9191, dossiers=1, documents_per_dossier=4, dpi=300)
    return root, files


@pytest.fixture(scope="module")
def home(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("understand-home")


@pytest.fixture(scope="module")
def sohoa(home, classifier):
    """The real CLI against this module's SOHOA_HOME, where the dossier is ingested once."""

    def run(*args) -> subprocess.CompletedProcess[str]:
        return run_cli(cli_env(home), *args)

    return run


@pytest.fixture(scope="module")
def ingested(mixed_dossier, sohoa, home):
    root, files = mixed_dossier
    manifest = next(root.rglob("manifest.csv"))
    rows = list(csv.DictReader(manifest.open(encoding="utf-8")))
    # The clerk typed one owner ID wrong in the manifest.
    wrong = rows[-1]
    wrong_id = "001090000001" if wrong["owner_id"] != "001090000001" else "079090000002"
    original_rows = [dict(r) for r in rows]
    wrong["owner_id"] = wrong_id
    with manifest.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    report = home / "report.jsonl"
    result = sohoa("ingest", root, "--jobs", "2", "--report", report)
    assert result.returncode == 0, result.stderr
    lines = {Path(line["source"]).name: line for line in map(json.loads, report.read_text().splitlines())}
    owners = {r["file"]: r["owner_id"] for r in original_rows}
    return files, lines, owners, wrong["file"]


def test_mixed_dossier_gets_the_right_types_and_owners(ingested, sohoa):
    """GIVEN a generated dossier of different papers of one citizen, with a manifest
    WHEN it is ingested
    THEN each document has its type, with confidence and reason, and the citizen's owner ID"""
    files, lines, owners, _wrong_file = ingested
    for path in files:
        record = json.loads(sohoa("show", lines[path.name]["document_id"], "--json").stdout)
        want = expected_type(path)
        if re.search(r"-p[2-9]$", path.stem):
            # A continuation page has no title: it may rightly stay unassigned.
            assert record["doc_type"] in (want, "khac"), (path.name, record["doc_type"], record["type_reason"])
        else:
            assert record["doc_type"] == want, (path.name, record["type_reason"])
            assert record["type_confidence"] >= 0.6
        assert record["type_reason"]
        line = lines[path.name]
        assert line["doc_type"] == record["doc_type"]
        assert line["needs_review"] == (record["status"] == "needs_review")
        assert record["owner_id"] == owners[path.name], path.name
        for value in record["fields"].values():
            assert set(value) >= {"value", "confidence", "page", "bbox"}
        for name in ("date_of_birth", "issue_date", "valid_until"):
            if name in record["fields"]:
                assert re.fullmatch(r"\d{4}-\d\d-\d\d", record["fields"][name]["value"])


def test_a_manifest_owner_that_disagrees_is_flagged_not_overwritten(ingested, sohoa):
    """GIVEN a manifest whose owner ID for one file differs from the ID printed on the paper
    WHEN the dossier is ingested
    THEN that document keeps the printed owner ID and waits for review, saying why"""
    files, lines, owners, wrong_file = ingested
    record = json.loads(sohoa("show", lines[wrong_file]["document_id"], "--json").stdout)
    printed = record["fields"].get("owner_id", {}).get("value")
    if printed is None:
        pytest.skip(f"{wrong_file} does not print its owner's ID")
    assert record["owner_id"] == printed == owners[wrong_file]
    assert record["status"] == "needs_review"
    assert "manifest" in record["review_note"]
    waiting = [json.loads(x)["id"] for x in sohoa("review", "list", "--json").stdout.splitlines()]
    assert record["id"] in waiting


def test_review_set_corrects_type_and_fields_and_keeps_the_correction(ingested, sohoa, home):
    """GIVEN a stored document
    WHEN a reviewer sets its type and a field from the CLI
    THEN the record shows the corrected values at confidence 1, is no longer waiting for review,
    and the index keeps who changed what and when, as a training label"""
    files, lines, owners, _ = ingested
    document_id = lines[files[0].name]["document_id"]

    result = sohoa("review", "set", document_id, "--type", "quyet_dinh",
                       "--field", "full_name=Nguyễn Thị Lấp Lánh", "--field", "issue_date=05/02/2024",
                       "--field", "doc_number=15/QĐ-UBND", "--field", "issuer=UBND PHƯỜNG BẾN NGHÉ",
                       "--by", "can-bo-mot-cua")

    assert result.returncode == 0, result.stderr
    record = json.loads(sohoa("show", document_id, "--json").stdout)
    assert (record["doc_type"], record["type_confidence"], record["status"]) == ("quyet_dinh", 1.0, "stored")
    assert record["fields"]["full_name"]["value"] == "Nguyễn Thị Lấp Lánh"
    assert record["issue_date"] == "2024-02-05"
    assert document_id not in sohoa("review", "list", "--json").stdout
    index = Index(f"sqlite:///{home / 'index.sqlite3'}")
    kept = index.corrections(document_id)
    assert [(c.kind, c.name, c.corrected_by) for c in kept] == [
        ("type", "doc_type", "can-bo-mot-cua"),
        ("field", "full_name", "can-bo-mot-cua"),
        ("field", "issue_date", "can-bo-mot-cua"),
        ("field", "doc_number", "can-bo-mot-cua"),
        ("field", "issuer", "can-bo-mot-cua"),
    ]
    assert ("quyet_dinh" in [label for _text, label in index.correction_labels()])

    bad = sohoa("review", "set", document_id, "--field", "owner_id=123456789012")
    assert bad.returncode == 2 and "not a valid" in bad.stderr
    assert "123456789012" not in bad.stderr, "personal ID numbers are not echoed"
    unknown = sohoa("review", "set", document_id, "--type", "giay_bay")
    assert unknown.returncode == 2 and "unknown document type" in unknown.stderr


def test_review_refuses_unknown_fields_and_accepting_with_required_fields_missing(ingested, sohoa):
    """GIVEN a stored document that a reviewer retypes as a health insurance card
    WHEN the reviewer names a field the type does not have, or accepts it while its insurance
    code is still missing
    THEN both are refused with the reason and nothing is recorded; saving the corrections made so
    far (a date typed dd-mm-yyyy) leaves it waiting"""
    files, lines, _, _ = ingested
    document_id = lines[files[1].name]["document_id"]
    before = json.loads(sohoa("show", document_id, "--json").stdout)
    assert "insurance_code" not in before["fields"]

    unknown = sohoa("review", "set", document_id, "--type", "the_bao_hiem_y_te", "--field", "so_thua=12")
    assert unknown.returncode == 2 and "unknown field(s) for the_bao_hiem_y_te: so_thua" in unknown.stderr
    missing = sohoa("review", "set", document_id, "--type", "the_bao_hiem_y_te")
    assert missing.returncode == 2 and "still missing for the_bao_hiem_y_te: " in missing.stderr
    assert "insurance_code" in missing.stderr
    assert json.loads(sohoa("show", document_id, "--json").stdout)["doc_type"] == before["doc_type"]

    saved = sohoa("review", "set", document_id, "--type", "the_bao_hiem_y_te",
                  "--field", "issue_date=5-2-2024", "--keep-waiting")
    assert saved.returncode == 0, saved.stderr
    record = json.loads(sohoa("show", document_id, "--json").stdout)
    assert (record["doc_type"], record["status"], record["issue_date"]) == (
        "the_bao_hiem_y_te", "needs_review", "2024-02-05")
    bad_date = sohoa("review", "set", document_id, "--field", "issue_date=31/02/2024")
    assert bad_date.returncode == 2 and "dd/mm/yyyy" in bad_date.stderr


def test_a_rejected_document_leaves_the_queue_and_is_never_on_file(ingested, sohoa):
    """GIVEN a stored document
    WHEN a reviewer rejects it with a reason (and once without one)
    THEN without a reason it is refused; with one it is rejected, out of the review queue, the
    reason kept"""
    files, lines, _, _ = ingested
    document_id = lines[files[2].name]["document_id"]

    assert sohoa("review", "reject", document_id).returncode == 2  # --reason is required
    result = sohoa("review", "reject", document_id, "--reason", "Bản chụp mờ, không đọc được", "--by", "kiem-soat")

    assert result.returncode == 0, result.stderr
    record = json.loads(sohoa("show", document_id, "--json").stdout)
    assert record["status"] == "rejected"
    assert "Bản chụp mờ, không đọc được" in record["review_note"]
    assert document_id not in sohoa("review", "list", "--json").stdout

    complete = lines[files[0].name]["document_id"]  # corrected and accepted above: nothing missing
    accepted = sohoa("review", "accept", complete, "--by", "kiem-soat")
    assert accepted.returncode == 0, accepted.stderr
    assert "reviewed by kiem-soat" in json.loads(sohoa("show", complete, "--json").stdout)["review_note"]

