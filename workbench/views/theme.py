"""Light and dark palettes, and plot colours that stay readable on both.

The application uses Qt's Fusion style so that both palettes look the same on every
platform. Plots take their background and axis colours from the palette and their
series colours from ``plot_colors``, and restyle themselves on a palette change.
"""
from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QGuiApplication, QPalette
from PySide6.QtWidgets import QApplication

LIGHT, DARK, SYSTEM = "light", "dark", "system"
THEMES = (SYSTEM, LIGHT, DARK)


def apply_theme(name: str, app: QApplication | None = None) -> str:
    """Apply theme ``name`` (``system``, ``light`` or ``dark``); returns the one in effect."""
    app = app or QApplication.instance()
    effective = name if name in (LIGHT, DARK) else (DARK if system_prefers_dark() else LIGHT)
    if app.style().name().lower() != "fusion":
        app.setStyle("Fusion")
    app.setPalette(dark_palette() if effective == DARK else light_palette())
    return effective


def system_prefers_dark() -> bool:
    try:
        return QGuiApplication.styleHints().colorScheme() == Qt.ColorScheme.Dark
    except AttributeError:  # Qt < 6.5
        return False


def light_palette() -> QPalette:
    return _palette(window="#f3f4f6", base="#ffffff", alt="#eef1f5", text="#1b1f24",
                    button="#e8eaee", highlight="#2f6fd0", link="#1f5fbf",
                    disabled="#8a9099", tooltip="#ffffe8")


def dark_palette() -> QPalette:
    return _palette(window="#23272e", base="#1a1d22", alt="#262b33", text="#e6e9ee",
                    button="#2f343d", highlight="#2b63c6", link="#7fb5ff",
                    disabled="#7b828d", tooltip="#2f343d")


def is_dark(palette: QPalette | None = None) -> bool:
    palette = palette or QApplication.palette()
    return palette.color(QPalette.Window).lightness() < 128


def plot_colors(dark: bool | None = None) -> dict[str, object]:
    """Colours for plots: ``background``, ``foreground``, ``grid``, ``series`` (a list),
    ``accent``, ``passed``, ``failed``, ``muted``, and ``neutral`` (text that is neither
    good nor bad news, such as a proof not compared with an expected program: a slate
    blue with a text contrast of at least 4.5:1 on the window and plot backgrounds)."""
    dark = is_dark() if dark is None else dark
    if dark:
        return {"background": "#1a1d22", "foreground": "#d5d9e0", "grid": 60,
                "series": ["#5aa9ff", "#ffb454", "#7ee081", "#ff7a90", "#c29bff"],
                "accent": "#ffd166", "passed": "#4cd66b", "failed": "#ff5c5c",
                "muted": "#5b6370", "neutral": "#9fb6d9"}
    return {"background": "#ffffff", "foreground": "#2b3038", "grid": 40,
            "series": ["#1f5fbf", "#d46a00", "#1c8a3a", "#c4213f", "#6b3fb8"],
            "accent": "#c47f00", "passed": "#1c9a3e", "failed": "#d02a2a",
            "muted": "#aab1bc", "neutral": "#3b5b87"}


def style_plot_item(plot_item, colors: dict[str, object] | None = None) -> None:
    """Axis pens and label colours of a pyqtgraph ``PlotItem`` from ``colors``."""
    colors = colors or plot_colors()
    for name in ("left", "bottom", "right", "top"):
        axis = plot_item.getAxis(name)
        axis.setPen(colors["foreground"])
        axis.setTextPen(colors["foreground"])
    plot_item.showGrid(x=True, y=True, alpha=colors["grid"] / 255)


def _palette(*, window, base, alt, text, button, highlight, link, disabled, tooltip) -> QPalette:
    p = QPalette()
    c = QColor
    for role, colour in ((QPalette.Window, window), (QPalette.WindowText, text),
                         (QPalette.Base, base), (QPalette.AlternateBase, alt),
                         (QPalette.Text, text), (QPalette.Button, button),
                         (QPalette.ButtonText, text), (QPalette.Highlight, highlight),
                         (QPalette.HighlightedText, "#ffffff"), (QPalette.Link, link),
                         (QPalette.ToolTipBase, tooltip), (QPalette.ToolTipText, text),
                         (QPalette.PlaceholderText, disabled), (QPalette.BrightText, "#ff5c5c")):
        p.setColor(role, c(colour))
    for role in (QPalette.WindowText, QPalette.Text, QPalette.ButtonText):
        p.setColor(QPalette.Disabled, role, c(disabled))
    p.setColor(QPalette.Disabled, QPalette.Highlight, c(disabled))
    mid = c(window).darker(130) if c(window).lightness() > 128 else c(window).lighter(160)
    p.setColor(QPalette.Mid, mid)
    p.setColor(QPalette.Dark, mid.darker(130))
    p.setColor(QPalette.Light, c(button).lighter(120))
    return p
