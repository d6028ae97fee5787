"""Teams and visit scheduling by the Sở Nội vụ; surprise visits opened by a lead."""

from __future__ import annotations

from datetime import date, timedelta

from conftest import followed, login, post_form, run, text_of


def plan_of(client):
    return client.get("/api/v1/plans").json()[0]


def test_admin_schedules_many_units_at_once(client):
    login(client, "sonoivu")
    plan = plan_of(client)
    page = client.get(f"/plans/{plan['id']}")
    assert "Lên lịch kiểm tra" in page.text and "104 chưa có lịch" in page.text
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
    assert "Đã có lịch kiểm tra" in followed(client, again).text
    assert not any(v["unit_code"] == "10546" for v in client.get("/api/v1/visits").json())


def test_scheduling_explains_bad_input(client):
    login(client, "sonoivu")
    plan = plan_of(client)
    team_id = client.get(f"/plans/{plan['id']}").text.split('name="team_id"><option value="')[1].split('"')[0]
    outside = post_form(client, f"/plans/{plan['id']}/visits",
                        {"team_id": team_id, "date": "2001-01-01", "checklist_id": "cchc-xa", "units": "10549"})
    assert "trong thời gian của kế hoạch" in followed(client, outside).text
    nothing = post_form(client, f"/plans/{plan['id']}/visits",
                        {"team_id": team_id, "date": date.today().isoformat(), "checklist_id": "cchc-xa"})
    assert "ít nhất một đơn vị" in followed(client, nothing).text
    wrong = post_form(client, f"/plans/{plan['id']}/visits", {"team_id": team_id, "date": date.today().isoformat(),
                                                               "checklist_id": "cchc-so-nganh", "units": "10549"})
    assert "không áp dụng cho" in followed(client, wrong).text


def test_admin_forms_a_team_and_adds_members(client):
    login(client, "sonoivu")
    plan = plan_of(client)
    created = post_form(client, f"/plans/{plan['id']}/teams",
                        {"name": "Đoàn kiểm tra số 2", "decision_number": "273/QĐ-UBND", "decision_date": "2026-02-20"})
    assert created.status_code == 303
    page = client.get(f"/plans/{plan['id']}").text
    team_id = page.split('class="card" id="team-')[2].split('"')[0]
    not_lead = post_form(client, f"/plans/{plan['id']}/teams/{team_id}/members",
                         {"username": "kiemtravien", "role": "truong_doan"})
    assert "Trưởng đoàn phải là" in followed(client, not_lead).text
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


# ---------------------------------------------------------------------------------------------- issue 15


def schedule_form(html: str) -> str:
    return html.split('id="schedule"')[1].split("</details>")[0]


def selected_checklist(html: str) -> str:
    select = schedule_form(html).split('id="s-checklist"')[1].split("</select>")[0]
    return select.split(" selected")[0].rsplit('value="', 1)[1].split('"')[0]


def test_the_checklist_defaults_to_the_listed_units_kind_and_the_defaults_schedule(client):
    """The list shows communes: the form starts on the commune checklist, and sending what it
    starts with (plus a unit and a date) schedules the visit instead of refusing it."""
    login(client, "sonoivu")
    plan = plan_of(client)
    page = client.get(f"/plans/{plan['id']}").text
    assert selected_checklist(page) == "cchc-xa"
    team_id = page.split('name="team_id"><option value="')[1].split('"')[0]
    day = (date.today() + timedelta(days=21)).isoformat()
    response = post_form(client, f"/plans/{plan['id']}/visits", {
        "team_id": team_id, "date": day, "checklist_id": selected_checklist(page), "units": ["10549"]})
    assert response.status_code == 303 and "Đã lên lịch 1 cuộc kiểm tra" in followed(client, response).text


def test_a_kind_mismatch_is_one_clear_sentence_that_names_the_fitting_checklist(client):
    login(client, "sonoivu")
    plan = plan_of(client)
    page = client.get(f"/plans/{plan['id']}").text
    team_id = page.split('name="team_id"><option value="')[1].split('"')[0]
    free = [c.split('"')[0] for c in schedule_form(page).split('name="units" value="')[1:]]
    response = post_form(client, f"/plans/{plan['id']}/visits", {
        "team_id": team_id, "date": date.today().isoformat(), "checklist_id": "cchc-so-nganh", "units": free})
    shown = followed(client, response)
    assert shown.status_code == 200
    message = text_of(shown.text.split('role="alert">')[1].split("</p>")[0])
    assert "không áp dụng cho 104 đơn vị" in message and "và 99 đơn vị khác" in message
    assert "Hãy chọn bộ tiêu chí “Bộ tiêu chí kiểm tra công tác cải cách hành chính của UBND xã" in message
    assert len(message) < 400
    # What was ticked is still ticked; nothing was scheduled.
    assert schedule_form(shown.text).count("checked") == 104
    assert not [v for v in client.get("/api/v1/visits", params={"plan": plan["id"]}).json()
                if v["unit_code"] == free[0]]


def test_unit_search_ignores_diacritics_and_select_all_ticks_what_is_shown(client):
    """Without JavaScript: ?q= narrows the list (không dấu), ?all=1 ticks every unit it shows."""
    login(client, "sonoivu")
    plan = plan_of(client)
    found = schedule_form(client.get(f"/plans/{plan['id']}", params={"q": "vinh"}).text)
    shown = [part for part in found.split('<label class="unit-option"')[1:] if " hidden>" not in part.split(">")[0] + ">"]
    names = [text_of(part.split("</label>")[0].split(">", 1)[1]) for part in shown]
    assert names and all("Vĩnh" in n or "Vinh" in n for n in names), names
    assert "Chọn tất cả %d đơn vị đang hiển thị" % len(names) in found
    ticked = schedule_form(client.get(f"/plans/{plan['id']}", params={"q": "vinh", "all": "1"}).text)
    assert ticked.count(" checked>") == len(names)


