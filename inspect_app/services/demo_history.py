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
from inspect_app.queries import users
from inspect_app.queries import visits as visits_q
from inspect_app.services import attach, capture, remediation, visits

# What an inspector writes when an item meets its requirement.
NOTES_GOOD = ["Đã kiểm tra văn bản gốc, đầy đủ.", "Đạt yêu cầu.", "Đối chiếu hồ sơ lưu, thực hiện đúng quy định.", ""]
# How many ways each area's shortfall note used to be drawn: the draw is kept so that the demo's
# answers, scores and every figure built on them stay what they were when notes were per area.
SHORT_NOTE_DRAWS = {"1": 2, "2": 1, "3": 3, "4": 1, "5": 1, "6": 1, "7": 1, "8": 1}


def _lower_first(text: str) -> str:
    return text[:1].lower() + text[1:] if text[1:2].islower() else text


def shortfall_note(item: Item, answer: Answer) -> str:
    """What the inspector notes on an item below its maximum, said with the item's own words
    (its levels, labels and text), so the note always matches the criterion it is about."""
    if item.type == "levels":
        label = next((level.label for level in item.levels if level.key == answer.choice), "")
        return f"Mức đạt: {_lower_first(label)}."
    if item.type == "ratio" and answer.denominator:
        percent = round(100 * (answer.numerator or 0) / answer.denominator)
        return (f"{item.numerator_label or 'Số đạt'}: {answer.numerator:.0f}; "
                f"{_lower_first(item.denominator_label or 'tổng số')}: {answer.denominator:.0f} (đạt {percent}%).")
    if item.type == "count":
        return f"{item.count_label or 'Số ghi nhận'}: {answer.number:.0f}."
    if item.type == "deduction":
        what = item.violation_label.removeprefix("Mỗi ").strip()
        return f"Ghi nhận {answer.number:.0f} trường hợp vi phạm" + (f": {_lower_first(what)}." if what else ".")
    if item.type == "score":
        return f"Chưa đạt đầy đủ yêu cầu: {_lower_first(item.text.rstrip('.'))}."
    return f"Chưa đạt: {_lower_first(item.text.rstrip('.'))}."


def photo_caption(item: Item) -> str:
    """The caption of a notice-board photo on this item; "" when such a photo is no evidence of it."""
    if item.evidence.kind not in ("photo", "any"):
        return ""
    text = item.text.lower()
    if "niêm yết" in text and "thủ tục" in text:
        return "Khu vực niêm yết thủ tục hành chính tại Bộ phận Một cửa"
    # 2026.2 names the commune's one-stop body "Trung tâm Phục vụ hành chính công" (NĐ 118/2025); same photo
    one_stop = "bộ phận một cửa" in text or "trung tâm phục vụ hành chính công" in text
    if one_stop and "bảng công khai" in item.evidence.hint.lower():
        return "Bảng công khai tại Bộ phận Một cửa"
    if "ngân sách" in text and "bảng niêm yết" in item.evidence.hint.lower():
        return "Bảng niêm yết công khai ngân sách"
    return ""


def text_answer(item: Item) -> str:
    """A free-text answer that fits the question (a person, or a model worth sharing)."""
    if "họ tên" in item.text.lower():
        return "Bà Nguyễn Thị Hoa, công chức Văn phòng - Thống kê"
    return "Mô hình “Bộ phận Một cửa thân thiện” được người dân đánh giá cao."


