"""The audit log as people read it: action names for every code the app writes, a Vietnamese summary
of what changed (never raw JSON), objects by name, Vietnam time and the date filter's bounds."""

from __future__ import annotations

import ast

import msgspec
import pytest

from inspect_app.checklists import Item
from inspect_app.models import AuditEntry
from inspect_app.queries.audit import AuditNames, VisitRef
from inspect_app.services import audit_view as av
from inspect_app.settings import ROOT


def recorded_actions() -> set[str]:
    """Every action code passed to `audit.record(...)` anywhere in inspect_app (f-strings expanded by hand)."""
    found: set[str] = set()
    for path in (ROOT / "inspect_app").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "record"):
                continue
            action = next((k.value for k in node.keywords if k.arg == "action"), None)
            if action is None:
                continue
            options = [action.body, action.orelse] if isinstance(action, ast.IfExp) else [action]
            for option in options:
                if isinstance(option, ast.Constant):
                    found.add(option.value)
                elif isinstance(option, ast.JoinedStr) and ast.unparse(option) == "f'remediation.{decision}'":
                    found |= {"remediation.accept", "remediation.return"}  # review(): decision ∈ accept, return
                else:
                    pytest.fail(f"{path.name}: an action code the test cannot read: {ast.unparse(option)}")
    return found


def test_every_action_the_app_records_has_a_vietnamese_name():
    actions = recorded_actions()
    assert len(actions) >= 25  # the scan found the calls
    missing = sorted(actions - set(av.ACTION_LABELS))
    assert not missing, f"add these to ACTION_LABELS: {missing}"
    for code in actions:
        label = av.action_label(code)
        assert "." not in label and label[0].isupper(), (code, label)
        assert any(code.startswith(prefix) for prefix, _ in av.ACTION_FAMILIES), code


def test_an_unknown_action_keeps_its_family_and_code():
    assert av.action_label("plan.archive") == "Kế hoạch kiểm tra: plan.archive"
    assert av.action_label("backup.run") == "Thao tác khác: backup.run"
    menu = {prefix: codes for prefix, _, codes in av.action_menu(["plan.archive", "backup.run"])}
    assert ("plan.archive", "Kế hoạch kiểm tra: plan.archive") in menu["plan."]
    assert menu[""] == [("backup.run", "Thao tác khác: backup.run")]
    assert ("units.import", "Nhập danh mục đơn vị") in menu["unit"]


def entry(action: str, subject_type: str = "visit", subject_id: str = "7", before=None, after=None,
          actor: str = "kiemtravien", ip: str = "") -> AuditEntry:
    encode = lambda v: None if v is None else msgspec.json.encode(v).decode()  # noqa: E731
    return AuditEntry(1, "2026-01-20T03:05:09Z", actor, action, subject_type, subject_id, encode(before),
                      encode(after), ip)


LEVELS = msgspec.convert({"code": "1.6.1", "text": "Niêm yết công khai thủ tục hành chính tại Bộ phận Một cửa",
                          "type": "levels", "max_points": 1,
                          "levels": [{"key": "du", "label": "Đầy đủ", "points": 1},
                                     {"key": "thieu", "label": "Còn thiếu", "points": 0}]}, Item)
NAMES = AuditNames(
    visits={7: VisitRef("Xã Tân An", "2026-01-20", "cchc-xa", "abc")}, units={"11560": "Phường Thủy Nguyên"},
    users={3: ("Lê Thị Hồng Nhung", "kiemtravien")}, usernames={"truongdoan": "Trần Văn Minh"},
    plans={1: "33/KH-UBND"}, teams={1: "Đoàn kiểm tra số 1"}, remediation={12: (7, "Xã Tân An", "3.2.1")},
    evidence={5: (7, "1.4.1")}, provinces={"31": "Thành phố Hải Phòng"}, items={(7, "1.6.1"): LEVELS})


def test_a_finding_change_reads_item_old_and_new_value():
    first = entry("finding.save", after={"item": "1.6.1", "answer": '{"choice":"thieu"}', "note": "", "version": 1})
    assert av.summarize(first, NAMES) == ["Tiêu chí 1.6.1 (Niêm yết công khai thủ tục hành chính tại Bộ phận Một cửa): Còn thiếu"]
    change = entry("finding.save", before={"answer": '{"choice":"thieu"}', "note": "Thiếu 3 thủ tục", "version": 1},
                   after={"item": "1.6.1", "answer": '{"choice":"du"}', "note": "Đã bổ sung", "version": 2})
    assert av.summarize(change, NAMES) == [
        "Tiêu chí 1.6.1 (Niêm yết công khai thủ tục hành chính tại Bộ phận Một cửa): Còn thiếu → Đầy đủ",
        "Ghi chú: “Thiếu 3 thủ tục” → “Đã bổ sung”"]
    amend = entry("finding.amend", before={"answer": '{"choice":"yes"}', "note": "", "version": 3},
                  after={"item": "2.1.1", "answer": '{"choice":"no"}', "note": "", "version": 4,
                         "reason": "Sai sót khi nhập"})
    assert av.summarize(amend, NAMES) == ["Tiêu chí 2.1.1: Đạt → Không đạt", "Lý do điều chỉnh: “Sai sót khi nhập”"]
    dated = entry("finding.save", after={"item": "1.1.1", "answer": '{"text":"2026-01-15"}', "note": "", "version": 1})
    assert av.summarize(dated, NAMES) == ["Tiêu chí 1.1.1: 15/01/2026"]
    ratio = entry("finding.save", before={"answer": '{"na":true}', "note": "", "version": 1},
                  after={"item": "7.1.2", "answer": '{"numerator":7,"denominator":9}', "note": "", "version": 2})
    assert av.summarize(ratio, NAMES) == ["Tiêu chí 7.1.2: Không áp dụng → 7/9"]


