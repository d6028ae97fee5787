"""The demo's past: visits already made, signed off, with findings, photos and remediation items.

Everything goes through the same services a person would use (saves, uploads, sign-off, items,
answers, reviews); only the clock is moved afterwards, so deadlines fall in every state:
open, answered, returned, accepted on time, accepted late, overdue.
"""

from __future__ import annotations

import io
import random
from datetime import date, timedelta

from PIL import Image, ImageDraw

from inspect_app.checklists import Answer, Checklist, Item, score_item
from inspect_app.db import Database
from inspect_app.models import User, Visit
from inspect_app.queries import demo as demo_q
from inspect_app.queries import findings as findings_q
from inspect_app.queries import remediation as remediation_q
from inspect_app.queries import users, visits
from inspect_app.services import attach, capture, remediation
from inspect_app.services.capture import request_hash

# What an inspector writes when an item falls short, by area (lĩnh vực) of the checklist.
NOTES_BAD = {
    "1": ["Kế hoạch ban hành muộn, chưa phân công cụ thể người chịu trách nhiệm và thời hạn hoàn thành.",
          "Báo cáo định kỳ gửi chậm so với quy định; một số nhiệm vụ chưa hoàn thành, chưa nêu nguyên nhân."],
    "2": ["Chưa thực hiện đầy đủ việc tự kiểm tra, rà soát văn bản; chưa công bố kết quả rà soát."],
    "3": ["Niêm yết thủ tục hành chính chưa đầy đủ; còn thủ tục đã hết hiệu lực trên bảng niêm yết.",
          "Hồ sơ lấy mẫu có trường hợp trả kết quả quá hạn nhưng không có phiếu xin lỗi và hẹn lại ngày trả.",
          "Chưa cập nhật đầy đủ sổ theo dõi hồ sơ theo mẫu số 06."],
    "4": ["Quy chế làm việc chưa được sửa đổi, bổ sung theo tổ chức bộ máy mới."],
    "5": ["Một số công chức chưa được cập nhật hồ sơ, chưa bố trí đúng vị trí việc làm được phê duyệt."],
    "6": ["Quy chế chi tiêu nội bộ chưa được công khai đầy đủ theo quy định."],
    "7": ["Tỷ lệ hồ sơ trực tuyến toàn trình còn thấp so với chỉ tiêu giao; tỷ lệ số hóa kết quả chưa đạt."],
    "8": ["Chưa tổ chức khảo sát sự hài lòng của người dân theo kế hoạch."],
}
NOTES_GOOD = ["Đã kiểm tra văn bản gốc, đầy đủ.", "Đạt yêu cầu.", "Đối chiếu hồ sơ lưu, thực hiện đúng quy định.", ""]


def demo_answer(item: Item, rng: random.Random) -> Answer:
    """A plausible answer, mostly good, sometimes short of the maximum."""
    good = rng.random() < 0.72
    if item.type == "yesno":
        return Answer(choice="yes" if good else "no")
    if item.type == "levels":
        ordered = sorted(item.levels, key=lambda level: -level.points)
        return Answer(choice=ordered[0].key if good else rng.choice(ordered[1:]).key)
    if item.type == "score":
        steps = int(round(item.max_points / item.step))
        return Answer(number=item.max_points if good else rng.randint(0, max(0, steps - 1)) * item.step)
    if item.type == "ratio":
        denominator = rng.randint(8, 60)
        share = 1.0 if good else rng.uniform(0.35, 0.85)
        return Answer(numerator=float(round(denominator * share)), denominator=float(denominator))
    if item.type == "count":
        top = max(band.from_ for band in item.bands) if item.bands else 3
        return Answer(number=float(top if good else rng.randint(0, max(0, int(top) - 1))))
    if item.type == "deduction":
        return Answer(number=0.0 if good else float(rng.randint(1, 3)))
    if item.type == "date":
        return Answer(text=f"{date.today().year}-01-{rng.randint(5, 28):02d}")
    return Answer(text=rng.choice(["Bà Nguyễn Thị Hoa, công chức Văn phòng - Thống kê",
                                   "Mô hình “Bộ phận Một cửa thân thiện” được người dân đánh giá cao."]))


def demo_photo(rng: random.Random, label_color: tuple[int, int, int]) -> bytes:
    """A generated 'photo' of a notice board: enough to look at, no real person in it."""
    image = Image.new("RGB", (1600, 1200), (rng.randint(180, 220),) * 3)
    draw = ImageDraw.Draw(image)
    draw.rectangle((120, 100, 1480, 1100), fill=(245, 240, 225), outline=(90, 60, 30), width=18)
    for row in range(8):
        y = 200 + row * 105
        draw.rectangle((200, y, 200 + rng.randint(700, 1150), y + 48), fill=label_color)
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=85)
    return buffer.getvalue()


