"""Authenticated keys remembered by each API process (pipeline/core/access.py `KeyCache`): a
revocation still takes effect everywhere within a second, and every reuse check is still audited
exactly once, by real `sohoa serve` processes sharing one index."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import quote

import httpx
import pytest
from sqlalchemy import create_engine, text, update

from conftest import run_cli
from pipeline.clock import utcnow
from pipeline.core.access import (
    NOTIFIED_KEY_SECONDS,
    UNNOTIFIED_KEY_SECONDS,
    AccessStore,
    audit_record,
    key_cache_of,
)
from pipeline.samples import make_person
from pipeline.stores.index import Index, upgrade
from pipeline.stores.index.tables import api_keys
from postgres import create_database, drop_database
from sohoa_serve import Server

PURPOSE_TEXT = "kiểm tra hồ sơ đăng ký kết hôn"
PURPOSE = {"X-Purpose": quote(PURPOSE_TEXT)}
PROCEDURES = ["1.000894", "2.000720", "1.009994"]


@pytest.fixture
def postgres_url() -> Iterator[str]:
    url = create_database("sohoa_keys")
    upgrade(url)
    yield url
    drop_database(url)


@pytest.fixture(params=["sqlite", "postgresql"])
def index_url(request, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'index.sqlite3'}"
    return request.getfixturevalue("postgres_url")


@pytest.fixture
def two_servers(tmp_path: Path, index_url: str, classifier) -> Iterator[tuple[Server, Server]]:
    """Two `sohoa serve` processes over one index (their own homes, the same database)."""
    servers = [Server(tmp_path / f"home-{n}", SOHOA_DATABASE_URL=index_url,
                      SOHOA_RATE_LIMIT_PER_MINUTE="100000") for n in (1, 2)]
    upgraded = run_cli(servers[0].env, "db", "upgrade")
    assert upgraded.returncode == 0, upgraded.stderr
    for server in servers:
        server.start()
    yield servers[0], servers[1]
    for server in servers:
        if server.process and server.process.poll() is None:
            server.stop()


def test_a_revoked_key_stops_working_within_a_second_on_two_server_processes(
        tmp_path: Path, postgres_url: str, classifier):
    """GIVEN two server processes over one PostgreSQL index, each having just answered a key
    (so each remembers it)
    WHEN `sohoa keys revoke` revokes the key in a third process
    THEN both servers refuse it with 401 within a second of the revocation, while another key
    still works on both"""
    servers = [Server(tmp_path / f"home-{n}", SOHOA_DATABASE_URL=postgres_url) for n in (1, 2)]
    for server in servers:
        server.start()
    try:
        revoked = servers[0].key("revoked-client", "documents:read")
        kept = servers[0].key("kept-client", "documents:read")
        for server in servers:
            for key in (revoked, kept):
                assert httpx.get(f"{server.url}/v1/procedures", headers={"X-API-Key": key}).status_code == 200

        done = run_cli(servers[1].env, "keys", "revoke", "revoked-client")
        assert done.returncode == 0, done.stderr
        revoked_at = time.monotonic()
        refused_after = {}
        while len(refused_after) < 2 and time.monotonic() < revoked_at + 5:
            for n, server in enumerate(servers):
                if n not in refused_after and httpx.get(
                        f"{server.url}/v1/procedures", headers={"X-API-Key": revoked}).status_code == 401:
                    refused_after[n] = time.monotonic() - revoked_at
            time.sleep(0.02)

        assert sorted(refused_after) == [0, 1], f"still accepted 5 s after revocation: {refused_after}"
        assert max(refused_after.values()) < 1.0, refused_after
        for server in servers:
            assert httpx.get(f"{server.url}/v1/procedures", headers={"X-API-Key": kept}).status_code == 200
    finally:
        for server in servers:
            if server.process and server.process.poll() is None:
                server.stop()


def test_every_check_is_audited_exactly_once(two_servers: tuple[Server, Server], index_url: str):
    """GIVEN two server processes over one index
    WHEN 120 reuse checks of different owners and procedures arrive at once, 60 on each, plus a
    check of an unknown procedure and one without a purpose
    THEN each of the 120 checks left exactly one audit row (client, procedure, owner, purpose,
    status 200), and the refused two left none"""
    first, second = two_servers
    key = first.key("mot-cua", "documents:read")
    headers = {"X-API-Key": key, **PURPOSE}
    checks = [(make_person(9000 + n).personal_id, PROCEDURES[n % 3]) for n in range(120)]

    def check(n: int) -> int:
        owner_id, procedure = checks[n]
        server = first if n % 2 else second
        return httpx.post(f"{server.url}/v1/procedures/{procedure}/check", headers=headers,
                          json={"owner_id": owner_id}, timeout=60).status_code

    with ThreadPoolExecutor(max_workers=12) as pool:
        answers = list(pool.map(check, range(len(checks))))
    assert answers == [200] * len(checks)
    unknown = httpx.post(f"{first.url}/v1/procedures/9.999999/check", headers=headers,
                         json={"owner_id": checks[0][0]})
    no_purpose = httpx.post(f"{second.url}/v1/procedures/1.000894/check", headers={"X-API-Key": key},
                            json={"owner_id": checks[0][0]})
    assert (unknown.status_code, no_purpose.status_code) == (404, 400)

    index = Index(index_url)
    try:
        entries = AccessStore(index).audit_entries(client="mot-cua")
    finally:
        index.close()
    assert Counter((e.owner_id, e.target) for e in entries) == Counter(checks)
    assert {(e.action, e.purpose, e.outcome) for e in entries} == {("check_procedure", PURPOSE_TEXT, 200)}


def test_without_notifications_a_key_revoked_elsewhere_is_refused_after_one_second(tmp_path: Path):
    """GIVEN an SQLite index opened by two processes' worth of stores, the first having just
    authenticated a key
    WHEN the second revokes it
    THEN the first keeps the key for less than one second by its clock, and refuses it after"""
    url = f"sqlite:///{tmp_path / 'index.sqlite3'}"
    serving, revoking = Index(url), Index(url)
    try:
        key = AccessStore(revoking).create_key("mot-cua", ["documents:read"]).key
        cache = key_cache_of(serving.engine)
        now = [1000.0]
        cache.clock = lambda: now[0]
        store = AccessStore(serving)
        assert store.authenticate(key).name == "mot-cua"

        assert AccessStore(revoking).revoke_key("mot-cua")
        now[0] += UNNOTIFIED_KEY_SECONDS - 0.01
        assert store.cached_client(key) is not None  # the documented second of grace
        now[0] += 0.02
        assert store.cached_client(key) is None
        assert store.authenticate(key) is None
    finally:
        serving.close()
        revoking.close()


def test_a_key_is_not_trusted_while_revocations_cannot_be_heard(postgres_url: str):
    """GIVEN a PostgreSQL index whose process has authenticated a key and listens for revocations
    WHEN its listening connection is cut and the key is then revoked by a plain UPDATE (no
    notification at all)
    THEN the key is refused at once: without a listener nothing cached is trusted, and a
    listener that connects again forgets what was cached before it listened"""
    index = Index(postgres_url)
    try:
        store = AccessStore(index)
        key = store.create_key("mot-cua", ["documents:read"]).key
        assert store.authenticate(key).name == "mot-cua"
        assert store.cached_client(key) is not None
        listener = key_cache_of(index.engine).listener
        with index.engine.begin() as conn:
            conn.execute(text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                              "WHERE query LIKE 'LISTEN %' AND datname = current_database()"))
        assert _eventually(lambda: store.cached_client(key) is None)
        assert listener.changed() is None

        with index.engine.begin() as conn:
            conn.execute(update(api_keys).where(api_keys.c.name == "mot-cua").values(revoked_at=utcnow()))
        assert store.authenticate(key) is None
    finally:
        index.close()


def test_a_revocation_in_another_process_empties_the_cache_it_notifies(postgres_url: str):
    """GIVEN two PostgreSQL stores on separate engines (as two processes have), the first having
    authenticated a key
    WHEN the second revokes it
    THEN the first's cache no longer holds it once the notification arrives, and authenticating
    it again is refused"""
    serving, revoking = Index(postgres_url), Index(postgres_url)
    try:
        key = AccessStore(revoking).create_key("mot-cua", ["documents:read"]).key
        store = AccessStore(serving)
        assert store.authenticate(key).name == "mot-cua"
        assert store.cached_client(key) is not None
        assert AccessStore(revoking).revoke_key("mot-cua")
        assert _eventually(lambda: store.cached_client(key) is None)
        assert store.authenticate(key) is None
    finally:
        serving.close()
        revoking.close()


def _eventually(condition, seconds: float = NOTIFIED_KEY_SECONDS / 2) -> bool:
    """Whether ``condition()`` holds within ``seconds`` (a notification crosses processes):
    sooner than a cached key expires by itself."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.01)
    return False


