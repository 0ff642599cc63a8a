"""The loaded guest: name, size, image ID, entry, segments and function symbols."""
from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QFontDatabase, QGuiApplication
from PySide6.QtWidgets import (QFormLayout, QHBoxLayout, QLabel, QLineEdit, QToolButton,
                               QVBoxLayout, QWidget)

from workbench.model.formatting import describe_size
from workbench.views.tables import make_table, set_row


class ProgramPanel(QWidget):
    """Facts about the loaded ELF. Double-clicking a symbol emits ``functionActivated``."""

    functionActivated = Signal(int)   # the function's address

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("programInfo")
        mono = QFontDatabase.systemFont(QFontDatabase.FixedFont)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        form = QFormLayout()
        self._name = QLabel("–")
        self._size = QLabel("–")
        self._entry = QLabel("–")
        self._image_id = QLabel("–")
        self._image_id.setObjectName("imageId")
        self._image_id.setFont(mono)
        for label in (self._name, self._entry, self._image_id):
            label.setTextInteractionFlags(Qt.TextSelectableByMouse)
        copy = QToolButton(text="Copy", toolTip="Copy the image ID")
        copy.clicked.connect(lambda: QGuiApplication.clipboard().setText(self.image_id_hex))
        image_row = QHBoxLayout()
        image_row.addWidget(self._image_id, 1)
        image_row.addWidget(copy, 0, Qt.AlignTop)
        form.addRow("Program", self._name)
        form.addRow("Size", self._size)
        form.addRow("Entry", self._entry)
        form.addRow("Image ID", image_row)
        layout.addLayout(form)
        self._segments = make_table(["Segment", "Flags", "Size"], mono)
        self._segments.setMaximumHeight(120)
        layout.addWidget(QLabel("Loadable segments"))
        layout.addWidget(self._segments)
        symbols_header = QHBoxLayout()
        self._symbols_label = QLabel("Functions")
        self._filter = QLineEdit(placeholderText="filter", clearButtonEnabled=True)
        self._filter.textChanged.connect(self._apply_filter)
        symbols_header.addWidget(self._symbols_label)
        symbols_header.addWidget(self._filter, 1)
        layout.addLayout(symbols_header)
        self._symbols = make_table(["Function", "Address", "Size"], mono)
        self._symbols.setSortingEnabled(True)
        self._symbols.cellDoubleClicked.connect(self._on_symbol_activated)
        self._symbols.setToolTip("Double-click a function to see its disassembly")
        layout.addWidget(self._symbols, 1)
        self.image_id_hex = ""

    def show_program(self, program) -> None:
        self.image_id_hex = program.image_id_hex
        self._name.setText(program.name)
        self._size.setText(describe_size(program.file_size))
        self._entry.setText(f"0x{program.entry:08x}" + _where(program, program.entry))
        hex_id = program.image_id_hex
        self._image_id.setText(f"{hex_id[:32]}\n{hex_id[32:]}")
        self._image_id.setToolTip(hex_id)
        self._segments.setRowCount(len(program.load_segments))
        for row, seg in enumerate(program.load_segments):
            perms = ("r" if seg.flags & 4 else "-") + ("w" if seg.writable else "-") + \
                ("x" if seg.executable else "-")
            set_row(self._segments, row, [f"{seg.vaddr:#x}–{seg.end:#x}", perms,
                                          _short_size(seg.memsz)], [seg.vaddr, 0, seg.memsz])
        self._symbols.setSortingEnabled(False)
        self._symbols.setRowCount(len(program.symbols))
        for row, sym in enumerate(sorted(program.symbols, key=lambda s: s.address)):
            set_row(self._symbols, row, [sym.name, f"0x{sym.address:08x}", f"{sym.size:,}"],
                     [None, sym.address, sym.size])
        self._symbols.setSortingEnabled(True)
        self._symbols.sortItems(1, Qt.AscendingOrder)
        self._symbols_label.setText(f"Functions ({len(program.symbols)})")
        self._apply_filter(self._filter.text())

    def segment_count(self) -> int:
        """How many loadable segments the table lists."""
        return self._segments.rowCount()

    def symbol_count(self) -> int:
        """How many function symbols the table lists (hidden by the filter or not)."""
        return self._symbols.rowCount()

    def text(self) -> str:
        """Everything shown, as plain text (for tests and copy)."""
        return (f"{self._name.text()}\n{self._size.text()}\n{self._entry.text()}\n"
                f"{self.image_id_hex}")

    def _apply_filter(self, text: str) -> None:
        text = text.strip().lower()
        for row in range(self._symbols.rowCount()):
            name = self._symbols.item(row, 0).text().lower()
            self._symbols.setRowHidden(row, bool(text) and text not in name)

    def _on_symbol_activated(self, row: int, _column: int) -> None:
        self.functionActivated.emit(int(self._symbols.item(row, 1).data(Qt.UserRole)))


def _short_size(n: int) -> str:
    return describe_size(n).split(" (")[0]


def _where(program, address: int) -> str:
    sym = program.symbol_at(address)
    return f" ({sym.name})" if sym is not None and sym.address == address else ""

