"""Commands started at once on a new index: one of them creates the schema, none fails."""

from __future__ import annotations

import subprocess
import sys

import pytest

from conftest import REPO, cli_env


def run_at_once(env: dict[str, str], *args: str, count: int = 6) -> list[subprocess.CompletedProcess]:
    processes = [subprocess.Popen([sys.executable, "-m", "pipeline", *args], env=env, cwd=REPO,
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
                 for _ in range(count)]
    return [subprocess.CompletedProcess(p.args, p.wait(timeout=300), *p.communicate()) for p in processes]


def test_commands_started_at_once_on_a_new_embedded_home_all_work(settings, classifier):
    """GIVEN a SOHOA_HOME that does not exist yet
    WHEN six `sohoa list` start at the same moment (each opens, so migrates, the embedded index)
    THEN every one exits 0"""
    results = run_at_once(cli_env(settings.home), "list")

    assert [r.returncode for r in results] == [0] * 6, [r.stderr for r in results if r.returncode]


@pytest.mark.postgres
def test_db_upgrades_started_at_once_on_a_new_postgresql_database_all_work(settings, classifier, postgres_url):
    """GIVEN an empty PostgreSQL database
    WHEN six `sohoa db upgrade` start at the same moment
    THEN every one exits 0 and the index opens at the current schema"""
    env = cli_env(settings.home, SOHOA_DATABASE_URL=postgres_url)

    results = run_at_once(env, "db", "upgrade")

    assert [r.returncode for r in results] == [0] * 6, [r.stderr for r in results if r.returncode]
    listed = subprocess.run([sys.executable, "-m", "pipeline", "list"], env=env, cwd=REPO,
                            capture_output=True, text=True)
    assert listed.returncode == 0, listed.stderr
