"""Regenerate ``inspect_app/data/units.csv``: Vietnam's commune-level units.

The list is the one in force since 01/07/2025 (Quyết định 19/2025/QĐ-TTg:
34 provinces, 3,321 commune-level units = 2,621 xã + 687 phường + 13 đặc khu),
taken from the SQLite database bundled with the MIT-licensed PyPI package
``vietnamadminunits`` 1.0.4 (table ``admin_units``).  See NOTICE.

This is a development-time tool only.  ``vietnamadminunits`` is NOT a runtime
dependency of the app and must not go into pyproject.toml or the project's
.venv.  Run it from a throw-away virtualenv, from the repository root::

    python3 -m venv /tmp/vau
    /tmp/vau/bin/pip install vietnamadminunits==1.0.4
    /tmp/vau/bin/python scripts/gen_units.py

(or activate /tmp/vau and run ``python scripts/gen_units.py``).  It checks the
data against the official figures and only then writes
``inspect_app/data/units.csv`` (UTF-8, header
``code,name,kind,province_code,province_name``, one row per commune-level
unit, sorted by province_code then code).
"""

from __future__ import annotations

import csv
import sys
import unicodedata
from collections import Counter
from importlib.metadata import version
from pathlib import Path

from vietnamadminunits.database import query

PACKAGE_VERSION = "1.0.4"
OUT = Path(__file__).resolve().parent.parent / "inspect_app" / "data" / "units.csv"
HEADER = ["code", "name", "kind", "province_code", "province_name"]

# admin_units.wardType -> our kind.
KINDS = {"Xã": "xa", "Phường": "phuong", "Đặc khu": "dac_khu"}

# In vietnamadminunits 1.0.4 the wardType column contradicts the official
# full name (ward, wardKey) for four units, in two swapped pairs, so the totals
# per kind are unaffected.  The official names agree with the resolutions of
# the UBTVQH (NQ 1668/NQ-UBTVQH15 lists Phong Điền among Cần Thơ's new xã;
# Vĩnh Hòa is one of the xã formed from former Vĩnh Bảo district, Hải Phòng),
# so we pin the kind for these codes.  Each entry records the package's wrong
# wardType: if a later release fixes it, the assertion below fails and the
# entry should be deleted.
#   code: (wardType in the package, correct kind)
TYPE_FIXES = {
    "10543": ("Xã", "phuong"),  # Phường Việt Hòa, Thành phố Hải Phòng
    "11848": ("Phường", "xa"),  # Xã Vĩnh Hòa, Thành phố Hải Phòng
    "31213": ("Xã", "phuong"),  # Phường Tân Lộc, Thành phố Cần Thơ
    "31299": ("Phường", "xa"),  # Xã Phong Điền, Thành phố Cần Thơ
}

SQL = """
SELECT provinceCode, province, wardCode, ward, wardType
FROM admin_units
"""


def nfc(s: str) -> str:
    return unicodedata.normalize("NFC", s.strip())


def build_rows() -> list[dict[str, str]]:
    rows = []
    for r in query(SQL):
        code = str(r["wardCode"]).strip()
        ward_type = nfc(r["wardType"])
        kind = KINDS[ward_type]
        if code in TYPE_FIXES:
            bad_type, fixed = TYPE_FIXES[code]
            assert ward_type == bad_type, (
                f"{code}: package now says wardType={ward_type!r}; "
                "upstream fixed it? remove it from TYPE_FIXES"
            )
            kind = fixed
        rows.append(
            {
                "code": code,
                "name": nfc(r["ward"]),
                "kind": kind,
                "province_code": str(r["provinceCode"]).strip(),
                "province_name": nfc(r["province"]),
            }
        )
    rows.sort(key=lambda x: (x["province_code"], x["code"]))
    return rows


def check(rows: list[dict[str, str]]) -> None:
    codes = [r["code"] for r in rows]
    assert len(rows) == 3321, f"expected 3,321 units, got {len(rows)}"
    assert len(set(codes)) == len(codes), "duplicate commune codes"
    assert all(len(c) == 5 and c.isdigit() for c in codes), "code not 5 digits"
    assert all(
        len(r["province_code"]) == 2 and r["province_code"].isdigit() for r in rows
    ), "province_code not 2 digits"

    provinces = {r["province_code"] for r in rows}
    assert len(provinces) == 34, f"expected 34 provinces, got {len(provinces)}"
    names_per_province = Counter(
        (r["province_code"], r["province_name"]) for r in rows
    )
    assert len(names_per_province) == 34, "a province code has several names"

    kinds = Counter(r["kind"] for r in rows)
    assert kinds == {"xa": 2621, "phuong": 687, "dac_khu": 13}, f"kinds: {kinds}"

    hp = [r for r in rows if r["province_code"] == "31"]
    assert len(hp) == 114, f"Hải Phòng: expected 114 units, got {len(hp)}"
    assert {r["province_name"] for r in hp} == {"Thành phố Hải Phòng"}
    hp_kinds = Counter(r["kind"] for r in hp)
    assert hp_kinds == {"phuong": 45, "xa": 67, "dac_khu": 2}, f"Hải Phòng: {hp_kinds}"

    by_code = {r["code"]: r for r in rows}
    assert by_code["11560"]["name"] == "Phường Thủy Nguyên", by_code["11560"]

    prefix = {"xa": "Xã ", "phuong": "Phường ", "dac_khu": "Đặc khu "}
    for r in rows:
        for field in ("name", "province_name"):
            assert unicodedata.is_normalized("NFC", r[field]), (r, field)
        assert r["name"].startswith(prefix[r["kind"]]), f"kind vs name: {r}"


def main() -> int:
    installed = version("vietnamadminunits")
    assert installed == PACKAGE_VERSION, (
        f"vietnamadminunits {installed} installed, expected {PACKAGE_VERSION}"
    )
    rows = build_rows()
    check(rows)
    OUT.parent.mkdir(parents=True, exist_ok=True)
    with OUT.open("w", encoding="utf-8", newline="") as f:
        w = csv.DictWriter(f, fieldnames=HEADER, lineterminator="\n")
        w.writeheader()
        w.writerows(rows)
    kinds = Counter(r["kind"] for r in rows)
    print(
        f"wrote {OUT} ({OUT.stat().st_size} bytes): {len(rows)} units, "
        + ", ".join(f"{k}={kinds[k]}" for k in ("xa", "phuong", "dac_khu"))
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
