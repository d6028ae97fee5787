"""The minutes' canonical content: what a signature on the tablet is bound to.

Not the bytes of a rendered file (they differ on every render: dates, fonts, engines) but the facts
the minutes state, as canonical JSON (sorted keys, no spaces, UTF-8): the visit's header data, the
team, the latest check-in, and every finding with its answer, note and version. An amendment changes
a finding's version, so the hash changes and earlier signatures read as "of an earlier version".
"""

from __future__ import annotations

import hashlib
from typing import Any

import msgspec

from inspect_app.db import Database, Tx
from inspect_app.queries import checkins, findings
from inspect_app.queries import reports as q

# The visit's fields the minutes print; `status` is left out (signed_off → amended is no new content:
# the amended finding's new version already is).
HEADER_FIELDS = ("id", "plan_id", "unit_code", "unit_name", "team_name", "team_decision_number",
                 "team_decision_date", "scheduled_on", "kind", "checklist_id", "checklist_version",
                 "started_at", "signed_off_at", "remarks", "unit_representative")


async def canonical_content(db: Database | Tx, visit_id: int) -> dict[str, Any] | None:
    """The minutes' content as plain data; None for an unknown visit."""
    visit = await q.visit_record(db, visit_id)  # type: ignore[arg-type]  # a Tx reads the same way
    if visit is None:
        return None
    checkin = await checkins.latest(db, visit_id)
    return {
        "visit": {name: getattr(visit, name) for name in HEADER_FIELDS},
        "team": [[m.full_name, m.title, m.role] for m in await q.team_members(db, visit.team_id)],  # type: ignore[arg-type]
        "checkin": None if checkin is None else {
            "recorded_at": checkin.recorded_at, "lat": checkin.lat, "lon": checkin.lon,
            "accuracy_m": checkin.accuracy_m, "declined": checkin.declined},
        "findings": sorted(([f.item_code, msgspec.json.decode(f.answer_json), f.note, f.version]
                            for f in await findings.list_findings(db, visit_id)), key=lambda row: row[0]),
    }


def canonical_json(content: Any) -> bytes:
    return msgspec.json.encode(content, order="sorted")


async def canonical_sha256(db: Database | Tx, visit_id: int) -> str:
    """SHA-256 (hex) of the minutes' canonical JSON; "" for an unknown visit."""
    content = await canonical_content(db, visit_id)
    return "" if content is None else hashlib.sha256(canonical_json(content)).hexdigest()
