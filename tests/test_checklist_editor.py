"""The checklist editor in the browser (Sở Nội vụ): drafts, field-level validation, publish, versions."""

from __future__ import annotations

import html
import re
from datetime import date, timedelta

import msgspec
import pytest
from conftest import PERSONAS, followed, login, post_form, text_of
import dbtarget
from litestar.testing import TestClient

from inspect_app.app import create_app
from inspect_app.checklists import export_xlsx
from inspect_app.workbook_limits import MAX_WORKBOOK_BYTES

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def current(client, checklist_id: str = "cchc-xa") -> dict:
    return next(c for c in client.get("/api/v1/checklists").json() if c["id"] == checklist_id and c["current"])


def start_draft(client, checklist_id: str = "cchc-xa") -> str:
    response = post_form(client, f"/checklists/{checklist_id}/drafts", {"from_version": current(client)["version"]})
    assert response.status_code == 303 and re.fullmatch(r"/checklists/[\w-]+/drafts/\d+", response.headers["location"])
    return response.headers["location"]


def draft_version(client, url: str) -> str:
    return re.search(r'name="draft_version" value="(\d+)"', client.get(url).text).group(1)


def field_block(page: str, node: str, key: str) -> str:
    """The HTML of one field of one node's form on the draft page."""
    form = page.split(f'/nodes/{node}"', 1)[1].split("</form>", 1)[0]
    return form.split(f'data-field="{key}"', 1)[1].split('<div class="field"', 1)[0]


@pytest.mark.parametrize("role", ["lead", "inspector", "unit"])
def test_only_the_so_noi_vu_edits_checklists(client, role):
    login(client, "sonoivu")
    url = start_draft(client)
    login(client, PERSONAS[role])
    assert client.get("/checklists/cchc-xa/edit").status_code == 403
    assert client.get(url).status_code == 403
    assert client.get(url + "/preview").status_code == 403
    assert post_form(client, url + "/publish", {"draft_version": "1"}).status_code == 403
    assert post_form(client, "/checklists/cchc-xa/drafts", {"from_version": "x"}).status_code == 403


def test_unknown_checklists_drafts_and_nodes_are_404(client):
    login(client, "sonoivu")
    assert client.get("/checklists/khong-co/edit").status_code == 404
    url = start_draft(client)
    assert client.get(url.replace("cchc-xa", "mot-cua-dot-xuat")).status_code == 404
    assert client.get("/checklists/cchc-xa/drafts/999999").status_code == 404
    v = draft_version(client, url)
    assert post_form(client, url + "/nodes/9.9.9", {"draft_version": v, "fields": "text", "text": "x"}).status_code == 404
    assert post_form(client, url + "/nodes/abc", {"draft_version": v}).status_code == 404
    missing = post_form(client, "/checklists/cchc-xa/drafts", {"from_version": "000000000000"})
    assert "không có phiên bản" in text_of(followed(client, missing).text)


