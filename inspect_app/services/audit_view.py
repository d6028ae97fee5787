"""The audit log as a Sở Nội vụ auditor reads it: Vietnamese action names, people's names, the object
by its name, and a summary of what changed ("Tiêu chí 1.6.1: Không đạt → Đạt").

Plain functions over stored entries. The log itself is append-only and hash-chained; nothing here
changes what is stored, only how it is shown.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, time, timedelta, timezone
from typing import Any

import msgspec

from inspect_app.checklists import is_blank
from inspect_app.db import Database
from inspect_app.models import MEMBER_ROLE_LABELS, ROLE_LABELS, UNIT_KIND_LABELS, VISIT_STATUS_LABELS, AuditEntry
from inspect_app.queries import audit
from inspect_app.queries.audit import AuditNames
from inspect_app.services import checklist_store
from inspect_app.services.answers import answer_label, date_label, decode
from inspect_app.services.deadlines import VIETNAM
from inspect_app.services.plan_settings import RULES
from inspect_app.text import vn_number

# Every action code the app writes (tests/test_audit_view.py checks each `audit.record` call has one).
ACTION_LABELS: dict[str, str] = {
    "auth.login": "Đăng nhập",
    "auth.logout": "Đăng xuất",
    "user.create": "Tạo tài khoản",
    "user.password": "Đặt lại mật khẩu",
    "token.create": "Cấp mã truy cập API",
    "unit.create": "Thêm đơn vị",
    "units.import": "Nhập danh mục đơn vị",
    "checklist.version": "Nạp phiên bản bộ tiêu chí",
    "checklist.publish": "Công bố phiên bản bộ tiêu chí (sửa trên trình duyệt)",
    "checklist.draft_create": "Tạo bản nháp bộ tiêu chí",
    "checklist.draft_edit": "Sửa bản nháp bộ tiêu chí",
    "checklist.draft_delete": "Xóa bản nháp bộ tiêu chí",
    "plan.create": "Tạo kế hoạch kiểm tra",
    "plan.settings": "Thay đổi thiết lập kế hoạch",
    "team.create": "Thành lập đoàn kiểm tra",
    "team.member": "Thêm thành viên đoàn",
    "visit.create": "Lên lịch cuộc kiểm tra",
    "visit.start": "Bắt đầu kiểm tra",
    "visit.submit": "Nộp kết quả kiểm tra",
    "visit.sign_off": "Ký duyệt kết quả kiểm tra",
    "visit.check_in": "Ghi nhận có mặt tại đơn vị",
    "visit.signature": "Ký biên bản trên máy tính bảng",
    "finding.save": "Ghi kết quả tiêu chí",
    "finding.amend": "Điều chỉnh kết quả sau ký duyệt",
    "evidence.add": "Thêm minh chứng",
    "evidence.caption": "Sửa chú thích minh chứng",
    "evidence.delete": "Gỡ minh chứng",
    "self_assessment.open": "Mở tự đánh giá cho đơn vị",
    "self_assessment.start": "Đơn vị bắt đầu tự đánh giá",
    "self_assessment.save": "Đơn vị ghi tự đánh giá tiêu chí",
    "self_assessment.submit": "Đơn vị nộp tự đánh giá",
    "remediation.create": "Giao kiến nghị khắc phục",
    "remediation.edit": "Sửa kiến nghị khắc phục",
    "remediation.draft": "Lưu nháp trả lời kiến nghị",
    "remediation.answer": "Đơn vị báo cáo khắc phục",
    "remediation.accept": "Chấp nhận kết quả khắc phục",
    "remediation.return": "Trả lại, yêu cầu bổ sung",
    "document.issue": "Phát hành văn bản (cấp số, ký số)",
}

# Families of actions, in menu order: (code prefix, label). "unit" covers unit.create and units.import.
ACTION_FAMILIES: list[tuple[str, str]] = [
    ("auth.", "Đăng nhập, đăng xuất"),
    ("user.", "Tài khoản người dùng"),
    ("token.", "Mã truy cập API"),
    ("unit", "Đơn vị"),
    ("checklist.", "Bộ tiêu chí"),
    ("plan.", "Kế hoạch kiểm tra"),
    ("team.", "Đoàn kiểm tra"),
    ("visit.", "Cuộc kiểm tra"),
    ("finding.", "Kết quả tiêu chí"),
    ("evidence.", "Minh chứng"),
    ("self_assessment.", "Tự đánh giá của đơn vị"),
    ("remediation.", "Kiến nghị khắc phục"),
    ("document.", "Văn bản đi"),
]

# Object kinds of the filter (queries.audit.OBJECT_KINDS says which entries each covers).
OBJECT_KIND_LABELS: dict[str, str] = {
    "visit": "Cuộc kiểm tra",
    "remediation": "Kiến nghị khắc phục",
    "plan": "Kế hoạch",
    "team": "Đoàn kiểm tra",
    "evidence": "Minh chứng",
    "user": "Tài khoản",
    "unit": "Đơn vị",
    "checklist": "Bộ tiêu chí",
}

SYSTEM_ACTORS: dict[str, str] = {
    "cli": "Quản trị hệ thống (dòng lệnh)",
    "demo": "Dữ liệu mẫu",
    "system": "Hệ thống",
}

REMEDIATION_STATUS_LABELS = {"open": "Chưa trả lời", "answered": "Chờ xem xét", "returned": "Bị trả lại",
                             "accepted": "Đã đóng"}
EVIDENCE_KIND_LABELS = {"photo": "Ảnh", "document": "Tài liệu PDF"}
VISIT_KIND_LABELS = {"scheduled": "theo kế hoạch", "surprise": "đột xuất"}

# Field names of stored before/after values, for what no action below words by itself.
FIELD_LABELS: dict[str, str] = {
    "status": "Trạng thái", "text": "Nội dung", "note": "Ghi chú", "comment": "Nhận xét", "reason": "Lý do",
    "deadline": "Hạn", "date": "Ngày", "caption": "Chú thích", "name": "Tên", "title": "Trích yếu",
    "remarks": "Ý kiến, nhận xét", "unit_representative": "Đại diện đơn vị", "role": "Vai trò",
    "username": "Tên đăng nhập", "label": "Tên gọi", "number": "Số, ký hiệu",
    "decision": "Quyết định số",
    "unit_code": "Mã đơn vị", "item": "Tiêu chí", "kind": "Loại", "source": "Nguồn",
    "key": "Thiết lập", "value": "Giá trị", "missing_evidence": "Tiêu chí thiếu minh chứng",
    "missing_evidence_reason": "Lý do ký duyệt khi thiếu minh chứng",
}
# Technical fields: ids and hashes that say nothing to a reader (they stay in the stored entry).
HIDDEN_FIELDS = {"version", "checklist_version", "response_id", "assessment_id", "evidence_id", "token_id", "hash",
                 "sha256", "id", "findings", "visit_id", "plan_id", "created_by", "created_at", "province_code"}
QUOTE_LIMIT = 160


class ObjectRef(msgspec.Struct, frozen=True):
    """What an entry is about, as shown, and the filter that lists everything about it."""

    label: str
    kind: str
    object_id: str


# ---------------------------------------------------------------- names


def action_label(code: str) -> str:
    """"finding.save" → "Ghi kết quả tiêu chí"; a code not known here keeps its family and code."""
    if code in ACTION_LABELS:
        return ACTION_LABELS[code]
    family = next((label for prefix, label in ACTION_FAMILIES if code.startswith(prefix)), "Thao tác khác")
    return f"{family}: {code}"


def action_menu(present: list[str]) -> list[tuple[str, str, list[tuple[str, str]]]]:
    """The action filter's groups: (family prefix, family label, [(code, label)…]), every known code and
    any other code found in the log, each under its family."""
    codes = sorted(set(ACTION_LABELS) | set(present))
    groups = []
    for prefix, label in ACTION_FAMILIES:
        members = [(c, action_label(c)) for c in codes if c.startswith(prefix)]
        if members:
            groups.append((prefix, label, members))
    others = [(c, action_label(c)) for c in codes if not any(c.startswith(p) for p, _ in ACTION_FAMILIES)]
    if others:
        groups.append(("", "Thao tác khác", others))
    return groups


def actor_names(actor: str, full_name: str) -> tuple[str, str]:
    """(name shown first, username shown second): "Nguyễn Thị Hoa", "sonoivu"; the app's own actors by
    what they are ("Dữ liệu mẫu", "demo")."""
    if full_name:
        return full_name, actor
    if actor in SYSTEM_ACTORS:
        return SYSTEM_ACTORS[actor], actor
    return actor, ""


def local_datetime(value: str) -> str:
    """A stored UTC time as Vietnam time with the date and seconds: "23/11/2026 14:05:09"."""
    moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    moment = moment.astimezone(VIETNAM) if moment.tzinfo else moment
    return f"{moment:%d/%m/%Y %H:%M:%S}"


def utc_bounds(date_from: str, date_to: str) -> tuple[str, str]:
    """Vietnamese calendar days (from, to, both included, "YYYY-MM-DD" or "") as the stored UTC bounds
    (start included, end excluded). A bad date raises ValueError with the message to show."""
    days: list[date | None] = []
    for raw, what in ((date_from, "Từ ngày"), (date_to, "Đến ngày")):
        raw = (raw or "").strip()
        try:
            day = date.fromisoformat(raw) if raw else None
        except ValueError:
            raise ValueError(f"{what} “{raw[:20]}” không phải là một ngày hợp lệ.") from None
        if day is not None and not 1900 <= day.year <= 9999:  # year 1 would overflow the move to UTC
            raise ValueError(f"{what} “{raw[:20]}” nằm ngoài khoảng năm 1900–9999.")
        days.append(day)
    start, end = days
    if start and end and start > end:
        raise ValueError("“Từ ngày” phải trước hoặc bằng “Đến ngày”.")

    def utc(day: date) -> str:
        moment = datetime.combine(day, time(), VIETNAM).astimezone(timezone.utc)
        return moment.isoformat(timespec="seconds").replace("+00:00", "Z")

    return (utc(start) if start else "",
            utc(end + timedelta(days=1)) if end and end < date.max else "")


# ---------------------------------------------------------------- the object


def _int(value: Any) -> int | None:
    try:
        number = int(value)
    except (TypeError, ValueError):
        return None
    return number if -2**63 <= number < 2**63 else None


def _visit_label(visit_id: int | None, names: AuditNames) -> str:
    if visit_id is None:
        return "Cuộc kiểm tra"
    ref = names.visits.get(visit_id)
    if ref is None:
        return f"Cuộc kiểm tra #{visit_id}"
    return f"Cuộc kiểm tra #{visit_id} · {ref.unit_name}, ngày {date_label(ref.scheduled_on)}"


def object_ref(entry: AuditEntry, names: AuditNames) -> ObjectRef:
    """The entry's object by name: "Cuộc kiểm tra #7 · Xã Tân An, ngày 20/01/2026", "Kế hoạch 33/KH-UBND"…
    and the filter listing everything about it."""
    kind, sid = entry.subject_type, entry.subject_id
    number = _int(sid)
    if kind == "visit" or kind.startswith(("finding:", "self:")):
        return ObjectRef(_visit_label(number, names), "visit", sid)
    if kind == "remediation" or kind.startswith("remediation:"):
        rid = kind.split(":", 1)[1] if ":" in kind else sid
        ref = names.remediation.get(_int(rid) or -1)
        label = f"Kiến nghị #{rid}"
        if ref:
            label += f" · {ref[1]}" + (f", tiêu chí {ref[2]}" if ref[2] else "")
        return ObjectRef(label, "remediation", rid)
    if kind == "plan":
        plan = names.plans.get(number or -1)
        return ObjectRef(f"Kế hoạch {plan}" if plan else f"Kế hoạch #{sid}", kind, sid)
    if kind == "team":
        team = names.teams.get(number or -1)
        return ObjectRef(f"{team} (#{sid})" if team else f"Đoàn kiểm tra #{sid}", kind, sid)
    if kind == "user":
        person = names.users.get(number or -1)
        return ObjectRef(f"Tài khoản {person[0]} ({person[1]})" if person else f"Tài khoản #{sid}", kind, sid)
    if kind == "unit":
        name = names.units.get(sid)
        return ObjectRef(f"Đơn vị {name} ({sid})" if name else f"Đơn vị {sid}", "unit", sid)
    if kind == "units":
        where = ("mọi tỉnh, thành phố" if sid == "*"
                 else names.provinces.get(sid, f"tỉnh, thành phố mã {sid}"))
        return ObjectRef(f"Danh mục đơn vị · {where}", "unit", sid)
    if kind == "checklist":
        return ObjectRef(f"Bộ tiêu chí {sid}", kind, sid)
    if kind == "evidence":
        visit_id, _ = names.evidence.get(number or -1, (None, ""))
        return ObjectRef(f"Minh chứng #{sid}" + (f" · {_visit_label(visit_id, names)}" if visit_id else ""),
                         kind, sid)
    return ObjectRef(f"{kind} #{sid}", kind, sid)


# ---------------------------------------------------------------- the summary


def _quote(value: Any, limit: int = QUOTE_LIMIT) -> str:
    text = " ".join(str(value).split())
    if len(text) > limit:
        cut = text[: limit - 1]
        head = cut.rsplit(" ", 1)[0] if " " in cut[-20:] else cut  # at a word's end when one is near
        text = head.rstrip(" ,;:.") + "…"
    return f"“{text}”"


def _plain(key: str, value: Any) -> str:
    """A stored value as words."""
    if value is None or value == "":
        return "(trống)"
    if isinstance(value, bool):
        return "Có" if value else "Không"
    if isinstance(value, (int, float)):
        return vn_number(float(value))
    if isinstance(value, list):
        return ", ".join(_plain(key, v) for v in value)
    if isinstance(value, dict):
        return "; ".join(f"{FIELD_LABELS.get(k, k)}: {_plain(k, v)}" for k, v in value.items())
    text = str(value)
    if key == "status":
        return VISIT_STATUS_LABELS.get(text) or REMEDIATION_STATUS_LABELS.get(text) or text
    if key in ("deadline", "date") or key.endswith(("_on", "_date")):
        return date_label(text)
    if key == "role":
        return ROLE_LABELS.get(text) or MEMBER_ROLE_LABELS.get(text) or text
    return _quote(text) if len(text) > 40 or key in ("text", "note", "comment", "reason", "remarks") else text


def _change(label: str, before: Any, after: Any, key: str = "") -> str | None:
    """"Hạn: 01/01/2027 → 15/01/2027"; None when nothing changed."""
    if before == after:
        return None
    if before in (None, ""):
        return f"{label}: {_plain(key, after)}"
    if after in (None, ""):
        return f"{label}: bỏ {_plain(key, before)}"
    return f"{label}: {_plain(key, before)} → {_plain(key, after)}"


def _answer(raw: Any, item: Any) -> str:
    """A stored answer (Answer as JSON text) as the inspector saw it: "Đạt", "12/15", "20/01/2026"…"""
    if raw in (None, "", "{}"):
        return "(chưa trả lời)"
    try:
        answer = decode(raw if isinstance(raw, (str, bytes)) else msgspec.json.encode(raw), strict=True)
    except (msgspec.DecodeError, TypeError):
        return _quote(raw)
    if item is not None:
        label = answer_label(answer, item)
        return _quote(label) if item.type == "text" and not answer.na and not is_blank(answer) else label
    if answer.na:
        return "Không áp dụng"
    if is_blank(answer):
        return "(chưa trả lời)"
    if answer.choice is not None:
        return {"yes": "Đạt", "no": "Không đạt"}.get(answer.choice, f"mức “{answer.choice}”")
    if answer.number is not None:
        return vn_number(answer.number)
    if answer.numerator is not None or answer.denominator is not None:
        return f"{vn_number(answer.numerator)}/{vn_number(answer.denominator)}"
    return date_label(answer.text) if len(answer.text or "") == 10 else _quote(answer.text or "")


def _finding(entry: AuditEntry, before: dict, after: dict, names: AuditNames) -> list[str]:
    code = str(after.pop("item", "") or "")
    item = names.items.get((_int(entry.subject_id) or -1, code))
    head = f"Tiêu chí {code}" + (f" ({_quote(item.text, 60)[1:-1]})" if item is not None else "")
    new = _answer(after.pop("answer", None), item)
    lines = []
    if not before:
        lines.append(f"{head}: {new}")
    else:
        old = _answer(before.pop("answer", None), item)
        lines.append(f"{head}: {old} → {new}" if old != new else f"{head}: {new} (không đổi)")
    if line := _change("Ghi chú", before.pop("note", ""), after.pop("note", ""), "note"):
        lines.append(line)
    if reason := after.pop("reason", ""):
        lines.append(f"Lý do điều chỉnh: {_quote(reason)}")
    return lines


def _status(before: dict, after: dict) -> list[str]:
    line = _change("Trạng thái", before.pop("status", None), after.pop("status", None), "status")
    return [line] if line else []


# ------------------------------------------------ field by field: most actions only name what they stored

# How a stored value reads inside its line; "" leaves the line out (a plan id whose plan is gone).
Reading = Callable[[Any, AuditNames], str]
# One stored field as one line: (key, the line with {} where the value goes, how the value reads).
FieldLine = tuple[str, str, Reading]
Describer = Callable[[AuditEntry, dict, dict, AuditNames], list[str]]


def _as_is(value: Any, names: AuditNames) -> str:
    return str(value)


def _quoted(value: Any, names: AuditNames) -> str:
    return _quote(value)


def _day(value: Any, names: AuditNames) -> str:
    return date_label(value)


def _label_in(labels: dict[str, str]) -> Reading:
    """A code read through a table of labels; a code not in it stays as it is."""
    return lambda code, names: labels.get(code, code)


def _unit(code: Any, names: AuditNames) -> str:
    return f"{names.units.get(code, code)} ({code})"


def _province(code: Any, names: AuditNames) -> str:
    return names.provinces.get(code, code)


def _plan(plan_id: Any, names: AuditNames) -> str:
    return names.plans.get(_int(plan_id) or -1, "")


def _member(username: Any, names: AuditNames) -> str:
    full = names.usernames.get(str(username).lower())
    return f"{full} ({username})" if full else str(username)


def _missing_items(codes: Any, names: AuditNames) -> str:
    return f"{len(codes)} tiêu chí thiếu minh chứng: {', '.join(codes)}"


def _field_lines(after: dict, names: AuditNames, fields: tuple[FieldLine, ...]) -> list[str]:
    """A line for each of these fields the entry stored with a value, in this order (each field is taken
    out of `after`, so the catch-all does not word it again)."""
    lines = []
    for key, line, reading in fields:
        if (value := after.pop(key, None)) and (words := reading(value, names)):
            lines.append(line.format(words))
    return lines


def _fields(*fields: FieldLine) -> Describer:
    """The summary of an action that only names what it stored."""
    def describe(entry: AuditEntry, before: dict, after: dict, names: AuditNames) -> list[str]:
        return _field_lines(after, names, fields)
    return describe


_REMEDIATION_CREATE = _fields(("text", "Nội dung: {}", _quoted), ("deadline", "Hạn khắc phục: {}", _day))
_USER_CREATE = _fields(("username", "Tên đăng nhập: {}", _as_is), ("role", "Vai trò: {}", _label_in(ROLE_LABELS)),
                       ("unit_code", "Đơn vị: {}", _unit))
_TOKEN_CREATE = _fields(("label", "Tên gọi của mã: {}", _quoted))
_UNIT_CREATE = _fields(("name", "Tên: {}", _as_is), ("kind", "Loại: {}", _label_in(UNIT_KIND_LABELS)),
                       ("province_code", "Tỉnh, thành phố: {}", _province))
_TEAM_CREATE = _fields(("name", "Tên đoàn: {}", _as_is), ("decision", "Quyết định thành lập số {}", _as_is),
                       ("plan_id", "Kế hoạch: {}", _plan))
_CHECKLIST_DRAFT = _fields(("draft", "Bản nháp số {}", _as_is), ("from", "Tạo từ phiên bản {}", _as_is),
                           ("workbook", "Tạo từ tệp Excel {}", _as_is), ("change", "Thay đổi: {}", _as_is))
_DOCUMENT_ISSUE = _fields(("number", "Số, ký hiệu: {}", _as_is),
                          ("kind", "Văn bản: {}", _label_in({"notice": "Thông báo kết luận kiểm tra",
                                                             "minutes": "Biên bản kiểm tra"})),
                          ("signed", "Ký số: {}", _label_in({True: "có", False: "không (chưa cấu hình khóa ký)"})),
                          ("sha256", "Mã SHA-256 của tệp PDF: {}", _as_is))
_TEAM_MEMBER = _fields(("user", "Thành viên: {}", _member),
                       ("role", "Vai trò trong đoàn: {}", _label_in(MEMBER_ROLE_LABELS)))
_SIGN_OFF_FIELDS: tuple[FieldLine, ...] = (
    ("unit_representative", "Đại diện đơn vị: {}", _as_is), ("remarks", "Ý kiến, nhận xét: {}", _quoted),
    ("missing_evidence", "Ký duyệt khi còn {}", _missing_items),
    ("missing_evidence_reason", "Lý do ký duyệt khi thiếu minh chứng: {}", _quoted))


# ------------------------------------------------ actions whose fields read together


def _visit_create(entry: AuditEntry, before: dict, after: dict, names: AuditNames) -> list[str]:
    if after.get("plan"):  # the demo names its plan, the app gives its id: one "Kế hoạch" line either way
        after.pop("plan_id", None)
    return _field_lines(after, names, (
        ("unit_code", "Đơn vị: {}", _unit), ("date", "Ngày kiểm tra: {}", _day),
        ("kind", "Hình thức: kiểm tra {}", _label_in(VISIT_KIND_LABELS)),
        ("plan", "Kế hoạch: {}", _as_is), ("plan_id", "Kế hoạch: {}", _plan), ("checklist", "Bộ tiêu chí: {}", _as_is)))


def _sign_off(entry: AuditEntry, before: dict, after: dict, names: AuditNames) -> list[str]:
    return _status(before, after) + _field_lines(after, names, _SIGN_OFF_FIELDS)


def _evidence_add(entry: AuditEntry, before: dict, after: dict, names: AuditNames) -> list[str]:
    what = EVIDENCE_KIND_LABELS.get(after.pop("kind", ""), "Tệp")
    number = after.pop("evidence_id", None)
    scope, _, ref = entry.subject_type.partition(":")
    where = {"finding": f"cho tiêu chí {ref}", "self": f"cho tiêu chí {ref} (tự đánh giá của đơn vị)",
             "remediation": f"kèm báo cáo khắc phục kiến nghị #{ref}"}.get(scope, "")
    line = " ".join(p for p in (what, f"#{number}" if number is not None else "", where) if p)
    sha = after.pop("sha256", "")
    return [line + (f" (SHA-256 {sha[:12]}…)" if sha else "")]


def _evidence_delete(entry: AuditEntry, before: dict, after: dict, names: AuditNames) -> list[str]:
    code = before.pop("item", "")
    sha = before.pop("sha256", "")
    line = "Gỡ khỏi hồ sơ" + (f" minh chứng của tiêu chí {code}" if code else "")
    return [line + (f" (SHA-256 {sha[:12]}…)" if sha else "") + "; tệp gốc vẫn được lưu giữ"]


def _remediation(entry: AuditEntry, before: dict, after: dict, names: AuditNames) -> list[str]:
    lines = _status(before, after)
    label = {"remediation.answer": "Nội dung báo cáo", "remediation.draft": "Nội dung (nháp)",
             "remediation.accept": "Nhận xét", "remediation.return": "Nội dung yêu cầu bổ sung"}
    for key in ("text", "comment"):
        if value := after.pop(key, ""):
            lines.append(f"{label.get(entry.action, FIELD_LABELS[key])}: {_quote(value)}")
    return lines


def _remediation_edit(entry: AuditEntry, before: dict, after: dict, names: AuditNames) -> list[str]:
    lines = [_change("Nội dung", before.pop("text", ""), after.pop("text", ""), "text"),
             _change("Hạn khắc phục", before.pop("deadline", ""), after.pop("deadline", ""), "deadline")]
    return [line for line in lines if line] or ["Không thay đổi nội dung, hạn khắc phục"]


def _self_open(entry: AuditEntry, before: dict, after: dict, names: AuditNames) -> list[str]:
    if "deadline" not in after:
        return []
    deadline = after.pop("deadline")
    return [f"Hạn nộp: {date_label(deadline)}" if deadline else "Không đặt hạn nộp"]


def _units_import(entry: AuditEntry, before: dict, after: dict, names: AuditNames) -> list[str]:
    lines = _field_lines(after, names, (("source", "Nguồn: {}", _as_is),))
    if "inserted" in after or "updated" in after:
        inserted, updated = after.pop("inserted", 0), after.pop("updated", 0)
        lines.append(f"Thêm mới {inserted} đơn vị, cập nhật {updated} đơn vị")
    return lines


def _checklist_version(entry: AuditEntry, before: dict, after: dict, names: AuditNames) -> list[str]:
    version, digest = after.pop("version", ""), after.pop("hash", "")
    return [f"Phiên bản {version}" + (f" (mã nội dung {digest})" if digest else "")] if version else []


def _plan_create(entry: AuditEntry, before: dict, after: dict, names: AuditNames) -> list[str]:
    number, issued = after.pop("number", ""), after.pop("issued_on", "")
    start, end = after.pop("period_start", ""), after.pop("period_end", "")
    lines = [f"Số, ký hiệu: {number}" + (f", ngày ban hành {date_label(issued)}" if issued else "")] if number else []
    lines += _field_lines(after, names, (("issuer", "Cơ quan ban hành: {}", _as_is),
                                         ("province_code", "Tỉnh, thành phố: {}", _province),
                                         ("title", "Trích yếu: {}", _quoted)))
    if start or end:
        lines.append(f"Thời gian kiểm tra: từ {date_label(start)} đến {date_label(end)}")
    return lines + _field_lines(after, names, (("legal_basis", "Căn cứ: {}", _quoted),))


def _plan_settings(entry: AuditEntry, before: dict, after: dict, names: AuditNames) -> list[str]:
    """"Ký duyệt khi còn tiêu chí thiếu minh chứng: Cho ký duyệt sau khi … → Không cho ký duyệt …"."""
    key = after.pop("key", before.pop("key", ""))
    rule = RULES.get(key)
    choices = dict(rule.choices) if rule else {}
    old, new = before.pop("value", None), after.pop("value", None)
    line = _change(rule.label if rule else key, choices.get(old, old), choices.get(new, new))
    return [line] if line else []


def _check_in(entry: AuditEntry, before: dict, after: dict, names: AuditNames) -> list[str]:
    lat, lon, accuracy = after.pop("lat", None), after.pop("lon", None), after.pop("accuracy_m", None)
    after.pop("recorded_at", None)  # the entry's own time says when
    before.pop("checkin_id", None)
    if after.pop("declined", False) or lat is None or lon is None:
        lines = ["Vị trí: không chia sẻ vị trí"]
    else:
        lines = [f"Vị trí: {lat:.5f}, {lon:.5f}" + (f" (sai số khoảng {round(accuracy)} m)" if accuracy is not None else "")]
    return lines + _field_lines(after, names, (("reason", "Lý do ghi nhận lại: {}", _quoted),))


_SIGNATURE = _fields(("party", "Bên ký: {}", _label_in({"lead": "Trưởng đoàn kiểm tra",
                                                          "unit": "Đại diện đơn vị được kiểm tra"})),
                     ("name", "Người ký: {}", _as_is), ("position", "Chức vụ: {}", _as_is),
                     ("reason", "Lý do ký lại: {}", _quoted),
                     ("content_sha256", "Nội dung biên bản (SHA-256): {}", lambda v, n: f"{v[:12]}…"),
                     ("png_sha256", "Ảnh chữ ký (SHA-256): {}", lambda v, n: f"{v[:12]}…"))


def _status_only(entry: AuditEntry, before: dict, after: dict, names: AuditNames) -> list[str]:
    return _status(before, after)


def _caption(entry: AuditEntry, before: dict, after: dict, names: AuditNames) -> list[str]:
    line = _change("Chú thích", before.pop("caption", ""), after.pop("caption", ""), "caption")
    return [line] if line else []


SUMMARIES: dict[str, Describer] = {
    "finding.save": _finding, "finding.amend": _finding,
    "visit.create": _visit_create, "visit.start": _status_only, "visit.submit": _status_only,
    "visit.sign_off": _sign_off, "visit.check_in": _check_in, "visit.signature": _SIGNATURE,
    "evidence.add": _evidence_add, "evidence.caption": _caption, "evidence.delete": _evidence_delete,
    "remediation.create": _REMEDIATION_CREATE, "remediation.edit": _remediation_edit,
    "remediation.answer": _remediation, "remediation.draft": _remediation, "remediation.accept": _remediation,
    "remediation.return": _remediation,
    "self_assessment.open": _self_open, "self_assessment.save": _finding,
    "self_assessment.start": _self_open,  # the unit started it: no deadline
    "user.create": _USER_CREATE, "token.create": _TOKEN_CREATE,
    "unit.create": _UNIT_CREATE, "units.import": _units_import, "checklist.version": _checklist_version,
    "checklist.publish": _checklist_version,
    "checklist.draft_create": _CHECKLIST_DRAFT, "checklist.draft_edit": _CHECKLIST_DRAFT,
    "plan.create": _plan_create, "plan.settings": _plan_settings, "team.create": _TEAM_CREATE,
    "team.member": _TEAM_MEMBER, "document.issue": _DOCUMENT_ISSUE,
}


def _decode(raw: str | None) -> Any:
    if raw is None:
        return None
    try:
        return msgspec.json.decode(raw)
    except msgspec.DecodeError:
        return raw


def _rest(before: dict, after: dict) -> list[str]:
    """Fields no wording above used: "Field: old → new" (technical ids and hashes left out)."""
    lines = []
    for key in [*after, *(k for k in before if k not in after)]:
        if key in HIDDEN_FIELDS:
            continue
        label = FIELD_LABELS.get(key, key)
        if key in after and key in before:
            line = _change(label, before[key], after[key], key)
        elif key in after:
            line = None if after[key] in (None, "", [], {}) else f"{label}: {_plain(key, after[key])}"
        else:
            line = f"{label} (trước đó): {_plain(key, before[key])}"
        if line:
            lines.append(line)
    return lines


def summarize(entry: AuditEntry, names: AuditNames) -> list[str]:
    """What changed, in Vietnamese, one line per fact: ["Tiêu chí 1.6.1: Không đạt → Đạt", "Ghi chú: …"].

    Each action words the fields it knows; any other stored field follows as "Field: old → new", so a
    new field or action still reads as words, never as raw JSON."""
    before, after = _decode(entry.before_json), _decode(entry.after_json)
    lines: list[str] = []
    if isinstance(before, dict | None) and isinstance(after, dict | None):
        before, after = dict(before or {}), dict(after or {})
        handler = SUMMARIES.get(entry.action)
        if handler is not None:
            lines += handler(entry, before, after, names)
        lines += _rest(before, after)
    else:
        lines += [f"Trước: {_plain('', before)}"] if before is not None else []
        lines += [f"Sau: {_plain('', after)}"] if after is not None else []
    if entry.ip and entry.action.startswith("auth."):
        lines.append(f"Địa chỉ IP: {entry.ip}")
    return lines


# ---------------------------------------------------------------- a page's names


async def names_for(db: Database, entries: list[AuditEntry]) -> AuditNames:
    """Everything a page of entries names, looked up at once; items from each visit's pinned checklist."""
    want: dict[str, set] = {k: set() for k in ("visits", "units", "users", "usernames", "plans", "teams",
                                                "remediation", "evidence", "provinces")}
    for entry in entries:
        kind, sid = entry.subject_type, entry.subject_id
        before, after = _decode(entry.before_json), _decode(entry.after_json)
        before = before if isinstance(before, dict) else {}
        after = after if isinstance(after, dict) else {}
        if kind == "visit" or kind.startswith(("finding:", "self:")):
            want["visits"].add(sid)
        elif kind.startswith("remediation:"):
            want["remediation"].add(kind.split(":", 1)[1])
        elif kind in ("remediation", "plan", "team", "evidence"):
            want[{"plan": "plans", "team": "teams"}.get(kind, kind)].add(sid)
        elif kind == "user":
            want["users"].add(sid)
        elif kind == "unit":
            want["units"].add(sid)
        elif kind == "units":
            want["provinces"].add(sid)
        for values in (before, after):
            for key, bucket in (("visit_id", "visits"), ("unit_code", "units"), ("plan_id", "plans"),
                                ("user", "usernames"), ("province_code", "provinces")):
                if isinstance(values.get(key), str | int) and not isinstance(values.get(key), bool):
                    want[bucket].add(values[key])
    names = await audit.lookup_names(db, **want)
    for entry in entries:
        if not entry.action.startswith("finding."):
            continue
        visit_id = _int(entry.subject_id)
        ref = names.visits.get(visit_id or -1)
        after = _decode(entry.after_json)
        code = after.get("item") if isinstance(after, dict) else None
        if ref is None or not isinstance(code, str) or (visit_id, code) in names.items:
            continue
        checklist = await checklist_store.checklist_version(db, ref.checklist_id, ref.checklist_version)
        item = next((i for i in checklist.items() if i.code == code), None) if checklist else None
        if item is not None:
            names.items[(visit_id, code)] = item
    return names
