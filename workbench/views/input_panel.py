"""The private input: typed text, hex, or a file's bytes, with its size.

The input never leaves this machine: the guest reads it, and a receipt proves what the
guest did with it without revealing it. What hex means, which mode bytes are shown in
and reading a file within the cap are ``workbench.model.private_input``'s.
"""
from __future__ import annotations

from PySide6.QtCore import QEvent, Signal
from PySide6.QtGui import QFontDatabase
from PySide6.QtWidgets import (QButtonGroup, QFileDialog, QHBoxLayout, QLabel, QPlainTextEdit,
                               QPushButton, QStackedWidget, QToolButton, QVBoxLayout, QWidget)

from engine.text import printable_text
from workbench.model.formatting import describe_size, hex_dump
from workbench.model.private_input import (FILE, HEX, TEXT, display_mode, parse_hex,
                                           read_input_file, switch_mode)

__all__ = ["InputPanel"]

# Fusion's checked tool buttons barely differ from unchecked ones in a dark palette.
_MODE_BUTTON_STYLE = (
    "QToolButton { padding: 2px 10px; border: 1px solid palette(mid); border-radius: 3px;"
    " color: palette(button-text); background: palette(button); }"
    "QToolButton:checked { background: palette(highlight); color: palette(highlighted-text);"
    " border-color: palette(highlight); }")


