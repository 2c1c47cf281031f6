"""Safe processing of uploaded images with Pillow.

An upload is never stored as sent. It is size-checked, identified among a
short list of formats, verified, checked for its pixel count before any pixel
is decoded, fully decoded (a truncated file is an error), turned upright from
its EXIF orientation, converted to sRGB and flattened onto white, then
re-encoded from pixel data alone into JPEG display sizes. The output carries no
EXIF, GPS, ICC or text metadata. Stored files get names chosen by the server.

Limits (``IMAGE_MAX_BYTES``, ``IMAGE_MAX_PIXELS``) are passed in by the caller;
this module reads no configuration itself.
"""

from __future__ import annotations

import contextlib
import io
import os
import re
import secrets
import tempfile
import warnings
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from PIL import Image, ImageCms, ImageOps, UnidentifiedImageError

#: Pillow format names we accept; every other decoder stays switched off.
ACCEPTED_FORMATS: tuple[str, ...] = ("JPEG", "PNG", "GIF", "WEBP")
#: Encoding of every stored variant.
OUTPUT_FORMAT = "JPEG"
OUTPUT_EXTENSION = ".jpg"
OUTPUT_CONTENT_TYPE = "image/jpeg"
JPEG_QUALITY = 85
BACKGROUND = (255, 255, 255)

# Keys, prefixes and size names end up in file names: keep them to a safe alphabet.
_NAME_RE = re.compile(r"[A-Za-z0-9_-]+")
_PREFIX_RE = re.compile(r"[A-Za-z0-9_-]*")

# Signatures of common image formats we do not accept, so that the member is
# told "unsupported format" rather than "not an image".
_OTHER_IMAGE_SIGNATURES: tuple[tuple[int, bytes, str], ...] = (
    (0, b"BM", "BMP"),
    (0, b"II*\x00", "TIFF"),
    (0, b"MM\x00*", "TIFF"),
    (0, b"\x00\x00\x01\x00", "ICO"),
    (0, b"8BPS", "PSD"),
    (0, b"\x00\x00\x00\x0cjP  ", "JPEG 2000"),
    (0, b"\xff\x4f\xff\x51", "JPEG 2000"),
    (0, b"\xff\x0a", "JPEG XL"),
    (0, b"\x00\x00\x00\x0cJXL ", "JPEG XL"),
    (4, b"ftypheic", "HEIC"),
    (4, b"ftypheix", "HEIC"),
    (4, b"ftypmif1", "HEIF"),
    (4, b"ftypavif", "AVIF"),
    (0, b"%!PS", "PostScript"),
)

_MESSAGES = {
    "not_an_image": "This file is not an image. Please upload a JPEG, PNG, GIF or WebP picture.",
    "too_large": "This image file is too large.",
    "too_many_pixels": "This image has too many pixels.",
    "unsupported_format": "This image format is not supported. Please upload JPEG, PNG, GIF or WebP.",
    "truncated": "This image file is incomplete or damaged. Please upload it again.",
}


class ImageRejected(Exception):
    """An upload that cannot be accepted, with a stable ``code`` and a human ``message``.

    Codes: ``not_an_image``, ``too_large``, ``too_many_pixels``,
    ``unsupported_format``, ``truncated`` (also used for otherwise damaged files).
    """

    def __init__(self, code: str, message: str | None = None) -> None:
        self.code = code
        self.message = message or _MESSAGES.get(code, "This image cannot be accepted.")
        super().__init__(self.message)


@dataclass(frozen=True)
class ProcessedImage:
    """Re-encoded JPEG variants of one upload.

    ``width``/``height`` are those of the largest variant (or of the upright
    original when no size was asked for); ``dimensions`` gives each variant's
    own (width, height), handy for ``<img width height>``.
    """

    width: int
    height: int
    variants: dict[str, bytes] = field(repr=False)
    dimensions: dict[str, tuple[int, int]] = field(default_factory=dict)


def _sniff_other_format(data: bytes) -> str | None:
    """Return the name of a known-but-refused image format ``data`` starts with, if any."""
    for offset, signature, name in _OTHER_IMAGE_SIGNATURES:
        if data[offset : offset + len(signature)] == signature:
            return name
    head = data[:512].lstrip().lower()
    if head.startswith(b"<svg") or (head.startswith(b"<?xml") and b"<svg" in head):
        return "SVG"
    return None


