"""Benchmark the reuse API at production size (not a test).

Loads generated documents into a throw-away PostgreSQL database (bench_index's COPY loader), runs
`sohoa serve` on loopback, and drives `POST /v1/procedures/{code}/check` with wrk at 50 concurrent
connections, each request a random owner and one of three procedures. Baselines measured in the
same run: the same check called in-process (no HTTP), and `GET /healthz` through the same server
at the same concurrency (the HTTP floor). Target (issue 17): >= 1,200 checks/s and p99 <= 50 ms.

    .venv/bin/python scripts/bench_api.py --rows 1000000
    .venv/bin/python scripts/bench_api.py --rows 100000 --seconds 10   # a quick look
    .venv/bin/python scripts/bench_api.py --database sohoa_bench_api_1m   # load once, reuse after
    .venv/bin/python scripts/bench_api.py --sqlite                       # embedded SQLite, 1,000 documents

`--database NAME` loads NAME the first time (it must not exist yet, or must hold what an earlier
`--database NAME` run loaded) and keeps it; later runs with the same NAME and --rows reuse it.
"""

from __future__ import annotations

import argparse
import os
import random
import re
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "scripts"))

import httpx  # noqa: E402
from sqlalchemy import create_engine, func, insert, select, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from bench_index import (  # noqa: E402
    COLUMNS, generate, load_migrated, loaded_before, owner, percentiles, tear_down,
)
from pipeline.core.access import AccessStore  # noqa: E402
from pipeline.stores.index import Index, upgrade  # noqa: E402
from pipeline.stores.index.tables import documents  # noqa: E402
from pipeline.core.reuse import check_procedure  # noqa: E402
from schemas.catalog import default_catalog  # noqa: E402

PROCEDURES = ["1.000894", "2.000720", "1.009994"]  # marriage, household business, building permit
TARGET_P99_MS = 50.0
TARGET_RPS = 1200.0

WRK_SCRIPT = """
math.randomseed(%(seed)d)
local procedures = {%(procedures)s}
request = function()
  local owner = string.format("0010%%08d", math.random(0, %(owners)d - 1))
  local code = procedures[math.random(1, #procedures)]
  return wrk.format("POST", "/v1/procedures/" .. code .. "/check",
    {["Content-Type"] = "application/json", ["X-API-Key"] = "%(key)s", ["X-Purpose"] = "benchmark"},
    '{"owner_id": "' .. owner .. '"}')
end
"""


def wrk(url: str, *, connections: int, seconds: int, threads: int, script: Path | None) -> dict:
    command = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--latency", "--timeout", "10s"]
    if script:
        command += ["-s", str(script)]
    output = subprocess.run([*command, url], capture_output=True, text=True, check=True).stdout
    return parse_wrk(output)


