"""The dossier sample on a commune's self-assessment (cchc-xa: rows in 3.2.3, the on-time ratio 3.2.4
derived from them): the unit fills rows through the card form, the page shows the derived figure as the
server computes it, and the derived item cannot be typed."""

from __future__ import annotations

import re

from conftest import login, post_form

SAMPLE, DERIVED = "3.2.3", "3.2.4"


def open_self_assessment(client) -> int:
    login(client, "dv11560")
    visit = client.get("/api/v1/visits").json()[0]
    assert visit["checklist_id"] == "cchc-xa"
    assert client.get(f"/visits/{visit['id']}/self-assessment").status_code == 200
    return visit["id"]


def derived_output(page: str) -> str:
    return re.search(r'<output id="derived-3_2_4"[^>]*>(.*?)</output>', page, re.S).group(1)


def header(page: str) -> tuple[int, int]:
    """The self-assessment header's "answered/total"."""
    answered, total = re.search(r"<strong>(\d+)/(\d+)</strong> tiêu chí đã tự đánh giá", page).groups()
    return int(answered), int(total)


def test_the_unit_fills_the_sample_and_sees_the_derived_ratio(client):
    visit_id = open_self_assessment(client)
    before = client.get(f"/visits/{visit_id}/self-assessment").text
    assert derived_output(before) == "–"
    rows = {"row-0-ma_ho_so": "000.00.15.H31-251103-0001", "row-0-ngay_hen_tra": "2026-11-03",
            "row-0-ngay_tra": "2026-11-02", "row-0-truc_tuyen": "yes",
            "row-1-ma_ho_so": "000.00.15.H31-251103-0002", "row-1-ngay_hen_tra": "2026-11-03",
            "row-1-ngay_tra": "2026-11-06", "row-1-phieu_xin_loi": "yes",
            "row-2-ma_ho_so": "000.00.15.H31-251103-0003", "row-2-ngay_hen_tra": "2026-11-10",
            "base_version": "0", "note": ""}
    response = post_form(client, f"/visits/{visit_id}/self-assessment/items/{SAMPLE}", rows)
    assert response.status_code == 303, response.text

    page = client.get(f"/visits/{visit_id}/self-assessment").text
    assert 'value="000.00.15.H31-251103-0003"' in page  # the rows come back in the table
    assert derived_output(page) == "1/2 (50%)"  # as the server derives it, before any script runs
    # The sample and the ratio derived from it count as answered, as in the visit's progress: a unit that
    # answers every item it can type reaches total/total.
    assert header(page) == (header(before)[0] + 2, header(before)[1])


def test_the_unit_cannot_type_into_the_derived_item(client):
    visit_id = open_self_assessment(client)
    response = post_form(client, f"/visits/{visit_id}/self-assessment/items/{DERIVED}",
                         {"numerator": "5", "denominator": "5", "base_version": "0", "note": ""},
                         headers={"HX-Request": "true"})
    assert response.status_code == 409
    assert "tính tự động" in response.text.lower() or "mẫu hồ sơ" in response.text
    page = client.get(f"/visits/{visit_id}/self-assessment").text
    assert derived_output(page) == "–"