def _open(data: bytes) -> Image.Image:
    """Open ``data`` with the accepted decoders only, mapping failures to ImageRejected."""
    try:
        return Image.open(io.BytesIO(data), formats=ACCEPTED_FORMATS)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise ImageRejected("too_many_pixels") from exc
    except UnidentifiedImageError as exc:
        if _sniff_other_format(data):
            raise ImageRejected("unsupported_format") from exc
        raise ImageRejected("not_an_image") from exc
    # Pillow raises many exception types on hostile headers.
    except Exception as exc:
        raise ImageRejected("truncated") from exc


def _check_pixels(image: Image.Image, max_pixels: int) -> None:
    """Refuse an image whose header declares more than ``max_pixels`` pixels (or none)."""
    width, height = image.size
    if width < 1 or height < 1:
        raise ImageRejected("not_an_image")
    if width * height > max_pixels:
        raise ImageRejected("too_many_pixels")


def _decode(data: bytes, max_pixels: int) -> Image.Image:
    """Return the fully decoded first frame of ``data``, or raise ImageRejected.

    The pixel count is checked from the header before any pixel is decoded.
    Pillow's own decompression-bomb warning is turned into an error as a
    second line of defence.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            probe = _open(data)
            with probe:
                if probe.format not in ACCEPTED_FORMATS:
                    raise ImageRejected("unsupported_format")
                _check_pixels(probe, max_pixels)
                probe.verify()

            # verify() leaves the image unusable: reopen to decode.
            image = _open(data)
            _check_pixels(image, max_pixels)
            image.seek(0)  # first frame of an animated GIF/WebP
            image.load()  # raises on truncation: LOAD_TRUNCATED_IMAGES is never set
        except ImageRejected:
            raise
        except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
            raise ImageRejected("too_many_pixels") from exc
        # Damaged data surfaces as OSError, SyntaxError, struct.error, ValueError...
        except Exception as exc:
            raise ImageRejected("truncated") from exc
    return image


def _upright(image: Image.Image) -> Image.Image:
    """Apply the EXIF orientation; an unreadable EXIF block is treated as absent."""
    try:
        return ImageOps.exif_transpose(image)
    # Malformed EXIF must not make an otherwise good picture unusable.
    except Exception:
        return image


def _high_bit_depth_to_8bit(image: Image.Image) -> Image.Image:
    """Scale 16/32-bit greyscale to 8-bit "L" instead of letting convert() clip it to white."""
    if image.mode.startswith("I;16"):
        return image.convert("I").point(lambda v: v * (1 / 256)).convert("L")
    if image.mode == "I":
        return image.point(lambda v: v * (1 / 256)).convert("L")
    if image.mode == "F":
        return image.convert("L")
    return image


def _to_srgb(image: Image.Image, icc_profile: bytes | None) -> Image.Image:
    """Return an "RGB" image, colour-managed to sRGB when an ICC profile was embedded."""
    if image.mode not in ("RGB", "CMYK", "L"):
        image = image.convert("RGB")
    if icc_profile:
        try:
            source = ImageCms.ImageCmsProfile(io.BytesIO(icc_profile))
            target = ImageCms.createProfile("sRGB")
            converted = ImageCms.profileToProfile(image, source, target, outputMode="RGB")
            if converted is not None:
                return converted
        # An unusable or mismatched profile: fall back to a plain conversion.
        except Exception:
            pass
    return image.convert("RGB")


def _flatten(image: Image.Image) -> Image.Image:
    """Return a fresh RGB image with no metadata: sRGB colours, alpha flattened onto white."""
    icc_profile = image.info.get("icc_profile")
    image = _high_bit_depth_to_8bit(image)
    has_alpha = image.mode in ("RGBA", "LA", "PA", "RGBa", "La") or "transparency" in image.info
    alpha: Image.Image | None = None
    if has_alpha:
        rgba = image.convert("RGBA")
        alpha = rgba.getchannel("A")
        image = rgba.convert("RGB")
    colour = _to_srgb(image, icc_profile)
    # A brand-new image: nothing from the upload's info dict (EXIF, GPS, ICC,
    # text chunks, comments) can travel with it.
    clean = Image.new("RGB", colour.size, BACKGROUND)
    clean.paste(colour, (0, 0), alpha)
    return clean


def _encode(image: Image.Image) -> bytes:
    """Encode ``image`` as a baseline-compatible progressive JPEG with no metadata."""
    buffer = io.BytesIO()
    image.save(buffer, OUTPUT_FORMAT, quality=JPEG_QUALITY, optimize=True, progressive=True)
    return buffer.getvalue()


def _check_sizes(sizes: Mapping[str, int]) -> None:
    """Raise ValueError for size names unsafe in file names or non-positive edges."""
    for name, edge in sizes.items():
        if not _NAME_RE.fullmatch(name):
            raise ValueError(f"invalid size name: {name!r}")
        if isinstance(edge, bool) or not isinstance(edge, int) or edge < 1:
            raise ValueError(f"invalid max edge for {name!r}: {edge!r}")


def process_image(
    data: bytes, *, max_bytes: int, max_pixels: int, sizes: Mapping[str, int]
) -> ProcessedImage:
    """Decode an uploaded image and re-encode it as metadata-free JPEG variants.

    ``sizes`` maps a variant name to its maximum edge in pixels, e.g.
    ``{"thumb": 320, "card": 640, "large": 1600}``. Each variant fits inside
    that square keeping the aspect ratio and is never upscaled.

    Raises ImageRejected (``too_large``, ``not_an_image``,
    ``unsupported_format``, ``too_many_pixels``, ``truncated``) for an upload
    that cannot be accepted, and ValueError for bad ``sizes``.
    Only JPEG, PNG, GIF (first frame) and WebP are read.
    """
    _check_sizes(sizes)
    if len(data) > max_bytes:
        raise ImageRejected("too_large")
    if not data:
        raise ImageRejected("not_an_image")

    decoded = _decode(data, max_pixels)
    try:
        upright = _upright(decoded)
        clean = _flatten(upright)
    finally:
        decoded.close()

    variants: dict[str, bytes] = {}
    dimensions: dict[str, tuple[int, int]] = {}
    for name, edge in sizes.items():
        variant = clean.copy()
        variant.thumbnail((edge, edge), Image.Resampling.LANCZOS)  # only ever shrinks
        variants[name] = _encode(variant)
        dimensions[name] = variant.size

    if dimensions:
        width, height = max(dimensions.values(), key=lambda wh: wh[0] * wh[1])
    else:
        width, height = clean.size
    return ProcessedImage(width=width, height=height, variants=variants, dimensions=dimensions)


def _check_key(key: str) -> None:
    """Raise ValueError unless ``key`` is safe to use in a file name."""
    if not isinstance(key, str) or not _NAME_RE.fullmatch(key):
        raise ValueError(f"invalid image key: {key!r}")


def image_path(folder: str, key: str, size: str) -> str:
    """Return the path of variant ``size`` of image ``key`` inside ``folder``.

    Raises ValueError if ``key`` or ``size`` contains anything but letters,
    digits, "_" and "-", so a value from a URL can never escape ``folder``.
    """
    _check_key(key)
    if not isinstance(size, str) or not _NAME_RE.fullmatch(size):
        raise ValueError(f"invalid size name: {size!r}")
    return os.path.join(folder, f"{key}_{size}{OUTPUT_EXTENSION}")


def store_image(processed: ProcessedImage, folder: str, prefix: str = "") -> str:
    """Write every variant to ``folder`` as ``<key>_<size>.jpg`` and return the new key.

    The key is ``prefix`` followed by 24 random hex digits, chosen here, never
    by the uploader. ``folder`` is created if needed. Each file is written to a
    temporary name and renamed, so a reader never sees half a file; if any
    write fails, the variants already written are removed and the error is
    raised.
    """
    if not _PREFIX_RE.fullmatch(prefix):
        raise ValueError(f"invalid image key prefix: {prefix!r}")
    os.makedirs(folder, exist_ok=True)
    key = prefix + secrets.token_hex(12)
    written: list[str] = []
    try:
        for size, payload in processed.variants.items():
            path = image_path(folder, key, size)
            fd, tmp_path = tempfile.mkstemp(dir=folder, prefix=".upload-", suffix=".tmp")
            try:
                with os.fdopen(fd, "wb") as handle:
                    handle.write(payload)
                # mkstemp creates 0600; a separate web server may serve these files.
                os.chmod(tmp_path, 0o644)
                os.replace(tmp_path, path)
            except BaseException:
                _remove_quietly(tmp_path)
                raise
            written.append(path)
    except BaseException:
        for path in written:
            _remove_quietly(path)
        raise
    return key


def delete_image(folder: str, key: str, sizes: Iterable[str]) -> None:
    """Remove the variants ``sizes`` of image ``key``; files already gone are ignored."""
    for size in sizes:
        _remove_quietly(image_path(folder, key, size))


def _remove_quietly(path: str) -> None:
    """Delete ``path`` if it exists."""
    with contextlib.suppress(FileNotFoundError):
        os.remove(path)