def parse_wrk(output: str) -> dict:
    def ms(value: str) -> float:
        number, unit = re.fullmatch(r"([\d.]+)(us|ms|s)", value).groups()
        return float(number) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]

    distribution = dict(re.findall(r"^\s+(50|75|90|99)%\s+([\d.]+(?:us|ms|s))\s*$", output, re.M))
    if "99" not in distribution:
        raise SystemExit(f"cannot read wrk's latency distribution:\n{output}")
    requests = int(re.search(r"(\d+) requests in", output).group(1))
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    socket_errors = re.search(r"Socket errors: (.*)", output)
    return {
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1)),
        "p50": ms(distribution["50"]), "p90": ms(distribution["90"]), "p99": ms(distribution["99"]),
        "requests": requests, "non_2xx": int(errors.group(1)) if errors else 0,
        "socket_errors": socket_errors.group(1) if socket_errors else "",
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default="postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--rows", type=int, default=0, help="default: 1,000,000 (1,000 with --sqlite)")
    parser.add_argument("--owners", type=int, default=0, help="default: rows / 4")
    parser.add_argument("--connections", type=int, default=50)
    parser.add_argument("--seconds", type=int, default=30)
    parser.add_argument("--server-workers", type=int, default=2, help="uvicorn processes")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--keep", action="store_true", help="keep the loaded database (prints its name)")
    parser.add_argument("--database", help="load this database once and keep it; reuse it when it exists")
    parser.add_argument("--sqlite", action="store_true",
                        help="embedded SQLite in a temporary home instead of PostgreSQL")
    args = parser.parse_args()
    if not shutil.which("wrk"):
        print("wrk is needed: apt-get install wrk (scripts/setup.sh installs it)", file=sys.stderr)
        return 1
    args.rows = args.rows or (1_000 if args.sqlite else 1_000_000)
    owners = args.owners or max(1, args.rows // 4)

    server = None
    home = Path(tempfile.mkdtemp(prefix="sohoa-bench-api-"))
    admin = name = None
    if args.sqlite:
        url = f"sqlite:///{home / 'index.sqlite3'}"
    else:
        name = args.database or f"sohoa_bench_api_{secrets.token_hex(4)}"
        admin = create_engine(args.url, isolation_level="AUTOCOMMIT")
        url = make_url(args.url).set(database=name).render_as_string(hide_password=False)
    try:
        if args.sqlite:
            upgrade(url)
            load_sqlite(url, args.rows, owners, args.seed)
        elif not (args.database and loaded_before(admin, url, name, args.rows)):
            with admin.connect() as conn:
                conn.execute(text(f'CREATE DATABASE "{name}"'))
            print(f"loading {args.rows:,} documents ({owners:,} owners) into {name} …", flush=True)
            print(f"loaded in {load_migrated(url, args.rows, owners, args.seed):.0f} s", flush=True)
        else:
            print(f"reusing {name} ({args.rows:,} documents)", flush=True)
        index = Index(url, upgrade=True)
        key = AccessStore(index).create_key(f"bench-{secrets.token_hex(4)}", ["documents:read"]).key
        catalog = default_catalog()

        # baseline 1: the check in-process, one call at a time
        rng = random.Random(args.seed)
        in_process = []
        for i in range(2000):
            started = time.perf_counter()
            check_procedure(index, catalog, PROCEDURES[i % 3], owner(rng.randrange(owners)))
            in_process.append((time.perf_counter() - started) * 1000)
        with index.engine.connect() as conn:
            on_file = conn.execute(select(func.count()).select_from(documents).where(
                documents.c.owner_id.in_([owner(i) for i in range(100)]))).scalar_one()
        index.close()

        port = 18000 + secrets.randbelow(1000)
        env = {**os.environ, "SOHOA_HOME": str(home), "SOHOA_DATABASE_URL": url,
               "SOHOA_RATE_LIMIT_PER_MINUTE": "100000000"}
        server = subprocess.Popen(
            [sys.executable, "-m", "pipeline", "serve", "--port", str(port),
             "--workers", str(args.server_workers)],
            env=env, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        base = f"http://127.0.0.1:{port}"
        for _ in range(300):
            try:
                if httpx.get(base + "/readyz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.2)
        else:
            raise SystemExit("sohoa serve did not start")
        sample = httpx.post(f"{base}/v1/procedures/1.000894/check", json={"owner_id": owner(1)},
                            headers={"X-API-Key": key, "X-Purpose": "benchmark"})
        assert sample.status_code == 200, sample.text

        script = home / "check.lua"
        script.write_text(WRK_SCRIPT % {"seed": args.seed, "owners": owners, "key": key,
                                        "procedures": ", ".join(f'"{p}"' for p in PROCEDURES)})
        warm = max(3, args.seconds // 5)
        wrk(base + "/", connections=args.connections, seconds=warm, threads=1, script=script)
        health = wrk(base + "/healthz", connections=args.connections, seconds=args.seconds // 2 or 1,
                     threads=1, script=None)
        check = wrk(base + "/", connections=args.connections, seconds=args.seconds, threads=1,
                    script=script)
    finally:
        tear_down(server, admin, name, keep=bool(args.keep or args.database), home=home)

    p50, p99 = percentiles(in_process)
    print(f"\n{'SQLite' if args.sqlite else 'PostgreSQL'}, "
          f"{args.rows:,} documents, {owners:,} owners ({on_file / 100:.1f} documents each), "
          f"{args.connections} concurrent connections, {args.server_workers} server processes, "
          f"wrk on the same {os.cpu_count()} cores")
    print(f"{'measure':<46}{'req/s':>9}{'p50 ms':>9}{'p90 ms':>9}{'p99 ms':>9}")
    print(f"{'baseline: check in-process, sequential':<46}{1000 / statistics.mean(in_process):>9.0f}"
          f"{p50:>9.2f}{'':>9}{p99:>9.2f}")
    for label, result in (("baseline: GET /healthz over HTTP", health),
                          ("POST /v1/procedures/{code}/check", check)):
        print(f"{label:<46}{result['rps']:>9.0f}{result['p50']:>9.2f}{result['p90']:>9.2f}"
              f"{result['p99']:>9.2f}")
    print(f"check errors: {check['non_2xx']} non-2xx of {check['requests']:,} {check['socket_errors']}")
    verdict = "met" if check["p99"] <= TARGET_P99_MS else "MISSED"
    rate_verdict = "met" if check["rps"] >= TARGET_RPS else "MISSED"
    print(f"check p99 {check['p99']:.1f} ms vs target {TARGET_P99_MS:.0f} ms: {verdict}; "
          f"{check['rps']:.0f} req/s vs target {TARGET_RPS:,.0f}: {rate_verdict}; "
          f"throughput {check['rps'] / health['rps']:.2f} of the HTTP floor's (/healthz)")
    return 0


def load_sqlite(url: str, rows: int, owners: int, seed: int) -> None:
    """The same generated documents as PostgreSQL's COPY, inserted into the embedded index."""
    engine = create_engine(url)
    try:
        with engine.begin() as conn:
            batch = []
            for record in generate(rows, owners, random.Random(seed)):
                batch.append(dict(zip(COLUMNS, record)))
                if len(batch) == 1000:
                    conn.execute(insert(documents), batch)
                    batch = []
            if batch:
                conn.execute(insert(documents), batch)
    finally:
        engine.dispose()


if __name__ == "__main__":
    raise SystemExit(main())