def test_edit_fix_the_error_beside_the_field_publish_and_schedule_on_the_new_version(client, settings):
    login(client, "sonoivu")
    old = current(client)
    url = start_draft(client)
    # A point value changed: the area's maximum no longer matches; the message stands beside the field.
    saved = post_form(client, url + "/nodes/0.0.1", {"draft_version": draft_version(client, url),
                                                     "fields": "max_points", "max_points": "4,5"})
    page = followed(client, saved).text
    assert "Đã lưu vào bản nháp." in page
    assert "Điểm tối đa của lĩnh vực" in text_of(field_block(page, "0", "max_points"))
    assert "Mức cao nhất chỉ được 1,5 điểm" in text_of(field_block(page, "0.0.1", "levels"))
    assert "lỗi" in text_of(page) and re.search(r'<button class="btn btn-primary" type="submit" disabled>Công bố', page)
    refused = post_form(client, url + "/publish", {"draft_version": draft_version(client, url)})
    assert "còn" in text_of(followed(client, refused).text) and current(client)["version"] == old["version"]
    # The fix: the best level and the area's maximum follow, and the version gets a new label.
    area_max = re.search(r'name="max_points" value="([\d,]+)"', field_block(page, "0", "max_points")).group(1)
    item_before = client.get("/api/v1/checklists/cchc-xa").json()["checklist"]["areas"][0]["criteria"][0]["items"][1]
    levels = "\n".join(f"{lv['key']} | {lv['label']} | {4.5 if n == 0 else lv['points']}"
                       for n, lv in enumerate(item_before["levels"]))
    post_form(client, url + "/nodes/0.0.1", {"draft_version": draft_version(client, url), "fields": "levels",
                                             "levels": levels})
    new_area_max = float(area_max.replace(",", ".")) + 4.5 - item_before["max_points"]
    post_form(client, url + "/nodes/0", {"draft_version": draft_version(client, url), "fields": "max_points",
                                         "max_points": str(new_area_max)})
    fixed = followed(client, post_form(client, url + "/nodes/c", {
        "draft_version": draft_version(client, url), "fields": "version,max_points", "version": "2026.4",
        "max_points": ""})).text
    assert "field-error\">có lỗi" not in fixed and "field-error problem" not in fixed
    published = post_form(client, url + "/publish", {"draft_version": draft_version(client, url)})
    page = followed(client, published)
    assert "Đã công bố phiên bản 2026.4" in text_of(page.text)
    new = current(client)
    assert new["version"] != old["version"] and new["version_label"] == "2026.4"
    assert new["max_points"] == pytest.approx(old["max_points"] + 4.5 - item_before["max_points"])
    # The version page says what changed; the draft is gone.
    assert "Đổi điểm" in text_of(page.text) and client.get(url).status_code == 404
    diff = text_of(client.get(f"/checklists/cchc-xa/{new['version']}", params={"against": old["version"]}).text)
    assert f"{item_before['code']}:" in diff
    # Audited with a Vietnamese label.
    audit_page = text_of(client.get("/audit").text)
    assert "Công bố phiên bản bộ tiêu chí" in audit_page and "Sửa bản nháp bộ tiêu chí" in audit_page
    assert f"Thay đổi: sửa tiêu chí thành phần {item_before['code']}" in audit_page
    assert dbtarget.sql(settings, "SELECT count(*) FROM audit_log WHERE action = 'checklist.publish'")[0][0] == 1
    plan, team = dbtarget.sql(settings, "SELECT plan_id, id FROM teams ORDER BY id LIMIT 1")[0]
    unit = dbtarget.sql(settings, "SELECT code FROM units WHERE kind = 'xa' AND province_code = (SELECT province_code"
                                  " FROM units WHERE code = '11560') AND code NOT IN (SELECT unit_code FROM visits)"
                                  " ORDER BY code")[0][0]
    before = dict(tuple(r) for r in dbtarget.sql(settings, "SELECT id, checklist_version FROM visits"
                                                            " WHERE checklist_id = 'cchc-xa'"))
    # A visit scheduled now gets the new version; every older visit keeps its own.
    scheduled = post_form(client, f"/plans/{plan}/visits", {
        "team_id": str(team), "date": (date.today() + timedelta(days=7)).isoformat(), "checklist_id": "cchc-xa",
        "units": [unit]})
    assert "Đã lên lịch 1" in text_of(followed(client, scheduled).text)
    after = dict(tuple(r) for r in dbtarget.sql(settings, "SELECT id, checklist_version FROM visits"
                                                           " WHERE checklist_id = 'cchc-xa'"))
    new_visits = {k: v for k, v in after.items() if k not in before}
    assert list(new_visits.values()) == [new["version"]]
    assert {k: after[k] for k in before} == before and old["version"] in before.values()


def test_a_restart_keeps_the_version_published_in_the_browser(settings):
    with TestClient(create_app(settings)) as client:
        login(client, "sonoivu")
        url = start_draft(client)
        post_form(client, url + "/nodes/c", {"draft_version": draft_version(client, url), "fields": "version,title",
                                             "version": "2026.5", "title": "Bộ tiêu chí đã sửa trên trình duyệt"})
        followed(client, post_form(client, url + "/publish", {"draft_version": draft_version(client, url)}))
        published = current(client)["version"]
    with TestClient(create_app(settings)) as client:  # the files in checklists/ are unchanged: nothing imported
        login(client, "sonoivu")
        assert current(client)["version"] == published
        assert current(client)["title"] == "Bộ tiêu chí đã sửa trên trình duyệt"


