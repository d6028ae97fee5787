"""Load soak: simulated inspectors open pages and save findings against the real server for a while.

Run by hand from the project root:  .venv/bin/python bench/load_soak.py [--users 50] [--seconds 60]
(also run by `make bench`). It prints figures and asserts nothing; tests/test_battery_load.py runs the
same load for 10 s and asserts zero 5xx and zero lost acknowledged saves.

What it does, in a temporary folder deleted at the end:
- seeds the demo (`inspect-app demo`), makes a Bearer token for `kiemtravien`, logs in once through the
  login form for a session cookie, and serves the app with `inspect-app serve --host 127.0.0.1` (one
  uvicorn worker, access log on, as in production);
- each simulated user holds one keep-alive HTTP/1.1 connection (raw asyncio streams, bench/finding_save.py's
  approach: cheap enough that the figures measure the server) and repeats, with no think time:
  save, save, open the visit page, save, open the home page. Pages go with the session cookie and
  `Accept-Encoding: gzip` like a browser; saves are `PUT /api/v1/visits/{id}/findings/{item}` with the
  Bearer token, a fresh Idempotency-Key and a unique note, each user owning one (visit, item) pair and
  carrying the acknowledged `version` into the next `base_version`;
- samples the server's resident memory (VmRSS) twice a second, and after the run looks every
  acknowledged save up in `finding_history` (version and note).

A closed loop with no think time is far above real demand (an inspector saves about once every 10 s):
the throughput it reaches is the machine's capacity, see docs/operations.md for the arithmetic.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import sqlite3
import statistics
import sys
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from faults import DEMO_PASSWORD, HOST, Server, served_demo  # noqa: E402
from finding_save import _pairs, _read_response  # noqa: E402

VERSION_RE = re.compile(rb'"version":(\d+)')
CYCLE = ("save", "save", "visit", "save", "home")


@dataclass
class Acked:
    visit_id: int
    item_code: str
    version: int
    note: str


@dataclass
class LoadResult:
    users: int
    seconds: float = 0.0
    latencies: dict[str, list[float]] = field(default_factory=lambda: {k: [] for k in ("save", "visit", "home")})
    statuses: dict[str, Counter] = field(default_factory=lambda: {k: Counter() for k in ("save", "visit", "home")})
    io_errors: int = 0
    acked: list[Acked] = field(default_factory=list)
    rss_kib: list[int] = field(default_factory=list)
    page_bytes: dict[str, int] = field(default_factory=dict)

    def count(self, kind: str | None = None) -> int:
        kinds = [kind] if kind else list(self.latencies)
        return sum(len(self.latencies[k]) for k in kinds)

    def server_errors(self) -> int:
        return sum(n for c in self.statuses.values() for s, n in c.items() if s >= 500)

    def pct(self, kind: str, q: float) -> float:
        ordered = sorted(self.latencies[kind])
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


def session_cookie(url: str, username: str, password: str) -> str:
    """Log in through the form, as a tablet does once a day; returns the `Cookie` header value."""
    with httpx.Client(base_url=url, timeout=30) as client:
        client.get("/login")
        response = client.post("/login", data={"username": username, "password": password, "next": "/",
                                               "_csrf_token": client.cookies["csrftoken"]})
        if response.status_code != 303 or "sid" not in client.cookies:
            raise RuntimeError(f"login as {username} failed: {response.status_code}")
        return f"sid={client.cookies['sid']}"


async def _user(n: int, pair, port: int, token: str, cookie: str, deadline: float, out: LoadResult) -> None:
    clock = time.perf_counter
    save_path = f"/api/v1/visits/{pair.visit_id}/findings/{pair.item_code}".encode()
    host = f"Host: {HOST}:{port}\r\n".encode()
    api_head = host + f"Authorization: Bearer {token}\r\nContent-Type: application/json\r\n".encode()
    page_head = host + f"Cookie: {cookie}\r\nAccept: text/html\r\nAccept-Encoding: gzip, deflate\r\n".encode()
    pages = {"visit": f"/visits/{pair.visit_id}".encode(), "home": b"/"}
    reader, writer = await asyncio.open_connection(HOST, port)
    step, seq = n % len(CYCLE), 0  # users start at different points of the cycle
    try:
        while clock() < deadline:
            kind = CYCLE[step % len(CYCLE)]
            step += 1
            if kind == "save":
                seq += 1
                note = f"u{n}-{seq}"
                body = b'{"answer":%s,"note":"%s","base_version":%d}' % (pair.values[pair.flip], note.encode(),
                                                                         pair.version)
                request = (b"PUT %s HTTP/1.1\r\n%sIdempotency-Key: %s\r\nContent-Length: %d\r\n\r\n%s"
                           % (save_path, api_head, uuid.uuid4().hex.encode(), len(body), body))
            else:
                request = b"GET %s HTTP/1.1\r\n%s\r\n" % (pages[kind], page_head)
            t0 = clock()
            try:
                writer.write(request)
                status, payload, close = await _read_response(reader)
            except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, ValueError, ConnectionError):
                out.io_errors += 1
                writer.close()
                await asyncio.sleep(0.05)
                reader, writer = await asyncio.open_connection(HOST, port)
                continue
            out.latencies[kind].append((clock() - t0) * 1000.0)
            out.statuses[kind][status] += 1
            if kind == "save" and status == 200:
                m = VERSION_RE.search(payload)
                pair.version = int(m.group(1))
                pair.flip ^= 1
                out.acked.append(Acked(pair.visit_id, pair.item_code, pair.version, note))
            elif kind != "save" and status == 200:
                out.page_bytes[kind] = len(payload)
            if close:
                writer.close()
                reader, writer = await asyncio.open_connection(HOST, port)
    finally:
        writer.close()


async def _sample_rss(server: Server, deadline: float, out: LoadResult) -> None:
    while time.perf_counter() < deadline:
        out.rss_kib.append(server.rss_kib())
        await asyncio.sleep(0.5)


def run_load(server: Server, token: str, cookie: str, users: int, seconds: float) -> LoadResult:
    """Drive `users` simulated inspectors for `seconds` against a running server."""
    pairs, _ = _pairs(token, server.port)
    if len(pairs) < users:
        raise RuntimeError(f"only {len(pairs)} (visit, item) pairs for {users} users")
    out = LoadResult(users)
    out.rss_kib.append(server.rss_kib())

    async def campaign() -> None:
        deadline = time.perf_counter() + seconds
        t0 = time.perf_counter()
        await asyncio.gather(_sample_rss(server, deadline, out),
                             *(_user(n, pair, server.port, token, cookie, deadline, out)
                               for n, pair in enumerate(pairs[:users])))
        out.seconds = time.perf_counter() - t0

    asyncio.run(campaign())
    out.rss_kib.append(server.rss_kib())
    return out


def lost_saves(db_path: Path, acked: list[Acked]) -> list[Acked]:
    """Acknowledged saves that are not in the finding's history with their version and note."""
    conn = sqlite3.connect(db_path)
    try:
        rows = {(v, c, ver): note for v, c, ver, note in conn.execute(
            "SELECT f.visit_id, f.item_code, h.version, h.note FROM finding_history h"
            " JOIN findings f ON f.id = h.finding_id")}
    finally:
        conn.close()
    return [a for a in acked if rows.get((a.visit_id, a.item_code, a.version)) != a.note]


