"""Long report renders in the background, with progress, followed from any app process.

Several `inspect-app serve` processes may serve one database (issue 20), and the progress page's
polling or the download may reach another process than the one rendering. So a job is a row of
`report_jobs`: the process that starts it runs it as an asyncio task (its CPU-heavy parts in worker
threads, see plan_data, so the server keeps answering) and writes its progress to the row (at most every
PROGRESS_SECONDS, and a heartbeat at least every HEARTBEAT_SECONDS); any process reads the row. A running
job whose heartbeat is older than STALE_SECONDS counts as failed: its process stopped. A person's second
request for the same thing joins their running job, whichever process runs it (one running row per
owner and key: a unique index). Finished files live under $INSPECT_DATA_DIR/reports/ (a folder every
process shares) and are served only through the guarded download route to the person who asked for them;
an on-screen result (the assembled plan report) is kept in the row as msgpack. Jobs and files are dropped
after an hour.
"""

from __future__ import annotations

import asyncio
import logging
import os
import re
import secrets
import time
import unicodedata
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

import msgspec

from inspect_app.db import Database, Tx, utc_now
from inspect_app.queries import report_jobs as q

log = logging.getLogger("inspect_app.reports")
KEEP_SECONDS = 3600
MAX_JOBS = 100
PROGRESS_SECONDS = 0.5  # progress reaches the row at most this often
HEARTBEAT_SECONDS = 10  # a running job's row is touched at least this often
STALE_SECONDS = 60  # a running job not touched for this long: its process stopped
POLL_SECONDS = 0.2  # how often `wait` reads the row of a job another process runs
PURGE_SECONDS = 60  # the hour-old jobs are looked for at most this often
FAILED = "Không tạo được báo cáo do lỗi ngoài dự kiến; vui lòng thử lại."
STOPPED = "Máy chủ đã dừng giữa chừng khi đang tạo báo cáo này; hãy tạo lại."
MEDIA_TYPES = {
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "html": "text/html; charset=utf-8",
    "pdf": "application/pdf",
    "zip": "application/zip",
}
T = TypeVar("T")


class Output(msgspec.Struct):
    """What a job produced: file bytes to keep (with their name), a file it wrote to disk itself (`path`,
    moved into the job folder: big packages never sit in memory), or an on-screen result (a msgspec
    Struct or plain data: it is stored in the row, so another process can show it)."""

    data: bytes | None = None
    filename: str = ""
    result: Any = None
    path: Path | None = None


class Job:
    """One render: its progress as (done, total, step), then a file or an error message.

    As read from its row by any process; the process running it updates the same object in memory
    (`progress`, from any thread) and writes it to the row."""

    def __init__(self, job_id: str, owner_id: int, title: str, key: str) -> None:
        self.id, self.owner_id, self.title, self.key = job_id, owner_id, title, key
        self.status = "running"  # running | done | failed
        self.done, self.total, self.step = 0, 1, "Đang chuẩn bị"
        self.path: Path | None = None
        self.filename = ""
        self.error = ""
        self.created_at = self.heartbeat_at = utc_now()
        self.finished_at: str | None = None

    @classmethod
    def of(cls, row: q.JobRow, data_dir: Path, now: datetime | None = None) -> Job:
        job = cls(row.id, row.owner_id, row.title, row.key)
        job.status, job.done, job.total, job.step = row.status, row.done, max(row.total, 1), row.step
        job.path = data_dir / row.path if row.path else None
        job.filename, job.error = row.filename, row.error
        job.created_at, job.finished_at, job.heartbeat_at = row.created_at, row.finished_at, row.heartbeat_at
        if job.status == "running" and _age(row.heartbeat_at, now) > STALE_SECONDS:
            job.status, job.error = "failed", STOPPED
        return job

    def progress(self, done: int, total: int, step: str = "") -> None:
        """Called from the worker (any thread): plain attribute writes, which the job's beat writes to the row."""
        self.done, self.total = done, max(total, 1)
        if step:
            self.step = step

    @property
    def percent(self) -> int:
        if self.status == "done":
            return 100
        return min(99, int(self.done * 100 / self.total))

    @property
    def media_type(self) -> str:
        return MEDIA_TYPES.get(self.filename.rsplit(".", 1)[-1], "application/octet-stream")


def _age(stamp: str, now: datetime | None = None) -> float:
    moment = datetime.fromisoformat(stamp.replace("Z", "+00:00"))
    return ((now or datetime.now(UTC)) - moment).total_seconds()


