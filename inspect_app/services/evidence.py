"""Evidence files (tài liệu kiểm chứng): photos and PDFs in, content-addressed files + metadata out.

Bytes in, files on disk and a `StoredEvidence` out; no SQL and no HTTP here. The web layer calls
`ingest` in a worker thread behind a semaphore of 2 (one photo costs ~0.1 s of CPU and up to
~60 MB for a 12 MP JPEG; a 50 MP PNG or WebP decodes at full size, ~4 bytes per pixel), then
commits the row that references the files ("files before rows", reliability.md).
"""

from __future__ import annotations

import hashlib
import os
import re
import struct
import tempfile
import threading
import unicodedata
import warnings
from collections.abc import Callable
from datetime import datetime
from functools import cache
from io import BytesIO
from pathlib import Path
from typing import Any, Literal

import msgspec
from PIL import ExifTags, Image

from inspect_app.services.errors import Refused
# Register exactly the allowed decoders: naming WEBP in Image.open(formats=...) would otherwise
# make Pillow import all ~40 plugins on the first upload (about 40 ms and more code in memory).
from PIL import JpegImagePlugin, PngImagePlugin, WebPImagePlugin  # noqa: F401

DISPLAY_EDGE = 1600
THUMB_EDGE = 320
DISPLAY_QUALITY = 80
THUMB_QUALITY = 75
# Sniffed format -> (media type, extension). MPO is a multi-frame JPEG from some phones.
FORMATS = {"JPEG": ("image/jpeg", "jpg"), "MPO": ("image/jpeg", "jpg"), "PNG": ("image/png", "png"),
           "WEBP": ("image/webp", "webp"), "HEIF": ("image/heic", "heic")}
# Recognised only to name them in the refusal; Pillow never gets to parse them (EPS runs Ghostscript).
REFUSED_MAGIC = [(b"GIF87a", "GIF"), (b"GIF89a", "GIF"), (b"%!PS", "EPS/PostScript"),
                 (b"\xc5\xd0\xd3\xc6", "EPS"), (b"II*\x00", "TIFF"), (b"MM\x00*", "TIFF")]
HEIF_BRANDS = {b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"hevm", b"hevs", b"mif1", b"msf1"}
# The same mapping as ImageOps.exif_transpose, applied to the small image we already hold.
TRANSPOSE = {2: Image.Transpose.FLIP_LEFT_RIGHT, 3: Image.Transpose.ROTATE_180,
             4: Image.Transpose.FLIP_TOP_BOTTOM, 5: Image.Transpose.TRANSPOSE,
             6: Image.Transpose.ROTATE_270, 7: Image.Transpose.TRANSVERSE, 8: Image.Transpose.ROTATE_90}
STORED_PATH_RE = re.compile(r"(original|display|thumb)/[0-9a-f]{2}/[0-9a-f]{2}/[0-9a-f]{64}\.(jpg|png|webp|heic|pdf)")
DECODE_ERRORS = (OSError, SyntaxError, ValueError, EOFError, struct.error, IndexError)
# warnings.catch_warnings swaps a process-wide list (not thread-safe before 3.14): our own
# concurrent ingests take turns around the cheap header parse so they cannot undo each other.
_WARNINGS_LOCK = threading.Lock()

MESSAGES = {
    "empty": "Tệp tải lên bị rỗng (0 byte). Hãy chọn lại ảnh hoặc tài liệu rồi gửi lại.",
    "not_an_image": "Tệp không phải ảnh JPEG/PNG/WebP hay tài liệu PDF. Hãy chọn đúng ảnh chụp "
                    "hoặc tệp PDF rồi gửi lại.",
    "truncated": "Tệp ảnh bị hỏng hoặc chưa được tải lên trọn vẹn. Hãy gửi lại; nếu vẫn lỗi, hãy chụp lại ảnh.",
    "bad_pdf": "Tệp PDF bị hỏng hoặc chưa được tải lên trọn vẹn (thiếu phần kết thúc tệp). "
               "Hãy mở thử tệp trên máy rồi gửi lại.",
    "heic": "Ảnh HEIC (định dạng mặc định của iPhone) chưa được hỗ trợ trên máy chủ này. Hãy gửi ảnh "
            "JPEG, hoặc trên iPhone chọn Cài đặt › Camera › Định dạng › Tương thích nhất rồi chụp lại.",
    "bad_path": "Đường dẫn tệp minh chứng không hợp lệ.",
}


