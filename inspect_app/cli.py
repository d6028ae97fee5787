"""The `inspect-app` command line: serve, migrate, demo data, units, users, backups, checklists."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TypeVar

from inspect_app import __version__
from inspect_app.db import Database, MigrationError, backup
from inspect_app.settings import Settings

T = TypeVar("T")


def _with_db(settings: Settings, work: Callable[[Database], Awaitable[T]]) -> T:
    async def run() -> T:
        db = await Database.open(settings.db_path)
        try:
            return await work(db)
        finally:
            await db.close()

    return asyncio.run(run())


def _read_password(prompt: str) -> str:
    """From stdin: piped (one line) or typed twice at a terminal."""
    if not sys.stdin.isatty():
        return sys.stdin.readline().rstrip("\r\n")
    first = getpass.getpass(prompt)
    if getpass.getpass("Nhập lại mật khẩu: ") != first:
        raise SystemExit("Hai lần nhập mật khẩu không khớp.")
    return first


def cmd_migrate(args: argparse.Namespace) -> int:
    from inspect_app.services.checklist_store import sync_checklists

    settings = Settings.from_env()
    current = _with_db(settings, lambda db: sync_checklists(db, settings.checklists_dir))
    print(f"Cơ sở dữ liệu {settings.db_path}: đã cập nhật lược đồ; {len(current)} bộ tiêu chí đã nạp.")
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    from inspect_app.services.checklist_store import sync_checklists
    from inspect_app.services.demo import seed_demo

    settings = Settings.from_env()

    async def work(db: Database) -> list[str]:
        await sync_checklists(db, settings.checklists_dir)
        return await seed_demo(db, settings.demo_password, settings.evidence_dir)

    created = _with_db(settings, work)
    if created:
        print("Đã tạo dữ liệu mẫu:\n  - " + "\n  - ".join(created))
        print(f"Mật khẩu các tài khoản mẫu: {settings.demo_password} (đặt bằng INSPECT_DEMO_PASSWORD).")
    else:
        print("Dữ liệu mẫu đã có sẵn; không tạo thêm gì.")
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    import uvicorn

    from inspect_app.app import create_app

    settings = Settings.from_env()
    # Refuse to start on an invalid checklist, saying why, before the server binds its port.
    from inspect_app.checklists import load_checklists

    load_checklists(settings.checklists_dir)
    host = args.host or settings.host
    port = args.port or settings.port
    print(f"Sổ Kiểm Tra {__version__}: http://{host}:{port}  (dữ liệu: {settings.data_dir})")
    # One process on purpose: SQLite has one writer (see docs/architecture.md). No `server: uvicorn`
    # header: it tells a client nothing it needs, on every response over 3G.
    uvicorn.run(create_app(settings), host=host, port=port, workers=1, proxy_headers=True,
                server_header=False, log_level="info")
    return 0


def cmd_units_import(args: argparse.Namespace) -> int:
    from inspect_app.services.units_import import UnitsFileError, import_units, read_csv_file, shipped_csv

    settings = Settings.from_env()
    try:
        if args.csv:
            text, source = read_csv_file(Path(args.csv)), args.csv
        else:
            text, source = shipped_csv(), "danh mục QĐ 19/2025/QĐ-TTg (kèm theo phần mềm)"
        if not args.csv and not args.province and not args.all:
            raise UnitsFileError("Chọn --province MÃ_TỈNH (ví dụ 31), --all, hoặc --csv TỆP.")
        inserted, updated = _with_db(
            settings, lambda db: import_units(db, text, province=args.province, source=source))
    except UnitsFileError as exc:
        print(f"Lỗi: {exc}", file=sys.stderr)
        return 1
    print(f"Đã nhập {inserted} đơn vị mới, cập nhật {updated} đơn vị (nguồn: {source}).")
    return 0


def cmd_user_add(args: argparse.Namespace) -> int:
    from inspect_app.services.accounts import AccountError, create_user

    settings = Settings.from_env()
    password = _read_password("Mật khẩu: ")
    try:
        _with_db(settings, lambda db: create_user(
            db, username=args.username, role=args.role, unit_code=args.unit, full_name=args.full_name or "",
            title=args.title or "", password=password, email=args.email or ""))
    except AccountError as exc:
        print(f"Lỗi: {exc}", file=sys.stderr)
        return 1
    print(f"Đã tạo tài khoản {args.username} ({args.role}).")
    return 0


def cmd_user_passwd(args: argparse.Namespace) -> int:
    from inspect_app.services.accounts import AccountError, set_password

    settings = Settings.from_env()
    password = _read_password(f"Mật khẩu mới cho {args.username}: ")
    try:
        _with_db(settings, lambda db: set_password(db, args.username, password))
    except AccountError as exc:
        print(f"Lỗi: {exc}", file=sys.stderr)
        return 1
    print(f"Đã đổi mật khẩu của {args.username}; các phiên đăng nhập cũ đã kết thúc.")
    return 0


def cmd_user_token(args: argparse.Namespace) -> int:
    from inspect_app.services.accounts import AccountError, issue_token

    settings = Settings.from_env()
    try:
        token = _with_db(settings, lambda db: issue_token(db, args.username, args.label or ""))
    except AccountError as exc:
        print(f"Lỗi: {exc}", file=sys.stderr)
        return 1
    print(token)
    return 0


def cmd_reminders(args: argparse.Namespace) -> int:
    import smtplib
    from datetime import date

    from inspect_app.queries import remediation, self_assessment, users
    from inspect_app.services import deadlines, reminders
    from inspect_app.services.self_assessment import lacking_evidence

    settings = Settings.from_env()
    today = date.fromisoformat(args.date) if args.date else deadlines.today_in_vietnam()

    async def work(db: Database):
        pending = [dict(row) | {"lacking": await lacking_evidence(db, row["visit_id"])}
                   for row in await self_assessment.pending_with_deadline(db)]
        digests = reminders.build_digests(await remediation.list_items(db), today, pending)
        officers = {d.unit_code: [u.email for u in await users.list_unit_officers(db, d.unit_code) if u.email]
                    for d in digests}
        return digests, officers

    digests, officers = _with_db(settings, work)
    if not digests:
        print(f"Ngày {today:%d/%m/%Y}: không có kiến nghị nào quá hạn hoặc đến hạn trong 7 ngày.")
        return 0
    smtp = reminders.SmtpSettings(host=settings.smtp_host, port=settings.smtp_port, user=settings.smtp_user,
                                  password=settings.smtp_password, sender=settings.smtp_from,
                                  starttls=settings.smtp_starttls) if settings.smtp_host else None
    failures = 0
    for digest in digests:
        body = reminders.render(digest, today)
        print(body)
        recipients = officers.get(digest.unit_code, [])
        if smtp is None:
            print("  (chưa cấu hình INSPECT_SMTP_HOST: không gửi email)\n")
        elif not recipients:
            print("  (đơn vị chưa có cán bộ nào khai báo email: không gửi)\n")
        else:
            try:
                reminders.send(smtp, recipients, f"[Sổ Kiểm Tra] Nhắc việc khắc phục — {digest.unit_name}", body)
                print(f"  Đã gửi email tới: {', '.join(recipients)}\n")
            except (OSError, smtplib.SMTPException) as exc:
                failures += 1
                print(f"  Lỗi gửi email tới {', '.join(recipients)}: {exc}\n", file=sys.stderr)
    return 1 if failures else 0


def cmd_backup(args: argparse.Namespace) -> int:
    settings = Settings.from_env()
    dest = Path(args.dest)
    if dest.is_dir():
        from datetime import datetime

        dest = dest / f"inspect-{datetime.now():%Y%m%d-%H%M%S}.sqlite3"
    if not settings.db_path.exists():
        print(f"Lỗi: chưa có cơ sở dữ liệu tại {settings.db_path}.", file=sys.stderr)
        return 1
    try:
        backup(settings.db_path, dest)
    except FileExistsError:
        print(f"Lỗi: {dest} đã tồn tại; chọn tên khác.", file=sys.stderr)
        return 1
    except MigrationError as exc:
        print(f"Lỗi: {exc}", file=sys.stderr)
        return 1
    print(f"Đã sao lưu {settings.db_path} → {dest} ({dest.stat().st_size:,} byte, kiểm tra toàn vẹn: ok).")
    return 0


def build_parser() -> argparse.ArgumentParser:
    from inspect_app.checklists import cli as checklist_cli
    from inspect_app.reports import cli as reports_cli

    parser = argparse.ArgumentParser(
        prog="inspect-app",
        description="Sổ Kiểm Tra: field app for administrative-reform (CCHC) inspections. Settings come from "
                    "environment variables: INSPECT_DATA_DIR (default ./data: the SQLite file, evidence files, "
                    "the secret key), HOST, PORT, INSPECT_SECRET_KEY, INSPECT_CHECKLISTS_DIR, "
                    "INSPECT_SECURE_COOKIES, INSPECT_DEMO_PASSWORD.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("serve", help="run the web server (one process: SQLite has one writer)",
                       description="Serve the app. Migrations run and checklists load at start-up; an invalid "
                                   "checklist file stops start-up with the validator's messages.")
    p.add_argument("--host", help="address to listen on (default: $HOST or 127.0.0.1)")
    p.add_argument("--port", type=int, help="port (default: $PORT or 8000)")
    p.set_defaults(func=cmd_serve)

    p = sub.add_parser("migrate", help="create or update the database and load the checklist files",
                       description="Apply pending numbered migrations (each recorded, never edited) and record "
                                   "new checklist versions.")
    p.set_defaults(func=cmd_migrate)

    p = sub.add_parser("demo", help="seed the demo data (idempotent)",
                       description="Create the demo: Hải Phòng's units, plan 33/KH-UBND, its team, visits and the "
                                   "accounts sonoivu, truongdoan, kiemtravien and dv<unit code>, with the password "
                                   "$INSPECT_DEMO_PASSWORD (default kiemtra2025). Running it again creates nothing "
                                   "that exists and never resets a changed password.")
    p.set_defaults(func=cmd_demo)

    units = sub.add_parser("units", help="administrative units").add_subparsers(dest="units_command", required=True)
    p = units.add_parser("import", help="load units from the shipped official list or a CSV",
                         description="Load commune-level units (QĐ 19/2025/QĐ-TTg). The shipped list covers 34 "
                                     "provinces and 3,321 units; --csv loads a newer list with the header "
                                     "code,name,kind,province_code,province_name. Existing units are updated by code.")
    p.add_argument("--province", help="only this province code, e.g. 31 (Hải Phòng: 114 units)")
    p.add_argument("--all", action="store_true", help="every province")
    p.add_argument("--csv", help="a CSV file in the same format instead of the shipped list")
    p.set_defaults(func=cmd_units_import)

    user = sub.add_parser("user", help="accounts").add_subparsers(dest="user_command", required=True)
    p = user.add_parser("add", help="create an account; the password is read from stdin",
                        description="Create an account. Roles: admin (Sở Nội vụ), lead (trưởng đoàn), inspector, "
                                    "unit (an officer of one unit: needs --unit). The password is read from stdin "
                                    "(one line when piped; typed twice at a terminal).")
    p.add_argument("--username", required=True)
    p.add_argument("--role", required=True, choices=["admin", "lead", "inspector", "unit"])
    p.add_argument("--unit", help="unit code, for role unit")
    p.add_argument("--full-name", help="họ và tên")
    p.add_argument("--title", help="chức vụ")
    p.add_argument("--email", help="email address, for reminder digests")
    p.set_defaults(func=cmd_user_add)
    p = user.add_parser("passwd", help="set a password (read from stdin); ends the user's sessions")
    p.add_argument("username")
    p.set_defaults(func=cmd_user_passwd)
    p = user.add_parser("token", help="print a new personal API token (Authorization: Bearer …)",
                        description="Create a personal API token for USERNAME and print it once; only its hash is "
                                    "stored.")
    p.add_argument("username")
    p.add_argument("--label", help="what the token is for")
    p.set_defaults(func=cmd_user_token)

    p = sub.add_parser("backup", help="consistent online backup of the database to DEST",
                       description="Copy the live database with SQLite's backup API (safe while the server writes) "
                                   "and check the copy's integrity. DEST is a new file or a folder.")
    p.add_argument("dest")
    p.set_defaults(func=cmd_backup)

    p = sub.add_parser("reminders", help="print today's reminder digest per unit; email it when SMTP is set",
                       description="For every unit with remediation items overdue or due within 7 days (Vietnam "
                                   "time), print a digest and, when INSPECT_SMTP_HOST is set, email it to the unit's "
                                   "officers who have an email address. Exit status 1 if an email could not be sent.")
    p.add_argument("--date", help="the day to compute for (YYYY-MM-DD; default: today in Vietnam)")
    p.set_defaults(func=cmd_reminders)

    checklist_cli.register(sub)
    reports_cli.register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    from inspect_app.checklists import ChecklistError

    args = build_parser().parse_args(argv)
    try:
        return args.func(args) or 0
    except MigrationError as exc:
        print(f"Lỗi: {exc}", file=sys.stderr)
        return 1
    except ChecklistError as exc:
        print("Không nạp được bộ tiêu chí; hãy sửa các lỗi sau rồi chạy lại:", file=sys.stderr)
        for problem in exc.problems:
            print(f"  {problem}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
