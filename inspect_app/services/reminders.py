"""The day's reminder digest (nhắc việc) per unit, printed and, with SMTP settings, emailed."""

from __future__ import annotations

import smtplib
from datetime import date
from email.message import EmailMessage

import msgspec

from inspect_app.queries.remediation import RemediationRow
from inspect_app.services import deadlines
from inspect_app.text import short_date


class Digest(msgspec.Struct):
    unit_code: str
    unit_name: str
    overdue: list[RemediationRow]
    due_soon: list[RemediationRow]
    # (visit id, deadline, items still short of evidence) of unsubmitted self-assessments
    self_assessments: list[tuple[int, str, list[str]]] = []


class SmtpSettings(msgspec.Struct, frozen=True):
    host: str
    port: int = 25
    user: str = ""
    password: str = ""
    sender: str = "sokiemtra@localhost"
    starttls: bool = False


def build_digests(rows: list[RemediationRow], today: date, self_pending: list | None = None) -> list[Digest]:
    """One digest per unit that has something overdue or due within 7 days; units by name.

    `self_pending`: rows (visit_id, deadline, unit_code, unit_name, and optionally `lacking`: the items
    still short of evidence) of self-assessments not yet submitted; those due within 7 days or late join
    their unit's digest.
    """
    by_unit: dict[str, Digest] = {}
    for pending in self_pending or []:
        if deadlines.days_left(pending["deadline"], today) <= deadlines.DUE_SOON_DAYS:
            digest = by_unit.setdefault(pending["unit_code"], Digest(pending["unit_code"], pending["unit_name"], [], []))
            lacking = list(pending["lacking"]) if "lacking" in pending.keys() else []
            digest.self_assessments = [*digest.self_assessments, (pending["visit_id"], pending["deadline"], lacking)]
    for row in rows:
        overdue = deadlines.is_overdue(row.status, row.deadline, today)
        soon = deadlines.is_due_soon(row.status, row.deadline, today)
        if not (overdue or soon):
            continue
        digest = by_unit.setdefault(row.unit_code, Digest(row.unit_code, row.unit_name, [], []))
        (digest.overdue if overdue else digest.due_soon).append(row)
    return sorted(by_unit.values(), key=lambda d: d.unit_name)


def render(digest: Digest, today: date) -> str:
    """The plain-text digest a unit officer reads (Vietnamese)."""
    lines = [f"Nhắc việc ngày {short_date(today)} — {digest.unit_name} ({digest.unit_code})", ""]
    for visit_id, deadline, lacking in digest.self_assessments:
        label = deadlines.deadline_label("open", deadline, today)
        lines.append(f"TỰ ĐÁNH GIÁ: chưa nộp kết quả tự đánh giá (cuộc kiểm tra #{visit_id}), hạn {short_date(deadline)}"
                     f" ({label}).")
        if lacking:
            shown = ", ".join(lacking[:20]) + (f" và {len(lacking) - 20} tiêu chí khác" if len(lacking) > 20 else "")
            lines.append(f"  Còn {len(lacking)} tiêu chí thiếu tài liệu kiểm chứng: {shown}.")
        lines.append("")
    for title, rows in (("QUÁ HẠN", digest.overdue), ("SẮP ĐẾN HẠN (7 ngày)", digest.due_soon)):
        if not rows:
            continue
        lines.append(f"{title}: {len(rows)} kiến nghị")
        for row in rows:
            label = deadlines.deadline_label(row.status, row.deadline, today)
            text = row.text if len(row.text) <= 160 else row.text[:157] + "…"
            lines.append(f"  #{row.id} hạn {short_date(row.deadline)} ({label}) — {text}")
        lines.append("")
    lines.append("Trả lời kiến nghị và gửi tài liệu kiểm chứng tại mục “Kiến nghị” của phần mềm Sổ Kiểm Tra.")
    return "\n".join(lines)


def send(smtp: SmtpSettings, recipients: list[str], subject: str, body: str) -> None:
    message = EmailMessage()
    message["From"] = smtp.sender
    message["To"] = ", ".join(recipients)
    message["Subject"] = subject
    message.set_content(body)  # UTF-8; the subject is encoded per RFC 2047 by the library
    with smtplib.SMTP(smtp.host, smtp.port, timeout=30) as client:
        if smtp.starttls:
            client.starttls()
        if smtp.user:
            client.login(smtp.user, smtp.password)
        client.send_message(message)
