"""The periodic report the Sở Nội vụ sends to the People's Committee (quarter or year): visits done,
scores, recurring shortcomings and remediation status across every plan of the period."""

from __future__ import annotations

import asyncio
from collections import Counter, defaultdict
from datetime import date

import msgspec

from inspect_app.db import Database
from inspect_app.queries import reports as q
from inspect_app.reports import rules
from inspect_app.reports.groups import Group, VisitScore, build_groups, score_visits
from inspect_app.reports.plan_data import DEFAULT_THRESHOLD, Progress, ProgressFn, no_progress, visit_progress
from inspect_app.reports.scoring import answers_by_visit, load_checklists


class PlanLine(msgspec.Struct):
    plan: q.PlanRecord
    progress: Progress


class Recurring(msgspec.Struct, frozen=True):
    """An item a unit failed again: failed at `earlier_*`, and again in the period."""

    unit_code: str
    unit_name: str
    item_code: str
    item_text: str
    earlier_plan: str
    earlier_date: str
    current_plan: str
    current_date: str


class PeriodicReport(msgspec.Struct):
    label: str
    start: str
    end: str
    today: date
    threshold: float
    plans: list[PlanLine]
    progress: Progress
    units_inspected: int
    groups: list[Group]
    ratings: dict[str, int]
    recurring: list[Recurring]
    remediation: rules.RemediationSummary


def recurring_shortcomings(history: list, scores: dict[int, VisitScore], start: str, end: str,
                           item_text: dict[tuple[str, str], str]) -> list[Recurring]:
    """Items failed in the period by a unit that had failed the same item (same checklist) before."""
    by_unit: dict[str, list] = defaultdict(list)
    for visit in sorted(history, key=lambda v: (v.scheduled_on, v.id)):
        if visit.id in scores:
            by_unit[visit.unit_code].append(visit)
    found = []
    for visits in by_unit.values():
        failed_before: dict[tuple[str, str], object] = {}
        for visit in visits:
            failed = sorted(scores[visit.id].failed)
            if start <= visit.scheduled_on <= end:
                for code in failed:
                    earlier = failed_before.get((visit.checklist_id, code))
                    if earlier is not None:
                        found.append(Recurring(visit.unit_code, visit.unit_name, code,
                                               item_text.get((visit.checklist_id, code), ""), earlier.plan_number,
                                               earlier.scheduled_on, visit.plan_number, visit.scheduled_on))
            for code in failed:
                failed_before[(visit.checklist_id, code)] = visit
    return sorted(found, key=lambda r: (r.unit_name, r.item_code))


async def build_periodic(db: Database, year: int, quarter: int | None, *, threshold: float = DEFAULT_THRESHOLD,
                         today: date | None = None, progress: ProgressFn = no_progress) -> PeriodicReport:
    start, end, label = rules.period_bounds(year, quarter)
    progress(0, 1, "Đang đọc dữ liệu của kỳ báo cáo")
    plans = await q.plans_overlapping(db, start, end)
    visits = await q.period_visits(db, start, end)
    known = {p.id for p in plans}
    for plan_id in sorted({v.plan_id for v in visits} - known):
        record = await q.plan_record(db, plan_id)
        if record:
            plans.append(record)
    history = await q.history_visits(db, start, end)
    findings = await q.history_answers(db, start, end)
    remediation_rows = await q.plan_remediation(db, [p.id for p in plans])
    checklists = await load_checklists(db, [*history, *visits])
    day = today or rules.today_in_vietnam()

    def compute() -> PeriodicReport:
        answers = answers_by_visit(findings)
        scores = score_visits(history, answers, checklists,
                              lambda n: progress(n, len(history), f"Đang tính điểm {n}/{len(history)} cuộc kiểm tra"))
        in_period = [v for v in visits if v.id in scores]
        groups = build_groups(in_period, scores, checklists, threshold)
        texts = {(cid, item.code): item.text for (cid, _), c in checklists.items() for item in c.items()}
        by_plan: dict[int, list] = defaultdict(list)
        for visit in visits:
            by_plan[visit.plan_id].append(visit)
        return PeriodicReport(
            label=label, start=start, end=end, today=day, threshold=threshold,
            plans=[PlanLine(p, visit_progress(by_plan.get(p.id, []))) for p in sorted(plans, key=lambda p: p.issued_on)],
            progress=visit_progress(visits), units_inspected=len({v.unit_code for v in in_period}), groups=groups,
            ratings=dict(Counter(r.rating or "Chưa xếp loại" for g in groups for r in g.rows)),
            recurring=recurring_shortcomings(history, scores, start, end, texts),
            remediation=rules.remediation_figures(remediation_rows, day))

    report = await asyncio.to_thread(compute)
    progress(1, 1, "Đã tổng hợp số liệu")
    return report
