"""The plan's consolidated report (Báo cáo kết quả kiểm tra): data assembled from a few queries.

Only signed-off visits are scored (their findings are locked); visits not yet signed off count in
the progress figures. Queries run on the event loop; scoring runs in a worker thread so a large
plan never stalls other requests.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Callable
from datetime import date

import msgspec

from inspect_app.db import Database
from inspect_app.queries import reports as q
from inspect_app.reports import rules
from inspect_app.reports.groups import Group, build_groups, earlier_results, score_visits
from inspect_app.reports.scoring import answers_by_visit, load_checklists
from inspect_app.services.answers import decode_all
from inspect_app.services import self_assessment

DEFAULT_THRESHOLD = 65.0  # percent: below it a unit is listed for follow-up (the usual "Yếu" band)

ProgressFn = Callable[[int, int, str], None]


class Filters(msgspec.Struct, frozen=True):
    province: str = ""
    kind: str = ""
    status: str = ""
    area: str = ""


class Progress(msgspec.Struct, frozen=True):
    planned: int
    in_progress: int
    done: int  # submitted or signed off: the inspection has been carried out
    signed_off: int
    by_status: dict[str, int]


class PlanReport(msgspec.Struct):
    plan: q.PlanRecord
    today: date
    threshold: float
    filters: Filters
    progress: Progress
    groups: list[Group]
    remediation: rules.RemediationSummary
    visits: list[q.VisitFact]  # every visit in scope, any status
    earlier_count: int
    # (unit name, Appraisal) of signed-off visits with a submitted self-assessment
    appraisals: list[tuple[str, self_assessment.Appraisal]] = []
    over_claimed: list[tuple[str, int]] = []  # (item code, number of units) most often scored higher by the units


def visit_progress(visits: list) -> Progress:
    counts = Counter(v.status for v in visits)
    return Progress(planned=len(visits), in_progress=counts["in_progress"],
                    done=sum(counts[s] for s in rules.DONE), signed_off=sum(counts[s] for s in rules.SIGNED),
                    by_status=dict(counts))


def no_progress(done: int, total: int, step: str) -> None:
    return None


async def build_plan_report(db: Database, plan_id: int, *, threshold: float = DEFAULT_THRESHOLD,
                            filters: Filters = Filters(), today: date | None = None,
                            progress: ProgressFn = no_progress) -> PlanReport | None:
    """Assemble the report of a plan; None if the plan does not exist."""
    plan = await q.plan_record(db, plan_id)
    if plan is None:
        return None
    progress(0, 1, "Đang đọc dữ liệu các cuộc kiểm tra")
    visits = await q.plan_visits(db, plan_id, province=filters.province, kind=filters.kind)
    if filters.status:
        visits = [v for v in visits if v.status == filters.status]
    findings = await q.plan_answers(db, plan_id, province=filters.province, kind=filters.kind)
    before = await q.earlier_visits(db, plan_id)
    before_findings = await q.earlier_answers(db, plan_id) if before else []
    remediation_rows = await q.plan_remediation(db, [plan_id])
    self_rows = await q.plan_self_answers(db, plan_id)
    checklists = await load_checklists(db, [*visits, *before])
    total = len(visits) + len(before)

    def compute() -> PlanReport:
        answers = answers_by_visit(findings)
        scores = score_visits(visits, answers, checklists,
                              lambda n: progress(n, total, f"Đang tính điểm {n}/{len(visits)} đơn vị"))
        earlier_scores = score_visits(before, answers_by_visit(before_findings), checklists)
        groups = build_groups(visits, scores, checklists, threshold, earlier_results(before, earlier_scores))
        shown = {v.unit_code for v in visits}
        appraisals = []
        unit_answers = answers_by_visit(self_rows)
        for visit in visits:
            checklist = checklists.get((visit.checklist_id, visit.checklist_version))
            if visit.id in unit_answers and visit.id in answers and checklist is not None:
                appraisals.append((visit.unit_name, self_assessment.appraisal_of_answers(
                    checklist, decode_all(unit_answers[visit.id]), decode_all(answers[visit.id]))))
        return PlanReport(
            appraisals=appraisals, over_claimed=self_assessment.most_over_claimed([a for _, a in appraisals]),
            plan=plan, today=today or rules.today_in_vietnam(), threshold=threshold, filters=filters,
            progress=visit_progress(visits), groups=groups,
            remediation=rules.remediation_figures((r for r in remediation_rows if r.unit_code in shown),
                                                  today or rules.today_in_vietnam()),
            visits=visits, earlier_count=len(earlier_scores))

    report = await asyncio.to_thread(compute)
    progress(total, total, "Đã tổng hợp số liệu")
    return report

