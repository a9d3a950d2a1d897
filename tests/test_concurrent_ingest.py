"""Two ingests of the same files at once, on one SOHOA_HOME: nothing stored is written over.

Both commands OCR every file; for each document one index row wins, it names the objects its own
attempt wrote, and the losing attempt's objects are removed — so `sohoa verify --all` finds no
altered object and every export matches the recorded hash.
"""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys

from conftest import REPO, cli_env, run_cli
from queue_helpers import write_paragraph_scans


def ingest_twice_at_once(env: dict[str, str], folder) -> list[subprocess.CompletedProcess]:
    command = [sys.executable, "-m", "pipeline", "ingest", str(folder), "--jobs", "1"]
    processes = [subprocess.Popen(command, env=env, cwd=REPO, stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, text=True) for _ in range(2)]
    return [subprocess.CompletedProcess(p.args, p.wait(timeout=600), *p.communicate()) for p in processes]


def assert_every_object_is_the_one_recorded(env: dict[str, str], tmp_path, expected: int) -> dict:
    """`verify --all` finds no error and every export matches its hash; returns verify's report."""
    verified = run_cli(env, "verify", "--all", "--json")
    assert verified.returncode == 0, verified.stdout + verified.stderr
    report = json.loads(verified.stdout)
    assert report["checked"] == expected
    assert [f for f in report["findings"] if f["severity"] == "error"] == []
    rows = [json.loads(line) for line in run_cli(env, "list", "--json").stdout.splitlines()]
    assert len(rows) == expected
    for row in rows:
        out = tmp_path / f"{row['id']}.pdf"
        assert run_cli(env, "export", row["id"], "-o", out).returncode == 0
        assert hashlib.sha256(out.read_bytes()).hexdigest() == row["searchable_sha256"]
    return report


def test_two_ingests_of_one_folder_at_once_leave_every_object_as_recorded(settings, classifier, tmp_path):
    """GIVEN four scans and an embedded SOHOA_HOME whose index already exists
    WHEN two `sohoa ingest` of the same folder run at the same time
    THEN each document is stored once, no object is altered, and exports match their hashes"""
    env = cli_env(settings.home)
    assert run_cli(env, "db", "upgrade").returncode == 0
    folder = tmp_path / "scans"
    write_paragraph_scans(folder, 4)

    results = ingest_twice_at_once(env, folder)

    for result in results:
        assert result.returncode == 0, result.stderr
    verified = assert_every_object_is_the_one_recorded(env, tmp_path, expected=4)
    orphans = [f for f in verified["findings"] if f["severity"] != "error"]
    assert orphans == [], "the losing attempts' objects are removed"