STATUS = {"too_large": 413, "unsupported_type": 415, "bad_path": 404}  # else 422


def refused(code: str, message: str | None = None) -> Refused:
    """A refused upload as the app's one refusal: 413 too large, 415 refused format, 404 bad stored
    path, else 422; the Vietnamese message of `code` unless a more precise one is given."""
    return Refused(STATUS.get(code, 422), code, message or MESSAGES[code])


class StoredEvidence(msgspec.Struct, frozen=True, kw_only=True):
    """What was stored; paths are relative to the evidence root. EXIF fields are claims, not facts."""

    sha256: str
    kind: Literal["photo", "document"]
    media_type: str
    size_bytes: int
    original_path: str
    width: int | None = None
    height: int | None = None
    display_path: str | None = None
    thumb_path: str | None = None
    captured_at: str | None = None
    camera: str | None = None
    gps: dict[str, float] | None = None
    meta: dict[str, Any] = {}


def ingest(data: bytes, evidence_root: Path, *, declared_name: str = "", max_bytes: int = 15_000_000,
           max_pixels: int = 50_000_000) -> StoredEvidence:
    """Validate, store and describe one upload. Synchronous and CPU-bound: the web layer runs it
    in a worker thread, at most 2 at a time (a semaphore), then commits the row.

    Raises Refused, and then nothing has been written. The result depends on the bytes only,
    so the same bytes again give an equal result and no file is rewritten. `declared_name` is the
    client's claim: it only names the file in error messages, never a path."""
    try:
        return _ingest(data, Path(evidence_root), max_bytes, max_pixels)
    except Refused as exc:
        name = _clean_text(declared_name.replace("\\", "/").rsplit("/", 1)[-1], 120)
        if not name:
            raise
        raise refused(exc.code, f"“{name}”: {exc.message}") from exc


def _ingest(data: bytes, root: Path, max_bytes: int, max_pixels: int) -> StoredEvidence:
    if not data:
        raise refused("empty")
    if len(data) > max_bytes:
        raise refused("too_large", f"Tệp quá lớn ({_mb(len(data), up=True)} MB); giới hạn là {_mb(max_bytes)} MB "
                                         "mỗi tệp. Hãy chụp ở độ phân giải thấp hơn hoặc nén tệp rồi gửi lại.")
    sha = hashlib.sha256(data).hexdigest()
    if data.startswith(b"%PDF-"):
        return _ingest_pdf(data, sha, root)
    _refuse_known_formats(data)
    with _open_image(data, max_pixels) as im:
        fmt, (width, height) = im.format or "", im.size  # before draft() shrinks im.size
        _decode(im)
        facts = _exif_facts(im)
        orientation = facts.pop("orientation")
        display = _display_image(im, orientation)
    if orientation in (5, 6, 7, 8):
        width, height = height, width
    media_type, ext = FORMATS[fmt]
    paths = {kind: f"{kind}/{sha[:2]}/{sha[2:4]}/{sha}.{e}" for kind, e in
             (("original", ext), ("display", "jpg"), ("thumb", "jpg"))}
    _store(root, {paths["original"]: lambda: data,
                  paths["display"]: lambda: _jpeg(display, DISPLAY_QUALITY),
                  # A box reduction is plenty for a 320 px preview and ~6x cheaper than bicubic.
                  paths["thumb"]: lambda: _jpeg(_fit(display, THUMB_EDGE, gap=1.0), THUMB_QUALITY)})
    return StoredEvidence(sha256=sha, kind="photo", media_type=media_type, size_bytes=len(data),
                          width=display.width, height=display.height, original_path=paths["original"],
                          display_path=paths["display"], thumb_path=paths["thumb"], **facts,
                          meta={"format": fmt, "orientation": orientation,
                                "original_width": width, "original_height": height})


