"""Crash durability: kill -9 the real server in the middle of a burst of finding saves, restart it on the
same data folder, and check that every acknowledged save is there, with its version.

Run by hand from the project root:  .venv/bin/python bench/faults.py [--cycles 20] [--writers 8]
(also run by `make bench`). It prints figures and asserts nothing; tests/test_battery_faults.py uses the
same pieces (3 cycles) and asserts.

What one cycle does, in a temporary folder deleted at the end (the demo, seeded once):
- starts `inspect-app serve --host 127.0.0.1` (one uvicorn worker, as in production) on the data folder;
- several writer threads, each with its own keep-alive HTTP connection and `Authorization: Bearer` token
  of `kiemtravien`, each owning one (visit, yes/no item) pair, PUT the finding over and over with a fresh
  Idempotency-Key, alternating the answer, carrying each acknowledged `version` into the next
  `base_version`; every 200 is recorded with its version, answer and note;
- after a random moment (0.3–1.2 s) the server gets SIGKILL; writers stop at their next connection error;
- `PRAGMA integrity_check` on the file (SQLite recovers the WAL on open), then the server is restarted on
  the same folder and every acknowledged save is looked up in `finding_history` (version, answer, note).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
HOST = "127.0.0.1"  # loopback only, always
EDITABLE = ("planned", "in_progress")
DEMO_PASSWORD = os.environ.get("INSPECT_DEMO_PASSWORD", "kiemtra2025")  # what `inspect-app demo` sets


# ---------------------------------------------------------------------------------------------- the server


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


class Server:
    """`inspect-app serve` in a subprocess on a data folder; `kill()` is SIGKILL, nothing graceful."""

    def __init__(self, data_dir: Path, log_name: str = "server.log", *, database_url: str = "",
                 port: int | None = None) -> None:
        self.data_dir = data_dir
        self.database_url = database_url  # PostgreSQL (several servers may share it); "" = the folder's SQLite
        self.port = port or free_port()
        self.url = f"http://{HOST}:{self.port}"
        env = {**os.environ, "INSPECT_DATA_DIR": str(data_dir)}
        for var in ("HOST", "PORT", "INSPECT_DATABASE_URL"):
            env.pop(var, None)
        if database_url:
            env["INSPECT_DATABASE_URL"] = database_url
        self.log = open(data_dir / log_name, "ab")
        started = time.monotonic()
        self.process = subprocess.Popen(
            [sys.executable, "-m", "inspect_app", "serve", "--host", HOST, "--port", str(self.port)],
            env=env, stdout=self.log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, cwd=ROOT)
        deadline = started + 90
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited:\n{(data_dir / log_name).read_text(errors='replace')[-3000:]}")
            try:
                if httpx.get(self.url + "/healthz", timeout=1.0).status_code == 200:
                    self.start_seconds = time.monotonic() - started
                    return
            except httpx.HTTPError:
                time.sleep(0.05)
        self.stop()
        raise RuntimeError("server not healthy after 90 s")

    @property
    def database(self) -> Path | str:
        """What the checks read: the PostgreSQL URL, or the SQLite file in the data folder."""
        return self.database_url or self.data_dir / "inspect.sqlite3"

    def restart(self) -> Server:
        """A new server on the same folder, database and port (after `kill()`)."""
        return Server(self.data_dir, self.log.name.rsplit("/", 1)[-1], database_url=self.database_url, port=self.port)

    @property
    def pid(self) -> int:
        return self.process.pid

    def rss_kib(self) -> int:
        with open(f"/proc/{self.pid}/status") as fh:
            return next(int(line.split()[1]) for line in fh if line.startswith("VmRSS:"))

    def kill(self) -> None:
        """SIGKILL: no shutdown hook runs, no transaction gets to finish."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)
        self.log.close()

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)  # uvicorn's graceful shutdown
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)
        self.log.close()


def seed_demo(data_dir: Path) -> None:
    """A fresh data folder with the demo (`inspect-app demo`)."""
    data_dir.mkdir(parents=True, exist_ok=True)
    subprocess.run([sys.executable, "-m", "inspect_app", "demo"], check=True, capture_output=True, cwd=ROOT,
                   env={**os.environ, "INSPECT_DATA_DIR": str(data_dir)}, timeout=300)


