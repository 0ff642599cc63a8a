"""Disassembly around a pc: typed, picked in the trace plot, a profile line, or a fault."""
from __future__ import annotations

from PySide6.QtGui import QColor, QFontDatabase, QTextCursor, QTextFormat
from PySide6.QtWidgets import (QHBoxLayout, QLabel, QLineEdit, QPlainTextEdit, QTextEdit,
                               QVBoxLayout, QWidget)

from workbench.model.disassembly import disassemble_around


class DisassemblyPanel(QWidget):
    """Instructions around ``pc`` with function labels; the pc's line is highlighted."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("disassemblyPanel")
        self.program = None
        self.pc: int | None = None
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        row = QHBoxLayout()
        self._goto = QLineEdit(objectName="disassemblyGoto", clearButtonEnabled=True)
        self._goto.setPlaceholderText("Go to: an address (0x10074) or a function name (main)")
        self._goto.returnPressed.connect(self._on_goto)
        self._note = QLabel()
        row.addWidget(self._goto, 2)
        row.addWidget(self._note, 3)
        layout.addLayout(row)
        self.view = QPlainTextEdit(readOnly=True, objectName="disassemblyView")
        self.view.setFont(QFontDatabase.systemFont(QFontDatabase.FixedFont))
        self.view.setLineWrapMode(QPlainTextEdit.NoWrap)
        layout.addWidget(self.view, 1)

    def set_program(self, program) -> None:
        self.program = program
        self.show_at(program.entry, "entry point")

    def show_at(self, pc: int, note: str = "") -> None:
        """Disassemble around ``pc`` and highlight it; ``note`` says why we are here."""
        if self.program is None:
            return
        self.pc = int(pc)
        lines = disassemble_around(self.program, self.pc)
        text, current = [], None
        previous_function = None
        for line in lines:
            function = line.function.split("+")[0]
            if function != previous_function and function:
                text.append("")
                text.append(f"<{function}>:")
            previous_function = function
            if line.address == self.pc:
                current = len(text)
            text.append(("▶ " if line.address == self.pc else "  ") + line.text())
        self.view.setPlainText("\n".join(text).lstrip("\n"))
        offset = 1 if text and text[0] == "" else 0
        self._note.setText(f"pc 0x{self.pc:08x}" + (f" · {note}" if note else ""))
        if current is not None:
            self._highlight(current - offset)

    def text(self) -> str:
        return self.view.toPlainText()

    def _highlight(self, line_number: int) -> None:
        block = self.view.document().findBlockByLineNumber(line_number)
        cursor = QTextCursor(block)
        selection = QTextEdit.ExtraSelection()
        color = self.palette().highlight().color()
        color.setAlpha(70)
        selection.format.setBackground(QColor(color))
        selection.format.setProperty(QTextFormat.FullWidthSelection, True)
        selection.cursor = cursor
        self.view.setExtraSelections([selection])
        self.view.setTextCursor(cursor)
        self.view.centerCursor()

    def _on_goto(self) -> None:
        if self.program is None:
            return
        text = self._goto.text().strip()
        try:
            address = int(text, 0) if text[:1].isdigit() else None
        except ValueError:
            address = None
        if address is None:
            matches = [s for s in self.program.symbols if s.name == text] or \
                [s for s in self.program.symbols if text.lower() in s.name.lower()]
            if not matches:
                self._note.setText(f"no function or address “{text}”")
                return
            address = matches[0].address
            note = matches[0].name
        else:
            note = "typed"
        self.show_at(address, note)
