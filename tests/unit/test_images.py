"""Uploaded images: only real, sane pictures get through, re-encoded and stripped of metadata."""

from __future__ import annotations

import io
import os
import struct
import zlib
from pathlib import Path

import pytest
from PIL import ExifTags, Image, ImageCms

from app.images import (
    ImageRejected,
    ProcessedImage,
    delete_image,
    image_path,
    process_image,
    store_image,
)
from app.storage import LocalStorage

SIZES = {"thumb": 320, "card": 640, "large": 1600}
LIMITS = {"max_bytes": 10 * 1024 * 1024, "max_pixels": 40_000_000}


def encode(image: Image.Image, fmt: str, **params: object) -> bytes:
    """Return ``image`` saved in ``fmt`` as bytes."""
    buffer = io.BytesIO()
    image.save(buffer, fmt, **params)
    return buffer.getvalue()


def process(data: bytes, **overrides: object) -> ProcessedImage:
    """Run process_image with the usual limits and sizes unless overridden."""
    options: dict[str, object] = {**LIMITS, "sizes": SIZES, **overrides}
    return process_image(data, **options)  # type: ignore[arg-type]


def reopen(data: bytes) -> Image.Image:
    """Open an output variant, fully decoded."""
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


def rejection(data: bytes, **overrides: object) -> str:
    """Return the code of the ImageRejected that processing ``data`` must raise."""
    with pytest.raises(ImageRejected) as info:
        process(data, **overrides)
    assert info.value.message
    return info.value.code


def png_chunk(kind: bytes, payload: bytes) -> bytes:
    """Return one PNG chunk with its length and CRC."""
    return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", zlib.crc32(kind + payload))


