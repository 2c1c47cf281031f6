"""Safe processing of uploaded images with Pillow.

An upload is never stored as sent. It is size-checked, identified among a
short list of formats, verified, and its shape is checked from the header
before any pixel is decoded: the pixel count, each side and the aspect ratio.
A JPEG is then decoded at a reduced size close to the largest display size
(libjpeg's DCT scaling, ``Image.draft``); other formats are decoded at full
size, so they must also fit a smaller decoded-pixel budget. The decoded image
is reduced to the largest display size first, and only then turned upright
from its EXIF orientation, converted to sRGB and flattened onto white, and
re-encoded from pixel data alone into JPEG display sizes. The output carries
no EXIF, GPS, ICC or text metadata. Stored files get names chosen by the
server.

Memory: the decoded image is the largest allocation. At most about two copies
of it exist at once (a palette or 16-bit image converted to RGB(A), or RGBA
premultiplied for resampling; WebP also keeps libwebp's buffer, so it gets
half the budget); everything after the first reduction works at display size.
So one upload needs about 10 bytes per pixel of ``max_decoded_pixels`` at most
(about 160 MB at the default 16 MP; bench/README.md, "Images").

Limits (``max_bytes``, ``max_pixels``, ``max_side``, ``max_aspect``,
``max_decoded_pixels``) are passed in by the caller; this module reads no
configuration itself. Files are written through a storage backend
(``app.storage``) under ``[<folder>/]<key>_<size>.jpg``.
"""

from __future__ import annotations

import contextlib
import io
import math
import os
import re
import secrets
import warnings
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from PIL import ExifTags, Image, ImageCms, UnidentifiedImageError

if TYPE_CHECKING:
    from app.storage import Storage

#: Pillow format names we accept; every other decoder stays switched off.
ACCEPTED_FORMATS: tuple[str, ...] = ("JPEG", "PNG", "GIF", "WEBP")
#: Encoding of every stored variant.
OUTPUT_FORMAT = "JPEG"
OUTPUT_EXTENSION = ".jpg"
OUTPUT_CONTENT_TYPE = "image/jpeg"
JPEG_QUALITY = 85
BACKGROUND = (255, 255, 255)
#: Defaults of the shape limits (the app passes IMAGE_MAX_SIDE and IMAGE_MAX_ASPECT).
DEFAULT_MAX_SIDE = 10_000
DEFAULT_MAX_ASPECT = 20.0

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
    "too_many_pixels_to_decode": "This image has too many pixels to process: %(format)s pictures "
    "can have at most %(n)s megapixels. Save it as JPEG or make it smaller.",
    "side_too_long": "This image is too large: each side can be at most %(n)s pixels.",
    "aspect_ratio_too_extreme": "This image is too long and narrow: its long side can be at most "
    "%(n)s times its short side.",
    "unsupported_format": "This image format is not supported. Please upload JPEG, PNG, GIF or WebP.",
    "truncated": "This image file is incomplete or damaged. Please upload it again.",
}

#: EXIF orientation -> the transposition that makes the picture upright.
_ORIENTATIONS = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}
_SWAPS_SIDES = frozenset({5, 6, 7, 8})
#: How many full-size copies decoding a format needs, beyond the decoded image (WebP: Pillow
#: keeps libwebp's output buffer while it copies it): its decoded-pixel budget is divided by it.
_DECODE_COST = {"WEBP": 2}
_FORMAT_NAMES = {"JPEG": "JPEG", "PNG": "PNG", "GIF": "GIF", "WEBP": "WebP"}
#: Resampling first reduces by an integer factor (box filter) down to this many times the
#: target, then filters with Lanczos: Pillow's thumbnail() default, near fair resampling.
_REDUCING_GAP = 2.0


class ImageRejected(Exception):
    """An upload that cannot be accepted, with a stable ``code`` and a human ``message``.

    Codes: ``not_an_image``, ``too_large``, ``too_many_pixels``, ``side_too_long``,
    ``aspect_ratio_too_extreme``, ``unsupported_format``, ``truncated`` (also used for
    otherwise damaged files). ``template`` and ``params`` give the message before
    formatting, for translation: ``gettext(error.template, **error.params)``.
    """

    def __init__(self, code: str, message: str | None = None, *, template: str | None = None,
                 params: Mapping[str, object] | None = None) -> None:
        self.code = code
        self.params = dict(params or {})
        self.template = template or message or _MESSAGES.get(code, "This image cannot be accepted.")
        self.message = message or (self.template % self.params if self.params else self.template)
        super().__init__(self.message)