def demo_sample(item: Item, seed: int) -> Answer:
    """Ten dossiers checked at the one-stop centre, most returned on time, one late with an apology letter.

    Drawn from their own generator so the other items' answers stay what they were before samples existed."""
    rng = random.Random(seed * 31 + len(item.code))
    rows = []
    for n in range(10):
        received = date.today() - timedelta(days=rng.randint(30, 200))
        promised = received + timedelta(days=rng.choice((3, 5, 7, 10)))
        late = n == 6 or rng.random() < 0.08
        returned = promised + timedelta(days=rng.randint(1, 4)) if late else promised - timedelta(days=rng.randint(0, 2))
        rows.append({"ma_ho_so": f"H31.{rng.randint(10, 99)}-{received:%y%m%d}-{rng.randint(1, 9999):04d}",
                     "ngay_tiep_nhan": received.isoformat(), "ngay_hen_tra": promised.isoformat(),
                     "ngay_tra": returned.isoformat(), "phieu_xin_loi": late, "truc_tuyen": rng.random() < 0.4})
    keys = {column.key for column in item.columns}
    return Answer(rows=[{k: v for k, v in row.items() if k in keys} for row in rows])


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
    rng.random()  # the draw the text used to take, kept so the answers after it stay the same
    return Answer(text=text_answer(item))


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
    team_member = visits.VisitContext(inspector, visit, checklist, is_member=True)
    for item in checklist.items():
        if item.from_sample is not None:
            continue  # computed from the sample's rows, never typed
        if item.type == "sample":
            await capture.save_finding(
                db, capture.SaveTarget(team_member, visit.checklist_version, checklist, item),
                answer=demo_sample(item, seed), note="Chọn ngẫu nhiên 10 hồ sơ trong sổ theo dõi, đối chiếu ngày hẹn trả với ngày trả kết quả.",
                base_version=0, idempotency_key=f"demo-{visit.id}-{item.code}")
            continue
        answer = demo_answer(item, rng)
        score = score_item(item, answer)
        short = score.points is not None and score.points < score.max_points
        if short:
            rng.randrange(SHORT_NOTE_DRAWS.get(item.code.split(".")[0], 2))
            note = shortfall_note(item, answer)
        else:
            note = rng.choice(NOTES_GOOD)
        if unit_answered and not note:
            note = "Đối chiếu hồ sơ lưu, thực hiện đúng quy định."
        await capture.save_finding(  # the first save starts the visit
            db, capture.SaveTarget(team_member, visit.checklist_version, checklist, item), answer=answer, note=note,
            base_version=0, idempotency_key=f"demo-{visit.id}-{item.code}")
    # The generated photos show notice boards: they go to the items whose evidence is such a board.
    photo_items = [item for item in checklist.items() if photo_caption(item)][:3]
    for index, item in enumerate(photo_items):
        await attach.attach(db, root=evidence_root, user=inspector, visit=visit, item=item,
                            data=demo_photo(rng, ((40, 90, 160), (160, 60, 40), (60, 130, 70))[index % 3]),
                            filename=f"IMG_{seed}{index:02d}.jpg", caption=photo_caption(item),
                            idempotency_key=f"demo-photo-{visit.id}-{index}")
    check = await visits.sign_off_check(db, visit, checklist)
    await visits.sign_off(db, visits.VisitContext(lead, visit, checklist, is_member=True), remarks=(
        "Đơn vị đã quan tâm chỉ đạo công tác cải cách hành chính; Bộ phận Một cửa bố trí khang trang. "
        "Một số tồn tại cần khắc phục như nêu tại biên bản."),
        unit_representative="Ông Phạm Văn Hùng, Chủ tịch UBND",
        missing_evidence_reason=(
            "Đơn vị xuất trình bản gốc tài liệu tại buổi kiểm tra, Đoàn đã đối chiếu; bản chụp các tài liệu này "
            "đơn vị gửi bổ sung sau.") if check.missing_evidence else "")
    await demo_q.backdate_visit(db, visit.id, visit_day)


async def make_remediation(db: Database, *, visit: Visit, checklist: Checklist, lead: User, admin: User,
                           officer: User, today: date, plan: list[str]) -> None:
    """Turn the visit's shortcomings into items and walk each into the state named in `plan`:
    open, overdue, answered, returned, accepted, accepted_late."""
    found = await findings_q.list_findings(db, visit.id)
    current = await visits_q.get_visit(db, visit.id)
    candidates = remediation.proposals(checklist, found, set())
    random.Random(visit.id).shuffle(candidates)  # spread the items over the areas
    for proposal, state in zip(candidates, plan, strict=False):
        item_id = await remediation.create_item(db, lead, current, finding_ids=[proposal.finding_id],
                                                text=proposal.text, deadline=(today + timedelta(days=25)).isoformat())
        row = await remediation_q.get_item(db, item_id)
        if state in ("answered", "returned", "accepted", "accepted_late"):
            await remediation.answer(db, officer, row, submit=True,
                                     text=fix_report(capture.find_item(checklist, row.item_code)))
            row = await remediation_q.get_item(db, item_id)
        if state == "returned":
            await remediation.review(db, admin, row, decision="return",
                                     comment=return_comment(capture.find_item(checklist, row.item_code)))
        if state in ("accepted", "accepted_late"):
            await remediation.review(db, admin, row, decision="accept", comment="Đã khắc phục đạt yêu cầu.")
        deadline = {"overdue": today - timedelta(days=4), "accepted_late": today - timedelta(days=2),
                    "answered": today + timedelta(days=3)}.get(state)
        if deadline is not None:  # move the clock: the item was due earlier than it was answered
            await demo_q.set_deadline(db, item_id, deadline.isoformat())


def fix_report(item: Item) -> str:
    """The unit's report on fixing a shortcoming: about this criterion, with the evidence it asks for."""
    hint = f" Gửi kèm: {_lower_first(item.evidence.hint.rstrip('.'))}." if item.evidence.hint else ""
    return (f"Đơn vị đã khắc phục tồn tại nêu tại tiêu chí {item.code} "
            f"({_lower_first(item.text.rstrip('.'))}).{hint}")


def return_comment(item: Item) -> str:
    """The Sở Nội vụ sending a report back: what it lacks, for this criterion."""
    wanted = _lower_first(item.evidence.hint.rstrip(".")) if item.evidence.hint else "tài liệu kiểm chứng"
    return f"Tài liệu gửi kèm chưa chứng minh đã khắc phục tồn tại tại tiêu chí {item.code}; đề nghị bổ sung: {wanted}."


async def officer(db: Database, unit_code: str) -> User:
    return (await users.list_unit_officers(db, unit_code))[0]
