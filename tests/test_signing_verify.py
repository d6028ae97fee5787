"""Chữ ký số and verification (issue 18): PAdES B-B from the demo PKCS#12 key and from a SoftHSM2 token,
both validated with pyHanko's validator; /verify, POST /api/v1/verify and `inspect-app verify`."""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import sys

import msgspec
import pytest
from conftest import login
import dbchecks
import dbtarget
from issuing_support import signed_off_visit, tiny_maker, tiny_pdf
from litestar.testing import TestClient
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko_certvalidator import ValidationContext

from inspect_app.app import create_app
from inspect_app.services import demo_cert
from inspect_app.services.verification import load_roots

SOFTHSM_MODULE = "/usr/lib/softhsm/libsofthsm2.so"


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    return demo_cert.make(tmp_path_factory.mktemp("demo-cert"))


def issue_signed(settings) -> tuple[bytes, dict]:
    visit = signed_off_visit(settings)
    app = create_app(settings)
    app.state.pdf_maker = tiny_maker
    with TestClient(app) as client:
        login(client, "sonoivu")
        out = client.post(f"/api/v1/visits/{visit}/notice/issue", headers={"x-csrftoken": client.cookies["csrftoken"]})
        assert out.status_code == 200, out.text
        return client.get(f"/visits/{visit}/notice.pdf").content, out.json()


def assert_pades_valid(pdf: bytes, demo) -> str:
    """pyHanko's own validator: intact, valid, trusted through the demo CA, PAdES subfilter."""
    signature = PdfFileReader(io.BytesIO(pdf)).embedded_signatures[0]
    status = validate_pdf_signature(signature, ValidationContext(trust_roots=load_roots((demo.ca,)),
                                                                 allow_fetching=False))
    assert status.intact and status.valid and status.trusted, status.pretty_print_details()
    assert signature.sig_object["/SubFilter"] == "/ETSI.CAdES.detached"
    return status.signing_cert.subject.native["common_name"]


def verify_api(client, data: bytes, name: str = "van-ban.pdf", kind: str = "application/pdf"):
    return client.post("/api/v1/verify", files={"file": (name, data, kind)})


def check_verification(settings, pdf: bytes) -> None:
    """/verify (page and API, no login) and `inspect-app verify` on the issued file, a copy with one
    byte changed, an unrelated PDF and a file that is not a PDF."""
    altered = bytearray(pdf)
    altered[pdf.index(b"/MediaBox") + 1] ^= 0x01  # a byte the signature covers: "/MediaBox" → "/LediaBox"
    padding = bytearray(pdf)  # a byte in the signature's own padding, which no signature covers
    padding[pdf.rindex(b"0000000000")] = ord("1")
    with TestClient(create_app(settings)) as client:
        ok = verify_api(client, pdf).json()
        assert ok["issued"] and ok["intact"] and ok["number"] == "01/TB-SNV"
        assert ok["signature"] == {"valid": True, "trusted": True, "signer": "Nguyễn Văn Demo"}
        changed = verify_api(client, bytes(altered)).json()
        assert changed["intact"] is False and changed["issued"] is True and changed["number"] == "01/TB-SNV"
        assert changed["signature"] is None or changed["signature"]["valid"] is False
        padded = verify_api(client, bytes(padding)).json()
        assert padded["issued"] is True and padded["intact"] is False  # the register's hash still tells
        stranger = verify_api(client, tiny_pdf("không phải văn bản của Sở")).json()
        assert stranger == {"issued": False, "intact": False, "number": None, "signature": None, "issued_on": None}
        not_pdf = verify_api(client, b"PK\x03\x04 a zip", "x.pdf")
        assert not_pdf.status_code == 422 and "không phải PDF" in not_pdf.json()["message"]
        page = client.get("/verify")
        assert page.status_code == 200 and 'enctype="multipart/form-data"' in page.text
        shown = client.post("/verify", data={"_csrf_token": client.cookies["csrftoken"]},
                            files={"file": ("van-ban.pdf", bytes(altered), "application/pdf")})
        assert shown.status_code == 200 and "đã bị sửa đổi" in shown.text
    env = {**os.environ, **dbchecks.env_for(settings),
           "INSPECT_SIGNING_TRUST_ROOTS": str(settings.signing_trust_roots[0])}
    copies = {"issued.pdf": pdf, "altered.pdf": bytes(altered), "other.pdf": tiny_pdf()}
    for name, data in copies.items():
        (settings.data_dir / name).write_bytes(data)
    codes = {name: subprocess.run([sys.executable, "-m", "inspect_app", "verify", str(settings.data_dir / name)],
                                  env=env, capture_output=True, text=True) for name in copies}
    assert codes["issued.pdf"].returncode == 0, codes["issued.pdf"].stderr
    assert "nguyên vẹn" in codes["issued.pdf"].stdout and "Nguyễn Văn Demo: hợp lệ, tin cậy" in codes["issued.pdf"].stdout
    assert codes["altered.pdf"].returncode == 1 and "ĐÃ BỊ SỬA ĐỔI" in codes["altered.pdf"].stdout
    assert codes["other.pdf"].returncode == 1 and "Không phải văn bản" in codes["other.pdf"].stdout


