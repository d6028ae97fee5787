"""Battery 8: several app nodes. Two `inspect-app serve` processes on different ports over one PostgreSQL
database and one data folder (evidence, report files, the secret key) behave as one app: 50 inspectors
saving through both while one node is killed with SIGKILL and restarted lose nothing and store nothing
twice; the same finding edited through both nodes at once gives exactly one 409; a session made on one
node works on the other; a report started on one is downloaded from the other.

PostgreSQL only: on SQLite the app is one process by design (docs/architecture.md).
"""

from __future__ import annotations

import sys
import threading
import time
import uuid
from pathlib import Path

import dbtarget
import httpx
import pytest
from browser import live_data_dir
from conftest import DEMO_PASSWORD

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))
from faults import Ack, Server, duplicate_saves, editable_pairs, integrity, make_token, missing_acks, stale_findings  # noqa: E402

pytestmark = pytest.mark.skipif(not dbtarget.ON_POSTGRES, reason="several app nodes need PostgreSQL "
                                "(INSPECT_TEST_DATABASE_URL); on SQLite the app is one process")

INSPECTORS = 50


@pytest.fixture
def nodes(tmp_path, seeded_db):
    """Nodes A and B: one data folder, one database (a fresh clone of the demo)."""
    data_dir = live_data_dir(tmp_path, seeded_db)
    url = dbtarget.new_database(template=dbtarget.SEED)
    started: list[Server] = []
    try:
        for name in ("a", "b"):
            started.append(Server(data_dir, f"node-{name}.log", database_url=url))
        yield started
    finally:
        for server in started:
            server.stop()


class Burst:
    """Inspectors saving yes/no findings through their node; when it stops answering, an inspector's
    tablet sends the unanswered save again — same Idempotency-Key, same body — through the other node."""

    def __init__(self) -> None:
        self.acks: list[Ack] = []
        self.notes: set[str] = set()
        self.statuses: dict[int, int] = {}
        self.failovers = 0
        self.lock = threading.Lock()
        self.stop = threading.Event()

    def inspector(self, urls: list[str], token: str, pair, tag: str) -> None:
        headers = {"Authorization": f"Bearer {token}"}
        answer, seq, node = pair.version % 2 == 0, 0, 0
        with httpx.Client(headers=headers, timeout=10) as client:
            while not self.stop.is_set():
                seq += 1
                note = f"{tag}-{pair.visit_id}-{pair.item_code}-{seq}"
                body = {"answer": answer, "note": note, "base_version": pair.version}
                key = str(uuid.uuid4())
                with self.lock:
                    self.notes.add(note)
                for attempt in range(40):
                    try:
                        response = client.put(f"{urls[node]}/api/v1/visits/{pair.visit_id}/findings/{pair.item_code}",
                                              headers={"Idempotency-Key": key}, json=body)
                        break
                    except httpx.HTTPError:
                        node = 1 - node  # this node is gone: the same save through the other one
                        with self.lock:
                            self.failovers += 1
                        time.sleep(0.05)
                else:
                    return
                with self.lock:
                    self.statuses[response.status_code] = self.statuses.get(response.status_code, 0) + 1
                if response.status_code != 200:
                    return
                version = response.json()["version"]
                with self.lock:
                    self.acks.append(Ack(pair.visit_id, pair.item_code, version, answer, note))
                pair.version, answer = version, not answer


def _one_more_visit(database: str) -> None:
    """A second open commune visit for the demo team (another unit, same plan and checklist): the demo's
    open visits hold fewer yes/no items than 50 inspectors need, one finding each."""
    dbtarget.sql(database,
                 "INSERT INTO visits (plan_id, unit_code, team_id, scheduled_on, kind, checklist_id, checklist_version,"
                 " status, created_at, created_by) SELECT v.plan_id, u.code, v.team_id, v.scheduled_on, v.kind,"
                 " v.checklist_id, v.checklist_version, 'planned', v.created_at, v.created_by FROM visits v, units u"
                 " WHERE v.id = (SELECT min(id) FROM visits WHERE status IN ('planned', 'in_progress'))"
                 " AND u.kind = 'xa' AND u.code NOT IN (SELECT unit_code FROM visits) ORDER BY u.code LIMIT 1")


def test_fifty_inspectors_over_two_nodes_one_killed_and_restarted(nodes):
    a, b = nodes
    token = make_token(a.data_dir, "kiemtravien", a.database_url)
    _one_more_visit(a.database)
    pairs = editable_pairs(a.url, token)
    assert len(pairs) >= INSPECTORS
    burst = Burst()
    urls = [a.url, b.url]
    threads = [threading.Thread(target=burst.inspector, args=(urls if i % 2 == 0 else urls[::-1], token, pair, "n"),
                                daemon=True) for i, pair in enumerate(pairs[:INSPECTORS])]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + 20
    while len(burst.acks) < 2 * INSPECTORS and time.monotonic() < deadline:
        time.sleep(0.02)
    acked_before_kill = len(burst.acks)
    b.kill()  # SIGKILL mid-burst: half the inspectors were saving through it
    time.sleep(1.0)
    nodes[1] = b = b.restart()
    time.sleep(1.0)
    burst.stop.set()
    for thread in threads:
        thread.join(timeout=30)
    assert not any(thread.is_alive() for thread in threads)
    print(f"{len(burst.acks)} saves acknowledged ({acked_before_kill} before the kill), "
          f"{burst.failovers} sent again through the other node, statuses {burst.statuses}")
    assert acked_before_kill >= INSPECTORS and len(burst.acks) > acked_before_kill
    assert set(burst.statuses) == {200}
    assert burst.failovers > 0  # the kill did catch saves in flight
    assert missing_acks(a.database, burst.acks) == []
    assert stale_findings(a.database, burst.acks) == []
    assert duplicate_saves(a.database, burst.notes) == 0
    assert integrity(a.database) == "ok"
    # Both nodes serve the same, current state.
    served_a = {(p.visit_id, p.item_code): p.version for p in editable_pairs(a.url, token)}
    served_b = {(p.visit_id, p.item_code): p.version for p in editable_pairs(b.url, token)}
    assert served_a == served_b


