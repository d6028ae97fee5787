"""Commands for issued documents: `inspect-app signing demo-cert DIR` and `inspect-app verify FILE.pdf`."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from inspect_app.cli_support import add_command, arg, run_on_database
from inspect_app.settings import Settings


def cmd_demo_cert(args: argparse.Namespace) -> int:
    """Make a throwaway certificate authority and signer in DIR (for the demo and tests, never for real
    documents) and print the two lines that configure it. DIR/ca.pem is the root to list in
    INSPECT_SIGNING_TRUST_ROOTS; DIR/signer-key.der and signer-cert.der can be imported into a PKCS#11 token."""
    from inspect_app.services import demo_cert

    made = demo_cert.make(Path(args.dir).resolve())
    print(f"INSPECT_SIGNING_P12={made.p12}")
    print(f"INSPECT_SIGNING_P12_PASSWORD={made.password}")
    print(f"(Để /verify tin cậy chữ ký mẫu: INSPECT_SIGNING_TRUST_ROOTS={made.ca})", file=sys.stderr)
    return 0


def cmd_verify(args: argparse.Namespace) -> int:
    """Check a PDF as /verify does: whether this system issued it (its hash in the register), whether it is
    unchanged, and its digital signature. Exits 0 only for an intact document issued here."""
    from inspect_app.services import verification
    from inspect_app.services.errors import Refused

    settings = Settings.from_env()
    try:
        data = Path(args.file).read_bytes()
    except OSError as exc:
        print(f"Lỗi: không đọc được tệp {args.file}: {exc.strerror}", file=sys.stderr)
        return 2
    try:
        result = run_on_database(settings.database, lambda db: verification.verify(db, data, settings.signing_trust_roots))
    except Refused as exc:
        print(f"Lỗi: {exc.message}", file=sys.stderr)
        return 2
    if result.issued and result.intact:
        print(f"Văn bản số {result.number} ngày {result.issued_on}: do hệ thống phát hành, nguyên vẹn.")
    elif result.issued:
        print(f"Tệp mang mã của văn bản số {result.number} nhưng ĐÃ BỊ SỬA ĐỔI.")
    else:
        print("Không phải văn bản do hệ thống phát hành.")
    sig = result.signature
    if sig is None:
        print("Chữ ký số: không có.")
    else:
        print(f"Chữ ký số của {sig.signer}: {'hợp lệ' if sig.valid else 'KHÔNG hợp lệ'}, "
              f"{'tin cậy' if sig.trusted else 'không thuộc tổ chức chứng thực được tin cậy'}.")
    return 0 if result.issued and result.intact else 1


def register(sub: argparse._SubParsersAction) -> None:
    signing = sub.add_parser("signing", help="digital signatures of issued documents").add_subparsers(
        dest="signing_command", required=True)
    add_command(signing, "demo-cert", cmd_demo_cert, "make a throwaway CA and signer (PKCS#12) for the demo",
                arg("dir"))
    add_command(sub, "verify", cmd_verify, "check a PDF: issued here, unchanged, and its signature", arg("file"))
