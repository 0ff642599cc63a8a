"""The engine never imports Qt: checked statically (import-linter) and at run time.
And every document the repository cites is in the repository."""
from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

_IMPORT_EVERY_ENGINE_MODULE = """
import importlib, pkgutil, sys, engine
for info in pkgutil.walk_packages(engine.__path__, "engine."):
    if info.name.endswith("__main__"):
        continue
    importlib.import_module(info.name)
bad = sorted(m for m in sys.modules if m.split(".")[0] in
             ("PySide6", "shiboken6", "PyQt5", "PyQt6", "pyqtgraph", "superqt", "workbench"))
print(",".join(bad))
"""


def test_importing_every_engine_module_loads_no_qt():
    out = subprocess.run([sys.executable, "-c", _IMPORT_EVERY_ENGINE_MODULE], cwd=ROOT,
                         capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == ""


def test_import_linter_contract_is_kept():
    lint = os.path.join(os.path.dirname(sys.executable), "lint-imports")
    out = subprocess.run([lint, "--config", "pyproject.toml", "--no-cache"], cwd=ROOT,
                         capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stdout + out.stderr
    assert "KEPT" in out.stdout



# A markdown document is cited by a link, [text](path.md#anchor), or by its path in
# prose, code or a comment (`docs/stark.md`, "docs/security.md"). A link resolves
# against the citing file's folder, as on GitHub; a path in prose against that folder
# or the repository root. Both must name a tracked file: one that is only on this disk
# is missing from every clone. URLs are not citations of this repository's files.
_MD_PATH = re.compile(r"(?<![\w./-])((?:\.{1,2}/)*(?:[\w.-]+/)*[\w-]+\.md)(?![\w/-])",
                      re.IGNORECASE)
_MD_LINK = re.compile(r"\]\(([^)\s#]*)(?:#([^)\s]*))?\)")
# The design notes kept outside the repository (beside it, in ../shared), which it must
# not cite: a maintainer who clones it cannot follow them. What the code relies on is in
# docs/design.md and docs/prior-art.md.
_OUTSIDE_NOTES = re.compile(r"\b(?:DESIGN|PRIOR_ART|STYLE)\b|\.\./shared\b")
# This file names them, and its examples cite documents that do not exist.
_THIS_FILE = os.path.relpath(os.path.abspath(__file__), ROOT).replace(os.sep, "/")


def _tracked_files() -> tuple[set[str], dict[str, str]]:
    """Every tracked path, and the text of those that read as UTF-8 (but this file)."""
    try:
        listing = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True,
                                 check=True, timeout=60).stdout
    except (OSError, subprocess.CalledProcessError):
        pytest.skip("not a git checkout")
    paths = {path for path in listing.decode().split("\0") if path}
    texts = {}
    for path in paths - {_THIS_FILE}:
        try:
            with open(os.path.join(ROOT, path), encoding="utf-8") as f:
                texts[path] = f.read()
        except (UnicodeDecodeError, OSError):
            continue
    return paths, texts


def _anchors(markdown: str) -> set[str]:
    """GitHub's anchors for the headings of a markdown page."""
    anchors: set[str] = set()
    in_code = False
    for line in markdown.splitlines():
        if line.startswith("```"):
            in_code = not in_code
        match = None if in_code else re.match(r"#{1,6}\s+(.*?)\s*#*\s*$", line)
        if match:
            slug = re.sub(r"[^\w\- ]", "", match.group(1).lower()).replace(" ", "-")
            anchor, n = slug, 0
            while anchor in anchors:
                n += 1
                anchor = f"{slug}-{n}"
            anchors.add(anchor)
    return anchors


def _where(path: str, text: str, match: re.Match) -> str:
    return f"{path}:{text.count(chr(10), 0, match.start()) + 1}"


def _broken_citations(paths: set[str], texts: dict[str, str]) -> list[str]:
    """``path:line: what`` for every citation in ``texts`` that ``paths`` does not hold."""
    folders = {"/".join(p.split("/")[:n]) for p in paths for n in range(p.count("/") + 1)}

    def resolve(folder: str, target: str) -> str:
        return os.path.normpath(os.path.join(folder, target)).replace(os.sep, "/")

    broken = []
    for path, text in sorted(texts.items()):
        folder = os.path.dirname(path)
        for match in _MD_PATH.finditer(text):
            target = match.group(1)
            if resolve(folder, target) not in paths and resolve("", target) not in paths:
                broken.append(f"{_where(path, text, match)}: {target} is not in the repository")
        if not path.endswith(".md"):
            continue
        for match in _MD_LINK.finditer(text):
            target, anchor = match.group(1), match.group(2)
            if ":" in target:                      # https://..., mailto:...
                continue
            page = resolve(folder, target) if target else path
            if target and page not in paths and page not in folders:
                broken.append(f"{_where(path, text, match)}: a link to {target}, which is "
                              f"not at {page}")
            elif anchor and page.endswith(".md") and anchor not in _anchors(texts.get(page, "")):
                broken.append(f"{_where(path, text, match)}: a link to {target}#{anchor}, "
                              "a heading that is not there")
    return broken


def test_every_cited_markdown_document_and_heading_is_in_the_repository():
    assert _broken_citations(*_tracked_files()) == []


def test_no_file_cites_the_design_notes_kept_outside_the_repository():
    _, texts = _tracked_files()
    found = [f"{_where(path, text, m)}: {m.group(0)}"
             for path, text in sorted(texts.items()) for m in _OUTSIDE_NOTES.finditer(text)]
    assert found == []


def test_the_citation_check_reports_missing_documents_links_and_headings():
    texts = {"README.md": "[a](docs/a.md) `docs/a.md` and `../shared/NOTES.md`\n",
             "docs/a.md": "# A title\n\n[t](#a-title) [b](b.md#nowhere) [r](../README.md)"
                          " [x](docs/a.md) `docs/gone.md` `a.md` <https://x.org/y.md>\n",
             "docs/b.md": "# Somewhere\n"}
    broken = _broken_citations(set(texts), texts)
    assert broken == [
        "README.md:1: ../shared/NOTES.md is not in the repository",
        "docs/a.md:3: docs/gone.md is not in the repository",
        "docs/a.md:3: a link to b.md#nowhere, a heading that is not there",
        "docs/a.md:3: a link to docs/a.md, which is not at docs/docs/a.md",
    ]