def _rejected(key: str, code: str | None = None, **params: object) -> ImageRejected:
    return ImageRejected(code or key, template=_MESSAGES[key], params=params)


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


@dataclass(frozen=True)
class Limits:
    """What an upload may be. ``max_decoded_pixels`` bounds an image decoded at full size
    (every format but JPEG, which is decoded at a reduced size); None means ``max_pixels``."""

    max_bytes: int
    max_pixels: int
    max_side: int = DEFAULT_MAX_SIDE
    max_aspect: float = DEFAULT_MAX_ASPECT
    max_decoded_pixels: int | None = None


def configure_pillow(max_pixels: int) -> None:
    """Set Pillow's own decompression-bomb threshold from our pixel limit: Pillow warns above
    it (which process_image turns into a refusal) and refuses twice as many on open."""
    Image.MAX_IMAGE_PIXELS = max_pixels


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


def _check_shape(size: tuple[int, int], limits: Limits) -> None:
    """Refuse, from the header alone, an image with no pixels, more than ``max_pixels``, a
    side above ``max_side`` or a long side more than ``max_aspect`` times the short one."""
    width, height = size
    if width < 1 or height < 1:
        raise ImageRejected("not_an_image")
    if width * height > limits.max_pixels:
        raise ImageRejected("too_many_pixels")
    if max(width, height) > limits.max_side:
        raise _rejected("side_too_long", n=f"{limits.max_side:,}")
    if max(width, height) > limits.max_aspect * min(width, height):
        raise _rejected("aspect_ratio_too_extreme", n=f"{limits.max_aspect:g}")


def _check_decoded(image: Image.Image, limits: Limits) -> None:
    """Refuse an image that would be decoded at more than its format's share of
    ``max_decoded_pixels`` (WebP decodes through a second full-size buffer: half)."""
    budget = (limits.max_decoded_pixels or limits.max_pixels) // _DECODE_COST.get(image.format, 1)
    if image.width * image.height > budget:
        raise _rejected("too_many_pixels_to_decode", code="too_many_pixels",
                        format=_FORMAT_NAMES.get(image.format, image.format),
                        n=f"{budget / 1_000_000:g}")


def fit_within(size: tuple[int, int], edge: int) -> tuple[int, int]:
    """The size ``size`` takes inside an ``edge`` x ``edge`` square, keeping its aspect ratio
    and never enlarged: exactly what Pillow's ``thumbnail((edge, edge))`` makes of it."""
    width, height = size
    if edge >= width and edge >= height:
        return size

    def round_aspect(number: float, key) -> int:
        return max(min(math.floor(number), math.ceil(number), key=key), 1)

    aspect = width / height
    if 1 >= aspect:
        return round_aspect(edge * aspect, key=lambda n: abs(aspect - n / edge)), edge
    return edge, round_aspect(edge / aspect, key=lambda n: 0 if n == 0 else abs(aspect - edge / n))


def _orientation(image: Image.Image) -> int:
    """The EXIF orientation (1-8); an unreadable EXIF block counts as upright."""
    try:
        value = image.getexif().get(ExifTags.Base.Orientation, 1)
    # Malformed EXIF must not make an otherwise good picture unusable.
    except Exception:
        return 1
    return value if value in _ORIENTATIONS else 1


