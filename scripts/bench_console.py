"""Benchmark the console's pages at production size on PostgreSQL (not a test).

Creates a throw-away database, loads N generated documents (bench_index's realistic rows, spread
over a year, one in 33 waiting for review with a reader's note, five to a dossier) with COPY, plus
a dossier row with its checklist for every other dossier code (the rest are codes only documents
name, as `sohoa ingest --dossier` leaves them), runs `sohoa serve` on loopback and asks, one
request at a time as one person would, for the review page, the review queue (plain and
filtered), search, the dossier page and the figures, and `GET /healthz` (the HTTP floor) in the
same run. Server time is the console's own `Server-Timing` header (handler and template, without
the network); the client's round trip is printed beside it.

Targets (issue 15, p95 server time): review and dossier <= 50 ms, search <= 200 ms, stats <= 300 ms.

    .venv/bin/python scripts/bench_console.py                      # 1,000,000 documents
    .venv/bin/python scripts/bench_console.py --documents 100000 --requests 100
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "scripts"))

import httpx  # noqa: E402
import psycopg  # noqa: E402
from sqlalchemy import create_engine, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from bench_index import COLUMNS, TYPES, generate, owner, tear_down  # noqa: E402
from pipeline.core.people import People  # noqa: E402
from pipeline.settings import Settings  # noqa: E402
from pipeline.stores.index import Index, upgrade  # noqa: E402
from pipeline.stores.objects import open_store  # noqa: E402
from schemas.catalog import default_catalog  # noqa: E402

TARGETS_P95_MS = {"review page": 50, "dossier page": 50, "search": 200, "figures (stats)": 300}
PASSWORD = "mat-khau-bench-console"
NOTES = ["issue_date unreadable", "required field owner_id not found",
         "type uncertain (abstained: margin 0.03)", "required field full_name not found; issue_date unreadable",
         "owner_id 001099012345: birth year 99 disagrees with date_of_birth"]
SEARCHES = ["quyet dinh xay dung", "giay phep xay dung", "nguyen van hung", "doi can", "thua dat so 125",
            "Giấy khai sinh Hà Đông", "ket hon phuong", "quyen su dung dat", "Đặng Quốc Đạt", "luat xay dung 2014"]
REVIEW_EVERY = 33  # one document in 33 waits for a person
_AT = {name: i for i, name in enumerate(COLUMNS)}


def documents(rows: int, owners: int, seed: int, now: datetime):
    """bench_index's rows, made older the earlier they come (a year of intake), some waiting."""
    year = timedelta(days=365)
    for n, record in enumerate(generate(rows, owners, random.Random(seed))):
        record = list(record)
        record[_AT["created_at"]] = now - year * (1 - n / rows)
        if n % REVIEW_EVERY == 0:
            record[_AT["status"]] = "needs_review"
            record[_AT["review_note"]] = NOTES[(n // REVIEW_EVERY) % len(NOTES)]
        yield record


def document_id(n: int) -> str:
    import hashlib

    return hashlib.sha256(n.to_bytes(8, "big")).hexdigest()[:32]


def dossier_rows(rows: int, owners: int, now: datetime):
    """A dossier row and its components for every other dossier code of the documents."""
    catalog = default_catalog()
    procedures = list(catalog.procedures.values())
    year = timedelta(days=365)
    heads, parts = [], []
    for k in range(0, rows // 5, 2):
        procedure = procedures[k % len(procedures)]
        code = f"HS-{k:07d}"
        heads.append((code, procedure.code, owner(k % owners), "incomplete" if k % 3 == 0 else "complete",
                      "console:lan", now - year * (1 - 5 * k / rows)))
        for position, c in enumerate(procedure.components):
            source = ("missing", "reused", "uploaded")[(k + position) % 3]
            parts.append((code, c.doc_type, position, c.required, source,
                          None if source == "missing" else document_id(5 * k + position % 5), None))
    return heads, parts


def load(url: str, rows: int, owners: int, seed: int) -> float:
    started = time.perf_counter()
    now = datetime.now(UTC)
    dsn = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(dsn) as conn, conn.cursor() as cur:
        cur.execute("select indexname, indexdef from pg_indexes where tablename = 'documents' and indexname like 'ix_%'")
        indexes = cur.fetchall()
        for name, _ in indexes:  # build the secondary indexes once, after the data
            cur.execute(f'DROP INDEX "{name}"')
        with cur.copy(f"COPY documents ({', '.join(COLUMNS)}) FROM STDIN") as copy:
            for i, record in enumerate(documents(rows, owners, seed, now)):
                copy.write_row(record)
                if i and i % 200_000 == 0:
                    print(f"  {i:,} documents  {time.perf_counter() - started:.0f} s", flush=True)
        heads, parts = dossier_rows(rows, owners, now)
        with cur.copy("COPY dossiers (code, procedure_code, owner_id, status, created_by, created_at) FROM STDIN") as copy:
            for head in heads:
                copy.write_row(head)
        with cur.copy("COPY dossier_components (dossier_code, doc_type, position, required, source, document_id, "
                      "job_id) FROM STDIN") as copy:
            for part in parts:
                copy.write_row(part)
        print(f"  copied ({len(heads):,} dossiers, {len(parts):,} components) {time.perf_counter() - started:.0f} s;"
              " building indexes", flush=True)
        cur.execute("SET maintenance_work_mem = '512MB'")
        for _, definition in indexes:
            cur.execute(definition)
        conn.commit()
        conn.autocommit = True
    return time.perf_counter() - started


def vacuum(url: str) -> None:
    dsn = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(dsn, autocommit=True) as conn:
        # documents rewritten as the head stores them (0012: the search vector in the row)
        conn.execute("VACUUM FULL documents")
        # then every table: the visibility map (index-only scans), which VACUUM FULL leaves empty
        for table in ("documents", "dossiers", "dossier_components", "document_days", "dossier_days"):
            conn.execute(f"VACUUM ANALYZE {table}")


def upgrade_to(url: str, revision: str) -> None:
    from alembic import command

    from pipeline.stores.index.engine import _alembic_config  # the index's own Alembic set-up

    engine = create_engine(url)
    with engine.begin() as conn:
        command.upgrade(_alembic_config(conn), revision)
    engine.dispose()


def ocr_record(rng: random.Random) -> bytes:
    """An OCR record like the pipeline's: one A4 page of about 250 words with boxes."""
    words = []
    for line in range(40):
        x = 40.0
        for _ in range(6):
            w = rng.uniform(20, 70)
            words.append({"text": "chữ", "bbox": [x, 40 + 18 * line, x + w, 52 + 18 * line], "confidence": 90.0,
                          "line": line})
            x += w + 6
    return json.dumps({"pages": [{"page": 1, "width": 595.0, "height": 842.0, "text": "", "words": words}]},
                      ensure_ascii=False).encode()


def percentiles(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    return statistics.median(ordered), ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def start_server(home: Path, url: str) -> tuple[subprocess.Popen, str]:
    port = 18000 + secrets.randbelow(1000)
    env = {**os.environ, "SOHOA_HOME": str(home), "SOHOA_DATABASE_URL": url,
           "SOHOA_RATE_LIMIT_PER_MINUTE": "100000000", "PYTHONPATH": str(REPO)}
    server = subprocess.Popen([sys.executable, "-m", "pipeline", "serve", "--port", str(port), "--workers", "1"],
                              env=env, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    for _ in range(300):
        try:
            if httpx.get(base + "/readyz", timeout=1).status_code == 200:
                return server, base
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    server.terminate()
    raise SystemExit("sohoa serve did not start")


def logged_in(base: str, username: str) -> httpx.Client:
    client = httpx.Client(base_url=base, timeout=60, follow_redirects=True)
    form = client.get("/console/login").text
    token = re.search(r'name="csrf" value="([^"]+)"', form).group(1)
    answer = client.post("/console/login", data={"username": username, "password": PASSWORD, "csrf": token})
    assert answer.status_code == 200 and "/console/login" not in str(answer.url), answer.status_code
    return client


def measure(client: httpx.Client, paths: list[str]) -> tuple[list[float], list[float]]:
    """(server ms from Server-Timing, client round-trip ms) of each path, one after another."""
    server, round_trip = [], []
    for path in paths:
        started = time.perf_counter()
        answer = client.get(path)
        round_trip.append((time.perf_counter() - started) * 1000)
        assert answer.status_code == 200, (path, answer.status_code, answer.text[:300])
        timing = re.search(r"app;dur=([\d.]+)", answer.headers.get("server-timing", ""))
        if timing:
            server.append(float(timing.group(1)))
    return server, round_trip


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default="postgresql+psycopg://postgres@127.0.0.1:5432/postgres",
                        help="server to create the throw-away database on")
    parser.add_argument("--documents", type=int, default=1_000_000)
    parser.add_argument("--requests", type=int, default=200, help="requests per page")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--keep", action="store_true", help="keep the loaded database (prints its name)")
    parser.add_argument("--database", help="reuse a database kept by --keep instead of loading one")
    args = parser.parse_args()
    rows, owners = args.documents, max(1, args.documents // 4)
    name = args.database or f"sohoa_bench_console_{secrets.token_hex(4)}"
    admin = create_engine(args.url, isolation_level="AUTOCOMMIT")
    url = make_url(args.url).set(database=name).render_as_string(hide_password=False)
    home = Path(tempfile.mkdtemp(prefix="sohoa-bench-console-"))
    server = None
    try:
        if not args.database:
            with admin.connect() as conn:
                conn.execute(text(f'CREATE DATABASE "{name}"'))
        if not args.database:
            # loaded at 0008 like an index that grew before 0009, whose upgrade then makes the
            # indexes and counts of the console once over the rows (triggers would do it row by row)
            upgrade_to(url, "0008")
            print(f"loading {rows:,} documents into {name} with COPY …", flush=True)
            print(f"loaded in {load(url, rows, owners, args.seed):.0f} s", flush=True)
            started = time.perf_counter()
            upgrade(url)
            vacuum(url)
            print(f"migrated to head (0009 fills its counts) in {time.perf_counter() - started:.0f} s", flush=True)
        upgrade(url)
        index = Index(url)
        with index.engine.connect() as conn:
            size = conn.execute(text("select pg_size_pretty(pg_total_relation_size('documents'))")).scalar()
            waiting = conn.execute(text("select count(*) from documents where status = 'needs_review'")).scalar()
        people = People(index)
        for username, role in (("minh", "reviewer"), ("lan", "clerk")):
            if people.get(username) is None:
                people.create(username, role, PASSWORD, full_name=username, office="UBND phường 1")
        rng = random.Random(args.seed)
        review_ids = [document_id(REVIEW_EVERY * rng.randrange(rows // REVIEW_EVERY)) for _ in range(args.requests)]
        store = open_store(Settings(home=home).objects_url)
        for doc_id in set(review_ids):  # the review page reads the page's words from the OCR record
            store.put(index.get(doc_id).ocr_key, ocr_record(rng), {"document-id": doc_id, "variant": "ocr"})
        index.close()
        server, base = start_server(home, url)
        reviewer, clerk = logged_in(base, "minh"), logged_in(base, "lan")
        pages = {
            "review page": (reviewer, [f"/console/review/{i}" for i in review_ids]),
            "review queue": (reviewer, ["/console/review"] * args.requests),
            "review queue, filtered": (reviewer, [
                f"/console/review?reason={('fields', 'type', 'saved')[i % 3]}&type={TYPES[i % len(TYPES)]}"
                for i in range(args.requests)]),
            "search": (clerk, [f"/console/search?q={SEARCHES[i % len(SEARCHES)]}"
                               + (f"&type={TYPES[i % len(TYPES)]}" if i % 3 == 1 else "")
                               for i in range(args.requests)]),
            "dossier page": (clerk, [f"/console/dossiers/HS-{rng.randrange(rows // 5):07d}"
                                     for _ in range(args.requests)]),
            "figures (stats)": (clerk, ["/console/stats"] * max(20, args.requests // 5)),
        }
        health = httpx.Client(base_url=base)
        for client, paths in pages.values():  # warm each page's code and caches a little
            measure(client, paths[:5])
        floor = measure(health, ["/healthz"] * args.requests)[1]
        results = {label: measure(client, paths) for label, (client, paths) in pages.items()}
        floor_after = measure(health, ["/healthz"] * args.requests)[1]
    finally:
        tear_down(server, admin, name, keep=bool(args.keep or args.database), home=home)

    h50, h95 = percentiles(floor + floor_after)
    print(f"\n{rows:,} documents ({size} with indexes), {waiting:,} waiting for review; one request at a time, "
          f"1 server process, {os.cpu_count()} cores shared with the client")
    print(f"{'page':<26}{'server p50':>11}{'server p95':>11}{'trip p50':>10}{'trip p95':>10}"
          f"{'p95/floor':>10}{'target':>9}  verdict")
    print(f"{'baseline: GET /healthz':<26}{'':>11}{'':>11}{h50:>10.1f}{h95:>10.1f}{1:>10.1f}")
    for label, (server_ms, trip_ms) in results.items():
        s50, s95 = percentiles(server_ms)
        t50, t95 = percentiles(trip_ms)
        target = TARGETS_P95_MS.get(label)
        verdict = "" if target is None else ("met" if s95 <= target else "MISSED")
        print(f"{label:<26}{s50:>11.1f}{s95:>11.1f}{t50:>10.1f}{t95:>10.1f}{t95 / h95:>10.1f}"
              f"{(str(target) + ' ms') if target else '':>9}  {verdict}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
