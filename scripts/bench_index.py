"""Benchmark the PostgreSQL index at production size (not a test).

Creates a throw-away database, migrates it, loads generated document rows with COPY, then times
the two hot queries through `pipeline.stores.index.Index`:
  - lookup: documents of owner X of these types, valid today  (target p99 <= 20 ms)
  - search: accent-insensitive full-text search, 20 hits        (target p99 <= 200 ms)

    .venv/bin/python scripts/bench_index.py --rows 1000000 --queries 200
    .venv/bin/python scripts/bench_index.py --url postgresql+psycopg://postgres@127.0.0.1/postgres
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import secrets
import shutil
import statistics
import sys
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import psycopg  # noqa: E402
from sqlalchemy import create_engine, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from pipeline.stores.index import Index, search_words, upgrade  # noqa: E402

# Catalog type codes (schemas/document_types.yaml), so the API benchmark's procedure checks hit.
TYPES = ["can_cuoc", "giay_khai_sinh", "xac_nhan_tinh_trang_hon_nhan",
         "giay_chung_nhan_quyen_su_dung_dat", "giay_phep_xay_dung", "quyet_dinh", "to_khai",
         "giay_chung_nhan_ket_hon", "xac_nhan_cu_tru", "giay_chung_nhan_dang_ky_ho_kinh_doanh"]
EXPIRING = ("can_cuoc", "xac_nhan_tinh_trang_hon_nhan", "giay_phep_xay_dung")
TITLES = {
    "can_cuoc": "Căn cước công dân", "giay_khai_sinh": "Giấy khai sinh",
    "xac_nhan_tinh_trang_hon_nhan": "Giấy xác nhận tình trạng hôn nhân",
    "giay_chung_nhan_quyen_su_dung_dat": "Giấy chứng nhận quyền sử dụng đất",
    "giay_phep_xay_dung": "Giấy phép xây dựng", "quyet_dinh": "Quyết định",
    "to_khai": "Tờ khai", "giay_chung_nhan_ket_hon": "Giấy chứng nhận kết hôn",
    "xac_nhan_cu_tru": "Xác nhận thông tin về cư trú",
    "giay_chung_nhan_dang_ky_ho_kinh_doanh": "Giấy chứng nhận đăng ký hộ kinh doanh",
}
FAMILY = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Huỳnh", "Phan", "Vũ", "Võ", "Đặng", "Bùi",
          "Đỗ", "Hồ", "Ngô", "Dương", "Lý"]
MIDDLE = ["Văn", "Thị", "Hữu", "Đức", "Thanh", "Minh", "Ngọc", "Quốc", "Xuân", "Thu"]
GIVEN = ["An", "Bình", "Cường", "Dũng", "Đạt", "Giang", "Hà", "Hải", "Hạnh", "Hiếu", "Hoa",
         "Hùng", "Hương", "Khánh", "Lan", "Linh", "Long", "Mai", "Nam", "Nga", "Nhung", "Phúc",
         "Phương", "Quân", "Sơn", "Tâm", "Thảo", "Trang", "Tuấn", "Vy", "Yến", "Đông"]
PLACES = ["Ba Đình", "Hoàn Kiếm", "Đống Đa", "Cầu Giấy", "Thanh Xuân", "Hai Bà Trưng",
          "Long Biên", "Tây Hồ", "Hoàng Mai", "Hà Đông", "Nam Từ Liêm", "Bắc Từ Liêm"]
STREETS = ["Đội Cấn", "Liễu Giai", "Kim Mã", "Nguyễn Trãi", "Láng Hạ", "Giải Phóng",
           "Trần Duy Hưng", "Lê Duẩn", "Hoàng Quốc Việt", "Phạm Văn Đồng", "Xuân Thủy"]
BODY = [
    "Căn cứ Luật Tổ chức chính quyền địa phương ngày 19 tháng 6 năm 2015",
    "Căn cứ Luật Xây dựng năm 2014 và Luật sửa đổi, bổ sung một số điều",
    "Xét đề nghị của Trưởng phòng Quản lý đô thị",
    "Về việc cấp giấy phép xây dựng nhà ở riêng lẻ",
    "Về việc tạm dừng thi công công trình chưa có giấy phép",
    "Điều 1. Cấp cho ông bà có tên dưới đây được phép xây dựng công trình",
    "Nơi đăng ký thường trú", "Quốc tịch: Việt Nam", "Dân tộc: Kinh",
    "Đặc điểm nhân dạng: nốt ruồi cách 2 cm trên đuôi mắt trái",
    "Có giá trị đến", "Chủ tịch Ủy ban nhân dân", "Quyền sử dụng đất, quyền sở hữu nhà ở",
    "Thửa đất số 125, tờ bản đồ số 7, diện tích 82,5 m2", "Mục đích sử dụng: đất ở tại đô thị",
    "Bằng tốt nghiệp trung học phổ thông", "Xếp loại: khá", "Hiệu trưởng",
    "Đăng ký kết hôn tại Ủy ban nhân dân phường", "Nơi sinh: Bệnh viện Phụ sản Hà Nội",
]
COLUMNS = ["id", "sha256", "source", "filename", "media_type", "input_kind", "dossier_code",
           "owner_id", "procedure_code", "title", "pages", "ocr_confidence", "status", "version",
           "original_key", "searchable_key", "ocr_key", "searchable_sha256", "ocr_sha256", "text",
           "stage_seconds", "created_at", "doc_type", "type_confidence", "type_reason", "fields",
           "valid_until", "issue_date", "review_note", "search_title", "search_text"]


def owner(n: int) -> str:
    return f"0010{n:08d}"


def generate(rows: int, owners: int, rng: random.Random, variants: int = 20_000):
    """Rows with `variants` distinct texts (folding each of a million texts in Python would
    dominate the load time); ids, owners, dossiers and dates differ on every row."""
    today = date.today()
    created = datetime.now(UTC)
    pool = [_paper(rng) for _ in range(min(rows, variants))]
    for n in range(rows):
        doc_type, title, body, person, search_title, search_text = pool[n % len(pool)]
        sha = hashlib.sha256(n.to_bytes(8, "big")).hexdigest()
        issue = today - timedelta(days=rng.randint(0, 20 * 365))
        valid = (issue + timedelta(days=rng.choice([5, 10, 15]) * 365)
                 if doc_type in EXPIRING else None)
        yield (
            sha[:32], sha, f"/scans/{n}.pdf", f"{n}.pdf", "application/pdf", "scanned_pdf",
            f"HS-{n // 5:07d}", owner(rng.randrange(owners)), None, title, 1, 90.0, "stored", 1,
            f"originals/sha256/{sha[:2]}/{sha[2:4]}/{sha}", f"documents/{sha[:32]}/v1/searchable.pdf",
            f"documents/{sha[:32]}/v1/ocr.json", sha, sha, body, "{}", created, doc_type, 0.9,
            "bench", json.dumps({"ho_ten": {"value": person, "confidence": 0.9, "page": 1,
                                            "bbox": [0, 0, 1, 1]}}, ensure_ascii=False),
            valid, issue, None, search_title, search_text,
        )


def _paper(rng: random.Random):
    doc_type = rng.choice(TYPES)
    person = f"{rng.choice(FAMILY)} {rng.choice(MIDDLE)} {rng.choice(GIVEN)}"
    place = rng.choice(PLACES)
    body = "\n".join([
        f"ỦY BAN NHÂN DÂN QUẬN {place.upper()}", TITLES[doc_type].upper(),
        f"Số: {rng.randint(1, 9999)}/{rng.choice(['QĐ', 'TB', 'GP'])}-UBND",
        *rng.sample(BODY, 4),
        f"Họ và tên: {person}", f"Địa chỉ: số {rng.randint(1, 300)} phố {rng.choice(STREETS)}, "
        f"quận {place}, Hà Nội",
    ])
    title = f"{TITLES[doc_type]} - {person}"
    return doc_type, title, body, person, search_words(title), search_words(body)


#: The last migration before the per-row counting triggers of 0009: rows are loaded at it, and the
#: upgrade to head then counts them once (a trigger per row of a 1M-row COPY updates the same day's
#: counter row a million times in one transaction and never finishes).
LOAD_AT_REVISION = "0008"


def load_migrated(url: str, rows: int, owners: int, seed: int) -> float:
    """Migrate an empty database to `LOAD_AT_REVISION`, `load` the rows, upgrade to head."""
    from alembic import command

    from pipeline.stores.index.engine import _alembic_config  # the index's own Alembic set-up

    started = time.perf_counter()
    engine = create_engine(url)
    with engine.begin() as conn:
        command.upgrade(_alembic_config(conn), LOAD_AT_REVISION)
    engine.dispose()
    load(url, rows, owners, seed)
    upgrade(url)
    dsn = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(dsn, autocommit=True) as conn:
        # the rows were written at LOAD_AT_REVISION: rewritten as the head stores them (0012: the
        # search vector in the row), as an upgraded index is after its `VACUUM FULL documents`
        conn.execute("VACUUM FULL documents")
        conn.execute("VACUUM ANALYZE documents")  # the visibility map, which VACUUM FULL leaves empty
        conn.execute("VACUUM ANALYZE document_days")
    return time.perf_counter() - started


def load(url: str, rows: int, owners: int, seed: int) -> float:
    """COPY generated rows into an index at `LOAD_AT_REVISION` (see `load_migrated`)."""
    started = time.perf_counter()
    dsn = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(dsn) as conn, conn.cursor() as cur:
        # bulk-load practice: build the secondary indexes once, after the data
        cur.execute("""select indexname, indexdef from pg_indexes where tablename = 'documents'
                       and indexname like 'ix_%'""")
        indexes = cur.fetchall()
        for name, _ in indexes:
            cur.execute(f'DROP INDEX "{name}"')
        with cur.copy(f"COPY documents ({', '.join(COLUMNS)}) FROM STDIN") as copy:
            for i, record in enumerate(generate(rows, owners, random.Random(seed))):
                copy.write_row(record)
                if i and i % 100_000 == 0:
                    print(f"  {i:,} rows  {time.perf_counter() - started:.0f} s", flush=True)
        print(f"  copied  {time.perf_counter() - started:.0f} s; building indexes", flush=True)
        cur.execute("SET maintenance_work_mem = '1GB'")
        for _, definition in indexes:
            cur.execute(definition)
        conn.commit()
        conn.autocommit = True
        cur.execute("VACUUM ANALYZE documents")
    return time.perf_counter() - started


def loaded_before(admin, url: str, name: str, rows: int) -> bool:
    """Whether ``name`` exists and holds the ``rows`` documents an earlier run loaded (a database
    of that name holding anything else is refused, never dropped or added to)."""
    with admin.connect() as conn:
        exists = conn.execute(text("select 1 from pg_database where datname = :n"), {"n": name}).first()
    if not exists:
        return False
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            held = conn.execute(text("select count(*) from documents")).scalar_one()
    finally:
        engine.dispose()
    if held != rows:
        raise SystemExit(f"database {name} holds {held:,} documents, not {rows:,}: "
                         "give --rows to match or another --database")
    return True


def tear_down(server, admin, name: str, *, keep: bool, home: Path) -> None:
    """After a benchmark against a `sohoa serve` on its own database: the server stopped, the
    database dropped (or kept, and said so, with ``keep``), the scratch home removed."""
    if server is not None:
        server.terminate()
        server.wait(timeout=30)
    if admin is not None:
        if keep:
            print(f"kept database {name}")
        else:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
    shutil.rmtree(home, ignore_errors=True)


def percentiles(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    p99 = ordered[min(len(ordered) - 1, round(0.99 * (len(ordered) - 1)))]
    return statistics.median(ordered), p99


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default="postgresql+psycopg://postgres@127.0.0.1:5432/postgres",
                        help="server to create the throw-away database on")
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--owners", type=int, default=0, help="default: rows / 4")
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--keep", action="store_true", help="do not drop the database")
    parser.add_argument("--database", help="load this database once and keep it; reuse it when it exists "
                                           "(bench_api.py --database loads the same rows)")
    args = parser.parse_args()
    owners = args.owners or max(1, args.rows // 4)

    name = args.database or f"sohoa_bench_{secrets.token_hex(4)}"
    admin = create_engine(args.url, isolation_level="AUTOCOMMIT")
    url = make_url(args.url).set(database=name).render_as_string(hide_password=False)
    reused = bool(args.database) and loaded_before(admin, url, name, args.rows)
    if not reused:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        if reused:
            print(f"reusing {name} ({args.rows:,} rows)", flush=True)
        else:
            print(f"loading {args.rows:,} rows ({owners:,} owners) into {name} with COPY …", flush=True)
            seconds = load_migrated(url, args.rows, owners, args.seed)
            print(f"loaded in {seconds:.0f} s ({args.rows / seconds:,.0f} rows/s)")
        index = Index(url, upgrade=True)
        with index.engine.connect() as conn:
            size = conn.execute(text(
                "select pg_size_pretty(pg_total_relation_size('documents'))")).scalar()
        print(f"documents table with indexes and TOAST: {size}")
        rng = random.Random(args.seed + 1)

        def timed(call) -> tuple[float, int]:
            started = time.perf_counter()
            result = call()
            return (time.perf_counter() - started) * 1000, len(result)

        for _ in range(10):  # warm the connection pool and caches a little
            index.find_for_owner(owner(rng.randrange(owners)), ["can_cuoc"])
        lookups = [
            timed(lambda: index.find_for_owner(owner(rng.randrange(owners)),
                                               rng.sample(TYPES, 3)))
            for _ in range(args.queries)
        ]
        queries = [
            "quyet dinh xay dung", "giay phep xay dung", "nguyen van hung", "doi can",
            "dang thi nhung", "thua dat so 125", "tam dung thi cong", "ho chieu le minh",
            "Giấy khai sinh Hà Đông", "bang tot nghiep xep loai kha", "ket hon phuong",
            "phan thanh long tay ho", "quyen su dung dat", "Đặng Quốc Đạt", "luat xay dung 2014",
        ]
        searches, asked = [], []
        for i in range(args.queries):
            query = queries[i % len(queries)]
            kwargs = {}
            if i % 3 == 1:
                kwargs["doc_type"] = rng.choice(TYPES)
            if i % 3 == 2:
                kwargs["date_from"] = date.today() - timedelta(days=365 * rng.randint(1, 5))
            asked.append((query, kwargs))
            searches.append(timed(lambda: index.search(query, **kwargs)))
        index.close()

        print(f"\n{'search (filter)':<52}{'calls':>6}{'p50 ms':>9}{'max ms':>9}{'rows/call':>11}")
        by_query: dict[tuple[str, str], list[tuple[float, int]]] = {}
        for (query, kwargs), sample in zip(asked, searches):
            by_query.setdefault((query, next(iter(kwargs), "none")), []).append(sample)
        for (query, kind), samples in sorted(by_query.items(), key=lambda item: -max(item[1])[0]):
            ms = [m for m, _ in samples]
            print(f"{query + ' (' + kind + ')':<52}{len(ms):>6}{statistics.median(ms):>9.1f}"
                  f"{max(ms):>9.1f}{statistics.mean(n for _, n in samples):>11.1f}")

        print(f"\n{'query':<52}{'p50 ms':>9}{'p99 ms':>9}{'target p99':>12}{'rows/call':>11}")
        for label, samples, target in (
            ("owner X, 3 types, valid today (find_for_owner)", lookups, 20),
            ("full-text search, 20 hits, 1/3 filtered", searches, 200),
        ):
            p50, p99 = percentiles([ms for ms, _ in samples])
            mean_rows = statistics.mean(n for _, n in samples)
            verdict = "ok" if p99 <= target else "MISSED"
            print(f"{label:<52}{p50:>9.1f}{p99:>9.1f}{f'<= {target} {verdict}':>12}"
                  f"{mean_rows:>11.1f}")
    finally:
        if not (args.keep or args.database):
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
