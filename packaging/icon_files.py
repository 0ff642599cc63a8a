"""Make the Windows and macOS icon files from the SVG icon (run by their build scripts).

    python packaging/icon_files.py ico     resources/icons/zkwb.svg OUT.ico
    python packaging/icon_files.py iconset resources/icons/zkwb.svg OUT.iconset

``ico`` writes a multi-size Windows icon: 16 to 128 pixels as 32-bit BMP images with
alpha, 256 as PNG (the layout Windows' own icons use; some tools still read only the BMP
kind).  ``iconset`` writes the folder ``iconutil -c icns`` turns into a
macOS .icns (16 to 512 points, each at 1x and 2x).  Rendered with Qt, as
packaging/render_icons.py renders the Linux PNGs; no other imaging library is needed.
"""
import os
import struct
import sys

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QBuffer, QByteArray, QIODevice, Qt
from PySide6.QtGui import QGuiApplication, QImage, QPainter
from PySide6.QtSvg import QSvgRenderer

ICO_SIZES = (16, 20, 24, 32, 40, 48, 64, 128, 256)
ICONSET_POINTS = (16, 32, 128, 256, 512)
DOTS_PER_METER_72_DPI = 2835


def render(renderer: QSvgRenderer, size: int) -> QImage:
    image = QImage(size, size, QImage.Format.Format_ARGB32_Premultiplied)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    renderer.render(painter)
    painter.end()
    return image


def png_bytes(image: QImage) -> bytes:
    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    if not image.save(buffer, "PNG"):
        raise RuntimeError("cannot encode PNG")
    buffer.close()
    return bytes(data.data())


def bmp_icon_bytes(image: QImage) -> bytes:
    """An icon image as ICO stores it: BITMAPINFOHEADER (height doubled), BGRA rows
    bottom-up, then the 1-bit AND mask (set where the pixel is fully transparent)."""
    image = image.convertToFormat(QImage.Format.Format_ARGB32)  # straight alpha, B G R A
    w, h = image.width(), image.height()
    stride = image.bytesPerLine()
    raw = bytes(image.constBits())[:stride * h]
    rows = [raw[y * stride:y * stride + 4 * w] for y in range(h)]
    mask_stride = (w + 31) // 32 * 4
    mask_rows = []
    for row in rows:
        bits = bytearray(mask_stride)
        for x in range(w):
            if row[4 * x + 3] == 0:
                bits[x // 8] |= 0x80 >> (x % 8)
        mask_rows.append(bytes(bits))
    pixels = b"".join(reversed(rows))
    mask = b"".join(reversed(mask_rows))
    header = struct.pack("<IiiHHIIiiII", 40, w, 2 * h, 1, 32, 0, len(pixels) + len(mask),
                         0, 0, 0, 0)
    return header + pixels + mask


def write_ico(renderer: QSvgRenderer, path: str) -> None:
    if sys.byteorder != "little":
        raise RuntimeError("the BMP images are written from Qt's little-endian ARGB32 layout")
    images = []
    for size in ICO_SIZES:
        image = render(renderer, size)
        images.append((size, png_bytes(image) if size >= 256 else bmp_icon_bytes(image)))
    offset = 6 + 16 * len(images)
    directory = struct.pack("<HHH", 0, 1, len(images))
    for size, data in images:
        side = 0 if size >= 256 else size  # 0 means 256
        directory += struct.pack("<BBBBHHII", side, side, 0, 0, 1, 32, len(data), offset)
        offset += len(data)
    with open(path, "wb") as f:
        f.write(directory)
        for _, data in images:
            f.write(data)


def write_iconset(renderer: QSvgRenderer, folder: str) -> None:
    os.makedirs(folder, exist_ok=True)
    for points in ICONSET_POINTS:
        for scale, suffix in ((1, ""), (2, "@2x")):
            image = render(renderer, points * scale)
            image.setDotsPerMeterX(DOTS_PER_METER_72_DPI * scale)
            image.setDotsPerMeterY(DOTS_PER_METER_72_DPI * scale)
            name = os.path.join(folder, f"icon_{points}x{points}{suffix}.png")
            if not image.save(name, "PNG"):
                raise RuntimeError(f"cannot write {name}")


def main(kind: str, svg: str, out: str) -> int:
    _app = QGuiApplication([])  # QPainter on images needs the GUI application (kept alive)
    renderer = QSvgRenderer(svg)
    if not renderer.isValid():
        print(f"icon_files: {svg} is not a valid SVG", file=sys.stderr)
        return 1
    if kind == "ico":
        write_ico(renderer, out)
    elif kind == "iconset":
        write_iconset(renderer, out)
    else:
        print(f"icon_files: unknown kind {kind!r} (ico or iconset)", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    if len(sys.argv) != 4:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    sys.exit(main(*sys.argv[1:4]))
