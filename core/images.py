"""Letterhead images from template packs: what makes a file a usable PNG or JPEG.

A pack comes from outside, so its images are checked whole before anything uses them: a
truncated or corrupt image is caught here, with a message the pack author can act on, not deep in
an output format's writer.
"""

from __future__ import annotations

from .safe_paths import MAX_LOGO_BYTES

#: File names ``txplan pack check`` looks at as images.
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".gif", ".bmp", ".svg", ".tif", ".tiff", ".webp")

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def image_problem(data: bytes) -> str | None:
    """Why ``data`` cannot be a letterhead image (``None`` when it is a whole PNG or JPEG of sane
    size). A truncated or corrupt image is caught here, not deep in the Word writer."""
    if not (data.startswith(PNG_SIGNATURE) or data.startswith(b"\xff\xd8\xff")):
        return "is not a PNG or JPEG image"
    if len(data) > MAX_LOGO_BYTES:
        return f"is {len(data):,} bytes; at most {MAX_LOGO_BYTES:,} are allowed"
    damage = _png_damage(data) if data.startswith(PNG_SIGNATURE) else _jpeg_damage(data)
    return f"is a damaged image ({damage}); export it again from an image editor" if damage else None


def _png_damage(data: bytes) -> str | None:
    """Walk the PNG's chunks (PNG specification, section 5.3): each must fit in the file and
    match its CRC; the first is IHDR and the last IEND."""
    import struct
    import zlib

    offset, first, last = len(PNG_SIGNATURE), None, None
    while offset < len(data):
        if offset + 12 > len(data):
            return "it is cut short"
        length, kind = struct.unpack(">I4s", data[offset : offset + 8])
        end = offset + 12 + length
        if end > len(data):
            return "it is cut short"
        (crc,) = struct.unpack(">I", data[end - 4 : end])
        if zlib.crc32(data[offset + 4 : end - 4]) != crc:
            return f"chunk {kind.decode('latin-1')!r} fails its checksum"
        first, last, offset = first or kind, kind, end
        if kind == b"IEND":
            break
    if first != b"IHDR" or last != b"IEND":
        return "it is cut short" if first == b"IHDR" else "it has no header"
    return None


def _jpeg_damage(data: bytes) -> str | None:
    """A JPEG must carry a frame header python-docx can size, and end with its end marker."""
    from docx.image.image import Image

    if b"\xff\xd9" not in data[-1024:]:
        return "it is cut short"
    try:
        Image.from_blob(data)
    except Exception:  # noqa: BLE001 - python-docx raises several types for unreadable headers
        return "its header cannot be read"
    return None
