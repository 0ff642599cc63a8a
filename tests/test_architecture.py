"""The engine never imports Qt: checked statically (import-linter) and at run time.
And every document the repository cites is in the repository."""
from __future__ import annotations

import ast
import os
import re
import shutil
import subprocess
import sys

import pytest

from tests.conftest import IN_CI, require_tool

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


_CONTRACTS = ("The engine never imports Qt or the workbench",
              "The engine's layers: each imports only from those below it",
              "The workbench model never imports Qt",
              "The workbench's layers: entry points, then the Qt views, then the model",
              "No import cycle among the modules of any package, at any depth")


def _lint_imports(cwd: str) -> subprocess.CompletedProcess:
    lint = os.path.join(os.path.dirname(sys.executable), "lint-imports")
    return subprocess.run([lint, "--config", "pyproject.toml", "--no-cache"], cwd=cwd,
                          capture_output=True, text=True, timeout=300,
                          env=dict(os.environ, PYTHONPATH=cwd))


def test_import_linter_contracts_are_kept():
    out = _lint_imports(ROOT)
    assert out.returncode == 0, out.stdout + out.stderr
    for contract in _CONTRACTS:
        assert f"{contract} KEPT" in out.stdout, out.stdout


@pytest.mark.parametrize("module,line,broken", [
    # The cycle the layout removed: the kernel cache's warm-up proved through engine.api.
    ("engine/runtime/kernel_cache.py", "import engine.api",
     "The engine's layers: each imports only from those below it"),
    # A lower layer reaching up, e.g. the STARK layer into the machine circuit.
    ("engine/stark/prover.py", "import engine.circuit.machine",
     "The engine's layers: each imports only from those below it"),
    # Two modules of one package importing each other.
    ("engine/stark/fri.py", "import engine.stark.pcs",
     "No import cycle among the modules of any package, at any depth"),
])
def test_make_lint_fails_on_an_upward_import_or_a_cycle(tmp_path, module, line, broken):
    for name in ("engine", "workbench"):
        shutil.copytree(os.path.join(ROOT, name), tmp_path / name,
                        ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(os.path.join(ROOT, "pyproject.toml"), tmp_path)
    assert _lint_imports(str(tmp_path)).returncode == 0, "the copy must pass before the edit"
    with open(tmp_path / module, "a") as file:
        file.write(f"\n{line}  # noqa\n")
    out = _lint_imports(str(tmp_path))
    assert out.returncode != 0, out.stdout
    assert f"{broken} BROKEN" in out.stdout, out.stdout



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
    git = require_tool("git")
    try:
        listing = subprocess.run([git, "ls-files", "-z"], cwd=ROOT, capture_output=True,
                                 check=True, timeout=60).stdout
    except subprocess.CalledProcessError:
        if IN_CI:
            pytest.fail("CI tests a git checkout, and git ls-files failed in it")
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


# --- tests that cannot pass by accident -------------------------------------------------------
# Two scans of the test sources (issue #13). A test asserts something that can fail: an
# assert, pytest.raises/warns/fail, a call of an assert* helper (np.testing's, the
# suite's) or of a helper of its own module that asserts, or a qtbot wait (which fails
# on its timeout). And a rejection is asserted with tests.rejection.assert_rejected,
# which fails when the verifier raised (the verifiers turn an exception into an
# "internal error" rejection, which `assert not result.valid` accepts) or gave another
# reason than the test expects.

_TESTS = os.path.join(ROOT, "tests")
# The helper itself asserts `not result.valid`, after which it checks the reason.
_REJECTION_HELPER = "tests/rejection.py"


def _test_sources(*, exclude: tuple[str, ...] = ()) -> dict[str, str]:
    """``tests/...py`` path -> source of every Python file under tests/."""
    sources = {}
    for folder, _, files in os.walk(_TESTS):
        for name in files:
            path = os.path.relpath(os.path.join(folder, name), ROOT).replace(os.sep, "/")
            if name.endswith(".py") and not path.startswith(exclude):
                with open(os.path.join(ROOT, path), encoding="utf-8") as f:
                    sources[path] = f.read()
    return sources


def _callee(call: ast.Call) -> str | None:
    func = call.func
    return func.id if isinstance(func, ast.Name) else (
        func.attr if isinstance(func, ast.Attribute) else None)


def _functions(tree: ast.Module) -> list[ast.FunctionDef | ast.AsyncFunctionDef]:
    """Module-level functions and the methods of its classes."""
    defs = (ast.FunctionDef, ast.AsyncFunctionDef)
    found = [node for node in tree.body if isinstance(node, defs)]
    for node in tree.body:
        if isinstance(node, ast.ClassDef):
            found += [item for item in node.body if isinstance(item, defs)]
    return found


def _helpers(functions, is_direct) -> set[str]:
    """Names of the functions for which ``is_direct(function, names)`` holds, where
    ``names`` grows to a fixed point: calling such a helper counts as doing it."""
    names: set[str] = set()
    while True:
        more = {f.name for f in functions if f.name not in names and is_direct(f, names)}
        if not more:
            return names
        names |= more


def _asserts_directly(node: ast.AST, helpers: set[str]) -> bool:
    for n in ast.walk(node):
        if isinstance(n, ast.Assert):
            return True
        if not isinstance(n, ast.Call) or (name := _callee(n)) is None:
            continue
        owner = n.func.value.id if (isinstance(n.func, ast.Attribute)
                                    and isinstance(n.func.value, ast.Name)) else None
        if (owner == "pytest" and name in ("raises", "warns", "fail")
                or owner == "qtbot" and name.startswith("wait")
                or name.lstrip("_").startswith("assert") or name in helpers):
            return True
    return False


def _tests_without_assertions(path: str, source: str) -> list[str]:
    """``path::name`` of every test function in ``source`` that asserts nothing."""
    functions = _functions(ast.parse(source, path))
    helpers = _helpers(functions, _asserts_directly)
    return [f"{path}::{f.name}" for f in functions
            if f.name.startswith("test") and f.name not in helpers]


def _asserts_a_rejection(node: ast.AST) -> bool:
    """Whether ``node`` holds ``assert`` of ``not x.valid``, ``not x["valid"]`` or
    ``x.valid is False`` / ``== False`` (alone or inside a larger condition)."""
    def is_valid(e: ast.AST) -> bool:
        return (isinstance(e, ast.Attribute) and e.attr == "valid"
                or isinstance(e, ast.Subscript) and isinstance(e.slice, ast.Constant)
                and e.slice.value == "valid")

    for statement in ast.walk(node):
        if not isinstance(statement, ast.Assert):
            continue
        for e in ast.walk(statement.test):
            if isinstance(e, ast.UnaryOp) and isinstance(e.op, ast.Not) and is_valid(e.operand):
                return True
            if (isinstance(e, ast.Compare) and is_valid(e.left)
                    and isinstance(e.ops[0], (ast.Is, ast.Eq))
                    and isinstance(e.comparators[0], ast.Constant)
                    and e.comparators[0].value is False):
                return True
    return False


def _unchecked_rejections(path: str, source: str) -> list[str]:
    """``path::name`` of every function in ``source`` that asserts a rejection without
    calling ``assert_rejected`` (imported from a tests module under that name or
    another) or a function of its module that does."""
    tree = ast.parse(source, path)
    checkers = {alias.asname or alias.name for node in ast.walk(tree)
                if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("tests")
                for alias in node.names if alias.name == "assert_rejected"}

    def calls_checker(function, helpers) -> bool:
        return any(isinstance(n, ast.Call) and _callee(n) in checkers | helpers
                   for n in ast.walk(function))

    functions = [n for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef,
                                                              ast.AsyncFunctionDef))]
    helpers = _helpers(_functions(tree), calls_checker)
    return [f"{path}::{f.name}" for f in functions
            if _asserts_a_rejection(f) and not calls_checker(f, helpers)]


