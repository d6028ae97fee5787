"""The demo's self-assessment: one unit answered every item with its evidence and submitted it before
the team's visit, so its evidence package (hồ sơ tài liệu kiểm chứng) can be built and compared with the
team's appraisal. Two items are left short of evidence on purpose: the package's list marks them.

It goes through the services a unit officer uses (save, upload, submit), like the rest of the demo.
"""

from __future__ import annotations

import io
import random

from PIL import Image, ImageDraw

from inspect_app.checklists import Checklist
from inspect_app.db import Database
from inspect_app.models import User, Visit
from inspect_app.queries import self_assessment as self_q
from inspect_app.services import attach, self_assessment
from inspect_app.services.idempotency import request_hash
from inspect_app.services.demo_history import demo_answer, demo_photo, demo_sample

EXPLANATIONS = [
    "Đơn vị gửi kèm văn bản đã ban hành; bản chính lưu tại Văn phòng HĐND và UBND.",
    "Đã thực hiện đầy đủ; tài liệu kiểm chứng kèm theo.",
    "Kết quả tổng hợp từ sổ theo dõi và báo cáo định kỳ của đơn vị.",
]
LACKING = 2  # items whose evidence is left below min_count, so the list has something to mark


def demo_scan(rng: random.Random, pages: int) -> bytes:
    """A generated 'scanned document' as a PDF of `pages` pages: ruled text lines, a stamp, no real content."""
    images = []
    for _ in range(pages):
        page = Image.new("L", (620, 877), 250)
        draw = ImageDraw.Draw(page)
        draw.rectangle((60, 50, 300, 70), fill=90)
        for row in range(22):
            y = 120 + row * 30
            draw.rectangle((60, y, 60 + rng.randint(320, 500), y + 10), fill=rng.randint(60, 120))
        draw.ellipse((420, 730, 540, 850), outline=40, width=6)
        images.append(page)
    buffer = io.BytesIO()
    images[0].save(buffer, "PDF", save_all=True, append_images=images[1:], resolution=75)
    return buffer.getvalue()

SAMPLE_NOTE = "Mười hồ sơ chọn ngẫu nhiên trong sổ theo dõi của Trung tâm Phục vụ hành chính công xã."


async def make_self_assessment(db: Database, *, visit: Visit, checklist: Checklist, officer: User, evidence_root,
                               seed: int) -> None:
    rng = random.Random(seed * 7)
    short = {item.code for item in checklist.items() if item.evidence.min_count}
    short = set(sorted(short)[5:5 + LACKING])
    for item in checklist.items():
        if item.from_sample is not None:
            continue  # computed from the sample's rows
        sample = item.type == "sample"  # drawn apart, so the other items' answers stay as they were
        await self_assessment.save_answer(
            db, user=officer, visit=visit, item=item, answer=demo_sample(item, seed) if sample else demo_answer(item, rng),
            note=SAMPLE_NOTE if sample else rng.choice(EXPLANATIONS),
            base_version=0, idempotency_key=f"demo-self-{visit.id}-{item.code}",
            payload_hash=request_hash("demo-self", visit.id, item.code))
        wanted = item.evidence.min_count - (1 if item.code in short else 0)
        if wanted <= 0:
            continue
        assessment = await self_q.get_for_visit(db, visit.id)
        row = await self_q.get_answer(db, assessment.id, item.code)
        for n in range(wanted):
            photo = item.evidence.kind == "photo" or (item.evidence.kind == "any" and n == 0)
            data = (demo_photo(rng, (40, 90, 160)) if photo else demo_scan(rng, 1 + (n + len(item.code)) % 3))
            name = f"IMG_{item.code.replace('.', '')}{n}.jpg" if photo else f"{item.code} - {item.text[:60]}.pdf"
            await attach.attach_to_self_answer(
                db, root=evidence_root, user=officer, visit_id=visit.id, self_answer_id=row.id, item_code=item.code,
                data=data, filename=name, idempotency_key=f"demo-self-file-{visit.id}-{item.code}-{n}")
    await self_assessment.submit(db, officer, visit, checklist)