def make_token(data_dir: Path, username: str, database_url: str = "") -> str:
    """`inspect-app user token USERNAME`: a personal API token (printed once)."""
    env = {**os.environ, "INSPECT_DATA_DIR": str(data_dir)}
    env.pop("INSPECT_DATABASE_URL", None)
    if database_url:
        env["INSPECT_DATABASE_URL"] = database_url
    out = subprocess.run([sys.executable, "-m", "inspect_app", "user", "token", username, "--label", "faults"],
                         check=True, capture_output=True, text=True, cwd=ROOT, timeout=60, env=env)
    return out.stdout.strip().splitlines()[-1]


@dataclass
class ServedDemo:
    data_dir: Path
    server: Server
    token: str  # a Bearer token of kiemtravien


@contextmanager
def served_demo(prefix: str) -> Iterator[ServedDemo]:
    """A fresh demo in a temporary folder, served on loopback, with an inspector's token; on leaving, the
    server stops (if the bench has not stopped it already) and the folder is deleted."""
    tmp = Path(tempfile.mkdtemp(prefix=prefix))
    server = None
    try:
        data_dir = tmp / "data"
        seed_demo(data_dir)
        token = make_token(data_dir, "kiemtravien")
        server = Server(data_dir)
        yield ServedDemo(data_dir, server, token)
    finally:
        if server is not None:
            server.stop()
        shutil.rmtree(tmp, ignore_errors=True)


# ---------------------------------------------------------------------------------------------- the writers


@dataclass
class Pair:
    visit_id: int
    item_code: str
    version: int = 0


@dataclass
class Ack:
    """One acknowledged save: what the server answered 200 to."""

    visit_id: int
    item_code: str
    version: int
    answer: bool
    note: str


@dataclass
class BurstResult:
    acks: list[Ack] = field(default_factory=list)
    statuses: dict[int, int] = field(default_factory=dict)
    connection_errors: int = 0


def editable_pairs(url: str, token: str) -> list[Pair]:
    """(visit, yes/no item) pairs of the visits the inspector may still edit, with their current versions."""
    headers = {"Authorization": f"Bearer {token}"}
    with httpx.Client(base_url=url, headers=headers, timeout=30) as client:
        visits = sorted((v for v in client.get("/api/v1/visits").raise_for_status().json()
                         if v["status"] in EDITABLE), key=lambda v: v["id"])
        pairs = []
        trees: dict[tuple[str, str], list[dict]] = {}
        for v in visits:
            key = (v["checklist_id"], v["checklist_version"])
            if key not in trees:
                doc = client.get(f"/api/v1/checklists/{key[0]}", params={"version": key[1]}).raise_for_status().json()
                trees[key] = [i for a in doc["checklist"]["areas"] for c in a["criteria"] for i in c["items"]]
            found = {f["item_code"]: f["version"] for f in
                     client.get(f"/api/v1/visits/{v['id']}/findings").raise_for_status().json()["findings"]}
            pairs += [Pair(v["id"], i["code"], found.get(i["code"], 0)) for i in trees[key] if i["type"] == "yesno"]
    return pairs


def writer(url: str, token: str, pair: Pair, tag: str, stop: threading.Event, out: BurstResult,
           lock: threading.Lock) -> None:
    """Save one finding over and over until the server goes away (or `stop`)."""
    headers = {"Authorization": f"Bearer {token}"}
    answer = pair.version % 2 == 0
    seq = 0
    with httpx.Client(base_url=url, headers=headers, timeout=10) as client:
        while not stop.is_set():
            seq += 1
            note = f"{tag}-{pair.visit_id}-{pair.item_code}-{seq}"
            try:
                response = client.put(f"/api/v1/visits/{pair.visit_id}/findings/{pair.item_code}",
                                      headers={"Idempotency-Key": str(uuid.uuid4())},
                                      json={"answer": answer, "note": note, "base_version": pair.version})
            except httpx.HTTPError:
                with lock:
                    out.connection_errors += 1
                return  # the server is gone: an unanswered save is not acknowledged
            with lock:
                out.statuses[response.status_code] = out.statuses.get(response.status_code, 0) + 1
            if response.status_code == 200:
                body = response.json()
                with lock:
                    out.acks.append(Ack(pair.visit_id, pair.item_code, body["version"], answer, note))
                pair.version = body["version"]
                answer = not answer
            elif response.status_code == 409:  # a save that landed but whose answer was lost: catch up
                current = response.json().get("current") or {}
                pair.version = current.get("version", pair.version)
            else:
                return


