"""The `inspect-app` command line: serve, migrate, demo data, units, users, backups, checklists."""

from __future__ import annotations

import argparse
import getpass
import sys
from pathlib import Path

from inspect_app import __version__
from inspect_app.cli_support import add_command, arg, run_on_database
from inspect_app.db import Database, MigrationError, backup
from inspect_app.settings import Settings

def _read_password(prompt: str) -> str:
    """From stdin: piped (one line) or typed twice at a terminal."""
    if not sys.stdin.isatty():
        return sys.stdin.readline().rstrip("\r\n")
    first = getpass.getpass(prompt)
    if getpass.getpass("Nhập lại mật khẩu: ") != first:
        raise SystemExit("Hai lần nhập mật khẩu không khớp.")
    return first


def cmd_migrate(args: argparse.Namespace) -> int:
    """Apply pending numbered migrations (each recorded, never edited) and record new checklist versions."""
    from inspect_app.services.checklist_store import sync_checklists

    settings = Settings.from_env()
    current = run_on_database(settings.database, lambda db: sync_checklists(db, settings.checklists_dir))
    print(f"Cơ sở dữ liệu {describe(settings.database)}: đã cập nhật lược đồ; {len(current)} bộ tiêu chí đã nạp.")
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    """Create the demo: Hải Phòng's units, plan 33/KH-UBND, its team, visits and the accounts sonoivu,
    truongdoan, kiemtravien and dv<unit code>, with the password $INSPECT_DEMO_PASSWORD (default
    kiemtra2025). Running it again creates nothing that exists and never resets a changed password."""
    from inspect_app.services.checklist_store import sync_checklists
    from inspect_app.services.demo import seed_demo

    settings = Settings.from_env()

    async def work(db: Database) -> list[str]:
        await sync_checklists(db, settings.checklists_dir)
        return await seed_demo(db, settings.demo_password, settings.evidence_dir)

    created = run_on_database(settings.database, work)
    if created:
        print("Đã tạo dữ liệu mẫu:\n  - " + "\n  - ".join(created))
        print(f"Mật khẩu các tài khoản mẫu: {settings.demo_password} (đặt bằng INSPECT_DEMO_PASSWORD).")
    else:
        print("Dữ liệu mẫu đã có sẵn; không tạo thêm gì.")
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    """Serve the app. Migrations run and checklists load at start-up; an invalid checklist file stops
    start-up with the validator's messages."""
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
    """Load commune-level units (QĐ 19/2025/QĐ-TTg). The shipped list covers 34 provinces and 3,321 units;
    --csv loads a newer list with the header code,name,kind,province_code,province_name. Existing units are
    updated by code."""
    from inspect_app.services.units_import import UnitsFileError, import_units, read_csv_file, shipped_csv

    settings = Settings.from_env()
    if args.csv:
        text, source = read_csv_file(Path(args.csv)), args.csv
    else:
        text, source = shipped_csv(), "danh mục QĐ 19/2025/QĐ-TTg (kèm theo phần mềm)"
    if not args.csv and not args.province and not args.all:
        raise UnitsFileError("Chọn --province MÃ_TỈNH (ví dụ 31), --all, hoặc --csv TỆP.")
    inserted, updated = run_on_database(
        settings.database, lambda db: import_units(db, text, province=args.province, source=source))
    print(f"Đã nhập {inserted} đơn vị mới, cập nhật {updated} đơn vị (nguồn: {source}).")
    return 0


def cmd_user_add(args: argparse.Namespace) -> int:
    """Create an account. Roles: admin (Sở Nội vụ), lead (trưởng đoàn), inspector, unit (an officer of one
    unit: needs --unit). The password is read from stdin (one line when piped; typed twice at a terminal)."""
    from inspect_app.services.accounts import create_user

    settings = Settings.from_env()
    password = _read_password("Mật khẩu: ")
    run_on_database(settings.database, lambda db: create_user(
        db, username=args.username, role=args.role, unit_code=args.unit, full_name=args.full_name or "",
        title=args.title or "", password=password, email=args.email or ""))
    print(f"Đã tạo tài khoản {args.username} ({args.role}).")
    return 0


