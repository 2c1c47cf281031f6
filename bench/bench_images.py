"""Time and peak memory of processing one image upload, against Pillow alone doing the same.

    .venv/bin/python bench/bench_images.py [--previous PATH] [--only CASE,...]

Each measurement runs in a fresh Python process (so peaks do not mix): the upload's bytes are
read and the modules imported first, then the peak resident set size is
compared with the resident size just before processing (VmHWM reset through
/proc/self/clear_refs, as getrusage's ru_maxrss is inherited across exec on Linux). Methods:

- ``kyoso``: app.images.process_image with the default settings of config.py (the three idea
  display sizes), which is what an upload costs a worker;
- ``pillow``: Pillow alone making the same three JPEG sizes the usual way (open, thumbnail
  (1600, 1600) with its defaults, save; then 640 and 320 from that), the ceiling to compare
  with; it checks nothing and keeps no limits;
- ``previous``: with --previous PATH, an older app/images.py (e.g. `git show
  <commit>:app/images.py > /tmp/images_before.py`) run the same way, for before/after numbers.

Inputs are generated once into a temporary folder: a 12-megapixel photo-like JPEG, a
6300 x 6300 JPEG and PNG, a 4000 x 4000 RGBA PNG and WebP, a 2800 x 2800 RGBA WebP, a 4K screenshot-like PNG and a
1 x 39,000,000 PNG (148 KB). Prints one row per case and method.
"""
from __future__ import annotations

import argparse
import importlib.util
import io
import json
import os
import struct
import subprocess
import sys
import tempfile
import time
import zlib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SIZES = {"thumb": 320, "card": 640, "large": 1600}
CASES = ("jpeg_12mp", "jpeg_6300", "png_6300", "png_rgba_4000", "webp_rgba_4000",
         "webp_rgba_2800", "png_4k", "png_1x39m")


# --- inputs ---------------------------------------------------------------------------------

