"""Command-line reports: `inspect-app report`, `minutes`, `notice` and `periodic`, with a progress bar."""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TypeVar

from openpyxl.utils.exceptions import InvalidFileException

from inspect_app.cli_support import add_command, arg, run_on_database
from inspect_app.db import Database, MigrationError
from inspect_app.queries import visits
from inspect_app.reports import evidence_package, render
from inspect_app.reports.plan_data import DEFAULT_THRESHOLD
from inspect_app.services.errors import Refused
from inspect_app.settings import Settings
from inspect_app.workbook_limits import WorkbookRefused, check_workbook

T = TypeVar("T")

# The visit's documents, by command name (the same as the document kind render.visit_file takes).
VISIT_DOCUMENTS = {"minutes": "the visit minutes (Biên bản kiểm tra)",
                   "notice": "the conclusion notice (Thông báo kết luận kiểm tra)"}


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


def _build(work: Callable[[Database, Bar], Awaitable[T]]) -> tuple[T, Bar] | None:
    """Run `work` on the configured database with a progress bar; None once a refusal has been printed."""
    settings = Settings.from_env()
    if not settings.database_url and not settings.db_path.exists():
        print(f"Lỗi: chưa có cơ sở dữ liệu tại {settings.db_path}.", file=sys.stderr)
        return None
    bar = Bar()
    try:
        return run_on_database(settings.database, lambda db: work(db, bar)), bar
    except Refused as exc:
        print(f"\nLỗi: {exc.message}", file=sys.stderr)
    except MigrationError as exc:
        print(f"\nLỗi: {exc}", file=sys.stderr)
    return None


def _run(work: Callable[[Database, Bar], Awaitable[tuple[bytes, str]]], output: str) -> int:
    built = _build(work)
    if built is None:
        return 1
    (data, _), bar = built
    target = Path(output)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(data)
    bar.finish(f"Đã ghi {target} ({len(data):,} byte)")
    return 0


def cmd_report(args: argparse.Namespace) -> int:
    """Write the consolidated report of plan PLAN_ID: the units × areas matrix, ranking, area averages and
    spread, common shortcomings, units below the threshold, progress, the change since an earlier plan and
    remediation figures."""
    return _run(lambda db, bar: render.plan_file(db, args.plan_id, args.format, threshold=args.threshold,
                                                 progress=bar), args.output)


def cmd_visit(kind: str) -> Callable[[argparse.Namespace], int]:
    def run(args: argparse.Namespace) -> int:
        root = Settings.from_env().evidence_dir

        async def work(db: Database, bar: Bar) -> tuple[bytes, str]:
            bar(0, 1, "Đang đọc dữ liệu cuộc kiểm tra")
            return await render.visit_file(db, root, args.visit_id, kind, args.format)

        return _run(work, args.output)

    run.__doc__ = (f"Write {VISIT_DOCUMENTS[kind]} of visit VISIT_ID, laid out per Nghị định 30/2020/NĐ-CP "
                   "(HTML: print-ready A4; PDF: printed from that HTML by headless Chromium).")
    return run


def cmd_periodic(args: argparse.Namespace) -> int:
    """Write the periodic report: visits done, scores, recurring shortcomings and remediation status across
    every plan of the year or quarter."""
    return _run(lambda db, bar: render.periodic_file(db, args.year, args.quarter, args.format,
                                                     threshold=args.threshold, progress=bar), args.output)


def cmd_evidence_package(args: argparse.Namespace) -> int:
    """Write the evidence package of visit VISIT_ID: one folder per criterion with the unit's self-assessment
    evidence (and the team's, once signed off), and the list (danh-muc-tai-lieu-kiem-chung.xlsx/.docx) with
    each file's SHA-256."""
    # Built straight into the ZIP file (streamed: memory stays flat).
    evidence_dir = Settings.from_env().evidence_dir

    async def work(db: Database, bar: Bar) -> tuple[evidence_package.Package, int] | None:
        visit = await visits.get_visit(db, args.visit_id)
        if visit is None:
            return None
        return await evidence_package.build(db, evidence_dir, Path(args.output), visit, bar)

    outcome = _build(work)
    if outcome is None:
        return 1
    built, bar = outcome
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
    """Compare every file of an unzipped evidence package with the SHA-256 in its
    danh-muc-tai-lieu-kiem-chung.xlsx; report files changed, missing or added. Exit status 0 only when there
    are none."""
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
    output = arg("-o", "--output", required=True, metavar="FILE")
    add_command(sub, "report", cmd_report, "the plan's consolidated report (Báo cáo kết quả kiểm tra)",
                arg("plan_id", type=int, metavar="PLAN_ID"),
                arg("--format", choices=render.PLAN_FORMATS, default="docx"), output,
                arg("--threshold", type=float, default=DEFAULT_THRESHOLD,
                    help=f"percent below which a unit is listed (default {DEFAULT_THRESHOLD:g})"))
    for kind, what in VISIT_DOCUMENTS.items():
        add_command(sub, kind, cmd_visit(kind), what, arg("visit_id", type=int, metavar="VISIT_ID"),
                    arg("--format", choices=render.VISIT_FORMATS, default="docx"), output)
    add_command(sub, "periodic", cmd_periodic, "the quarterly or yearly report to the People's Committee",
                arg("--year", type=int, required=True), arg("--quarter", type=int, choices=(1, 2, 3, 4)),
                arg("--format", choices=render.PERIODIC_FORMATS, default="docx"), output,
                arg("--threshold", type=float, default=DEFAULT_THRESHOLD))
    add_command(sub, "evidence-package", cmd_evidence_package,
                "a visit's evidence package (hồ sơ tài liệu kiểm chứng) as a ZIP",
                arg("visit_id", type=int, metavar="VISIT_ID"),
                arg("-o", "--output", required=True, metavar="FILE.zip"))
    add_command(sub, "verify-package", cmd_verify_package, "check an unzipped evidence package against its list",
                arg("folder", metavar="DIR"))