def cmd_user_passwd(args: argparse.Namespace) -> int:
    from inspect_app.services.accounts import set_password

    settings = Settings.from_env()
    password = _read_password(f"Mật khẩu mới cho {args.username}: ")
    run_on_database(settings.database, lambda db: set_password(db, args.username, password))
    print(f"Đã đổi mật khẩu của {args.username}; các phiên đăng nhập cũ đã kết thúc.")
    return 0


def cmd_user_token(args: argparse.Namespace) -> int:
    """Create a personal API token for USERNAME and print it once; only its hash is stored."""
    from inspect_app.services.accounts import issue_token

    settings = Settings.from_env()
    print(run_on_database(settings.database, lambda db: issue_token(db, args.username, args.label or "")))
    return 0


def cmd_reminders(args: argparse.Namespace) -> int:
    """For every unit with remediation items overdue or due within 7 days (Vietnam time), print a digest
    and, when INSPECT_SMTP_HOST is set, email it to the unit's officers who have an email address. Exit
    status 1 if an email could not be sent."""
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

    digests, officers = run_on_database(settings.database, work)
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


def describe(location: Path | str) -> str:
    """A database location as people may see it: the file, or the PostgreSQL URL without its password."""
    from urllib.parse import urlsplit

    if isinstance(location, Path):
        return str(location)
    parts = urlsplit(location)
    return f"{parts.scheme}://{parts.username or ''}@{parts.hostname or ''}:{parts.port or 5432}{parts.path}"


def cmd_backup(args: argparse.Namespace) -> int:
    """Copy the live database with SQLite's backup API (safe while the server writes) and check the copy's
    integrity. DEST is a new file or a folder. On PostgreSQL, backups are PostgreSQL's own (pg_dump,
    base backup + WAL archiving): docs/operations.md."""
    settings = Settings.from_env()
    if settings.database_url:
        print("Lỗi: cơ sở dữ liệu là PostgreSQL; sao lưu bằng pg_dump hoặc base backup + lưu trữ WAL "
              "(docs/operations.md, mục PostgreSQL).", file=sys.stderr)
        return 1
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
    print(f"Đã sao lưu {settings.db_path} → {dest} ({dest.stat().st_size:,} byte, kiểm tra toàn vẹn: ok).")
    return 0


def cmd_db_copy(args: argparse.Namespace) -> int:
    """Copy every table of a SQLite database (--from: sqlite:///path or a path; default: the data folder's
    file) into a new, empty PostgreSQL database (--to postgresql://user:password@host:port/db), ids and
    history kept, in one transaction; then check the row counts and the audit log's hash chain on the
    target. Evidence files stay in the evidence folder: point INSPECT_EVIDENCE_DIR of the PostgreSQL
    nodes at it."""
    import asyncio

    import asyncpg

    from inspect_app.db_copy import CopyError, copy_sqlite_to_postgres, sqlite_path

    settings = Settings.from_env()
    source = sqlite_path(args.source) if args.source else settings.db_path
    last: dict[str, int] = {}

    def progress(table: str, count: int) -> None:
        last[table] = count

    try:
        report = asyncio.run(copy_sqlite_to_postgres(source, args.target, progress))
    except CopyError as exc:
        print(f"Lỗi: {exc}", file=sys.stderr)
        return 1
    except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:  # unreachable, wrong password, no such db
        print(f"Lỗi: không kết nối được tới {describe(args.target)} ({type(exc).__name__}: {exc}); kiểm tra máy chủ, "
              "tên người dùng, mật khẩu và tên cơ sở dữ liệu (tạo trước bằng createdb).", file=sys.stderr)
        return 1
    for table, count in report.tables.items():
        print(f"  {table}: {count:,} dòng")
    print(f"Đã sao chép {source} → {describe(args.target)}: {sum(report.tables.values()):,} dòng trong "
          f"{len(report.tables)} bảng; chuỗi băm nhật ký ({report.audit_entries:,} mục) kiểm tra: nguyên vẹn.")
    return 0