def _photo(width: int, height: int):
    """A photo-like RGB picture: smooth colour fields with fine grain (compresses like a photo)."""
    from PIL import Image, ImageFilter

    small = Image.effect_noise((max(1, width // 64), max(1, height // 64)), 80)
    colour = Image.merge("RGB", [small.point(lambda v, k=k: (v * (k + 2)) % 256) for k in range(3)])
    colour = colour.resize((width, height), Image.Resampling.BICUBIC)
    grain = Image.effect_noise((width, height), 12).filter(ImageFilter.BLUR)
    return Image.blend(colour, Image.merge("RGB", [grain] * 3), 0.15)


def _png_chunk(kind: bytes, payload: bytes) -> bytes:
    return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", zlib.crc32(kind + payload))


def _png_1_by(height: int) -> bytes:
    """A valid 1-pixel-wide greyscale PNG, compressed row by row (never held whole)."""
    compressor = zlib.compressobj(9)
    row = b"\x00\x80"  # filter byte, one grey pixel
    chunk = row * 65536
    parts = []
    left = height
    while left:
        count = min(left, 65536)
        parts.append(compressor.compress(chunk if count == 65536 else row * count))
        left -= count
    parts.append(compressor.flush())
    header = struct.pack(">IIBBBBB", 1, height, 8, 0, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + _png_chunk(b"IHDR", header)
            + _png_chunk(b"IDAT", b"".join(parts)) + _png_chunk(b"IEND", b""))


def generate(case: str) -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    if case == "jpeg_12mp":
        _photo(4000, 3000).save(buffer, "JPEG", quality=90)
    elif case == "jpeg_6300":
        _photo(6300, 6300).save(buffer, "JPEG", quality=85)
    elif case == "png_6300":
        _photo(6300, 6300).quantize(64).convert("RGB").save(buffer, "PNG", compress_level=6)
    elif case == "png_rgba_4000":
        picture = _photo(4000, 4000).quantize(32).convert("RGBA")
        picture.putalpha(Image.linear_gradient("L").resize((4000, 4000)))
        picture.save(buffer, "PNG", compress_level=6)
    elif case.startswith("webp_rgba_"):
        side = int(case.rsplit("_", 1)[1])
        picture = _photo(side, side).convert("RGBA")
        picture.putalpha(Image.linear_gradient("L").resize((side, side)))
        picture.save(buffer, "WEBP", quality=80)
    elif case == "png_4k":
        _photo(3840, 2160).quantize(16).convert("RGB").save(buffer, "PNG", compress_level=6)
    elif case == "png_1x39m":
        return _png_1_by(39_000_000)
    return buffer.getvalue()


# --- one measurement (in a child process) ---------------------------------------------------

def _status_kb(field: str) -> int:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return 0


def _reset_peak() -> None:
    """Start the peak-RSS mark (VmHWM) afresh at the current RSS (Linux /proc/self/clear_refs).
    getrusage's ru_maxrss would do on a process of its own, but Linux carries it across
    exec from the parent (which generated the inputs), so it is only a fallback."""
    try:
        with open("/proc/self/clear_refs", "w") as refs:
            refs.write("5")
    except OSError:
        pass


def _peak_kb() -> int:
    import resource

    return _status_kb("VmHWM") or resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def _pillow_alone(data: bytes) -> str:
    from PIL import Image

    image = Image.open(io.BytesIO(data))
    image.thumbnail((1600, 1600))
    image = image.convert("RGB")
    outputs = []
    for edge in (1600, 640, 320):
        variant = image.copy()
        variant.thumbnail((edge, edge))
        buffer = io.BytesIO()
        variant.save(buffer, "JPEG", quality=85)
        outputs.append(variant.size)
    return f"ok {outputs[0][0]}x{outputs[0][1]}"


def _with_module(module, data: bytes) -> str:
    from config import Config

    config = Config()
    options = {"max_bytes": config.IMAGE_MAX_BYTES, "max_pixels": config.IMAGE_MAX_PIXELS,
               "sizes": SIZES}
    if "max_side" in module.process_image.__code__.co_varnames:
        options.update(max_side=config.IMAGE_MAX_SIDE, max_aspect=config.IMAGE_MAX_ASPECT,
                       max_decoded_pixels=config.IMAGE_MAX_DECODED_PIXELS)
    if hasattr(module, "configure_pillow"):
        module.configure_pillow(config.IMAGE_MAX_PIXELS)
    try:
        result = module.process_image(data, **options)
    except module.ImageRejected as refused:
        return f"refused {refused.code}"
    return f"ok {result.width}x{result.height}"


def measure(path: str, method: str, previous: str | None) -> dict:
    data = Path(path).read_bytes()
    import PIL.Image  # noqa: F401  (imports before the baseline)

    if method == "pillow":
        run = _pillow_alone
    else:
        if method == "previous":
            spec = importlib.util.spec_from_file_location("images_previous", previous)
            module = importlib.util.module_from_spec(spec)
            sys.modules["images_previous"] = module  # dataclasses look their module up
            spec.loader.exec_module(module)
        else:
            from app import images as module

        def run(payload: bytes) -> str:
            return _with_module(module, payload)
    _reset_peak()
    before = _status_kb("VmRSS")
    started = time.perf_counter()
    try:
        outcome = run(data)
    except Exception as error:  # Pillow alone has no limits: report what it raised
        outcome = f"error {type(error).__name__}"
    seconds = time.perf_counter() - started
    peak = _peak_kb()
    return {"seconds": seconds, "peak_mb": max(0, peak - before) / 1024, "outcome": outcome,
            "rss_before_mb": before / 1024}


# --- driver ---------------------------------------------------------------------------------

def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--previous", help="an older app/images.py to measure too")
    parser.add_argument("--only", help="comma-separated cases", default=",".join(CASES))
    parser.add_argument("--one", nargs=2, metavar=("PATH", "METHOD"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(measure(args.one[0], args.one[1], args.previous)))
        return 0

    methods = ["kyoso", "pillow"] + (["previous"] if args.previous else [])
    folder = Path(tempfile.mkdtemp(prefix="kyoso-bench-images-"))
    print(f"{'case':<15} {'bytes':>10}  {'method':<9} {'seconds':>8} {'peak MB':>8}  outcome")
    for case in args.only.split(","):
        path = folder / case
        path.write_bytes(generate(case))
        size = path.stat().st_size
        for method in methods:
            command = [sys.executable, __file__, "--one", str(path), method]
            if args.previous:
                command += ["--previous", args.previous]
            output = subprocess.run(command, capture_output=True, text=True, cwd=ROOT,
                                    env={**os.environ, "PYTHONWARNINGS": "ignore"})
            if output.returncode:
                print(f"{case:<15} {size:>10}  {method:<9} failed: {output.stderr.strip()[-200:]}")
                continue
            row = json.loads(output.stdout.strip().splitlines()[-1])
            print(f"{case:<15} {size:>10}  {method:<9} {row['seconds']:>8.2f} "
                  f"{row['peak_mb']:>8.1f}  {row['outcome']}", flush=True)
        path.unlink()
    folder.rmdir()
    return 0


if __name__ == "__main__":
    sys.exit(main())
