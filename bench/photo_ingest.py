"""Photo ingest benchmark: Pillow's plain pipeline against `inspect_app.services.evidence.ingest`.

Run by hand from the project root:  .venv/bin/python bench/photo_ingest.py [--runs 7]
It prints figures and asserts nothing. Each run is a fresh child process, so peak RSS is that
child's own (`ru_maxrss`, imports included) and no run inherits another's warm allocator.
The timed span starts with the upload's bytes in memory and ends when all files are written;
ours also hashes the bytes and fsyncs every file and directory (the plain pipeline does not).
The parent never loads Pillow and the photo is made in its own child: Linux carries the parent's
peak RSS into a child's ru_maxrss across fork+exec, which would otherwise hide the real figure.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SIZE = (4000, 3000)
TARGET_RATIO = 0.55
TARGET_PEAK_MB = 60.0


def make_photo(path: Path) -> int:
    """A 12 MP photo-like JPEG: smooth gradients, shapes, per-pixel sensor noise, q92, EXIF orientation 6."""
    from PIL import ExifTags, Image, ImageChops, ImageDraw

    base = Image.merge("RGB", (Image.linear_gradient("L").rotate(90).resize(SIZE),
                               Image.linear_gradient("L").resize(SIZE),
                               Image.radial_gradient("L").resize(SIZE)))
    draw = ImageDraw.Draw(base)
    for i in range(12):  # some edges, like a wall of notices
        x, y = 250 + i * 300, 400 + (i % 3) * 700
        draw.rectangle((x, y, x + 220, y + 500), fill=(240 - i * 10, 230, 200), outline=(20, 20, 20), width=6)
    noise = Image.merge("RGB", [Image.effect_noise(SIZE, 6) for _ in range(3)])
    photo = ImageChops.add(base, noise, scale=1.0, offset=-128)
    exif = Image.Exif()
    exif[ExifTags.Base.Orientation] = 6
    exif[ExifTags.Base.Make], exif[ExifTags.Base.Model] = "samsung", "Galaxy Tab A9"
    exif[ExifTags.IFD.Exif] = {ExifTags.Base.DateTimeOriginal: "2026:11:23 09:15:00"}
    photo.save(path, "JPEG", quality=92, exif=exif)
    return path.stat().st_size


def plain(data: bytes, out: Path) -> None:
    from PIL import Image, ImageOps

    im = Image.open(io.BytesIO(data))
    im.load()
    im = ImageOps.exif_transpose(im)
    im.thumbnail((1600, 1600))
    im.save(out / "display.jpg", "JPEG", quality=80)
    im.thumbnail((320, 320))
    im.save(out / "thumb.jpg", "JPEG", quality=80)


def ours(data: bytes, out: Path) -> None:
    from inspect_app.services.evidence import ingest

    ingest(data, out)


def child(which: str, photo: str, out: str) -> None:
    """One measured run; prints a JSON line for the parent."""
    sys.path.insert(0, str(ROOT))
    fn = {"plain": plain, "ours": ours}[which]
    if which == "ours":
        import inspect_app.services.evidence  # noqa: F401  (imports are outside the timed span)
    else:
        import PIL.ImageOps  # noqa: F401
    data = Path(photo).read_bytes()
    start = time.perf_counter()
    fn(data, Path(out))
    elapsed = time.perf_counter() - start
    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
    print(json.dumps({"ms": elapsed * 1000, "peak_mb": peak_kib * 1024 / 1e6, "hwm_mb": _vm_hwm_mb()}))


def _vm_hwm_mb() -> float | None:
    """The kernel's high-water mark of this process image (a cross-check of ru_maxrss)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024 / 1e6
    except OSError:
        pass
    return None


def run_child(which: str, photo: Path) -> dict:
    with tempfile.TemporaryDirectory(prefix=f"bench-{which}-") as out:  # fresh root: no dedupe shortcut
        proc = subprocess.run([sys.executable, __file__, "--child", which, str(photo), out],
                              capture_output=True, text=True, check=True, cwd=ROOT)
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--child", nargs=3, metavar=("WHICH", "PHOTO", "OUT"), help=argparse.SUPPRESS)
    parser.add_argument("--make", metavar="PHOTO", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(*args.child)
        return
    if args.make:
        import PIL

        make_photo(Path(args.make))
        print(json.dumps({"pillow": PIL.__version__}))
        return

    with tempfile.TemporaryDirectory(prefix="bench-photo-") as tmp:
        photo = Path(tmp) / "camera.jpg"
        made = json.loads(subprocess.run([sys.executable, __file__, "--make", str(photo)], capture_output=True,
                                         text=True, check=True).stdout)
        size = photo.stat().st_size
        results: dict[str, list[dict]] = {"plain": [], "ours": []}
        for _ in range(args.runs):  # interleaved, so drift on a shared machine hits both alike
            for which in results:
                results[which].append(run_child(which, photo))

    med = {w: (statistics.median(r["ms"] for r in rs), statistics.median(r["peak_mb"] for r in rs),
               min(r["ms"] for r in rs), max(r["ms"] for r in rs)) for w, rs in results.items()}
    hwm = {w: statistics.median(r["hwm_mb"] or 0 for r in rs) for w, rs in results.items()}
    ratio = med["ours"][0] / med["plain"][0]
    print(f"Photo ingest benchmark: {SIZE[0]}×{SIZE[1]} JPEG q92, {size / 1e6:.2f} MB, EXIF orientation 6")
    print(f"machine: {os.cpu_count()} CPUs, {platform.platform()}, {platform.machine()}")
    print(f"Python {platform.python_version()}, Pillow {made['pillow']}; "
          f"{args.runs} runs each, fresh process per run, medians")
    print()
    labels = {"plain": "plain: open → load → exif_transpose → thumbnail(1600) → q80 → 320",
              "ours": "ours: ingest() (sha256, draft, EXIF, 3 files + fsync)"}
    col = max(map(len, labels.values()))
    print(f"| {'pipeline':<{col}} | {'median':>9} | {'min–max':>15} | {'peak RSS':>9} |")
    print(f"|{'-' * (col + 2)}|{'-' * 11}|{'-' * 17}|{'-' * 11}|")
    for which, (ms, mb, lo, hi) in med.items():
        print(f"| {labels[which]:<{col}} | {ms:>6.1f} ms | {lo:>5.1f}–{hi:>5.1f} ms | {mb:>6.1f} MB |")
    print()
    time_ok = "met" if ratio <= TARGET_RATIO else "MISSED"
    rss_ok = "met" if med["ours"][1] <= TARGET_PEAK_MB else "MISSED"
    print(f"ratio ours/plain (median time): {ratio:.2f}×  target ≤ {TARGET_RATIO}× → {time_ok}")
    print(f"peak RSS ours: {med['ours'][1]:.1f} MB  target ≤ {TARGET_PEAK_MB:.0f} MB → {rss_ok}"
          f"  (plain: {med['plain'][1]:.1f} MB)")
    print(f"peak RSS = ru_maxrss of each child, imports included, MB = 10^6 bytes; "
          f"VmHWM cross-check: ours {hwm['ours']:.1f} MB, plain {hwm['plain']:.1f} MB")


if __name__ == "__main__":
    main()
