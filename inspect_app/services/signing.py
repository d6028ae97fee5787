"""PAdES signing of issued documents (chữ ký số), with pyHanko.

The key is a PKCS#12 file (`INSPECT_SIGNING_P12`) or a key on a PKCS#11 token
(`INSPECT_SIGNING_PKCS11_*`: how Vietnamese CA tokens, HSMs and remote-signing services are reached);
without either, issued documents are frozen unsigned. The signature is PAdES baseline B-B: no
timestamp authority or revocation server is reachable from these machines (docs/reports.md says how
B-T/B-LT would be configured). Every failure is a `SigningError`, which the issuing service turns
into a refusal that takes no number.
"""

from __future__ import annotations

import io
import logging
from pathlib import Path

from pypdf import PdfReader, PdfWriter

from inspect_app.settings import Settings

log = logging.getLogger(__name__)
DOC_ID_KEY = "/SoKiemTraDocId"
NUMBER_KEY = "/SoKiemTraNumber"


class SigningError(Exception):
    """The key could not be loaded or the signature not made; the message is for the log."""


def configured(settings: Settings) -> bool:
    return settings.signing_p12 is not None or bool(settings.signing_pkcs11_module)


def stamp_info(pdf: bytes, doc_id: str, number: str) -> bytes:
    """The PDF with the register's id and number in its document information (before any signature)."""
    reader = PdfReader(io.BytesIO(pdf))
    writer = PdfWriter(clone_from=reader)
    writer.add_metadata({DOC_ID_KEY: doc_id, NUMBER_KEY: number})
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def doc_id_of(pdf: bytes) -> str | None:
    """The register id a PDF carries, or None (not ours, or not readable as a PDF)."""
    try:
        info = PdfReader(io.BytesIO(pdf)).metadata
        value = info.get(DOC_ID_KEY) if info else None
    except Exception:  # a damaged or foreign file: simply not recognised
        return None
    return str(value) if value else None


def sign(settings: Settings, pdf: bytes, *, reason: str, location: str) -> bytes:
    """Sign `pdf` (PAdES B-B, SHA-256) with the configured key; blocking, run it in a thread."""
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import fields, signers

    meta = signers.PdfSignatureMetadata(field_name="ChuKySo", md_algorithm="sha256",
                                        subfilter=fields.SigSeedSubFilter.PADES, reason=reason, location=location)
    try:
        if settings.signing_pkcs11_module:
            return _sign_pkcs11(settings, pdf, meta)
        signer = _p12_signer(settings)
        writer = IncrementalPdfFileWriter(io.BytesIO(pdf))
        return signers.sign_pdf(writer, meta, signer=signer).getvalue()
    except SigningError:
        raise
    except Exception as exc:  # pyHanko, the token or the file: any failure is "not signed"
        raise SigningError(f"{type(exc).__name__}: {exc}") from exc


def _p12_signer(settings: Settings):
    from pyhanko.sign import signers

    path = settings.signing_p12
    if path is None or not Path(path).is_file():
        raise SigningError(f"PKCS#12 file not found: {path}")
    signer = signers.SimpleSigner.load_pkcs12(str(path), passphrase=settings.signing_p12_password.encode() or None)
    if signer is None:  # pyHanko logs the reason and returns None (wrong password, damaged file)
        raise SigningError(f"PKCS#12 file could not be opened: {path}")
    return signer


def _sign_pkcs11(settings: Settings, pdf: bytes, meta) -> bytes:
    from pyhanko.config.pkcs11 import TokenCriteria
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import pkcs11, signers

    session = pkcs11.open_pkcs11_session(
        settings.signing_pkcs11_module, token_criteria=TokenCriteria(label=settings.signing_pkcs11_token_label),
        user_pin=settings.signing_pkcs11_pin)
    try:
        signer = pkcs11.PKCS11Signer(session, key_label=settings.signing_pkcs11_key_label,
                                     cert_label=settings.signing_pkcs11_key_label)
        writer = IncrementalPdfFileWriter(io.BytesIO(pdf))
        return signers.sign_pdf(writer, meta, signer=signer).getvalue()
    finally:
        session.close()