def test_summaries_are_words_for_every_kind_of_entry():
    cases = {
        entry("visit.sign_off", before={"status": "in_progress"},
              after={"status": "signed_off", "remarks": "Tốt", "unit_representative": "Ông Phạm Văn Hùng",
                     "missing_evidence_reason": "Ảnh gửi sau"}):
            ["Trạng thái: Đang kiểm tra → Đã ký duyệt", "Đại diện đơn vị: Ông Phạm Văn Hùng",
             "Ý kiến, nhận xét: “Tốt”", "Lý do ký duyệt khi thiếu minh chứng: “Ảnh gửi sau”"],
        entry("remediation.edit", "remediation", "12", before={"text": "Niêm yết", "deadline": "2027-01-01"},
              after={"text": "Niêm yết", "deadline": "2027-01-15"}):
            ["Hạn khắc phục: 01/01/2027 → 15/01/2027"],
        entry("remediation.return", "remediation", "12", before={"status": "answered"},
              after={"status": "returned", "comment": "Bổ sung ảnh"}):
            ["Trạng thái: Chờ xem xét → Bị trả lại", "Nội dung yêu cầu bổ sung: “Bổ sung ảnh”"],
        entry("team.member", "team", "1", after={"user": "truongdoan", "role": "truong_doan"}):
            ["Thành viên: Trần Văn Minh (truongdoan)", "Vai trò trong đoàn: Trưởng đoàn"],
        entry("visit.create", after={"plan_id": 1, "unit_code": "11560", "date": "2026-11-20", "kind": "surprise",
                                     "checklist": "cchc-xa", "version": "abc"}):
            ["Đơn vị: Phường Thủy Nguyên (11560)", "Ngày kiểm tra: 20/11/2026", "Hình thức: kiểm tra đột xuất",
             "Kế hoạch: 33/KH-UBND", "Bộ tiêu chí: cchc-xa"],
        entry("evidence.add", "finding:1.4.1", "7", after={"evidence_id": 5, "sha256": "e00776c9f8e35764" * 4,
                                                           "kind": "photo"}):
            ["Ảnh #5 cho tiêu chí 1.4.1 (SHA-256 e00776c9f8e3…)"],
        entry("evidence.delete", "evidence", "5", before={"item": "1.4.1", "sha256": "ab" * 32, "visit_id": 7}):
            ["Gỡ khỏi hồ sơ minh chứng của tiêu chí 1.4.1 (SHA-256 abababababab…); tệp gốc vẫn được lưu giữ"],
        entry("self_assessment.open", after={"assessment_id": 2, "deadline": "2026-12-31"}): ["Hạn nộp: 31/12/2026"],
        entry("units.import", "units", "31", after={"source": "units.csv", "inserted": 114, "updated": 0}, actor="demo"):
            ["Nguồn: units.csv", "Thêm mới 114 đơn vị, cập nhật 0 đơn vị"],
        entry("plan.create", "plan", "1", after={"id": 1, "number": "45/KH-UBND", "issued_on": "2026-03-01",
                                                 "issuer": "UBND", "title": "Kiểm tra", "legal_basis": "",
                                                 "period_start": "2026-04-01", "period_end": "2026-06-30",
                                                 "province_code": "31"}):
            ["Số, ký hiệu: 45/KH-UBND, ngày ban hành 01/03/2026", "Cơ quan ban hành: UBND",
             "Tỉnh, thành phố: Thành phố Hải Phòng", "Trích yếu: “Kiểm tra”",
             "Thời gian kiểm tra: từ 01/04/2026 đến 30/06/2026"],
        entry("auth.login", "user", "3", ip="10.0.0.8"): ["Địa chỉ IP: 10.0.0.8"],
        entry("plan.settings", "plan", "1", before={"missing_evidence_policy": "confirm"},
              after={"missing_evidence_policy": "refuse"}):
            ["missing_evidence_policy: confirm → refuse"],
    }
    for item, expected in cases.items():
        lines = av.summarize(item, NAMES)
        assert lines == expected, item.action
        assert not any("{" in line or '":' in line for line in lines), lines  # never raw JSON


