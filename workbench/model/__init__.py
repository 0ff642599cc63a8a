"""The workbench's model: what it knows and decides, without Qt.

The session (program, input, last results), the work behind the buttons (``tasks``),
trace data, profile, disassembly, verdicts, hex input, phase names and the query
geometry. No module here imports PySide6, shiboken6, pyqtgraph or superqt
(import-linter, ``pyproject.toml``; ``tests/workbench_model``), so all of it runs, and
is tested, headless. ``workbench.views`` shows it.
"""
