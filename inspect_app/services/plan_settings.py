"""A plan's settings (thiết lập): a few choices the Sở Nội vụ makes once for every team of a plan.

Each setting is a `Rule` here (key, Vietnamese label, the allowed values, the default); the
database keeps only the values someone chose (`plan_settings`, migration 0005), so adding a
setting is adding a rule. Edits name the version they replace and are audited.
"""

from __future__ import annotations

import re

import msgspec

from inspect_app.db import Database, Tx
from inspect_app.models import Plan, User
from inspect_app.permissions import can_edit_plan_settings
from inspect_app.queries import audit, plans
from inspect_app.services.errors import Refused
from inspect_app.text import nfc

MISSING_EVIDENCE_POLICY = "missing_evidence_policy"
# Issuing (issue 18): who issues, under which abbreviation, who signs and for whom.
ISSUER_NAME = "issuer_name"
ISSUER_ABBREVIATION = "issuer_abbreviation"
SIGNING_AUTHORITY = "signing_authority"
SIGNER_NAME = "signer_name"
RECIPIENTS = "recipients"
MINUTES_ISSUER = "minutes_issuer"
ABBREVIATION = re.compile(r"[A-ZĐ0-9]{1,12}")


class Rule(msgspec.Struct, frozen=True):
    """A setting: one of `choices`, or (no choices) a text of at most `max_length` characters."""

    key: str
    label: str
    choices: tuple[tuple[str, str], ...]  # (value, Vietnamese label); empty for a text setting
    default: str
    help: str = ""
    max_length: int = 200
    lines: int = 1  # a text setting of several lines (a textarea)

    def allows(self, value: str) -> bool:
        if self.choices:
            return value in dict(self.choices)
        if len(value) > self.max_length:
            return False
        return self.key != ISSUER_ABBREVIATION or bool(ABBREVIATION.fullmatch(value))


RULES: dict[str, Rule] = {
    MISSING_EVIDENCE_POLICY: Rule(
        key=MISSING_EVIDENCE_POLICY,
        label="Ký duyệt khi còn tiêu chí thiếu minh chứng bắt buộc",
        choices=(("confirm", "Cho ký duyệt sau khi trưởng đoàn xác nhận và nêu lý do"),
                 ("refuse", "Không cho ký duyệt cho đến khi đủ minh chứng")),
        default="confirm",
        help="Lý do trưởng đoàn nêu khi ký duyệt được ghi vào nhật ký cùng danh sách tiêu chí thiếu minh chứng."),
    ISSUER_NAME: Rule(key=ISSUER_NAME, label="Cơ quan phát hành văn bản", choices=(), default="Sở Nội vụ",
                      help="Tên cơ quan ghi ở góc trái văn bản và trong sổ đăng ký văn bản đi."),
    ISSUER_ABBREVIATION: Rule(
        key=ISSUER_ABBREVIATION, label="Chữ viết tắt tên cơ quan (trong ký hiệu văn bản)", choices=(), default="SNV",
        max_length=12, help="Chữ in hoa, không dấu cách, ví dụ SNV: số văn bản có dạng 15/TB-SNV. Mỗi chữ viết tắt "
                            "có một dãy số riêng cho mỗi năm, chung cho mọi loại văn bản."),
    SIGNING_AUTHORITY: Rule(key=SIGNING_AUTHORITY, label="Thẩm quyền ký", choices=(),
                            default="KT. GIÁM ĐỐC / PHÓ GIÁM ĐỐC",
                            help="Các dòng cách nhau bởi dấu « / », ví dụ «KT. GIÁM ĐỐC / PHÓ GIÁM ĐỐC» hoặc «GIÁM ĐỐC»."),
    SIGNER_NAME: Rule(key=SIGNER_NAME, label="Họ và tên người ký", choices=(), default="", max_length=100,
                      help="Để trống thì văn bản ghi tên trưởng đoàn."),
    RECIPIENTS: Rule(key=RECIPIENTS, label="Nơi nhận", choices=(), default="", max_length=1000, lines=4,
                     help="Mỗi nơi nhận một dòng; để trống thì dùng: đơn vị được kiểm tra, cơ quan ban hành kế hoạch "
                          "(để báo cáo), Lưu: VT, CCHC."),
    MINUTES_ISSUER: Rule(
        key=MINUTES_ISSUER, label="Biên bản kiểm tra do ai phát hành",
        choices=(("team", "Đoàn kiểm tra (biên bản không vào sổ văn bản đi của Sở)"),
                 ("department", "Sở Nội vụ phát hành và cấp số như thông báo kết luận")),
        default="team"),
}


class Setting(msgspec.Struct, frozen=True):
    rule: Rule
    value: str
    version: int  # 0 while the default applies

    @property
    def label(self) -> str:
        if not self.rule.choices:
            return self.value or "(mặc định)"
        return dict(self.rule.choices).get(self.value, self.value)


async def settings_of(db: Database | Tx, plan_id: int) -> list[Setting]:
    """Every setting of the plan, in the order of RULES, with its current value."""
    stored = await plans.plan_settings(db, plan_id)
    result = []
    for key, rule in RULES.items():
        value, version = stored.get(key, (rule.default, 0))
        if not rule.allows(value):  # a value no rule allows any more: the default applies
            value = rule.default
        result.append(Setting(rule, value, version))
    return result


async def value_of(db: Database | Tx, plan_id: int, key: str) -> str:
    return next(s.value for s in await settings_of(db, plan_id) if s.rule.key == key)


async def values_of(db: Database | Tx, plan_id: int) -> dict[str, str]:
    return {s.rule.key: s.value for s in await settings_of(db, plan_id)}


def normalised(rule: Rule, value: str) -> str:
    """A typed text as stored: NFC, control characters dropped, trimmed (an abbreviation in capitals)."""
    if rule.choices:
        return value
    text = "\n".join(line.strip() for line in nfc(value).strip().split("\n") if line.strip())
    return text.upper() if rule.key == ISSUER_ABBREVIATION else text


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
    values = {key: normalised(RULES[key], value) for key, value in values.items()}
    for key, value in values.items():
        if not RULES[key].allows(value):
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
