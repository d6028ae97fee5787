"""Report-generation benchmark: the plan's consolidated report for 200 units and for the whole
country's 3,321 communes, 60 checklist items each, in every format.

Run by hand from the project root:  .venv/bin/python bench/reports.py [--sizes 200 3321]
(also run by `make bench`). It prints figures and asserts nothing; about a minute and a half.
On PostgreSQL too:  .venv/bin/python bench/reports.py --database postgresql://user:pw@host:port/postgres

What it does, in a temporary folder deleted at the end:
- migrates an empty database, loads the shipped unit list (34 provinces, 3,321 units) and records a
  synthetic 60-item checklist (yes/no, levels and ratio items over 6 areas) as a checklist version;
- per size N: one earlier plan and one current plan, each with N signed-off visits (the first N units),
  60 findings per visit with deterministic pseudo-random answers, and 3 remediation items per unit.
  Rows go in with bulk `executemany` inside `Database.transaction()` (the API would take hours and
  measure something else);
- times `render.plan_file` per format (data assembly with scoring + rendering) without tracing, then
  runs it again under `tracemalloc` for the peak of Python allocations, and prints both with the
  per-unit cost and the growth from the smallest to the largest size (a ratio near the unit ratio
  means linear growth).

With `--database postgresql://…/postgres` the same dataset is also measured on PostgreSQL: after the
seeding above, a fresh database is created in that cluster, the SQLite file is copied into it with the
code of `inspect-app db copy` (db_copy.copy_sqlite_to_postgres: one transaction, row counts and the audit
chain checked), then ANALYZEd (a bulk load leaves the planner without statistics until autovacuum comes
by), and every report is timed on both backends in turn, SQLite first, each row beside the other with the
PostgreSQL/SQLite time ratio. The database is dropped at the end. Without --database the output is the
SQLite one, unchanged.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import msgspec  # noqa: E402

from inspect_app.checklists import Answer, Area, Checklist, Criterion, Item, Level  # noqa: E402
from inspect_app.checklists import checklist_to_json, score_item, version_hash  # noqa: E402
from inspect_app.db import Database, utc_now  # noqa: E402
from inspect_app.queries import checklists as checklist_q  # noqa: E402
from inspect_app.reports import render  # noqa: E402
from inspect_app.services.units_import import import_units, shipped_csv  # noqa: E402

FORMATS = ("docx", "xlsx", "html")
LEVELS = [Level(key="dat", label="Đạt", points=1.0), Level(key="mot_phan", label="Đạt một phần", points=0.5),
          Level(key="khong", label="Không đạt", points=0.0)]


def synthetic_checklist() -> Checklist:
    """6 areas × 2 criteria × 5 items = 60 items, 1 point each."""
    areas = []
    for a in range(1, 7):
        criteria = []
        for c in range(1, 3):
            items = []
            for i in range(1, 6):
                code = f"{a}.{c}.{i}"
                kind = ("yesno", "levels", "ratio")[(a + c + i) % 3]
                items.append(Item(code=code, text=f"Tiêu chí thành phần {code} về cải cách hành chính", type=kind,
                                  max_points=1.0, levels=LEVELS if kind == "levels" else [],
                                  mode="linear" if kind == "ratio" else "step"))
            criteria.append(Criterion(code=f"{a}.{c}", title=f"Tiêu chí {a}.{c}", items=items))
        areas.append(Area(code=str(a), title=f"Lĩnh vực {a}", max_points=10.0, criteria=criteria))
    return Checklist(id="bench-60", title="Bộ tiêu chí thử tải 60 mục", version="1", unit_kinds=["xa", "phuong"],
                     legal_basis=["Thử tải"], areas=areas, max_points=60.0)


def answer(item: Item, rng: random.Random) -> Answer:
    good = rng.random() < 0.8
    if item.type == "yesno":
        return Answer(choice="yes" if good else "no")
    if item.type == "levels":
        return Answer(choice="dat" if good else rng.choice(["mot_phan", "khong"]))
    return Answer(numerator=10.0 if good else float(rng.randint(0, 9)), denominator=10.0)


async def seed(db: Database, checklist: Checklist, sizes: list[int]) -> dict[int, int]:
    """Plans per size; returns size → current plan id."""
    content = checklist_to_json(checklist)
    vhash = version_hash(checklist)
    items = checklist.items()
    async with db.transaction() as tx:
        await checklist_q.ensure_version(tx, checklist_id=checklist.id, version_hash=vhash, version_label="1",
                                         title=checklist.title, item_count=len(items), max_points=60.0,
                                         content_json=content, source_path="bench")
        user_id = await tx.execute("INSERT INTO users (username, full_name, role, created_at) VALUES"
                                   " ('bench', 'Người thử tải', 'lead', ?)", (utc_now(),))
    units = [r[0] for r in await db.fetch_all("SELECT code FROM units ORDER BY code")]
    rng = random.Random(7)
    plans = {}
    for size in sizes:
        for label, issued in (("earlier", "2025-01-10"), ("current", "2026-01-10")):
            async with db.transaction() as tx:
                plan_id = await tx.execute(
                    "INSERT INTO plans (number, issued_on, issuer, title, period_start, period_end, created_at)"
                    " VALUES (?, ?, 'UBND thành phố Hải Phòng', 'Kiểm tra thử tải', ?, ?, ?)",
                    (f"{size}-{label}/KH-UBND", issued, issued, issued[:4] + "-12-31", utc_now()))
                team_id = await tx.execute("INSERT INTO teams (plan_id, name, created_at) VALUES (?, 'Đoàn 1', ?)",
                                           (plan_id, utc_now()))
                await tx.execute("INSERT INTO team_members (team_id, user_id, role) VALUES (?, ?, 'truong_doan')",
                                 (team_id, user_id))
                first = (await tx.fetch_one("SELECT coalesce(max(id), 0) FROM visits"))[0] + 1
                await tx.executemany(
                    "INSERT INTO visits (id, plan_id, unit_code, team_id, scheduled_on, checklist_id,"
                    " checklist_version, status, signed_off_at, created_at) VALUES (?, ?, ?, ?, ?, ?, ?,"
                    " 'in_progress', ?, ?)",
                    [(first + n, plan_id, code, team_id, issued, checklist.id, vhash, utc_now(), utc_now())
                     for n, code in enumerate(units[:size])])
                rows = []
                for n in range(size):
                    for item in items:
                        a = answer(item, rng)
                        rows.append((first + n, item.code, msgspec.json.encode(a).decode(),
                                     score_item(item, a).points, utc_now(), user_id))
                await tx.executemany("INSERT INTO findings (visit_id, item_code, answer_json, points, updated_at,"
                                     " updated_by) VALUES (?, ?, ?, ?, ?, ?)", rows)
                # Signed off last: the trigger locks findings of signed-off visits.
                await tx.execute("UPDATE visits SET status = 'signed_off' WHERE plan_id = ?", (plan_id,))
                await tx.executemany(
                    "INSERT INTO remediation_items (visit_id, unit_code, text, deadline, status, created_at,"
                    " closed_at) VALUES (?, ?, 'Khắc phục tồn tại', ?, ?, ?, ?)",
                    [(first + n, code, "2026-03-01", status, utc_now(), closed)
                     for n, code in enumerate(units[:size])
                     for status, closed in (("accepted", "2026-02-20T03:00:00Z"), ("accepted", "2026-03-05T03:00:00Z"),
                                            ("open", None))])
            plans[size] = plan_id
    return plans


async def measure(db: Database, plan_id: int, fmt: str) -> tuple[float, float, int]:
    """(seconds, peak MiB of Python allocations, bytes written) of one report."""
    start = time.perf_counter()
    data, _ = await render.plan_file(db, plan_id, fmt)
    seconds = time.perf_counter() - start
    tracemalloc.start()
    await render.plan_file(db, plan_id, fmt)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return seconds, peak / 2**20, len(data)


async def main(sizes: list[int], pg_url: str = "") -> None:
    if pg_url:
        return await main_both(sizes, pg_url)
    with tempfile.TemporaryDirectory() as tmp:
        db = await Database.open(Path(tmp) / "bench.sqlite3")
        try:
            await import_units(db, shipped_csv(), actor="bench")
            started = time.perf_counter()
            plans = await seed(db, synthetic_checklist(), sizes)
            findings = (await db.fetch_one("SELECT count(*) FROM findings"))[0]
            print(f"seeded {len(sizes) * 2} plans, {findings:,} findings in {time.perf_counter() - started:.1f} s")
            print(f"{'units':>6} {'format':>6} {'seconds':>8} {'peak MiB':>9} {'size KiB':>9} {'ms/unit':>8} {'KiB/unit':>9}")
            results = {}
            for size in sizes:
                for fmt in FORMATS:
                    seconds, peak, length = await measure(db, plans[size], fmt)
                    results[(size, fmt)] = (seconds, peak)
                    print(f"{size:>6} {fmt:>6} {seconds:>8.2f} {peak:>9.1f} {length / 1024:>9.0f} "
                          f"{seconds * 1000 / size:>8.2f} {peak * 1024 / size:>9.1f}")
            if len(sizes) > 1:
                low, high = min(sizes), max(sizes)
                print(f"growth {low} → {high} units (×{high / low:.1f} units):")
                for fmt in FORMATS:
                    (t0, m0), (t1, m1) = results[(low, fmt)], results[(high, fmt)]
                    print(f"  {fmt}: time ×{t1 / t0:.1f}, peak memory ×{m1 / m0:.1f}, time per unit "
                          f"×{(t1 / high) / (t0 / low):.2f}")
        finally:
            await db.close()


async def main_both(sizes: list[int], pg_url: str) -> None:
    """The same dataset on SQLite and, copied, on PostgreSQL; every report timed on both."""
    import asyncpg

    from inspect_app.db_copy import copy_sqlite_to_postgres
    from inspect_app.db_postgres import PgDatabase

    name = f"bench_reports_{os.getpid()}"
    target = urlunsplit(urlsplit(pg_url)._replace(path="/" + name))

    async def admin(statement: str) -> None:
        conn = await asyncpg.connect(pg_url)
        try:
            await conn.execute(statement)
        finally:
            await conn.close()

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bench.sqlite3"
        db = await Database.open(path)
        pg: PgDatabase | None = None
        created = False
        try:
            await import_units(db, shipped_csv(), actor="bench")
            started = time.perf_counter()
            plans = await seed(db, synthetic_checklist(), sizes)
            findings = (await db.fetch_one("SELECT count(*) FROM findings"))[0]
            print(f"seeded {len(sizes) * 2} plans, {findings:,} findings in {time.perf_counter() - started:.1f} s (SQLite)")
            await admin(f'CREATE DATABASE "{name}"')
            created = True
            started = time.perf_counter()
            report = await copy_sqlite_to_postgres(path, target)
            copied = time.perf_counter() - started
            conn = await asyncpg.connect(target)
            try:
                version = await conn.fetchval("SHOW server_version")
                await conn.execute("ANALYZE")
            finally:
                await conn.close()
            print(f"copied to PostgreSQL {version} (database {name} at {urlsplit(pg_url).hostname}:"
                  f"{urlsplit(pg_url).port or 5432}) with inspect-app db copy's code in {copied:.1f} s: "
                  f"{sum(report.tables.values()):,} rows, audit chain verified; then ANALYZE")
            pg = await PgDatabase.open(target)
            backends = {"sqlite": db, "postgresql": pg}
            print(f"{'units':>6} {'format':>6} {'database':>10} {'seconds':>8} {'peak MiB':>9} {'size KiB':>9} "
                  f"{'ms/unit':>8} {'KiB/unit':>9} {'pg/sqlite':>9}")
            results = {}
            for size in sizes:
                for fmt in FORMATS:
                    for backend, handle in backends.items():
                        seconds, peak, length = await measure(handle, plans[size], fmt)
                        results[(size, fmt, backend)] = (seconds, peak)
                        ratio = (f"{seconds / results[(size, fmt, 'sqlite')][0]:>8.2f}x"
                                 if backend == "postgresql" else "")
                        print(f"{size:>6} {fmt:>6} {backend:>10} {seconds:>8.2f} {peak:>9.1f} {length / 1024:>9.0f} "
                              f"{seconds * 1000 / size:>8.2f} {peak * 1024 / size:>9.1f} {ratio:>9}")
            if len(sizes) > 1:
                low, high = min(sizes), max(sizes)
                print(f"growth {low} → {high} units (×{high / low:.1f} units):")
                for backend in backends:
                    for fmt in FORMATS:
                        (t0, m0), (t1, m1) = results[(low, fmt, backend)], results[(high, fmt, backend)]
                        print(f"  {backend:>10} {fmt}: time ×{t1 / t0:.1f}, peak memory ×{m1 / m0:.1f}, time per unit "
                              f"×{(t1 / high) / (t0 / low):.2f}")
        finally:
            if pg is not None:
                await pg.close()
            await db.close()
            if created:
                await admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
                print(f"database {name} dropped")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[200, 3321])
    parser.add_argument("--database", default="", metavar="postgresql://USER:PW@HOST:PORT/postgres",
                        help="also run on PostgreSQL: a fresh database in this cluster, dropped at the end")
    cli = parser.parse_args()
    if cli.database and not cli.database.startswith(("postgresql://", "postgres://")):
        parser.error("--database takes a postgresql://user:password@host:port/dbname URL")
    asyncio.run(main(cli.sizes, cli.database))