def test_the_cache_is_closed_with_its_index(postgres_url: str):
    """GIVEN a PostgreSQL index whose key cache listens for revocations
    WHEN the index is closed
    THEN the listening connection is closed with it (nothing keeps a dropped database open)"""
    index = Index(postgres_url)
    store = AccessStore(index)
    key = store.create_key("mot-cua", ["documents:read"]).key
    store.authenticate(key)
    listener = key_cache_of(index.engine).listener
    assert listener.changed() is not None
    index.close()
    assert listener.changed() is None
    admin = create_engine(postgres_url)
    with admin.connect() as conn:
        listening = conn.execute(text("SELECT count(*) FROM pg_stat_activity WHERE query LIKE 'LISTEN %' "
                                      "AND datname = current_database() AND pid <> pg_backend_pid()")).scalar_one()
    admin.dispose()
    assert listening == 0


def test_an_audited_read_survives_its_pooled_connection_being_cut(postgres_url: str):
    """GIVEN a PostgreSQL index whose audited reads have a pooled connection (never pinged
    before use)
    WHEN the server ends that connection (a restart, an idle timeout) and the next read comes
    THEN the read is answered on a fresh connection, and each read left exactly one audit row"""
    index = Index(postgres_url)
    try:
        owner_id = make_person(9100).personal_id

        def read() -> list:
            return index.owner_papers(owner_id, ["can_cuoc"], valid_on=utcnow().date(), audit=audit_record(
                "mot-cua", "check_procedure", "1.000894", owner_id=owner_id, purpose=PURPOSE_TEXT))

        assert read() == []
        with index.engine.begin() as conn:
            cut = conn.execute(text("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                                    "WHERE datname = current_database() AND pid <> pg_backend_pid() "
                                    "AND backend_type = 'client backend'")).scalar_one()
        assert cut >= 1
        assert read() == []
        entries = AccessStore(index).audit_entries(owner_id=owner_id)
        assert [(e.action, e.client) for e in entries] == [("check_procedure", "mot-cua")] * 2
    finally:
        index.close()