def test_every_test_asserts_something():
    found = [name for path, source in sorted(_test_sources().items())
             if os.path.basename(path).startswith("test_")
             for name in _tests_without_assertions(path, source)]
    assert found == []


def test_every_rejection_is_asserted_with_assert_rejected():
    found = [name for path, source in sorted(_test_sources(
                 exclude=(_REJECTION_HELPER,)).items())
             for name in _unchecked_rejections(path, source)]
    assert found == []


def test_the_scans_find_tests_that_assert_nothing_and_unchecked_rejections():
    source = '''
import pytest
from tests.rejection import assert_rejected as refused

def _check(x):
    assert x

def _quiet(x):
    return x

def _reason(result):
    return refused(result, "why")

def test_bare(): _quiet(1)
def test_try():
    try:
        _quiet(1)
    except ValueError:
        pass
def test_assert(): assert 1
def test_raises():
    with pytest.raises(ValueError): int("x")
def test_helper(): _check(1)
def test_np(): np.testing.assert_array_equal(1, 1)
def test_wait(qtbot): qtbot.waitUntil(lambda: True)
def test_not_valid(): assert not verify(1).valid
def test_valid_is_false(): assert verify(1)["valid"] is False
def test_in_a_condition(): assert not r.valid and "x" in r.reason
def test_checked(): r = verify(1); assert not r.valid; refused(r, "why")
def test_through_a_helper(): assert not r.valid; _reason(r)
def test_accepted(): assert verify(1).valid
'''
    assert _tests_without_assertions("t.py", source) == ["t.py::test_bare", "t.py::test_try"]
    assert _unchecked_rejections("t.py", source) == [
        "t.py::test_not_valid", "t.py::test_valid_is_false", "t.py::test_in_a_condition"]
