"""Render the SVG icon to the PNG sizes of the hicolor theme (run by packaging/build).

    python packaging/render_icons.py resources/icons/zkwb.svg OUT_DIR

writes OUT_DIR/<N>x<N>/zkwb.png for each size.  Uses the build environment's Qt offscreen.
"""
import os
import sys

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication, QImage, QPainter
from PySide6.QtSvg import QSvgRenderer

SIZES = (16, 24, 32, 48, 64, 128, 256, 512)


def main(svg: str, out_dir: str) -> int:
    _app = QGuiApplication([])  # QPainter on images needs the GUI application
    renderer = QSvgRenderer(svg)
    if not renderer.isValid():
        print(f"render_icons: {svg} is not a valid SVG", file=sys.stderr)
        return 1
    for size in SIZES:
        image = QImage(size, size, QImage.Format.Format_ARGB32_Premultiplied)
        image.fill(Qt.GlobalColor.transparent)
        painter = QPainter(image)
        renderer.render(painter)
        painter.end()
        folder = os.path.join(out_dir, f"{size}x{size}")
        os.makedirs(folder, exist_ok=True)
        if not image.save(os.path.join(folder, "zkwb.png")):
            print(f"render_icons: cannot write {folder}/zkwb.png", file=sys.stderr)
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:3]))
