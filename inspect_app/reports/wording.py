"""The sentences of the visit documents, written once and used by the DOCX and the HTML alike."""

from __future__ import annotations

from datetime import date

import msgspec

from inspect_app.reports import rules
from inspect_app.reports.visit_doc import VisitDoc, member_role
from inspect_app.services.checkin import place_label as checkin_place
from inspect_app.text import official_date, short_date, vn_number

COMMUNE_KINDS = ("xa", "phuong", "dac_khu")
# Names of document types (NĐ 30/2020 Điều 7 and Phụ lục III; the legal documents' own): cited with a
# number, a type keeps its capital letter ("Căn cứ Quyết định số 272/QĐ-UBND"), NĐ 30 Phụ lục II.
DOCUMENT_TYPES = ("Hiến pháp", "Bộ luật", "Luật", "Pháp lệnh", "Lệnh", "Nghị quyết", "Nghị định", "Quyết định",
                  "Thông tư", "Chỉ thị", "Quy chế", "Quy định", "Thông báo", "Hướng dẫn", "Chương trình",
                  "Kế hoạch", "Phương án", "Đề án", "Dự án", "Báo cáo", "Biên bản", "Tờ trình", "Công văn",
                  "Công điện")
ROMAN = ("I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X", "XI", "XII", "XIII", "XIV", "XV")


class Appendix(msgspec.Struct, frozen=True):
    """One appendix of the minutes: "Phụ lục II" and its name in capitals."""

    label: str
    title: str
    name: str  # as the body text names it


def subject(doc: VisitDoc) -> str:
    """"UBND phường Thủy Nguyên" for a commune-level unit; a department keeps its own name."""
    return unit_subject(doc.visit)


def unit_subject(visit) -> str:
    name = visit.unit_name
    if visit.unit_kind in COMMUNE_KINDS:
        return "UBND " + name[:1].lower() + name[1:]
    return name


def doc_number(symbol: str, stamp=None) -> str:
    """"Số:      /BB-ĐKT": the number is left blank for the văn thư, who assigns it at issuance; an issued
    document (`stamp`, services/issuing.IssueStamp) prints the number the register gave it."""
    if stamp is not None:
        return f"Số: {stamp.number}"
    return "Số:" + "\u00a0" * 8 + "/" + symbol


def issued_day(stamp, default: date) -> date:
    """The day an issued document went out (its stamp's), else `default`."""
    return date.fromisoformat(stamp.issued_on) if stamp is not None else default


def parent_body(issuer: str) -> str:
    return rules.upper_vn(issuer)


def place_date(doc: VisitDoc, day: date) -> str:
    return official_date(day, doc.place)


def minutes_summary(doc: VisitDoc) -> str:
    return f"Kiểm tra công tác cải cách hành chính tại {subject(doc)}"


def notice_summary(doc: VisitDoc) -> str:
    return f"Kết luận kiểm tra công tác cải cách hành chính tại {subject(doc)}"


def basis_lines(doc: VisitDoc, *, with_minutes: bool = False) -> list[str]:
    plan = doc.plan
    lines = [f"Căn cứ Kế hoạch số {plan.number} ngày {short_date(plan.issued_on)} của {plan.issuer} "
             f"về {plan.title[:1].lower() + plan.title[1:]};"]
    visit = doc.visit
    if visit.team_decision_number and visit.team_decision_number not in plan.legal_basis:
        when = f" ngày {short_date(visit.team_decision_date)}" if visit.team_decision_date else ""
        lines.append(f"Căn cứ Quyết định số {visit.team_decision_number}{when} về việc thành lập {visit.team_name};")
    if plan.legal_basis:
        lines.append(f"Căn cứ {cited(plan.legal_basis)};".replace(";;", ";"))
    if with_minutes:
        lines.append(f"Căn cứ Biên bản kiểm tra ngày {short_date(doc.visit_day)} của {visit.team_name} "
                     f"tại {subject(doc)},")
    return lines


def cited(text: str) -> str:
    """Text following "Căn cứ": a document's type name keeps its capital, other words start lower-case."""
    if text.startswith(DOCUMENT_TYPES):
        return text
    return text[:1].lower() + text[1:]


def appendices(doc: VisitDoc) -> list[Appendix]:
    """The minutes' appendices in order: one per dossier sample, then the evidence list. NĐ 30 Phụ lục I:
    two or more are numbered with Roman numerals ("Phụ lục" and its number on their own line, in ordinary
    case, bold); the name below in capitals; and the text must point to each one."""
    parts = [(f"MẪU HỒ SƠ KIỂM TRA (TIÊU CHÍ {block.code})", f"Mẫu hồ sơ kiểm tra của tiêu chí {block.code}")
             for block in doc.samples]
    if doc.evidence:
        parts.append(("DANH MỤC TÀI LIỆU KIỂM CHỨNG", "Danh mục tài liệu kiểm chứng"))
    if len(parts) == 1:
        return [Appendix("Phụ lục", parts[0][0], parts[0][1])]
    return [Appendix(f"Phụ lục {ROMAN[index] if index < len(ROMAN) else index + 1}", title, name)
            for index, (title, name) in enumerate(parts)]


