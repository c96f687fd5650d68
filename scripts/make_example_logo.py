"""Draw the fictional Harbour & Vine logo for the example group-practice pack, as a small PNG
written with the standard library only (reproducible: same bytes every run).

    python scripts/make_example_logo.py [OUTPUT]   (default: template_packs/harbour_group/logo.png)
"""

from __future__ import annotations

import math
import struct
import sys
import zlib
from pathlib import Path

SIZE = 160
TEAL, LEAF, PAPER = (31, 78, 95), (92, 140, 90), (255, 255, 255)


def pixel(x: float, y: float) -> tuple[int, int, int]:
    """A teal ring (the harbour) with a green vine curling through it."""
    cx = cy = SIZE / 2
    r = math.hypot(x - cx, y - cy)
    if 58 <= r <= 70:
        return TEAL
    wave = cy + 22 * math.sin((x - 20) / 18)
    if 20 <= x <= SIZE - 20 and abs(y - wave) <= 5 and r < 58:
        return LEAF
    for leaf_x in (48, 80, 112):
        leaf_y = cy + 22 * math.sin((leaf_x - 20) / 18) - 14
        if ((x - leaf_x) / 9) ** 2 + ((y - leaf_y) / 5) ** 2 <= 1:
            return LEAF
    return PAPER


def png() -> bytes:
    """The logo as PNG bytes."""
    rows = b"".join(b"\x00" + bytes(c for x in range(SIZE) for c in pixel(x, y)) for y in range(SIZE))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", SIZE, SIZE, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows, 9)) + chunk(b"IEND", b"")


if __name__ == "__main__":
    default = Path(__file__).resolve().parent.parent / "template_packs" / "harbour_group" / "logo.png"
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else default
    target.write_bytes(png())
    print(f"wrote {target}")
