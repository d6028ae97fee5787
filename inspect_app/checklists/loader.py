"""Loading checklist files: decoding, validating, and identifying versions by content hash."""

from __future__ import annotations

import hashlib
from pathlib import Path

import msgspec
import tomli_w

from .model import Checklist
from .validate import ChecklistError, Problem, validate_source

HASH_LENGTH = 12


class LoadedChecklist(msgspec.Struct, frozen=True):
    """A valid checklist with where it came from and the hash that identifies its version."""

    checklist: Checklist
    version_hash: str
    source: str
    path: Path


def checklist_to_json(checklist: Checklist) -> bytes:
    """The canonical JSON of a checklist, as stored in the database for each version.

    Encoding, decoding and encoding again turns integers written in float fields (`2`) into
    floats (`2.0`), so a checklist built in code and the same one read from a file encode alike.
    """
    return msgspec.json.encode(checklist_from_json(msgspec.json.encode(checklist)))


def checklist_from_json(data: bytes | str) -> Checklist:
    """Decode a checklist stored with `checklist_to_json`."""
    return msgspec.json.decode(data, type=Checklist)


def version_hash(checklist: Checklist) -> str:
    """First 12 hex digits of the sha256 of the canonical JSON: comments and layout don't count."""
    return hashlib.sha256(checklist_to_json(checklist)).hexdigest()[:HASH_LENGTH]


def decode_checklist(source: str, filename: str) -> Checklist:
    """Decode and validate TOML text; raises ChecklistError listing every problem."""
    checklist, problems = validate_source(source, filename)
    if checklist is None:
        raise ChecklistError(problems)
    return checklist


def read_source(path: Path) -> str:
    """Read a checklist file as UTF-8 (a byte-order mark from Windows editors is dropped)."""
    try:
        return path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ChecklistError(
            [
                Problem(
                    str(path),
                    None,
                    None,
                    f"Tệp không được lưu ở mã UTF-8 ({exc.reason}): hãy lưu lại tệp với mã UTF-8.",
                )
            ]
        ) from None
    except OSError as exc:
        raise ChecklistError(
            [Problem(str(path), None, None, f"Không đọc được tệp: {exc.strerror or exc}.")]
        ) from None


def load_checklist_file(path: str | Path) -> LoadedChecklist:
    """Read, decode and validate one TOML file; raises ChecklistError when it is invalid."""
    path = Path(path)
    source = read_source(path)
    checklist = decode_checklist(source, str(path))
    return LoadedChecklist(checklist, version_hash(checklist), source, path)


def load_checklists(directory: str | Path) -> list[LoadedChecklist]:
    """Load every `*.toml` file of a directory, sorted by file name.

    Raises ChecklistError with the problems of every invalid file, and when two files share
    an id (a new version of a checklist is the same file edited, not a second file).
    """
    directory = Path(directory)
    if not directory.is_dir():
        raise ChecklistError(
            [
                Problem(
                    str(directory),
                    None,
                    None,
                    "Không tìm thấy thư mục bộ tiêu chí: hãy kiểm tra đường dẫn (INSPECT_CHECKLISTS_DIR).",
                )
            ]
        )
    loaded: list[LoadedChecklist] = []
    problems: list[Problem] = []
    by_id: dict[str, LoadedChecklist] = {}
    for path in sorted(directory.glob("*.toml")):
        try:
            entry = load_checklist_file(path)
        except ChecklistError as exc:
            problems += exc.problems
            continue
        first = by_id.get(entry.checklist.id)
        if first is not None:
            problems.append(duplicate_id_problem(entry, first))
            continue
        by_id[entry.checklist.id] = entry
        loaded.append(entry)
    if problems:
        raise ChecklistError(problems)
    return loaded


def duplicate_id_problem(entry: LoadedChecklist, first: LoadedChecklist) -> Problem:
    """The problem reported when a second file uses an id already taken by another file."""
    return Problem(
        str(entry.path),
        _id_line(entry.source),
        None,
        f'Id "{entry.checklist.id}" đã được dùng trong tệp {first.path.name}: mỗi bộ tiêu chí cần '
        "một id riêng. Nếu đây là phiên bản mới, hãy sửa tệp cũ thay vì tạo thêm tệp.",
    )


def _id_line(source: str) -> int | None:
    for number, line in enumerate(source.splitlines(), start=1):
        if line.strip().startswith("id") and line.split("=", 1)[0].strip() == "id":
            return number
    return None


# Top-level keys in the order a person reads them; the areas come last as [[areas]] tables.
_TOP_ORDER = (
    "id",
    "title",
    "version",
    "description",
    "unit_kinds",
    "legal_basis",
    "max_points",
    "rating_bands",
)


def _tidy(value: object) -> object:
    """Prepare builtins for TOML: drop None (TOML has no null) and empty tables, 2.0 → 2."""
    if isinstance(value, dict):
        return {k: _tidy(v) for k, v in value.items() if v is not None and v != {}}
    if isinstance(value, list):
        return [_tidy(v) for v in value]
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def checklist_to_toml(checklist: Checklist, comment: str = "") -> str:
    """Write a checklist as TOML text that decodes back to an equal checklist.

    `comment` (one or more lines) is written at the top as TOML comments.
    """
    data = _tidy(msgspec.to_builtins(checklist))
    assert isinstance(data, dict)
    for area in data["areas"]:
        for crit in area.get("criteria", []):
            for item in crit.get("items", []):
                if "bands" in item:  # bands read best as from, to, points
                    item["bands"] = [
                        {k: band[k] for k in ("from", "to", "points") if k in band} for band in item["bands"]
                    ]
    ordered = {key: data[key] for key in _TOP_ORDER if key in data}
    ordered["areas"] = data["areas"]
    header = "".join(f"# {line}\n" for line in comment.splitlines())
    return header + ("\n" if header else "") + tomli_w.dumps(ordered)
