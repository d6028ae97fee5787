"""Scored visits grouped by checklist: the units × areas matrix, ranking, area spread, common
shortcomings and units below a threshold. Pure functions over query rows and checklists."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Iterable

import msgspec

from inspect_app.checklists import Checklist, ChecklistScore
from inspect_app.reports import rules
from inspect_app.reports.scoring import score
from inspect_app.services.answers import decode_all

COMMON_LIMIT = 15


class AreaHead(msgspec.Struct, frozen=True):
    code: str
    title: str
    max_points: float


class Earlier(msgspec.Struct, frozen=True):
    """The same unit's latest result under an earlier plan."""

    plan_number: str
    scheduled_on: str
    percent: float | None
    delta: float | None  # percentage points, now minus then


class VisitScore(msgspec.Struct, frozen=True):
    """What a report keeps of a visit's ChecklistScore: totals, area sums and the failed item codes.

    Keeping the engine's per-item scores of 3,321 visits would cost ~200,000 objects; the report only
    needs these, taken from the engine's result as is.
    """

    points: float
    max_points: float
    percent: float | None
    rating: str | None
    areas: dict[str, tuple[float, float]]  # area code → (points, max points)
    failed: list[str]
    skipped: int = 0  # items "không áp dụng theo điều kiện": out of this visit's maximum

    @classmethod
    def of(cls, result: ChecklistScore) -> VisitScore:
        return cls(result.points, result.max_points, result.percent, result.rating,
                   {a.code: (a.points, a.max_points) for a in result.areas},
                   [code for code, item in result.items.items() if rules.is_failed(item)], len(result.skipped))


class UnitRow(msgspec.Struct):
    visit_id: int
    plan_id: int
    plan_number: str
    unit_code: str
    unit_name: str
    unit_kind: str
    province_name: str
    scheduled_on: str
    points: float
    max_points: float
    percent: float | None
    rating: str | None
    area_points: list[float | None]
    area_max: list[float | None]
    failed: list[str]  # item codes below their maximum
    rank: int | None = None
    skipped: int = 0  # items skipped by their condition: this unit's maximum is its own
    earlier: Earlier | None = None

    def area_percent(self, index: int) -> float | None:
        maximum = self.area_max[index]
        points = self.area_points[index]
        return None if points is None or not maximum else rules.percent(points, maximum)


class AreaStat(msgspec.Struct, frozen=True):
    code: str
    title: str
    max_points: float
    points: rules.Spread
    percent: rules.Spread


class CommonShortcoming(msgspec.Struct, frozen=True):
    code: str
    text: str
    area_code: str
    count: int
    share: float  # percent of the scored units that failed it
    units: list[str]


class Group(msgspec.Struct):
    """The visits scored with one checklist (a plan usually has one)."""

    checklist_id: str
    title: str
    areas: list[AreaHead]
    rows: list[UnitRow]
    area_stats: list[AreaStat]
    total: rules.Spread
    common: list[CommonShortcoming]
    below: list[UnitRow]
    item_text: dict[str, str]

    def own_maximum_line(self) -> str | None:
        """The one sentence saying how units with different applicable items are compared, when some are."""
        return OWN_MAXIMUM if any(row.skipped for row in self.rows) else None


# Units whose conditions (`when`) leave different items applicable are compared by percent, never by points.
OWN_MAXIMUM = ("Một số tiêu chí chỉ áp dụng theo điều kiện nên điểm tối đa của các đơn vị có thể khác nhau; "
               "tỷ lệ điểm, xếp loại và xếp hạng của mỗi đơn vị được tính trên điểm tối đa của chính đơn vị đó.")


def score_visits(visits: Iterable, answers: dict[int, str],
                 checklists: dict[tuple[str, str], Checklist],
                 progress: Callable[[int], None] | None = None) -> dict[int, VisitScore]:
    """Score every signed-off visit with its pinned checklist (progress called every 50 visits)."""
    scores: dict[int, VisitScore] = {}
    for index, visit in enumerate(visits, start=1):
        checklist = checklists.get((visit.checklist_id, visit.checklist_version))
        if visit.status in rules.SIGNED and checklist is not None:
            scores[visit.id] = VisitScore.of(score(checklist, decode_all(answers.get(visit.id, "{}"))))
        if progress and index % 50 == 0:
            progress(index)
    return scores