def test_the_same_finding_saved_through_both_nodes_at_once_gives_one_409(nodes):
    a, b = nodes
    token = make_token(a.data_dir, "kiemtravien", a.database_url)
    headers = {"Authorization": f"Bearer {token}"}
    for round_ in range(5):
        pair = editable_pairs(a.url, token)[round_]
        path = f"/api/v1/visits/{pair.visit_id}/findings/{pair.item_code}"
        results: list[httpx.Response] = []
        gate = threading.Barrier(2)

        def save(url: str, answer: bool) -> None:
            gate.wait()
            results.append(httpx.put(url + path, headers={**headers, "Idempotency-Key": str(uuid.uuid4())},
                                     json={"answer": answer, "note": f"race {round_}", "base_version": pair.version},
                                     timeout=30))

        threads = [threading.Thread(target=save, args=(a.url, True)), threading.Thread(target=save, args=(b.url, False))]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert sorted(r.status_code for r in results) == [200, 409], [r.text for r in results]
        winner = next(r for r in results if r.status_code == 200).json()
        loser = next(r for r in results if r.status_code == 409).json()
        assert loser["current"]["version"] == winner["version"] == pair.version + 1


def _logged_in(client: httpx.Client, url: str) -> httpx.Client:
    client.get(url + "/login")
    response = client.post(url + "/login", data={"username": "sonoivu", "password": DEMO_PASSWORD, "next": "/",
                                                 "_csrf_token": client.cookies["csrftoken"]})
    assert response.status_code == 303, response.text
    return client


def test_a_session_made_on_one_node_works_on_the_other_and_so_does_a_report(nodes):
    a, b = nodes
    with httpx.Client(timeout=30) as client:
        _logged_in(client, a.url)
        page = client.get(b.url + "/")
        assert page.status_code == 200
        assert "Đăng xuất" in page.text
        plan_id = dbtarget.sql(a.database, "SELECT id FROM plans ORDER BY issued_on DESC, id DESC LIMIT 1")[0][0]
        started = client.post(f"{a.url}/reports/plans/{plan_id}/export",
                              data={"format": "xlsx", "_csrf_token": client.cookies["csrftoken"]})
        assert started.status_code == 303, started.text
        job = started.headers["location"]
        for _ in range(200):
            file = client.get(b.url + job + "/file")
            if file.status_code == 200:
                break
            time.sleep(0.1)
        assert file.status_code == 200 and file.content[:2] == b"PK"  # an .xlsx, served by node B
        # Logging out on B ends the session on A too.
        client.post(b.url + "/logout", data={"_csrf_token": client.cookies["csrftoken"]})
        after = client.get(a.url + "/")
        assert after.status_code == 303 and "/login" in after.headers["location"]


def test_documents_issued_through_both_nodes_at_once_get_distinct_consecutive_numbers(nodes):
    """The register's numbers come from the database (a transaction under the write lock, UNIQUE(issuer,
    year, number)), never from one process's memory: issuing through both nodes at once, and the same
    document through both, gives each document one number and no number twice."""
    a, b = nodes
    token = make_token(a.data_dir, "sonoivu", a.database_url)
    headers = {"Authorization": f"Bearer {token}"}
    signed = [v["id"] for v in httpx.get(a.url + "/api/v1/visits", headers=headers, timeout=30).json()
              if v["status"] in ("signed_off", "amended")]
    assert len(signed) >= 3
    before = dbtarget.sql(a.database, "SELECT count(*) FROM issued_documents")[0][0]
    calls = [(a.url if i % 2 == 0 else b.url, visit) for i, visit in enumerate(signed)] + [(b.url, signed[0])]
    results: dict[int, httpx.Response] = {}

    def issue(n: int, url: str, visit: int) -> None:
        results[n] = httpx.post(f"{url}/api/v1/visits/{visit}/notice/issue", headers=headers, timeout=120)

    threads = [threading.Thread(target=issue, args=(n, url, visit)) for n, (url, visit) in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert all(r.status_code == 200 for r in results.values()), [r.text for r in results.values()]
    numbers = {visit: results[n].json()["number"] for n, (_, visit) in enumerate(calls[:-1])}
    assert results[len(calls) - 1].json()["number"] == numbers[signed[0]]  # the same document: the same number
    assert sorted(int(number.split("/")[0]) for number in numbers.values()) == list(
        range(before + 1, before + 1 + len(signed)))
    assert dbtarget.sql(a.database, "SELECT count(*) FROM issued_documents")[0][0] == before + len(signed)
