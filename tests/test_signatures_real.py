"""Signed PDFs from another project's own test corpus: pyHanko's source distribution carries ~34
(pyhanko_testing_commons/test_data/data/pdf) with structural traps — indirect references in
signature and DSS dictionaries, CMS that encapsulates content or does not parse, byte ranges that
leave parts of the file out, self-signed and Ed448 signers, a public-key encrypted file. They are
fetched into build/corpora/ (tests/corpora.py), validated (each in this process, one of each
outcome through the real command line) and ingested, one of each structural kind, through the real
command line."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import corpora
import pikepdf
import pytest
from conftest import cli_env, run_cli
from readable import readable_by_a_person

from pipeline.errors import EXIT_INPUT_FAILED
from pipeline.stores.index import Index
from pipeline.stores.objects import open_store

PYHANKO = ("pyhanko", "0.38.0")
PDF_DIR = "pyhanko_testing_commons/test_data/data/pdf"
INDICATIONS = {"TOTAL_PASSED", "INDETERMINATE", "TOTAL_FAILED"}


@pytest.fixture(scope="module")
def signed_pdfs() -> list[Path]:
    """Every PDF of pyHanko's corpus that holds a signature dictionary."""
    data = corpora.sdist(*PYHANKO) / PDF_DIR
    found = sorted(path for path in data.rglob("*.pdf") if b"/ByteRange" in path.read_bytes())
    assert len(found) >= 30, f"{len(found)} signed PDFs under {data}"
    return found


# The ingest test takes one file of each structural kind (of 34; the validation test takes all).
INGESTED = {
    "certified-with-indirect-refs-in-dir.pdf": "certification (DocMDP) with indirect references",
    "coverage-anomalies/base.pdf": "a byte range pyHanko cannot place",
    "coverage-anomalies/tail-uncovered.pdf": "bytes after the signed range",
    "coverage-anomalies/weird-byterange.pdf": "an odd byte range",
    "ed448-disallowed-hash.pdf": "Ed448 with a disallowed hash",
    "ed448-shake256-nolen.pdf": "Ed448 with SHAKE256",
    "extensions-indirect-not-all-paths.pdf": "developer extensions, a revision that fails",
    "extensions-update-indirect.pdf": "developer extensions updated after signing",
    "form-update-ap-indirect-sneaky-trailer.pdf": "a form update that is not permitted",
    "form-update-override-appearance-stream.pdf": "a permitted form update after signing",
    "minimal-signed-twice-both-created.pdf": "two signatures",
    "minimal-two-fields-signed-twice.pdf": "two fields signed in turn",
    "pades-lta-dss-indirect-arrs-test.pdf": "PAdES-LTA, DSS with indirect arrays",
    "pades-lta-dss-indirect-arrs-test-2.pdf": "PAdES-LTA, a signature after a document timestamp",
    "pades-with-old-style-signing-cert-attr.pdf": "the old signing-certificate attribute",
    "pdf-sig-with-econtent.pdf": "CMS that encapsulates content",
    "separate-annots-kids-indir.pdf": "widgets apart from their fields",
    "sig-no-signed-attrs.pdf": "a signature without signed attributes",
    "sig-with-ski-sid.pdf": "signer named by subject key identifier",
    "signed-encrypted-pubkey-with-catalog-ref.pdf": "public-key encrypted",
}


def filled_signature_fields(path: Path) -> int | None:
    """How many signature fields hold a value, counted with pikepdf (None: it cannot open it)."""
    try:
        pdf = pikepdf.open(path)
    except pikepdf.PdfError:
        return None
    with pdf:
        form = pdf.Root.get("/AcroForm")
        stack = list(form.get("/Fields", [])) if form is not None else []
        seen, count = set(), 0
        while stack:
            field = stack.pop()
            if not isinstance(field, pikepdf.Dictionary) or field.objgen in seen:
                continue
            seen.add(field.objgen)
            if field.get("/FT") == "/Sig" and isinstance(field.get("/V"), pikepdf.Dictionary):
                count += 1
            kids = field.get("/Kids")
            stack.extend(kids if isinstance(kids, pikepdf.Array) else [])
        return count


def flat_name(path: Path) -> str:
    return "__".join(path.parts[-2:]) if path.parent.name != "pdf" else path.name


