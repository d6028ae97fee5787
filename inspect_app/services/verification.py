"""Is this PDF a document we issued, unchanged, and whose signature is it? (`/verify`, `inspect-app verify`)

"issued": the file's SHA-256 is in the register, or (for a changed copy) the register id in its
document information is; "intact": the bytes are exactly the ones the register's hash names. The
signature part is pyHanko's validation: `valid` when the signature matches the bytes it covers,
`trusted` when its chain ends in a root listed in INSPECT_SIGNING_TRUST_ROOTS. Nothing is fetched
from the network (no revocation checks: B-B).
"""

from __future__ import annotations

import asyncio
import hashlib
import io
import logging
from pathlib import Path

import msgspec

from inspect_app.db import Database
from inspect_app.queries import register
from inspect_app.services import signing
from inspect_app.services.errors import Refused

log = logging.getLogger(__name__)
MAX_VERIFY_BYTES = 32 * 1024 * 1024  # an issued notice or minutes is far smaller; the route refuses more (413)


class SignatureOut(msgspec.Struct):
    valid: bool
    trusted: bool
    signer: str


class VerifyOut(msgspec.Struct):
    issued: bool
    intact: bool
    number: str | None
    signature: SignatureOut | None
    issued_on: str | None = None


def require_pdf(data: bytes) -> None:
    if not data:
        raise Refused(422, "empty_file", "Chưa chọn tệp, hoặc tệp rỗng.")
    if not data[:1024].lstrip().startswith(b"%PDF-"):
        raise Refused(422, "not_pdf", "Tệp không phải PDF: chỉ kiểm tra được văn bản PDF do hệ thống phát hành.")


async def verify(db: Database, data: bytes, trust_roots: tuple[Path, ...] = ()) -> VerifyOut:
    require_pdf(data)
    digest = hashlib.sha256(data).hexdigest()
    entry = await register.by_sha256(db, digest)
    intact = entry is not None
    if entry is None:
        doc_id = await asyncio.to_thread(signing.doc_id_of, data)
        entry = await register.by_doc_id(db, doc_id) if doc_id else None
    signature = await asyncio.to_thread(check_signature, data, trust_roots)
    return VerifyOut(issued=entry is not None, intact=intact,
                     number=f"{entry.number:02d}/{entry.symbol}" if entry else None, signature=signature,
                     issued_on=entry.issued_on if entry else None)


def load_roots(paths: tuple[Path, ...]) -> list:
    from asn1crypto import pem, x509

    roots = []
    for path in paths:
        try:
            raw = Path(path).read_bytes()
        except OSError:
            log.warning("trust root %s cannot be read", path)
            continue
        blobs = [der for _, _, der in pem.unarmor(raw, multiple=True)] if pem.detect(raw) else [raw]
        roots.extend(x509.Certificate.load(der) for der in blobs)
    return roots


def check_signature(data: bytes, trust_roots: tuple[Path, ...]) -> SignatureOut | None:
    """The first signature's status, or None when the file has none (or is too damaged to find one)."""
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko_certvalidator import ValidationContext

    try:
        signatures = PdfFileReader(io.BytesIO(data), strict=False).embedded_signatures
    except Exception:  # not parseable: it has no signature we can speak for
        return None
    if not signatures:
        return None
    embedded = signatures[0]
    signer = _signer_name(embedded)
    try:
        context = ValidationContext(trust_roots=load_roots(trust_roots), allow_fetching=False)
        status = validate_pdf_signature(embedded, context)
    except Exception as exc:  # a damaged signature: report it as not valid rather than fail
        log.info("signature check failed: %s", exc)
        return SignatureOut(valid=False, trusted=False, signer=signer)
    return SignatureOut(valid=bool(status.intact and status.valid), trusted=bool(status.trusted), signer=signer)


def _signer_name(embedded) -> str:
    try:
        return embedded.signer_cert.subject.native.get("common_name", "") or embedded.signer_cert.subject.human_friendly
    except Exception:
        return ""
