"""The append-only audit log, hash-chained so that tampering shows."""

from __future__ import annotations

import hashlib
from typing import Any

import msgspec

from inspect_app.db import Database, Tx, utc_now
from inspect_app.models import AuditEntry
from inspect_app.queries import as_structs, where_clause

GENESIS = "0" * 64


def _json(value: Any) -> str | None:
    return None if value is None else msgspec.json.encode(value).decode()


def entry_hash(prev_hash: str, at: str, actor: str, action: str, subject_type: str, subject_id: str,
               before: str | None, after: str | None) -> str:
    """The chain link: sha256 over the previous hash and this entry's fields."""
    payload = msgspec.json.encode([prev_hash, at, actor, action, subject_type, subject_id, before, after])
    return hashlib.sha256(payload).hexdigest()


async def record(
    tx: Tx, *, actor_id: int | None, actor: str, action: str, subject_type: str, subject_id: Any,
    before: Any = None, after: Any = None, ip: str = "",
) -> None:
    """Write one audit entry inside the caller's transaction (so it commits with the change)."""
    last = await tx.fetch_one("SELECT hash FROM audit_log ORDER BY id DESC LIMIT 1")
    prev = last["hash"] if last else GENESIS
    at = utc_now()
    before_json, after_json = _json(before), _json(after)
    digest = entry_hash(prev, at, actor, action, subject_type, str(subject_id), before_json, after_json)
    await tx.execute(
        "INSERT INTO audit_log (at, actor_id, actor, action, subject_type, subject_id, before_json,"
        " after_json, ip, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (at, actor_id, actor, action, subject_type, str(subject_id), before_json, after_json, ip, prev, digest),
    )


class AuditFilter(msgspec.Struct, frozen=True):
    """What the audit page narrows to; empty fields do not filter.

    `action` is a code ("finding.save") or the start of one ("visit."); `kind` an object kind of
    `OBJECT_KINDS` (or any stored subject_type), `object_id` one object of that kind; `start` and `end`
    bound the UTC time (`start` included, `end` excluded), in the stored format.
    """

    actor: str = ""
    action: str = ""
    kind: str = ""
    object_id: str = ""
    start: str = ""
    end: str = ""


# An object kind → the entries about it (and, with an id, about that one object). Evidence added to a
# visit is recorded against its scope ("finding:1.4.1", "self:1.4.1", "remediation:7") and the visit id.
OBJECT_KINDS: dict[str, tuple[str, str]] = {
    "visit": ("(subject_type = 'visit' OR subject_type LIKE 'finding:%' OR subject_type LIKE 'self:%')",
              "subject_id = ?"),
    "remediation": ("(subject_type = 'remediation' OR subject_type LIKE 'remediation:%')",
                    "(CASE WHEN subject_type = 'remediation' THEN subject_id ELSE substr(subject_type, 13) END) = ?"),
    "unit": ("subject_type IN ('unit', 'units')", "subject_id = ?"),
}


def _where(flt: AuditFilter) -> tuple[str, list[Any]]:
    kind_sql, id_sql = OBJECT_KINDS.get(flt.kind, ("subject_type = ?", "subject_id = ?"))
    action = (("substr(a.action, 1, ?) = ?", len(flt.action), flt.action) if flt.action.endswith(".")
              else ("a.action = ?", flt.action))
    return where_clause(
        ("a.actor = ?", flt.actor) if flt.actor else None,
        action if flt.action else None,
        ((kind_sql,) if flt.kind in OBJECT_KINDS else (kind_sql, flt.kind)) if flt.kind else None,
        (id_sql, flt.object_id) if flt.kind and flt.object_id else None,
        ("a.at >= ?", flt.start) if flt.start else None,
        ("a.at < ?", flt.end) if flt.end else None)


async def list_entries(db: Database, flt: AuditFilter = AuditFilter(), *, limit: int = 100,
                       offset: int = 0) -> list[AuditEntry]:
    """Entries newest first, with the actor's full name (the stored username stays what it was)."""
    where, params = _where(flt)
    sql = ("SELECT a.*, coalesce(u.full_name, '') AS actor_name FROM audit_log a"
           " LEFT JOIN users u ON u.id = a.actor_id" + where + " ORDER BY a.id DESC LIMIT ? OFFSET ?")
    return as_structs(AuditEntry, await db.fetch_all(sql, [*params, limit, offset]))


async def distinct_values(db: Database) -> tuple[list[tuple[str, str]], list[str]]:
    """(username, full name) of everyone in the log, and the action codes present (for filter menus)."""
    actors = [(r[0], r[1] or "") for r in await db.fetch_all(
        "SELECT a.actor, u.full_name FROM (SELECT actor, max(actor_id) AS actor_id FROM audit_log GROUP BY actor) a"
        " LEFT JOIN users u ON u.id = a.actor_id ORDER BY coalesce(u.full_name, a.actor), a.actor")]
    actions = [r[0] for r in await db.fetch_all("SELECT DISTINCT action FROM audit_log ORDER BY 1")]
    return actors, actions


