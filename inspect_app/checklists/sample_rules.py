"""Validator rules for the dossier sample: a `sample` item's columns and rows, and `from_sample`.

`sample_item_findings` checks one item on its own (item_rules calls it); `from_sample_findings` checks a
derived item against the sample it names (checklist_rules calls it, with every item of the checklist).
Both yield (keys below the item, Vietnamese message).
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from .model import Column, Item, RowTest
from .problems import Keys
from .problems import format_number as _n
from .sample import MAX_ROWS_CEILING

COLUMN_KEY_RE = re.compile(r"[a-z][a-z0-9_]*")
_TESTS = ("filled", "yes", "equals", "le_column", "gt_column")


def sample_item_findings(item: Item) -> Iterator[tuple[Keys, str]]:
    """The rules of a `sample` item, and the keys only a sample (or a derived item) may carry."""
    if item.type != "sample":
        if item.columns:
            yield (("columns",), f'Loại {item.type} không dùng cột (columns): hãy xóa columns hoặc đổi '
                   'type = "sample".')
        if item.from_sample is not None and item.type not in ("ratio", "count"):
            yield (("from_sample",), f"Loại {item.type} không tính được từ mẫu hồ sơ (from_sample): chỉ loại "
                   "ratio và count; hãy xóa from_sample.")
        return
    if item.max_points != 0:
        yield (("max_points",), "Loại sample ghi nhận mẫu hồ sơ, không chấm điểm: hãy xóa max_points hoặc đặt "
               f"bằng 0 (hiện là {_n(item.max_points)}); điểm nằm ở tiêu chí tính từ mẫu (from_sample).")
    if not item.columns:
        yield (("columns",), 'Mẫu hồ sơ chưa có cột nào (columns): hãy khai báo ít nhất một cột, ví dụ '
               'columns = [{key = "ma_ho_so", label = "Mã hồ sơ", type = "text", required = true}].')
    seen: set[str] = set()
    for i, column in enumerate(item.columns):
        yield from _column_findings(i, column, seen)
    if not 1 <= item.max_rows <= MAX_ROWS_CEILING:
        yield (("max_rows",), f"Số dòng tối đa (max_rows) phải từ 1 đến {_n(MAX_ROWS_CEILING)}, hiện là "
               f"{_n(item.max_rows)}.")
    elif not 0 <= item.min_rows <= item.max_rows:
        yield (("min_rows",), f"Số dòng tối thiểu (min_rows) phải từ 0 đến max_rows ({_n(item.max_rows)}), "
               f"hiện là {_n(item.min_rows)}.")


def _column_findings(i: int, column: Column, seen: set[str]) -> Iterator[tuple[Keys, str]]:
    if not COLUMN_KEY_RE.fullmatch(column.key):
        yield (("columns", i, "key"), f'Khóa cột "{column.key}" không hợp lệ: chỉ dùng chữ thường không dấu, '
               'chữ số và dấu gạch dưới, bắt đầu bằng chữ (ví dụ "ngay_hen_tra").')
    elif column.key in seen:
        yield (("columns", i, "key"), f'Khóa cột "{column.key}" bị trùng: mỗi cột cần một khóa riêng.')
    seen.add(column.key)
    if not column.label.strip():
        yield (("columns", i, "label"), f'Cột "{column.key}" chưa có nhãn (label): hãy ghi nhãn hiển thị.')
    if column.type == "choice" and not column.choices:
        yield (("columns", i, "choices"), f'Cột "{column.key}" loại choice cần danh sách lựa chọn: hãy ghi '
               'choices = ["…", "…"].')
    elif column.type != "choice" and column.choices:
        yield (("columns", i, "choices"), f'Cột "{column.key}" loại {column.type} không dùng choices: hãy xóa '
               'choices hoặc đặt type = "choice".')


def from_sample_findings(item: Item, items: dict[str, Item]) -> Iterator[tuple[Keys, str]]:
    """A derived item's rule checked against the sample it names."""
    rule = item.from_sample
    if rule is None or item.type not in ("ratio", "count"):
        return
    sample = items.get(rule.item)
    if sample is None or sample.type != "sample":
        what = "không có trong bộ tiêu chí" if sample is None else f"là loại {sample.type}"
        yield (("from_sample",), f'from_sample chỉ tới "{rule.item}", {what}: hãy ghi mã của một tiêu chí '
               'thành phần loại sample.')
        return
    if item.type == "ratio":
        if rule.count:
            yield (("from_sample",), "Loại ratio dùng numerator và denominator, không dùng count: hãy xóa count.")
        if not rule.numerator:
            yield (("from_sample",), "Tỷ lệ tính từ mẫu cần điều kiện của tử số (numerator), ví dụ "
                   'numerator = [{column = "ngay_tra", le_column = "ngay_hen_tra"}].')
    elif rule.numerator or rule.denominator:
        yield (("from_sample",), "Loại count dùng count, không dùng numerator hay denominator: hãy đổi thành "
               "count = [...].")
    columns = {column.key: column for column in sample.columns}
    for test in [*rule.numerator, *rule.denominator, *rule.count]:
        if problem := _test_problem(test, columns):
            yield (("from_sample",), problem)
            return


def _test_problem(test: RowTest, columns: dict[str, Column]) -> str | None:
    set_tests = [name for name in _TESTS if getattr(test, name) is not None]
    if len(set_tests) != 1:
        return (f'Mỗi điều kiện trên cột "{test.column}" cần đúng một phép thử trong: {", ".join(_TESTS)} '
                f"(hiện có {len(set_tests)}); hãy tách thành nhiều điều kiện.")
    column = columns.get(test.column)
    if column is None:
        return f'Điều kiện chỉ tới cột "{test.column}", không có trong mẫu: hãy dùng một trong {", ".join(columns)}.'
    if test.yes is not None and column.type != "yesno":
        return f'Phép thử yes chỉ dùng cho cột yesno; cột "{column.key}" là loại {column.type}.'
    if test.equals is not None:
        if column.type not in ("text", "choice"):
            return f'Phép thử equals chỉ dùng cho cột text hoặc choice; cột "{column.key}" là loại {column.type}.'
        if column.type == "choice" and test.equals not in column.choices:
            return f'Giá trị "{test.equals}" không có trong choices của cột "{column.key}": hãy chọn một trong đó.'
    other_key = test.le_column or test.gt_column
    if other_key is not None:
        other = columns.get(other_key)
        if column.type not in ("date", "number") or other is None or other.type != column.type:
            return (f'So sánh "{column.key}" với "{other_key}" cần hai cột cùng loại date hoặc number: hãy chọn '
                    "hai cột ngày hoặc hai cột số.")
    return None
