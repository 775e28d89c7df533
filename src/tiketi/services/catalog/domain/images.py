"""Poster images: what an upload really is, judged by its bytes alone (no I/O)."""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from io import BytesIO
from typing import Final, Literal

from PIL import Image

from tiketi.kernel.errors import DomainError

ImageKind = Literal["jpeg", "png", "webp"]

MAX_IMAGE_BYTES: Final = 5 * 1024 * 1024
# A poster never needs more; the cap also bounds the memory a decode may take
# (40 MP x 4 bytes = 160 MB at worst), whatever the file's compressed size.
MAX_IMAGE_PIXELS: Final = 40_000_000

_PNG_MAGIC: Final = b"\x89PNG\r\n\x1a\n"
_JPEG_MAGIC: Final = b"\xff\xd8\xff"

# kind -> (Pillow's format names, content type, file extension without a dot)
_FORMATS: Final[dict[ImageKind, tuple[frozenset[str], str, str]]] = {
    # Cameras write multi-picture JPEGs, which Pillow names MPO; they are still JPEGs.
    "jpeg": (frozenset({"JPEG", "MPO"}), "image/jpeg", "jpg"),
    "png": (frozenset({"PNG"}), "image/png", "png"),
    "webp": (frozenset({"WEBP"}), "image/webp", "webp"),
}
_PILLOW_PLUGIN: Final[dict[ImageKind, str]] = {"jpeg": "JPEG", "png": "PNG", "webp": "WEBP"}


class UnsupportedImage(DomainError):
    """The upload is not a JPEG, PNG or WebP image that decodes."""

    code = "UNSUPPORTED_MEDIA_TYPE"
    status = 415
    message = "Only JPEG, PNG or WebP images are accepted."


class ImageTooLarge(DomainError):
    """The upload is over the byte limit or has too many pixels."""

    code = "PAYLOAD_TOO_LARGE"
    status = 413
    message = "The image is larger than 5 MiB."


@dataclass(frozen=True)
class ImageInfo:
    """What an accepted image is: its kind, size, content type and file extension."""

    kind: ImageKind
    width: int
    height: int
    content_type: str
    extension: str


def detect_kind(data: bytes) -> ImageKind | None:
    """The image kind the leading magic bytes announce, or None."""
    if data.startswith(_JPEG_MAGIC):
        return "jpeg"
    if data.startswith(_PNG_MAGIC):
        return "png"
    if len(data) >= 12 and data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "webp"
    return None


def sniff_image(data: bytes) -> ImageInfo:
    """Accept data only if it is a JPEG, PNG or WebP that fully decodes within the limits.

    The filename and the client's content type are never consulted. CPU-bound (a full
    decode): call it through asyncio.to_thread from async code.
    """
    if not data:
        raise UnsupportedImage(
            "The file is empty; only JPEG, PNG or WebP images are accepted.",
            details={"file": "empty file"},
        )
    if len(data) > MAX_IMAGE_BYTES:
        raise ImageTooLarge(details={"file": "too large", "max_bytes": MAX_IMAGE_BYTES})
    kind = detect_kind(data)
    if kind is None:
        raise UnsupportedImage(details={"file": "not a JPEG, PNG or WebP image"})
    width, height = _decode(data, kind)
    _, content_type, extension = _FORMATS[kind]
    return ImageInfo(
        kind=kind, width=width, height=height, content_type=content_type, extension=extension
    )


def _too_many_pixels(width: int, height: int) -> ImageTooLarge:
    return ImageTooLarge(
        f"The image has too many pixels ({width}x{height}); "
        f"at most {MAX_IMAGE_PIXELS // 1_000_000} megapixels are accepted.",
        details={"file": "too many pixels", "max_pixels": MAX_IMAGE_PIXELS},
    )


def _decode(data: bytes, kind: ImageKind) -> tuple[int, int]:
    """Open, verify and decode with Pillow's plugin for the announced kind only."""
    names, _, _ = _FORMATS[kind]
    plugin = [_PILLOW_PLUGIN[kind]]
    try:
        # Pillow warns (and only past twice its limit, raises) on a bomb; a warning would let
        # the decode go ahead, so it is an error here. Our own cap below is stricter anyway.
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(BytesIO(data), formats=plugin) as probe:
                width, height = probe.size
                if probe.format not in names:
                    raise UnsupportedImage(details={"file": "content does not match its header"})
                if width * height > MAX_IMAGE_PIXELS:
                    raise _too_many_pixels(width, height)
                probe.verify()
            # verify() checks structure (PNG CRCs) but not that pixels decode: a truncated
            # JPEG passes it. Decoding proves the image can be shown; after verify() Pillow
            # needs a fresh open for that.
            with Image.open(BytesIO(data), formats=plugin) as image:
                if kind == "jpeg":
                    # A JPEG can decode at 1/8 scale: every byte is still read, memory stays low.
                    image.draft("RGB", (max(1, width // 8), max(1, height // 8)))
                image.load()
    except DomainError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise ImageTooLarge(
            f"The image has too many pixels; at most {MAX_IMAGE_PIXELS // 1_000_000} "
            "megapixels are accepted.",
            details={"file": "too many pixels", "max_pixels": MAX_IMAGE_PIXELS},
        ) from exc
    except Exception as exc:
        # Pillow's parsers raise many kinds (OSError, SyntaxError, ValueError, struct.error,
        # EOFError, ...) on hostile or damaged input: each means "not an image we accept".
        raise UnsupportedImage(
            "The file is not a valid JPEG, PNG or WebP image; only those are accepted.",
            details={"file": "damaged or not an image"},
        ) from exc
    if width < 1 or height < 1:
        raise UnsupportedImage(details={"file": "image has no pixels"})
    return width, height