def appendix_line(parts: list[Appendix]) -> str:
    """The sentence of the body that names the appendices ("Kèm theo Biên bản này: Phụ lục I – …")."""
    return f"Kèm theo Biên bản này: {'; '.join(f'{part.label} – {part.name}' for part in parts)}."


def opening_line(doc: VisitDoc) -> str:
    """Time and place of the inspection: from the team's check-in on the tablet when there is one."""
    if doc.checkin is not None:
        started = rules.vietnam_time(doc.checkin.recorded_at)
    elif doc.visit.started_at:
        started = rules.vietnam_time(doc.visit.started_at)
    else:
        started = official_date(date.fromisoformat(doc.visit.scheduled_on))
    place = f" (ghi nhận có mặt: {checkin_place(doc.checkin)})" if doc.checkin is not None else ""
    surprise = " đột xuất" if doc.visit.kind == "surprise" else ""
    return (f"Hôm nay, vào hồi {started}, tại trụ sở {subject(doc)}{place}, {doc.visit.team_name} tiến hành kiểm tra"
            f"{surprise} công tác cải cách hành chính tại đơn vị theo {doc.checklist_title} "
            f"(phiên bản {doc.checklist_version}).")


def earlier_version_note(doc: VisitDoc) -> str:
    """Said under the signature blocks when the minutes were amended after some party signed."""
    parties = [f"{s.name} ({PARTY_SIGNER[s.party]})" for s in doc.earlier_signatures]
    if not parties:
        return ""
    return (f"Lưu ý: Biên bản đã được sửa đổi sau khi ký; chữ ký của {', '.join(parties)} "
            "là chữ ký trên phiên bản trước của biên bản.")


PARTY_SIGNER = {"lead": "Trưởng đoàn", "unit": "đại diện đơn vị"}


def member_lines(doc: VisitDoc) -> list[str]:
    return [f"{m.full_name}{', ' + m.title if m.title else ''} – {member_role(m.role)}" for m in doc.members]


def result_line(doc: VisitDoc) -> str:
    share = f" ({vn_number(doc.percent)}%)" if doc.percent is not None else ""
    rating = f", xếp loại: {doc.rating}" if doc.rating else ""
    return (f"Tổng điểm đạt: {vn_number(doc.points)}/{vn_number(doc.max_points)} điểm{share}{rating}. "
            f"Số tồn tại, hạn chế: {len(doc.shortcomings)} tiêu chí thành phần chưa đạt điểm tối đa.")


def strength_lines(doc: VisitDoc) -> list[str]:
    """Per area, what reached full marks: facts, not praise."""
    lines = []
    for area in doc.areas:
        if not area.scored_items:
            continue
        lines.append(f"Lĩnh vực {area.code} ({area.title}): đạt {vn_number(area.points)}/"
                     f"{vn_number(area.max_points)} điểm; {area.full_items}/{area.scored_items} tiêu chí thành phần "
                     "đạt điểm tối đa.")
    return lines


def shortcoming_line(line) -> str:
    note = f" Đoàn ghi nhận: {line.note.strip().rstrip('.')}." if line.note.strip() else ""
    return (f"Tiêu chí {line.code} – {line.text.rstrip('.')}: {line.answer} "
            f"({vn_number(line.points)}/{vn_number(line.max_points)} điểm).{note}")


def closing_line(doc: VisitDoc) -> str:
    ended = f"vào hồi {rules.vietnam_time(doc.visit.signed_off_at)}" if doc.visit.signed_off_at else "vào hồi …… giờ …… phút"
    return (f"Biên bản kết thúc {ended}, được lập thành 02 bản có giá trị như nhau, Đoàn kiểm tra giữ 01 bản, "
            "đơn vị được kiểm tra giữ 01 bản; đã được đọc lại cho những người tham dự cùng nghe, nhất trí và ký tên.")


def report_duty(doc: VisitDoc) -> str:
    deadline = max((a.deadline for a in doc.actions), default="")
    when = f"trước ngày {short_date(deadline)}" if deadline else "theo thời hạn nêu tại Mục II"
    return (f"{subject(doc)} tổ chức khắc phục, gửi Báo cáo kết quả khắc phục (kèm tài liệu kiểm chứng) "
            f"về Sở Nội vụ {when} để tổng hợp, báo cáo UBND {rules.place_name(doc.plan.province_name)}.")


def recipients(doc: VisitDoc) -> list[str]:
    return default_recipients(subject(doc), doc.plan.issuer)


def default_recipients(unit: str, plan_issuer: str) -> list[str]:
    """Nơi nhận of a notice: the unit, the plan's issuer (to report), the archive."""
    return [f"- {unit};", f"- {plan_issuer} (để báo cáo);", "- Lưu: VT, CCHC."]
