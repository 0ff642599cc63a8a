"""Read-only tables of numbers that sort as numbers."""
from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTableWidget, QTableWidgetItem


def make_table(headers: list[str], font) -> QTableWidget:
    """A read-only table with ``headers``; the first column stretches."""
    table = QTableWidget(0, len(headers))
    table.setHorizontalHeaderLabels(headers)
    table.verticalHeader().setVisible(False)
    table.setEditTriggers(QAbstractItemView.NoEditTriggers)
    table.setSelectionBehavior(QAbstractItemView.SelectRows)
    table.setFont(font)
    table.verticalHeader().setDefaultSectionSize(table.fontMetrics().height() + 6)
    header = table.horizontalHeader()
    header.setSectionResizeMode(0, QHeaderView.Stretch)
    for i in range(1, len(headers)):
        header.setSectionResizeMode(i, QHeaderView.ResizeToContents)
    return table


def set_row(table: QTableWidget, row: int, texts: list[str], keys: list) -> None:
    """Fill ``row``; a non-None key (a number) is what the column sorts by."""
    for column, (text, key) in enumerate(zip(texts, keys)):
        item = SortItem(text)
        if key is not None:
            item.setData(Qt.UserRole, key)
        table.setItem(row, column, item)


class SortItem(QTableWidgetItem):
    """Sorts by the number in ``Qt.UserRole`` when there is one, else by text."""

    def __lt__(self, other) -> bool:
        mine, theirs = self.data(Qt.UserRole), other.data(Qt.UserRole)
        if mine is not None and theirs is not None:
            return mine < theirs
        return self.text().lower() < other.text().lower()
