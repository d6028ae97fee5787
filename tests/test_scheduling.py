"""Teams and visit scheduling by the Sở Nội vụ; surprise visits opened by a lead."""

from __future__ import annotations

from datetime import date, timedelta

from conftest import login, post_form, text_of


def plan_of(client):
    return client.get("/api/v1/plans").json()[0]


def test_admin_schedules_many_units_at_once(client):
    login(client, "sonoivu")
    plan = plan_of(client)
    page = client.get(f"/plans/{plan['id']}")
    assert "Lên lịch kiểm tra" in page.text and "105 chưa có lịch" in page.text
    team_id = page.text.split('name="team_id"><option value="')[1].split('"')[0]
    day = (date.today() + timedelta(days=20)).isoformat()
    response = client.post(f"/plans/{plan['id']}/visits", data={
        "team_id": team_id, "date": day, "checklist_id": "cchc-xa", "units": ["10537", "10543", "11113"],
        "_csrf_token": client.cookies["csrftoken"]}, follow_redirects=False)
    assert response.status_code == 303
    visits = [v for v in client.get("/api/v1/visits", params={"plan": plan["id"]}).json() if v["date"] == day]
    assert sorted(v["unit_code"] for v in visits) == ["10537", "10543", "11113"]
    assert all(v["status"] == "planned" for v in visits)
    # The same units again: refused, nothing half-written.
    again = client.post(f"/plans/{plan['id']}/visits", data={
        "team_id": team_id, "date": day, "checklist_id": "cchc-xa", "units": ["10546", "10537"],
        "_csrf_token": client.cookies["csrftoken"]}, follow_redirects=False)
    assert again.status_code == 422 and "Đã có lịch kiểm tra" in again.text
    assert not any(v["unit_code"] == "10546" for v in client.get("/api/v1/visits").json())


def test_scheduling_explains_bad_input(client):
    login(client, "sonoivu")
    plan = plan_of(client)
    team_id = client.get(f"/plans/{plan['id']}").text.split('name="team_id"><option value="')[1].split('"')[0]
    outside = post_form(client, f"/plans/{plan['id']}/visits",
                        {"team_id": team_id, "date": "2001-01-01", "checklist_id": "cchc-xa", "units": "10549"})
    assert outside.status_code == 422 and "trong thời gian của kế hoạch" in outside.text
    nothing = post_form(client, f"/plans/{plan['id']}/visits",
                        {"team_id": team_id, "date": date.today().isoformat(), "checklist_id": "cchc-xa"})
    assert nothing.status_code == 422 and "ít nhất một đơn vị" in nothing.text
    wrong = post_form(client, f"/plans/{plan['id']}/visits", {"team_id": team_id, "date": date.today().isoformat(),
                                                               "checklist_id": "cchc-so-nganh", "units": "10549"})
    assert wrong.status_code == 422 and "không áp dụng cho" in wrong.text


def test_admin_forms_a_team_and_adds_members(client):
    login(client, "sonoivu")
    plan = plan_of(client)
    created = post_form(client, f"/plans/{plan['id']}/teams",
                        {"name": "Đoàn kiểm tra số 2", "decision_number": "273/QĐ-UBND", "decision_date": "2026-02-20"})
    assert created.status_code == 303
    page = client.get(f"/plans/{plan['id']}").text
    team_id = page.split('action="/plans/%s/teams/' % plan["id"])[2].split("/")[0]
    not_lead = post_form(client, f"/plans/{plan['id']}/teams/{team_id}/members",
                         {"username": "kiemtravien", "role": "truong_doan"})
    assert not_lead.status_code == 422 and "Trưởng đoàn phải là" in not_lead.text
    ok = post_form(client, f"/plans/{plan['id']}/teams/{team_id}/members", {"username": "kiemtravien", "role": "thu_ky"})
    assert ok.status_code == 303
    assert "Đoàn kiểm tra số 2" in text_of(client.get(f"/plans/{plan['id']}").text)


def test_lead_opens_a_surprise_visit_today(client):
    login(client, "truongdoan")
    plan = plan_of(client)
    response = post_form(client, f"/plans/{plan['id']}/surprise", {"unit_code": "10525", "checklist_id": "mot-cua-dot-xuat"})
    assert response.status_code == 303
    visit_id = int(response.headers["location"].rsplit("/", 1)[1])
    visit = next(v for v in client.get("/api/v1/visits").json() if v["id"] == visit_id)
    assert visit["date"] == date.today().isoformat() and visit["checklist_id"] == "mot-cua-dot-xuat"
    page = text_of(client.get(f"/visits/{visit_id}").text)
    assert "Bộ phận Một cửa" in page or "một cửa" in page.lower()
    login(client, "kiemtravien")
    assert post_form(client, f"/plans/{plan['id']}/surprise", {"unit_code": "10525"}).status_code == 403