def test_two_people_editing_at_once_the_stale_edit_is_refused(client):
    login(client, "sonoivu")
    url = start_draft(client)
    stale = draft_version(client, url)
    post_form(client, url + "/nodes/0.0.0", {"draft_version": stale, "fields": "text", "text": "Người thứ nhất"})
    second = post_form(client, url + "/nodes/0.0.0", {"draft_version": stale, "fields": "text",
                                                      "text": "Người thứ hai"})
    page = followed(client, second).text
    assert "vừa được người khác sửa" in text_of(page)
    # The field shows the newer draft; what the second person typed is kept beside it.
    assert "Người thứ nhất" in field_block(page, "0.0.0", "text")
    assert "Người thứ hai" in page.split('class="typed"', 1)[1].split("</details>", 1)[0]
    moved = post_form(client, url + "/structure", {"draft_version": stale, "node": "0.0.1", "op": "up"})
    assert "vừa được người khác sửa" in text_of(followed(client, moved).text)


def test_a_value_that_is_not_a_number_is_refused_beside_its_field_and_nothing_changes(client):
    login(client, "sonoivu")
    url = start_draft(client)
    v = draft_version(client, url)
    page = followed(client, post_form(client, url + "/nodes/0.0.1", {
        "draft_version": v, "fields": "max_points,evidence.kind", "max_points": "hai", "evidence.kind": "video"})).text
    assert "Nhập một số" in text_of(field_block(page, "0.0.1", "max_points"))
    assert "Chọn một trong" in text_of(field_block(page, "0.0.1", "evidence.kind"))
    assert draft_version(client, url) == v  # nothing saved


def test_reorder_add_and_remove(client):
    login(client, "sonoivu")
    url = start_draft(client)
    tree = client.get("/api/v1/checklists/cchc-xa").json()["checklist"]
    first, second = (i["code"] for i in tree["areas"][0]["criteria"][0]["items"][:2])
    moved = post_form(client, url + "/structure", {"draft_version": draft_version(client, url), "node": "0.0.1",
                                                   "op": "up"})
    assert moved.headers["location"].endswith("open=0.0.0#node-0.0.0")
    page = client.get(url).text
    assert page.index(f"<code>{second}</code>") < page.index(f"<code>{first}</code>")
    added = post_form(client, url + "/structure", {"draft_version": draft_version(client, url), "node": "0.0",
                                                   "op": "add"})
    assert "Tiêu chí thành phần mới" in client.get(added.headers["location"]).text
    removed = post_form(client, url + "/structure", {"draft_version": draft_version(client, url), "node": "0.0.0",
                                                     "op": "remove"})
    assert f"<code>{second}</code>" not in client.get(removed.headers["location"]).text
    assert post_form(client, url + "/structure", {"draft_version": draft_version(client, url), "node": "0",
                                                  "op": "explode"}).status_code == 400


def test_the_preview_uses_the_visit_card(client):
    login(client, "sonoivu")
    url = start_draft(client)
    page = client.get(url + "/preview").text
    assert 'class="item-card' in page and "Hướng dẫn kiểm tra" in page
    assert "<fieldset class=\"answer\" disabled>" in page


def test_a_workbook_upload_makes_a_draft_as_import_xlsx_reads_it(client, tmp_path):
    from inspect_app.checklists import load_checklist_file
    from inspect_app.settings import ROOT

    login(client, "sonoivu")
    path = tmp_path / "cchc-xa.xlsx"
    export_xlsx(load_checklist_file(ROOT / "checklists" / "cchc-xa.toml").checklist, path)
    uploaded = client.post("/checklists/cchc-xa/drafts/workbook", files={"file": ("cchc-xa.xlsx", path.read_bytes(), XLSX)},
                           data={"_csrf_token": client.cookies["csrftoken"]}, follow_redirects=False)
    assert uploaded.status_code == 303 and "/drafts/" in uploaded.headers["location"]
    assert "Bản nháp" in client.get(uploaded.headers["location"]).text
    # The same file under another checklist's page, a file that is no workbook, one over the size limit.
    for checklist_id, content, message in (
            ("mot-cua-dot-xuat", path.read_bytes(), "không phải"),
            ("cchc-xa", b"not a zip", "lỗi"),
            ("cchc-xa", b"0" * (MAX_WORKBOOK_BYTES + 10), "vượt giới hạn")):
        refused = client.post(f"/checklists/{checklist_id}/drafts/workbook",
                              files={"file": ("x.xlsx", content, XLSX)},
                              data={"_csrf_token": client.cookies["csrftoken"]}, follow_redirects=False)
        assert refused.status_code == 303 and refused.headers["location"].startswith(f"/checklists/{checklist_id}/edit")
        assert message in text_of(client.get(refused.headers["location"]).text), checklist_id


