"""Command-line reports: `inspect-app report`, `minutes`, `notice` and `periodic`, with a progress bar."""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

from openpyxl.utils.exceptions import InvalidFileException

from inspect_app.db import Database, MigrationError
from inspect_app.queries import visits
from inspect_app.reports import evidence_package, render
from inspect_app.reports.plan_data import DEFAULT_THRESHOLD
from inspect_app.services.errors import Refused
from inspect_app.settings import Settings
from inspect_app.workbook_limits import WorkbookRefused, check_workbook


class Bar:
    """A one-line progress bar on stderr (redrawn in place on a terminal, one line per step otherwise)."""

    def __init__(self, stream=None, width: int = 30) -> None:
        self.stream, self.width = stream or sys.stderr, width
        self.tty = self.stream.isatty()
        self.last = ""
        self.started = time.monotonic()

    def __call__(self, done: int, total: int, step: str = "") -> None:
        share = min(1.0, done / total) if total else 0.0
        filled = int(share * self.width)
        line = f"[{'#' * filled}{'.' * (self.width - filled)}] {share * 100:3.0f}% {step}"
        if self.tty:
            self.stream.write("\r" + line.ljust(len(self.last)))
            self.stream.flush()
        elif step and step != self.last.split("% ", 1)[-1]:
            self.stream.write(line + "\n")
        self.last = line

    def finish(self, message: str) -> None:
        self(1, 1, "")
        self.stream.write(("\n" if self.tty else "") + f"{message} ({time.monotonic() - self.started:.1f} s)\n")


def _run(work: Callable[[Database, Bar], Awaitable[tuple[bytes, str]]], output: str) -> int:
    settings = Settings.from_env()
    if not settings.db_path.exists():
        print(f"Lỗi: chưa có cơ sở dữ liệu tại {settings.db_path}.", file=sys.stderr)
        return 1
    bar = Bar()

    async def go() -> tuple[bytes, str]:
        db = await Database.open(settings.db_path)
        try:
            return await work(db, bar)
        finally:
            await db.close()

    try:
        data, _ = asyncio.run(go())
    except Refused as exc:
        print(f"\nLỗi: {exc.message}", file=sys.stderr)
        return 1
    except MigrationError as exc:
        print(f"\nLỗi: {exc}", file=sys.stderr)
        return 1
    target = Path(output)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(data)
    bar.finish(f"Đã ghi {target} ({len(data):,} byte)")
    return 0


def cmd_report(args: argparse.Namespace) -> int:
    return _run(lambda db, bar: render.plan_file(db, args.plan_id, args.format, threshold=args.threshold,
                                                 progress=bar), args.output)


def cmd_visit(kind: str) -> Callable[[argparse.Namespace], int]:
    def run(args: argparse.Namespace) -> int:
        root = Settings.from_env().evidence_dir

        async def work(db: Database, bar: Bar) -> tuple[bytes, str]:
            bar(0, 1, "Đang đọc dữ liệu cuộc kiểm tra")
            return await render.visit_file(db, root, args.visit_id, kind, args.format)

        return _run(work, args.output)

    return run


def cmd_periodic(args: argparse.Namespace) -> int:
    return _run(lambda db, bar: render.periodic_file(db, args.year, args.quarter, args.format,
                                                     threshold=args.threshold, progress=bar), args.output)


def cmd_evidence_package(args: argparse.Namespace) -> int:
    """Build a visit's evidence package straight to FILE.zip (streamed: memory stays flat)."""
    settings = Settings.from_env()
    if not settings.db_path.exists():
        print(f"Lỗi: chưa có cơ sở dữ liệu tại {settings.db_path}.", file=sys.stderr)
        return 1
    bar = Bar()

    async def go() -> tuple[evidence_package.Package, int] | None:
        db = await Database.open(settings.db_path)
        try:
            visit = await visits.get_visit(db, args.visit_id)
            if visit is None:
                return None
            return await evidence_package.build(db, settings.evidence_dir, Path(args.output), visit, bar)
        finally:
            await db.close()

    try:
        built = asyncio.run(go())
    except MigrationError as exc:
        print(f"\nLỗi: {exc}", file=sys.stderr)
        return 1
    if built is None:
        print(f"Lỗi: không có cuộc kiểm tra số {args.visit_id}.", file=sys.stderr)
        return 1
    package, size = built
    lacking = [item.code for item in package.items if item.lacking]
    bar.finish(f"Đã ghi {args.output} ({size:,} byte, {len(package.files)} tệp"
               + (f"; {len(lacking)} tiêu chí thiếu tài liệu kiểm chứng: {', '.join(lacking[:10])}"
                  f"{'…' if len(lacking) > 10 else ''}" if lacking else "") + ")")
    return 0


