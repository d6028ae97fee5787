"""Excel and TOML round-trips, row-located import problems, and the export/import CLI."""

from __future__ import annotations

import os
import struct
import subprocess
import sys
import time
import unicodedata
import zipfile
from pathlib import Path

import msgspec
import openpyxl
import pytest

from inspect_app.checklists import (
    checklist_to_toml,
    decode_checklist,
    export_xlsx,
    import_xlsx,
    load_checklist_file,
    version_hash,
)
from inspect_app.checklists.model import Band, Level
from inspect_app.checklists.xlsx import (
    ITEM_COLUMNS,
    format_bands,
    format_levels,
    parse_bands,
    parse_levels,
)
from inspect_app.workbook_limits import MAX_WORKBOOK_BYTES, MAX_WORKBOOK_XML_BYTES, WorkbookRefused, check_workbook

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "tests" / "data" / "checklists"
REAL = sorted((ROOT / "checklists").glob("*.toml"))

MINI = DATA / "valid" / "mini.toml"


def run_cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """Run `python -m inspect_app.checklists.cli …` as a person would."""
    return subprocess.run(
        [sys.executable, "-m", "inspect_app.checklists.cli", *args],
        capture_output=True,
        text=True,
        encoding="utf-8",
        env={**os.environ, "PYTHONUTF8": "1", **(env or {})},
        cwd=ROOT,
        timeout=120,
    )


SOURCES = [MINI, *REAL]


def _column(key: str) -> int:
    return next(i for i, (k, _, _) in enumerate(ITEM_COLUMNS, start=1) if k == key)


def _header(key: str) -> str:
    return next(h for k, h, _ in ITEM_COLUMNS if k == key)


@pytest.fixture()
def mini_xlsx(tmp_path: Path) -> Path:
    path = tmp_path / "IN.xlsx"
    export_xlsx(load_checklist_file(MINI).checklist, path)
    return path


def _edit(path: Path, sheet: str, edits: dict[tuple[int, int], object]) -> None:
    workbook = openpyxl.load_workbook(path)
    for (row, column), value in edits.items():
        # cell(…, value=None) would leave the cell as it is; assigning clears it.
        workbook[sheet].cell(row=row, column=column).value = value
    workbook.save(path)


@pytest.mark.parametrize("source", SOURCES, ids=lambda p: p.name)
def test_export_import_gives_equal_checklist(source: Path, tmp_path: Path) -> None:
    checklist = load_checklist_file(source).checklist
    path = tmp_path / "out.xlsx"
    export_xlsx(checklist, path)
    back, problems = import_xlsx(path)
    assert problems == []
    assert back == checklist
    assert version_hash(back) == version_hash(checklist)


@pytest.mark.parametrize("source", SOURCES, ids=lambda p: p.name)
def test_toml_writer_round_trip(source: Path) -> None:
    checklist = load_checklist_file(source).checklist
    text = checklist_to_toml(checklist, comment="Dòng một\nDòng hai")
    assert text.startswith("# Dòng một\n# Dòng hai\n")
    assert decode_checklist(text, "written.toml") == checklist


def test_docs_example_round_trips(tmp_path: Path) -> None:
    doc = (ROOT / "docs" / "checklists.md").read_text(encoding="utf-8")
    example = decode_checklist(doc.split("```toml\n")[1].split("```")[0], "docs/checklists.md")
    export_xlsx(example, tmp_path / "doc.xlsx")
    assert import_xlsx(tmp_path / "doc.xlsx") == (example, [])


def test_decomposed_unicode_is_read_as_nfc(mini_xlsx: Path) -> None:
    decomposed = unicodedata.normalize("NFD", "Ghi chú của đoàn kiểm tra")
    _edit(mini_xlsx, "Tiêu chí", {(6, _column("text")): decomposed})
    checklist, problems = import_xlsx(mini_xlsx)
    assert problems == [] and checklist == load_checklist_file(MINI).checklist


