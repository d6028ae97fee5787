"""Long report renders in the background, with progress, in one process.

The app runs one process (SQLite has one writer), so an in-memory registry is enough: a job is an
asyncio task; its CPU-heavy parts run in worker threads (see plan_data) so the server keeps
answering. Finished files live under $INSPECT_DATA_DIR/reports/ and are served only through the
guarded download route to the person who asked for them. Jobs and files are dropped after an hour.
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
from pathlib import Path
from typing import Any

import msgspec

log = logging.getLogger("inspect_app.reports")
KEEP_SECONDS = 3600
MAX_JOBS = 100
MEDIA_TYPES = {
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "html": "text/html; charset=utf-8",
    "pdf": "application/pdf",
    "zip": "application/zip",
}


class Output(msgspec.Struct):
    """What a job produced: file bytes to keep (with their name), a file it wrote to disk itself (`path`,
    moved into the job folder: big packages never sit in memory), or an in-memory result."""

    data: bytes | None = None
    filename: str = ""
    result: Any = None
    path: Path | None = None


class Job:
    """One render: its progress as (done, total, step), then a file or an error message."""

    def __init__(self, job_id: str, owner_id: int, title: str, key: tuple) -> None:
        self.id, self.owner_id, self.title, self.key = job_id, owner_id, title, key
        self.status = "running"  # running | done | failed
        self.done, self.total, self.step = 0, 1, "Đang chuẩn bị"
        self.path: Path | None = None
        self.filename = ""
        self.result: Any = None
        self.error = ""
        self.created = time.monotonic()
        self.finished: float | None = None
        self.event = asyncio.Event()
        self.task: asyncio.Task | None = None

    def progress(self, done: int, total: int, step: str = "") -> None:
        """Called from the worker (any thread): plain attribute writes, read by the polling route."""
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


def safe_filename(name: str) -> str:
    """An ASCII file name (folded Vietnamese) that is safe on every system and in headers."""
    folded = unicodedata.normalize("NFD", name.replace("đ", "d").replace("Đ", "D"))
    ascii_name = "".join(ch for ch in folded if not unicodedata.combining(ch))
    return re.sub(r"[^A-Za-z0-9._-]+", "-", ascii_name).strip("-")[:120] or "bao-cao"


class Registry:
    """The jobs of one data folder."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.jobs: dict[str, Job] = {}

    def get(self, job_id: str, owner_id: int) -> Job | None:
        """The job if this user started it (anyone else: None, so the route answers 404)."""
        job = self.jobs.get(job_id)
        return job if job is not None and job.owner_id == owner_id else None

    def start(self, *, owner_id: int, title: str, key: tuple, work: Callable[[Job], Awaitable[Output]],
              reuse_seconds: float = 0) -> Job:
        """Start a job, or return the caller's running (or recent enough) job with the same key."""
        self._purge()
        for job in self.jobs.values():
            if job.owner_id == owner_id and job.key == key and job.status != "failed":
                fresh = job.finished is None or time.monotonic() - job.finished <= reuse_seconds
                if fresh:
                    return job
        job = Job(secrets.token_urlsafe(12), owner_id, title, key)
        self.jobs[job.id] = job
        job.task = asyncio.get_running_loop().create_task(self._run(job, work))
        return job

    async def _run(self, job: Job, work: Callable[[Job], Awaitable[Output]]) -> None:
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
            job.result = out.result
            job.status = "done"
            job.step = "Hoàn thành"
        except Exception as exc:  # noqa: BLE001 - the person sees a message; the log keeps the trace
            log.exception("report job %s failed", job.id, exc_info=exc)
            job.status, job.error = "failed", "Không tạo được báo cáo do lỗi ngoài dự kiến; vui lòng thử lại."
        finally:
            job.finished = time.monotonic()
            job.event.set()

    async def wait(self, job: Job, timeout: float) -> bool:
        """Wait up to `timeout` seconds; True when the job has finished."""
        try:
            await asyncio.wait_for(asyncio.shield(job.event.wait()), timeout)
        except TimeoutError:
            return False
        return True

    def _purge(self) -> None:
        now = time.monotonic()
        old = [j for j in self.jobs.values() if j.finished is not None and now - j.finished > KEEP_SECONDS]
        finished = sorted((j for j in self.jobs.values() if j.finished is not None), key=lambda j: j.finished)
        old += finished[: max(0, len(self.jobs) - MAX_JOBS)]
        for job in old:
            self.jobs.pop(job.id, None)
            if job.path:
                job.path.unlink(missing_ok=True)
        # Files left by an earlier process: nobody can download them any more.
        if self.root.exists():
            live = {j.path for j in self.jobs.values() if j.path}
            for path in self.root.iterdir():
                if path not in live and time.time() - path.stat().st_mtime > KEEP_SECONDS:
                    path.unlink(missing_ok=True)


_registries: dict[Path, Registry] = {}


def registry(data_dir: Path) -> Registry:
    """The registry of a data folder (one per app; tests run several apps side by side)."""
    root = data_dir / "reports"
    if root not in _registries:
        _registries[root] = Registry(root)
    return _registries[root]
