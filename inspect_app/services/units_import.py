"""Load the official list of administrative units (shipped CSV, or a newer one in the same format)."""

from __future__ import annotations

import csv
import io
import re
from importlib import resources
from pathlib import Path

from inspect_app.db import Database
from inspect_app.models import Unit
from inspect_app.queries import audit, units
from inspect_app.text import nfc

COLUMNS = ["code", "name", "kind", "province_code", "province_name"]
COMMUNE_KINDS = {"xa", "phuong", "dac_khu"}
DEPARTMENT_CODE_RE = re.compile(r"^[A-Z][A-Z0-9.]{1,19}$")


class UnitsFileError(ValueError):
    """The CSV is not in the expected format; the message names the row."""


def shipped_csv() -> str:
    return resources.files("inspect_app.data").joinpath("units.csv").read_text(encoding="utf-8")


def parse_units_csv(text: str, source: str = "units.csv") -> tuple[list[Unit], dict[str, str]]:
    """Parse and validate rows; return (units, {province_code: province_name})."""
    reader = csv.DictReader(io.StringIO(text))
    if reader.fieldnames is None or [f.strip() for f in reader.fieldnames] != COLUMNS:
        raise UnitsFileError(f"{source}: dòng tiêu đề phải là: {','.join(COLUMNS)}")
    result: list[Unit] = []
    provinces: dict[str, str] = {}
    seen: set[str] = set()
    for line, row in enumerate(reader, start=2):
        code, name, kind = row["code"].strip(), nfc(row["name"] or ""), row["kind"].strip()
        province_code, province_name = row["province_code"].strip(), nfc(row["province_name"] or "")
        where = f"{source} dòng {line}"
        if kind in COMMUNE_KINDS:
            if not re.fullmatch(r"\d{5}", code):
                raise UnitsFileError(f"{where}: mã đơn vị cấp xã phải gồm đúng 5 chữ số (ví dụ 00004), nhận được {code!r}.")
        elif kind == "so_nganh":
            if not DEPARTMENT_CODE_RE.match(code):
                raise UnitsFileError(f"{where}: mã sở, ngành {code!r} không hợp lệ (chữ in hoa, số, dấu chấm).")
        else:
            raise UnitsFileError(f"{where}: loại đơn vị {kind!r} không hợp lệ (xa, phuong, dac_khu, so_nganh).")
        if not re.fullmatch(r"\d{2}", province_code):
            raise UnitsFileError(f"{where}: mã tỉnh phải gồm 2 chữ số, nhận được {province_code!r}.")
        if not name or not province_name:
            raise UnitsFileError(f"{where}: thiếu tên đơn vị hoặc tên tỉnh.")
        if code in seen:
            raise UnitsFileError(f"{where}: mã {code} bị trùng.")
        seen.add(code)
        provinces[province_code] = province_name
        result.append(Unit(code=code, name=name, kind=kind, province_code=province_code))
    return result, provinces


async def import_units(db: Database, text: str, *, province: str | None = None, source: str = "units.csv",
                       actor: str = "cli") -> tuple[int, int]:
    """Upsert the units (of one province if given) in one transaction; return (inserted, updated)."""
    all_units, provinces = parse_units_csv(text, source)
    if province is not None:
        province = province.zfill(2)
        if province not in provinces:
            raise UnitsFileError(f"Không có tỉnh mã {province} trong {source}.")
        all_units = [u for u in all_units if u.province_code == province]
        provinces = {province: provinces[province]}
    async with db.transaction() as tx:
        await units.upsert_provinces(tx, provinces.items())
        inserted, updated = await units.upsert_units(tx, all_units)
        await audit.record(tx, actor_id=None, actor=actor, action="units.import", subject_type="units",
                           subject_id=province or "*",
                           after={"source": source, "inserted": inserted, "updated": updated})
    return inserted, updated


def read_csv_file(path: Path) -> str:
    try:
        return path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise UnitsFileError(f"{path}: tệp không phải UTF-8 (byte {exc.start}).") from exc