def test_workbook_layout(mini_xlsx: Path) -> None:
    workbook = openpyxl.load_workbook(mini_xlsx)
    assert workbook.sheetnames == ["Thông tin", "Tiêu chí"]
    items = workbook["Tiêu chí"]
    assert items.freeze_panes == "A2"
    assert [c.value for c in items[1]] == [header for _, header, _ in ITEM_COLUMNS]
    assert items.max_row == 10  # header + 9 items
    assert items.column_dimensions["H"].width == 48
    assert items.cell(row=2, column=_column("text")).alignment.wrap_text
    row = {key: items.cell(row=3, column=_column(key)).value for key, _, _ in ITEM_COLUMNS}
    assert row["code"] == "1.1.2"
    assert (
        row["levels"]
        == "dat|Hoàn thành 100%|2; mot_phan|Hoàn thành từ 80% đến dưới 100%|1; khong_dat|Dưới 80%|0"
    )
    ratio = {key: items.cell(row=8, column=_column(key)).value for key, _, _ in ITEM_COLUMNS}
    assert ratio["code"] == "2.1.1" and ratio["bands"] == "0-80:0; 80-95:3; 95-100:6"
    count = {key: items.cell(row=10, column=_column(key)).value for key, _, _ in ITEM_COLUMNS}
    assert count["bands"] == "0-1:0; 1-3:2; 3-:4"
    info = {r[0].value: r[1].value for r in workbook["Thông tin"].iter_rows(min_row=2)}
    assert info["Mã bộ tiêu chí (id)"] == "mini-xa"
    assert info["Loại đơn vị áp dụng (unit_kinds)"] == "xa, phuong"


def test_cell_formats_round_trip() -> None:
    levels = [Level("a", "Nhãn; có chấm phẩy", 1.5), Level("b", "B|C", 0)]
    text = format_levels(levels)
    assert "\n" in text
    assert parse_levels(text) == [
        {"key": "a", "label": "Nhãn; có chấm phẩy", "points": 1.5},
        {"key": "b", "label": "B|C", "points": 0.0},
    ]
    bands = [Band(0, 1, 5.0), Band(5, 2.5)]
    assert format_bands(bands) == "0-5:1; 5-:2.5"
    assert parse_bands("0 – 5 : 1 ; 5- : 2,5") == [
        {"from": 0.0, "to": 5.0, "points": 1.0},
        {"from": 5.0, "points": 2.5},
    ]


def test_broken_number_names_sheet_row_and_column(mini_xlsx: Path) -> None:
    _edit(mini_xlsx, "Tiêu chí", {(4, _column("max_points")): "một rưỡi"})
    checklist, problems = import_xlsx(mini_xlsx)
    assert checklist is None
    (problem,) = problems
    assert problem.file == "IN.xlsx › Tiêu chí"
    assert problem.line == 4
    assert problem.code == "1.2.1"
    assert _header("max_points") in problem.message and "không phải là số" in problem.message
    assert str(problem).startswith("IN.xlsx › Tiêu chí:4: [1.2.1] Cột «Điểm tối đa (max_points)»")


def test_unknown_type_names_row(mini_xlsx: Path) -> None:
    _edit(mini_xlsx, "Tiêu chí", {(5, _column("type")): "ngày"})
    _, problems = import_xlsx(mini_xlsx)
    (problem,) = problems
    assert (problem.file, problem.line, problem.code) == ("IN.xlsx › Tiêu chí", 5, "1.2.2")
    assert 'Giá trị "ngày" của `type` không hợp lệ' in problem.message


def test_rule_broken_in_excel_names_row(mini_xlsx: Path) -> None:
    _edit(mini_xlsx, "Tiêu chí", {(3, _column("levels")): "dat|Đạt|3; khong|Không đạt|0"})
    _, problems = import_xlsx(mini_xlsx)
    (problem,) = problems
    assert (problem.file, problem.line, problem.code) == ("IN.xlsx › Tiêu chí", 3, "1.1.2")
    assert "vượt điểm tối đa 2" in problem.message


def test_malformed_bands_cell(mini_xlsx: Path) -> None:
    _edit(mini_xlsx, "Tiêu chí", {(8, _column("bands")): "0 đến 80: 0"})
    _, problems = import_xlsx(mini_xlsx)
    (problem,) = problems
    assert problem.line == 8 and "từ-đến:điểm" in problem.message


def test_conflicting_area_title(mini_xlsx: Path) -> None:
    _edit(mini_xlsx, "Tiêu chí", {(3, _column("area.title")): "Tên khác"})
    _, problems = import_xlsx(mini_xlsx)
    (problem,) = problems
    assert problem.line == 3 and "dòng 2" in problem.message and problem.code == "1"


