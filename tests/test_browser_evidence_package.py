"""The unit's officer gets its evidence package in Chromium: from the visit page to a ZIP on disk."""

from __future__ import annotations

import zipfile

import pytest
from browser import ARTIFACTS, log_in

pytestmark = pytest.mark.browser


def test_the_unit_officer_downloads_its_evidence_package(browser, server, tmp_path):
    from playwright.sync_api import expect

    context = browser.new_context(viewport={"width": 768, "height": 1024}, accept_downloads=True)
    page = context.new_page()
    log_in(page, server, "dv10532")
    visit = next(v for v in page.request.get(server.url + "/api/v1/visits").json() if v["unit_code"] == "10532")
    page.goto(f"{server.url}/visits/{visit['id']}")
    page.get_by_role("link", name="Hồ sơ tài liệu kiểm chứng (ZIP)").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Hồ sơ tài liệu kiểm chứng")
    expect(page.locator("main")).to_contain_text("66/68 tiêu chí đủ tài liệu kiểm chứng")
    # One click: the package downloads by itself when its job finishes (the link stays as a fallback).
    with page.expect_download(timeout=30000) as info:
        page.get_by_role("button", name="Tạo hồ sơ").click()
    expect(page.get_by_role("link", name="Tải xuống")).to_be_visible()
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "evidence-package-768.png"), full_page=True)
    target = tmp_path / info.value.suggested_filename
    info.value.save_as(target)
    assert target.name.startswith("ho-so-kiem-chung-10532-") and target.suffix == ".zip"
    archive = zipfile.ZipFile(target)
    assert archive.testzip() is None
    assert "danh-muc-tai-lieu-kiem-chung.xlsx" in archive.namelist()
    assert sum(1 for n in archive.namelist() if "/" in n) >= 60
    # Back on the page, the latest package is offered for download without building it again.
    page.reload()
    expect(page.get_by_role("link", name="Tải hồ sơ (ZIP)")).to_be_visible()
    context.close()