def test_a_draft_older_than_the_current_version_says_so(client):
    login(client, "sonoivu")
    first, second = start_draft(client), start_draft(client)
    assert "được công bố sau khi bản nháp này được tạo" not in text_of(client.get(second).text)
    post_form(client, first + "/nodes/c", {"draft_version": draft_version(client, first), "fields": "version",
                                           "version": "2026.8"})
    followed(client, post_form(client, first + "/publish", {"draft_version": draft_version(client, first)}))
    assert "được công bố sau khi bản nháp này được tạo" in text_of(client.get(second).text)


def test_a_draft_is_never_offered_to_a_visit(client):
    login(client, "sonoivu")
    url = start_draft(client)
    post_form(client, url + "/nodes/c", {"draft_version": draft_version(client, url), "fields": "version",
                                         "version": "2099.1"})
    assert "2099.1" in client.get(url).text
    assert all(c["version_label"] != "2099.1" for c in client.get("/api/v1/checklists").json())
    plan = client.get("/api/v1/plans").json()[0]
    assert "2099.1" not in client.get(f"/plans/{plan['id']}").text


def test_an_uploaded_file_name_cannot_leave_its_folder():
    from inspect_app.services.checklist_drafts import safe_workbook_name

    assert safe_workbook_name("../../etc/x.xlsx") == "x.xlsx"
    assert safe_workbook_name("..") == safe_workbook_name("") == safe_workbook_name("a\x00.txt") == "bo-tieu-chi.xlsx"
    assert safe_workbook_name("C:\\Users\\Bộ tiêu chí 2026.xlsx") == "Bộ tiêu chí 2026.xlsx"


def test_deleting_a_draft(client):
    login(client, "sonoivu")
    url = start_draft(client)
    gone = post_form(client, url + "/delete", {"draft_version": draft_version(client, url)})
    assert "Đã xóa bản nháp" in text_of(followed(client, gone).text) and client.get(url).status_code == 404


def test_a_condition_is_edited_and_its_errors_stand_beside_the_when_field(client):
    login(client, "sonoivu")
    url = start_draft(client)
    tree = client.get("/api/v1/checklists/cchc-xa").json()["checklist"]
    nodes = [(f"{a}.{c}.{i}", item) for a, area in enumerate(tree["areas"]) for c, crit in enumerate(area["criteria"])
             for i, item in enumerate(crit["items"])]
    controller_at = next(n for n, (_, item) in enumerate(nodes) if item["type"] == "yesno")
    controller = nodes[controller_at][1]["code"]
    target, later = nodes[controller_at + 1][0], nodes[controller_at + 2][1]["code"]
    # Pointing forward: refused by the validator, beside the field.
    page = followed(client, post_form(client, f"{url}/nodes/{target}", {
        "draft_version": draft_version(client, url), "fields": "when",
        "when": '{"item": "%s", "equals": "yes"}' % later})).text
    assert field_block(page, target, "when").count("field-error problem") >= 1
    # Pointing back at a yes/no item: accepted, and the diff of the draft names the new key.
    page = followed(client, post_form(client, f"{url}/nodes/{target}", {
        "draft_version": draft_version(client, url), "fields": "when",
        "when": '{"item": "%s", "equals": "yes"}' % controller})).text
    assert "field-error problem" not in field_block(page, target, "when")
    assert "Đổi when" in text_of(page)