def _decode(data: bytes, limits: Limits,
            edge: int | None) -> tuple[Image.Image, tuple[int, int], tuple[float, ...] | None]:
    """Return the decoded first frame of ``data``, the size its header declares and, for a
    JPEG decoded at a reduced scale, the declared area in decoded pixels (a box for resize());
    or raise ImageRejected. A truncated file is an error.

    The shape is checked from the header before any pixel is decoded. A JPEG is decoded at
    the smallest DCT scale (1/2, 1/4, 1/8) that still covers its ``edge`` display size; the
    size it decodes at must fit ``max_decoded_pixels``. Pillow's own decompression-bomb
    warning is turned into an error as a second line of defence.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            probe = _open(data)
            with probe:
                if probe.format not in ACCEPTED_FORMATS:
                    raise ImageRejected("unsupported_format")
                _check_shape(probe.size, limits)
                probe.verify()

            # verify() leaves the image unusable: reopen to decode.
            image = _open(data)
            declared = image.size
            _check_shape(declared, limits)
            box = None
            if edge is not None and image.format == "JPEG":
                drafted = image.draft(None, fit_within(declared, edge))
                box = drafted[1] if drafted else None
            _check_decoded(image, limits)
            image.seek(0)  # first frame of an animated GIF/WebP
            image.load()  # raises on truncation: LOAD_TRUNCATED_IMAGES is never set
        except ImageRejected:
            raise
        except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
            raise ImageRejected("too_many_pixels") from exc
        # Damaged data surfaces as OSError, SyntaxError, struct.error, ValueError...
        except Exception as exc:
            raise ImageRejected("truncated") from exc
    return image, declared, box


def _resamplable(image: Image.Image) -> Image.Image:
    """``image`` in a mode Pillow resamples well: palette and 1-bit images become RGB(A) or L
    (resizing them would pick nearest pixels), 16/32-bit greyscale becomes 8-bit "L" (scaled,
    not clipped to white). Returns ``image`` itself when it is already fine."""
    if image.mode == "P" or image.mode == "PA":
        transparent = image.mode == "PA" or "transparency" in image.info
        return image.convert("RGBA" if transparent else "RGB")
    if image.mode == "1":
        return image.convert("L")
    if image.mode.startswith("I;16"):
        return image.convert("I").point(lambda v: v * (1 / 256)).convert("L")
    if image.mode == "I":
        return image.point(lambda v: v * (1 / 256)).convert("L")
    if image.mode == "F":
        return image.convert("L")
    if image.mode in ("RGB", "L") and "transparency" in image.info:  # a transparent colour
        return image.convert("RGBA")
    if image.mode not in ("RGB", "RGBA", "L", "LA", "CMYK"):
        with_alpha = "A" in image.mode or "a" in image.mode or "transparency" in image.info
        return image.convert("RGBA" if with_alpha else "RGB")
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


def _flatten(image: Image.Image, icc_profile: bytes | None) -> Image.Image:
    """Return a fresh RGB image with no metadata: sRGB colours, alpha flattened onto white."""
    alpha: Image.Image | None = None
    if image.mode in ("RGBA", "LA"):
        alpha = image.getchannel("A")
        image = image.convert("RGB" if image.mode == "RGBA" else "L")
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


def _display_size(decoded: Image.Image, declared: tuple[int, int],
                  box: tuple[float, ...] | None, orientation: int, edge: int | None) -> Image.Image:
    """The decoded picture brought down to its largest display size (in stored orientation,
    exactly as thumbnail() would size the full-resolution upright picture), in a mode ready
    for flattening. Closes ``decoded`` (freeing its pixels) as soon as it is not needed."""
    image = _resamplable(decoded)
    if image is not decoded:
        decoded.close()
    if edge is None:
        return image
    swapped = orientation in _SWAPS_SIDES
    upright = (declared[1], declared[0]) if swapped else declared
    width, height = fit_within(upright, edge)
    target = (height, width) if swapped else (width, height)
    if image.size == target:
        return image
    # A JPEG decoded at 1/scale covers the declared picture with ceil(side / scale) pixels:
    # `box` maps the declared area onto them, as thumbnail() does.
    resized = image.resize(target, Image.Resampling.LANCZOS, box=box, reducing_gap=_REDUCING_GAP)
    image.close()
    return resized


def process_image(
    data: bytes, *, max_bytes: int, max_pixels: int, sizes: Mapping[str, int],
    max_side: int = DEFAULT_MAX_SIDE, max_aspect: float = DEFAULT_MAX_ASPECT,
    max_decoded_pixels: int | None = None,
) -> ProcessedImage:
    """Decode an uploaded image and re-encode it as metadata-free JPEG variants.

    ``sizes`` maps a variant name to its maximum edge in pixels, e.g.
    ``{"thumb": 320, "card": 640, "large": 1600}``. Each variant fits inside
    that square keeping the aspect ratio and is never upscaled.

    Raises ImageRejected (``too_large``, ``not_an_image``, ``unsupported_format``,
    ``too_many_pixels``, ``side_too_long``, ``aspect_ratio_too_extreme``, ``truncated``)
    for an upload that cannot be accepted, and ValueError for bad ``sizes``.
    Only JPEG, PNG, GIF (first frame) and WebP are read.
    """
    _check_sizes(sizes)
    limits = Limits(max_bytes=max_bytes, max_pixels=max_pixels, max_side=max_side,
                    max_aspect=max_aspect, max_decoded_pixels=max_decoded_pixels)
    if len(data) > limits.max_bytes:
        raise ImageRejected("too_large")
    if not data:
        raise ImageRejected("not_an_image")

    edge = max(sizes.values()) if sizes else None
    decoded, declared, box = _decode(data, limits, edge)
    orientation = _orientation(decoded)
    icc_profile = decoded.info.get("icc_profile")
    image = _display_size(decoded, declared, box, orientation, edge)
    del decoded  # closed by _display_size unless it is `image`
    if orientation in _ORIENTATIONS:
        image = image.transpose(_ORIENTATIONS[orientation])
    clean = _flatten(image, icc_profile)
    image.close()
    upright = (declared[1], declared[0]) if orientation in _SWAPS_SIDES else declared

    variants: dict[str, bytes] = {}
    dimensions: dict[str, tuple[int, int]] = {}
    for name, size_edge in sizes.items():
        target = fit_within(upright, size_edge)
        variant = clean if target == clean.size else clean.resize(
            target, Image.Resampling.LANCZOS, reducing_gap=_REDUCING_GAP)
        variants[name] = _encode(variant)
        dimensions[name] = variant.size

    if dimensions:
        width, height = max(dimensions.values(), key=lambda wh: wh[0] * wh[1])
    else:
        width, height = clean.size
    return ProcessedImage(width=width, height=height, variants=variants, dimensions=dimensions)


# --- storage --------------------------------------------------------------------------------

def _check_key(key: str) -> None:
    """Raise ValueError unless ``key`` is safe to use in a file name."""
    if not isinstance(key, str) or not _NAME_RE.fullmatch(key):
        raise ValueError(f"invalid image key: {key!r}")


def variant_name(key: str, size: str, folder: str = "") -> str:
    """The storage key of variant ``size`` of image ``key``: ``[<folder>/]<key>_<size>.jpg``.

    Raises ValueError if ``key``, ``size`` or ``folder`` contains anything but letters,
    digits, "_" and "-", so a value from a URL can never escape the storage root.
    """
    _check_key(key)
    if not isinstance(size, str) or not _NAME_RE.fullmatch(size):
        raise ValueError(f"invalid size name: {size!r}")
    if folder and not _NAME_RE.fullmatch(folder):
        raise ValueError(f"invalid image folder: {folder!r}")
    name = f"{key}_{size}{OUTPUT_EXTENSION}"
    return f"{folder}/{name}" if folder else name


def variant_names(key: str, sizes: Iterable[str], folder: str = "") -> list[str]:
    """The storage keys of every variant of image ``key``."""
    return [variant_name(key, size, folder) for size in sizes]


def image_path(folder: str, key: str, size: str) -> str:
    """Return the path of variant ``size`` of image ``key`` inside the local ``folder``.

    Raises ValueError if ``key`` or ``size`` contains anything but letters,
    digits, "_" and "-", so a value from a URL can never escape ``folder``.
    """
    return os.path.join(folder, variant_name(key, size))


def new_key(prefix: str = "") -> str:
    """A fresh image key: ``prefix`` followed by 24 random hex digits, never the uploader's."""
    if not _PREFIX_RE.fullmatch(prefix):
        raise ValueError(f"invalid image key prefix: {prefix!r}")
    return prefix + secrets.token_hex(12)


def store_image(processed: ProcessedImage, storage: Storage, prefix: str = "",
                folder: str = "") -> str:
    """Write every variant to ``storage`` as ``[<folder>/]<key>_<size>.jpg``; return the key.

    The key is ``prefix`` followed by 24 random hex digits, chosen here, never
    by the uploader. The backend writes each file whole (a reader never sees half
    a file); if any write fails, the variants already written are removed and the
    error (StorageUnavailable from the backend) is raised.
    """
    key = new_key(prefix)
    names = {size: variant_name(key, size, folder) for size in processed.variants}
    written: list[str] = []
    try:
        for size, payload in processed.variants.items():
            storage.put(names[size], payload, OUTPUT_CONTENT_TYPE)
            written.append(names[size])
    except BaseException:
        for name in written:
            with contextlib.suppress(Exception):
                storage.delete(name)
        raise
    return key


def delete_image(storage: Storage, key: str, sizes: Iterable[str], folder: str = "") -> None:
    """Remove the variants ``sizes`` of image ``key``; files already gone are ignored."""
    for name in variant_names(key, sizes, folder):
        storage.delete(name)
