"""A throwaway certificate authority and signer for the demo and the tests (`inspect-app signing demo-cert`).

Never for real documents: the CA's key is written beside its certificate. Files in DIR:
ca.pem (the root to list in INSPECT_SIGNING_TRUST_ROOTS), signer.p12 (key + certificate + CA, for
INSPECT_SIGNING_P12), signer-key.der and signer-cert.der (the same key and certificate, to import
into a PKCS#11 token such as SoftHSM2).
"""

from __future__ import annotations

import os
import secrets
from datetime import UTC, datetime, timedelta
from pathlib import Path

import msgspec
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID


class DemoCert(msgspec.Struct, frozen=True):
    p12: Path
    password: str
    ca: Path
    key_der: Path
    cert_der: Path


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COUNTRY_NAME, "VN"),
                      x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Sở Nội vụ (demo)"),
                      x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def _write(path: Path, data: bytes) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)


def make(directory: Path, signer_name: str = "Nguyễn Văn Demo") -> DemoCert:
    directory.mkdir(parents=True, exist_ok=True)
    now = datetime.now(UTC) - timedelta(minutes=5)
    ca_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    ca_cert = (x509.CertificateBuilder().subject_name(_name("Sổ Kiểm Tra Demo CA")).issuer_name(_name("Sổ Kiểm Tra Demo CA"))
               .public_key(ca_key.public_key()).serial_number(x509.random_serial_number())
               .not_valid_before(now).not_valid_after(now + timedelta(days=3650))
               .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
               .add_extension(x509.KeyUsage(digital_signature=False, content_commitment=False, key_encipherment=False,
                                            data_encipherment=False, key_agreement=False, key_cert_sign=True,
                                            crl_sign=True, encipher_only=False, decipher_only=False), critical=True)
               .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
               .sign(ca_key, hashes.SHA256()))
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    cert = (x509.CertificateBuilder().subject_name(_name(signer_name)).issuer_name(ca_cert.subject)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now).not_valid_after(now + timedelta(days=730))
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.KeyUsage(digital_signature=True, content_commitment=True, key_encipherment=False,
                                         data_encipherment=False, key_agreement=False, key_cert_sign=False,
                                         crl_sign=False, encipher_only=False, decipher_only=False), critical=True)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
            .sign(ca_key, hashes.SHA256()))
    password = secrets.token_urlsafe(12)
    result = DemoCert(p12=directory / "signer.p12", password=password, ca=directory / "ca.pem",
                      key_der=directory / "signer-key.der", cert_der=directory / "signer-cert.der")
    _write(result.p12, pkcs12.serialize_key_and_certificates(
        b"signer", key, cert, [ca_cert], serialization.BestAvailableEncryption(password.encode())))
    _write(result.ca, ca_cert.public_bytes(serialization.Encoding.PEM))
    _write(result.key_der, key.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8,
                                             serialization.NoEncryption()))
    _write(result.cert_der, cert.public_bytes(serialization.Encoding.DER))
    _write(directory / "ca-key.pem", ca_key.private_bytes(serialization.Encoding.PEM,
                                                          serialization.PrivateFormat.PKCS8,
                                                          serialization.NoEncryption()))
    return result