def test_a_sample_column_is_added_in_its_multiline_field(client):
    """The column list is a textarea (an input would fold its lines into one and lose every column but the
    first on the next save); a line added there is a new column of the draft's sample."""
    login(client, "sonoivu")
    url = start_draft(client)
    tree = client.get("/api/v1/checklists/cchc-xa").json()["checklist"]
    node, sample = next((f"{a}.{c}.{i}", item) for a, area in enumerate(tree["areas"])
                        for c, crit in enumerate(area["criteria"]) for i, item in enumerate(crit["items"])
                        if item["type"] == "sample")
    block = field_block(client.get(f"{url}?open={node}").text, node, "columns")
    typed = html.unescape(re.search(r"<textarea[^>]*name=\"columns\"[^>]*>(.*?)</textarea>", block, re.S).group(1))
    assert typed.splitlines()[0] == "ma_ho_so | Mã hồ sơ | text | x"
    assert len(typed.splitlines()) == len(sample["columns"])
    page = followed(client, post_form(client, f"{url}/nodes/{node}", {
        "draft_version": draft_version(client, url), "fields": "columns",
        "columns": typed + "\nso_ngay_tre | Số ngày trễ | number"})).text
    block = field_block(page, node, "columns")
    assert "field-error" not in block and "Số ngày trễ | number</textarea>" in block
    assert "Đổi columns" in text_of(page) and "so_ngay_tre" in text_of(page)


def test_columns_a_line_cannot_hold_are_edited_as_json():
    """A label with "|" or a choice with a comma cannot be one `key | label | …` line: the field shows the
    columns as JSON, and saving that text back changes nothing."""
    from inspect_app.checklists import editing, load_checklist_file
    from inspect_app.settings import ROOT

    checklist = load_checklist_file(ROOT / "checklists" / "cchc-xa.toml").checklist
    node = next((a, c, i) for a, area in enumerate(checklist.areas) for c, crit in enumerate(area.criteria)
                for i, item in enumerate(crit.items) if item.type == "sample")
    spec = next(s for s in editing.ITEM_FIELDS if s.key == "columns")
    lines = editing.field_text(editing.node_at(checklist, node), spec)
    tricky = editing.apply_fields(checklist, node, {"fields": "columns", "columns": lines + (
        '\nlinh_vuc | Lĩnh vực | choice | | Hộ tịch, Đất đai')})
    tricky_item = editing.node_at(tricky, node)
    choice = tricky_item.columns[-1]
    assert choice.choices == ["Hộ tịch", "Đất đai"] and not editing.field_text(tricky_item, spec).startswith("[")
    odd = msgspec.structs.replace(choice, label="Lĩnh vực | nhóm", choices=["Hộ tịch", "Đất đai, xây dựng"])
    edited = editing.replace_node(tricky, node, msgspec.structs.replace(tricky_item, columns=[*tricky_item.columns[:-1], odd]))
    shown = editing.field_text(editing.node_at(edited, node), spec)
    assert shown.startswith("[")
    assert editing.apply_fields(edited, node, {"fields": "columns", "columns": shown}) == edited
    with pytest.raises(editing.EditError) as refused:
        editing.apply_fields(edited, node, {"fields": "columns", "columns": shown[:-1]})
    assert "JSON" in refused.value.errors["columns"]


def test_a_condition_is_typed_as_in_the_excel_cell():
    """`1.1.1 = yes`, `1.1.2 in dat, dat_mot_phan`, `3.2.3 >= 1`: the field shows a condition so and reads it
    back (JSON still reads); a line that is neither is refused beside the field, naming the three forms."""
    from inspect_app.checklists import editing, load_checklist_file
    from inspect_app.settings import ROOT

    checklist = load_checklist_file(ROOT / "checklists" / "cchc-xa.toml").checklist
    checklist, node = editing.add_child(checklist, (0, 6))
    spec = next(s for s in editing.ITEM_FIELDS if s.key == "when")
    for typed, shown in (("1.7.1 = yes", "1.7.1 = yes"), ("1.1.2  in  dat,dat_mot_phan", "1.1.2 in dat, dat_mot_phan"),
                         ("1.4.1 >= 1,5", "1.4.1 >= 1.5"), ('{"item": "1.7.1", "equals": "no"}', "1.7.1 = no")):
        edited = editing.apply_fields(checklist, node, {"fields": "when", "when": typed})
        assert editing.field_text(editing.node_at(edited, node), spec) == shown, typed
        assert editing.apply_fields(edited, node, {"fields": "when", "when": shown}) == edited
    cleared = editing.apply_fields(edited, node, {"fields": "when", "when": "  "})
    assert editing.node_at(cleared, node).when is None
    with pytest.raises(editing.EditError) as refused:
        editing.apply_fields(checklist, node, {"fields": "when", "when": "1.7.1 == yes"})
    assert "«mã = giá trị»" in refused.value.errors["when"]