async def make_history(db: Database, *, visit: Visit, checklist: Checklist, lead: User, inspector: User,
                       evidence_root, visit_day: date, seed: int, unit_answered: bool = False) -> None:
    """Findings by the inspector, photos on a few items, and the lead's sign-off, dated `visit_day`.

    `unit_answered`: the unit submitted a self-assessment, so every finding carries a note (an appraisal
    that differs from the unit's answer must say why)."""
    rng = random.Random(seed)
    await capture.start_visit(db, inspector, visit, visit.checklist_version)
    for item in checklist.items():
        answer = demo_answer(item, rng)
        score = score_item(item, answer)
        short = score.points is not None and score.points < score.max_points
        bad = NOTES_BAD.get(item.code.split(".")[0], NOTES_BAD["1"])
        note = rng.choice(bad) if short else rng.choice(NOTES_GOOD)
        if unit_answered and not note:
            note = "Đã đối chiếu hồ sơ, tài liệu lưu tại đơn vị."
        await capture.save_finding(
            db, user=inspector, visit=visit, checklist=checklist, item=item, answer=answer, note=note,
            base_version=0, idempotency_key=f"demo-{visit.id}-{item.code}",
            payload_hash=request_hash("demo", visit.id, item.code))
    photo_items = [item for item in checklist.items() if item.evidence.kind in ("photo", "any")][:3]
    for index, item in enumerate(photo_items):
        await attach.attach(db, root=evidence_root, user=inspector, visit=visit, item=item,
                            data=demo_photo(rng, ((40, 90, 160), (160, 60, 40), (60, 130, 70))[index % 3]),
                            filename=f"IMG_{seed}{index:02d}.jpg", caption="Bảng niêm yết tại Bộ phận Một cửa",
                            idempotency_key=f"demo-photo-{visit.id}-{index}")
    await capture.sign_off(db, lead, visit, checklist, remarks=(
        "Đơn vị đã quan tâm chỉ đạo công tác cải cách hành chính; Bộ phận Một cửa bố trí khang trang. "
        "Một số tồn tại cần khắc phục như nêu tại biên bản."),
        unit_representative="Ông Phạm Văn Hùng, Chủ tịch UBND")
    await demo_q.backdate_visit(db, visit.id, visit_day)


async def make_remediation(db: Database, *, visit: Visit, checklist: Checklist, lead: User, admin: User,
                           officer: User, today: date, plan: list[str]) -> None:
    """Turn the visit's shortcomings into items and walk each into the state named in `plan`:
    open, overdue, answered, returned, accepted, accepted_late."""
    found = await findings_q.list_findings(db, visit.id)
    current = await visits.get_visit(db, visit.id)
    candidates = remediation.proposals(checklist, found, set())
    random.Random(visit.id).shuffle(candidates)  # spread the items over the areas
    for proposal, state in zip(candidates, plan, strict=False):
        item_id = await remediation.create_item(db, lead, current, finding_ids=[proposal.finding_id],
                                                text=proposal.text, deadline=(today + timedelta(days=25)).isoformat())
        row = await remediation_q.get_item(db, item_id)
        if state in ("answered", "returned", "accepted", "accepted_late"):
            await remediation.save_answer(db, officer, row, submit=True, text=(
                "Đơn vị đã rà soát, gỡ bỏ nội dung hết hiệu lực và niêm yết lại đầy đủ; gửi kèm ảnh chụp và văn bản."))
            row = await remediation_q.get_item(db, item_id)
        if state == "returned":
            await remediation.review(db, admin, row, decision="return",
                                     comment="Ảnh chụp chưa thể hiện rõ nội dung niêm yết; đề nghị bổ sung.")
        if state in ("accepted", "accepted_late"):
            await remediation.review(db, admin, row, decision="accept", comment="Đã khắc phục đạt yêu cầu.")
        deadline = {"overdue": today - timedelta(days=4), "accepted_late": today - timedelta(days=2),
                    "answered": today + timedelta(days=3)}.get(state)
        if deadline is not None:  # move the clock: the item was due earlier than it was answered
            await demo_q.set_deadline(db, item_id, deadline.isoformat())


async def officer(db: Database, unit_code: str) -> User:
    return (await users.list_unit_officers(db, unit_code))[0]