def test_long_texts_are_shortened_and_odd_values_still_read():
    long = entry("remediation.create", "remediation", "12", after={"visit_id": 7, "findings": [56], "text": "x" * 500,
                                                                   "deadline": "2027-01-01"})
    lines = av.summarize(long, NAMES)
    assert lines[0].startswith("Nội dung: “xxx") and lines[0].endswith("…”") and len(lines[0]) < 180
    assert lines[1] == "Hạn khắc phục: 01/01/2027"
    odd = AuditEntry(1, "2026-01-20T03:05:09Z", "cli", "x.y", "thing", "1", "[1, 2]", "not json", "")
    assert av.summarize(odd, NAMES) == ["Trước: 1, 2", "Sau: not json"]


def test_objects_are_named_and_point_at_their_history():
    assert av.object_ref(entry("finding.save"), NAMES) == av.ObjectRef(
        "Cuộc kiểm tra #7 · Xã Tân An, ngày 20/01/2026", "visit", "7")
    assert av.object_ref(entry("evidence.add", "finding:1.4.1", "7"), NAMES).kind == "visit"
    assert av.object_ref(entry("evidence.add", "remediation:12", "7"), NAMES) == av.ObjectRef(
        "Kiến nghị #12 · Xã Tân An, tiêu chí 3.2.1", "remediation", "12")
    assert av.object_ref(entry("user.create", "user", "3"), NAMES).label == "Tài khoản Lê Thị Hồng Nhung (kiemtravien)"
    assert av.object_ref(entry("units.import", "units", "31"), NAMES).label == "Danh mục đơn vị · Thành phố Hải Phòng"
    assert av.object_ref(entry("plan.create", "plan", "1"), NAMES).label == "Kế hoạch 33/KH-UBND"
    assert av.object_ref(entry("evidence.caption", "evidence", "5"), NAMES).label == \
        "Minh chứng #5 · Cuộc kiểm tra #7 · Xã Tân An, ngày 20/01/2026"
    assert av.object_ref(entry("visit.start", "visit", "99999999999999999999"), NAMES).label == \
        "Cuộc kiểm tra"  # not an id SQLite could hold: named by kind only


def test_people_by_name_with_the_username_second():
    assert av.actor_names("sonoivu", "Nguyễn Thị Thu Hà") == ("Nguyễn Thị Thu Hà", "sonoivu")
    assert av.actor_names("demo", "") == ("Dữ liệu mẫu", "demo")
    assert av.actor_names("cli", "") == ("Quản trị hệ thống (dòng lệnh)", "cli")
    assert av.actor_names("nguoicu", "") == ("nguoicu", "")


def test_times_are_vietnam_time_and_day_filters_cover_vietnamese_days():
    assert av.local_datetime("2026-01-19T17:30:05Z") == "20/01/2026 00:30:05"
    assert av.utc_bounds("2026-01-20", "2026-01-20") == ("2026-01-19T17:00:00Z", "2026-01-20T17:00:00Z")
    assert av.utc_bounds("", "2026-01-20") == ("", "2026-01-20T17:00:00Z")
    assert av.utc_bounds("", "") == ("", "")
    with pytest.raises(ValueError, match="Từ ngày “2026-13-01” không phải là một ngày hợp lệ."):
        av.utc_bounds("2026-13-01", "")
    with pytest.raises(ValueError, match="phải trước hoặc bằng"):
        av.utc_bounds("2026-02-01", "2026-01-01")



def test_plan_settings_and_a_sign_off_despite_missing_evidence_read_as_words():
    change = entry("plan.settings", before={"key": "missing_evidence_policy", "value": "confirm", "version": 0},
                   after={"key": "missing_evidence_policy", "value": "refuse", "version": 1},
                   subject_type="plan", subject_id="1")
    assert av.summarize(change, NAMES) == [
        "Ký duyệt khi còn tiêu chí thiếu minh chứng bắt buộc: “Cho ký duyệt sau khi trưởng đoàn xác nhận và nêu lý"
        " do” → “Không cho ký duyệt cho đến khi đủ minh chứng”"]
    signed = entry("visit.sign_off", before={"status": "in_progress"},
                   after={"status": "signed_off", "remarks": "", "unit_representative": "Ông Bình",
                          "missing_evidence": ["1.1.1", "3.2.4"], "missing_evidence_reason": "Đơn vị nộp bổ sung sau"},
                   subject_type="visit", subject_id="3")
    lines = av.summarize(signed, NAMES)
    assert "Ký duyệt khi còn 2 tiêu chí thiếu minh chứng: 1.1.1, 3.2.4" in lines
    assert "Lý do ký duyệt khi thiếu minh chứng: “Đơn vị nộp bổ sung sau”" in lines
    assert not any("missing_evidence" in line for line in lines)