def assert_readable_report(path: Path, report: dict) -> None:
    """An indication for every filled signature field pikepdf counts, every message written for a
    person; only the encrypted file is not examined, and its report says so."""
    assert report["sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()
    fields = filled_signature_fields(path)
    if report["error"] is not None:
        assert fields is None and "encrypted" in report["error"], (path.name, report["error"])
        return
    assert len(report["signatures"]) == fields, (path.name, report["signatures"])
    for signature in report["signatures"]:
        assert signature["indication"] in INDICATIONS, (path.name, signature)
        assert signature["indication"] == "TOTAL_PASSED" or signature["messages"], signature
        for message in signature["messages"]:
            assert readable_by_a_person(message), (path.name, message)


def outcome(report: dict) -> tuple:
    """What a report says of a file, without the time of validation."""
    return report["error"], [(s["field_name"], s["indication"], s["sub_indication"]) for s in report["signatures"]]


@pytest.mark.slow
def test_every_signed_pdf_of_pyhankos_corpus_gets_a_readable_report(signed_pdfs, tmp_path):
    """GIVEN the signed PDFs of pyHanko's test corpus, no trust roots configured
    WHEN each is validated as `sohoa verify-signature FILE --json` validates it (in this process:
    pipeline.stages.sign.validate_pdf), and through the real command line one file of each
    outcome (each set of indications, and the file that cannot be examined)
    THEN each gives a report with an indication for every filled signature field pikepdf counts,
    every message written for a person (no traceback, Python repr or library text); only the
    encrypted file is not examined, and its report says so; the command line exits 0 or 6 (0 only
    when every signature passed), prints no traceback and reports what the in-process run did"""
    from pipeline.core.signing import validation_settings
    from pipeline.settings import Settings
    from pipeline.stages.sign import validate_pdf

    validation = validation_settings(Settings(home=tmp_path / "home"))
    by_outcome: dict[tuple, tuple[Path, dict]] = {}
    for path in signed_pdfs:
        report = json.loads(validate_pdf(path.read_bytes(), validation).model_dump_json())
        assert_readable_report(path, report)
        kind = (report["error"] is not None, tuple(sorted({s["indication"] for s in report["signatures"]})))
        by_outcome.setdefault(kind, (path, report))

    env = cli_env(tmp_path / "home")
    for path, in_process in by_outcome.values():
        done = run_cli(env, "verify-signature", path, "--json")
        assert "Traceback" not in done.stderr, f"{path.name}: {done.stderr}"
        report = json.loads(done.stdout)
        passed = (report["error"] is None and any(s["kind"] == "signature" for s in report["signatures"])
                  and all(s["indication"] == "TOTAL_PASSED" for s in report["signatures"]))
        assert done.returncode == (0 if passed else 6), f"{path.name}: {done.stderr}"
        assert_readable_report(path, report)
        assert outcome(report) == outcome(in_process), path.name


@pytest.mark.slow
def test_ingest_keeps_each_signed_pdf_byte_identical_with_its_status(signed_pdfs, tmp_path,
                                                                      classifier):
    """GIVEN one of each structural kind of the same PDFs (INGESTED) in one inbox
    WHEN `sohoa ingest` takes the inbox
    THEN the batch goes on past the encrypted file, which is quarantined with a reason; every
    other PDF is stored as a signed PDF, byte-identical (the stored original's SHA-256 is the
    file's), with a signature status — signed, indeterminate or invalid, never unsigned"""
    data = corpora.sdist(*PYHANKO) / PDF_DIR
    signed_pdfs = [path for path in signed_pdfs if path.relative_to(data).as_posix() in INGESTED]
    assert len(signed_pdfs) == len(INGESTED)
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    for path in signed_pdfs:
        shutil.copyfile(path, inbox / flat_name(path))
    home = tmp_path / "home"
    done = run_cli(cli_env(home), "ingest", inbox, "--report", tmp_path / "report.jsonl")
    assert done.returncode == EXIT_INPUT_FAILED, done.stderr
    assert "Traceback" not in done.stderr
    lines = {Path(line["source"]).name: line
             for line in map(json.loads, (tmp_path / "report.jsonl").read_text().splitlines())}
    assert set(lines) == {flat_name(path) for path in signed_pdfs}

    index = Index(f"sqlite:///{home / 'index.sqlite3'}")
    store = open_store((home / "objects").as_uri())
    for path in signed_pdfs:
        line = lines[flat_name(path)]
        if filled_signature_fields(path) is None:  # the public-key encrypted one
            assert line["status"] == "failed" and line["error_code"], line
            assert line["quarantined_as"], line
            continue
        assert line["status"] == "stored" and line["input_kind"] == "signed_pdf", line
        row = index.get(line["document_id"])
        stored = store.get(row.original_key)
        assert hashlib.sha256(stored).hexdigest() == hashlib.sha256(path.read_bytes()).hexdigest()
        assert store.get(row.searchable_key) == stored  # never re-saved
        assert index.signature_status(row.id) in ("signed", "indeterminate", "invalid"), path.name
    index.close()
