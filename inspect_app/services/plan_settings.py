"""A plan's settings (thiết lập): a few choices the Sở Nội vụ makes once for every team of a plan.

Each setting is a `Rule` here (key, Vietnamese label, the allowed values, the default); the
database keeps only the values someone chose (`plan_settings`, migration 0005), so adding a
setting is adding a rule. Edits name the version they replace and are audited.
"""

from __future__ import annotations

import msgspec

from inspect_app.db import Database, Tx
from inspect_app.models import Plan, User
from inspect_app.permissions import can_edit_plan_settings
from inspect_app.queries import audit, plans
from inspect_app.services.errors import Refused

MISSING_EVIDENCE_POLICY = "missing_evidence_policy"


class Rule(msgspec.Struct, frozen=True):
    key: str
    label: str
    choices: tuple[tuple[str, str], ...]  # (value, Vietnamese label)
    default: str
    help: str = ""


RULES: dict[str, Rule] = {
    MISSING_EVIDENCE_POLICY: Rule(
        key=MISSING_EVIDENCE_POLICY,
        label="Ký duyệt khi còn tiêu chí thiếu minh chứng bắt buộc",
        choices=(("confirm", "Cho ký duyệt sau khi trưởng đoàn xác nhận và nêu lý do"),
                 ("refuse", "Không cho ký duyệt cho đến khi đủ minh chứng")),
        default="confirm",
        help="Lý do trưởng đoàn nêu khi ký duyệt được ghi vào nhật ký cùng danh sách tiêu chí thiếu minh chứng."),
}


class Setting(msgspec.Struct, frozen=True):
    rule: Rule
    value: str
    version: int  # 0 while the default applies

    @property
    def label(self) -> str:
        return dict(self.rule.choices).get(self.value, self.value)


async def settings_of(db: Database | Tx, plan_id: int) -> list[Setting]:
    """Every setting of the plan, in the order of RULES, with its current value."""
    stored = await plans.plan_settings(db, plan_id)
    result = []
    for key, rule in RULES.items():
        value, version = stored.get(key, (rule.default, 0))
        if value not in dict(rule.choices):  # a value no rule allows any more: the default applies
            value = rule.default
        result.append(Setting(rule, value, version))
    return result


async def value_of(db: Database | Tx, plan_id: int, key: str) -> str:
    return next(s.value for s in await settings_of(db, plan_id) if s.rule.key == key)


async def update(db: Database, actor: User, plan: Plan, values: dict[str, str], base_versions: dict[str, int],
                 ip: str = "") -> list[str]:
    """Change the settings given in `values`, each from the version named in `base_versions`.

    Returns the keys that changed. Nothing is written when any value is unknown or any base
    version is stale (someone else saved in between).
    """
    if not can_edit_plan_settings(actor):
        raise Refused(403, "forbidden", "Chỉ Sở Nội vụ được thay đổi thiết lập của kế hoạch.")
    unknown = [key for key in values if key not in RULES]
    if unknown:
        raise Refused(422, "unknown_setting", f"Không có thiết lập “{unknown[0]}”.")
    for key, value in values.items():
        if value not in dict(RULES[key].choices):
            raise Refused(422, "invalid_setting", f"Giá trị không hợp lệ cho “{RULES[key].label}”.")
    changed = []
    async with db.transaction() as tx:
        stored = await plans.plan_settings(tx, plan.id)
        for key, value in values.items():
            current, version = stored.get(key, (RULES[key].default, 0))
            if base_versions.get(key, -1) != version:
                raise Refused(409, "version_conflict",
                              f"Người khác vừa thay đổi “{RULES[key].label}”. Trang đã hiện giá trị mới nhất; "
                              "hãy xem lại rồi lưu nếu vẫn muốn thay đổi.")
            if value == current:
                continue
            await plans.put_plan_setting(tx, plan.id, key, value, version + 1, actor.id)
            await audit.record(tx, actor_id=actor.id, actor=actor.username, action="plan.settings",
                               subject_type="plan", subject_id=plan.id, ip=ip,
                               before={"key": key, "value": current, "version": version},
                               after={"key": key, "value": value, "version": version + 1})
            changed.append(key)
    return changed