class InputPanel(QWidget):
    """Three ways to give the private input. ``changed`` fires when the bytes change."""

    changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._data = b""
        self._error = ""
        self._file_path = ""
        mono = QFontDatabase.systemFont(QFontDatabase.FixedFont)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        modes = QHBoxLayout()
        self._group = QButtonGroup(self)
        for mode, label, tip in ((TEXT, "Text", "Type the input as UTF-8 text"),
                                 (HEX, "Hex", "Type the input as hexadecimal bytes"),
                                 (FILE, "File", "Use a file's bytes as the input")):
            button = QToolButton(text=label, checkable=True, toolTip=tip)
            button.setObjectName(f"inputMode{label}")
            button.setStyleSheet(_MODE_BUTTON_STYLE)
            self._group.addButton(button, mode)
            modes.addWidget(button)
        modes.setSpacing(2)
        modes.addStretch(1)
        self._size = QLabel(objectName="inputSize")
        modes.addWidget(self._size)
        layout.addLayout(modes)
        self._stack = QStackedWidget()
        self._text = QPlainTextEdit(objectName="privateInput")
        self._text.setPlaceholderText("Type the private input here (UTF-8 text)")
        self._hex = QPlainTextEdit(objectName="privateInputHex")
        self._hex.setPlaceholderText("Hex bytes, e.g. 48 65 6c 6c 6f (spaces and 0x allowed)")
        self._hex.setFont(mono)
        file_page = QWidget()
        file_layout = QVBoxLayout(file_page)
        file_layout.setContentsMargins(0, 0, 0, 0)
        choose = QPushButton("Choose file…")
        choose.clicked.connect(self._ask_file)
        self._file_label = QLabel("No file chosen", wordWrap=True)
        self._file_preview = QPlainTextEdit(readOnly=True)
        self._file_preview.setFont(mono)
        file_layout.addWidget(choose)
        file_layout.addWidget(self._file_label)
        file_layout.addWidget(self._file_preview, 1)
        for page in (self._text, self._hex, file_page):
            self._stack.addWidget(page)
        layout.addWidget(self._stack, 1)
        self._message = QLabel(wordWrap=True, objectName="inputMessage")
        layout.addWidget(self._message)
        self._text.textChanged.connect(self._on_text_edited)
        self._hex.textChanged.connect(self._on_hex_edited)
        self._group.idClicked.connect(self._switch_mode)
        self._group.button(TEXT).setChecked(True)
        self._show_size()

    # -- state ----------------------------------------------------------------------
    def data(self) -> bytes:
        """The input bytes (the last valid ones while the hex has an error)."""
        return self._data

    def error(self) -> str:
        """Why the input cannot be used as typed ("" when it can)."""
        return self._error

    def mode(self) -> int:
        return self._group.checkedId()

    def message(self) -> str:
        """The line under the editor: why the input cannot be used, or why a mode was
        refused ("" when there is nothing to say)."""
        return self._message.text()

    def size_text(self) -> str:
        """The size shown beside the modes ("3 bytes", "2.0 KiB (2,048 bytes)"...)."""
        return self._size.text()

    def hex_text(self) -> str:
        """What the Hex editor holds."""
        return self._hex.toPlainText()

    def type_hex(self, text: str) -> None:
        """Put ``text`` in the Hex editor as if typed there (it is parsed at once)."""
        self._set_mode(HEX)
        self._hex.setPlainText(text)

    def set_data(self, data: bytes, origin: str = "") -> None:
        """Show ``data`` as text if it is printable UTF-8, as hex if small, else as a file."""
        data = bytes(data)
        mode = display_mode(data)
        self._set_mode(mode)
        if mode == TEXT:
            _set_quietly(self._text, printable_text(data))
        elif mode == HEX:
            _set_quietly(self._hex, data.hex(" "))
        else:
            self._file_path = origin
            self._show_file(origin or "(set by a script)", data)
        self._data, self._error = data, ""
        self._show_size()
        self.changed.emit()

    def load_file(self, path: str) -> str:
        """Use the bytes of ``path``; returns "" or a message saying why it was refused."""
        data, refused = read_input_file(path)
        if refused:
            return refused
        self._set_mode(FILE)
        self._file_path = path
        self._show_file(path, data)
        self._data, self._error = data, ""
        self._show_size()
        self.changed.emit()
        return ""

    def changeEvent(self, event) -> None:
        # Style sheets resolve palette() once; a theme switch needs them again.
        if event.type() == QEvent.PaletteChange:
            _restyle(self._group.buttons())
        super().changeEvent(event)

    # -- editing --------------------------------------------------------------------
    def _ask_file(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Private input file")
        if path:
            message = self.load_file(path)
            self._message.setText(message)

    def _switch_mode(self, mode: int) -> None:
        shown, refused = switch_mode(self._data, mode)
        if refused:
            self._set_mode(shown)
            self._message.setText(refused)
            return
        if mode == TEXT:
            _set_quietly(self._text, printable_text(self._data) or "")
        elif mode == HEX:
            _set_quietly(self._hex, self._data.hex(" "))
        else:
            self._show_file(self._file_path or "(typed input)", self._data)
        self._error = ""
        self._set_mode(mode)
        self._show_size()

    def _on_text_edited(self) -> None:
        self._data, self._error = self._text.toPlainText().encode("utf-8"), ""
        self._show_size()
        self.changed.emit()

    def _on_hex_edited(self) -> None:
        try:
            self._data, self._error = parse_hex(self._hex.toPlainText()), ""
        except ValueError as e:
            self._error = f"Not valid hex: {e}"
        self._show_size()
        self.changed.emit()

    def _set_mode(self, mode: int) -> None:
        self._group.button(mode).setChecked(True)
        self._stack.setCurrentIndex(mode)
        self._message.setText("")

    def _show_file(self, path: str, data: bytes) -> None:
        self._file_label.setText(f"{path}\n{describe_size(len(data))}")
        self._file_preview.setPlainText(hex_dump(data, limit=4096))

    def _show_size(self) -> None:
        self._size.setText(describe_size(len(self._data)))
        self._message.setText(self._error)
        self._message.setStyleSheet("color: #d02a2a;" if self._error else "")


def _restyle(buttons) -> None:
    for button in buttons:
        button.setStyleSheet("")
        button.setStyleSheet(_MODE_BUTTON_STYLE)


def _set_quietly(edit: QPlainTextEdit, text: str) -> None:
    edit.blockSignals(True)
    edit.setPlainText(text)
    edit.blockSignals(False)
