"""Plans (kế hoạch kiểm tra), their teams (đoàn kiểm tra) and members."""

from __future__ import annotations

from inspect_app.db import Database, Tx, utc_now
from inspect_app.models import Plan, Team, TeamMember
from inspect_app.queries import as_struct, as_structs

PLAN_COLUMNS = "id, number, issued_on, issuer, title, legal_basis, period_start, period_end, province_code"


async def list_plans(db: Database, *, visible_to_user: int | None = None, unit_code: str | None = None) -> list[Plan]:
    """All plans, or only those with a team the user is on, or a visit to the unit."""
    if visible_to_user is not None:
        sql = (f"SELECT {PLAN_COLUMNS} FROM plans WHERE id IN (SELECT t.plan_id FROM teams t"
               " JOIN team_members m ON m.team_id = t.id WHERE m.user_id = ?)")
        params: tuple = (visible_to_user,)
    elif unit_code is not None:
        sql = f"SELECT {PLAN_COLUMNS} FROM plans WHERE id IN (SELECT plan_id FROM visits WHERE unit_code = ?)"
        params = (unit_code,)
    else:
        sql, params = f"SELECT {PLAN_COLUMNS} FROM plans", ()
    return as_structs(Plan, await db.fetch_all(sql + " ORDER BY issued_on DESC, id DESC", params))


async def get_plan(db: Database | Tx, plan_id: int) -> Plan | None:
    row = await db.fetch_one(f"SELECT {PLAN_COLUMNS} FROM plans WHERE id = ?", (plan_id,))
    return as_struct(Plan, row) if row else None


async def find_plan(db: Database | Tx, number: str, issued_on: str) -> Plan | None:
    row = await db.fetch_one(
        f"SELECT {PLAN_COLUMNS} FROM plans WHERE number = ? AND issued_on = ?", (number, issued_on)
    )
    return as_struct(Plan, row) if row else None


async def insert_plan(tx: Tx, plan: Plan, created_by: int | None) -> int:
    return await tx.execute(
        "INSERT INTO plans (number, issued_on, issuer, province_code, title, legal_basis, period_start,"
        " period_end, created_at, created_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (plan.number, plan.issued_on, plan.issuer, plan.province_code, plan.title, plan.legal_basis,
         plan.period_start, plan.period_end, utc_now(), created_by),
    )


async def list_teams(db: Database | Tx, plan_id: int) -> list[Team]:
    teams = await db.fetch_all(
        "SELECT id, plan_id, name, decision_number, decision_date FROM teams WHERE plan_id = ? ORDER BY id",
        (plan_id,),
    )
    members = await db.fetch_all(
        "SELECT m.team_id, m.user_id, u.username, u.full_name, u.title, m.role FROM team_members m"
        " JOIN users u ON u.id = m.user_id JOIN teams t ON t.id = m.team_id WHERE t.plan_id = ?"
        " ORDER BY CASE m.role WHEN 'truong_doan' THEN 0 WHEN 'pho_doan' THEN 1"
        " WHEN 'thu_ky' THEN 3 ELSE 2 END, u.full_name",
        (plan_id,),
    )
    result = []
    for team in teams:
        team_members = [as_struct(TeamMember, m) for m in members if m["team_id"] == team["id"]]
        result.append(Team(id=team["id"], plan_id=team["plan_id"], name=team["name"],
                           decision_number=team["decision_number"], decision_date=team["decision_date"],
                           members=team_members))
    return result


async def find_team(db: Database | Tx, plan_id: int, name: str) -> int | None:
    row = await db.fetch_one("SELECT id FROM teams WHERE plan_id = ? AND name = ?", (plan_id, name))
    return row["id"] if row else None


async def insert_team(tx: Tx, plan_id: int, name: str, decision_number: str, decision_date: str | None) -> int:
    return await tx.execute(
        "INSERT INTO teams (plan_id, name, decision_number, decision_date, created_at) VALUES (?, ?, ?, ?, ?)",
        (plan_id, name, decision_number, decision_date, utc_now()),
    )


async def add_member(tx: Tx, team_id: int, user_id: int, role: str) -> None:
    await tx.execute(
        "INSERT INTO team_members (team_id, user_id, role) VALUES (?, ?, ?)"
        " ON CONFLICT(team_id, user_id) DO UPDATE SET role = excluded.role",
        (team_id, user_id, role),
    )


async def remediation_days(db: Database | Tx, plan_id: int) -> int:
    """The plan's default time to fix a shortcoming, in days."""
    row = await db.fetch_one("SELECT remediation_days FROM plans WHERE id = ?", (plan_id,))
    return row[0] if row else 30


async def plan_settings(db: Database | Tx, plan_id: int) -> dict[str, tuple[str, int]]:
    """The plan's stored settings: key → (value, version); a key absent here has its default."""
    rows = await db.fetch_all("SELECT key, value, version FROM plan_settings WHERE plan_id = ?", (plan_id,))
    return {row["key"]: (row["value"], row["version"]) for row in rows}


async def put_plan_setting(tx: Tx, plan_id: int, key: str, value: str, version: int, user_id: int) -> None:
    """Store a setting as `version` (1 for the first value, then one more than the replaced one)."""
    await tx.execute(
        "INSERT INTO plan_settings (plan_id, key, value, version, updated_at, updated_by) VALUES (?, ?, ?, ?, ?, ?)"
        " ON CONFLICT(plan_id, key) DO UPDATE SET value = excluded.value, version = excluded.version,"
        " updated_at = excluded.updated_at, updated_by = excluded.updated_by",
        (plan_id, key, value, version, utc_now(), user_id),
    )
