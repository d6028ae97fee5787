"""Evidence pipeline: every input is generated here with Pillow; nothing touches the database or HTTP."""

from __future__ import annotations

import hashlib
import io
from concurrent.futures import ThreadPoolExecutor
import os
import struct
import warnings
import zlib
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import ExifTags, Image, ImageDraw, TiffImagePlugin

from inspect_app.services import evidence
from inspect_app.services.evidence import StoredEvidence, evidence_path, ingest
from inspect_app.services.errors import Refused

# Pillow reports corrupt EXIF as a UserWarning while it skips it; skipping it is what we want.
PILLOW_EXIF_WARNINGS = pytest.mark.filterwarnings("ignore::UserWarning:PIL.TiffImagePlugin")
VIETNAMESE = set("ăâđêôơưáàảãạếềểễệốồổỗộớờởỡợíìỉĩịúùủũụứừửữựýỳỷỹỵ")


# --- input builders ----------------------------------------------------------------------------

def exif_block(orientation: int = 6, lat_ref: str = "S", lon_ref: str = "W") -> Image.Exif:
    rational = TiffImagePlugin.IFDRational
    exif = Image.Exif()
    exif[ExifTags.Base.Orientation] = orientation
    exif[ExifTags.Base.Make] = "Canon"
    exif[ExifTags.Base.Model] = "Canon EOS 80D"
    exif[ExifTags.IFD.Exif] = {ExifTags.Base.DateTimeOriginal: "2026:03:14 09:26:53",
                               ExifTags.Base.OffsetTimeOriginal: "+07:00"}
    exif[ExifTags.IFD.GPSInfo] = {
        ExifTags.GPS.GPSLatitudeRef: lat_ref,
        ExifTags.GPS.GPSLatitude: (rational(21), rational(1), rational(3000, 100)),  # 21.025
        ExifTags.GPS.GPSLongitudeRef: lon_ref,
        ExifTags.GPS.GPSLongitude: (rational(105), rational(51), rational(0)),  # 105.85
    }
    return exif