def test_add_member_offers_only_people_not_yet_in_the_team(client):
    login(client, "sonoivu")
    plan = plan_of(client)
    page = client.get(f"/plans/{plan['id']}").text
    team = page.split('class="card" id="team-')[1]
    team_id = team.split('"')[0]
    # Đoàn kiểm tra số 1 has truongdoan and kiemtravien: every staff account is already in it.
    assert 'value="truongdoan"' not in team.split("</div>")[0] and 'value="kiemtravien"' not in team.split("</div>")[0]
    again = post_form(client, f"/plans/{plan['id']}/teams/{team_id}/members", {"username": "kiemtravien", "role": "thu_ky"})
    assert "đã ở trong Đoàn kiểm tra số 1" in text_of(followed(client, again).text)
    roles = {m["username"]: m["role"] for t in client.get(f"/api/v1/plans/{plan['id']}").json().get("teams", [])
             for m in t.get("members", [])}
    assert roles.get("kiemtravien", "thanh_vien") == "thanh_vien"  # the refusal changed nothing


def test_a_refused_form_redirects_so_a_reload_does_not_post_again(client):
    login(client, "sonoivu")
    plan = plan_of(client)
    team_id = client.get(f"/plans/{plan['id']}").text.split('name="team_id"><option value="')[1].split('"')[0]
    response = post_form(client, f"/plans/{plan['id']}/visits",
                         {"team_id": team_id, "date": "2001-01-01", "checklist_id": "cchc-xa", "units": "10549"})
    assert response.status_code == 303 and response.headers["location"].startswith(f"/plans/{plan['id']}?flash=")
    page = followed(client, response).text
    assert "trong thời gian của kế hoạch" in page
    # What was typed is kept: the date, and the ticked unit.
    assert 'value="2001-01-01"' in schedule_form(page) and 'value="10549" data-kind="phuong" checked' in page
    # Reloading is a GET: the same message, nothing posted.
    assert "trong thời gian của kế hoạch" in client.get(response.headers["location"]).text
    # Another user cannot read someone else's note.
    login(client, "truongdoan")
    assert "trong thời gian của kế hoạch" not in client.get(response.headers["location"]).text


def test_scheduling_rules_as_plain_functions():
    """The rules behind the form: folding search, default and fitting checklist, short lists."""
    from pathlib import Path

    from inspect_app.checklists.loader import load_checklists
    from inspect_app.models import Unit
    from inspect_app.services import scheduling
    from inspect_app.services.visits import code_list

    loaded = load_checklists(Path(__file__).resolve().parent.parent / "checklists")
    communes = [Unit("11560", "Phường Thủy Nguyên", "phuong", "31"), Unit("11755", "Xã Tiên Lãng", "xa", "31"),
                Unit("11914", "Đặc khu Cát Hải", "dac_khu", "31")]
    department = Unit("S01", "Sở Nội vụ", "so_nganh", "31")
    assert scheduling.default_checklist(loaded, communes).checklist.id == "cchc-xa"
    assert scheduling.default_checklist(loaded, [department]).checklist.id == "cchc-so-nganh"
    assert scheduling.fitting_checklist(loaded, communes).checklist.id == "cchc-xa"
    assert scheduling.fitting_checklist(loaded, [*communes, department]).checklist.id == "mot-cua-dot-xuat"
    assert [u.code for u in scheduling.matching_units(communes, "thuy nguyen")] == ["11560"]
    assert [u.code for u in scheduling.matching_units(communes, "  CÁT  hai ")] == ["11914"]
    assert [u.code for u in scheduling.matching_units(communes, "117")] == ["11755"]
    assert len(scheduling.matching_units(communes, "")) == 3
    assert scheduling.names_list(["A", "B", "C", "D", "E", "F", "G"]) == "A, B, C, D, E và 2 đơn vị khác"
    assert code_list([str(n) for n in range(14)]) == "0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11 và 2 tiêu chí khác"
    assert code_list(["1.1.1", "1.1.2"]) == "1.1.1, 1.1.2"


def test_flash_notes_belong_to_their_user_and_expire(empty_settings):
    import msgspec

    from inspect_app.db import Database
    from inspect_app.web.flash import Flash, FlashStore, with_token

    async def notes() -> None:
        db = await Database.open(empty_settings.db_path)
        try:
            store = FlashStore(db, ttl=60, limit=2)
            token = await store.put(1, Flash(kind="error", message="Sai"))
            assert (await store.get(1, token)).message == "Sai" and await store.get(2, token) is None
            await store.put(1, Flash(kind="success", message="b"))
            await store.put(1, Flash(kind="success", message="c"))
            assert await store.get(1, token) is None  # the oldest made room
            expired = FlashStore(db, ttl=-1)
            assert await expired.get(1, await expired.put(1, Flash(kind="error", message="x"))) is None
            await store.put(1, Flash(kind="success", message="d"))  # the expired note goes as a new one is written
            left = await db.fetch_all("SELECT body_json FROM flash_notes ORDER BY expires_at")
            assert [msgspec.json.decode(r[0])["message"] for r in left] == ["c", "d"]
        finally:
            await db.close()
    run(notes())
    assert with_token("/plans/1?q=vinh#schedule", "T") == "/plans/1?q=vinh&flash=T#schedule"
    assert with_token("/visits/3", "T") == "/visits/3?flash=T"
