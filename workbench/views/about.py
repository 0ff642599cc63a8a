"""The About box: what this is, and the versions of everything it runs on."""
from __future__ import annotations

import platform
from importlib import metadata

_PACKAGES = ("numpy", "numba", "pyelftools", "PySide6-Essentials", "pyqtgraph", "superqt",
             "capstone")


def versions() -> dict[str, str]:
    """Name → version of zkwb, Python, Qt and the libraries (``"?"`` when unknown)."""
    import engine
    from PySide6 import QtCore
    found = {"zkwb": getattr(engine, "__version__", "?"),
             "Python": platform.python_version(), "Qt": QtCore.qVersion()}
    for package in _PACKAGES:
        try:
            found[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            found[package] = "?"
    return found


def about_html() -> str:
    rows = "".join(f"<tr><td>{name}</td><td>&nbsp;{version}</td></tr>"
                   for name, version in versions().items())
    return ("<h3>ZK Workbench</h3>"
            "<p>Proves that a RISC-V program ran correctly on a private input, and checks "
            "such proofs without seeing the input: in about 40 ms per segment of the run "
            "once the verifier is loaded, under a second for the first "
            "(measured on a 2-core machine; docs/benchmarks.md).</p>"
            "<p>STARK over BabyBear with FRI and SHA-256 Merkle commitments; guests are "
            "RV32IM ELF programs.</p>"
            f"<table>{rows}</table>"
            "<p>Licensed under the Apache License 2.0.</p>")