def test_a_notice_signed_with_the_demo_pkcs12_key_validates_and_verifies(settings, demo):
    signed = msgspec.structs.replace(settings, signing_p12=demo.p12, signing_p12_password=demo.password,
                                     signing_trust_roots=(demo.ca,))
    pdf, out = issue_signed(signed)
    assert assert_pades_valid(pdf, demo) == "Nguyễn Văn Demo"
    check_verification(signed, pdf)


@pytest.mark.skipif(not (shutil.which("softhsm2-util") and shutil.which("pkcs11-tool")
                         and os.path.exists(SOFTHSM_MODULE)),
                    reason="softhsm2 and opensc are installed by .ci/run")
def test_a_notice_signed_through_softhsm2_validates_and_verifies(settings, demo, tmp_path, monkeypatch):
    tokens = tmp_path / "tokens"
    tokens.mkdir()
    conf = tmp_path / "softhsm2.conf"
    conf.write_text(f"directories.tokendir = {tokens}\nobjectstore.backend = file\nlog.level = ERROR\n")
    monkeypatch.setenv("SOFTHSM2_CONF", str(conf))
    subprocess.run(["softhsm2-util", "--init-token", "--free", "--label", "so-kiem-tra", "--pin", "123456",
                    "--so-pin", "12345678"], check=True, capture_output=True)
    for kind, path in (("privkey", demo.key_der), ("cert", demo.cert_der)):
        subprocess.run(["pkcs11-tool", "--module", SOFTHSM_MODULE, "--token-label", "so-kiem-tra", "--login",
                        "--pin", "123456", "--write-object", str(path), "--type", kind, "--label", "ky-so",
                        "--id", "01"], check=True, capture_output=True)
    signed = msgspec.structs.replace(
        settings, signing_pkcs11_module=SOFTHSM_MODULE, signing_pkcs11_token_label="so-kiem-tra",
        signing_pkcs11_key_label="ky-so", signing_pkcs11_pin="123456", signing_trust_roots=(demo.ca,))
    pdf, out = issue_signed(signed)
    assert assert_pades_valid(pdf, demo) == "Nguyễn Văn Demo"
    check_verification(signed, pdf)
    wrong_pin = msgspec.structs.replace(signed, signing_pkcs11_pin="000000")
    app = create_app(wrong_pin)
    app.state.pdf_maker = tiny_maker
    with TestClient(app) as client:  # a token that refuses: 503, and no number is taken
        login(client, "sonoivu")
        other = dbtarget.sql(settings, "SELECT MAX(id) FROM visits WHERE status = 'signed_off'")[0][0]
        assert other != signed_off_visit(settings)
        refused = client.post(f"/api/v1/visits/{other}/notice/issue", headers={"x-csrftoken": client.cookies["csrftoken"]})
        assert refused.status_code == 503 and refused.json()["error"] == "signing_failed"
        assert dbtarget.sql(settings, "SELECT COUNT(*) FROM issued_documents")[0][0] == 1


def test_verify_refuses_a_100_mb_upload_without_reading_it(settings):
    with TestClient(create_app(settings)) as client:
        big = client.post("/api/v1/verify", content=b"x" * 100, headers={
            "content-type": "multipart/form-data; boundary=abc", "content-length": str(100 * 1024 * 1024)})
        assert big.status_code == 413
        empty = client.post("/api/v1/verify", files={"file": ("a.pdf", b"", "application/pdf")})
        assert empty.status_code == 422