def unit_row(visit, result: VisitScore, areas: list[AreaHead]) -> UnitRow:
    return UnitRow(
        visit_id=visit.id, plan_id=visit.plan_id, plan_number=visit.plan_number, unit_code=visit.unit_code,
        unit_name=visit.unit_name, unit_kind=visit.unit_kind, province_name=visit.province_name,
        scheduled_on=visit.scheduled_on, points=result.points, max_points=result.max_points,
        percent=result.percent, rating=result.rating,
        area_points=[result.areas[a.code][0] if a.code in result.areas else None for a in areas],
        area_max=[result.areas[a.code][1] if a.code in result.areas else None for a in areas],
        failed=result.failed, skipped=result.skipped)


def build_groups(visits: list, scores: dict[int, VisitScore], checklists: dict[tuple[str, str], Checklist],
                 threshold: float, earlier: dict[str, Earlier] | None = None) -> list[Group]:
    """One group per checklist id among the scored visits, newest version's areas as columns."""
    by_checklist: dict[str, list] = defaultdict(list)
    for visit in visits:
        if visit.id in scores:
            by_checklist[visit.checklist_id].append(visit)
    groups = []
    for checklist_id, members in sorted(by_checklist.items()):
        latest = max(members, key=lambda v: v.id)
        newest = checklists[(latest.checklist_id, latest.checklist_version)]
        areas = [AreaHead(a.code, a.title, a.max_points) for a in newest.areas]
        item_text = {item.code: item.text for c in {(v.checklist_id, v.checklist_version) for v in members}
                     for item in checklists[c].items()}
        rows = [unit_row(v, scores[v.id], areas) for v in members]
        for row, position in zip(rows, rules.rank([r.percent for r in rows])):
            row.rank = position
            if earlier and row.unit_code in earlier:
                then = earlier[row.unit_code]
                delta = None if then.percent is None or row.percent is None else round(row.percent - then.percent, 2)
                row.earlier = msgspec.structs.replace(then, delta=delta)
        rows.sort(key=lambda r: (r.rank is None, r.rank or 0, r.unit_name))
        groups.append(Group(
            checklist_id=checklist_id, title=newest.title, areas=areas, rows=rows,
            area_stats=[AreaStat(a.code, a.title, a.max_points, rules.spread(r.area_points[i] for r in rows),
                                 rules.spread(r.area_percent(i) for r in rows)) for i, a in enumerate(areas)],
            total=rules.spread(r.percent for r in rows),
            common=common_shortcomings(rows, item_text),
            below=[r for r in rows if r.percent is not None and r.percent < threshold],
            item_text=item_text))
    return groups


def area_of(code: str) -> str:
    return code.split(".", 1)[0]


def common_shortcomings(rows: list[UnitRow], item_text: dict[str, str],
                        limit: int = COMMON_LIMIT) -> list[CommonShortcoming]:
    """The items failed by the most units (ties by item code), with the share of units failing."""
    counts: Counter[str] = Counter()
    names: dict[str, list[str]] = defaultdict(list)
    for row in rows:
        for code in row.failed:
            counts[code] += 1
            names[code].append(row.unit_name)
    scored = len(rows) or 1
    ordered = sorted(counts.items(), key=lambda kv: (-kv[1], [int(p) if p.isdigit() else p for p in kv[0].split(".")]))
    return [CommonShortcoming(code, item_text.get(code, ""), area_of(code), n, round(n / scored * 100, 1),
                              sorted(names[code])) for code, n in ordered[:limit]]


def earlier_results(visits: list, scores: dict[int, VisitScore]) -> dict[str, Earlier]:
    """unit code → its earlier result, from the earlier visits and their scores."""
    return {v.unit_code: Earlier(v.plan_number, v.scheduled_on, scores[v.id].percent, None)
            for v in visits if v.id in scores}
