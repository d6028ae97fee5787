"""The Sở Nội vụ's dashboard: plan progress, and search over units and findings that ignores
diacritics and case and treats NFC and NFD input alike (both fold to the same key)."""

from __future__ import annotations

from collections import defaultdict

import msgspec

from inspect_app.db import Database
from inspect_app.queries import reports as q
from inspect_app.reports import rules
from inspect_app.reports.plan_data import PlanReport
from inspect_app.text import fold

MAX_HITS = 100


class PlanProgress(msgspec.Struct):
    plan_id: int
    number: str
    title: str
    issued_on: str
    planned: int = 0
    done: int = 0
    signed_off: int = 0


class UnitHit(msgspec.Struct, frozen=True):
    visit_id: int
    unit_name: str
    status: str
    percent: float | None


class FindingHit(msgspec.Struct, frozen=True):
    visit_id: int
    unit_name: str
    item_code: str
    item_text: str
    note: str
    failed: bool


async def plan_progress(db: Database, province: str = "", kind: str = "") -> list[PlanProgress]:
    """Planned / done / signed-off visits of every plan (newest plan first)."""
    plans: dict[int, PlanProgress] = {}
    for row in await q.plan_progress(db, province=province, kind=kind):
        plan = plans.setdefault(row.plan_id, PlanProgress(row.plan_id, row.number, row.title, row.issued_on))
        if row.status:
            plan.planned += row.n
            plan.done += row.n if row.status in rules.DONE else 0
            plan.signed_off += row.n if row.status in rules.SIGNED else 0
    return list(plans.values())


def matches(words: list[str], text: str) -> bool:
    """Every query word starts a word of the text: "tan an" finds "Xã Tân An" but not "Phường Tân Hưng"
    (a plain substring test would, through the "an" of "Tân")."""
    key = fold(text).replace(",", " ").replace(".", " ").replace("(", " ").split()
    return all(any(part.startswith(word) for part in key) for word in words)


async def search(db: Database, report: PlanReport, query: str) -> tuple[list[UnitHit], list[FindingHit]]:
    """Units of the plan whose name matches every word, and findings whose note or (for a shortcoming)
    item text matches every word. "tan an", "Tân An" and its NFD spelling all find "Xã Tân An"."""
    words = fold(query).split()
    if not words:
        return [], []
    scored = {r.visit_id: r for g in report.groups for r in g.rows}
    texts = {code: text for g in report.groups for code, text in g.item_text.items()}
    visits = {v.id: v for v in report.visits}
    units = [UnitHit(v.id, v.unit_name, v.status, scored[v.id].percent if v.id in scored else None)
             for v in report.visits if matches(words, v.unit_name)][:MAX_HITS]
    hits: dict[tuple[int, str], FindingHit] = {}
    for f in await q.noted_findings(db, report.plan.id):
        if f.visit_id in visits and matches(words, f.note):
            failed = f.visit_id in scored and f.item_code in scored[f.visit_id].failed
            hits[(f.visit_id, f.item_code)] = FindingHit(f.visit_id, visits[f.visit_id].unit_name, f.item_code,
                                                         texts.get(f.item_code, ""), f.note, failed)
    folded_items: dict[str, bool] = defaultdict(bool)
    for code, text in texts.items():
        folded_items[code] = matches(words, text)
    for row in scored.values():
        for code in row.failed:
            if folded_items[code] and (row.visit_id, code) not in hits:
                hits[(row.visit_id, code)] = FindingHit(row.visit_id, row.unit_name, code, texts.get(code, ""), "",
                                                        True)
    ordered = sorted(hits.values(), key=lambda h: (h.unit_name, h.item_code))
    return units, ordered[:MAX_HITS]
