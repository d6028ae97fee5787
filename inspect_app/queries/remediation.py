"""Remediation items (kiến nghị khắc phục), their links to findings, and the thread of responses."""

from __future__ import annotations

import msgspec

from inspect_app.db import Database, Tx, utc_now
from inspect_app.queries import as_struct, as_structs


class RemediationRow(msgspec.Struct, frozen=True):
    id: int
    visit_id: int
    finding_id: int | None
    unit_code: str
    unit_name: str
    plan_id: int
    plan_number: str
    team_id: int
    item_code: str
    text: str
    deadline: str
    status: str
    version: int
    created_at: str
    closed_at: str | None
    answered_at: str | None  # submission time of the latest submitted answer


class ResponseRow(msgspec.Struct, frozen=True):
    id: int
    item_id: int
    kind: str
    state: str
    text: str
    author_id: int
    author_name: str
    author_role: str
    created_at: str
    submitted_at: str | None


SELECT = (
    "SELECT r.id, r.visit_id, r.finding_id, r.unit_code, u.name AS unit_name, v.plan_id, p.number AS plan_number,"
    " v.team_id, r.item_code, r.text, r.deadline, r.status, r.version, r.created_at, r.closed_at,"
    " (SELECT max(submitted_at) FROM remediation_responses x WHERE x.item_id = r.id AND x.kind = 'answer'"
    "  AND x.state = 'submitted') AS answered_at"
    " FROM remediation_items r JOIN units u ON u.code = r.unit_code JOIN visits v ON v.id = r.visit_id"
    " JOIN plans p ON p.id = v.plan_id"
)


# Each scope filter of `list_items`: its condition on the joined item (r) and visit (v).
SCOPE_FILTERS = {
    "unit_code": "r.unit_code = ?",
    "member_user_id": "v.team_id IN (SELECT team_id FROM team_members WHERE user_id = ?)",
    "plan_id": "v.plan_id = ?",
    "visit_id": "r.visit_id = ?",
    "status": "r.status = ?",
}


async def list_items(
    db: Database | Tx, *, unit_code: str | None = None, member_user_id: int | None = None,
    plan_id: int | None = None, visit_id: int | None = None, status: str | None = None,
) -> list[RemediationRow]:
    """Items in a scope: a unit's, a team member's visits', a plan's, a visit's; by deadline."""
    given = {"unit_code": unit_code, "member_user_id": member_user_id, "plan_id": plan_id, "visit_id": visit_id,
             "status": status or None}
    where = [(SCOPE_FILTERS[name], value) for name, value in given.items() if value is not None]
    sql = SELECT + (" WHERE " + " AND ".join(cond for cond, _ in where) if where else "") + " ORDER BY r.deadline, r.id"
    return as_structs(RemediationRow, await db.fetch_all(sql, [value for _, value in where]))


async def get_item(db: Database | Tx, item_id: int) -> RemediationRow | None:
    row = await db.fetch_one(SELECT + " WHERE r.id = ?", (item_id,))
    return as_struct(RemediationRow, row) if row else None


async def linked_findings(db: Database | Tx, item_id: int) -> list[int]:
    rows = await db.fetch_all("SELECT finding_id FROM remediation_links WHERE item_id = ? ORDER BY finding_id",
                              (item_id,))
    return [r[0] for r in rows]


async def item_covering(db: Database | Tx, finding_id: int) -> int | None:
    """The item that already covers this finding, if any."""
    row = await db.fetch_one("SELECT item_id FROM remediation_links WHERE finding_id = ?", (finding_id,))
    return row[0] if row else None


async def insert_item(tx: Tx, *, visit_id: int, unit_code: str, finding_ids: list[int], item_code: str, text: str,
                      deadline: str, user_id: int) -> int:
    item_id = await tx.execute(
        "INSERT INTO remediation_items (visit_id, finding_id, unit_code, item_code, text, deadline, created_at,"
        " created_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (visit_id, finding_ids[0] if finding_ids else None, unit_code, item_code, text, deadline, utc_now(), user_id),
    )
    await tx.executemany("INSERT INTO remediation_links (item_id, finding_id) VALUES (?, ?)",
                         [(item_id, f) for f in finding_ids])
    return item_id


async def update_item(tx: Tx, item_id: int, *, text: str, deadline: str) -> None:
    await tx.execute("UPDATE remediation_items SET text = ?, deadline = ?, version = version + 1 WHERE id = ?",
                     (text, deadline, item_id))


async def set_status(tx: Tx, item_id: int, status: str, closed: bool = False) -> None:
    await tx.execute("UPDATE remediation_items SET status = ?, closed_at = ?, version = version + 1 WHERE id = ?",
                     (status, utc_now() if closed else None, item_id))


async def responses(db: Database | Tx, item_id: int) -> list[ResponseRow]:
    return as_structs(ResponseRow, await db.fetch_all(
        "SELECT x.id, x.item_id, x.kind, x.state, x.text, x.author_id, u.full_name AS author_name,"
        " u.role AS author_role, x.created_at, x.submitted_at FROM remediation_responses x"
        " JOIN users u ON u.id = x.author_id WHERE x.item_id = ? ORDER BY x.id", (item_id,)))


async def draft_of(db: Database | Tx, item_id: int) -> ResponseRow | None:
    for response in await responses(db, item_id):
        if response.kind == "answer" and response.state == "draft":
            return response
    return None


async def insert_response(tx: Tx, *, item_id: int, kind: str, state: str, text: str, user_id: int) -> int:
    now = utc_now()
    return await tx.execute(
        "INSERT INTO remediation_responses (item_id, kind, state, text, author_id, created_at, submitted_at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?)",
        (item_id, kind, state, text, user_id, now, now if state == "submitted" else None),
    )


async def update_draft(tx: Tx, response_id: int, text: str) -> None:
    await tx.execute("UPDATE remediation_responses SET text = ? WHERE id = ? AND state = 'draft'", (text, response_id))


async def submit_draft(tx: Tx, response_id: int, text: str) -> None:
    await tx.execute("UPDATE remediation_responses SET text = ?, state = 'submitted', submitted_at = ?"
                     " WHERE id = ? AND state = 'draft'", (text, utc_now(), response_id))


async def response_files(db: Database | Tx, item_id: int):
    return await db.fetch_all(
        "SELECT e.id, e.response_id, e.kind, e.original_name, e.sha256, e.width, e.height, e.caption"
        " FROM evidence_files e JOIN remediation_responses x ON x.id = e.response_id"
        " WHERE x.item_id = ? AND e.deleted_at IS NULL ORDER BY e.id", (item_id,))


async def count_by_status(db: Database, *, unit_code: str | None = None) -> dict[str, int]:
    where, params = (" WHERE unit_code = ?", (unit_code,)) if unit_code is not None else ("", ())
    rows = await db.fetch_all(f"SELECT status, count(*) AS n FROM remediation_items{where} GROUP BY status", params)
    return {r["status"]: r["n"] for r in rows}