def png_claiming(width: int, height: int) -> bytes:
    """A tiny PNG whose header claims ``width`` x ``height`` 1-bit pixels (a decompression bomb shape)."""
    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    row = b"\x00" + b"\x00" * ((width + 7) // 8)
    # A few rows only: far smaller than the claimed image, never decoded anyway.
    idat = zlib.compress(row * 16, 9)
    return (
        b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", header) + png_chunk(b"IDAT", idat) + png_chunk(b"IEND", b"")
    )


def assert_no_metadata(data: bytes) -> None:
    """The variant is a JPEG carrying no EXIF, ICC profile or comment."""
    image = reopen(data)
    assert image.format == "JPEG"
    assert image.mode == "RGB"
    assert not image.getexif()
    for key in ("exif", "icc_profile", "comment", "xmp", "photoshop"):
        assert key not in image.info
    assert b"Exif\x00\x00" not in data
    assert b"ICC_PROFILE" not in data


# --- accepted pictures -------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["PNG", "JPEG", "WEBP", "GIF"])
def test_each_accepted_format_becomes_jpeg_variants(fmt: str) -> None:
    data = encode(Image.new("RGB", (800, 400), (20, 120, 200)), fmt)
    result = process(data)
    assert set(result.variants) == set(SIZES)
    assert result.dimensions == {"thumb": (320, 160), "card": (640, 320), "large": (800, 400)}
    assert (result.width, result.height) == (800, 400)
    for variant in result.variants.values():
        assert_no_metadata(variant)


def test_large_image_is_downscaled_to_each_size_limit() -> None:
    result = process(encode(Image.new("RGB", (3000, 2000), (90, 90, 90)), "JPEG"))
    assert result.dimensions == {"thumb": (320, 213), "card": (640, 427), "large": (1600, 1067)}
    assert (result.width, result.height) == (1600, 1067)
    for name, edge in SIZES.items():
        assert max(reopen(result.variants[name]).size) == edge


def test_small_image_is_never_upscaled() -> None:
    result = process(encode(Image.new("RGB", (120, 90), "red"), "PNG"))
    assert set(result.dimensions.values()) == {(120, 90)}
    assert reopen(result.variants["large"]).size == (120, 90)


def test_colours_survive_reencoding() -> None:
    result = process(encode(Image.new("RGB", (64, 64), (200, 30, 30)), "PNG"))
    red, green, blue = reopen(result.variants["thumb"]).getpixel((32, 32))
    assert red > 180 and green < 60 and blue < 60


def test_exif_and_gps_are_stripped_and_orientation_applied() -> None:
    exif = Image.Exif()
    exif[ExifTags.Base.Orientation] = 6  # rotate 90° clockwise to display
    exif[ExifTags.Base.Make] = "PhoneCo"
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps[ExifTags.GPS.GPSLatitudeRef] = "N"
    gps[ExifTags.GPS.GPSLatitude] = (35.0, 39.0, 29.0)
    gps[ExifTags.GPS.GPSLongitudeRef] = "E"
    gps[ExifTags.GPS.GPSLongitude] = (139.0, 44.0, 28.0)
    upload = encode(Image.new("RGB", (400, 200), "blue"), "JPEG", exif=exif, comment=b"home address")
    sent = Image.open(io.BytesIO(upload)).getexif()
    assert sent.get_ifd(ExifTags.IFD.GPSInfo)  # the upload really carries GPS

    result = process(upload)

    assert (result.width, result.height) == (200, 400)  # upright
    for variant in result.variants.values():
        assert_no_metadata(variant)
        assert b"PhoneCo" not in variant
        assert b"home address" not in variant


def test_png_text_chunks_and_icc_profile_are_dropped() -> None:
    from PIL import PngImagePlugin

    text = PngImagePlugin.PngInfo()
    text.add_text("Author", "secret-author")
    text.add_itxt("Location", "secret-place")
    icc = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    upload = encode(Image.new("RGB", (50, 50), "green"), "PNG", pnginfo=text, icc_profile=icc)

    result = process(upload)

    for variant in result.variants.values():
        assert_no_metadata(variant)
        assert b"secret" not in variant


def test_transparent_png_is_flattened_onto_white() -> None:
    image = Image.new("RGBA", (100, 100), (0, 0, 0, 0))
    image.paste((0, 0, 0, 255), (50, 0, 100, 100))  # right half opaque black
    result = process(encode(image, "PNG"))
    flat = reopen(result.variants["thumb"])
    assert flat.mode == "RGB"
    assert all(channel > 245 for channel in flat.getpixel((10, 50)))
    assert all(channel < 10 for channel in flat.getpixel((90, 50)))


def test_palette_gif_transparency_is_flattened_onto_white() -> None:
    image = Image.new("P", (40, 40), 0)
    image.putpalette([255, 0, 0] + [0, 0, 0] * 255)
    result = process(encode(image, "GIF", transparency=0))
    assert all(channel > 245 for channel in reopen(result.variants["thumb"]).getpixel((20, 20)))


def test_animated_gif_keeps_its_first_frame() -> None:
    frames = [Image.new("RGB", (60, 60), colour) for colour in ((255, 0, 0), (0, 0, 255))]
    upload = encode(frames[0], "GIF", save_all=True, append_images=frames[1:], duration=100, loop=0)
    red, _green, blue = reopen(process(upload).variants["thumb"]).getpixel((30, 30))
    assert red > 200 and blue < 60


def test_sixteen_bit_greyscale_keeps_its_tone() -> None:
    upload = encode(Image.new("I;16", (32, 32), 32768), "PNG")  # mid grey, not white
    grey = reopen(process(upload).variants["thumb"]).getpixel((16, 16))
    assert all(110 < channel < 150 for channel in grey)


def test_cmyk_jpeg_is_converted_to_rgb() -> None:
    red_in_cmyk = (0, 255, 255, 0)
    upload = encode(Image.new("CMYK", (40, 40), red_in_cmyk), "JPEG")
    red, green, blue = reopen(process(upload).variants["thumb"]).getpixel((20, 20))
    assert red > 200 and green < 80 and blue < 80


# --- refused uploads ------------------------------------------------------------------------


def test_text_file_named_jpg_is_not_an_image() -> None:
    assert rejection(b"Hello, I am a text file pretending to be photo.jpg\n" * 20) == "not_an_image"


def test_empty_upload_is_not_an_image() -> None:
    assert rejection(b"") == "not_an_image"


def test_html_polyglot_is_not_an_image() -> None:
    assert rejection(b"<html><script>alert(1)</script></html>") == "not_an_image"


@pytest.mark.parametrize("fmt", ["BMP", "TIFF"])
def test_other_image_formats_are_unsupported(fmt: str) -> None:
    assert rejection(encode(Image.new("RGB", (10, 10)), fmt)) == "unsupported_format"


def test_svg_is_unsupported() -> None:
    svg = b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><rect width="10" height="10"/></svg>'
    assert rejection(svg) == "unsupported_format"


@pytest.mark.parametrize("fmt", ["JPEG", "PNG"])
def test_truncated_file_is_refused(fmt: str) -> None:
    # Noise compresses badly, so half the file is half the picture.
    image = Image.effect_noise((400, 400), 64).convert("RGB")
    data = encode(image, fmt)
    assert rejection(data[: len(data) // 2]) == "truncated"


def test_png_with_corrupted_data_is_refused() -> None:
    data = bytearray(encode(Image.effect_noise((100, 100), 64), "PNG"))
    data[len(data) // 2] ^= 0xFF  # breaks the IDAT checksum
    assert rejection(bytes(data)) == "truncated"


def test_upload_over_the_byte_limit_is_too_large() -> None:
    data = encode(Image.new("RGB", (100, 100), "red"), "PNG")
    assert rejection(data, max_bytes=len(data) - 1) == "too_large"
    assert process(data, max_bytes=len(data)).variants  # exactly at the limit is fine


def test_too_large_is_decided_before_looking_at_the_content() -> None:
    assert rejection(b"x" * 2_000, max_bytes=1_000) == "too_large"


def test_image_over_the_pixel_limit_is_refused() -> None:
    data = encode(Image.new("RGB", (100, 100), "red"), "PNG")
    assert rejection(data, max_pixels=1_000) == "too_many_pixels"
    assert process(data, max_pixels=10_000).variants  # exactly at the limit is fine


@pytest.mark.parametrize(
    ("width", "height"),
    [
        (10_000, 10_000),  # above our limit and Pillow's warning threshold
        (20_000, 20_000),  # above Pillow's hard DecompressionBombError threshold
        (7_000, 7_000),  # above our 40M limit only
    ],
)
def test_decompression_bomb_is_refused_from_its_header(width: int, height: int) -> None:
    bomb = png_claiming(width, height)
    assert len(bomb) < 10_000
    assert rejection(bomb) == "too_many_pixels"


# --- storage -------------------------------------------------------------------------------


def test_store_writes_every_variant_under_a_server_chosen_name(tmp_path: Path) -> None:
    result = process(encode(Image.new("RGB", (700, 700), "red"), "PNG"))
    folder = tmp_path / "uploads" / "ideas"  # created on demand

    key = store_image(result, LocalStorage(folder), "idea7-")

    assert key.startswith("idea7-") and len(key) == len("idea7-") + 24
    assert sorted(os.listdir(folder)) == sorted(f"{key}_{size}.jpg" for size in SIZES)
    for size in SIZES:
        path = image_path(str(folder), key, size)
        assert path == os.path.join(str(folder), f"{key}_{size}.jpg")
        assert Path(path).read_bytes() == result.variants[size]


def test_each_stored_image_gets_a_fresh_key(tmp_path: Path) -> None:
    result = process(encode(Image.new("RGB", (10, 10), "red"), "PNG"))
    assert store_image(result, LocalStorage(tmp_path), "") != store_image(result, LocalStorage(tmp_path), "")


def test_delete_removes_the_variants_and_tolerates_missing_files(tmp_path: Path) -> None:
    result = process(encode(Image.new("RGB", (10, 10), "red"), "PNG"))
    key = store_image(result, LocalStorage(tmp_path), "c-")
    os.remove(image_path(str(tmp_path), key, "card"))

    delete_image(LocalStorage(tmp_path), key, SIZES)

    assert os.listdir(tmp_path) == []


@pytest.mark.parametrize("key", ["../etc/passwd", "a/b", "a\\b", "", "a.b", "key\x00"])
def test_image_path_refuses_keys_that_could_escape_the_folder(key: str) -> None:
    with pytest.raises(ValueError):
        image_path("/srv/uploads", key, "thumb")


def test_image_path_and_store_refuse_unsafe_names(tmp_path: Path) -> None:
    with pytest.raises(ValueError):
        image_path(str(tmp_path), "abc", "../thumb")
    result = process(encode(Image.new("RGB", (10, 10), "red"), "PNG"))
    with pytest.raises(ValueError):
        store_image(result, LocalStorage(tmp_path), "../")


def test_size_names_must_be_safe_file_name_parts() -> None:
    data = encode(Image.new("RGB", (10, 10), "red"), "PNG")
    with pytest.raises(ValueError):
        process(data, sizes={"../x": 100})
    with pytest.raises(ValueError):
        process(data, sizes={"thumb": 0})


# --- shape and memory bounds ---------------------------------------------------------------


def test_one_pixel_wide_strip_of_39_million_rows_is_refused_from_its_header() -> None:
    strip = png_claiming(1, 39_000_000)  # under the pixel cap, a bomb all the same
    assert len(strip) < 10_000
    with pytest.raises(ImageRejected) as info:
        process(strip)
    assert info.value.code == "side_too_long"
    assert info.value.message == "This image is too large: each side can be at most 10,000 pixels."


@pytest.mark.parametrize(("width", "height"), [(9_000, 400), (300, 7_000)])
def test_long_and_narrow_images_are_refused_from_their_header(width: int, height: int) -> None:
    assert rejection(png_claiming(width, height)) == "aspect_ratio_too_extreme"


def test_side_and_aspect_limits_are_inclusive_and_configurable() -> None:
    data = encode(Image.new("RGB", (200, 10), "red"), "PNG")
    assert process(data, max_aspect=20).variants  # exactly 20:1 is fine
    assert rejection(data, max_aspect=19.9) == "aspect_ratio_too_extreme"
    assert process(data, max_side=200).variants
    assert rejection(data, max_side=199) == "side_too_long"


def test_messages_keep_their_template_for_translation() -> None:
    with pytest.raises(ImageRejected) as info:
        process(png_claiming(9_000, 400))
    assert info.value.template == ("This image is too long and narrow: its long side can be at "
                                   "most %(n)s times its short side.")
    assert info.value.params == {"n": "20"}


def test_full_size_decoding_must_fit_the_decoded_pixel_budget() -> None:
    # 6300 x 6300 passes the 40M pixel cap, but a PNG is decoded whole: too much memory.
    with pytest.raises(ImageRejected) as info:
        process(png_claiming(6_300, 6_300), max_decoded_pixels=16_000_000)
    assert info.value.code == "too_many_pixels"
    assert "PNG pictures can have at most 16 megapixels" in info.value.message
    small = encode(Image.new("RGB", (100, 100), "red"), "WEBP")
    assert rejection(small, max_decoded_pixels=19_999) == "too_many_pixels"  # WebP: half
    assert process(small, max_decoded_pixels=20_000).variants


def _peak_rss_tracker():
    """Reset the peak-RSS mark (Linux) and return a function giving the growth since, in MB;
    None where /proc does not allow it."""
    def status(field: str) -> int:
        with open("/proc/self/status") as lines:
            return next(int(line.split()[1]) for line in lines if line.startswith(field + ":"))

    try:
        with open("/proc/self/clear_refs", "w") as refs:
            refs.write("5")
        before = status("VmRSS")
    except (OSError, StopIteration):
        return None
    return lambda: (status("VmHWM") - before) / 1024


def test_big_jpeg_is_decoded_at_reduced_size_with_bounded_memory(monkeypatch) -> None:
    import app.images as images

    picture = Image.new("RGB", (6300, 6300), (120, 60, 30))
    data = encode(picture, "JPEG", quality=80)
    del picture
    decoded_sizes = []
    check = images._check_decoded
    monkeypatch.setattr(images, "_check_decoded",
                        lambda image, limits: (decoded_sizes.append(image.size), check(image, limits)))
    growth = _peak_rss_tracker()

    result = process(data, max_decoded_pixels=16_000_000)

    assert (result.width, result.height) == (1600, 1600)
    assert decoded_sizes == [(3150, 3150)]  # libjpeg's 1/2 scale, not 6300 x 6300
    if growth is not None:
        # 3150 x 3150 x 4 bytes is 38 MB; the full picture would be 152 MB, twice over.
        assert growth() < 120