def test_later_rows_may_leave_parent_cells_empty(mini_xlsx: Path) -> None:
    edits = {(row, _column(key)): None for row in (3, 4) for key in ("area.title", "area.max_points")}
    _edit(mini_xlsx, "Tiêu chí", edits)
    checklist, problems = import_xlsx(mini_xlsx)
    assert problems == [] and checklist == load_checklist_file(MINI).checklist


def test_missing_required_cell_and_unknown_column(mini_xlsx: Path) -> None:
    _edit(mini_xlsx, "Tiêu chí", {(6, _column("text")): None, (1, len(ITEM_COLUMNS) + 1): "Ghi chú riêng"})
    _, problems = import_xlsx(mini_xlsx)
    assert [(p.line, p.code) for p in problems] == [(1, None), (6, "1.2.3")]
    assert "Ghi chú riêng" in problems[0].message
    assert "đang trống" in problems[1].message


def test_empty_rows_are_skipped_and_comma_decimals_read(mini_xlsx: Path) -> None:
    workbook = openpyxl.load_workbook(mini_xlsx)
    sheet = workbook["Tiêu chí"]
    sheet.insert_rows(5)
    sheet.cell(row=4, column=_column("max_points"), value="1,5")
    workbook.save(mini_xlsx)
    checklist, problems = import_xlsx(mini_xlsx)
    assert problems == [] and checklist == load_checklist_file(MINI).checklist


def test_info_sheet_problem_names_row(mini_xlsx: Path) -> None:
    _edit(mini_xlsx, "Thông tin", {(2, 2): "Mini Xã"})
    _, problems = import_xlsx(mini_xlsx)
    (problem,) = problems
    assert (problem.file, problem.line) == ("IN.xlsx › Thông tin", 2)
    assert "Mã bộ tiêu chí (id)" in problem.message


def test_info_sheet_rating_band_row(mini_xlsx: Path) -> None:
    workbook = openpyxl.load_workbook(mini_xlsx)
    rows = [r for r in workbook["Thông tin"].iter_rows(min_row=2) if r[0].value.startswith("Xếp loại")]
    rows[2][1].value = 120
    target = rows[2][0].row
    workbook.save(mini_xlsx)
    _, problems = import_xlsx(mini_xlsx)
    (problem,) = problems
    assert (problem.file, problem.line) == ("IN.xlsx › Thông tin", target)
    assert "ngoài phạm vi 0 đến 100" in problem.message


def test_missing_sheet_and_not_a_workbook(tmp_path: Path) -> None:
    workbook = openpyxl.Workbook()
    workbook.active.title = "Thông tin"
    workbook.save(tmp_path / "a.xlsx")
    _, problems = import_xlsx(tmp_path / "a.xlsx")
    assert [p.file for p in problems] == ["a.xlsx › Tiêu chí"]
    (tmp_path / "b.xlsx").write_text("không phải Excel", encoding="utf-8")
    _, problems = import_xlsx(tmp_path / "b.xlsx")
    assert len(problems) == 1 and "Không mở được tệp Excel" in problems[0].message


# --- CLI ----------------------------------------------------------------------------------------------