def _stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def job_key(key: tuple) -> str:
    """The key as stored: JSON of what the job renders (ids, format, threshold, filters)."""
    return msgspec.json.encode(key).decode()


def safe_filename(name: str) -> str:
    """An ASCII file name (folded Vietnamese) that is safe on every system and in headers."""
    folded = unicodedata.normalize("NFD", name.replace("đ", "d").replace("Đ", "D"))
    ascii_name = "".join(ch for ch in folded if not unicodedata.combining(ch))
    return re.sub(r"[^A-Za-z0-9._-]+", "-", ascii_name).strip("-")[:120] or "bao-cao"


class _Running:
    """A job this process runs: its task, the event set when it ends, and what its beat last wrote."""

    def __init__(self, job: Job) -> None:
        self.job = job
        self.event = asyncio.Event()
        self.task: asyncio.Task | None = None
        self.written: tuple[int, int, str] = (job.done, job.total, job.step)
        self.written_at = time.monotonic()


class Registry:
    """The jobs of one database and data folder, as one app process starts, runs and reads them."""

    def __init__(self, db: Database, data_dir: Path) -> None:
        self.db = db
        self.data_dir = Path(data_dir)
        self.root = self.data_dir / "reports"
        self.running: dict[str, _Running] = {}
        self.results: dict[str, Any] = {}  # results of jobs this process ran (others decode the row's)
        self._purged = float("-inf")

    async def get(self, job_id: str, owner_id: int) -> Job | None:
        """The job if this user started it (anyone else: None, so the route answers 404)."""
        if (mine := self.running.get(job_id)) is not None:
            job = mine.job
        else:
            row = await q.get(self.db, job_id)
            job = Job.of(row, self.data_dir) if row is not None else None
        return job if job is not None and job.owner_id == owner_id else None

    async def start(self, *, owner_id: int, title: str, key: tuple, work: Callable[[Job], Awaitable[Output]],
                    reuse_seconds: float = 0) -> Job:
        """Start a job, or return the caller's running (or recent enough) job with the same key, whichever
        process runs it."""
        await self._purge()
        stored_key = job_key(key)
        job = Job(secrets.token_urlsafe(12), owner_id, title, stored_key)
        now = datetime.now(UTC)
        cutoff = _stamp(now - timedelta(seconds=reuse_seconds)) if reuse_seconds > 0 else None

        async def claim(tx: Tx) -> q.JobRow | None:
            await q.fail_stale(tx, _stamp(now - timedelta(seconds=STALE_SECONDS)), STOPPED, _stamp(now))
            for _ in range(2):  # a job of the same key started elsewhere between the two statements
                found = await q.reusable(tx, owner_id, stored_key, cutoff)
                if found is not None:
                    return found
                if await q.insert(tx, q.JobRow(job.id, owner_id, title, stored_key, "running", job.done,
                                               job.total, job.step, "", None, "", job.created_at, None,
                                               job.heartbeat_at)):
                    return None
            raise RuntimeError("report job key neither free nor taken")

        existing = await self.db.atomic(claim)
        if existing is not None:
            return (mine.job if (mine := self.running.get(existing.id)) else Job.of(existing, self.data_dir))
        running = self.running[job.id] = _Running(job)
        running.task = asyncio.get_running_loop().create_task(self._run(running, work))
        return job

    async def _run(self, running: _Running, work: Callable[[Job], Awaitable[Output]]) -> None:
        job = running.job
        beat = asyncio.get_running_loop().create_task(self._beat(running))
        result: bytes | None = None
        stopped = False
        try:
            out = await work(job)
            if out.data is not None or out.path is not None:
                self.root.mkdir(parents=True, exist_ok=True)
                path = self.root / f"{job.id}-{safe_filename(out.filename)}"
                if out.path is not None:
                    os.replace(out.path, path)
                else:
                    tmp = path.with_suffix(path.suffix + ".part")
                    await asyncio.to_thread(tmp.write_bytes, out.data)
                    os.replace(tmp, path)
                job.path, job.filename = path, out.filename
            if out.result is not None:
                result = msgspec.msgpack.encode(out.result)
                self.results[job.id] = out.result
            job.status = "done"
            job.step = "Hoàn thành"
        except asyncio.CancelledError:  # the server is stopping
            job.status, job.error, stopped = "failed", STOPPED, True
        except Exception as exc:  # noqa: BLE001 - the person sees a message; the log keeps the trace
            log.exception("report job %s failed", job.id, exc_info=exc)
            job.status, job.error = "failed", FAILED
        finally:
            beat.cancel()
            job.finished_at = job.heartbeat_at = utc_now()
            path = str(job.path.relative_to(self.data_dir)) if job.path else None

            async def finish(tx: Tx) -> None:
                await q.finish(tx, job.id, status=job.status, done=job.done, total=job.total, step=job.step,
                               filename=job.filename, path=path, error=job.error, result=result,
                               now=job.finished_at)
            try:
                await self.db.atomic(finish)
            except Exception as exc:  # noqa: BLE001 - the row then goes stale and reads as failed
                log.exception("report job %s: its end was not recorded", job.id, exc_info=exc)
            running.event.set()
            self.running.pop(job.id, None)
        if stopped:
            raise asyncio.CancelledError

    async def _beat(self, running: _Running) -> None:
        """Write the job's progress to its row when it changed (at most every PROGRESS_SECONDS), and touch
        the row at least every HEARTBEAT_SECONDS so other processes know it still runs."""
        job = running.job
        while True:
            await asyncio.sleep(PROGRESS_SECONDS)
            now = (job.done, job.total, job.step)
            if now == running.written and time.monotonic() - running.written_at < HEARTBEAT_SECONDS:
                continue
            stamp = utc_now()

            async def write(tx: Tx) -> None:
                await q.progress(tx, job.id, now[0], now[1], now[2], stamp)
            try:
                await self.db.atomic(write)
            except Exception as exc:  # noqa: BLE001 - the next beat tries again
                log.warning("report job %s: progress not written (%s)", job.id, exc)
                continue
            running.written, running.written_at, job.heartbeat_at = now, time.monotonic(), stamp

    async def wait(self, job: Job, timeout: float) -> Job:
        """Wait up to `timeout` seconds for the job to finish; the job as it then stands."""
        if (mine := self.running.get(job.id)) is not None:
            try:
                await asyncio.wait_for(asyncio.shield(mine.event.wait()), timeout)
            except TimeoutError:
                pass
            return mine.job
        deadline = time.monotonic() + timeout
        while job.status == "running":  # run by another process: read its row
            if (mine := self.running.get(job.id)) is not None:
                return mine.job
            row = await q.get(self.db, job.id)
            if row is None:
                break
            job = Job.of(row, self.data_dir)
            if job.status != "running" or time.monotonic() >= deadline:
                break
            await asyncio.sleep(min(POLL_SECONDS, max(0.0, deadline - time.monotonic())))
        return job

    async def result(self, job: Job, kind: type[T]) -> T | None:
        """A done job's on-screen result, decoded as `kind` (kept in memory by the process that ran it)."""
        if job.id in self.results:
            return self.results[job.id]
        data = await q.result(self.db, job.id)
        return msgspec.msgpack.decode(data, type=kind) if data is not None else None

    async def close(self) -> None:
        """The server is stopping: its running jobs end as failed (their rows say so at once)."""
        tasks = [r.task for r in self.running.values() if r.task is not None]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    async def _purge(self) -> None:
        """Drop the jobs finished more than KEEP_SECONDS ago (and beyond the newest MAX_JOBS), with their
        files, and files nobody can download any more (left by a stopped process)."""
        if time.monotonic() - self._purged < PURGE_SECONDS:
            return
        self._purged = time.monotonic()
        old = await q.expired(self.db, _stamp(datetime.now(UTC) - timedelta(seconds=KEEP_SECONDS)), MAX_JOBS)
        if old:
            async def drop(tx: Tx) -> None:
                await q.delete(tx, [job_id for job_id, _ in old])
            await self.db.atomic(drop)
            for job_id, path in old:
                self.results.pop(job_id, None)
                if path:
                    (self.data_dir / path).unlink(missing_ok=True)
        if self.root.exists():
            live = {self.data_dir / path for path in await q.paths(self.db)}
            for path in self.root.iterdir():
                try:
                    if path not in live and time.time() - path.stat().st_mtime > KEEP_SECONDS:
                        path.unlink(missing_ok=True)
                except FileNotFoundError:  # another process swept it first
                    pass


def registry_of(request) -> Registry:
    """The app's job registry (`app.state.jobs`, made at start-up)."""
    return request.app.state.jobs
