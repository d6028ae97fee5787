"""Background report renders (reports/jobs.py): one row per job, written by the process running it and
read by any process (progress, download)."""

from __future__ import annotations

import msgspec

from inspect_app.db import Database, Tx
from inspect_app.queries import as_struct

COLUMNS = ("id, owner_id, title, key, status, done, total, step, filename, path, error, created_at, finished_at,"
           " heartbeat_at")


class JobRow(msgspec.Struct, frozen=True):
    id: str
    owner_id: int
    title: str
    key: str
    status: str
    done: int
    total: int
    step: str
    filename: str
    path: str | None
    error: str
    created_at: str
    finished_at: str | None
    heartbeat_at: str


def _row(row) -> JobRow:
    return as_struct(JobRow, row)


async def get(db: Database | Tx, job_id: str) -> JobRow | None:
    row = await db.lookup(f"SELECT {COLUMNS} FROM report_jobs WHERE id = ?", (job_id,))
    return _row(row) if row else None


async def result(db: Database | Tx, job_id: str) -> bytes | None:
    row = await db.lookup("SELECT result FROM report_jobs WHERE id = ?", (job_id,))
    return bytes(row[0]) if row and row[0] is not None else None


async def fail_stale(tx: Tx, heartbeat_before: str, error: str, now: str) -> int:
    """Running jobs whose process stopped beating: failed (which frees their key for a new job)."""
    return await tx.execute_rowcount(
        "UPDATE report_jobs SET status = 'failed', error = ?, finished_at = ?"
        " WHERE status = 'running' AND heartbeat_at < ?", (error, now, heartbeat_before))


async def reusable(tx: Tx, owner_id: int, key: str, finished_since: str | None) -> JobRow | None:
    """The caller's running job with this key, else (when `finished_since` is given) the newest one done
    since then."""
    row = await tx.fetch_one(
        f"SELECT {COLUMNS} FROM report_jobs WHERE owner_id = ? AND key = ? AND status = 'running'", (owner_id, key))
    if row is None and finished_since is not None:
        row = await tx.fetch_one(
            f"SELECT {COLUMNS} FROM report_jobs WHERE owner_id = ? AND key = ? AND status = 'done'"
            " AND finished_at >= ? ORDER BY finished_at DESC LIMIT 1", (owner_id, key, finished_since))
    return _row(row) if row else None


async def insert(tx: Tx, job: JobRow) -> bool:
    """Add a running job; False when the owner already has a running one with this key (any process)."""
    return await tx.execute_rowcount(
        f"INSERT INTO report_jobs ({COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
        " ON CONFLICT DO NOTHING", tuple(getattr(job, name) for name in JobRow.__struct_fields__)) == 1


async def progress(tx: Tx, job_id: str, done: int, total: int, step: str, now: str) -> None:
    await tx.execute("UPDATE report_jobs SET done = ?, total = ?, step = ?, heartbeat_at = ?"
                     " WHERE id = ? AND status = 'running'", (done, total, step, now, job_id))


async def finish(tx: Tx, job_id: str, *, status: str, done: int, total: int, step: str, filename: str,
                 path: str | None, error: str, result: bytes | None, now: str) -> None:
    await tx.execute(
        "UPDATE report_jobs SET status = ?, done = ?, total = ?, step = ?, filename = ?, path = ?, error = ?,"
        " result = ?, finished_at = ?, heartbeat_at = ? WHERE id = ?",
        (status, done, total, step, filename, path, error, result, now, now, job_id))


async def expired(db: Database | Tx, finished_before: str, keep: int) -> list[tuple[str, str | None]]:
    """(id, path) of the finished jobs to drop: finished before `finished_before`, or beyond the newest `keep`."""
    rows = await db.fetch_all(
        "SELECT id, path FROM report_jobs WHERE finished_at IS NOT NULL AND (finished_at < ? OR id NOT IN"
        " (SELECT id FROM report_jobs WHERE finished_at IS NOT NULL ORDER BY finished_at DESC LIMIT ?))",
        (finished_before, keep))
    return [(r[0], r[1]) for r in rows]


async def delete(tx: Tx, job_ids: list[str]) -> None:
    await tx.executemany("DELETE FROM report_jobs WHERE id = ?", [(job_id,) for job_id in job_ids])


async def paths(db: Database | Tx) -> set[str]:
    """The file of every job still listed (so the sweep of the folder leaves them)."""
    rows = await db.fetch_all("SELECT path FROM report_jobs WHERE path IS NOT NULL")
    return {r[0] for r in rows}