def cmd_verify_package(args: argparse.Namespace) -> int:
    """Check an unzipped package against its list; exit 0 only when nothing changed, went missing or was added."""
    folder = Path(args.folder)
    listing = folder / f"{evidence_package.LIST_NAME}.xlsx"
    if not listing.exists():
        print(f"Lỗi: không thấy {listing.name} trong {folder}: hãy giải nén hồ sơ rồi chỉ đến thư mục đó.",
              file=sys.stderr)
        return 2
    try:
        check_workbook(listing)  # a received list passes the same limits as every workbook
        result = evidence_package.verify_folder(folder)
    except WorkbookRefused as exc:
        print(f"Lỗi: {listing.name}: {exc.message}", file=sys.stderr)
        return 2
    except (ValueError, KeyError, OSError, InvalidFileException) as exc:
        print(f"Lỗi: không đọc được {listing.name} ({type(exc).__name__}): tệp danh mục bị hỏng hoặc không phải "
              "danh mục do Sổ Kiểm Tra lập.", file=sys.stderr)
        return 2
    for label, names in (("Đã bị thay đổi", result.changed), ("Bị thiếu", result.missing),
                         ("Không có trong danh mục", result.added)):
        for name in names:
            print(f"{label}: {name}")
    if result.ok:
        print(f"Hồ sơ nguyên vẹn: mọi tệp khớp mã SHA-256 trong danh mục ({folder}).")
        return 0
    print(f"Hồ sơ không nguyên vẹn: {len(result.changed)} tệp bị thay đổi, {len(result.missing)} tệp bị thiếu, "
          f"{len(result.added)} tệp không có trong danh mục.")
    return 1


def register(sub: argparse._SubParsersAction) -> None:
    """Add the report commands to `inspect-app`."""
    p = sub.add_parser("report", help="the plan's consolidated report (Báo cáo kết quả kiểm tra)",
                       description="Write the consolidated report of plan PLAN_ID: the units × areas matrix, "
                                   "ranking, area averages and spread, common shortcomings, units below the "
                                   "threshold, progress, the change since an earlier plan and remediation figures.")
    p.add_argument("plan_id", type=int, metavar="PLAN_ID")
    p.add_argument("--format", choices=render.PLAN_FORMATS, default="docx")
    p.add_argument("-o", "--output", required=True, metavar="FILE")
    p.add_argument("--threshold", type=float, default=DEFAULT_THRESHOLD,
                   help=f"percent below which a unit is listed (default {DEFAULT_THRESHOLD:g})")
    p.set_defaults(func=cmd_report)
    for name, kind, what in (("minutes", "minutes", "the visit minutes (Biên bản kiểm tra)"),
                             ("notice", "notice", "the conclusion notice (Thông báo kết luận kiểm tra)")):
        p = sub.add_parser(name, help=what, description=f"Write {what} of visit VISIT_ID, laid out per "
                                                         "Nghị định 30/2020/NĐ-CP (HTML: print-ready A4).")
        p.add_argument("visit_id", type=int, metavar="VISIT_ID")
        p.add_argument("--format", choices=render.VISIT_FORMATS, default="docx")
        p.add_argument("-o", "--output", required=True, metavar="FILE")
        p.set_defaults(func=cmd_visit(kind))
    p = sub.add_parser("periodic", help="the quarterly or yearly report to the People's Committee",
                       description="Write the periodic report: visits done, scores, recurring shortcomings and "
                                   "remediation status across every plan of the year or quarter.")
    p.add_argument("--year", type=int, required=True)
    p.add_argument("--quarter", type=int, choices=(1, 2, 3, 4))
    p.add_argument("--format", choices=render.PERIODIC_FORMATS, default="docx")
    p.add_argument("-o", "--output", required=True, metavar="FILE")
    p.add_argument("--threshold", type=float, default=DEFAULT_THRESHOLD)
    p.set_defaults(func=cmd_periodic)
    p = sub.add_parser("evidence-package", help="a visit's evidence package (hồ sơ tài liệu kiểm chứng) as a ZIP",
                       description="Write the evidence package of visit VISIT_ID: one folder per criterion with the "
                                   "unit's self-assessment evidence (and the team's, once signed off), and the list "
                                   "(danh-muc-tai-lieu-kiem-chung.xlsx/.docx) with each file's SHA-256.")
    p.add_argument("visit_id", type=int, metavar="VISIT_ID")
    p.add_argument("-o", "--output", required=True, metavar="FILE.zip")
    p.set_defaults(func=cmd_evidence_package)
    p = sub.add_parser("verify-package", help="check an unzipped evidence package against its list",
                       description="Compare every file of an unzipped evidence package with the SHA-256 in its "
                                   "danh-muc-tai-lieu-kiem-chung.xlsx; report files changed, missing or added. "
                                   "Exit status 0 only when there are none.")
    p.add_argument("folder", metavar="DIR")
    p.set_defaults(func=cmd_verify_package)
