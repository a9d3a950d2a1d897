"""Queue benchmark: throughput of 1 against 2 worker processes, and the cost of the queue against a
local ingest, on the same generated pages.

    .venv/bin/python scripts/bench_workers.py [--pages 24] [--seed 9000] [--pages-per-document 1]

Generates degraded 300 dpi pages (scripts/bench_ocr.py's pages; with --pages-per-document N>1
they are grouped into N-page TIFFs, which workers fan out per page), then measures, each in a
fresh SOHOA_HOME with OMP_THREAD_LIMIT=1:
  (a) `sohoa ingest --jobs 1` (one core);
  (b) `sohoa worker --processes 1` on a private redis-server: seconds from `sohoa ingest --queue`
      (which stages the bytes in the object store) until the batch status has nothing pending;
  (c) the same with `--processes 2`;
  (d) `sohoa ingest --jobs 2`: what two processes gain on this machine without a queue (other
      work on the machine lowers (c) and (d) alike).
Prints pages/s, the 2-vs-1 speed-up (target >= 1.8x on 2 cores) and queued pages/s per core
against (a) (target >= 0.9x). Workers are started and warmed up before the clock starts.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from PIL import Image

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "scripts"))

from bench_ocr import make_pages  # noqa: E402

from pipeline.core.batches import Batches  # noqa: E402
from pipeline.stores.index import Index  # noqa: E402

CLASSIFIER = REPO / "build" / "test-models" / "type-classifier.pkl"


def environment(home: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SOHOA_")}
    env.update(SOHOA_HOME=str(home), SOHOA_CLASSIFIER_PATH=str(CLASSIFIER), OMP_THREAD_LIMIT="1")
    return env | extra


def sohoa(env: dict[str, str], *args) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "pipeline", *map(str, args)], env=env, cwd=REPO,
                          capture_output=True, text=True, check=True)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def make_inputs(directory: Path, pages: int, seed: int, per_document: int) -> Path:
    folder = directory / "HS-BENCH"
    folder.mkdir(parents=True)
    scans = make_pages(folder, pages, seed)
    if per_document > 1:
        for start in range(0, pages, per_document):
            group = [Image.open(path) for path, _text in scans[start:start + per_document]]
            group[0].save(folder / f"document-{start:03d}.tif", save_all=True,
                          append_images=group[1:], dpi=(300, 300))
        for path, _text in scans:
            path.unlink()
    return folder


def bench_local(inputs: Path, work: Path, jobs: int) -> float:
    env = environment(work / f"local-{jobs}")
    started = time.perf_counter()
    sohoa(env, "ingest", inputs, "--jobs", str(jobs))
    return time.perf_counter() - started


def bench_queued(inputs: Path, warm_up: Path, work: Path, processes: int, server_url: str | None = None) -> float:
    port = free_port()
    redis = subprocess.Popen(["redis-server", "--port", str(port), "--save", "", "--appendonly", "no"],
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    home = work / f"queued-{processes}"
    database = scratch_database(server_url, f"sohoa_bench_workers_{processes}") if server_url else None
    extra = {"SOHOA_DATABASE_URL": database} if database else {}
    env = environment(home, SOHOA_BROKER_URL=f"redis://127.0.0.1:{port}/0", **extra)
    if database:
        sohoa(env, "db", "upgrade")  # as the compose file's one-shot `migrate` does
    time.sleep(0.5)
    worker = subprocess.Popen([sys.executable, "-m", "pipeline", "worker", "--processes", str(processes)],
                              env=env, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                              start_new_session=True)
    try:
        # One document per process first: processes booted, classifier loaded, caches warm.
        index_url = database or f"sqlite:///{home.resolve() / 'index.sqlite3'}"
        wait_done(index_url, sohoa(env, "ingest", "--queue", warm_up).stdout.strip())
        started = time.perf_counter()
        batch_id = sohoa(env, "ingest", "--queue", inputs).stdout.strip()
        wait_done(index_url, batch_id)
        return time.perf_counter() - started
    finally:
        os.killpg(worker.pid, 15)
        worker.wait()
        redis.kill()
        redis.wait()
        if database:
            drop_database(server_url, database)


def scratch_database(server_url: str, name: str) -> str:
    """A new empty database on ``server_url`` (PostgreSQL), its URL."""
    from sqlalchemy import create_engine, make_url, text

    admin = create_engine(server_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return make_url(server_url).set(database=name).render_as_string(hide_password=False)


def drop_database(server_url: str, url: str) -> None:
    from sqlalchemy import create_engine, make_url, text

    admin = create_engine(server_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{make_url(url).database}" WITH (FORCE)'))
    admin.dispose()


def wait_done(index_url: str, batch_id: str) -> None:
    batches = Batches(Index(index_url))
    while not batches.counts(batch_id).done:
        time.sleep(0.1)
    counts = batches.counts(batch_id)
    if counts.failed:
        raise SystemExit(f"batch {batch_id}: {counts.failed} failed")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=24)
    parser.add_argument("--seed", type=int, default=9000)
    parser.add_argument("--pages-per-document", type=int, default=1)
    parser.add_argument("--database-server", metavar="URL",
                        help="the queued runs' index on a fresh database of this PostgreSQL server (as workers "
                             "run in production), e.g. postgresql+psycopg://postgres@127.0.0.1:5432/postgres; "
                             "default: the embedded SQLite index")
    args = parser.parse_args()
    if shutil.which("redis-server") is None:
        raise SystemExit("redis-server is not installed")
    with tempfile.TemporaryDirectory(prefix="sohoa-bench-workers-") as tmp:
        work = Path(tmp)
        inputs = make_inputs(work / "in", args.pages, args.seed, args.pages_per_document)
        warm_up = make_inputs(work / "warm", 2, args.seed + 5000, 1)
        local = bench_local(inputs, work, 1)
        one = bench_queued(inputs, warm_up, work, 1, args.database_server)
        two = bench_queued(inputs, warm_up, work, 2, args.database_server)
        local_two = bench_local(inputs, work, 2)
    pages = args.pages
    result = {
        "pages": pages,
        "pages_per_document": args.pages_per_document,
        "queued_index": "postgresql" if args.database_server else "sqlite",
        "local_jobs1_pages_per_s": round(pages / local, 3),
        "queued_1_process_pages_per_s": round(pages / one, 3),
        "queued_2_processes_pages_per_s": round(pages / two, 3),
        "local_jobs2_pages_per_s": round(pages / local_two, 3),
        "speedup_2_vs_1": round(one / two, 2),
        "local_speedup_jobs2_vs_jobs1": round(local / local_two, 2),
        "queued_per_core_vs_local": round(local / one, 2),
        "queued_2_per_core_vs_local": round(local / (two * 2), 2),
    }
    index = "PostgreSQL" if args.database_server else "embedded SQLite"
    print(f"{pages} pages ({args.pages_per_document} per document), OMP_THREAD_LIMIT=1, queued runs' index: {index}")
    print(f"(a) sohoa ingest --jobs 1          {pages / local:6.3f} pages/s  ({local:.1f} s)")
    print(f"(b) sohoa worker --processes 1     {pages / one:6.3f} pages/s  ({one:.1f} s)")
    print(f"(c) sohoa worker --processes 2     {pages / two:6.3f} pages/s  ({two:.1f} s)")
    print(f"(d) sohoa ingest --jobs 2          {pages / local_two:6.3f} pages/s  ({local_two:.1f} s)")
    print(f"2 vs 1 process: {one / two:.2f}x queued (target >= 1.8), "
          f"{local / local_two:.2f}x local --jobs 2 vs 1 on this machine now")
    print(f"queued pages/s per core vs local --jobs 1: {local / one:.2f}x with 1 process, "
          f"{local / (2 * two):.2f}x with 2 (target >= 0.9)")
    print(json.dumps(result))


if __name__ == "__main__":
    main()