def build_parser() -> argparse.ArgumentParser:
    from inspect_app.checklists import cli as checklist_cli
    from inspect_app import signing_cli
    from inspect_app.reports import cli as reports_cli

    parser = argparse.ArgumentParser(
        prog="inspect-app",
        description="Sổ Kiểm Tra: field app for administrative-reform (CCHC) inspections. Settings come from "
                    "environment variables: INSPECT_DATA_DIR (default ./data: the SQLite file, evidence files, "
                    "the secret key), INSPECT_DATABASE_URL (postgresql://…: PostgreSQL instead of the SQLite "
                    "file), INSPECT_EVIDENCE_DIR, HOST, PORT, INSPECT_SECRET_KEY, INSPECT_CHECKLISTS_DIR, "
                    "INSPECT_SECURE_COOKIES, INSPECT_DEMO_PASSWORD.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    add_command(sub, "serve", cmd_serve, "run the web server (on SQLite one process; on PostgreSQL as many "
                "as you start, on any machines sharing the database and the evidence folder)",
                arg("--host", help="address to listen on (default: $HOST or 127.0.0.1)"),
                arg("--port", type=int, help="port (default: $PORT or 8000)"))
    add_command(sub, "migrate", cmd_migrate, "create or update the database and load the checklist files")
    add_command(sub, "demo", cmd_demo, "seed the demo data (idempotent)")

    units = sub.add_parser("units", help="administrative units").add_subparsers(dest="units_command", required=True)
    add_command(units, "import", cmd_units_import, "load units from the shipped official list or a CSV",
                arg("--province", help="only this province code, e.g. 31 (Hải Phòng: 114 units)"),
                arg("--all", action="store_true", help="every province"),
                arg("--csv", help="a CSV file in the same format instead of the shipped list"))

    user = sub.add_parser("user", help="accounts").add_subparsers(dest="user_command", required=True)
    add_command(user, "add", cmd_user_add, "create an account; the password is read from stdin",
                arg("--username", required=True),
                arg("--role", required=True, choices=["admin", "lead", "inspector", "unit"]),
                arg("--unit", help="unit code, for role unit"), arg("--full-name", help="họ và tên"),
                arg("--title", help="chức vụ"), arg("--email", help="email address, for reminder digests"))
    add_command(user, "passwd", cmd_user_passwd, "set a password (read from stdin); ends the user's sessions",
                arg("username"))
    add_command(user, "token", cmd_user_token, "print a new personal API token (Authorization: Bearer …)",
                arg("username"), arg("--label", help="what the token is for"))

    add_command(sub, "backup", cmd_backup, "consistent online backup of the database to DEST", arg("dest"))
    database = sub.add_parser("db", help="the database itself").add_subparsers(dest="db_command", required=True)
    add_command(database, "copy", cmd_db_copy, "copy a SQLite database into a new PostgreSQL database",
                arg("--from", dest="source", help="sqlite:///path/to/inspect.sqlite3 (default: the data folder's)"),
                arg("--to", dest="target", required=True, help="postgresql://user:password@host:port/db"))
    add_command(sub, "reminders", cmd_reminders,
                "print today's reminder digest per unit; email it when SMTP is set",
                arg("--date", help="the day to compute for (YYYY-MM-DD; default: today in Vietnam)"))

    checklist_cli.register(sub)
    reports_cli.register(sub)
    signing_cli.register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    from inspect_app.checklists import ChecklistError
    from inspect_app.services.accounts import AccountError
    from inspect_app.services.units_import import UnitsFileError

    args = build_parser().parse_args(argv)
    try:
        return args.func(args) or 0
    except (MigrationError, AccountError, UnitsFileError) as exc:  # refusals every command words the same way
        print(f"Lỗi: {exc}", file=sys.stderr)
        return 1
    except ChecklistError as exc:
        print("Không nạp được bộ tiêu chí; hãy sửa các lỗi sau rồi chạy lại:", file=sys.stderr)
        for problem in exc.problems:
            print(f"  {problem}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
