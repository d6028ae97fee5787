"""The Sở Nội vụ's dashboard: progress, SVG charts, filters and a search blind to diacritics."""

from __future__ import annotations

import unicodedata

from bs4 import BeautifulSoup
from conftest import login
from reports_fixtures import SEARCH_NOTE, meta, rclient, reports_seed, rsettings  # noqa: F401 (fixtures)


def page(client, **params):
    response = client.get("/reports", params=params)
    assert response.status_code == 200, response.text
    return BeautifulSoup(response.text, "html.parser")


def search_lists(soup) -> tuple[list[str], list[str]]:
    section = soup.find(id="search-results")
    lists = []
    for heading in section.find_all("h3"):
        following = heading.find_next_sibling()
        lists.append([li.get_text(" ", strip=True) for li in following.find_all("li")] if following.name == "ul" else [])
    return lists[0], lists[1]


def test_progress_of_every_plan_and_charts_of_the_chosen_one(rclient, meta):
    login(rclient, "sonoivu")
    soup = page(rclient, plan=meta["current"]["plan_id"])
    row = next(tr for tr in soup.select("table.grid tbody tr") if "88/KH-UBND" in tr.get_text())
    assert [td.get_text(strip=True) for td in row.find_all("td")[1:4]] == ["6", "4", "4"]
    assert row.find("svg", attrs={"role": "img"})["aria-label"] == "4/6 đã ký duyệt, 4/6 đã kiểm tra"
    charts = soup.select("section.charts svg.chart")
    assert len(charts) == 3 and all(c.find("title") for c in charts)
    units_chart = charts[0].get_text(" ")
    assert "Phường Hải Dương" in units_chart and "Xã Nam Sách" in units_chart
    assert "Điểm trung bình theo lĩnh vực" in charts[1].find("title").get_text()


def test_search_ignores_diacritics_case_and_normal_form(rclient, meta):
    login(rclient, "sonoivu")
    plan = meta["current"]["plan_id"]
    for query in ("tan an", "TÂN AN", unicodedata.normalize("NFD", "Tân An")):
        names, _ = search_lists(page(rclient, plan=plan, q=query))
        assert any(n.startswith("Xã Tân An") for n in names), query
        assert not any("Thủy Nguyên" in n or "Tân Hưng" in n for n in names)
    _, hits = search_lists(page(rclient, plan=plan, q="niem yet cong khai"))
    assert any("Xã Tân An" in h and SEARCH_NOTE in h for h in hits)
    # An item's text finds the units that fell short on it.
    _, hits = search_lists(page(rclient, plan=plan, q="bao cao cai cach hanh chinh dinh ky"))
    assert sum("chưa đạt" in h for h in hits) >= 4
    nothing = page(rclient, plan=plan, q="khong co gi nhu the nay")
    assert "Không có đơn vị nào." in nothing.get_text() and "Không có kết quả nào." in nothing.get_text()


def test_filters_by_unit_kind_area_and_status(rclient, meta):
    login(rclient, "sonoivu")
    plan = meta["current"]["plan_id"]
    communes = page(rclient, plan=plan, kind="xa").select("section.charts svg.chart")[0].get_text(" ")
    assert "Xã Tân An" in communes and "Phường Hải Dương" not in communes
    area = page(rclient, plan=plan, area="3").select("section.charts svg.chart")
    assert "Tỷ lệ điểm lĩnh vực 3" in area[0].find("title").get_text()
    planned = page(rclient, plan=plan, status="planned")
    assert "chưa có cuộc kiểm tra nào được ký duyệt trong phạm vi đã lọc" in planned.get_text()
    assert page(rclient, plan=plan, province="31").select("section.charts svg.chart")


def test_common_shortcomings_show_the_criterion_not_a_bare_code(rclient, meta):
    """Issue 15: the chart's rows read "1.6.1" alone; now "code + criterion", the full text on hover, in the
    chart's description and in a table under it."""
    login(rclient, "sonoivu")
    soup = page(rclient, plan=meta["current"]["plan_id"])
    chart = soup.select("section.charts svg.chart")[2]
    rows = chart.find_all("g")
    assert rows
    for row in rows:
        label = row.find("text", attrs={"text-anchor": "end"}).get_text()
        code, _, words = label.partition(" ")
        assert code.count(".") == 2 and len(words) >= 5, label  # a code followed by its criterion
        full = row.find("title").get_text()
        assert full.startswith(label.rstrip("…")) and full.endswith("đơn vị")
    assert chart.find("desc").get_text().startswith(rows[0].find("title").get_text())
    table = chart.find_parent("figure").select_one("details.chart-data table")
    first = [td.get_text(strip=True) for td in table.select("tbody tr")[0].find_all("td")]
    assert rows[0].find("title").get_text().startswith(f"{first[0]} {first[1]}")