def report(result: LoadResult, lost: int) -> list[str]:
    lines = [f"  {'kind':<6} {'count':>7} {'req/s':>7} {'p50 ms':>7} {'p95 ms':>7} {'p99 ms':>7} {'max ms':>7}  statuses"]
    for kind in ("save", "visit", "home"):
        lat = result.latencies[kind]
        lines.append(f"  {kind:<6} {len(lat):>7,} {len(lat) / result.seconds:>7.0f} {result.pct(kind, .5):>7.1f} "
                     f"{result.pct(kind, .95):>7.1f} {result.pct(kind, .99):>7.1f} {max(lat, default=0):>7.1f}  "
                     f"{dict(sorted(result.statuses[kind].items()))}")
    total = result.count()
    lines.append(f"  all    {total:>7,} {total / result.seconds:>7.0f} req/s over {result.seconds:.1f} s; "
                 f"5xx: {result.server_errors()}; connection errors: {result.io_errors}; "
                 f"acknowledged saves lost: {lost} of {len(result.acked):,}")
    rss = result.rss_kib
    lines.append(f"  server RSS (VmRSS): {rss[0] / 1024:.0f} MiB before, peak {max(rss) / 1024:.0f} MiB, "
                 f"{rss[-1] / 1024:.0f} MiB after")
    if result.page_bytes:
        lines.append("  page sizes on the wire (gzip): " + ", ".join(f"{k} {v:,} B" for k, v in result.page_bytes.items()))
    return lines


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=60.0)
    args = parser.parse_args()
    with served_demo("bench-load-soak-") as demo:
        cookie = session_cookie(demo.server.url, "kiemtravien", DEMO_PASSWORD)
        print(f"Load soak: {args.users} simulated inspectors, closed loop without think time, {args.seconds:g} s")
        print(f"  each repeats: {', '.join(CYCLE)} (pages with the session cookie and gzip, saves with the token)")
        print(f"  machine: {os.cpu_count()} cores; one uvicorn worker; load generator in this process")
        sys.stdout.flush()
        result = run_load(demo.server, demo.token, cookie, args.users, args.seconds)
        demo.server.stop()  # before the database is read
        lost = len(lost_saves(demo.data_dir / "inspect.sqlite3", result.acked))
        print("\n".join(report(result, lost)))
        saves_per_s = len(result.latencies["save"]) / result.seconds
        print(f"  capacity: {saves_per_s:,.0f} saves/s alongside {(result.count() - len(result.latencies['save'])) / result.seconds:,.0f} "
              f"pages/s; at 1 save per inspector per 10 s that is {saves_per_s * 10:,.0f} inspectors saving at once")
        if result.latencies["save"]:
            print(f"  median save latency under this load {statistics.median(result.latencies['save']):.1f} ms")
        return 0

if __name__ == "__main__":
    sys.exit(main())