def start_writers(url: str, token: str, pairs: list[Pair], tag: str) -> tuple[list[threading.Thread], threading.Event,
                                                                            BurstResult]:
    stop, out, lock = threading.Event(), BurstResult(), threading.Lock()
    threads = [threading.Thread(target=writer, args=(url, token, p, tag, stop, out, lock), daemon=True) for p in pairs]
    for thread in threads:
        thread.start()
    return threads, stop, out


# ---------------------------------------------------------------------------------------------- checks


def _rows(database: Path | str, sql: str, params: tuple = ()) -> list[tuple]:
    """One query on the SQLite file or the PostgreSQL URL (`?` placeholders either way)."""
    if isinstance(database, str):
        import asyncio

        import asyncpg

        from inspect_app.db_postgres import to_postgres

        async def go() -> list[tuple]:
            conn = await asyncpg.connect(database)
            try:
                return [tuple(r) for r in await conn.fetch(to_postgres(sql), *params)]
            finally:
                await conn.close()

        return asyncio.run(go())
    conn = sqlite3.connect(database)
    try:
        return conn.execute(sql, params).fetchall()
    finally:
        conn.close()


def integrity(database: Path | str) -> str:
    """SQLite: PRAGMA integrity_check. PostgreSQL keeps its own pages whole (WAL); what a crash could still
    break there is the app's own invariant, so: the audit log's hash chain verified ("ok" or the first bad id)."""
    if isinstance(database, Path):
        return _rows(database, "PRAGMA integrity_check")[0][0]
    import asyncio

    from inspect_app.db_postgres import PgDatabase
    from inspect_app.queries.audit import verify_chain

    async def go() -> int | None:
        db = await PgDatabase.open(database, pool_size=1)
        try:
            return await verify_chain(db)
        finally:
            await db.close()

    broken = asyncio.run(go())
    return "ok" if broken is None else f"audit chain broken at {broken}"


def missing_acks(database: Path | str, acks: list[Ack]) -> list[Ack]:
    """Acknowledged saves not found in the finding's history with their version, answer and note."""
    rows = _rows(database, "SELECT f.visit_id, f.item_code, h.version, h.answer_json, h.note FROM finding_history h"
                           " JOIN findings f ON f.id = h.finding_id")
    stored = {(r[0], r[1], r[2]): (r[3], r[4]) for r in rows}
    missing = []
    for ack in acks:
        row = stored.get((ack.visit_id, ack.item_code, ack.version))
        if row is None or json.loads(row[0]).get("choice") != ("yes" if ack.answer else "no") or row[1] != ack.note:
            missing.append(ack)
    return missing


def duplicate_saves(database: Path | str, notes: set[str]) -> int:
    """History rows beyond the first that carry the same note: one save stored twice (every note the
    writers send is unique)."""
    rows = _rows(database, "SELECT note, count(*) FROM finding_history GROUP BY note HAVING count(*) > 1")
    return sum(n - 1 for note, n in rows if note in notes)


def stale_findings(database: Path | str, acks: list[Ack]) -> list[str]:
    """Findings whose current version is below the last acknowledged one."""
    last: dict[tuple[int, str], int] = {}
    for ack in acks:
        last[(ack.visit_id, ack.item_code)] = max(ack.version, last.get((ack.visit_id, ack.item_code), 0))
    current = {(r[0], r[1]): r[2] for r in _rows(database, "SELECT visit_id, item_code, version FROM findings")}
    return [f"{visit_id}/{code}: {current.get((visit_id, code))} < acknowledged {version}"
            for (visit_id, code), version in last.items() if current.get((visit_id, code), 0) < version]


@dataclass
class CycleResult:
    acked: int
    missing: int
    stale: int
    integrity: str
    in_flight_landed: int  # saves committed whose answer the kill swallowed
    kill_after: float
    restart_seconds: float
    statuses: dict[int, int]


