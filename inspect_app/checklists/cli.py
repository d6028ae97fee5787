"""`inspect-app checklist …`: validate checklist files and move them to and from Excel."""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

import msgspec

from inspect_app.cli_support import add_command, arg

from .loader import checklist_to_toml, read_source, version_hash
from .model import Checklist
from .validate import ChecklistError, Problem, format_number, validate_source
from .xlsx import export_xlsx, import_xlsx


def register(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Add the `checklist` command and its sub-commands to the main parser's sub-parsers."""
    parser = subparsers.add_parser(
        "checklist",
        help="validate checklists (bộ tiêu chí) and convert them to and from Excel",
        description="Work with checklist files (bộ tiêu chí): validate them, export one to Excel "
        "for editing, and import an edited workbook back to TOML.",
    )
    commands = parser.add_subparsers(dest="checklist_command", required=True, metavar="COMMAND")

    add_command(commands, "validate", validate_command, "check checklist files and print every problem",
                arg("paths", nargs="+", type=Path, metavar="PATH",
                    help="a .toml file, an .xlsx workbook, or a folder whose *.toml files are all checked"))
    add_command(commands, "export-xlsx", export_command, "write a checklist to an Excel workbook for editing",
                arg("id", metavar="ID", help="the checklist id, e.g. cchc-xa"),
                arg("out", type=Path, metavar="OUT.xlsx", help="the workbook to write"),
                arg("--dir", type=Path, help="checklists folder to search instead of the configured one"))
    add_command(commands, "import-xlsx", import_command,
                "read an edited Excel workbook back into a TOML checklist",
                arg("source", type=Path, metavar="IN.xlsx", help="the edited workbook"),
                arg("out", type=Path, metavar="OUT.toml", help="the TOML file to write"))
    return parser


def summary_line(checklist: Checklist, content_hash: str) -> str:
    """One line describing a valid checklist: id, version label, hash, item count, maximum."""
    total = sum(area.max_points for area in checklist.areas)
    return (
        f"{checklist.id}, phiên bản {checklist.version}, mã nội dung {content_hash}, "
        f"{len(checklist.items())} tiêu chí thành phần, tổng {format_number(total)} điểm"
    )


def _expand(paths: list[Path]) -> tuple[list[Path], list[Problem]]:
    files: list[Path] = []
    problems: list[Problem] = []
    for path in paths:
        if path.is_dir():
            found = sorted(path.glob("*.toml"))
            if not found:
                problems.append(Problem(str(path), None, None, "Thư mục không có tệp .toml nào để kiểm tra."))
            files += found
        elif path.exists():
            files.append(path)
        else:
            problems.append(Problem(str(path), None, None, "Không tìm thấy tệp: hãy kiểm tra đường dẫn."))
    return files, problems


def _check_file(path: Path) -> tuple[Checklist | None, list[Problem]]:
    if path.suffix.lower() == ".xlsx":
        return import_xlsx(path)
    try:
        source = read_source(path)
    except ChecklistError as exc:
        return None, exc.problems
    return validate_source(source, str(path))


def validate_command(args: argparse.Namespace) -> int:
    """Check checklist files against the format. Prints every problem as `file:line: [code] message`, one
    line per valid file (id, version, content hash, item count, maximum points) and a summary. Exit status 1
    if any file is wrong."""
    files, problems = _expand(args.paths)
    for problem in problems:
        print(problem)
    valid = 0
    wrong = len(problems)
    count = len(problems)
    ids: dict[str, Path] = {}
    for path in files:
        checklist, file_problems = _check_file(path)
        # Only TOML files share the checklists folder; a workbook of the same checklist is no clash.
        is_toml = path.suffix.lower() != ".xlsx"
        if checklist is not None and is_toml and checklist.id in ids:
            file_problems = [
                Problem(
                    str(path),
                    None,
                    None,
                    f'Id "{checklist.id}" đã được dùng trong tệp {ids[checklist.id]}: mỗi bộ tiêu chí '
                    "cần một id riêng (phiên bản mới thì sửa tệp cũ, không tạo thêm tệp).",
                )
            ]
        for problem in file_problems:
            print(problem)
        if file_problems or checklist is None:
            wrong += 1
            count += len(file_problems)
            continue
        if is_toml:
            ids[checklist.id] = path
        valid += 1
        print(f"✓ {path}: {summary_line(checklist, version_hash(checklist))}")
    checked = len(files)
    if wrong:
        print(f"Đã kiểm tra {checked} tệp: {valid} hợp lệ, {wrong} có lỗi (tổng cộng {count} lỗi).")
        return 1
    print(f"Đã kiểm tra {checked} tệp: tất cả đều hợp lệ.")
    return 0


def _checklists_dir(args: argparse.Namespace) -> Path:
    if args.dir is not None:
        return args.dir
    from inspect_app.settings import (
        Settings,  # only this command needs the app settings
    )

    return Settings.from_env().checklists_dir


def export_command(args: argparse.Namespace) -> int:
    """Find the checklist with this id in the checklists folder (INSPECT_CHECKLISTS_DIR, default checklists/)
    and write it as an Excel workbook with a «Thông tin» sheet and a «Tiêu chí» sheet (one row per item)."""
    directory = _checklists_dir(args)
    matches: list[tuple[Path, Checklist | None, list[Problem]]] = []
    known: list[str] = []
    for path in sorted(directory.glob("*.toml")):
        try:
            source = read_source(path)
        except ChecklistError:
            continue
        checklist, problems = validate_source(source, str(path))
        try:
            file_id = checklist.id if checklist else msgspec.toml.decode(source).get("id")
        except msgspec.DecodeError:
            file_id = None
        if isinstance(file_id, str):
            known.append(file_id)
        if file_id == args.id:
            matches.append((path, checklist, problems))
    if not matches:
        listed = ", ".join(sorted(known)) or "không có"
        print(
            f'Không tìm thấy bộ tiêu chí có id "{args.id}" trong thư mục {directory} '
            f"(các id hiện có: {listed})."
        )
        return 1
    if len(matches) > 1:
        names = ", ".join(str(path) for path, _, _ in matches)
        print(f'Có {len(matches)} tệp cùng id "{args.id}": {names}. Hãy giữ một tệp cho mỗi id.')
        return 1
    path, checklist, problems = matches[0]
    if checklist is None:
        for problem in problems:
            print(problem)
        print(f"Tệp {path} có {len(problems)} lỗi: hãy sửa trước khi xuất ra Excel.")
        return 1
    args.out.parent.mkdir(parents=True, exist_ok=True)
    export_xlsx(checklist, args.out)
    print(f"Đã xuất {path} ra {args.out}: {summary_line(checklist, version_hash(checklist))}.")
    return 0


def import_command(args: argparse.Namespace) -> int:
    """Read a workbook made by export-xlsx (and edited), validate it with the same rules as TOML files, and
    write OUT.toml only if it is valid. Problems name the sheet and row; exit status 1 if there are any. A
    workbook over 5 MB, or whose parts inflate to more than 20 MB, is refused before it is read."""
    if not args.source.exists():
        print(f"{args.source}: Không tìm thấy tệp: hãy kiểm tra đường dẫn.")
        return 1
    checklist, problems = import_xlsx(args.source)
    if checklist is None:
        for problem in problems:
            print(problem)
        print(f"Tệp {args.source} có {len(problems)} lỗi: chưa ghi {args.out}. Hãy sửa rồi chạy lại.")
        return 1
    text = checklist_to_toml(
        checklist,
        comment=f"Tạo từ {args.source.name} bằng lệnh `inspect-app checklist import-xlsx`.\n"
        "Có thể sửa trực tiếp tệp này; chạy `inspect-app checklist validate` sau khi sửa.",
    )
    _write_atomically(args.out, text)
    print(f"Đã ghi {args.out}: {summary_line(checklist, version_hash(checklist))}.")
    return 0


def _write_atomically(path: Path, text: str) -> None:
    # A reader (the running app) never sees a half-written checklist.
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.chmod(tmp, 0o644)  # mkstemp makes 0600; the app may run as another user
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def main(argv: list[str] | None = None) -> int:
    """Run the `checklist` command alone (for tests and before the main CLI exists)."""
    parser = argparse.ArgumentParser(prog="inspect-app")
    register(parser.add_subparsers(dest="command", required=True, metavar="COMMAND"))
    args = parser.parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