def test_cli_export_then_import(tmp_path: Path) -> None:
    folder = tmp_path / "checklists"
    folder.mkdir()
    (folder / "mini.toml").write_text(MINI.read_text(encoding="utf-8"), encoding="utf-8")
    out = tmp_path / "mini.xlsx"
    result = run_cli(
        "checklist", "export-xlsx", "mini-xa", str(out), env={"INSPECT_CHECKLISTS_DIR": str(folder)}
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert out.exists() and "Đã xuất" in result.stdout
    toml = tmp_path / "back.toml"
    result = run_cli("checklist", "import-xlsx", str(out), str(toml))
    assert result.returncode == 0, result.stdout + result.stderr
    assert (
        decode_checklist(toml.read_text(encoding="utf-8"), "back.toml") == load_checklist_file(MINI).checklist
    )
    assert f"mã nội dung {load_checklist_file(MINI).version_hash}" in result.stdout


def test_cli_export_unknown_id_and_dir_option(tmp_path: Path) -> None:
    result = run_cli(
        "checklist", "export-xlsx", "khong-co", str(tmp_path / "x.xlsx"), "--dir", str(DATA / "valid")
    )
    assert result.returncode == 1
    assert 'Không tìm thấy bộ tiêu chí có id "khong-co"' in result.stdout and "mini-xa" in result.stdout
    assert not (tmp_path / "x.xlsx").exists()


def test_cli_export_invalid_file_prints_its_problems(tmp_path: Path) -> None:
    broken = DATA / "broken" / "area-sum.toml"
    result = run_cli(
        "checklist", "export-xlsx", "hong", str(tmp_path / "x.xlsx"), "--dir", str(broken.parent)
    )
    assert result.returncode == 1
    # Several broken files share the id "hong": the command refuses to guess.
    assert 'cùng id "hong"' in result.stdout


def test_cli_import_invalid_writes_nothing(mini_xlsx: Path, tmp_path: Path) -> None:
    _edit(mini_xlsx, "Tiêu chí", {(4, _column("max_points")): "một rưỡi"})
    out = tmp_path / "out.toml"
    result = run_cli("checklist", "import-xlsx", str(mini_xlsx), str(out))
    assert result.returncode == 1
    assert "IN.xlsx › Tiêu chí:4: [1.2.1]" in result.stdout
    assert f"chưa ghi {out}" in result.stdout
    assert not out.exists()


def test_cli_validate_accepts_workbooks(mini_xlsx: Path) -> None:
    result = run_cli("checklist", "validate", str(mini_xlsx), str(MINI))
    assert result.returncode == 0, result.stdout


# --- limits ------------------------------------------------------------------------------------------


def test_max_value_round_trips_through_excel(tmp_path: Path) -> None:
    checklist = load_checklist_file(MINI).checklist
    where = next((a, c, i) for a, area in enumerate(checklist.areas) for c, crit in enumerate(area.criteria)
                 for i, item in enumerate(crit.items) if item.type in ("count", "ratio", "deduction"))
    a, c, i = where
    area, crit = checklist.areas[a], checklist.areas[a].criteria[c]
    items = [*crit.items[:i], msgspec.structs.replace(crit.items[i], max_value=500), *crit.items[i + 1:]]
    criteria = [*area.criteria[:c], msgspec.structs.replace(crit, items=items), *area.criteria[c + 1:]]
    areas = [*checklist.areas[:a], msgspec.structs.replace(area, criteria=criteria), *checklist.areas[a + 1:]]
    edited = msgspec.structs.replace(checklist, areas=areas)
    export_xlsx(edited, tmp_path / "max.xlsx")
    back, problems = import_xlsx(tmp_path / "max.xlsx")
    assert problems == [] and back == edited
    assert back.areas[a].criteria[c].items[i].max_value == 500


SAMPLE_KEYS = """
id = "mau-ho-so"
title = "Mẫu hồ sơ: mọi dạng của when, columns và from_sample"
version = "2026.1"
unit_kinds = ["xa"]
legal_basis = ["Dữ liệu thử"]
max_points = 4

[[areas]]
code = "1"
title = "Một cửa"
max_points = 4

[[areas.criteria]]
code = "1.1"
title = "Mẫu hồ sơ"

[[areas.criteria.items]]
code = "1.1.1"
text = "Mẫu hồ sơ"
type = "sample"
min_rows = 2
max_rows = 15
columns = [
    { key = "ma_ho_so", label = "Mã hồ sơ", type = "text", required = true },
    { key = "linh_vuc", label = "Lĩnh vực | nhóm", type = "choice", choices = ["Hộ tịch", "Đất đai, xây dựng"] },
    { key = "ngay_hen_tra", label = "Ngày hẹn trả", type = "date", required = true },
    { key = "ngay_tra", label = "Ngày trả", type = "date" },
    { key = "so_ngay_tre", label = "Số ngày trễ", type = "number" },
    { key = "so_ngay_cho_phep", label = "Số ngày cho phép", type = "number" },
    { key = "phieu_xin_loi", label = "Có văn bản xin lỗi", type = "yesno" },
]

[[areas.criteria.items]]
code = "1.1.2"
text = "Số hồ sơ đất đai trễ hạn quá số ngày cho phép mà không có văn bản xin lỗi"
type = "count"
max_points = 0
bands = [{ from = 0, points = 0 }]
from_sample = { item = "1.1.1", count = [{ column = "linh_vuc", equals = "Đất đai, xây dựng" }, { column = "so_ngay_tre", gt_column = "so_ngay_cho_phep" }, { column = "phieu_xin_loi", yes = false }] }

[[areas.criteria.items]]
code = "1.1.3"
text = "Tỷ lệ hồ sơ trả đúng hạn"
type = "ratio"
max_points = 2
mode = "linear"
from_sample = { item = "1.1.1", numerator = [{ column = "ngay_tra", le_column = "ngay_hen_tra" }], denominator = [{ column = "ngay_tra", filled = true }] }

[[areas.criteria.items]]
code = "1.1.4"
text = "Có văn bản xin lỗi cho mọi hồ sơ trễ"
type = "yesno"
max_points = 1
when = { item = "1.1.2", min = 1 }

[[areas.criteria]]
code = "1.2"
title = "Chỉ áp dụng khi tỷ lệ đúng hạn từ 80%"
when = { item = "1.1.3", min = 80.5 }

[[areas.criteria.items]]
code = "1.2.1"
text = "Công khai kết quả"
type = "levels"
max_points = 1
levels = [{ key = "dat", label = "Đạt", points = 1 }, { key = "chua_dat", label = "Chưa đạt", points = 0 }]

[[areas.criteria.items]]
code = "1.2.2"
text = "Ghi chép"
type = "text"
when = { item = "1.2.1", in = ["dat", "chua_dat"] }
"""


def test_skip_logic_sample_columns_and_from_sample_round_trip_through_excel(tmp_path: Path) -> None:
    """Every form of the issue-17 keys survives export then import: `when` by equals, in and min (a decimal,
    on an item and on a criterion), columns of each type with choices (one holding a comma) and a label
    holding "|", from_sample for a ratio and for a count with equals, gt_column and yes tests."""
    checklist = decode_checklist(SAMPLE_KEYS, "mau-ho-so.toml")
    export_xlsx(checklist, tmp_path / "mau.xlsx")
    back, problems = import_xlsx(tmp_path / "mau.xlsx")
    assert problems == []
    assert back == checklist
    items = {item.code: item for item in back.items()}
    assert [c.type for c in items["1.1.1"].columns] == ["text", "choice", "date", "date", "number", "number", "yesno"]
    assert items["1.1.1"].columns[1].choices == ["Hộ tịch", "Đất đai, xây dựng"]
    assert len(items["1.1.2"].from_sample.count) == 3 and items["1.1.4"].when.min == 1
    assert back.areas[0].criteria[1].when.min == 80.5 and items["1.2.2"].when.in_ == ["dat", "chua_dat"]


def _bomb(path: Path, inflated: int, *, declared: int | None = None) -> Path:
    """A workbook-shaped ZIP whose one sheet inflates to `inflated` bytes; `declared` lies about it."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/worksheets/sheet1.xml", b" " * inflated)
    if declared is not None:  # patch the size in the local header and the central directory
        data = bytearray(path.read_bytes())
        for signature, offset in ((b"PK\x03\x04", 22), (b"PK\x01\x02", 24)):
            start = data.find(signature, data.find(b"sheet1") - 60 if signature == b"PK\x03\x04" else 0)
            while start != -1:
                struct.pack_into("<I", data, start + offset, declared)
                start = data.find(signature, start + 4)
        path.write_bytes(bytes(data))
    return path


@pytest.mark.parametrize("declared", [None, 1000], ids=["declared", "lying-directory"])
def test_a_workbook_that_inflates_beyond_the_limit_is_refused_before_parsing(tmp_path: Path, declared) -> None:
    bomb = _bomb(tmp_path / "bom.xlsx", MAX_WORKBOOK_XML_BYTES + 1024 * 1024, declared=declared)
    assert bomb.stat().st_size < 200_000  # small on disk, 21 MB once inflated
    started = time.perf_counter()
    checklist, problems = import_xlsx(bomb)
    assert time.perf_counter() - started < 1.0
    assert checklist is None and len(problems) == 1
    assert "Excel" in problems[0].message and problems[0].file == "bom.xlsx"
    if declared is None:
        assert "vượt giới hạn 20 MB" in problems[0].message


def test_a_workbook_over_the_upload_limit_is_refused(tmp_path: Path) -> None:
    big = tmp_path / "lon.xlsx"
    with zipfile.ZipFile(big, "w", zipfile.ZIP_STORED) as archive:
        archive.writestr("xl/media/image1.png", os.urandom(MAX_WORKBOOK_BYTES))
    with pytest.raises(WorkbookRefused, match="vượt giới hạn 5 MB"):
        check_workbook(big)
    result = run_cli("checklist", "import-xlsx", str(big), str(tmp_path / "out.toml"))
    assert result.returncode == 1 and "vượt giới hạn 5 MB" in result.stdout
    assert not (tmp_path / "out.toml").exists()