def evidence_path(evidence_root: Path, relative: str) -> Path:
    """The absolute path of a stored file; anything not shaped like our paths or escaping the root is refused."""
    root = Path(evidence_root).resolve()
    if not STORED_PATH_RE.fullmatch(relative):
        raise refused("bad_path")
    target = (root / relative).resolve()  # resolve() also follows symlinks planted inside the root
    if not target.is_relative_to(root):
        raise refused("bad_path")
    return target


# --- sniffing and decoding -------------------------------------------------------------------

def _ingest_pdf(data: bytes, sha: str, root: Path) -> StoredEvidence:
    # Not parsed (no PDF library on the server): only the framing, which catches cut-off uploads.
    # The spec allows %%EOF anywhere in the last 1024 bytes (trailing newlines, padding).
    if data.rfind(b"%%EOF", max(0, len(data) - 1024)) == -1:
        raise refused("bad_pdf")
    relative = f"original/{sha[:2]}/{sha[2:4]}/{sha}.pdf"
    _store(root, {relative: lambda: data})
    return StoredEvidence(sha256=sha, kind="document", media_type="application/pdf", size_bytes=len(data),
                          original_path=relative)


def _refuse_known_formats(data: bytes) -> None:
    for magic, name in REFUSED_MAGIC:
        if data.startswith(magic):
            raise refused("unsupported_type", f"Định dạng {name} không được chấp nhận làm ảnh minh chứng. "
                                                    "Hãy gửi ảnh JPEG, PNG hoặc WebP, hoặc tài liệu PDF.")
    if data[4:8] == b"ftyp" and data[8:12] in HEIF_BRANDS and not _heif_available():
        raise refused("unsupported_type", MESSAGES["heic"])


@cache
def _heif_available() -> bool:
    try:
        from pillow_heif import register_heif_opener  # optional dependency
    except ImportError:
        return False
    register_heif_opener()
    return True


def _open_image(data: bytes, max_pixels: int) -> Image.Image:
    """Parse the header only (allow-list of formats); refuse bombs before any pixel is decoded."""
    formats = ["JPEG", "PNG", "WEBP"] + (["HEIF"] if _heif_available() else [])
    with _WARNINGS_LOCK, warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            im = Image.open(BytesIO(data), formats=formats)
        except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
            raise refused("too_many_pixels", _pixels_message(None, max_pixels)) from exc
        except DECODE_ERRORS as exc:  # UnidentifiedImageError is an OSError
            raise refused("not_an_image") from exc
    if im.format not in FORMATS:
        im.close()
        raise refused("not_an_image")
    if im.width * im.height > max_pixels:
        im.close()
        raise refused("too_many_pixels", _pixels_message(im.size, max_pixels))
    return im