def crash_cycle(server: Server, token: str, writers: int, kill_after: float, tag: str) -> tuple[CycleResult, Server]:
    """One burst on a running server, SIGKILL in the middle, integrity checked, the server restarted on the
    same folder and every acknowledged save looked up. Returns the result and the restarted server (the
    next cycle's), which the caller stops in the end."""
    data_dir = server.data_dir
    try:
        pairs = editable_pairs(server.url, token)[:writers]
        threads, stop, out = start_writers(server.url, token, pairs, tag)
        deadline = time.monotonic() + 10
        while len(out.acks) < writers and time.monotonic() < deadline:  # every writer is under way
            time.sleep(0.01)
        time.sleep(kill_after)
    finally:
        server.kill()
    stop.set()
    for thread in threads:
        thread.join(timeout=15)
    database = server.database
    check = integrity(database)
    restarted = Server(data_dir, database_url=server.database_url)
    try:
        # Through the restarted server too: each pair's version is at least its last acknowledged one.
        served = {(p.visit_id, p.item_code): p.version for p in editable_pairs(restarted.url, token)}
    except BaseException:
        restarted.stop()
        raise
    acks = out.acks
    missing = missing_acks(database, acks)
    stale = stale_findings(database, acks)
    last: dict[tuple[int, str], int] = {}
    for ack in acks:
        last[(ack.visit_id, ack.item_code)] = max(ack.version, last.get((ack.visit_id, ack.item_code), 0))
    stale += [f"{k}: served {served.get(k)} < {v}" for k, v in last.items() if served.get(k, 0) < v]
    landed = sum(max(0, served.get(k, 0) - v) for k, v in last.items())
    return CycleResult(len(acks), len(missing), len(stale), check, landed, kill_after, restarted.start_seconds,
                       dict(out.statuses)), restarted


# ---------------------------------------------------------------------------------------------- figures


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cycles", type=int, default=20)
    parser.add_argument("--writers", type=int, default=8)
    parser.add_argument("--seed", type=int, default=20261123)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    tmp = Path(tempfile.mkdtemp(prefix="bench-faults-"))
    try:
        data_dir = tmp / "data"
        t0 = time.monotonic()
        seed_demo(data_dir)
        token = make_token(data_dir, "kiemtravien")
        print(f"Crash durability: {args.cycles} cycles of {args.writers} writers saving findings, SIGKILL mid-burst")
        print(f"  demo seeded in {time.monotonic() - t0:.1f} s; SQLite {sqlite3.sqlite_version}; "
              f"{os.cpu_count()} cores")
        print(f"  {'cycle':>5} {'kill at':>8} {'acked':>6} {'lost':>5} {'stale':>6} {'landed*':>8} "
              f"{'integrity':>10} {'restart s':>10}  statuses")
        results = []
        server = Server(data_dir)
        for n in range(1, args.cycles + 1):
            result, server = crash_cycle(server, token, args.writers, rng.uniform(0.3, 1.2), f"c{n}")
            results.append(result)
            print(f"  {n:>5} {result.kill_after:>7.2f}s {result.acked:>6} {result.missing:>5} {result.stale:>6} "
                  f"{result.in_flight_landed:>8} {result.integrity:>10} {result.restart_seconds:>10.2f}  "
                  f"{result.statuses}")
            sys.stdout.flush()
        server.stop()
        print("  * landed: saves committed whose 200 the kill swallowed (the client retries with its key)")
        total = sum(r.acked for r in results)
        lost = sum(r.missing + r.stale for r in results)
        bad = sum(r.integrity != "ok" for r in results)
        print(f"\n  total: {total:,} acknowledged saves over {len(results)} kills; lost or stale {lost} (target 0: "
              f"{'met' if lost == 0 else 'NOT met'}); integrity failures {bad} (target 0: "
              f"{'met' if bad == 0 else 'NOT met'})")
        print(f"  restart after kill -9: median {statistics.median(r.restart_seconds for r in results):.2f} s, "
              f"max {max(r.restart_seconds for r in results):.2f} s (process start, WAL recovery, migrations check)")
        print(f"  total time {time.monotonic() - t0:.0f} s")
        return 0
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
