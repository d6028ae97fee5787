"""Scores for reports: stored answers through the checklist scoring engine, nothing re-implemented."""

from __future__ import annotations

from collections.abc import Iterable

from inspect_app.checklists import Answer, AnswerError, Checklist, ChecklistScore, score_checklist
from inspect_app.db import Database
from inspect_app.services.checklist_store import checklist_version

def answers_by_visit(rows: Iterable) -> dict[int, str]:
    """visit id → its answers as JSON, from `queries.reports` rows (decoded later, one visit at a time)."""
    return {row.visit_id: row.answers_json for row in rows}


def score(checklist: Checklist, answers: dict[str, Answer]) -> ChecklistScore:
    """`score_checklist`, tolerating a stored answer that no longer fits its item.

    Findings are validated when saved, so this only serves rows written by hand: the answer is
    left out (unanswered) rather than failing a whole report.
    """
    answers = dict(answers)
    while True:
        try:
            return score_checklist(checklist, answers)
        except AnswerError as exc:
            if exc.code not in answers:  # a derived answer is computed, not stored: nothing to leave out
                raise
            answers.pop(exc.code, None)


async def load_checklists(db: Database, visits: Iterable) -> dict[tuple[str, str], Checklist]:
    """The pinned checklist of every (checklist_id, checklist_version) among the visits."""
    wanted = {(v.checklist_id, v.checklist_version) for v in visits}
    found = {}
    for key in wanted:
        checklist = await checklist_version(db, *key)
        if checklist is not None:
            found[key] = checklist
    return found