def _decode(im: Image.Image) -> None:
    """Decode once, at the smallest JPEG scale (1/2, 1/4, 1/8) that keeps the long edge >= DISPLAY_EDGE.

    draft() keeps both sides >= the request, so asking (1600, 1600) of 4000x3000 does nothing:
    ask for each side divided by the chosen factor. load() is what notices a truncated file."""
    if im.format in ("JPEG", "MPO"):
        long_edge = max(im.size)
        factor = next((f for f in (8, 4, 2) if (long_edge + f - 1) // f >= DISPLAY_EDGE), 1)
        if factor > 1:
            im.draft("RGB", (max(1, im.width // factor), max(1, im.height // factor)))
    try:
        im.load()
    except DECODE_ERRORS as exc:
        raise refused("truncated") from exc


# --- EXIF claims -----------------------------------------------------------------------------

def _exif_facts(im: Image.Image) -> dict[str, Any]:
    """Orientation, capture time, camera and GPS as plain values; whatever cannot be parsed is dropped."""
    facts: dict[str, Any] = {"orientation": 1, "captured_at": None, "camera": None, "gps": None}
    try:
        exif = im.getexif()
    except Exception:  # broken EXIF is an unreadable claim, not a reason to refuse the photo
        exif = Image.Exif()
    for key, parse in (("orientation", _orientation), ("captured_at", _captured_at),
                       ("camera", _camera), ("gps", _gps)):
        try:
            value = parse(exif)
        except Exception:  # same: each field on its own, so one bad tag does not hide the others
            value = None
        if value is not None:
            facts[key] = value
    return facts


def _orientation(exif: Image.Exif) -> int | None:
    value = exif.get(ExifTags.Base.Orientation)
    return value if isinstance(value, int) and 1 <= value <= 8 else None


def _captured_at(exif: Image.Exif) -> str | None:
    ifd = exif.get_ifd(ExifTags.IFD.Exif)
    raw = _clean_text(ifd.get(ExifTags.Base.DateTimeOriginal), 40)
    if not raw:
        return None
    moment = datetime.strptime(raw, "%Y:%m:%d %H:%M:%S").isoformat()
    offset = _clean_text(ifd.get(ExifTags.Base.OffsetTimeOriginal), 10)
    return moment + offset if offset and re.fullmatch(r"[+-](0\d|1[0-4]):[0-5]\d", offset) else moment


def _camera(exif: Image.Exif) -> str | None:
    make = _clean_text(exif.get(ExifTags.Base.Make), 60)
    model = _clean_text(exif.get(ExifTags.Base.Model), 60)
    if make and model and model.lower().startswith(make.lower()):
        return model  # "Canon" + "Canon EOS 80D" reads badly twice
    return " ".join(filter(None, (make, model))) or None


def _gps(exif: Image.Exif) -> dict[str, float] | None:
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    lat = _degrees(gps[ExifTags.GPS.GPSLatitude], gps[ExifTags.GPS.GPSLatitudeRef], "S", 90)
    lon = _degrees(gps[ExifTags.GPS.GPSLongitude], gps[ExifTags.GPS.GPSLongitudeRef], "W", 180)
    if lat == 0 and lon == 0:
        return None  # phones without a fix write zeros
    return {"lat": lat, "lon": lon}


def _degrees(dms: Any, ref: Any, negative: str, limit: float) -> float:
    degrees, minutes, seconds = (float(part) for part in dms)  # IFDRational x/0 becomes nan
    value = degrees + minutes / 60 + seconds / 3600
    if not 0 <= value <= limit:  # also false for nan
        raise ValueError("coordinate out of range")
    ref = ref.decode("ascii") if isinstance(ref, bytes) else str(ref)
    return round(-value if ref.strip("\x00 ").upper() == negative else value, 7)


def _clean_text(value: Any, limit: int) -> str | None:
    """A claim as safe plain text: str only, NFC, no control characters, one line, capped."""
    if not isinstance(value, str):
        return None
    text = "".join(ch for ch in unicodedata.normalize("NFC", value) if unicodedata.category(ch)[0] != "C")
    return " ".join(text.split())[:limit] or None


# --- derivatives and storage -----------------------------------------------------------------

def _display_image(im: Image.Image, orientation: int) -> Image.Image:
    """Resize first, then orient (transposing 1600 px instead of 12 MP), then rebuild from pixels.

    Each step drops the previous image as soon as it can: the 60 MB budget of a 12 MP photo is
    about peak memory."""
    img = _fit(_working_mode(im), DISPLAY_EDGE, band=256)
    if img is not im:
        im.close()  # frees the decoded pixels (12 MB for a 12 MP JPEG at half scale)
    if orientation in TRANSPOSE:
        img = img.transpose(TRANSPOSE[orientation])
    # A fresh image: EXIF, ICC, XMP and JPEG comments cannot ride along; alpha goes onto white.
    mode = "L" if img.mode in ("L", "LA") else "RGB"
    out = Image.new(mode, img.size, "white")
    out.paste(img if img.mode == mode else img.convert(mode), mask=img.getchannel("A") if "A" in img.mode else None)
    return out


def _working_mode(im: Image.Image) -> Image.Image:
    """L, LA, RGB or RGBA, so resizing filters properly (P would fall back to nearest neighbour)."""
    transparent = "transparency" in im.info
    if im.mode in ("L", "RGB") and not transparent or im.mode in ("LA", "RGBA"):
        return im
    if im.mode.startswith("I") or im.mode == "F":
        return _to_8bit(im)
    if im.mode == "L":
        return im.convert("LA")
    return im.convert("RGBA" if transparent or "A" in im.mode or "a" in im.mode else "RGB")


def _to_8bit(im: Image.Image) -> Image.Image:
    """16-bit/32-bit greyscale scaled into 0..255: convert("L") alone clips everything above 255 to white."""
    wide = im if im.mode == "F" else im.convert("I")
    if im.mode.startswith("I;16"):
        scale, offset = 1 / 256, 0.0
    else:
        low, high = wide.getextrema()
        in_range = low >= 0 and high <= 255
        scale = 1.0 if in_range or high == low else 255 / (high - low)
        offset = 0.0 if in_range or high == low else -low * scale
    return wide.point(lambda v: v * scale + offset).convert("L")


def _fit(im: Image.Image, edge: int, gap: float = 2.0, band: int = 0) -> Image.Image:
    """Shrink to `edge` on the long side (never enlarge). Bicubic keeps small text on notices legible.

    With `band`, output rows are made `band` at a time, so one band's intermediate is alive instead
    of a full-width one (~10 MB at 12 MP). The filter reads source rows past each band's box, so
    there are no seams; pixels differ from a one-shot resize by rounding only (Pillow may run the
    two passes in the other order)."""
    if max(im.size) <= edge:
        return im
    ratio = edge / max(im.size)
    width, height = max(1, round(im.width * ratio)), max(1, round(im.height * ratio))
    if not band:
        return im.resize((width, height), Image.Resampling.BICUBIC, reducing_gap=gap)
    out = Image.new(im.mode, (width, height))
    step = im.height / height
    for top in range(0, height, band):
        bottom = min(height, top + band)
        box = (0, top * step, im.width, bottom * step)
        out.paste(im.resize((width, bottom - top), Image.Resampling.BICUBIC, box=box, reducing_gap=gap), (0, top))
    return out


def _jpeg(im: Image.Image, quality: int) -> bytes:
    buffer = BytesIO()
    im.save(buffer, "JPEG", quality=quality, optimize=False)
    return buffer.getvalue()


def store_file(root: Path, relative: str, blob: bytes) -> None:
    """Write one content-addressed file durably unless it is already there (a signature's image)."""
    _store(Path(root), {relative: lambda: blob})


def _store(root: Path, files: dict[str, Callable[[], bytes]]) -> None:
    """Write each missing file; one that exists has the same content (its name is its hash).

    Everything is encoded before the first write, so a failure there leaves nothing behind; a disk
    error between writes can leave files without a row, which the orphan sweep removes."""
    blobs = {relative: produce() for relative, produce in files.items() if not (root / relative).exists()}
    for relative, blob in blobs.items():
        _write_durably(root / relative, blob)


def _write_durably(path: Path, blob: bytes) -> None:
    """Temp file in the same directory, fsync, rename into place, fsync the directory."""
    _make_dirs(path.parent)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=".part")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(blob)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    _fsync_dir(path.parent)  # the rename itself must survive a power cut


def _make_dirs(directory: Path) -> None:
    """mkdir -p that fsyncs each parent whose entries changed, so a new ab/cd/ is durable too."""
    missing = []
    while not directory.exists():
        missing.append(directory)
        directory = directory.parent
    for new in reversed(missing):
        try:
            new.mkdir()
        except FileExistsError:  # a concurrent ingest made it first
            continue
        _fsync_dir(new.parent)


def _fsync_dir(directory: Path) -> None:
    if os.name != "posix":  # directories cannot be opened for fsync elsewhere
        return
    fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _mb(size: int, up: bool = False) -> str:
    """Millions with a Vietnamese decimal comma; `up` rounds up, so 15,000,001 bytes is not shown as 15."""
    tenths = -(-size // 100_000) if up else round(size / 100_000)
    return f"{tenths / 10:.1f}".replace(".", ",").removesuffix(",0")


def _pixels_message(size: tuple[int, int] | None, max_pixels: int) -> str:
    shown = f" ({size[0]}×{size[1]} điểm ảnh)" if size else ""
    return (f"Ảnh quá lớn{shown}; giới hạn là {_mb(max_pixels)} megapixel. "
            "Hãy gửi ảnh có độ phân giải thấp hơn.")