def camera_jpeg(size: tuple[int, int] = (4000, 3000), **exif_args) -> bytes:
    """A landscape sensor image whose top-left corner is red; orientation 6 means 'turn it 90° clockwise'."""
    im = Image.new("RGB", size, (40, 90, 160))
    ImageDraw.Draw(im).rectangle((0, 0, size[0] // 5, size[1] // 5), fill=(255, 0, 0))
    buffer = io.BytesIO()
    im.save(buffer, "JPEG", quality=92, exif=exif_block(**exif_args), comment=b"hidden comment",
            icc_profile=b"\x00" * 128)
    return buffer.getvalue()


def encode(im: Image.Image, fmt: str, **params) -> bytes:
    buffer = io.BytesIO()
    im.save(buffer, fmt, **params)
    return buffer.getvalue()


def png_claiming(width: int, height: int) -> bytes:
    """A tiny real PNG whose IHDR is patched to claim another size, with a valid CRC (a decompression bomb)."""
    data = bytearray(encode(Image.new("RGB", (1, 1)), "PNG"))
    assert data[12:16] == b"IHDR"
    data[16:24] = struct.pack(">II", width, height)
    data[29:33] = struct.pack(">I", zlib.crc32(bytes(data[12:29])) & 0xFFFFFFFF)
    return bytes(data)


def files_under(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


@pytest.fixture
def root(tmp_path: Path) -> Path:
    return tmp_path / "evidence"


# --- photos ------------------------------------------------------------------------------------

def test_camera_jpeg_is_stored_upright_small_clean_and_unchanged(root: Path) -> None:
    data = camera_jpeg()
    result = ingest(data, root, declared_name="C:\\DCIM\\IMG_0001.JPG")

    assert isinstance(result, StoredEvidence)
    assert result.sha256 == hashlib.sha256(data).hexdigest()
    assert (result.kind, result.media_type, result.size_bytes) == ("photo", "image/jpeg", len(data))
    assert result.original_path == f"original/{result.sha256[:2]}/{result.sha256[2:4]}/{result.sha256}.jpg"
    assert (root / result.original_path).read_bytes() == data  # received bytes, unchanged

    with Image.open(root / result.display_path) as display:
        assert display.format == "JPEG"
        assert display.size == (result.width, result.height) == (1200, 1600)  # portrait, long edge 1600
        assert display.getpixel((display.width - 10, 10))[0] > 200  # the red corner turned to the top right
        assert display.getpixel((10, 10))[0] < 100
        assert not display.getexif() and "exif" not in display.info
        assert "icc_profile" not in display.info and "comment" not in display.info
    with Image.open(root / result.thumb_path) as thumb:
        assert max(thumb.size) <= 320 and thumb.height > thumb.width
        assert not thumb.getexif() and "icc_profile" not in thumb.info and "comment" not in thumb.info
    assert b"hidden comment" not in (root / result.display_path).read_bytes()

    assert result.captured_at == "2026-03-14T09:26:53+07:00"
    assert result.camera == "Canon EOS 80D"
    assert result.gps == {"lat": -21.025, "lon": -105.85}
    assert result.meta["orientation"] == 6
    assert (result.meta["original_width"], result.meta["original_height"]) == (3000, 4000)
    assert "IMG_0001" not in str(result)  # the client's file name is not part of what is stored


@pytest.mark.parametrize(("lat_ref", "lon_ref", "expected"), [
    ("N", "E", {"lat": 21.025, "lon": 105.85}),
    ("S", "E", {"lat": -21.025, "lon": 105.85}),
    ("N", "W", {"lat": 21.025, "lon": -105.85}),
])
def test_gps_sign_follows_the_reference(root: Path, lat_ref: str, lon_ref: str, expected: dict) -> None:
    result = ingest(camera_jpeg((400, 300), orientation=1, lat_ref=lat_ref, lon_ref=lon_ref), root)
    assert result.gps == expected
    assert (result.width, result.height) == (400, 300)  # small photos are not enlarged


@pytest.mark.parametrize(("orientation", "red_corner"), [
    (1, "top left"), (3, "bottom right"), (6, "top right"), (8, "bottom left"),
])
def test_each_orientation_turns_the_picture_upright(root: Path, orientation: int, red_corner: str) -> None:
    result = ingest(camera_jpeg((2400, 1800), orientation=orientation), root)
    with Image.open(root / result.display_path) as display:
        w, h = display.size
        assert (w > h) == (orientation in (1, 3)) and max(w, h) == 1600
        corners = {"top left": (5, 5), "top right": (w - 5, 5), "bottom left": (5, h - 5),
                   "bottom right": (w - 5, h - 5)}
        red = {name for name, xy in corners.items() if display.getpixel(xy)[0] > 200}
    assert red == {red_corner}


def test_cmyk_jpeg_gets_an_rgb_display(root: Path) -> None:
    result = ingest(encode(Image.new("CMYK", (300, 200), (0, 255, 255, 0)), "JPEG"), root)
    with Image.open(root / result.display_path) as display:
        assert display.mode == "RGB"
        r, g, b = display.getpixel((150, 100))
        assert r > 200 and g < 60 and b < 60


def test_jpeg_decode_is_scaled_but_never_below_display_size() -> None:
    for size, decoded in [((4000, 3000), (2000, 1500)), ((3000, 2000), (3000, 2000)), ((8000, 6000), (2000, 1500))]:
        with Image.open(io.BytesIO(encode(Image.new("RGB", size), "JPEG"))) as im:
            evidence._decode(im)
            assert im.size == decoded


@PILLOW_EXIF_WARNINGS
def test_broken_exif_is_ignored_not_fatal(root: Path) -> None:
    data = encode(Image.new("RGB", (64, 48), "green"), "JPEG", exif=b"Exif\x00\x00MM\x00*\x00\x00\x00\x08\xff\xff")
    result = ingest(data, root)
    assert (result.captured_at, result.camera, result.gps) == (None, None, None)
    assert result.meta["orientation"] == 1


def test_png_with_alpha_is_flattened_onto_white(root: Path) -> None:
    im = Image.new("RGBA", (3200, 1600), (0, 0, 0, 0))  # large enough to be shrunk in bands
    ImageDraw.Draw(im).rectangle((0, 0, 1599, 1599), fill=(0, 0, 255, 255))
    result = ingest(encode(im, "PNG"), root)
    assert result.media_type == "image/png" and result.original_path.endswith(".png")
    assert (result.width, result.height) == (1600, 800)
    with Image.open(root / result.display_path) as display:
        assert display.format == "JPEG" and display.mode == "RGB"
        assert all(c > 245 for c in display.getpixel((1200, 400)))  # transparent -> white, not black
        assert display.getpixel((400, 400))[2] > 200
        assert all(display.getpixel((400, y))[2] > 200 for y in range(0, 800, 16))  # no seams between bands


def test_palette_png_with_transparency_is_flattened(root: Path) -> None:
    im = Image.new("P", (50, 50), 1)
    im.putpalette([0, 0, 0, 255, 0, 0])
    result = ingest(encode(im, "PNG", transparency=1), root)
    with Image.open(root / result.display_path) as display:
        assert all(c > 245 for c in display.getpixel((25, 25)))


def test_16_bit_png_is_scaled_not_clipped(root: Path) -> None:
    im = Image.new("I;16", (256, 10))
    for x in range(256):
        for y in range(10):
            im.putpixel((x, y), x * 256)  # a full-range 16-bit ramp
    result = ingest(encode(im, "PNG"), root)
    with Image.open(root / result.display_path) as display:
        assert display.mode == "L"
        values = [display.getpixel((x, 5)) for x in (0, 64, 128, 192, 255)]
    assert values[0] < 8 and values[-1] > 247
    assert 50 < values[1] < 80 and 115 < values[2] < 140  # a ramp, not black then white


def test_webp_is_accepted(root: Path) -> None:
    result = ingest(encode(Image.new("RGB", (300, 200), "orange"), "WEBP"), root)
    assert (result.media_type, result.width, result.height) == ("image/webp", 300, 200)
    assert result.original_path.endswith(".webp")


def test_pdf_is_stored_as_a_document(root: Path) -> None:
    data = b"%PDF-1.7\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
    result = ingest(data, root, declared_name="../../biên bản.pdf")
    assert "biên bản" not in str(result) and ".." not in str(result)
    assert (result.kind, result.media_type, result.size_bytes) == ("document", "application/pdf", len(data))
    assert (result.display_path, result.thumb_path, result.width, result.height) == (None, None, None, None)
    assert (root / result.original_path).read_bytes() == data
    assert files_under(root) == [root / result.original_path]


# --- refusals ----------------------------------------------------------------------------------

def truncated_jpeg() -> bytes:
    data = camera_jpeg((800, 600))
    return data[: len(data) // 2]


BAD_INPUTS = {
    "empty": (lambda: b"", "empty"),
    "over the size limit": (lambda: b"\xff\xd8" + b"\x00" * 15_000_000, "too_large"),
    "random bytes": (lambda: os.urandom(4096), "not_an_image"),
    "text named photo.jpg": (lambda: "Biên bản kiểm tra\n".encode() * 50, "not_an_image"),
    "truncated jpeg": (truncated_jpeg, "truncated"),
    "png claiming 100000x100000": (lambda: png_claiming(100_000, 100_000), "too_many_pixels"),
    "png over max_pixels": (lambda: png_claiming(8000, 7000), "too_many_pixels"),
    "gif": (lambda: encode(Image.new("RGB", (20, 20)), "GIF"), "unsupported_type"),
    "eps": (lambda: b"%!PS-Adobe-3.0 EPSF-3.0\n%%BoundingBox: 0 0 10 10\nshowpage\n", "unsupported_type"),
    "tiff": (lambda: encode(Image.new("RGB", (20, 20)), "TIFF"), "unsupported_type"),
    "bmp": (lambda: encode(Image.new("RGB", (20, 20)), "BMP"), "not_an_image"),
    "truncated pdf": (lambda: b"%PDF-1.7\n1 0 obj <<>> endobj\n" + b"x" * 5000, "bad_pdf"),
}


@pytest.mark.parametrize("case", BAD_INPUTS)
def test_bad_input_is_refused_in_vietnamese_and_nothing_is_written(root: Path, case: str) -> None:
    make, code = BAD_INPUTS[case]
    with pytest.raises(Refused) as caught:
        ingest(make(), root, declared_name="C:\\Ảnh\\photo.jpg")
    assert caught.value.code == code
    assert caught.value.message.startswith("“photo.jpg”: ")  # the refusal names the file, not its path
    assert VIETNAMESE & set(caught.value.message.lower()), caught.value.message
    assert str(caught.value) == caught.value.message
    assert caught.value.status == {"too_large": 413, "unsupported_type": 415}.get(code, 422)
    assert files_under(root) == []


def test_size_limit_message_names_the_limit(root: Path) -> None:
    with pytest.raises(Refused) as caught:
        ingest(b"x" * 2_600_000, root, max_bytes=2_500_000)
    assert "2,5 MB" in caught.value.message and "2,6 MB" in caught.value.message
    with pytest.raises(Refused) as caught:
        ingest(b"x" * 15_000_001, root)
    assert caught.value.message.startswith("Tệp quá lớn (15,1 MB); giới hạn là 15 MB")


def test_bomb_warning_is_an_error_only_inside_ingest(root: Path) -> None:
    before = list(warnings.filters)
    # 100 MP is above Pillow's warning threshold (~89 MP) but below its hard error (~179 MP).
    with pytest.raises(Refused) as caught:
        ingest(png_claiming(10_000, 10_000), root, max_pixels=10**9)
    assert caught.value.code == "too_many_pixels"
    assert warnings.filters == before


@pytest.mark.skipif(evidence._heif_available(), reason="pillow-heif is installed here")
def test_heic_without_pillow_heif_gets_a_clear_refusal(root: Path) -> None:
    heic_header = struct.pack(">I", 24) + b"ftypheic" + b"\x00\x00\x00\x00mif1heic" + b"\x00" * 100
    with pytest.raises(Refused) as caught:
        ingest(heic_header, root)
    assert caught.value.code == "unsupported_type" and "HEIC" in caught.value.message
    assert files_under(root) == []


@PILLOW_EXIF_WARNINGS
@settings(max_examples=60, deadline=None, database=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(cut=st.integers(min_value=1, max_value=4000), flips=st.lists(st.integers(0, 3999), max_size=6))
def test_damaged_images_either_store_or_refuse_cleanly(tmp_path: Path, cut: int, flips: list[int]) -> None:
    data = bytearray(encode(Image.new("RGB", (120, 90), "teal"), "JPEG", exif=exif_block()))
    for index in flips:
        if index < len(data):
            data[index] ^= 0x5A
    data = bytes(data[: min(cut, len(data))])
    root = tmp_path / hashlib.sha256(data).hexdigest()
    try:
        result = ingest(data, root)
    except Refused:
        assert files_under(root) == []
    else:
        assert (root / result.original_path).read_bytes() == data


# --- storage -----------------------------------------------------------------------------------

def test_a_failure_while_encoding_leaves_nothing_behind(root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken_encoder(im: Image.Image, quality: int) -> bytes:
        raise OSError("encoder failed")

    monkeypatch.setattr(evidence, "_jpeg", broken_encoder)
    with pytest.raises(OSError):
        ingest(camera_jpeg((640, 480)), root)
    assert files_under(root) == []


def test_concurrent_ingests_do_not_disturb_each_other(root: Path) -> None:
    before = list(warnings.filters)
    jobs = [camera_jpeg((900 + i, 600)) for i in range(4)] + [png_claiming(10_000, 10_000)] * 2

    def attempt(data: bytes) -> str:
        try:
            return ingest(data, root, max_pixels=10**9).sha256
        except Refused as exc:
            return exc.code

    with ThreadPoolExecutor(max_workers=4) as pool:
        outcomes = list(pool.map(attempt, jobs))
    assert outcomes[4:] == ["too_many_pixels"] * 2
    assert outcomes[:4] == [hashlib.sha256(data).hexdigest() for data in jobs[:4]]
    assert len(files_under(root)) == 12
    assert warnings.filters == before


def test_same_bytes_twice_give_the_same_result_without_rewriting(root: Path) -> None:
    data = camera_jpeg((1200, 900))
    first = ingest(data, root)
    paths = files_under(root)
    assert len(paths) == 3
    for path in paths:
        os.utime(path, ns=(1_000_000_000, 1_000_000_000))  # so any rewrite would show
    second = ingest(data, root, declared_name="a different name.jpg")
    assert second == first
    assert files_under(root) == paths
    assert all(path.stat().st_mtime_ns == 1_000_000_000 for path in paths)
    assert not list(root.rglob(".tmp-*"))


def test_layout_is_content_addressed(root: Path) -> None:
    result = ingest(camera_jpeg((640, 480)), root)
    sha = result.sha256
    assert result.display_path == f"display/{sha[:2]}/{sha[2:4]}/{sha}.jpg"
    assert result.thumb_path == f"thumb/{sha[:2]}/{sha[2:4]}/{sha}.jpg"
    assert evidence_path(root, result.display_path) == (root / result.display_path).resolve()


@pytest.mark.parametrize("relative", [
    "../../etc/passwd", "/etc/passwd", "original/../../../etc/passwd", "", "original/ab/cd/x.jpg",
    "original/ab/cd/" + "a" * 64 + ".jpg\x00.png", "original\\..\\..\\secret",
])
def test_evidence_path_refuses_anything_else(root: Path, relative: str) -> None:
    with pytest.raises(Refused) as caught:
        evidence_path(root, relative)
    assert caught.value.code == "bad_path"


def test_evidence_path_refuses_a_symlink_out_of_the_root(root: Path, tmp_path: Path) -> None:
    (root / "original").mkdir(parents=True)
    (root / "original" / "ab").symlink_to(tmp_path)
    with pytest.raises(Refused):
        evidence_path(root, "original/ab/cd/" + "a" * 64 + ".jpg")
