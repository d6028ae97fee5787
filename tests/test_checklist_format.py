"""Checklist format: loading, version hashes, every validation rule, the docs example, `validate` CLI."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import msgspec
import pytest

from inspect_app.checklists import (
    Checklist,
    ChecklistError,
    Problem,
    checklist_from_json,
    checklist_to_json,
    decode_checklist,
    load_checklist_file,
    load_checklists,
    validate_source,
    version_hash,
)
from inspect_app.checklists.model import Area, Criterion, Item
from inspect_app.checklists.validate import parse_error_path, split_path

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(__file__).resolve().parent / "data" / "checklists"
VALID = DATA / "valid" / "mini.toml"
BROKEN = sorted((DATA / "broken").glob("*.toml"))
REAL = sorted((ROOT / "checklists").glob("*.toml"))
MARKER = "# <-- lỗi"


def _expectations(source: str) -> tuple[str, str | None, int | None]:
    """Read `# expect: …`, `# expect-code: …` and the line marked `# <-- lỗi` of a broken file."""
    meta = dict(re.findall(r"^# (expect(?:-code)?): (.*)$", source, flags=re.M))
    marked = [n for n, line in enumerate(source.splitlines(), start=1) if line.endswith(MARKER)]
    assert len(marked) <= 1
    return meta["expect"], meta.get("expect-code"), marked[0] if marked else None


def test_valid_file_loads() -> None:
    loaded = load_checklist_file(VALID)
    assert loaded.checklist.id == "mini-xa"
    assert len(loaded.checklist.items()) == 9
    assert re.fullmatch(r"[0-9a-f]{12}", loaded.version_hash)
    assert loaded.path == VALID
    assert loaded.source == VALID.read_text(encoding="utf-8")


def test_there_is_one_broken_file_per_rule() -> None:
    assert len(BROKEN) >= 60


@pytest.mark.parametrize("path", BROKEN, ids=lambda p: p.stem)
def test_broken_file_gives_exactly_its_problem(path: Path) -> None:
    source = path.read_text(encoding="utf-8")
    expect, code, line = _expectations(source)
    checklist, problems = validate_source(source, path.name)
    assert checklist is None
    assert len(problems) == 1, "\n".join(map(str, problems))
    problem = problems[0]
    assert expect in problem.message
    assert problem.code == code
    assert problem.line == line
    assert problem.file == path.name


@pytest.mark.parametrize("path", BROKEN, ids=lambda p: p.stem)
def test_broken_file_raises_on_load(path: Path) -> None:
    with pytest.raises(ChecklistError) as info:
        load_checklist_file(path)
    assert info.value.problems and str(path) in str(info.value)


def test_problem_str() -> None:
    assert str(Problem("a.toml", 12, "1.2.3", "Sai.")) == "a.toml:12: [1.2.3] Sai."
    assert str(Problem("a.toml", None, None, "Sai.")) == "a.toml: Sai."
    assert str(Problem("a.xlsx › Tiêu chí", 4, None, "Sai.")) == "a.xlsx › Tiêu chí:4: Sai."


def test_messages_are_vietnamese_and_say_how_to_fix() -> None:
    # Every rule's message names a fix: "hãy …", an example, or the allowed range.
    for path in BROKEN:
        _, problems = validate_source(path.read_text(encoding="utf-8"), path.name)
        message = problems[0].message
        assert re.search(r"hãy|ví dụ|phải|cần|chỉ được|không được|phạm vi", message, flags=re.I), message


def test_decode_checklist_raises_with_all_problems() -> None:
    source = VALID.read_text(encoding="utf-8")
    assert decode_checklist(source, "mini.toml").id == "mini-xa"
    broken = source.replace('version = "2026.1"', 'version = ""').replace('id = "mini-xa"', 'id = "Mini"')
    with pytest.raises(ChecklistError) as info:
        decode_checklist(broken, "mini.toml")
    assert len(info.value.problems) == 2


def test_several_problems_are_all_reported_in_line_order() -> None:
    source = VALID.read_text(encoding="utf-8")
    area_one = 'title = "Công tác chỉ đạo, điều hành"\nmax_points = 6\n'
    broken = source.replace(area_one, area_one.replace("6", "6.5")).replace(
        "per_violation = 0.5", "per_violation = 0"
    )
    _, problems = validate_source(broken, "mini.toml")
    # The checklist's total (20) no longer matches the areas (20.5) either.
    assert [p.code for p in problems] == [None, "1", "1.2.4"]
    lines = [p.line for p in problems]
    assert None not in lines and lines == sorted(lines)


def test_syntax_error_at_end_of_document() -> None:
    source = VALID.read_text(encoding="utf-8") + "bands = [\n    { from = 0, points = 1 },\n"
    _, problems = validate_source(source, "x.toml")
    assert len(problems) == 1
    assert problems[0].line == source.count("\n")
    assert "Lỗi cú pháp TOML" in problems[0].message


def test_rating_bands_as_tables_are_located() -> None:
    source = VALID.read_text(encoding="utf-8")
    start = source.index("rating_bands = [")
    end = source.index("]\n", start) + 2
    tables = (
        '[[rating_bands]]\nmin_percent = 0\nlabel = "Yếu"\n\n'
        '[[rating_bands]]\nmin_percent = 140\nlabel = "Tốt"\n\n'
    )
    source = source[:start] + source[end:] + "\n" + tables
    _, problems = validate_source(source, "x.toml")
    assert len(problems) == 1
    lines = source.splitlines()
    assert lines[problems[0].line - 1] == "min_percent = 140"


def test_type_error_in_evidence_table_points_at_key() -> None:
    source = VALID.read_text(encoding="utf-8").replace(
        'evidence = { kind = "photo", min_count = 2, hint = "Ảnh buổi đối thoại" }',
        '[areas.criteria.items.evidence]\nkind = "video"\nmin_count = 2',
    )
    _, problems = validate_source(source, "x.toml")
    assert len(problems) == 1
    assert problems[0].code == "2.1.3"
    assert source.splitlines()[problems[0].line - 1] == 'kind = "video"'
    assert '"video"' in problems[0].message and '"photo"' in problems[0].message


def test_error_path_helpers() -> None:
    path = parse_error_path("$.areas[2].criteria[0].items[3].levels[1].points")
    assert path == ("areas", 2, "criteria", 0, "items", 3, "levels", 1, "points")
    assert split_path(path) == ((2, 0, 3), ("levels", 1, "points"))
    assert split_path(("rating_bands", 0)) == ((), ("rating_bands", 0))


# --- versions -----------------------------------------------------------------------------------


def test_hash_ignores_comments_layout_and_int_versus_float() -> None:
    source = VALID.read_text(encoding="utf-8")
    base = decode_checklist(source, "a")
    relaid = "# một dòng chú thích\n\n" + source.replace("max_points = 6\n", "max_points   =   6.0   # sáu\n")
    assert version_hash(decode_checklist(relaid, "b")) == version_hash(base)
    changed = source.replace('text = "Ghi chú của đoàn kiểm tra"', 'text = "Ghi chú của đoàn"')
    assert version_hash(decode_checklist(changed, "c")) != version_hash(base)


def test_hash_of_built_checklist_equals_decoded() -> None:
    built = Checklist(
        id="x",
        title="X",
        version="1",
        unit_kinds=["xa"],
        legal_basis=[],
        areas=[
            Area(
                code="1",
                title="A",
                max_points=2,
                criteria=[
                    Criterion(
                        code="1.1",
                        title="C",
                        items=[Item(code="1.1.1", text="I", type="yesno", max_points=2)],
                    )
                ],
            )
        ],
    )
    decoded = checklist_from_json(msgspec.json.encode(built))
    assert version_hash(built) == version_hash(decoded)
    assert checklist_to_json(built) == checklist_to_json(decoded)


def test_json_round_trip() -> None:
    checklist = load_checklist_file(VALID).checklist
    data = checklist_to_json(checklist)
    assert isinstance(data, bytes)
    assert checklist_from_json(data) == checklist
    assert checklist_from_json(data.decode()) == checklist


# --- directories ---------------------------------------------------------------------------------


def test_load_checklists_sorted(tmp_path: Path) -> None:
    source = VALID.read_text(encoding="utf-8")
    (tmp_path / "b.toml").write_text(source, encoding="utf-8")
    (tmp_path / "a.toml").write_text(source.replace('id = "mini-xa"', 'id = "mini-b"'), encoding="utf-8")
    (tmp_path / "notes.txt").write_text("không phải bộ tiêu chí", encoding="utf-8")
    loaded = load_checklists(tmp_path)
    assert [entry.path.name for entry in loaded] == ["a.toml", "b.toml"]


def test_load_checklists_duplicate_id_names_both_files(tmp_path: Path) -> None:
    source = VALID.read_text(encoding="utf-8")
    (tmp_path / "a.toml").write_text(source, encoding="utf-8")
    (tmp_path / "b.toml").write_text(source, encoding="utf-8")
    with pytest.raises(ChecklistError) as info:
        load_checklists(tmp_path)
    (problem,) = info.value.problems
    assert problem.file.endswith("b.toml") and "a.toml" in problem.message
    assert problem.line == 2  # the `id = …` line, under the opening comment


def test_load_checklists_reports_every_invalid_file(tmp_path: Path) -> None:
    for path in BROKEN[:3]:
        (tmp_path / path.name).write_text(path.read_text(encoding="utf-8"), encoding="utf-8")
    (tmp_path / "ok.toml").write_text(VALID.read_text(encoding="utf-8"), encoding="utf-8")
    with pytest.raises(ChecklistError) as info:
        load_checklists(tmp_path)
    assert len(info.value.problems) == 3


def test_load_checklists_missing_directory(tmp_path: Path) -> None:
    with pytest.raises(ChecklistError) as info:
        load_checklists(tmp_path / "khong-co")
    assert "Không tìm thấy thư mục" in str(info.value)


def test_bom_and_non_utf8(tmp_path: Path) -> None:
    bom = tmp_path / "bom.toml"
    bom.write_bytes(b"\xef\xbb\xbf" + VALID.read_bytes())
    assert load_checklist_file(bom).checklist.id == "mini-xa"
    latin = tmp_path / "latin.toml"
    latin.write_bytes(VALID.read_text(encoding="utf-8").encode("utf-16"))
    with pytest.raises(ChecklistError) as info:
        load_checklist_file(latin)
    assert "UTF-8" in str(info.value)


# --- docs and real files ---------------------------------------------------------------------------


def test_docs_example_validates() -> None:
    doc = (ROOT / "docs" / "checklists.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```toml\n(.*?)```", doc, flags=re.S)
    assert len(blocks) == 1
    checklist, problems = validate_source(blocks[0], "docs/checklists.md")
    assert problems == []
    assert checklist is not None
    assert {item.type for item in checklist.items()} >= {
        "yesno",
        "levels",
        "score",
        "ratio",
        "count",
        "deduction",
        "date",
    }
    assert any(item.when is not None for item in checklist.items())  # the skip-logic key is shown


@pytest.mark.skipif(not REAL, reason="no checklists/*.toml yet")
def test_real_checklists_are_valid() -> None:
    loaded = load_checklists(ROOT / "checklists")
    assert len({entry.checklist.id for entry in loaded}) == len(REAL)


# --- CLI: validate ----------------------------------------------------------------------------------


def run_cli(
    *args: str, env: dict[str, str] | None = None, cwd: Path = ROOT
) -> subprocess.CompletedProcess[str]:
    """Run `python -m inspect_app.checklists.cli …` as a person would."""
    full_env = {**os.environ, "PYTHONUTF8": "1", **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "inspect_app.checklists.cli", *args],
        capture_output=True,
        text=True,
        encoding="utf-8",
        env=full_env,
        cwd=cwd,
        timeout=120,
    )


def test_cli_validate_valid_file() -> None:
    result = run_cli("checklist", "validate", str(VALID))
    assert result.returncode == 0, result.stdout + result.stderr
    loaded = load_checklist_file(VALID)
    assert (
        f"mini-xa, phiên bản 2026.1, mã nội dung {loaded.version_hash}, 9 tiêu chí thành phần, tổng 20 điểm"
        in result.stdout
    )
    assert "tất cả đều hợp lệ" in result.stdout


def test_cli_validate_reports_problems_and_fails() -> None:
    broken = DATA / "broken" / "levels-above-max.toml"
    _, code, line = _expectations(broken.read_text(encoding="utf-8"))
    result = run_cli("checklist", "validate", str(VALID), str(broken))
    assert result.returncode == 1
    assert f"{broken}:{line}: [{code}] " in result.stdout
    assert "Đã kiểm tra 2 tệp: 1 hợp lệ, 1 có lỗi (tổng cộng 1 lỗi)." in result.stdout


def test_cli_validate_folder_and_missing_path(tmp_path: Path) -> None:
    result = run_cli("checklist", "validate", str(DATA / "valid"), str(tmp_path / "khong-co.toml"))
    assert result.returncode == 1
    assert "Không tìm thấy tệp" in result.stdout
    assert "mini-xa" in result.stdout


def test_cli_validate_duplicate_ids(tmp_path: Path) -> None:
    for name in ("a.toml", "b.toml"):
        (tmp_path / name).write_text(VALID.read_text(encoding="utf-8"), encoding="utf-8")
    result = run_cli("checklist", "validate", str(tmp_path))
    assert result.returncode == 1
    assert 'Id "mini-xa" đã được dùng' in result.stdout


def test_cli_help_explains_commands() -> None:
    result = run_cli("checklist", "--help")
    assert result.returncode == 0
    for command in ("validate", "export-xlsx", "import-xlsx"):
        assert command in result.stdout
    result = run_cli("checklist", "validate", "--help")
    assert "file:line: [code] message" in " ".join(result.stdout.split())