class VisitRef(msgspec.Struct, frozen=True):
    unit_name: str
    scheduled_on: str
    checklist_id: str
    checklist_version: str


class AuditNames(msgspec.Struct):
    """Names of what a page of entries mentions, looked up once per page; `items` (visit id, item code) →
    checklist Item is filled by the caller from the visits' pinned checklists."""

    visits: dict[int, VisitRef] = {}
    units: dict[str, str] = {}
    users: dict[int, tuple[str, str]] = {}  # id → (full name, username)
    usernames: dict[str, str] = {}  # username (lower case) → full name
    plans: dict[int, str] = {}  # id → number
    teams: dict[int, str] = {}  # id → name
    remediation: dict[int, tuple[int, str, str]] = {}  # id → (visit id, unit name, item code)
    evidence: dict[int, tuple[int | None, str]] = {}  # id → (visit id, item code)
    provinces: dict[str, str] = {}
    items: dict[tuple[int, str], Any] = {}


def _ints(values) -> list[int]:
    out = []
    for value in values:
        try:
            number = int(value)
        except (TypeError, ValueError):
            continue
        if -2**63 <= number < 2**63:
            out.append(number)
    return sorted(set(out))


def _marks(values: list) -> str:
    return ",".join("?" * len(values))


async def lookup_names(db: Database, *, visits=(), units=(), users=(), usernames=(), plans=(), teams=(),
                       remediation=(), evidence=(), provinces=()) -> AuditNames:
    """One query per kind of object, each only for the ids asked (a page of the log at most)."""
    names = AuditNames()
    if ids := _ints(evidence):
        rows = await db.fetch_all(
            f"SELECT id, visit_id, item_code FROM evidence_files WHERE id IN ({_marks(ids)})", ids)
        names.evidence = {r["id"]: (r["visit_id"], r["item_code"] or "") for r in rows}
        visits = [*visits, *(v for v, _ in names.evidence.values() if v is not None)]
    if ids := _ints(remediation):
        rows = await db.fetch_all(
            "SELECT r.id, r.visit_id, r.item_code, u.name FROM remediation_items r JOIN units u ON u.code = r.unit_code"
            f" WHERE r.id IN ({_marks(ids)})", ids)
        names.remediation = {r["id"]: (r["visit_id"], r["name"], r["item_code"]) for r in rows}
    if ids := _ints(visits):
        rows = await db.fetch_all(
            "SELECT v.id, u.name, v.scheduled_on, v.checklist_id, v.checklist_version FROM visits v"
            f" JOIN units u ON u.code = v.unit_code WHERE v.id IN ({_marks(ids)})", ids)
        names.visits = {r["id"]: VisitRef(r["name"], r["scheduled_on"], r["checklist_id"], r["checklist_version"])
                        for r in rows}
    if codes := sorted({str(c) for c in units if c}):
        rows = await db.fetch_all(f"SELECT code, name FROM units WHERE code IN ({_marks(codes)})", codes)
        names.units = {r["code"]: r["name"] for r in rows}
    if ids := _ints(users):
        rows = await db.fetch_all(f"SELECT id, full_name, username FROM users WHERE id IN ({_marks(ids)})", ids)
        names.users = {r["id"]: (r["full_name"], r["username"]) for r in rows}
    if logins := sorted({str(u).lower() for u in usernames if u}):
        rows = await db.fetch_all(f"SELECT username, full_name FROM users WHERE username IN ({_marks(logins)})",
                                  logins)
        names.usernames = {r["username"].lower(): r["full_name"] for r in rows}
    if ids := _ints(plans):
        rows = await db.fetch_all(f"SELECT id, number FROM plans WHERE id IN ({_marks(ids)})", ids)
        names.plans = {r["id"]: r["number"] for r in rows}
    if ids := _ints(teams):
        rows = await db.fetch_all(f"SELECT id, name FROM teams WHERE id IN ({_marks(ids)})", ids)
        names.teams = {r["id"]: r["name"] for r in rows}
    if codes := sorted({str(c) for c in provinces if c}):
        rows = await db.fetch_all(f"SELECT code, name FROM provinces WHERE code IN ({_marks(codes)})", codes)
        names.provinces = {r["code"]: r["name"] for r in rows}
    return names


async def verify_chain(db: Database) -> int | None:
    """Return the id of the first entry whose hash does not match, or None if the chain holds."""
    prev = GENESIS
    for row in await db.fetch_all("SELECT * FROM audit_log ORDER BY id"):
        expected = entry_hash(prev, row["at"], row["actor"], row["action"], row["subject_type"],
                              row["subject_id"], row["before_json"], row["after_json"])
        if row["prev_hash"] != prev or row["hash"] != expected:
            return row["id"]
        prev = row["hash"]
    return None
