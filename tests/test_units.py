"""The official unit list: shipped data, import, search without diacritics, departments."""

from __future__ import annotations

import asyncio
import unicodedata

import pytest
from conftest import followed, login, post_form
import dbchecks

from inspect_app.cli import main as cli
from inspect_app.db import open_database
from inspect_app.services.units_import import UnitsFileError, parse_units_csv, shipped_csv
from inspect_app.text import fold


def test_shipped_list_is_the_official_2025_list():
    units, provinces = parse_units_csv(shipped_csv())
    assert len(provinces) == 34
    assert len(units) == 3321
    kinds = [u.kind for u in units]
    assert (kinds.count("xa"), kinds.count("phuong"), kinds.count("dac_khu")) == (2621, 687, 13)
    hai_phong = [u for u in units if u.province_code == "31"]
    assert len(hai_phong) == 114
    assert all(len(u.code) == 5 and u.code.isdigit() for u in units)
    assert all(unicodedata.is_normalized("NFC", u.name) for u in units)


def test_fold_handles_tones_marks_and_d():
    assert fold("Thủy Nguyên") == fold("Thuỷ Nguyên") == fold("THUY NGUYEN") == "thuy nguyen"
    assert fold("Đặng Thị Hoà") == "dang thi hoa"
    assert fold(unicodedata.normalize("NFD", "Ứng Hòa")) == "ung hoa"


def test_cli_imports_hai_phong_114_units(empty_settings, monkeypatch, capsys):
    dbchecks.point_cli_at(monkeypatch, empty_settings)
    assert cli(["units", "import", "--province", "31"]) == 0
    assert "114" in capsys.readouterr().out
    # Idempotent: a second run inserts nothing and updates nothing.
    assert cli(["units", "import", "--province", "31"]) == 0
    assert "Đã nhập 0 đơn vị mới, cập nhật 0" in capsys.readouterr().out

    async def count():
        db = await open_database(empty_settings.database)
        try:
            row = await db.fetch_one("SELECT count(*) FROM units WHERE province_code = '31'")
            return row[0]
        finally:
            await db.close()

    assert asyncio.run(count()) == 114


def test_cli_refuses_a_bad_csv_naming_the_row(empty_settings, monkeypatch, tmp_path, capsys):
    dbchecks.point_cli_at(monkeypatch, empty_settings)
    bad = tmp_path / "units.csv"
    bad.write_text("code,name,kind,province_code,province_name\n11560,Phường Thủy Nguyên,phuong,31,Hải Phòng\n"
                   "123,Xã Lạ,xa,31,Hải Phòng\n", encoding="utf-8")
    assert cli(["units", "import", "--csv", str(bad)]) == 1
    err = capsys.readouterr().err
    assert "dòng 3" in err and "5 chữ số" in err


def test_csv_with_unknown_kind_is_refused():
    with pytest.raises(UnitsFileError, match="loại đơn vị"):
        parse_units_csv("code,name,kind,province_code,province_name\n11560,X,huyen,31,HP\n")


@pytest.mark.parametrize("query", ["thuy nguyen", "Thủy Nguyên", "THUỶ NGUYÊN",
                                   unicodedata.normalize("NFD", "thủy nguyên")])
def test_api_search_ignores_diacritics_case_and_normal_form(client, query):
    login(client, "kiemtravien")
    response = client.get("/api/v1/units", params={"province": "31", "q": query})
    assert response.status_code == 200
    codes = {u["code"] for u in response.json()}
    assert "11560" in codes
    unit = next(u for u in response.json() if u["code"] == "11560")
    assert unit == {"code": "11560", "name": unit["name"], "kind": "phuong", "province_code": "31"}
    assert fold(unit["name"]) == "phuong thuy nguyen"


def test_api_lists_the_114_hai_phong_units(client):
    login(client, "sonoivu")
    units = client.get("/api/v1/units", params={"province": "31", "limit": 500}).json()
    assert len(units) == 114


def test_unknown_unit_code_is_a_vietnamese_404(client):
    login(client, "sonoivu")
    response = client.get("/api/v1/units/99999")
    assert response.status_code == 404
    assert response.json() == {"error": "unknown_unit", "message": "Không có đơn vị mã 99999."}


def test_bad_query_parameters_are_400_json(client):
    login(client, "sonoivu")
    assert client.get("/api/v1/units", params={"province": "abc"}).status_code == 400
    response = client.get("/api/v1/units", params={"limit": "nhiều"})
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_input"


def test_units_page_search_returns_rows_fragment_for_htmx(client):
    login(client, "kiemtravien")
    page = client.get("/units", params={"q": "thuy nguyen"})
    assert "<html" in page.text and "11560" in page.text
    fragment = client.get("/units", params={"q": "thuy nguyen"}, headers={"HX-Request": "true"})
    assert "<html" not in fragment.text and "11560" in fragment.text
    assert fragment.headers["vary"] == "HX-Request"


def test_admin_adds_a_department_and_bad_input_is_explained(client):
    login(client, "sonoivu")
    bad = post_form(client, "/units/departments", {"code": "sở tư pháp", "name": "Sở Tư pháp", "province_code": "31"})
    shown = followed(client, bad).text  # back to the list (post/redirect/get), the field marked, the input kept
    assert "Mã sở, ngành gồm chữ in hoa" in shown and 'value="sở tư pháp"' in shown
    ok = post_form(client, "/units/departments", {"code": "H31.12", "name": "Sở Tư pháp", "province_code": "31"})
    assert ok.status_code == 303
    found = client.get("/api/v1/units", params={"q": "so tu phap"}).json()
    assert found == [{"code": "H31.12", "name": "Sở Tư pháp", "kind": "so_nganh", "province_code": "31"}]
    again = post_form(client, "/units/departments", {"code": "H31.12", "name": "Sở Tư pháp", "province_code": "31"})
    assert "đã có" in followed(client, again).text
